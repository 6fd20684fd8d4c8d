/*
 * fuzz_transport.c - a whole tap through the transports' card code
 * (lib/transport/cardcmd.c and transport.c: identify, read the image,
 * append with read-back, format, wipe) with a card whose every answer comes
 * from the fuzz input: the fake reader of OpenSC's reader fuzzer, one level
 * down.  The exchange is the only part of pcsc.c and nfc.c not run here
 * (their operations are cardcmd.c's, as here: identify, read, write, wipe,
 * the applet's VERIFY status and log digest).
 *
 * Input:
 *   d[0]   the path, (d[0] & 0x7F) % 3:
 *            0  our applet over APDUs (PC/SC, or libnfc ISO-DEP)
 *            1  an NTAG behind a PC/SC part-3 reader (FF CA, FF B0, FF D6)
 *            2  an NTAG through libnfc (FAST_READ of the CC, or GET_VERSION; FAST_READ, WRITE)
 *          bit 7: wipe the card at the end of the tap
 *   d[1]   E, then E bytes: the signed entry to append
 *   then the card's answers, one per exchange, in order:
 *          L (1 byte) and L bytes: the answer (an APDU's data and SW1 SW2;
 *          a native command's reply);
 *          L = 0xFF: the exchange fails, the next byte picks the error;
 *          at the end of the input the card has left the field.
 *
 * A tap: identify; read the image; append the entry to a formatted card,
 * format a blank one; read the image again (offering what the first read
 * gave: a delta read when the card's log digest agrees); wipe if asked.  The seeds are
 * taps recorded with the applet and the NTAG model playing the card
 * (record_transport.c, through fuzz_transport_tap).  Checks (abort): every
 * command the library sends is well-formed and stays inside the card: APDU
 * lengths match Lc, READ BINARY / UPDATE inside the capacity, NTAG writes
 * only inside the data area the capability container declares (our TLV
 * chain: never UID, lock, CC or configuration pages), NTAG reads inside it
 * too; an image read is consistent with its card.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cardcmd.h"
#include "fuzz_memo.h"
#include "fuzz_transport.h"
#include "laufmappe/lm_card.h"
#include "laufmappe/lm_err.h"
#include "laufmappe/lm_transport.h"
#include "lm_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { PATH_APPLET, PATH_PART3, PATH_NATIVE };

struct fz {
	int path;
	struct cardcmd_card cc;
	fuzz_card_fn card; /* where the answers come from */
	void *card_ctx;
};

/* The fuzz input's answers. */
struct answers {
	const uint8_t *d;
	size_t n, pos;
};

static void check(int cond)
{
	if (!cond)
		abort();
}

/* The card's next answer from the input (at *ans, its length returned), or a negative lm_err. */
static int next_answer(void *ctx, int native, const uint8_t *cmd, size_t len, const uint8_t **ans)
{
	struct answers *f = ctx;
	static const int errs[] = {LM_ERR_CARD_REMOVED, LM_ERR_CARD_RESET,  LM_ERR_TRANSPORT,
				   LM_ERR_SERVICE_GONE, LM_ERR_READER_GONE, LM_ERR_TIMEOUT};
	if (f->pos >= f->n)
		return LM_ERR_CARD_REMOVED;
	size_t l = f->d[f->pos++];
	if (l == 0xFF)
		return f->pos < f->n ? errs[f->d[f->pos++] % (sizeof(errs) / sizeof(errs[0]))]
				     : LM_ERR_CARD_REMOVED;
	if (l > f->n - f->pos)
		l = f->n - f->pos;
	*ans = f->d + f->pos;
	f->pos += l;
	return (int)l;
}

/*
 * The pages of the data area the identified tag's capability container
 * declares, [LM_NTAG_USER_PAGE, end): where our TLV chain lives (docs/nfc.md),
 * so all an NTAG is read or written in.
 */
static unsigned user_end(const struct fz *f)
{
	if (f->cc.kind < LM_KIND_NTAG213 || f->cc.kind > LM_KIND_NTAG216)
		return LM_NTAG_USER_PAGE;
	unsigned area = lm_ntag_types[f->cc.kind - LM_KIND_NTAG213].cc_size * 8u;
	return LM_NTAG_USER_PAGE + area / LM_NTAG_PAGE_SIZE;
}

/* What the library sends as an APDU (applet, or part-3 storage-card commands). */
static void check_apdu(const struct fz *f, const uint8_t *a, size_t len)
{
	check(len >= 4 && len <= 5 + CARDCMD_CHUNK);
	check(len <= 5 || len == 5u + a[4]);
	unsigned off = (unsigned)a[2] << 8 | a[3];
	if (a[0] == LM_CLA_ISO && a[1] == LM_INS_READ_BINARY)
		check(len == 5 && f->cc.kind == LM_KIND_APPLET && off + a[4] <= f->cc.capacity);
	if (a[0] == LM_CLA_PROP && a[1] == LM_INS_UPDATE) /* staged */
		check(len > 5 && f->cc.kind == LM_KIND_APPLET && off + a[4] <= f->cc.capacity);
	if (a[0] == LM_PCSC3_CLA && a[1] == LM_PCSC3_READ_BINARY) /* 4 pages */
		check(f->path == PATH_PART3 && a[3] >= LM_NTAG_CC_PAGE &&
		      (f->cc.kind == LM_KIND_NONE || a[3] < user_end(f)));
	if (a[0] == LM_PCSC3_CLA && a[1] == LM_PCSC3_UPDATE_BINARY) /* one page */
		check(f->path == PATH_PART3 && len == 9 && a[3] >= LM_NTAG_USER_PAGE &&
		      a[3] < user_end(f));
}

/* What the library sends as a native NTAG command. */
static void check_native(const struct fz *f, const uint8_t *c, size_t len)
{
	check(f->path == PATH_NATIVE && len >= 1);
	if (c[0] == LM_NTAG_CMD_FAST_READ && f->cc.kind == LM_KIND_NONE) /* identify: 3|4 .. 11 */
		check(len == 3 && (c[1] == LM_NTAG_CC_PAGE || c[1] == LM_NTAG_USER_PAGE) &&
		      c[2] == LM_NTAG_USER_PAGE + (CARDCMD_NTAG_PREFIX + CARDCMD_HEAD) / 4 - 1);
	else if (c[0] == LM_NTAG_CMD_FAST_READ)
		check(len == 3 && c[1] >= LM_NTAG_USER_PAGE && c[1] <= c[2] && c[2] < user_end(f));
	else if (c[0] == LM_NTAG_CMD_WRITE)
		check(len == 6 && c[1] >= LM_NTAG_USER_PAGE && c[1] < user_end(f));
	else /* GET_VERSION, before identify */
		check(c[0] == LM_NTAG_CMD_GET_VERSION && len == 1 && f->cc.kind == LM_KIND_NONE);
}

static int fz_apdu(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		   uint16_t *sw)
{
	struct fz *f = ctx;
	const uint8_t *ans = NULL;
	check_apdu(f, apdu, len);
	int n = f->card(f->card_ctx, 0, apdu, len, &ans);
	return n < 0 ? n : cardcmd_split_sw(ans, (size_t)n, resp, rlen, sw);
}

static int fz_raw(void *ctx, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t cap)
{
	struct fz *f = ctx;
	const uint8_t *ans = NULL;
	check_native(f, tx, txlen);
	int n = f->card(f->card_ctx, 1, tx, txlen, &ans);
	if (n < 0)
		return n;
	if ((size_t)n > cap)
		return LM_ERR_TRANSPORT; /* libnfc: NFC_EOVFLOW */
	memcpy(rx, ans, (size_t)n);
	return n;
}

static int fz_identify(struct lm_transport *t, struct lm_card_info *info)
{
	static const uint8_t get_version[1] = {LM_NTAG_CMD_GET_VERSION};
	struct fz *f = t->priv;
	uint8_t ver[16];
	int err, n;
	switch (f->path) {
	case PATH_APPLET: err = cardcmd_identify_applet(&f->cc); break;
	case PATH_PART3: err = cardcmd_identify_part3(&f->cc, info); break;
	default: /* as nfc.c: the CC's FAST_READ, else GET_VERSION */
		err = cardcmd_identify_ntag_cc(&f->cc);
		if (err != LM_ERR_UNKNOWN_CARD)
			break;
		n = fz_raw(f, get_version, sizeof(get_version), ver, sizeof(ver));
		err = n < 0 ? n : cardcmd_identify_ntag_version(&f->cc, ver, (size_t)n);
		break;
	}
	info->kind = f->cc.kind;
	info->capacity = f->cc.capacity;
	return err;
}

static int fz_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	return cardcmd_read(&((struct fz *)t->priv)->cc, off, buf, len);
}

static int fz_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	return cardcmd_write(&((struct fz *)t->priv)->cc, w, n);
}

static int fz_wipe(struct lm_transport *t)
{
	return cardcmd_wipe(&((struct fz *)t->priv)->cc);
}

/* As pcsc.c and nfc.c: the applet's log digest (GET DATA 0004) and its
 * VERIFY status, the card's answers parsed by cardcmd.c. */
static int fz_digest(struct lm_transport *t, uint16_t *covered, uint8_t digest[32])
{
	return cardcmd_applet_digest(&((struct fz *)t->priv)->cc, covered, digest);
}

static int fz_status(struct lm_transport *t, int *tries_left)
{
	return cardcmd_status(&((struct fz *)t->priv)->cc, tries_left);
}

static const struct lm_transport_ops fz_ops = {
	.name = "fuzz",
	.blocks = 0,
	.identify = fz_identify,
	.read = fz_read,
	.write = fz_write,
	.wipe = fz_wipe,
	.status = fz_status,
	.digest = fz_digest,
};

unsigned fuzz_transport_delta_reads;

/*
 * Read the image, offering the memo of the last read (a second read after
 * the append is a delta read when the card's digest agrees); check what
 * came back against the card, and remember it as the daemon does.
 */
static int read_image(struct lm_transport *t, const struct lm_card_info *info, uint8_t *img,
		      struct fuzz_memo *m)
{
	static uint8_t raw[LM_CARD_MAX];
	struct lm_card card;
	size_t len;
	struct lm_read_opts o;
	fuzz_memo_opts(m, raw, &o);
	int err = lm_transport_read_image_ex(t, info, img, &len, &card, &o);
	if (err)
		return err;
	check(len <= info->capacity && len == LM_CARD_HEADER_LEN + (size_t)card.committed &&
	      card.capacity == info->capacity && card.log == img + LM_CARD_HEADER_LEN &&
	      o.raw_len == card.committed && !memcmp(raw, card.log, card.committed));
	/* A delta read took exactly the remembered prefix and read the rest. */
	fuzz_transport_delta_reads += o.delta;
	if (o.delta)
		check(m->have && card.committed >= m->k.committed &&
		      !memcmp(card.log, m->log, m->k.committed) &&
		      o.log_read == (size_t)card.committed - m->k.committed);
	else
		check(o.log_read == card.committed);
	fuzz_memo_keep(m, &o, &card);
	return LM_OK;
}

int fuzz_transport_tap(int path, int wipe, const uint8_t *entry, size_t elen, fuzz_card_fn card,
		       void *ctx)
{
	static uint8_t img[LM_CARD_MAX];
	static struct fuzz_memo memo;
	static const uint8_t holder[LM_HOLDER_LEN] = {0xa1, 0xa2, 0xa3};
	struct fz f = {.path = path, .card = card, .card_ctx = ctx};
	struct lm_transport t = {.ops = &fz_ops, .priv = &f};
	struct lm_card_info info;

	f.cc.apdu = fz_apdu;
	f.cc.raw = path == PATH_NATIVE ? fz_raw : NULL;
	f.cc.ctx = &f;
	int err = lm_transport_identify(&t, &info);
	if (err)
		return err;
	check(info.capacity >= LM_CARD_HEADER_LEN && info.capacity <= sizeof(img));
	memo.have = 0;
	err = read_image(&t, &info, img, &memo);
	if (err == LM_ERR_NOT_FORMATTED)
		err = lm_transport_format(&t, &info, holder);
	else if (err == LM_OK)
		err = lm_transport_append(&t, &info, entry, elen);
	(void)read_image(&t, &info, img, &memo);
	if (wipe)
		(void)lm_transport_wipe(&t);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size - 2 < data[1])
		return 0;
	struct answers a = {data + 2 + data[1], size - 2 - data[1], 0};
	(void)fuzz_transport_tap((data[0] & 0x7F) % 3, data[0] & 0x80, data + 2, data[1],
				 next_answer, &a);
	return 0;
}
