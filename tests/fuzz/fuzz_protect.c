/*
 * fuzz_protect.c - protected card images (lm_protect.h): the version 2
 * header, the decrypting reader and the append planner, plus the access
 * code and recovery line parsers.
 *
 * The keys are derived once, from a fixed code and salt with the smallest
 * count (the known-answer keys of tests/unit/test_protect.c), so the slow
 * derivation is not fuzzed over and over.  The first input byte picks:
 *   0: the rest is a card image as read from a card: opened with the fixed
 *      keys (a mutated salt or check is a wrong code), then with keys made
 *      to pass this header's check, so the decryption and the log walk of
 *      any ciphertext are reached too;
 *   1: the rest is a PLAINTEXT version 2 image: the harness encrypts it
 *      under the fixed keys and writes their salt and check, so mutations
 *      steer the decrypted log itself; it must decrypt to exactly the
 *      input, and an append planned on it must reopen with one more entry;
 *   2: the rest is text for lm_code_parse and lm_protect_recovery_parse;
 *   3: the rest is a card's memory behind a transport (lm_transport.h) whose
 *      reads answer from it: identify, unlock with keys made to pass its
 *      check, then the transports' decrypting reader (read_image, which
 *      reads the header, then as much log as the commit word says),
 *      lm_protect_read_header / lm_protect_read_image, the recovery secret,
 *      and an append planned, written and read back on it.  The card keeps
 *      a log digest as our applet does (SHA-256 chained over what each
 *      write of the commit word adds), so the read after the append is a
 *      delta read of the log the first read gave (docs/transport.md): the
 *      new ciphertext decrypted, walked and chained; when it is taken, the
 *      image must be the one a whole read gives.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"
#include "fuzz_memo.h"
#include "lm_crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct lm_protect_keys keys;
static int have_keys;

static const struct lm_protect_keys *fixed_keys(void)
{
	if (!have_keys) {
		uint8_t salt[LM_PROTECT_SALT_LEN];
		for (int i = 0; i < LM_PROTECT_SALT_LEN; i++)
			salt[i] = (uint8_t)i;
		if (lm_protect_derive("7K3Q-9WX2-HM4K", salt, LM_PROTECT_ITER_MIN, &keys) != LM_OK)
			abort();
		have_keys = 1;
	}
	return &keys;
}

/* Walk the log; every entry inside the committed part. */
static int walk(const struct lm_card *c)
{
	size_t off = 0, len, total = 0;
	const uint8_t *e;
	int n = 0;
	while (lm_card_next(c, &off, &e, &len) == LM_OK) {
		if (e < c->log || e + len > c->log + c->committed)
			abort();
		total += len;
		n++;
	}
	if (total > c->committed)
		abort();
	return n;
}

static void ciphertext(const uint8_t *data, size_t size)
{
	size_t cap = size > LM_CARD_MAX ? LM_CARD_MAX : size, need;
	if (lm_protect_header_need(data, cap, &need) != LM_OK || need > cap)
		return;
	uint8_t *plain = malloc(cap);
	if (!plain)
		return;
	struct lm_card c;
	if (lm_protect_open(data, need, cap, fixed_keys(), plain, &c, NULL) == LM_OK)
		walk(&c);
	/* Keys that pass this header's check: the reader past it, on noise. */
	struct lm_protect_header h;
	struct lm_protect_keys k = *fixed_keys();
	if (lm_protect_header_parse(data, cap, &h) != LM_OK)
		abort(); /* header_need accepted it */
	memcpy(k.ctr, h.salt, sizeof(k.ctr));
	memcpy(k.check, h.check, sizeof(k.check));
	if (lm_protect_open(data, need, cap, &k, plain, &c, NULL) != LM_OK)
		abort();
	walk(&c);
	free(plain);
}

static void plaintext(const uint8_t *data, size_t size)
{
	size_t cap = size > LM_CARD_MAX ? LM_CARD_MAX : size;
	if (cap < LM_PROTECT_HEADER_LEN)
		return;
	const struct lm_protect_keys *k = fixed_keys();
	uint8_t *img = malloc(cap), *plain = malloc(cap);
	struct lm_protect_plan *plan = malloc(sizeof(*plan));
	if (!img || !plain || !plan)
		goto out;
	memcpy(img, data, cap);
	memcpy(img + 4, k->ctr, sizeof(k->ctr));
	memcpy(img + 22, k->check, LM_PROTECT_CHECK_LEN);
	if (lm_aes128_ctr_at(k->image, k->ctr, LM_PROTECT_HOLDER_OFF, img + LM_PROTECT_HOLDER_OFF,
			     cap - LM_PROTECT_HOLDER_OFF) != LM_OK)
		abort();
	struct lm_card c;
	if (lm_protect_open(img, cap, cap, k, plain, &c, NULL) != LM_OK)
		goto out;
	size_t end = LM_PROTECT_HEADER_LEN + c.committed;
	if (memcmp(plain + LM_PROTECT_HOLDER_OFF, data + LM_PROTECT_HOLDER_OFF,
		   end - LM_PROTECT_HOLDER_OFF) != 0)
		abort(); /* decrypted to something else than what was encrypted */
	int n = walk(&c);
	/* Append the first entry again: the plan reopens with one more. */
	size_t off = 0, len;
	const uint8_t *e;
	uint8_t first[LM_ENTRY_MAX];
	if (n > 0 && lm_card_count(&c) == n && /* the log walks cleanly */
	    lm_card_next(&c, &off, &e, &len) == LM_OK && len <= sizeof(first)) {
		memcpy(first, e, len);
		if (lm_protect_plan_append(&c, k, first, len, plan) == LM_OK) {
			if (plan->card.w[plan->card.n - 1].off != LM_PROTECT_COMMIT_OFF)
				abort(); /* the commit word is not the last write */
			if (lm_card_apply(img, cap, &plan->card) != LM_OK ||
			    lm_protect_open(img, cap, cap, k, plain, &c, NULL) != LM_OK ||
			    lm_card_count(&c) != n + 1)
				abort();
		}
	}
out:
	free(plan);
	free(plain);
	free(img);
}

static void text(const uint8_t *data, size_t size)
{
	char s[256], canon[LM_CODE_LEN + 1], shown[LM_CODE_TEXT_LEN + 1];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	if (lm_code_parse(s, canon) == LM_OK) {
		lm_code_display(canon, shown);
		char again[LM_CODE_LEN + 1];
		if (lm_code_parse(shown, again) != LM_OK || strcmp(again, canon) != 0)
			abort();
	}
	uint8_t holder[LM_HOLDER_LEN], secret[LM_RECOVERY_LEN], h2[LM_HOLDER_LEN],
		s2[LM_RECOVERY_LEN];
	if (lm_protect_recovery_parse(s, holder, secret) == LM_OK) {
		char line[LM_RECOVERY_TEXT_LEN + 1];
		lm_protect_recovery_text(holder, secret, line);
		if (lm_protect_recovery_parse(line, h2, s2) != LM_OK ||
		    memcmp(h2, holder, sizeof(h2)) || memcmp(s2, secret, sizeof(s2)))
			abort();
	}
}

/* ---- mode 3: a card in RAM behind the transport interface ---------------- */

struct ramcard {
	uint8_t *mem;
	size_t size;
	uint8_t digest[32]; /* over the committed log, as the applet's GET DATA 0004 */
};

/* The commit word of a version 2 image (offset 24), or 0. */
static size_t committed_of(const struct ramcard *r)
{
	if (r->size < LM_PROTECT_HEADER_LEN)
		return 0;
	unsigned n = (unsigned)r->mem[24] << 8 | r->mem[25];
	unsigned c = (unsigned)r->mem[26] << 8 | r->mem[27];
	return (n ^ c) == 0xFFFF && n <= r->size - LM_PROTECT_HEADER_LEN ? n : 0;
}

static int ram_digest(struct lm_transport *t, uint16_t *covered, uint8_t digest[32])
{
	struct ramcard *r = t->priv;
	*covered = (uint16_t)committed_of(r);
	memcpy(digest, r->digest, 32);
	return LM_OK;
}

static int ram_identify(struct lm_transport *t, struct lm_card_info *info)
{
	struct ramcard *r = t->priv;
	info->kind = LM_KIND_IMAGE;
	info->capacity = r->size;
	return LM_OK;
}

static int ram_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	struct ramcard *r = t->priv;
	if (off > r->size || len > r->size - off)
		return LM_ERR_MALFORMED; /* the transport must never ask beyond the card */
	memcpy(buf, r->mem + off, len);
	return LM_OK;
}

static int ram_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	struct ramcard *r = t->priv;
	size_t a = committed_of(r);
	for (size_t i = 0; i < n; i++) {
		if (w[i].off > r->size || w[i].len > r->size - w[i].off)
			abort(); /* a plan beyond the capacity identify gave */
		memcpy(r->mem + w[i].off, w[i].data, w[i].len);
	}
	/* The applet's rule: what the commit grew the log by is chained. */
	size_t b = committed_of(r);
	if (b > a)
		lm_card_chain(r->digest, r->mem + LM_PROTECT_HEADER_LEN + a, b - a, r->digest);
	else if (b < a)
		memset(r->digest, 0, sizeof(r->digest));
	return LM_OK;
}

static int ram_wipe(struct lm_transport *t)
{
	struct ramcard *r = t->priv;
	memset(r->mem, 0, r->size);
	return LM_OK;
}

static const struct lm_transport_ops ram_ops = {
	.name = "fuzz-ram",
	.identify = ram_identify,
	.read = ram_read,
	.write = ram_write,
	.wipe = ram_wipe,
	.digest = ram_digest,
};

/* Read through the transport offering m; remember what was read. */
static int read_remember(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			 size_t *len, struct lm_card *c, struct fuzz_memo *m, int *delta)
{
	static uint8_t raw[LM_CARD_MAX];
	struct lm_read_opts o;
	fuzz_memo_opts(m, raw, &o);
	int err = lm_transport_read_image_ex(t, info, img, len, c, &o);
	*delta = !err && o.delta;
	if (!err)
		fuzz_memo_keep(m, &o, c);
	return err;
}

/* An entry as a card carries it (a COSE_Sign1 without a holder hint: the
 * append checks the structure, not the signature): ES256, an 8-byte kid,
 * payload {1: 2}, a zero signature. */
static uint8_t tiny_entry[2 + 13 + 1 + 4 + 2 + 64] = {
	0x84, 0x4D, 0xA2, 0x01, 0x26, 0x04, 0x48, 1, 2, 3, 4, 5, 6, 7, 8, /* protected */
	0xA0,				  /* unprotected {} */
	0x43, 0xA1, 0x01, 0x02,		  /* payload {1: 2} */
	0x58, 0x40,			  /* signature: 64 zero bytes */
};

static void through_transport(const uint8_t *data, size_t size)
{
	size_t cap = size > LM_CARD_MAX ? LM_CARD_MAX : size;
	struct ramcard r = {malloc(cap ? cap : 1), cap, {0}};
	uint8_t *img = malloc(cap ? cap : 1), *whole = malloc(cap ? cap : 1);
	static struct fuzz_memo memo;
	memo.have = 0;
	int delta;
	if (!r.mem || !img || !whole)
		goto out;
	memcpy(r.mem, data, cap);
	struct lm_transport t = {.ops = &ram_ops, .priv = &r};
	struct lm_card_info info;
	if (lm_transport_identify(&t, &info) != LM_OK || info.protection != LM_PROT_LOCKED)
		goto out;
	size_t len;
	struct lm_card c;
	if (lm_transport_read_image(&t, &info, img, &len, &c) != LM_ERR_LOCKED)
		abort(); /* a protected card read without a session */
	struct lm_protect_header h;
	if (lm_protect_read_header(&t, &h) != LM_OK)
		abort(); /* identify parsed the same 24 bytes */
	struct lm_protect_keys k = *fixed_keys();
	memcpy(k.ctr, h.salt, sizeof(k.ctr));
	memcpy(k.check, h.check, sizeof(k.check));
	if (lm_transport_unlock(&t, &info, &k, NULL) != LM_OK)
		abort(); /* keys made to pass the check; an image has no access control */
	int n0 = -1;
	if (read_remember(&t, &info, img, &len, &c, &memo, &delta) == LM_OK) {
		if (len > cap || c.committed + (size_t)LM_PROTECT_HEADER_LEN != len || delta)
			abort();
		walk(&c);
		n0 = lm_card_count(&c);
	}
	if (lm_protect_read_image(&t, &info, &k, img, &len, &c) == LM_OK)
		walk(&c);
	uint8_t rec[LM_RECOVERY_LEN];
	(void)lm_transport_read_recovery(&t, &info, rec);
	/* An append: written, read back and compared by the transport; then
	 * read as a returning card (a delta read), which must equal a whole read. */
	if (lm_transport_append(&t, &info, tiny_entry, sizeof(tiny_entry)) == LM_OK && n0 >= 0) {
		if (lm_transport_read_image(&t, &info, whole, &len, &c) != LM_OK ||
		    lm_card_count(&c) != n0 + 1)
			abort();
		size_t dlen;
		int had = memo.have;
		if (read_remember(&t, &info, img, &dlen, &c, &memo, &delta) != LM_OK ||
		    dlen != len || memcmp(img, whole, len) || (had && !delta))
			abort();
	}
	lm_transport_disconnect(&t); /* the session's keys wiped */
out:
	free(whole);
	free(img);
	free(r.mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0: ciphertext(data + 1, size - 1); break;
	case 1: plaintext(data + 1, size - 1); break;
	case 3: through_transport(data + 1, size - 1); break;
	default: text(data + 1, size - 1); break;
	}
	return 0;
}
