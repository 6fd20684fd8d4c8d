/*
 * pcsc.c - the PC/SC backend (pcsc-lite): our applet over ISO 7816-4, and
 * NTAG21x tags behind contactless readers' PC/SC part-3 storage-card
 * commands.  PC/SC codes are translated in pcsc_err() only (status words in
 * cardcmd_sw_err(), shared with libnfc).
 *
 * Where the image lives:
 *   applet: image offset = READ BINARY / UPDATE offset (docs/applet.md);
 *   NTAG:   pages 4-5 hold an empty NDEF TLV and our proprietary TLV's head,
 *           the image starts at page 6 (cardcmd.h, docs/nfc.md)
 *           (byte 24 of the tag), so the commit word is page 7.
 * What the card is and how its image travels is cardcmd.c's (struct
 * cardcmd_card); this file is the exchange (apdu_cb, with the reset
 * recovery) and PC/SC's errors.
 */
#include "laufmappe/lm_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "laufmappe/lm_entry.h"
#include "cardcmd.h"
#include "laufmappe/lm_err.h"
#include "lm_proto.h"

#define MAX_READERS 16
#define APDU_MAX    300

/* PC/SC part 3 ATR prefix of a contactless storage card. */
static const uint8_t part3_atr[] = {0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F,
				    0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06};

struct pcsc {
	SCARDCONTEXT ctx;
	int have_ctx;
	SCARDHANDLE card;
	int have_card;
	DWORD proto;
	char reader[256];	/* the reader in use ("" until one is chosen) */
	int reader_fixed;	/* named by the caller */
	struct cardcmd_card cc; /* what the card is; its commands go through apdu_cb */
};

static int apdu_cb(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		   uint16_t *sw);

/* The one translation of PC/SC codes. */
static int pcsc_err(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS: return LM_OK;
	case SCARD_E_NO_SERVICE: return LM_ERR_NO_SERVICE;
	case SCARD_E_SERVICE_STOPPED:
	case SCARD_F_COMM_ERROR:
	case SCARD_E_INVALID_HANDLE: return LM_ERR_SERVICE_GONE;
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_UNKNOWN_READER: return LM_ERR_NO_READER;
	case SCARD_E_READER_UNAVAILABLE: return LM_ERR_READER_GONE;
	case SCARD_E_NO_SMARTCARD: return LM_ERR_NO_CARD;
	/* A transmit that failed because the card left the field comes back as
	 * "not transacted" from pcsc-lite's IFD layer. */
	case SCARD_W_REMOVED_CARD:
	case SCARD_W_UNPOWERED_CARD:
	case SCARD_W_UNRESPONSIVE_CARD:
	case SCARD_E_NOT_TRANSACTED: return LM_ERR_CARD_REMOVED;
	case SCARD_W_RESET_CARD: return LM_ERR_CARD_RESET;
	case SCARD_E_SHARING_VIOLATION: return LM_ERR_READER_BUSY;
	case SCARD_E_TIMEOUT: return LM_ERR_TIMEOUT;
	case SCARD_E_NO_MEMORY: return LM_ERR_NOMEM;
	default: return LM_ERR_TRANSPORT;
	}
}

/*
 * Let go of the card.  A protected card unlocked in this session is locked
 * first (cardcmd_lock): the next program on this reader connects without a
 * reset and would find an NTAG still authenticated, an applet still
 * verified.  (Not SCARD_RESET_CARD: a reset sent as the card leaves the
 * field left pcscd's vpcd reader blind to the next card.)
 */
static void drop_card(struct pcsc *p)
{
	if (p->have_card) {
		cardcmd_lock(&p->cc);
		SCardDisconnect(p->card, SCARD_LEAVE_CARD);
	}
	p->have_card = 0;
	p->cc.unlocked = 0;
}

static int pcsc_open(struct lm_transport *t, const char *where)
{
	struct pcsc *p = calloc(1, sizeof(*p));
	if (!p)
		return LM_ERR_NOMEM;
	if (where) {
		snprintf(p->reader, sizeof(p->reader), "%s", where);
		p->reader_fixed = 1;
	}
	int err = pcsc_err(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx));
	if (err) {
		free(p);
		return err;
	}
	p->have_ctx = 1;
	p->cc.apdu = apdu_cb;
	/* pcsc-lite carries extended APDUs (up to 64 KB) when the reader
	 * does; cardcmd_read falls back to short ones once if it does not. */
	p->cc.read_max = CARDCMD_EXT_READ;
	p->cc.ctx = p;
	t->priv = p;
	return LM_OK;
}

/*
 * List readers into states[] (current state unknown); returns how many, or
 * a negative error.  names must hold the multi-string pcsc-lite returns.
 */
static int list_readers(struct pcsc *p, char *names, DWORD cap, SCARD_READERSTATE *st)
{
	DWORD len = cap;
	LONG rv = SCardListReaders(p->ctx, NULL, names, &len);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_err(rv);
	int n = 0;
	for (char *r = names; *r && n < MAX_READERS; r += strlen(r) + 1) {
		if (p->reader_fixed && strcmp(r, p->reader) != 0)
			continue;
		memset(&st[n], 0, sizeof(st[n]));
		st[n].szReader = r;
		st[n].dwCurrentState = SCARD_STATE_UNAWARE;
		n++;
	}
	return n > 0 ? n : LM_ERR_NO_READER;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Wait for a card on the named reader, or on any reader.  Blocks in
 * SCardGetStatusChange (no polling loop); readers are listed again at least
 * every second, since a reader plugged in later does not wake the wait.
 */
static int pcsc_wait(struct lm_transport *t, int timeout_ms)
{
	struct pcsc *p = t->priv;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char names[4096];
		SCARD_READERSTATE st[MAX_READERS];
		int n = list_readers(p, names, sizeof(names), st);
		if (n < 0)
			return n;
		LONG rv = SCardGetStatusChange(p->ctx, 0, st, (DWORD)n);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return pcsc_err(rv);
		for (int i = 0; i < n; i++) {
			if ((st[i].dwEventState & SCARD_STATE_PRESENT) &&
			    !(st[i].dwEventState & SCARD_STATE_MUTE)) {
				snprintf(p->reader, sizeof(p->reader), "%s", st[i].szReader);
				return LM_OK;
			}
			st[i].dwCurrentState = st[i].dwEventState;
		}
		long left = timeout_ms < 0 ? 1000 : timeout_ms - ms_since(&t0);
		if (left <= 0)
			return LM_ERR_NO_CARD;
		rv = SCardGetStatusChange(p->ctx, (DWORD)(left < 1000 ? left : 1000), st, (DWORD)n);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			return pcsc_err(rv);
	}
}

/* One APDU; data bytes into resp (without SW), *sw the status word. */
static int xfer_once(struct pcsc *p, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		     uint16_t *sw)
{
	uint8_t buf[CARDCMD_EXT_READ + 2];
	DWORD blen = sizeof(buf);
	const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	LONG rv = SCardTransmit(p->card, pci, apdu, (DWORD)len, NULL, buf, &blen);
	int err = rv == SCARD_S_SUCCESS ? LM_OK : pcsc_err(rv);
	/* A card that left the field (or a gone service) ended any unlocked
	 * session by itself: nothing to reset when we let go. */
	if (err == LM_ERR_CARD_REMOVED || err == LM_ERR_NO_CARD || err == LM_ERR_SERVICE_GONE)
		p->cc.unlocked = 0;
	return err ? err : cardcmd_split_sw(buf, blen, resp, rlen, sw);
}

/* The APDU callback for cardcmd without the reset recovery (used by it). */
static int apdu_once(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		     uint16_t *sw)
{
	return xfer_once(ctx, apdu, len, resp, rlen, sw);
}

/*
 * One APDU with the recovery style.md asks for: a card reset by someone
 * else is reconnected (and our applet selected again), then the APDU is
 * retried once.
 */
static int xfer(struct pcsc *p, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		uint16_t *sw)
{
	size_t cap = *rlen;
	int err = xfer_once(p, apdu, len, resp, rlen, sw);
	if (err != LM_ERR_CARD_RESET)
		return err;
	DWORD proto;
	err = pcsc_err(SCardReconnect(p->card, SCARD_SHARE_SHARED,
				      SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD,
				      &proto));
	if (err)
		return err;
	p->proto = proto;
	p->cc.have_head = p->cc.have_digest = 0; /* whoever reset the card may have written it */
	if (p->cc.unlocked) {
		/* The reset ended the unlocked session (the applet forgets VERIFY,
		 * an NTAG its PWD_AUTH): retrying would only meet "unlock first";
		 * the caller unlocks again (a try each time: never silently). */
		p->cc.unlocked = 0;
		return LM_ERR_CARD_RESET;
	}
	if (p->cc.kind == LM_KIND_APPLET) {
		err = cardcmd_applet_select(apdu_once, p);
		if (err)
			return err == LM_ERR_UNKNOWN_CARD ? LM_ERR_CARD_RESET : err;
	}
	*rlen = cap;
	return xfer_once(p, apdu, len, resp, rlen, sw);
}

/* The APDU callback for cardcmd. */
static int apdu_cb(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen,
		   uint16_t *sw)
{
	return xfer(ctx, apdu, len, resp, rlen, sw);
}

/* Connect and say what the card is: our applet first, then an NTAG. */
static int pcsc_identify(struct lm_transport *t, struct lm_card_info *info)
{
	struct pcsc *p = t->priv;
	drop_card(p);
	if (!p->reader[0])
		return LM_ERR_NO_CARD;
	int err =
		pcsc_err(SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED,
				      SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card, &p->proto));
	if (err)
		return err;
	p->have_card = 1;
	p->cc.kind = LM_KIND_NONE;
	snprintf(info->reader, sizeof(info->reader), "%s", p->reader);

	uint8_t atr[MAX_ATR_SIZE];
	DWORD atr_len = sizeof(atr), state, proto, rlen_name = 0;
	err = pcsc_err(SCardStatus(p->card, NULL, &rlen_name, &state, &proto, atr, &atr_len));
	if (err)
		return err;
	int storage = atr_len >= sizeof(part3_atr) && !memcmp(atr, part3_atr, sizeof(part3_atr));
	err = storage ? cardcmd_identify_part3(&p->cc, info) : cardcmd_identify_applet(&p->cc);
	if (err)
		return err;
	info->kind = p->cc.kind;
	info->capacity = p->cc.capacity;
	return LM_OK;
}

static int pcsc_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	struct pcsc *p = t->priv;
	return p->have_card ? cardcmd_read(&p->cc, off, buf, len) : LM_ERR_NO_CARD;
}

static int pcsc_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	struct pcsc *p = t->priv;
	return p->have_card ? cardcmd_write(&p->cc, w, n) : LM_ERR_NO_CARD;
}

static int pcsc_digest(struct lm_transport *t, uint16_t *covered, uint8_t digest[32])
{
	struct pcsc *p = t->priv;
	return p->have_card ? cardcmd_applet_digest(&p->cc, covered, digest) : LM_ERR_NO_CARD;
}

static int pcsc_status(struct lm_transport *t, int *tries_left)
{
	struct pcsc *p = t->priv;
	return p->have_card ? cardcmd_status(&p->cc, tries_left) : LM_ERR_NO_CARD;
}

static int pcsc_unlock(struct lm_transport *t, const struct lm_protect_keys *k, int *tries_left)
{
	struct pcsc *p = t->priv;
	return p->have_card ? cardcmd_unlock(&p->cc, k, tries_left) : LM_ERR_NO_CARD;
}

static int pcsc_write_protected(struct lm_transport *t, const struct lm_card_write *w, size_t n,
				const struct lm_protect_keys *k)
{
	struct pcsc *p = t->priv;
	return p->have_card ? cardcmd_write_protected(&p->cc, w, n, k) : LM_ERR_NO_CARD;
}

static int pcsc_wipe(struct lm_transport *t)
{
	struct pcsc *p = t->priv;
	return p->have_card ? cardcmd_wipe(&p->cc) : LM_ERR_NO_CARD;
}

/* Every PC/SC reader pcscd knows, each with its card presence. */
static int pcsc_list(struct lm_transport *t, struct lm_reader_info *out, size_t max, size_t *n)
{
	struct pcsc *p = t->priv;
	char names[4096];
	SCARD_READERSTATE st[MAX_READERS];
	int saved = p->reader_fixed;
	p->reader_fixed = 0; /* list them all, whatever reader this transport names */
	int k = list_readers(p, names, sizeof(names), st);
	p->reader_fixed = saved;
	if (k == LM_ERR_NO_READER)
		return LM_OK;
	if (k < 0)
		return k;
	LONG rv = SCardGetStatusChange(p->ctx, 0, st, (DWORD)k);
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
		return pcsc_err(rv);
	for (int i = 0; i < k && *n < max; i++, (*n)++) {
		snprintf(out[*n].name, sizeof(out[*n].name), "%s", st[i].szReader);
		out[*n].card_present = (st[i].dwEventState & SCARD_STATE_PRESENT) ? 1 : 0;
	}
	return LM_OK;
}

static void pcsc_disconnect(struct lm_transport *t)
{
	drop_card(t->priv);
}

static void pcsc_close(struct lm_transport *t)
{
	struct pcsc *p = t->priv;
	drop_card(p);
	if (p->have_ctx)
		SCardReleaseContext(p->ctx);
	free(p);
}

const struct lm_transport_ops lm_transport_pcsc_ops = {
	.name = "pcsc",
	.blocks = 1,
	/* Two extended READ BINARYs' worth: every APDU costs its frames on
	 * the air and a round trip through pcscd (at 424 kbit/s eleven APDUs
	 * for a full 8 KB card cost 12% over one chained READ), and 2 KB on
	 * the air take longer than verifying their entries (about 20) on one
	 * core at any rate up to 848 kbit/s (bench/bench_daemon.sh). */
	.piece = 2048,
	.open = pcsc_open,
	.wait_card = pcsc_wait,
	.identify = pcsc_identify,
	.read = pcsc_read,
	.write = pcsc_write,
	.wipe = pcsc_wipe,
	.list = pcsc_list,
	.disconnect = pcsc_disconnect,
	.close = pcsc_close,
	.status = pcsc_status,
	.digest = pcsc_digest,
	.unlock = pcsc_unlock,
	.write_protected = pcsc_write_protected,
};
