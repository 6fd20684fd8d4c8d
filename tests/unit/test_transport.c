/*
 * test_transport.c - the backend-independent transport code over the fake
 * (image file) backend: format, append with read-back, full card, a card
 * leaving the field (or tearing) at every operation of an append, and the
 * card rewrites (delete an entry, restore a folder) cut at every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_key.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2};

#define NFOLDER 4

struct fixture {
	char path[64];
	char spec[80];
	struct lm_key *key;
	uint8_t entry[LM_ENTRY_MAX];
	size_t entry_len;
	/* A folder of distinct entries (different dates), and their ids. */
	uint8_t folder[NFOLDER][LM_ENTRY_MAX];
	size_t folder_len[NFOLDER];
	uint8_t folder_id[NFOLDER][32];
};

static void blank_card(struct fixture *f, size_t cap)
{
	FILE *fp = fopen(f->path, "wb");
	for (size_t i = 0; i < cap; i++)
		fputc(0xee, fp); /* a new card holds garbage, not an image */
	fclose(fp);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/lm-test-transport-%d.img", (int)getpid());
	snprintf(f->spec, sizeof(f->spec), "fake:%s", f->path);
	struct lm_entry e;
	lm_entry_init(&e, LM_TYPE_IK, 20781);
	lm_entry_set_num(&e, 11, 700);
	lm_entry_set_num(&e, 12, 700);
	if (lm_key_generate(&f->key) ||
	    lm_entry_sign(&e, f->key, holder, 0, f->entry, sizeof(f->entry), &f->entry_len))
		return -1;
	for (int i = 0; i < NFOLDER; i++) {
		lm_entry_init(&e, LM_TYPE_IK, 20800 + (uint32_t)i);
		lm_entry_set_num(&e, 11, 700);
		if (lm_entry_sign(&e, f->key, holder, 0, f->folder[i], sizeof(f->folder[i]),
				  &f->folder_len[i]) ||
		    lm_sha256(f->folder[i], f->folder_len[i], f->folder_id[i]))
			return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->path);
	lm_key_free(f->key);
	free(f);
	return 0;
}

static struct lm_transport *open_card(struct fixture *f, struct lm_card_info *info)
{
	struct lm_transport *t;
	assert_int_equal(lm_transport_open(f->spec, &t), LM_OK);
	assert_int_equal(lm_transport_wait_card(t, 0), LM_OK);
	assert_int_equal(lm_transport_identify(t, info), LM_OK);
	return t;
}

/* Count entries on the card; -1 when it does not read as an image. */
static int count_entries(struct fixture *f)
{
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	uint8_t *img = malloc(info.capacity);
	size_t len;
	struct lm_card c;
	int n = lm_transport_read_image(t, &info, img, &len, &c) == LM_OK ? lm_card_count(&c) : -1;
	free(img);
	lm_transport_close(t);
	return n;
}

static void test_format_append_until_full(void **state)
{
	struct fixture *f = *state;
	blank_card(f, 500); /* an NTAG215's image */
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	assert_int_equal(info.capacity, 500);
	uint8_t img[500];
	size_t len;
	struct lm_card c;
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_ERR_NOT_FORMATTED);
	assert_int_equal(lm_transport_format(t, &info, holder), LM_OK);
	int n = 0, err;
	while ((err = lm_transport_append(t, &info, f->entry, f->entry_len)) == LM_OK)
		n++;
	assert_int_equal(err, LM_ERR_CARD_FULL);
	assert_int_equal(n, (500 - LM_CARD_HEADER_LEN) / ((f->entry_len + 3) / 4 * 4));
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_OK);
	assert_int_equal(lm_card_count(&c), n);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	/* Wipe: nothing left that reads as an image, and no entry bytes remain. */
	assert_int_equal(lm_transport_wipe(t), LM_OK);
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_ERR_NOT_FORMATTED);
	lm_transport_close(t);
	FILE *fp = fopen(f->path, "rb");
	int nonzero = 0, ch;
	while ((ch = fgetc(fp)) != EOF)
		nonzero |= ch;
	fclose(fp);
	assert_int_equal(nonzero, 0);
}

/*
 * The card leaves the field after k operations, for every k, with and
 * without a torn write: the append reports an error, and afterwards the
 * card holds exactly the old entries or exactly the old plus the new one.
 */
static void test_removed_at_every_step(void **state)
{
	struct fixture *f = *state;
	for (int torn = 0; torn <= 1; torn++) {
		for (int k = 0; k < 12; k++) {
			blank_card(f, 300);
			struct lm_card_info info;
			struct lm_transport *t = open_card(f, &info);
			assert_int_equal(lm_transport_format(t, &info, holder), LM_OK);
			assert_int_equal(lm_transport_append(t, &info, f->entry, f->entry_len),
					 LM_OK);
			lm_transport_fake_fault(t, k, torn);
			int err = lm_transport_append(t, &info, f->entry, f->entry_len);
			lm_transport_close(t);
			int n = count_entries(f);
			if (err == LM_OK) {
				assert_int_equal(n, 2);
			} else {
				assert_int_equal(err, LM_ERR_CARD_REMOVED);
				if (n != 1 && n != 2)
					fail_msg("k=%d torn=%d: %d entries", k, torn, n);
			}
		}
	}
}

/* A card of cap bytes formatted for holder with the folder entries in order. */
static void folder_card(struct fixture *f, size_t cap, const int *which, int n)
{
	blank_card(f, cap);
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	assert_int_equal(lm_transport_format(t, &info, holder), LM_OK);
	for (int i = 0; i < n; i++)
		assert_int_equal(
			lm_transport_append(t, &info, f->folder[which[i]], f->folder_len[which[i]]),
			LM_OK);
	lm_transport_close(t);
}

/*
 * What the card holds now: -1 blank (not formatted), -2 anything else that
 * is not an image of our holder, else the number of entries, with their
 * folder indices in order in idx (-1 for an entry not of the folder).
 */
static const char *g_code; /* the access code card_state unlocks with */

static int card_state(struct fixture *f, int idx[16])
{
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	uint8_t *img = malloc(info.capacity);
	size_t len, off = 0, elen;
	struct lm_card c;
	const uint8_t *e;
	int err = LM_OK, n = 0;
	/* A protected card: unlocked with the code the test set (no code, or
	 * a wrong one: -2). */
	if (info.protection != LM_PROT_NONE)
		err = g_code ? lm_transport_unlock_code(t, &info, g_code, NULL) : LM_ERR_LOCKED;
	if (!err)
		err = lm_transport_read_image(t, &info, img, &len, &c);
	if (err == LM_ERR_NOT_FORMATTED)
		n = -1;
	else if (err || memcmp(c.holder, holder, LM_HOLDER_LEN))
		n = -2;
	while (n >= 0 && (err = lm_card_next(&c, &off, &e, &elen)) == LM_OK) {
		idx[n] = -1;
		for (int i = 0; i < NFOLDER; i++)
			if (elen == f->folder_len[i] && !memcmp(e, f->folder[i], elen))
				idx[n] = i;
		n++;
	}
	if (n >= 0 && err != 1)
		n = -2;
	free(img);
	lm_transport_close(t);
	return n;
}

static int read_file(const char *path, uint8_t *buf, size_t max)
{
	FILE *fp = fopen(path, "rb");
	size_t n = fread(buf, 1, max, fp);
	fclose(fp);
	return (int)n;
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	const int which[] = {0, 1, 2, 1}; /* entry 1 twice: still one entry */
	folder_card(f, 600, which, 4);
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	uint8_t img[600], full[32], none[32] = {0};
	size_t len, from, to;
	struct lm_card c;
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_OK);
	lm_transport_close(t);
	size_t pad0 = (f->folder_len[0] + 3) / 4 * 4, pad1 = (f->folder_len[1] + 3) / 4 * 4;
	assert_int_equal(lm_card_find(&c, f->folder_id[1], 32, &from, &to, full), LM_OK);
	assert_int_equal(from, pad0);
	assert_int_equal(to, pad0 + pad1);
	assert_memory_equal(full, f->folder_id[1], 32);
	/* A prefix that only entry 2's id begins with: the shortest unique one. */
	size_t k = 1;
	for (;; k++) {
		int clash = 0;
		for (int i = 0; i < 3; i++)
			clash |= i != 2 && !memcmp(f->folder_id[i], f->folder_id[2], k);
		if (!clash)
			break;
	}
	assert_int_equal(lm_card_find(&c, f->folder_id[2], k, &from, &to, full), LM_OK);
	assert_memory_equal(full, f->folder_id[2], 32);
	assert_int_equal(from, pad0 + pad1);
	/* A prefix two entries share; none at all; bad lengths. */
	none[0] = f->folder_id[0][0] ^ 0xff;
	none[1] = f->folder_id[1][0] ^ 0xff;
	none[2] = f->folder_id[2][0] ^ 0xff;
	assert_int_equal(lm_card_find(&c, none, 32, &from, &to, NULL), LM_ERR_NOT_FOUND);
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (f->folder_id[i][0] == f->folder_id[j][0])
				assert_int_equal(
					lm_card_find(&c, f->folder_id[i], 1, &from, &to, NULL),
					LM_ERR_AMBIGUOUS);
	assert_int_equal(lm_card_find(&c, f->folder_id[0], 0, &from, &to, NULL), LM_ERR_ARG);
	assert_int_equal(lm_card_find(&c, f->folder_id[0], 33, &from, &to, NULL), LM_ERR_ARG);
	/* Damaged framing after the match: no answer (a later entry might match). */
	img[LM_CARD_HEADER_LEN + pad0 + pad1 + 1] ^= 0xff;
	c.log = img + LM_CARD_HEADER_LEN;
	assert_int_not_equal(lm_card_find(&c, f->folder_id[0], 32, &from, &to, NULL), LM_OK);
}

/* The caller's copy of what stays, as the daemon's cache keeps it. */
struct copy {
	struct lm_card_entry e[16];
	uint8_t bytes[16][LM_ENTRY_MAX];
	int n, ready, fail_at;
	const struct lm_rewrite_result *res; /* when set: its id, seen at ready */
	uint8_t id_at_ready[32];
};

static int keep_copy(void *ctx, const uint8_t h[LM_HOLDER_LEN], const uint8_t *entry, size_t len)
{
	struct copy *k = ctx;
	assert_memory_equal(h, holder, LM_HOLDER_LEN);
	if (!entry) {
		k->ready = 1;
		if (k->res)
			memcpy(k->id_at_ready, k->res->id, 32);
		return k->fail_at == k->n ? LM_ERR_DB : LM_OK;
	}
	if (k->fail_at == k->n)
		return LM_ERR_DB;
	memcpy(k->bytes[k->n], entry, len);
	k->e[k->n] = (struct lm_card_entry){k->bytes[k->n], len};
	k->n++;
	return LM_OK;
}

static void test_delete_entry(void **state)
{
	struct fixture *f = *state;
	const int which[] = {0, 1, 2, 3};
	folder_card(f, 600, which, 4);
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	struct copy k = {.fail_at = -1};
	struct lm_rewrite_result res;
	assert_int_equal(
		lm_transport_delete_entry(t, &info, f->folder_id[1], 32, keep_copy, &k, &res),
		LM_OK);
	assert_int_equal(res.touched, 1);
	assert_int_equal(res.kept, 3);
	assert_memory_equal(res.id, f->folder_id[1], 32);
	assert_memory_equal(res.holder, holder, LM_HOLDER_LEN);
	assert_int_equal(k.n, 3);
	assert_int_equal(k.ready, 1);
	/* A prefix of 4 bytes (unique among three random ids, almost surely);
	 * the whole id is in the result already when keep is called. */
	k = (struct copy){.fail_at = -1, .res = &res};
	assert_int_equal(
		lm_transport_delete_entry(t, &info, f->folder_id[3], 4, keep_copy, &k, &res),
		LM_OK);
	assert_memory_equal(res.id, f->folder_id[3], 32);
	assert_memory_equal(k.id_at_ready, f->folder_id[3], 32);
	lm_transport_close(t);
	int idx[16];
	assert_int_equal(card_state(f, idx), 2);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 2);
	/* Not there: nothing touched, keep never called. */
	t = open_card(f, &info);
	uint8_t before[600], after[600];
	read_file(f->path, before, sizeof(before));
	k = (struct copy){.fail_at = -1};
	assert_int_equal(
		lm_transport_delete_entry(t, &info, f->folder_id[1], 32, keep_copy, &k, &res),
		LM_ERR_NOT_FOUND);
	assert_int_equal(res.touched, 0);
	assert_int_equal(k.n + k.ready, 0);
	/* The caller cannot keep its copy (its store fails): nothing touched. */
	for (int fail = 0; fail <= 1; fail++) {
		k = (struct copy){.fail_at = fail};
		assert_int_equal(lm_transport_delete_entry(t, &info, f->folder_id[0], 32, keep_copy,
							   &k, &res),
				 LM_ERR_DB);
		assert_int_equal(res.touched, 0);
	}
	lm_transport_close(t);
	read_file(f->path, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
}

/* Restore from the caller's copy with no fault: the card holds exactly want. */
static void restore_and_check(struct fixture *f, const struct copy *k, const int *want, int n)
{
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	size_t written;
	assert_int_equal(lm_transport_restore(t, &info, holder, k->e, (size_t)k->n, &written),
			 LM_OK);
	lm_transport_close(t);
	int idx[16];
	assert_int_equal(card_state(f, idx), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(idx[i], want[i]);
}

/*
 * The card leaves the field (or tears) after k operations of a delete, for
 * every k: it is as before (touched clear), or blank, or the holder's card
 * with a prefix of the entries that stay; restore from the copy kept makes
 * it the card asked for, and nothing of the folder is lost.
 */
static void test_delete_cut_at_every_step(void **state)
{
	struct fixture *f = *state;
	const int which[] = {0, 1, 2, 3}, stays[] = {0, 2, 3};
	uint8_t before[600], now[600];
	int seen_before = 0, seen_blank = 0, seen_half = 0;
	for (int torn = 0; torn <= 1; torn++) {
		int done = 0;
		for (int cut = 0; !done && cut < 200; cut++) {
			folder_card(f, 600, which, 4);
			read_file(f->path, before, sizeof(before));
			struct lm_card_info info;
			struct lm_transport *t = open_card(f, &info);
			struct copy k = {.fail_at = -1};
			struct lm_rewrite_result res;
			lm_transport_fake_fault(t, cut, torn);
			int err = lm_transport_delete_entry(t, &info, f->folder_id[1], 32,
							    keep_copy, &k, &res);
			lm_transport_close(t);
			int idx[16], n = card_state(f, idx);
			if (err == LM_OK) {
				done = 1;
				assert_int_equal(n, 3);
			} else if (!res.touched || n == 4) {
				/* As before (touched: the cut came before the wipe's
				 * first write): the caller tries again. */
				assert_int_equal(err, LM_ERR_CARD_REMOVED);
				read_file(f->path, now, sizeof(now));
				assert_memory_equal(before, now, sizeof(now));
				seen_before++;
				if (!res.touched)
					continue;
				restore_and_check(f, &k, which, 4);
				continue;
			} else if (n == -1) {
				seen_blank++;
			} else {
				if (n < 0 || n > 3)
					fail_msg("cut=%d torn=%d: card state %d", cut, torn, n);
				for (int i = 0; i < n; i++)
					assert_int_equal(idx[i], stays[i]);
				seen_half++;
			}
			/* What the caller kept is the folder less the entry. */
			assert_int_equal(k.n, 3);
			for (int i = 0; i < 3; i++)
				assert_memory_equal(k.e[i].data, f->folder[stays[i]],
						    f->folder_len[stays[i]]);
			restore_and_check(f, &k, stays, 3);
		}
		assert_true(done);
	}
	assert_true(seen_before > 0 && seen_blank > 0 && seen_half > 0);
}

/*
 * Restore cut at every step, from a blank card and from a half-rewritten
 * one: never another holder's card or a damaged one; a second restore
 * finishes the job.
 */
static void test_restore_cut_at_every_step(void **state)
{
	struct fixture *f = *state;
	const int want[] = {0, 2, 3};
	struct copy k = {.n = 3};
	for (int i = 0; i < 3; i++)
		k.e[i] = (struct lm_card_entry){f->folder[want[i]], f->folder_len[want[i]]};
	for (int start = 0; start <= 1; start++) {
		for (int torn = 0; torn <= 1; torn++) {
			int done = 0;
			for (int cut = 0; !done && cut < 200; cut++) {
				if (start == 0)
					blank_card(f, 600);
				else
					folder_card(f, 600, want, 1);
				struct lm_card_info info;
				struct lm_transport *t = open_card(f, &info);
				size_t written;
				lm_transport_fake_fault(t, cut, torn);
				int err = lm_transport_restore(t, &info, holder, k.e, 3, &written);
				lm_transport_close(t);
				int idx[16], n = card_state(f, idx);
				if (err == LM_OK) {
					done = 1;
					assert_int_equal(written, 3 - start);
				} else {
					assert_int_equal(err, LM_ERR_CARD_REMOVED);
				}
				if (n < -1 || n > 3)
					fail_msg("cut=%d torn=%d: card state %d", cut, torn, n);
				for (int i = 0; i < n; i++)
					assert_int_equal(idx[i], want[i]);
				restore_and_check(f, &k, want, 3);
			}
			assert_true(done);
		}
	}
}

static void test_restore_refuses_other_holder(void **state)
{
	struct fixture *f = *state;
	const int which[] = {0};
	folder_card(f, 300, which, 1);
	uint8_t before[300], after[300], other[LM_HOLDER_LEN] = {0xb1};
	read_file(f->path, before, sizeof(before));
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	struct lm_card_entry e = {f->folder[1], f->folder_len[1]};
	size_t written = 9;
	assert_int_equal(lm_transport_restore(t, &info, other, &e, 1, &written), LM_ERR_HOLDER);
	assert_int_equal(written, 0);
	/* Only what the card lacks: entry 0 is there, entry 1 is added. */
	struct lm_card_entry both[2] = {{f->folder[0], f->folder_len[0]}, e};
	assert_int_equal(lm_transport_restore(t, &info, holder, both, 2, &written), LM_OK);
	assert_int_equal(written, 1);
	assert_int_equal(lm_transport_restore(t, &info, holder, both, 2, &written), LM_OK);
	assert_int_equal(written, 0);
	/* Full: the entries before the one that does not fit stay written. */
	struct lm_card_entry many[4] = {{f->folder[2], f->folder_len[2]},
					{f->folder[3], f->folder_len[3]},
					{f->entry, f->entry_len}};
	assert_int_equal(lm_transport_restore(t, &info, holder, many, 3, &written),
			 LM_ERR_CARD_FULL);
	assert_int_equal(written, 0); /* 300 bytes: two entries and no room for a third */
	lm_transport_close(t);
	read_file(f->path, after, sizeof(after));
	assert_memory_not_equal(before, after, sizeof(before));
}

/* Whether a backend blocks in wait_card comes from its ops table (the
 * daemon paces polled backends itself), not from its name. */
#pragma weak lm_transport_pcsc_ops
#pragma weak lm_transport_nfc_ops
/* ---- Protected cards (format version 2) -------------------------------- */

#define ITER LM_PROTECT_ITER_MIN /* the cheapest count a reader accepts: fast tests */

/* A protected card of cap bytes for holder with the folder entries in order. */
static void protected_card(struct fixture *f, size_t cap, const char *code, const int *which, int n,
			   uint8_t recovery[LM_RECOVERY_LEN])
{
	blank_card(f, cap);
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	assert_int_equal(info.protection, LM_PROT_NONE);
	assert_int_equal(
		lm_transport_format_protected(t, &info, holder, code, NULL, ITER, NULL, recovery),
		LM_OK);
	assert_int_equal(info.protection, LM_PROT_LOCKED);
	assert_true(lm_transport_unlocked(t));
	for (int i = 0; i < n; i++)
		assert_int_equal(
			lm_transport_append(t, &info, f->folder[which[i]], f->folder_len[which[i]]),
			LM_OK);
	lm_transport_close(t);
}

/* 1 when needle[0..n) occurs in hay[0..len). */
static int contains(const uint8_t *hay, size_t len, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return 1;
	return 0;
}

static void test_protected_read_append(void **state)
{
	struct fixture *f = *state;
	char code[LM_CODE_TEXT_LEN + 1], other[LM_CODE_TEXT_LEN + 1];
	uint8_t recovery[LM_RECOVERY_LEN];
	assert_int_equal(lm_code_generate(code), LM_OK);
	assert_int_equal(lm_code_generate(other), LM_OK);
	const int which[] = {0, 1};
	protected_card(f, 600, code, which, 2, recovery);
	/* The file holds no entry in clear (a dump shows ciphertext only). */
	uint8_t raw[600];
	read_file(f->path, raw, sizeof(raw));
	assert_false(contains(raw, sizeof(raw), f->folder[0] + 20, 8));
	assert_false(contains(raw, sizeof(raw), f->folder[1] + 20, 8));

	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	assert_int_equal(info.protection, LM_PROT_LOCKED);
	assert_int_equal(info.header.iterations, ITER);
	uint8_t img[600];
	size_t len;
	struct lm_card c;
	/* Locked: no read, no append, no delete without the code. */
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_ERR_LOCKED);
	assert_int_equal(lm_transport_append(t, &info, f->folder[2], f->folder_len[2]),
			 LM_ERR_LOCKED);
	struct lm_rewrite_result res;
	assert_int_equal(lm_transport_delete_entry(t, &info, f->folder_id[0], 32, NULL, NULL, &res),
			 LM_ERR_LOCKED);
	assert_int_equal(res.touched, 0);
	/* A wrong code and a typo: refused before anything reaches the card. */
	int tries = 7;
	assert_int_equal(lm_transport_unlock_code(t, &info, other, &tries), LM_ERR_WRONG_CODE);
	assert_int_equal(tries, -1); /* an image file does not count */
	char typo[LM_CODE_TEXT_LEN + 1];
	memcpy(typo, code, sizeof(typo));
	typo[0] = typo[0] == '7' ? '8' : '7';
	assert_int_equal(lm_transport_unlock_code(t, &info, typo, NULL), LM_ERR_CODE_TYPO);
	assert_false(lm_transport_unlocked(t));
	/* The keys API: derived by the caller, check first. */
	struct lm_protect_keys k;
	assert_int_equal(lm_protect_derive(code, info.header.salt, info.header.iterations, &k),
			 LM_OK);
	assert_int_equal(lm_transport_unlock(t, &info, &k, &tries), LM_OK);
	lm_protect_keys_wipe(&k);
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_OK);
	assert_int_equal(c.version, LM_PROTECT_VERSION);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	assert_int_equal(lm_card_count(&c), 2);
	assert_int_equal(lm_transport_append(t, &info, f->folder[2], f->folder_len[2]), LM_OK);
	/* A session unlocked by keys alone cannot rewrite (it has no code). */
	assert_int_equal(lm_transport_delete_entry(t, &info, f->folder_id[0], 32, NULL, NULL, &res),
			 LM_ERR_LOCKED);
	/* identify ends the session. */
	assert_int_equal(lm_transport_identify(t, &info), LM_OK);
	assert_false(lm_transport_unlocked(t));
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_ERR_LOCKED);
	lm_transport_close(t);
	g_code = code;
	int idx[16];
	assert_int_equal(card_state(f, idx), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(idx[i], i);
	g_code = NULL;
	assert_int_equal(card_state(f, idx), -2);
	/* The recovery secret is the one format made. */
	uint8_t plain[600], rec[LM_RECOVERY_LEN];
	read_file(f->path, raw, sizeof(raw));
	assert_int_equal(
		lm_protect_open_code(raw, sizeof(raw), sizeof(raw), code, plain, &c, rec, NULL),
		LM_OK);
	assert_memory_equal(rec, recovery, LM_RECOVERY_LEN);
	/* Full: CARD_FULL, nothing written. */
	t = open_card(f, &info);
	assert_int_equal(lm_transport_unlock_code(t, &info, code, NULL), LM_OK);
	int err, n = 3;
	while ((err = lm_transport_append(t, &info, f->folder[3], f->folder_len[3])) == LM_OK)
		n++;
	assert_int_equal(err, LM_ERR_CARD_FULL);
	assert_int_equal(n,
			 (int)((600 - LM_PROTECT_HEADER_LEN) / ((f->folder_len[3] + 3) / 4 * 4)));
	lm_transport_close(t);
}

/* A protected format cut (or torn) at every step: blank, or the new card. */
static void test_protected_format_cut(void **state)
{
	struct fixture *f = *state;
	char code[LM_CODE_TEXT_LEN + 1];
	assert_int_equal(lm_code_generate(code), LM_OK);
	g_code = code;
	int seen_blank = 0;
	for (int torn = 0; torn <= 1; torn++) {
		int done = 0;
		for (int cut = 0; !done && cut < 20; cut++) {
			blank_card(f, 400);
			struct lm_card_info info;
			struct lm_transport *t = open_card(f, &info);
			lm_transport_fake_fault(t, cut, torn);
			int err = lm_transport_format_protected(t, &info, holder, code, NULL, ITER,
								NULL, NULL);
			lm_transport_close(t);
			int idx[16], n = card_state(f, idx);
			if (err == LM_OK) {
				done = 1;
				assert_int_equal(n, 0);
			} else {
				assert_int_equal(err, LM_ERR_CARD_REMOVED);
				if (n != -1 && n != 0)
					fail_msg("cut=%d torn=%d: card state %d", cut, torn, n);
				seen_blank += n == -1;
			}
		}
		assert_true(done);
	}
	assert_true(seen_blank > 0);
	g_code = NULL;
}

/* An append to a protected card cut (or torn) at every step: old or new. */
static void test_protected_append_cut(void **state)
{
	struct fixture *f = *state;
	char code[LM_CODE_TEXT_LEN + 1];
	assert_int_equal(lm_code_generate(code), LM_OK);
	g_code = code;
	const int which[] = {0};
	for (int torn = 0; torn <= 1; torn++) {
		int done = 0;
		for (int cut = 0; !done && cut < 20; cut++) {
			protected_card(f, 400, code, which, 1, NULL);
			struct lm_card_info info;
			struct lm_transport *t = open_card(f, &info);
			assert_int_equal(lm_transport_unlock_code(t, &info, code, NULL), LM_OK);
			lm_transport_fake_fault(t, cut, torn);
			int err = lm_transport_append(t, &info, f->folder[1], f->folder_len[1]);
			lm_transport_close(t);
			int idx[16], n = card_state(f, idx);
			if (err == LM_OK) {
				done = 1;
				assert_int_equal(n, 2);
			} else {
				assert_int_equal(err, LM_ERR_CARD_REMOVED);
				if (n != 1 && n != 2)
					fail_msg("cut=%d torn=%d: card state %d", cut, torn, n);
			}
			for (int i = 0; i < n; i++)
				assert_int_equal(idx[i], i);
		}
		assert_true(done);
	}
	g_code = NULL;
}

/*
 * Delete on a protected card, cut at every step: as before, blank, or the
 * holder's protected card (a NEW salt, the same code and recovery secret)
 * with a prefix of what stays; lm_transport_restore_protected from the
 * copy makes it the card asked for.
 */
static void test_protected_delete_cut(void **state)
{
	struct fixture *f = *state;
	char code[LM_CODE_TEXT_LEN + 1];
	uint8_t recovery[LM_RECOVERY_LEN], salt0[LM_PROTECT_SALT_LEN];
	assert_int_equal(lm_code_generate(code), LM_OK);
	g_code = code;
	const int which[] = {0, 1, 2}, stays[] = {0, 2};
	int seen_blank = 0, seen_half = 0;
	for (int torn = 0; torn <= 1; torn++) {
		int done = 0;
		for (int cut = 0; !done && cut < 100; cut++) {
			protected_card(f, 600, code, which, 3, recovery);
			struct lm_card_info info;
			struct lm_transport *t = open_card(f, &info);
			memcpy(salt0, info.header.salt, sizeof(salt0));
			assert_int_equal(lm_transport_unlock_code(t, &info, code, NULL), LM_OK);
			struct copy k = {.fail_at = -1};
			struct lm_rewrite_result res;
			lm_transport_fake_fault(t, cut, torn);
			int err = lm_transport_delete_entry(t, &info, f->folder_id[1], 32,
							    keep_copy, &k, &res);
			lm_transport_close(t);
			int idx[16], n = card_state(f, idx);
			if (err == LM_OK) {
				done = 1;
				assert_int_equal(n, 2);
				t = open_card(f, &info);
				assert_memory_not_equal(info.header.salt, salt0, sizeof(salt0));
				lm_transport_close(t);
			} else if (n == 3) {
				assert_int_equal(err, LM_ERR_CARD_REMOVED);
				continue; /* as before: ask again */
			} else {
				if (n < -1 || n > 2)
					fail_msg("cut=%d torn=%d: card state %d", cut, torn, n);
				seen_blank += n == -1;
				seen_half += n >= 0;
				for (int i = 0; i < n; i++)
					assert_int_equal(idx[i], stays[i]);
				assert_int_equal(k.n, 2);
			}
			if (k.n == 0)
				continue;
			t = open_card(f, &info);
			size_t written;
			assert_int_equal(lm_transport_restore_protected(t, &info, holder, code,
									recovery, k.e, 2, &written),
					 LM_OK);
			lm_transport_close(t);
			assert_int_equal(card_state(f, idx), 2);
			for (int i = 0; i < 2; i++)
				assert_int_equal(idx[i], stays[i]);
			/* The recovery secret survived every rewrite. */
			uint8_t raw[600], plain[600], rec[LM_RECOVERY_LEN];
			struct lm_card c;
			read_file(f->path, raw, sizeof(raw));
			assert_int_equal(lm_protect_open_code(raw, sizeof(raw), sizeof(raw), code,
							      plain, &c, rec, NULL),
					 LM_OK);
			assert_memory_equal(rec, recovery, LM_RECOVERY_LEN);
		}
		assert_true(done);
	}
	assert_true(seen_blank > 0 && seen_half > 0);
	g_code = NULL;
}

/* The protection the card at f->path shows. */
static enum lm_protection card_protection(struct fixture *f)
{
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	lm_transport_close(t);
	return info.protection;
}

/*
 * Protecting a version 1 card, cut (or torn) at every step: the old card,
 * blank, or the holder's protected card with a prefix of the folder; the
 * copy kept before the wipe and lm_transport_restore_protected (or, for
 * the old card, protect again) end with the protected folder, complete.
 */
static void test_protect_cut(void **state)
{
	struct fixture *f = *state;
	char code[LM_CODE_TEXT_LEN + 1];
	uint8_t recovery[LM_RECOVERY_LEN];
	assert_int_equal(lm_code_generate(code), LM_OK);
	assert_int_equal(lm_random(recovery, sizeof(recovery)), LM_OK);
	g_code = code;
	const int which[] = {0, 1, 2};
	int seen_old = 0, seen_blank = 0, seen_half = 0;
	for (int torn = 0; torn <= 1; torn++) {
		int done = 0;
		for (int cut = 0; !done && cut < 100; cut++) {
			folder_card(f, 600, which, 3);
			struct lm_card_info info;
			struct lm_transport *t = open_card(f, &info);
			struct copy k = {.fail_at = -1};
			struct lm_rewrite_result res;
			lm_transport_fake_fault(t, cut, torn);
			int err = lm_transport_protect(t, &info, code, recovery, ITER, keep_copy,
						       &k, &res);
			lm_transport_close(t);
			int idx[16], n = card_state(f, idx);
			enum lm_protection p = card_protection(f);
			if (err == LM_OK) {
				done = 1;
				assert_int_equal(p, LM_PROT_LOCKED);
				assert_int_equal(n, 3);
				continue;
			}
			assert_int_equal(err, LM_ERR_CARD_REMOVED);
			if (p == LM_PROT_NONE && n == 3) {
				/* As before: protect again, or (the copy was kept)
				 * restore_protected takes it as it is. */
				seen_old++;
				if (!res.touched)
					continue;
			} else {
				if (n < -1 || n > 3)
					fail_msg("cut=%d torn=%d: card state %d", cut, torn, n);
				seen_blank += n == -1;
				seen_half += n >= 0;
			}
			for (int i = 0; i < n; i++)
				assert_int_equal(idx[i], which[i]);
			assert_true(res.touched);
			assert_int_equal(k.n, 3);
			t = open_card(f, &info);
			size_t written;
			assert_int_equal(lm_transport_restore_protected(t, &info, holder, code,
									recovery, k.e, 3, &written),
					 LM_OK);
			lm_transport_close(t);
			assert_int_equal(card_state(f, idx), 3);
			assert_int_equal(card_protection(f), LM_PROT_LOCKED);
		}
		assert_true(done);
	}
	assert_true(seen_old > 0 && seen_blank > 0 && seen_half > 0);
	/* Protected already: refused, nothing touched. */
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	struct lm_rewrite_result res;
	assert_int_equal(lm_transport_unlock_code(t, &info, code, NULL), LM_OK);
	assert_int_equal(lm_transport_protect(t, &info, code, recovery, ITER, NULL, NULL, &res),
			 LM_ERR_VERSION);
	assert_int_equal(res.touched, 0);
	uint8_t rec[LM_RECOVERY_LEN];
	assert_int_equal(lm_transport_read_recovery(t, &info, rec), LM_OK);
	assert_memory_equal(rec, recovery, LM_RECOVERY_LEN);
	lm_transport_close(t);
	g_code = NULL;
}

/* card_state with the given code. */
static int state_with(struct fixture *f, const char *code, int idx[16])
{
	const char *saved = g_code;
	g_code = code;
	int n = card_state(f, idx);
	g_code = saved;
	return n;
}

/*
 * A new access code, cut (or torn) at every step: the old card (the old
 * code opens it, the new one does not), blank, or the holder's card under
 * the new code with a prefix of the folder; lm_transport_restore_protected
 * with the copy kept before the wipe and the new code makes it the whole
 * folder under the new code, with the recovery secret it had.  Never a
 * card that neither code opens with entries lost.
 */
static void test_change_code_cut(void **state)
{
	struct fixture *f = *state;
	char code[LM_CODE_TEXT_LEN + 1], code2[LM_CODE_TEXT_LEN + 1];
	uint8_t recovery[LM_RECOVERY_LEN];
	assert_int_equal(lm_code_generate(code), LM_OK);
	assert_int_equal(lm_code_generate(code2), LM_OK);
	const int which[] = {0, 1, 2};
	int seen_old = 0, seen_blank = 0, seen_half = 0, cuts = 0;
	for (int torn = 0; torn <= 1; torn++) {
		int done = 0;
		for (int cut = 0; !done && cut < 100; cut++) {
			protected_card(f, 600, code, which, 3, recovery);
			struct lm_card_info info;
			struct lm_transport *t = open_card(f, &info);
			struct copy k = {.fail_at = -1};
			struct lm_rewrite_result res;
			/* Locked: refused, nothing touched. */
			assert_int_equal(
				lm_transport_change_code(t, &info, code2, 0, keep_copy, &k, &res),
				LM_ERR_LOCKED);
			assert_int_equal(res.touched + k.n, 0);
			assert_int_equal(lm_transport_unlock_code(t, &info, code, NULL), LM_OK);
			lm_transport_fake_fault(t, cut, torn);
			int err = lm_transport_change_code(t, &info, code2, 0, keep_copy, &k, &res);
			lm_transport_close(t);
			int idx[16], n_old = state_with(f, code, idx),
				     n = state_with(f, code2, idx);
			if (err == LM_OK) {
				done = 1;
				assert_int_equal(n, 3);
				assert_int_equal(n_old, -2); /* the old code opens nothing */
				t = open_card(f, &info);
				assert_int_equal(info.header.iterations,
						 ITER); /* the count stayed */
				lm_transport_close(t);
				for (int i = 0; i < 3; i++)
					assert_int_equal(idx[i], which[i]);
			} else {
				assert_int_equal(err, LM_ERR_CARD_REMOVED);
				cuts++;
				if (n_old == 3) {
					/* The old card: the old code still opens it. */
					seen_old++;
					assert_int_equal(n, -2);
					continue; /* change the code again */
				}
				if (n < -1 || n > 3)
					fail_msg("cut=%d torn=%d: old %d new %d", cut, torn, n_old,
						 n);
				seen_blank += n == -1;
				seen_half += n >= 0;
				for (int i = 0; i < n; i++)
					assert_int_equal(idx[i], which[i]);
				assert_true(res.touched);
				assert_int_equal(k.n, 3);
				t = open_card(f, &info);
				size_t written;
				assert_int_equal(lm_transport_restore_protected(t, &info, holder,
										code2, recovery,
										k.e, 3, &written),
						 LM_OK);
				lm_transport_close(t);
				assert_int_equal(state_with(f, code2, idx), 3);
			}
			/* The recovery secret survived (a restore calibrates the count anew). */
			uint8_t raw[600], plain[600], rec[LM_RECOVERY_LEN];
			struct lm_card c;
			read_file(f->path, raw, sizeof(raw));
			assert_int_equal(lm_protect_open_code(raw, sizeof(raw), sizeof(raw), code2,
							      plain, &c, rec, NULL),
					 LM_OK);
			assert_memory_equal(rec, recovery, LM_RECOVERY_LEN);
		}
		assert_true(done);
	}
	printf("change code: %d cuts: %d old, %d blank, %d half\n", cuts, seen_old, seen_blank,
	       seen_half);
	assert_true(seen_old > 0 && seen_blank > 0 && seen_half > 0);
	/* A version 1 card: refused (protect it instead), nothing touched. */
	folder_card(f, 600, which, 1);
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	struct lm_rewrite_result res;
	assert_int_equal(lm_transport_change_code(t, &info, code2, ITER, NULL, NULL, &res),
			 LM_ERR_VERSION);
	assert_int_equal(res.touched, 0);
	lm_transport_close(t);
}

static void test_blocks(void **state)
{
	struct fixture *f = *state;
	struct lm_transport *t;
	assert_int_equal(lm_transport_open(f->spec, &t), LM_OK);
	assert_int_equal(lm_transport_blocks(t), 0);
	lm_transport_close(t);
	if (&lm_transport_pcsc_ops)
		assert_int_equal(lm_transport_pcsc_ops.blocks, 1);
	if (&lm_transport_nfc_ops)
		assert_int_equal(lm_transport_nfc_ops.blocks, 0);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct lm_transport *t;
	assert_int_equal(lm_transport_open("bogus:x", &t), LM_ERR_ARG);
	assert_int_equal(lm_transport_open("fake", &t), LM_ERR_ARG); /* needs a file */
	assert_int_equal(lm_transport_open("fake:/nonexistent/card.img", &t), LM_OK);
	assert_int_equal(lm_transport_wait_card(t, 0), LM_ERR_NO_CARD);
	struct lm_card_info info;
	assert_int_equal(lm_transport_identify(t, &info), LM_ERR_NO_CARD);
	lm_transport_close(t);
	lm_transport_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_append_until_full),
		cmocka_unit_test(test_removed_at_every_step),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_delete_entry),
		cmocka_unit_test(test_delete_cut_at_every_step),
		cmocka_unit_test(test_restore_cut_at_every_step),
		cmocka_unit_test(test_restore_refuses_other_holder),
		cmocka_unit_test(test_protected_read_append),
		cmocka_unit_test(test_protected_format_cut),
		cmocka_unit_test(test_protected_append_cut),
		cmocka_unit_test(test_protected_delete_cut),
		cmocka_unit_test(test_protect_cut),
		cmocka_unit_test(test_change_code_cut),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
