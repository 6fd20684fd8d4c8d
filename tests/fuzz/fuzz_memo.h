/*
 * fuzz_memo.h - what an office remembers of a card between two reads, as
 * the daemon does (docs/transport.md "Delta reads of a known card"): the
 * fuzz targets that drive the transports offer it to their second read.
 */
#ifndef FUZZ_MEMO_H
#define FUZZ_MEMO_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_transport.h"

struct fuzz_memo {
	int have;
	struct lm_card_known k;
	uint8_t log[LM_CARD_MAX];
	/* The piece callback's contract (lm_transport.h): what it was handed
	 * stays in the image until the read returns, unless a delta read is
	 * called off (opts->delta back to 0, then have = the header's length,
	 * before anything handed over is overwritten). */
	const struct lm_read_opts *opts;
	const uint8_t *img;
	size_t seen;
	uint8_t given[LM_CARD_MAX];
};

/* lm_transport_piece_fn: the bytes handed over earlier are unchanged. */
static void fuzz_memo_piece(void *ctx, const uint8_t *img, size_t have)
{
	struct fuzz_memo *m = ctx;
	if (have > LM_CARD_MAX || (m->img && img != m->img))
		abort();
	m->img = img;
	if (have == LM_CARD_HEADER_LEN && have < m->seen && !m->opts->delta) {
		/* A delta read called off, told before the log is read again. */
		if (memcmp(m->given, img, m->seen))
			abort();
		m->seen = have;
		return;
	}
	if (have < m->seen || memcmp(m->given, img, m->seen))
		abort();
	memcpy(m->given + m->seen, img + m->seen, have - m->seen);
	m->seen = have;
}

/* lm_transport_recall_fn: the memo, for its holder only. */
static int fuzz_memo_recall(void *ctx, const uint8_t holder[LM_HOLDER_LEN],
			    struct lm_card_known *out)
{
	struct fuzz_memo *m = ctx;
	if (!m->have || memcmp(holder, m->k.holder, LM_HOLDER_LEN))
		return LM_ERR_NOT_FOUND;
	*out = m->k;
	return LM_OK;
}

/* Read options *o offering m, the card's log as on the card into raw
 * (LM_CARD_MAX bytes), its pieces checked against their contract. */
static void fuzz_memo_opts(struct fuzz_memo *m, uint8_t *raw, struct lm_read_opts *o)
{
	*o = (struct lm_read_opts){.piece = fuzz_memo_piece,
				   .ctx = m,
				   .recall = fuzz_memo_recall,
				   .recall_ctx = m,
				   .raw = raw};
	m->opts = o;
	m->img = NULL;
	m->seen = 0;
}

/* After a read that gave card c with options o: remember it when the card
 * gave its digest for exactly the log read, forget it otherwise. */
static void fuzz_memo_keep(struct fuzz_memo *m, const struct lm_read_opts *o,
			   const struct lm_card *c)
{
	m->have = o->have_digest && o->raw_len == c->committed;
	if (!m->have)
		return;
	memcpy(m->k.holder, c->holder, LM_HOLDER_LEN);
	memcpy(m->k.digest, o->digest, sizeof(m->k.digest));
	memcpy(m->log, o->raw, c->committed);
	m->k.committed = c->committed;
	m->k.log = m->log;
}

#endif /* FUZZ_MEMO_H */
