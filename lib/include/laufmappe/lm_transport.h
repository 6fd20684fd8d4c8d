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
 *   - NTAG21x: user memory (page 4 on) starts with a proprietary TLV
 *     "FD FF LL LL" (LL LL = image capacity) so that phones skip it, and the
 *     image starts at page 5; the commit word is then one page (6), written
 *     last with a single WRITE, which the tag makes atomic.
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

struct lm_card_info {
	enum lm_card_kind kind;
	uint8_t uid[10]; /* anticollision UID (NTAG), or empty */
	size_t uid_len;
	size_t capacity;  /* image bytes the card holds */
	char reader[256]; /* reader name or connection string */
};

#define LM_NTAG_TLV_LEN 4 /* FD FF LL LL before the image on NTAG */

struct lm_transport;

/* One reader a backend can see (lm_transport_list). */
struct lm_reader_info {
	char name[256];	  /* reader name / connection string / file */
	int card_present; /* 1 card, 0 none, -1 unknown without connecting */
};

/* The operations every backend provides (a const table per backend). */
struct lm_transport_ops {
	const char *name;
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
};

/*
 * Open by spec: "pcsc" / "pcsc:READER NAME", "nfc" / "nfc:CONNSTRING",
 * "fake:IMAGEFILE".  LM_ERR_UNSUPPORTED when this build lacks the backend.
 */
int lm_transport_open(const char *spec, struct lm_transport **out);
void lm_transport_close(struct lm_transport *t);
const char *lm_transport_name(const struct lm_transport *t);
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
 * Append one signed entry (card form): read, plan, write (commit last),
 * then read back and compare.  LM_ERR_CARD_FULL (nothing written) when it
 * does not fit; LM_ERR_READBACK if the card does not read back as planned.
 */
int lm_transport_append(struct lm_transport *t, const struct lm_card_info *info,
			const uint8_t *entry, size_t len);

/* Write a fresh image for holder (the card must be unformatted or wiped). */
int lm_transport_format(struct lm_transport *t, const struct lm_card_info *info,
			const uint8_t holder[LM_HOLDER_LEN]);
int lm_transport_wipe(struct lm_transport *t);
/* Raw image bytes [off, off+len), e.g. the header of a card that may be blank. */
int lm_transport_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len);
void lm_transport_disconnect(struct lm_transport *t);

/* Backends (NULL where not built).  Each keeps its private state behind priv. */
struct lm_transport {
	const struct lm_transport_ops *ops;
	void *priv;
};
extern const struct lm_transport_ops lm_transport_fake_ops;
extern const struct lm_transport_ops lm_transport_pcsc_ops;
extern const struct lm_transport_ops lm_transport_nfc_ops;

/*
 * The fake transport's fault injection (for tests): after n more card
 * operations (read/write calls) the card "leaves the field"
 * (LM_ERR_CARD_REMOVED); with torn set, the write that hits the limit lands
 * only partly (bytewise, but never the commit word: that is atomic).
 * n < 0 switches it off.
 */
int lm_transport_fake_fault(struct lm_transport *t, int n, int torn);

#ifdef __cplusplus
}
#endif

#endif /* LM_TRANSPORT_H */
