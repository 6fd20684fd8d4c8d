/*
 * fuzz_card.c - card image parsing and the log walk, as a reader sees an
 * image: the header, then only the committed bytes; then an append planned
 * on it, as every transport plans one.
 *
 * Input: a card image of size bytes (the capacity, at most LM_CARD_MAX).
 * The bytes after the committed log are the card's free space; they are
 * also taken as the entry to append (at most LM_ENTRY_MAX of them).
 * Checks (abort on failure): every entry lies inside the committed log;
 * when the log walks cleanly and the plan succeeds, the image with the plan
 * applied parses, walks to the same entries followed by exactly the new
 * one, and the plan's writes end with the commit word.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"
#include "laufmappe/lm_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

/* Walk the log; returns the number of entries, or -1 when the framing is damaged. */
static int walk(const struct lm_card *c)
{
	size_t off = 0, len, total = 0;
	const uint8_t *e;
	int n = 0, err;
	while ((err = lm_card_next(c, &off, &e, &len)) == LM_OK) {
		check(e >= c->log && e + len <= c->log + c->committed); /* inside the log */
		total += len;
		n++;
	}
	check(total <= c->committed);
	return err == 1 ? n : -1;
}

/* Plan appending entry to c (parsed from data), apply it to a copy, check the result. */
static void check_append(const uint8_t *data, size_t cap, const struct lm_card *c, int n,
			 const uint8_t *entry, size_t elen)
{
	static uint8_t img[LM_CARD_MAX];
	struct lm_card_plan plan;
	struct lm_card after;
	if (lm_card_plan_append(c, entry, elen, &plan) != LM_OK)
		return;
	check(plan.n >= 2 && plan.w[plan.n - 1].off == LM_CARD_COMMIT_OFF &&
	      plan.w[plan.n - 1].len == 4);
	memcpy(img, data, cap);
	check(lm_card_apply(img, cap, &plan) == LM_OK);
	check(lm_card_parse(img, cap, cap, &after) == LM_OK &&
	      after.committed == plan.new_committed && walk(&after) == n + 1);
	size_t off = 0, len = 0;
	const uint8_t *e = NULL;
	for (int i = 0; i <= n; i++)
		check(lm_card_next(&after, &off, &e, &len) == LM_OK);
	check(len == elen && memcmp(e, entry, elen) == 0); /* the last one is ours */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t need, cap = size > LM_CARD_MAX ? LM_CARD_MAX : size;
	if (lm_card_header_need(data, size, &need) != LM_OK || need > cap)
		return 0;
	struct lm_card c;
	if (lm_card_parse(data, need, cap, &c) != LM_OK)
		return 0;
	int n = walk(&c);
	if (n >= 0)
		check_append(data, cap, &c, n, data + need,
			     cap - need > LM_ENTRY_MAX ? LM_ENTRY_MAX : cap - need);
	return 0;
}
