/*
 * test_protect_io.c - protected cards through a transport (lib/src/
 * protect_io.c) on the fake transport's image files: the public header,
 * the authentication seam, reading and decrypting, appending encrypted
 * (nothing in clear, read back), wrong keys, a version 1 card, and an
 * append cut at every card operation (old or new, never less).
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

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_protect.h"
#include "laufmappe/lm_transport.h"
#include "laufmappe/lm_util.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
					      0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0};
static const char code[] = "7K3Q-9WX2-HM4K";
#define CAP 860 /* an NTAG216's image */

struct fixture {
	struct lm_key *key;
	uint8_t entry[3][LM_ENTRY_MAX];
	size_t len[3];
	char path[64], spec[80];
	struct lm_protect_keys keys;
};

static void write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, n, fp), n);
	fclose(fp);
}

static size_t read_file(const char *path, uint8_t *b, size_t max)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	size_t n = fread(b, 1, max, fp);
	fclose(fp);
	return n;
}

/* A fresh protected image file for holder, code, the least iterations. */
static void new_card(struct fixture *f)
{
	uint8_t img[CAP];
	struct lm_protect_plan p;
	memset(img, 0, sizeof(img));
	assert_int_equal(lm_protect_plan_format(CAP, holder, code, NULL, LM_PROTECT_ITER_MIN, &p,
						&f->keys, NULL),
			 LM_OK);
	assert_int_equal(lm_card_apply(img, CAP, &p.card), LM_OK);
	write_file(f->path, img, CAP);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f || lm_key_generate(&f->key))
		return -1;
	for (int i = 0; i < 3; i++) {
		struct lm_entry e;
		lm_entry_init(&e, LM_TYPE_IK, (uint32_t)(20416 + i));
		lm_entry_set_num(&e, 11, 700);
		lm_entry_set_num(&e, 12, 700);
		if (lm_entry_sign(&e, f->key, holder, 0, f->entry[i], LM_ENTRY_MAX, &f->len[i]))
			return -1;
	}
	snprintf(f->path, sizeof(f->path), "/tmp/lm-test-protect-io-%d.img", (int)getpid());
	snprintf(f->spec, sizeof(f->spec), "fake:%s", f->path);
	new_card(f);
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
	assert_int_equal(lm_transport_identify(t, info), LM_OK);
	return t;
}

/* The card's entries through the transport, with f's keys. */
static size_t count_entries(struct fixture *f)
{
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	uint8_t img[CAP];
	size_t len;
	struct lm_card c;
	assert_int_equal(lm_protect_read_image(t, &info, &f->keys, img, &len, &c), LM_OK);
	assert_memory_equal(c.holder, holder, LM_HOLDER_LEN);
	int n = lm_card_count(&c);
	assert_true(n >= 0);
	lm_protect_wipe(img, len);
	lm_transport_close(t);
	return (size_t)n;
}

/* The tap's path: version 1 refuses it, the public header says how to derive. */
static void test_header_and_seam(void **state)
{
	struct fixture *f = *state;
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	uint8_t img[CAP];
	size_t len;
	struct lm_card c;
	assert_int_equal(lm_transport_read_image(t, &info, img, &len, &c), LM_ERR_VERSION);
	struct lm_protect_header h;
	assert_int_equal(lm_protect_read_header(t, &h), LM_OK);
	assert_int_equal(h.iterations, LM_PROTECT_ITER_MIN);
	assert_int_equal(h.committed, 0); /* behind the access control on a tag */
	struct lm_protect_keys k;
	assert_int_equal(lm_protect_derive(code, h.salt, h.iterations, &k), LM_OK);
	assert_int_equal(lm_protect_check(&h, &k), LM_OK);
	assert_memory_equal(&k, &f->keys, sizeof(k));
	int tries = 7;
	assert_int_equal(lm_protect_authenticate(t, &info, &k, &tries), LM_OK);
	assert_int_equal(tries, -1); /* an image file counts nothing */
	/* Another kind of card without its transport's authentication: said so. */
	struct lm_card_info ntag = info;
	ntag.kind = LM_KIND_NTAG216;
	assert_int_equal(lm_protect_authenticate(t, &ntag, &k, &tries), LM_ERR_UNSUPPORTED);
	ntag.kind = LM_KIND_APPLET;
	assert_int_equal(lm_protect_authenticate(t, &ntag, &k, &tries), LM_ERR_UNSUPPORTED);
	/* A wrong code fails the public key check. */
	assert_int_equal(lm_protect_derive("0000-0000-0000", h.salt, h.iterations, &k), LM_OK);
	assert_int_equal(lm_protect_check(&h, &k), LM_ERR_WRONG_CODE);
	assert_int_equal(lm_protect_read_image(t, &info, &k, img, &len, &c), LM_ERR_WRONG_CODE);
	lm_protect_keys_wipe(&k);
	lm_transport_close(t);
	/* A version 1 card: the header reader leaves it to lm_card. */
	uint8_t v1[CAP] = {0};
	lm_card_format(v1, holder);
	write_file(f->path, v1, CAP);
	t = open_card(f, &info);
	assert_int_equal(lm_protect_read_header(t, &h), LM_ERR_VERSION);
	lm_transport_close(t);
	new_card(f);
}

static void test_append_encrypted(void **state)
{
	struct fixture *f = *state;
	struct lm_card_info info;
	struct lm_transport *t = open_card(f, &info);
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			lm_protect_append(t, &info, &f->keys, f->entry[i], f->len[i]), LM_OK);
	lm_transport_close(t);
	assert_int_equal(count_entries(f), 2);
	/* Nothing in clear: no 16 bytes of an entry, no holder id. */
	uint8_t raw[CAP];
	assert_int_equal(read_file(f->path, raw, sizeof(raw)), CAP);
	for (int i = 0; i < 2; i++)
		for (size_t o = 0; o + 16 <= f->len[i]; o += 8)
			assert_null(memmem(raw, CAP, f->entry[i] + o, 16));
	assert_null(memmem(raw, CAP, holder, LM_HOLDER_LEN));
	/* The CLI's path opens what the transport wrote. */
	uint8_t plain[CAP];
	struct lm_card c;
	assert_int_equal(lm_protect_open_code(raw, CAP, CAP, code, plain, &c, NULL, NULL), LM_OK);
	/* Wrong keys write nothing. */
	struct lm_protect_keys bad = f->keys;
	bad.check[0] ^= 1;
	t = open_card(f, &info);
	assert_int_equal(lm_protect_append(t, &info, &bad, f->entry[2], f->len[2]),
			 LM_ERR_WRONG_CODE);
	lm_transport_close(t);
	uint8_t after[CAP];
	read_file(f->path, after, sizeof(after));
	assert_memory_equal(raw, after, CAP);
	/* A version 1 plan is refused on a version 2 card. */
	t = open_card(f, &info);
	assert_int_not_equal(lm_transport_append(t, &info, f->entry[2], f->len[2]), LM_OK);
	lm_transport_close(t);
	read_file(f->path, after, sizeof(after));
	assert_memory_equal(raw, after, CAP);
	new_card(f);
}

/* Cut at every card operation, torn: the card reads with 0 or 1 entries. */
static void test_append_torn(void **state)
{
	struct fixture *f = *state;
	int done = 0;
	for (int n = 0; n < 20 && !done; n++) {
		new_card(f);
		struct lm_card_info info;
		struct lm_transport *t = open_card(f, &info);
		assert_int_equal(lm_transport_fake_fault(t, n, 1), LM_OK);
		int err = lm_protect_append(t, &info, &f->keys, f->entry[0], f->len[0]);
		lm_transport_close(t);
		size_t got = count_entries(f);
		if (err == LM_OK) {
			assert_int_equal(got, 1);
			done = 1;
		} else {
			assert_int_equal(err, LM_ERR_CARD_REMOVED);
			assert_true(got == 0 || got == 1);
		}
	}
	assert_true(done);
	new_card(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_seam),
		cmocka_unit_test(test_append_encrypted),
		cmocka_unit_test(test_append_torn),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
