/*
 * test_transport.c - the backend-independent transport code over the fake
 * (image file) backend: format, append with read-back, full card, and a
 * card leaving the field (or tearing) at every operation of an append.
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
#include "laufmappe/lm_transport.h"

static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2};

struct fixture {
	char path[64];
	char spec[80];
	struct lm_key *key;
	uint8_t entry[LM_ENTRY_MAX];
	size_t entry_len;
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
			assert_int_equal(lm_transport_append(t, &info, f->entry, f->entry_len), LM_OK);
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
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
