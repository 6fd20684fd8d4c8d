/*
 * lm_protect.h - protected cards (format version 2): the holder's access
 * code, the keys derived from it, and the encrypted card image.
 *
 * A protected card is read only with the access code printed on its
 * sticker and on the holder's copy (docs/format.md, "Format version 2").
 *
 *   offset  size  field                                        clear/enc
 *   0       2     magic "LM"                                   clear  } public:
 *   2       1     format version (2)                           clear  } readable
 *   3       1     flags (0; unknown bits are refused)          clear  } without
 *   4       16    salt (random, new at every format)           clear  } the code
 *   20      2     PBKDF2 iterations / 1024, big-endian         clear  }
 *   22      2     key check (HKDF label "LM2 check")           clear  }
 *   24      2     committed log length, big-endian     } the commit word: clear,
 *   26      2     its bitwise complement               } one atomic 4-byte write
 *   28      16    holder id                                    AES-128-CTR
 *   44      16    recovery secret (random, kept over rewrites) AES-128-CTR
 *   60      ...   log: signed entries, each zero-padded to 4   AES-128-CTR
 *
 * The key stream byte for image offset o is byte o % 16 of
 * AES-128(image key, salt[0..11] || be32(o / 16)): a byte's cipher depends
 * on its offset alone, so an append encrypts independently of what is
 * already on the card, a tear leaves old or new exactly as in version 1
 * (lm_card.h), and no byte is added per entry.  On NTAG tags the public
 * part (24 bytes, 6 pages) stays readable; from the commit word on, the
 * tag wants PWD_AUTH (AUTH0 = the commit word's page).
 *
 * Keys: master = PBKDF2-HMAC-SHA256(code, salt, iterations, 32 bytes);
 * every key is HKDF-SHA256(salt, master, "LM2 " label): "image" (AES-128
 * key, 16), "ntag pwd" (4), "ntag pack" (2), "applet" (16), "check" (2).
 *
 * Parsing is strict, bounded and allocation-free, like lm_card_parse; a
 * version 1 image is never touched by anything here (lm_card.h reads it).
 */
#ifndef LM_PROTECT_H
#define LM_PROTECT_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_entry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LM_PROTECT_VERSION    2
#define LM_PROTECT_PUBLIC_LEN 24 /* readable without the code */
#define LM_PROTECT_COMMIT_OFF 24
#define LM_PROTECT_HOLDER_OFF 28
#define LM_PROTECT_HEADER_LEN 60 /* the log starts here */
#define LM_PROTECT_SALT_LEN   16
#define LM_PROTECT_CHECK_LEN  2
#define LM_RECOVERY_LEN	      16
#define LM_PROTECT_ITER_UNIT  1024u
#define LM_PROTECT_ITER_MIN   (16u * LM_PROTECT_ITER_UNIT)    /* 16384 */
#define LM_PROTECT_ITER_MAX   (65535u * LM_PROTECT_ITER_UNIT) /* 67107840 */

/* ---- The access code ---------------------------------------------------
 *
 * 11 characters of Crockford's base32 (0-9 A-Z without I L O U: 55 bits)
 * and Crockford's check character (the 55-bit number mod 37), shown in
 * three groups of four: "7K3Q-9WX2-HM4T".  Codes whose check value would
 * be one of Crockford's five extra symbols (* ~ $ = U) are never made, so
 * every character a holder sees is a letter or a digit; that leaves
 * 2^55 * 32/37, about 2^54.8, codes.  The check catches every single
 * wrong character and every swap of two neighbours before any slow
 * derivation is spent on a typo.
 */
#define LM_CODE_LEN	 12 /* canonical: 12 characters, no separators */
#define LM_CODE_TEXT_LEN 14 /* shown: "XXXX-XXXX-XXXX" */

/* A new access code from lm_random, as shown (NUL-terminated). LM_ERR_RNG. */
int lm_code_generate(char text[LM_CODE_TEXT_LEN + 1]);

/*
 * Normalise what someone typed: case folded, I and L read as 1, O as 0,
 * spaces, dashes and dots skipped.  canon gets the 12 canonical characters
 * (NUL-terminated), which is what the key derivation uses.  LM_ERR_BAD_VALUE
 * for a character outside the alphabet or the wrong number of characters;
 * LM_ERR_CODE_TYPO when the check character does not match (a typo, not a
 * wrong code).  canon may be NULL.
 */
int lm_code_parse(const char *typed, char canon[LM_CODE_LEN + 1]);

/* The canonical code shown in groups: "XXXX-XXXX-XXXX". */
void lm_code_display(const char canon[LM_CODE_LEN + 1], char text[LM_CODE_TEXT_LEN + 1]);

/* ---- The public header and the keys ------------------------------------ */

struct lm_protect_header {
	uint8_t flags;
	uint32_t iterations; /* PBKDF2 count, a multiple of LM_PROTECT_ITER_UNIT */
	uint8_t salt[LM_PROTECT_SALT_LEN];
	uint8_t check[LM_PROTECT_CHECK_LEN];
	uint16_t committed; /* bytes of log committed */
};

/* 1 when buf starts like a version 2 image (magic and version), else 0. */
int lm_protect_is_v2(const uint8_t *buf, size_t len);

/*
 * Parse the clear part (the first LM_PROTECT_HEADER_LEN bytes suffice, the
 * first 28 are read).  LM_ERR_NOT_FORMATTED without the magic,
 * LM_ERR_VERSION for another version, LM_ERR_UNSUPPORTED for an unknown
 * flag, LM_ERR_BAD_VALUE for iterations outside [MIN, MAX], LM_ERR_MALFORMED
 * for a commit word whose complement does not match or a length not a
 * multiple of 4.
 */
int lm_protect_header_parse(const uint8_t *buf, size_t len, struct lm_protect_header *h);

/*
 * Parse the public part alone (the first LM_PROTECT_PUBLIC_LEN = 24 bytes,
 * all that a protected card shows before it is unlocked): the same checks
 * as lm_protect_header_parse without the commit word; h->committed is 0.
 * Enough to derive the keys and run lm_protect_check.
 */
int lm_protect_public_parse(const uint8_t *buf, size_t len, struct lm_protect_header *h);

/* From the header alone: how many bytes must be read to have the log. */
int lm_protect_header_need(const uint8_t *buf, size_t len, size_t *need);

/* Every key of one card, derived from its code and salt.  Secret: wipe it. */
struct lm_protect_keys {
	uint8_t image[16];		     /* AES-128 key of the image */
	uint8_t ntag_pwd[4];		     /* NTAG21x PWD (pages PWD, sent by PWD_AUTH) */
	uint8_t ntag_pack[2];		     /* NTAG21x PACK (the tag's answer to PWD_AUTH) */
	uint8_t applet[16];		     /* the applet's VERIFY reference value */
	uint8_t check[LM_PROTECT_CHECK_LEN]; /* the header's key check */
	uint8_t ctr[12];		     /* the counter prefix: salt[0..11] (public) */
};

/*
 * Derive every key from a typed code (normalised with lm_code_parse, so a
 * typo is LM_ERR_CODE_TYPO before any slow work), the card's salt and its
 * iteration count (within [MIN, MAX], else LM_ERR_BAD_VALUE).  Costs one
 * PBKDF2 run: about 100 ms at the calibrated count.
 */
int lm_protect_derive(const char *code, const uint8_t salt[LM_PROTECT_SALT_LEN],
		      uint32_t iterations, struct lm_protect_keys *k);

/*
 * LM_OK when the keys open this header, else LM_ERR_WRONG_CODE (constant
 * time).  A 2-byte check: one wrong code in 65,536 passes it, and the card
 * then reads as damaged (noise), never as another folder.  The NTAG and
 * applet paths must call this BEFORE sending PWD_AUTH or VERIFY, so a
 * forged public header never gets a password onto the air or burns a try.
 */
int lm_protect_check(const struct lm_protect_header *h, const struct lm_protect_keys *k);

/* Overwrite the keys (call it as soon as they are no longer needed). */
void lm_protect_keys_wipe(struct lm_protect_keys *k);
/* Overwrite any buffer that held a code, a key or decrypted card bytes. */
void lm_protect_wipe(void *p, size_t len);

/*
 * Calibrate the iteration count: about target_ms of PBKDF2 on one core of
 * this machine (thread CPU time, the fastest of three probes, so a busy
 * machine does not calibrate low), rounded to LM_PROTECT_ITER_UNIT and
 * clamped to [MIN, MAX].  Takes about 100 ms of probes.  Used at format time; the count is stored
 * on the card, so a slower desk still reads it (more slowly).
 */
int lm_protect_calibrate(unsigned target_ms, uint32_t *iterations);

/* ---- Reading ------------------------------------------------------------ */

/*
 * Open a protected image: parse the public header, check the keys
 * (LM_ERR_WRONG_CODE, also for keys of another salt), decrypt into plain
 * (room for len bytes; the header and the committed log are written;
 * plain == img decrypts in place), and fill *c exactly as lm_card_parse does for version 1
 * (c->version 2, holder, committed, capacity, log pointing into plain), so
 * lm_card_next, lm_card_count, lm_card_free and lm_trust_verify work
 * unchanged.  img holds at least the header and the committed log (len may
 * be less than capacity).  recovery (may be NULL) gets the recovery secret.
 * Errors as lm_protect_header_parse, and LM_ERR_ARG as lm_card_parse.
 * Nothing is allocated; plain holds secrets: wipe it after use.
 */
int lm_protect_open(const uint8_t *img, size_t len, size_t capacity,
		    const struct lm_protect_keys *k, uint8_t *plain, struct lm_card *c,
		    uint8_t recovery[LM_RECOVERY_LEN]);

/*
 * The same from a typed code: parse the header, derive (one PBKDF2 run),
 * open, wipe the keys; keys (may be NULL) keeps them for a later append.
 */
int lm_protect_open_code(const uint8_t *img, size_t len, size_t capacity, const char *code,
			 uint8_t *plain, struct lm_card *c, uint8_t recovery[LM_RECOVERY_LEN],
			 struct lm_protect_keys *keys);

/* ---- Writing ------------------------------------------------------------ */

/*
 * The writes of one format or append, in order, as for version 1: the
 * commit word is the last write (card.w[card.n - 1]); a transport writes
 * card.w[0..n) with its usual write op and lm_card_apply applies it to an
 * in-memory image.  The writes point into this struct: do not copy it.
 */
struct lm_protect_plan {
	struct lm_card_plan card;
	uint8_t data[LM_ENTRY_MAX + LM_CARD_ALIGN]; /* the bytes to write, encrypted */
};

/*
 * Plan a fresh protected image for holder on a card of capacity bytes:
 * a new salt, keys from code (a code lm_code_parse accepts: a new one from
 * lm_code_generate, or the holder's code when a folder is rewritten) at
 * iterations, and the recovery secret given (carried over by rewrites and
 * restores) or, if recovery is NULL, a new one.  The writes: the public
 * header, the encrypted holder id and recovery secret, then the commit word
 * of an empty log.  keys and recovery_out (may be NULL) get the keys and
 * the secret.  LM_ERR_CARD_FULL when capacity cannot hold the header.
 */
int lm_protect_plan_format(size_t capacity, const uint8_t holder[LM_HOLDER_LEN], const char *code,
			   const uint8_t recovery[LM_RECOVERY_LEN], uint32_t iterations,
			   struct lm_protect_plan *plan, struct lm_protect_keys *keys,
			   uint8_t recovery_out[LM_RECOVERY_LEN]);

/*
 * Plan appending one signed entry (card form, no holder hint) to a card
 * opened with lm_protect_open and the same keys: the entry and its zero
 * padding encrypted at their offset (one write), then the commit word.
 * LM_ERR_CARD_FULL (nothing planned) when it does not fit.
 */
int lm_protect_plan_append(const struct lm_card *c, const struct lm_protect_keys *k,
			   const uint8_t *entry, size_t len, struct lm_protect_plan *plan);

/* ---- The holder's recovery line ----------------------------------------
 *
 * "LMR1:" HOLDER ":" SECRET: the holder id in 32 lower-case hex digits,
 * the recovery secret in base64url without padding (22 characters).
 */
#define LM_RECOVERY_TEXT_LEN (5 + 32 + 1 + 22)

void lm_protect_recovery_text(const uint8_t holder[LM_HOLDER_LEN],
			      const uint8_t secret[LM_RECOVERY_LEN],
			      char out[LM_RECOVERY_TEXT_LEN + 1]);
/* Read a recovery line (surrounding white space allowed); LM_ERR_MALFORMED. */
int lm_protect_recovery_parse(const char *text, uint8_t holder[LM_HOLDER_LEN],
			      uint8_t secret[LM_RECOVERY_LEN]);

/* ---- Through a transport (lib/src/protect_io.c) ------------------------
 *
 * What a reader of protected cards does with lm_transport.h's public
 * functions: look at the public header, have the card check the keys,
 * read and decrypt, append encrypted.  The order on every card:
 *   lm_protect_read_header, lm_protect_derive, lm_protect_check (local:
 *   a wrong code never reaches the card and burns no try),
 *   lm_protect_authenticate (the card's own check and retry counter),
 *   lm_protect_read_image / lm_protect_append.
 */
struct lm_transport;
struct lm_card_info;

/*
 * Read the public part of the header (LM_PROTECT_PUBLIC_LEN bytes: all
 * that an NTAG shows before PWD_AUTH) and parse it.  h->committed is 0:
 * the commit word lies behind the card's access control; it is read by
 * lm_protect_read_image.  LM_ERR_VERSION for a version 1 card, else as
 * lm_protect_header_parse, and transport errors.
 */
int lm_protect_read_header(struct lm_transport *t, struct lm_protect_header *h);

/*
 * THE SEAM for the cards' own access control: ask the card on t to accept
 * the keys (call only after lm_protect_check passed).
 *   image files (LM_KIND_IMAGE): nothing to ask (the key check again);
 *     LM_OK, *tries_left -1.
 *   NTAG21x: PWD_AUTH with k->ntag_pwd, compare the PACK with
 *     k->ntag_pack; AUTHLIM counts the failures (docs/format.md 8.9).
 *   applet: VERIFY (INS 20) with k->applet; 63Cx: x tries left, 6983:
 *     blocked (8.10).
 * Every kind goes through lm_transport_unlock: the transport's session
 * then holds the keys (lm_transport_read_image_ex reads the card).
 * Returns LM_OK (the card now reads and writes for this session),
 * LM_ERR_WRONG_CODE with *tries_left (-1 when the card keeps no count),
 * LM_ERR_BLOCKED (no more tries: restore the folder onto a new card),
 * LM_ERR_UNSUPPORTED while a card kind's transport has no authentication
 * yet, and transport errors.  *tries_left is -1 unless the card said.
 */
int lm_protect_authenticate(struct lm_transport *t, const struct lm_card_info *info,
			    const struct lm_protect_keys *k, int *tries_left);

/*
 * Read a protected card's image (the header, then exactly the committed
 * log) into img (info->capacity bytes) and open it with k in place: img
 * then holds the plaintext (wipe it after use) and *card points into it,
 * as lm_transport_read_image does for version 1.  *len: the bytes read.
 * LM_ERR_WRONG_CODE for keys of another card; errors as lm_protect_open.
 */
int lm_protect_read_image(struct lm_transport *t, const struct lm_card_info *info,
			  const struct lm_protect_keys *k, uint8_t *img, size_t *len,
			  struct lm_card *card);

/*
 * Append one signed entry (card form, no holder hint) to the protected
 * card on t, encrypted, as lm_transport_append does for version 1: read
 * and open, lm_protect_plan_append, write (the commit word last), then
 * read the ciphertext back and compare it with what was planned.
 * LM_ERR_CARD_FULL (nothing written), LM_ERR_READBACK.  No plaintext of
 * the card is left in memory.
 */
int lm_protect_append(struct lm_transport *t, const struct lm_card_info *info,
		      const struct lm_protect_keys *k, const uint8_t *entry, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LM_PROTECT_H */
