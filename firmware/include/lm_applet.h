/*
 * lm_applet.h - the Laufmappe card applet (ISO 7816-4), portable C99.
 *
 * The applet keeps the card image (a 24-byte header and an append-only log
 * of entries, docs/applet.md) in a board's NVM (lm_nvm.h) and answers
 * command APDUs with response APDUs.  It has no malloc, no libc beyond
 * memcpy/memset/memcmp and no other dependency: the same file builds for the
 * host board (lm-vcard), the PN532 simulator's ISO-DEP card and Cortex-M.
 *
 * NVM layout (offsets in the NVM):
 *   0 .. LM_APPLET_REF_OFFSET-1     the journal (state byte, header, records)
 *   LM_APPLET_DIGEST_OFFSET ..      the log digest block (GET DATA 0004)
 *   LM_APPLET_REF_OFFSET ..         the reference block (protected cards:
 *                                   the VERIFY value and the retry counter)
 *   LM_APPLET_JOURNAL_SIZE ..       the card image; its capacity is what is
 *                                   left, at most LM_APPLET_MAX_CAPACITY
 *
 * Usage: the board allocates a struct lm_applet and a struct lm_nvm that
 * outlives it, calls lm_applet_init() at every power-on (it finishes a
 * commit that a power loss interrupted), then lm_applet_process() per APDU,
 * and lm_applet_deselect() on power off, reset or when the card leaves the
 * field.  Nothing is global: several applets may run side by side.
 */
#ifndef LM_APPLET_H
#define LM_APPLET_H

#include <stddef.h>
#include <stdint.h>

#include "lm_nvm.h"
#include "lm_proto.h" /* AID, CLA/INS, GET DATA tags, status words */

#ifdef __cplusplus
extern "C" {
#endif

/* Applet version (GET DATA 0001): 1.1 adds VERIFY and CHANGE REFERENCE DATA. */
#define LM_APPLET_VERSION_MAJOR 1u
#define LM_APPLET_VERSION_MINOR 1u
#define LM_APPLET_FORMAT_MAX 2u /* newest image format it knows (GET DATA 0001, byte 3) */

/* The AID (LM_APPLET_AID_BYTES of lm_proto.h) as an array. */
extern const uint8_t lm_applet_aid[LM_APPLET_AID_LEN];

/* Card image header, fixed with liblaufmappe. */
#define LM_IMAGE_MAGIC0 0x4Cu        /* 'L' */
#define LM_IMAGE_MAGIC1 0x4Du        /* 'M' */
#define LM_IMAGE_FORMAT_VERSION 1u
#define LM_IMAGE_HEADER_SIZE 24u     /* the log starts here */
#define LM_IMAGE_COMMIT_OFFSET 4u    /* u16 BE length, then its complement */
#define LM_IMAGE_COMMIT_SIZE 4u
#define LM_IMAGE_HOLDER_OFFSET 8u
#define LM_IMAGE_HOLDER_SIZE 16u
/* Version 2 (protected, lib/include/laufmappe/lm_protect.h): 24 public bytes,
 * then the commit word, then 32 encrypted bytes; the log starts at 60. */
#define LM_IMAGE_FORMAT_VERSION_2 2u
#define LM_IMAGE_V2_COMMIT_OFFSET 24u
#define LM_IMAGE_V2_HEADER_SIZE 60u

/* NVM split.  The image capacity is capped by READ BINARY's 15-bit offset.
 * The reference block is the last LM_APPLET_REF_SIZE bytes of the journal
 * area (docs/applet.md "NVM layout"). */
#define LM_APPLET_JOURNAL_SIZE 1024u
#define LM_APPLET_REF_SIZE 20u
#define LM_APPLET_REF_OFFSET (LM_APPLET_JOURNAL_SIZE - LM_APPLET_REF_SIZE)
/* The log digest block (GET DATA 0004), just before the reference block:
 * committed length it covers (u16 BE), 00 00, the 32-byte chain value. */
#define LM_APPLET_DIGEST_SIZE 36u
#define LM_APPLET_DIGEST_OFFSET (LM_APPLET_REF_OFFSET - LM_APPLET_DIGEST_SIZE)
#define LM_APPLET_MAX_CAPACITY 32768u

/*
 * Applet state.  The caller allocates it; lm_applet_init() fills every
 * field.  The fields are documented for boards and tests to look at; only
 * the applet writes them.
 */
struct lm_applet {
	const struct lm_nvm *nvm; /* the board's memory; not owned, must outlive */
	uint32_t capacity;        /* image bytes (GET DATA 0002) */
	uint32_t staged;          /* journal record bytes of the open transaction */
	uint8_t selected;         /* 1 after a successful SELECT */
	uint8_t broken;           /* 1 after an NVM failure: recover before the next APDU */
	uint8_t verified;         /* 1 after a right VERIFY (or a committed new reference) */
	uint8_t staged_ref;       /* 1 when the open transaction sets a new reference */
};

/*
 * Power-on.  Binds the applet to nvm (whose size must hold the journal and
 * at least the image header), then finishes a commit that a power loss
 * interrupted, or drops a transaction that was never committed.  Returns 0,
 * or -1 when nvm is unusable (too small, NULL functions) or its read/write
 * failed; after a failed recovery every APDU answers 65 81 and recovery is
 * retried first.
 */
int lm_applet_init(struct lm_applet *a, const struct lm_nvm *nvm);

/*
 * Process one command APDU (apdu_len bytes) and write the response APDU
 * (data, SW1, SW2) into resp, which holds resp_cap bytes.  Returns the
 * response length, at least 2, or 0 when resp_cap < 2.  Never reads outside
 * apdu[0..apdu_len) or writes outside resp[0..resp_cap).
 */
size_t lm_applet_process(struct lm_applet *a, const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
			 size_t resp_cap);

/*
 * Power off, reset or card removed: drops the selection, the verified state
 * and any open transaction (staged writes are forgotten; committed data is
 * untouched).
 */
void lm_applet_deselect(struct lm_applet *a);

#ifdef __cplusplus
}
#endif

#endif /* LM_APPLET_H */
