/*
 * lm_transport.h - one small interface to every way of reaching a card:
 * PC/SC (pcsc-lite), libnfc, and a fake one backed by an image file (for
 * tests, fuzzing and fault injection).
 *
 * A transport moves bytes of the card IMAGE (lm_card.h); where those bytes
 * live on the card is the backend's business:
 *   - our applet: image offset = the applet's READ BINARY / UPDATE offset;
 *     a plan's writes are staged (UPDATE) and applied by one COMMIT, which
 *     the applet makes atomic with its journal;
 *   - NTAG21x: user memory (page 4 on) holds an NFC Forum Type 2 TLV chain
 *     inside the data area the capability container declares: an empty NDEF
 *     message TLV "03 00" and NULL TLVs (page 4), our proprietary TLV's head
 *     "FD FF LL LL" (page 5, LL LL = image capacity), the image from page 6,
 *     then a terminator TLV "FE"; the commit word is one page (7), written
 *     with a single WRITE, which the tag makes atomic (docs/nfc.md).
 *
 * Lifetime: lm_transport_open() returns a transport the caller owns and
 * closes with lm_transport_close() (NULL is fine).  Errors are enum lm_err;
 * each backend translates its library's codes in one function.
 */
#ifndef LM_TRANSPORT_H
#define LM_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "laufmappe/lm_card.h"
#include "laufmappe/lm_protect.h"

#ifdef __cplusplus
extern "C" {
#endif

enum lm_card_kind {
	LM_KIND_NONE = 0,
	LM_KIND_APPLET, /* our applet (ISO 7816-4, by AID) */
	LM_KIND_NTAG213,
	LM_KIND_NTAG215,
	LM_KIND_NTAG216,
	LM_KIND_IMAGE, /* the fake transport's image file */
};

/* What identify tells of a card's protection (format version 2, docs/format.md 8). */
enum lm_protection {
	LM_PROT_NONE = 0, /* not a version 2 image: blank, version 1, or unknown */
	LM_PROT_LOCKED,	  /* a version 2 image, not unlocked in this session */
	LM_PROT_BLOCKED,  /* a version 2 image whose card refuses every code
			   * (applet 69 83): only a wipe and a restore help */
};

struct lm_card_info {
	enum lm_card_kind kind;
	uint8_t uid[10]; /* anticollision UID (NTAG), or empty */
	size_t uid_len;
	size_t capacity;  /* image bytes the card holds */
	char reader[256]; /* reader name or connection string */
	/* Protected cards (set by lm_transport_identify from the 24 public
	 * header bytes and, on the applet, VERIFY's status): */
	enum lm_protection protection;
	int tries_left;			 /* wrong codes the card still takes; -1 unknown
					  * (an NTAG does not tell; an image file has no limit) */
	struct lm_protect_header header; /* the public header (committed 0) when
					  * protection != LM_PROT_NONE: salt and count for
					  * lm_protect_derive */
};

#define LM_NTAG_TLV_LEN 8 /* user memory before the image on NTAG (pages 4 and 5) */

struct lm_transport;

/* One reader a backend can see (lm_transport_list). */
struct lm_reader_info {
	char name[256];	  /* reader name / connection string / file */
	int card_present; /* 1 card, 0 none, -1 unknown without connecting */
};

/* The operations every backend provides (a const table per backend). */
struct lm_transport_ops {
	const char *name;
	/*
	 * 1: wait_card blocks in the reader service until a card comes or the
	 * timeout passes (PC/SC: SCardGetStatusChange), so a caller may loop
	 * on it.  0: the backend is polled (libnfc: wait_card polls the field
	 * itself; an image file: it looks once) and a caller that loops
	 * paces itself between calls.
	 */
	int blocks;
	/*
	 * Log bytes per piece of lm_transport_read_image_ex (0: the default,
	 * LM_TRANSPORT_PIECE): what one read brings at once, so that a caller
	 * verifies behind it (libnfc: one FAST_READ of 60 pages).
	 */
	size_t piece;
	/* Open the backend; where = reader name / connection string / file, or NULL for the first.
	 */
	int (*open)(struct lm_transport *t, const char *where);
	/* Block until a card is present (timeout_ms < 0: forever); LM_ERR_TIMEOUT. */
	int (*wait_card)(struct lm_transport *t, int timeout_ms);
	/* Connect to the card present and say what it is. */
	int (*identify)(struct lm_transport *t, struct lm_card_info *info);
	/* Read image bytes [off, off+len). */
	int (*read)(struct lm_transport *t, size_t off, uint8_t *buf, size_t len);
	/*
	 * Perform writes in order; the LAST one is the commit: it must be one
	 * atomic card operation, started only after all others completed.
	 */
	int (*write)(struct lm_transport *t, const struct lm_card_write *w, size_t n);
	/* Erase the image (privacy: the holder can wipe the card). */
	int (*wipe)(struct lm_transport *t);
	/* The readers this backend sees (at most max); NULL if it cannot tell. */
	int (*list)(struct lm_transport *t, struct lm_reader_info *out, size_t max, size_t *n);
	/* Drop the connection to the card (not the reader). */
	void (*disconnect)(struct lm_transport *t);
	void (*close)(struct lm_transport *t);
	/*
	 * Protected cards; all three NULL for a backend without access control
	 * (an image file: lm_transport_unlock then only checks the key).
	 * status: after identify, whether the card enforces a code: LM_OK with
	 * *tries_left (>= 0, or -1 when the card does not tell), LM_ERR_BLOCKED,
	 * LM_ERR_NOT_FOUND when it holds no reference (unprotected).
	 * unlock: present the derived keys once (applet VERIFY, NTAG PWD_AUTH and
	 * the PACK compared); LM_ERR_WRONG_CODE with *tries_left, LM_ERR_BLOCKED.
	 * Never retried: each call may cost the card a try.
	 * write_protected: a protected format's writes (the commit word last)
	 * together with the card's access control for keys (applet: the
	 * reference staged in the same COMMIT; NTAG: PWD and PACK, then ACCESS,
	 * then AUTH0 last).
	 */
	int (*status)(struct lm_transport *t, int *tries_left);
	/*
	 * The card's log digest (our applet's GET DATA 0004) after identify:
	 * the committed length it covers and the digest; LM_ERR_UNSUPPORTED
	 * for a card that keeps none (NULL: no card on this backend does).
	 */
	int (*digest)(struct lm_transport *t, uint16_t *covered, uint8_t digest[32]);
	int (*unlock)(struct lm_transport *t, const struct lm_protect_keys *k, int *tries_left);
	int (*write_protected)(struct lm_transport *t, const struct lm_card_write *w, size_t n,
			       const struct lm_protect_keys *k);
};

/*
 * Open by spec: "pcsc" / "pcsc:READER NAME", "nfc" / "nfc:CONNSTRING",
 * "fake:IMAGEFILE".  LM_ERR_UNSUPPORTED when this build lacks the backend.
 */
int lm_transport_open(const char *spec, struct lm_transport **out);
void lm_transport_close(struct lm_transport *t);
const char *lm_transport_name(const struct lm_transport *t);
/* The backend's ops->blocks: 1 when wait_card blocks until a card comes. */
int lm_transport_blocks(const struct lm_transport *t);
const char *lm_card_kind_name(enum lm_card_kind k);

int lm_transport_wait_card(struct lm_transport *t, int timeout_ms);
/* Every reader the backend sees, with card presence where it is known. */
int lm_transport_list(struct lm_transport *t, struct lm_reader_info *out, size_t max, size_t *n);
int lm_transport_identify(struct lm_transport *t, struct lm_card_info *info);

/*
 * Read the card's image: the header, then exactly the committed log.
 * img must hold info->capacity bytes; *len says how many were read.
 * LM_ERR_NOT_FORMATTED for a card without a Laufmappe image.
 */
int lm_transport_read_image(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
			    size_t *len, struct lm_card *card);

/*
 * How lm_transport_read_image_ex reads.  piece (may be NULL) is called as
 * the image arrives, in the reading thread: img[0..have) holds the header
 * and the first have - 24 log bytes (a version 1 image; a protected one is
 * handed over once, decrypted, when whole), so a caller can verify the
 * entries that are complete while the rest is still on the air.  The bytes
 * it was given stay in img unchanged until the call returns, with one
 * exception: during a delta read (opts->delta is 1) the log before the new
 * bytes is the office's copy, and when the card's digest then disowns it,
 * opts->delta goes back to 0 and piece is called with have = the header's
 * length before the log is read whole over what was handed over.
 */
typedef void (*lm_transport_piece_fn)(void *ctx, const uint8_t *img, size_t have);
#define LM_TRANSPORT_TAIL 240 /* log bytes of the last piece, at most */
#define LM_TRANSPORT_PIECE                                                                         \
	1024 /* log bytes per piece: one extended READ BINARY, or                                  \
	      * a few short APDUs or FAST_READs */

/*
 * A delta read (docs/transport.md "Delta reads of a known card"): what the
 * office holds of holder's card.  Called at most once per read, as soon as
 * the holder is known (a version 1 image's public header; a protected
 * image's header once decrypted), and only when the card's log digest
 * covers its committed log.  LM_OK with *out filled offers the office's
 * copy (out->log must stay valid until the read returns); anything else:
 * the card is read whole.
 */
typedef int (*lm_transport_recall_fn)(void *ctx, const uint8_t holder[LM_HOLDER_LEN],
				      struct lm_card_known *out);

struct lm_read_opts {
	lm_transport_piece_fn piece;
	void *ctx;
	/*
	 * recall (may be NULL) gives what the office holds of the card.  When
	 * the card (version 1, or protected and unlocked) keeps a log digest
	 * (ops->digest) covering its committed length, holds at least
	 * out->committed log bytes, and the digest chained from out->digest
	 * over each entry past them (with its padding, as on the card: a
	 * protected card's ciphertext) is the card's, only those bytes are
	 * read and the rest comes from out->log; in every other case the card
	 * is read whole.
	 */
	lm_transport_recall_fn recall;
	void *recall_ctx;
	/* NULL, or info->capacity bytes: filled with the committed log as it
	 * is on the card (a protected card's before decryption), for the
	 * office to remember with the digest. */
	uint8_t *raw;
	/* Out: */
	/* 1: the known prefix was taken, only the rest read (1 during such
	 * a read, back to 0 if the card turns out to differ) */
	int delta;
	int have_digest; /* digest is the card's for the committed log read */
	uint8_t digest[32];
	size_t log_read; /* log bytes that came from the card */
	size_t raw_len;	 /* bytes of raw filled (0 unless the read succeeded) */
};

/* lm_transport_read_image with options (opts may be NULL). */
int lm_transport_read_image_ex(struct lm_transport *t, const struct lm_card_info *info,
			       uint8_t *img, size_t *len, struct lm_card *card,
			       struct lm_read_opts *opts);

/*
 * Append one signed entry (card form): read, plan, write (commit last),
 * then read back and compare.  LM_ERR_CARD_FULL (nothing written) when it
 * does not fit; LM_ERR_READBACK if the card does not read back as planned.
 */
int lm_transport_append(struct lm_transport *t, const struct lm_card_info *info,
			const uint8_t *entry, size_t len);

/*
 * Write a fresh image for holder (the card must be unformatted or wiped).
 * The header's magic is written last, in one atomic write: a cut before it
 * leaves a card that reads LM_ERR_NOT_FORMATTED, never a damaged header.
 */
int lm_transport_format(struct lm_transport *t, const struct lm_card_info *info,
			const uint8_t holder[LM_HOLDER_LEN]);
/*
 * Erase the image.  The first write destroys the header's magic (one
 * atomic write), so a cut at any later point leaves a card that reads
 * LM_ERR_NOT_FORMATTED (a blank card, which lm_transport_restore takes).
 */
int lm_transport_wipe(struct lm_transport *t);

/*
 * Rewriting a card.  A card's log is append-only, so removing an entry
 * (domain.md, privacy 6: at the holder's request) means wiping the card and
 * writing every other entry back.  Nothing of the folder may be lost when
 * the card leaves the field half way, so the caller keeps a copy of every
 * entry that stays before the card is touched, and lm_transport_restore
 * puts a card cut short right from that copy.
 *
 * The tearing argument, step by step (each card write is old-or-new, the
 * commit word and the magic atomic; lm_card.h, lm_transport_append):
 *   1. read the image, find the entry, hand every entry that stays to keep()
 *      and then call keep(NULL): a cut or an error here -> the card is as
 *      before (res->touched = 0); nothing to repair, try again.
 *   2. wipe: its first write kills the magic -> from here on the card reads
 *      either as before (the cut came before that write) or as blank
 *      (LM_ERR_NOT_FORMATTED); res->touched = 1.
 *   3. format for the same holder: blank until the magic lands, then the
 *      holder's card with no entries.
 *   4. append the staying entries in their order, each with its commit and
 *      read-back: the card holds the first k of them, k = 0..all.
 *   5. read back the whole image and compare with the old log less the
 *      entry: LM_ERR_READBACK otherwise.
 * So after any failure with res->touched set, the card is blank, or the
 * holder's card holding a prefix of the staying entries ("half
 * rewritten"), or as before (the cut came before the wipe's first write),
 * and lm_transport_restore with the kept entries makes it the card that was
 * asked for (as before: it adds nothing, the entry is still there, and the
 * delete can be asked again).  A failure with res->touched clear left the
 * card untouched (still holding the entry).
 */

/*
 * Called for each entry that stays, in log order, with the card's holder,
 * before anything is written; then once more with entry NULL and len 0:
 * every staying entry has been handed over, make the copy durable now (the
 * wipe follows when this call returns 0).  A non-zero return (an lm_err)
 * stops the delete with that error, the card untouched.  The entry bytes
 * are valid only during the call.  res->id (the deleted entry's whole id,
 * also when a prefix was given) and res->holder are set before the first
 * call, so a ctx that points at the result can forget the deleted entry in
 * the last call.
 */
typedef int (*lm_transport_keep_fn)(void *ctx, const uint8_t holder[LM_HOLDER_LEN],
				    const uint8_t *entry, size_t len);

struct lm_rewrite_result {
	uint8_t id[32];		       /* the deleted entry's whole id */
	uint8_t holder[LM_HOLDER_LEN]; /* the card's holder (set once the card was read) */
	size_t kept;		       /* entries that stay (handed to keep) */
	int touched;		       /* 1 once the wipe was started: on failure, restore */
};

/*
 * Delete the one entry whose id begins with id[0..id_len) (lm_card_find:
 * 32 bytes for a whole id, fewer for a unique prefix) from the card: read,
 * keep (see above), wipe, format for the same holder, append the others,
 * read back.  info is what lm_transport_identify said of this card; keep
 * may be NULL only when the caller accepts losing the folder to a cut (it
 * has a copy of its own).  Errors: LM_ERR_NOT_FOUND / LM_ERR_AMBIGUOUS
 * (nothing touched), LM_ERR_MALFORMED when the log's framing is damaged
 * (a rewrite would drop what follows the damage: nothing touched), the
 * keep callback's error, and transport errors (check res->touched).
 */
int lm_transport_delete_entry(struct lm_transport *t, const struct lm_card_info *info,
			      const uint8_t *id, size_t id_len, lm_transport_keep_fn keep,
			      void *ctx, struct lm_rewrite_result *res);

/*
 * Make the card hold the folder entries[0..n) for holder: a blank card
 * (LM_ERR_NOT_FORMATTED: new, wiped, or a rewrite cut in its wipe or
 * format) is wiped clean of remnants and formatted for holder; a card of
 * this holder keeps what it has; then every entry the card lacks (by id,
 * lm_card_find) is appended, in the order given, each read back.  Another
 * holder's card is refused (LM_ERR_HOLDER) and never written.  Entries are
 * in card form (no holder hint) and the caller's business to have verified.
 * *written counts the entries appended (also on failure).  A cut leaves the
 * card blank or this holder's card with some of the entries: calling again
 * finishes the job.  LM_ERR_CARD_FULL stops at the first entry that does not
 * fit (those before it are on the card).
 */
int lm_transport_restore(struct lm_transport *t, const struct lm_card_info *info,
			 const uint8_t holder[LM_HOLDER_LEN], const struct lm_card_entry *entries,
			 size_t n, size_t *written);
/*
 * Perform a plan's writes w[0..n) in order, the last one the commit (one
 * atomic card operation, started only after all others completed): the
 * writes of an lm_card_plan or an lm_protect_plan.  No read-back: the
 * caller reads back and compares (lib/src/protect_io.c).
 */
int lm_transport_write(struct lm_transport *t, const struct lm_card_write *w, size_t n);

/*
 * Protected cards (format version 2, docs/format.md section 8, docs/transport.md).
 *
 * lm_transport_identify sets info->protection, info->tries_left and
 * info->header from the 24 public bytes (readable without the code) and,
 * on the applet, VERIFY's status.  A protected card is then read and
 * written only in an unlocked session:
 *
 *   lm_transport_identify(t, &info);             protection LOCKED
 *   lm_protect_derive(code, info.header.salt, info.header.iterations, &k);
 *   lm_transport_unlock(t, &info, &k, &tries);    or lm_transport_unlock_code
 *   lm_protect_keys_wipe(&k);                     the session keeps a copy
 *   lm_transport_read_image / _append / _delete_entry / _restore / _wipe
 *
 * The session ends (its keys wiped) at lm_transport_identify,
 * lm_transport_disconnect and lm_transport_close: a card taken away and put
 * back is locked again (the applet drops VERIFY's state with the session;
 * PC/SC's identify reconnects and SELECTs).  A caller that identifies again
 * while the card stays (before a write) unlocks again: with the code it
 * kept (lm_transport_unlock_code: one derivation, one right VERIFY) or the
 * keys (lm_transport_unlock: read and append, but no rewrite).
 * Without a session, lm_transport_read_image of a protected card is
 * LM_ERR_LOCKED (and so are append, delete and restore); the public header
 * is in info.
 */

/*
 * Unlock the card identified as info for this session with the keys derived
 * from its code and info->header's salt and count.  lm_protect_check runs
 * FIRST: keys that do not match the public key check are LM_ERR_WRONG_CODE
 * without a word to the card (no try is spent, no password goes on the air).
 * Then, once (never repeated here: each costs a try), the applet's VERIFY
 * (00 20 00 81 10 keys.applet) or the NTAG's PWD_AUTH (1B keys.ntag_pwd,
 * the answer compared with keys.ntag_pack; through PC/SC part 3 by the
 * transparent exchange).  Errors: LM_ERR_WRONG_CODE (*tries_left: the tries
 * the card still takes, -1 unknown; may be NULL), LM_ERR_BLOCKED (applet 69
 * 83, NTAG AUTHLIM reached), LM_ERR_ARG when info says the card is not
 * protected, transport errors.  An image file (no access control) is
 * unlocked by the key check alone.
 */
int lm_transport_unlock(struct lm_transport *t, struct lm_card_info *info,
			const struct lm_protect_keys *keys, int *tries_left);
/*
 * The same from a typed code: lm_code_parse (LM_ERR_CODE_TYPO,
 * LM_ERR_BAD_VALUE: before any slow work), lm_protect_derive with
 * info->header, lm_transport_unlock; the derived keys are wiped.
 */
int lm_transport_unlock_code(struct lm_transport *t, struct lm_card_info *info, const char *code,
			     int *tries_left);
/* 1 when this session holds a protected card's keys (unlocked or formatted). */
int lm_transport_unlocked(const struct lm_transport *t);

/*
 * Write a fresh protected (version 2) image for holder with a new salt and
 * the access code code (a new one from lm_code_generate, or the holder's
 * own), the recovery secret recovery (carried over by rewrites) or, NULL, a
 * new one, at iterations (a multiple of LM_PROTECT_ITER_UNIT; 0: calibrate
 * to about 100 ms here).  The card must be blank (new or wiped) and
 * unprotected.  The writes: the public header but its first 4 bytes, the
 * encrypted holder and recovery secret, the commit word of an empty log,
 * then the magic (4 bytes, one atomic write) last, so a cut leaves a blank
 * card or the new one; with the card's access control for the new keys
 * (applet: the reference in the same COMMIT; NTAG: PWD, PACK, ACCESS with
 * AUTHLIM, AUTH0 last).  The session is unlocked with the new keys
 * afterwards.  keys_out and recovery_out (may be NULL) get the keys and the
 * recovery secret: the caller wipes them.
 */
int lm_transport_format_protected(struct lm_transport *t, struct lm_card_info *info,
				  const uint8_t holder[LM_HOLDER_LEN], const char *code,
				  const uint8_t recovery[LM_RECOVERY_LEN], uint32_t iterations,
				  struct lm_protect_keys *keys_out,
				  uint8_t recovery_out[LM_RECOVERY_LEN]);

/*
 * lm_transport_restore for a protected folder: a blank card is wiped and
 * formatted protected with code (a new salt, the count calibrated here) and
 * the holder's recovery secret; a protected card not yet unlocked in this
 * session is unlocked with code first (one try); a version 1 card of this
 * holder (lm_transport_protect cut before its wipe landed) is wiped and
 * formatted protected when every entry on it is among entries (else
 * LM_ERR_VERSION, nothing written); then every entry the card lacks is
 * appended, encrypted.  Another holder's card as in lm_transport_restore.  Calling it again after a
 * cut finishes the job, as lm_transport_restore.
 */
int lm_transport_restore_protected(struct lm_transport *t, const struct lm_card_info *info,
				   const uint8_t holder[LM_HOLDER_LEN], const char *code,
				   const uint8_t recovery[LM_RECOVERY_LEN],
				   const struct lm_card_entry *entries, size_t n, size_t *written);

/* The recovery secret of an unlocked protected card (LM_ERR_VERSION for version 1). */
int lm_transport_read_recovery(struct lm_transport *t, const struct lm_card_info *info,
			       uint8_t recovery[LM_RECOVERY_LEN]);

/*
 * Protect a version 1 card with the holder present: read it, hand every
 * entry to keep() and then keep(NULL) (the caller makes its copy durable,
 * as for lm_transport_delete_entry: encrypt it under code and recovery, so
 * that the copy is no weaker than the card), wipe (the first write kills the
 * magic: res->touched = 1 from here), lm_transport_format_protected with
 * code, recovery (the caller's: it keyed the copy; not NULL) and iterations
 * (0: calibrate), append every entry in order, read back and compare with
 * the old log.  After a cut the card is as before (res->touched clear, or
 * the wipe's first write had not landed), blank, or the holder's protected
 * card with a prefix of the entries: lm_transport_restore_protected with
 * the copy, code and recovery finishes it.  LM_ERR_VERSION for a card that
 * is protected already (nothing touched).
 */
int lm_transport_protect(struct lm_transport *t, struct lm_card_info *info, const char *code,
			 const uint8_t recovery[LM_RECOVERY_LEN], uint32_t iterations,
			 lm_transport_keep_fn keep, void *ctx, struct lm_rewrite_result *res);

/*
 * Change the access code of a protected card unlocked in this session (with
 * the old code, or its keys), the holder present.  The code keys the image
 * and its public key check, so a new code means a new image: the same
 * rewrite as lm_transport_protect from the unlocked version 2 card, with
 * the recovery secret the card holds carried over, a new salt and
 * new_code's keys, at iterations (0: the card's count).  keep() gets every
 * entry first, then keep(NULL) (the caller makes its copy durable,
 * protected with new_code and the card's recovery secret,
 * lm_transport_read_recovery); then wipe (an NTAG lifts AUTH0 first, then
 * kills the magic; the applet's WIPE is one transaction), format protected
 * (applet: the new reference staged, one COMMIT; NTAG: PWD and PACK, image
 * pages, the magic, ACCESS, AUTH0 last), append, read back.  After a cut
 * the card is the old one (the old code opens it: res->touched clear, or
 * the wipe had not killed the magic), blank and unprotected, or the
 * holder's card under new_code with a prefix of the folder:
 * lm_transport_restore_protected with the copy, new_code and the recovery
 * secret finishes it.  LM_ERR_LOCKED without a session, LM_ERR_VERSION for
 * a version 1 card (lm_transport_protect), nothing touched.
 */
int lm_transport_change_code(struct lm_transport *t, struct lm_card_info *info,
			     const char *new_code, uint32_t iterations, lm_transport_keep_fn keep,
			     void *ctx, struct lm_rewrite_result *res);

/* Raw image bytes [off, off+len), e.g. the header of a card that may be blank. */
int lm_transport_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len);
void lm_transport_disconnect(struct lm_transport *t);

/* Backends (NULL where not built).  Each keeps its private state behind priv. */
struct lm_transport {
	const struct lm_transport_ops *ops;
	void *priv;
	/* The protected card's session (lm_transport_unlock): its keys while the
	 * card stays connected; wiped at identify, disconnect and close. */
	int unlocked;
	struct lm_protect_keys keys;
	char code[LM_CODE_LEN + 1]; /* the canonical code, when the session got it
				     * (unlock_code, format_protected): a rewrite
				     * (delete, restore) formats anew with a new salt */
	uint32_t iterations;	    /* the card's count, for such a rewrite */
};
extern const struct lm_transport_ops lm_transport_fake_ops;
extern const struct lm_transport_ops lm_transport_pcsc_ops;
extern const struct lm_transport_ops lm_transport_nfc_ops;

/*
 * The fake transport's fault injection (for tests): after n more card
 * operations (read/write/wipe calls) the card "leaves the field"
 * (LM_ERR_CARD_REMOVED); with torn set, the write that hits the limit lands
 * only partly (bytewise, but never the commit word: that is atomic), and a
 * wipe that hits it only its first write (magic and commit word zeroed).
 * n < 0 switches it off.
 */
int lm_transport_fake_fault(struct lm_transport *t, int n, int torn);

#ifdef __cplusplus
}
#endif

#endif /* LM_TRANSPORT_H */
