/*
 * lm_card.h - the card image: a header and an append-only log of entries.
 *
 *   offset  size  field
 *   0       2     magic "LM"
 *   2       1     format version (1)
 *   3       1     flags (0; bits reserved for the confidentiality layer)
 *   4       2     committed log length, big-endian  } the commit word: one
 *   6       2     its bitwise complement            } atomic 4-byte write
 *   8       16    holder id (random)
 *   24      ...   log: signed entries, each zero-padded to a multiple of 4
 *
 * An append writes the entry (and its padding) after the committed end,
 * then commits with ONE write of the commit word; committed bytes are never
 * rewritten.  A tear at any moment leaves the old commit word (the card
 * reads as before) or the new one (as after).  Parsing is strict, bounded
 * and allocation-free; struct lm_card points into the caller's image.
 */
#ifndef LM_CARD_H
#define LM_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_cose.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_CARD_MAGIC0	   0x4c /* 'L' */
#define LM_CARD_MAGIC1	   0x4d /* 'M' */
#define LM_CARD_VERSION	   1
#define LM_CARD_HEADER_LEN 24
#define LM_CARD_COMMIT_OFF 4
#define LM_CARD_ALIGN	   4
#define LM_CARD_MAX	   65535 /* the largest image the 16-bit commit word can describe */

struct lm_card {
	uint8_t version;
	uint8_t flags;
	uint8_t holder[LM_HOLDER_LEN];
	uint16_t committed; /* bytes of log committed */
	size_t capacity;    /* bytes of the whole image (header included) */
	const uint8_t *log; /* committed log, inside the caller's image */
};

/*
 * Parse an image of capacity bytes (buf holds at least the header and the
 * committed log; len may be less than capacity when only the committed part
 * was read).  LM_ERR_NOT_FORMATTED when there is no Laufmappe header.
 */
int lm_card_parse(const uint8_t *buf, size_t len, size_t capacity, struct lm_card *c);

/* From the header alone: how many bytes must be read to have the log. */
int lm_card_header_need(const uint8_t *hdr, size_t len, size_t *need);

/*
 * Walk the log: *off starts at 0; each call yields the next entry (its
 * exact bytes, padding excluded) and returns LM_OK, or returns 1 at the
 * end, or an error where the log's framing is damaged (entries before that
 * point were yielded).  Entries themselves are checked by lm_trust_verify.
 */
int lm_card_next(const struct lm_card *c, size_t *off, const uint8_t **entry, size_t *len);

/* Number of entries (or a negative error if the framing is damaged). */
int lm_card_count(const struct lm_card *c);

/*
 * Find the one entry whose id (the SHA-256 of its bytes, lm_sha256) begins
 * with the id_len bytes of id (1..32; 32 = the whole id).  On LM_OK, *from
 * is the entry's offset in the log and *to the offset after it and its
 * padding (so the log without it is [0, from) + [to, committed)), and
 * full, when not NULL, receives the whole id.  LM_ERR_NOT_FOUND when no
 * entry's id begins so; LM_ERR_AMBIGUOUS when more than one does (give more
 * of the id); a framing error when the log is damaged anywhere (a later
 * entry might match too).  Byte-identical copies of one entry are one entry
 * (the span is the first copy's).  LM_ERR_CRYPTO passes up from hashing.
 */
int lm_card_find(const struct lm_card *c, const uint8_t *id, size_t id_len, size_t *from,
		 size_t *to, uint8_t full[32]);

/* A signed entry's bytes in card form (no holder hint), e.g. a caller's copy. */
struct lm_card_entry {
	const uint8_t *data;
	size_t len;
};

/* Write a fresh header (empty log) for holder into hdr[LM_CARD_HEADER_LEN]. */
void lm_card_format(uint8_t hdr[LM_CARD_HEADER_LEN], const uint8_t holder[LM_HOLDER_LEN]);

/* Free bytes for entries (including padding). */
size_t lm_card_free(const struct lm_card *c);

struct lm_card_write {
	uint32_t off;	     /* image offset */
	const uint8_t *data; /* points into the plan or the caller's entry */
	uint32_t len;
};

/*
 * The writes of one append, in order: the entry, its padding (if any),
 * then the commit word.  The last write is the commit: a transport must
 * finish the others before it starts that one.
 */
struct lm_card_plan {
	struct lm_card_write w[3];
	size_t n;
	uint8_t pad[LM_CARD_ALIGN];
	uint8_t commit[4];
	uint16_t new_committed;
};

/*
 * Plan appending one signed entry.  LM_ERR_CARD_FULL (and nothing planned)
 * when it does not fit; the entry must not carry a holder hint.
 */
int lm_card_plan_append(const struct lm_card *c, const uint8_t *entry, size_t len,
			struct lm_card_plan *plan);

/*
 * The applet's log digest (docs/applet.md "Log digest"), one step:
 * out = SHA-256(in || bytes[0..len)).  A desk chains it over each entry
 * with its padding, as the applet does over each commit of one entry; in
 * and out may be the same.  LM_ERR_CRYPTO passes up.
 */
int lm_card_chain(const uint8_t in[32], const uint8_t *bytes, size_t len, uint8_t out[32]);

/*
 * What an office holds of a card it read before (docs/transport.md "Delta
 * reads of a known card"): the holder, the committed log it read (its
 * length and bytes as on the card: a protected card's ciphertext) and the
 * card's log digest for exactly that length.
 */
struct lm_card_known {
	uint8_t holder[LM_HOLDER_LEN];
	uint16_t committed;
	uint8_t digest[32];
	const uint8_t *log; /* committed bytes */
};

/* Apply a plan to an in-memory image (image files, tests). */
int lm_card_apply(uint8_t *img, size_t capacity, const struct lm_card_plan *plan);

#ifdef __cplusplus
}
#endif

#endif /* LM_CARD_H */
