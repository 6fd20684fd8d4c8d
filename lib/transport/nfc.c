/*
 * nfc.c - the libnfc backend: NTAG213/215/216 natively (GET_VERSION,
 * FAST_READ, WRITE) and ISO-DEP cards running our applet (APDUs), for
 * PN532/PN533 readers that libnfc drives.  libnfc codes are translated in
 * nfc_err() only.
 *
 * The device is opened once (nfc_open) and closed on every exit path; a
 * device that cannot be opened is reported as LM_ERR_NO_READER (unplugged or
 * held by another program: replug it).  Targets are polled: libnfc has no
 * blocking "card arrived" call for these chips.
 *
 * NTAG layout as on PC/SC (cardcmd.h, docs/nfc.md): an empty NDEF TLV and
 * our proprietary TLV's head in pages 4-5, the image from page 6.  What the
 * card is and how its image travels is cardcmd.c's (struct cardcmd_card);
 * this file is the exchange (apdu, raw) and libnfc's errors.
 */
#include "laufmappe/lm_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nfc/nfc.h>

#include "laufmappe/lm_entry.h"
#include "cardcmd.h"
#include "laufmappe/lm_err.h"
#include "lm_proto.h"

#define POLL_MS 100 /* between target polls while waiting */
/* A tag answers in milliseconds; the margin is for a loaded host, not the radio. */
#define XFER_TIMEOUT_MS 2000
#define APDU_MAX	300

static const nfc_modulation mod_a = {.nmt = NMT_ISO14443A, .nbr = NBR_106};

struct lnfc {
	nfc_context *ctx;
	nfc_device *dev;
	char conn[NFC_BUFSIZE_CONNSTRING];
	nfc_target target;
	int have_target;
	int reselect; /* our applet, activated anew by a poll: SELECT before its next APDU */
	struct cardcmd_card cc; /* what the card is; commands through apdu() and raw() */
};

static int apdu(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *rlen,
		uint16_t *sw);
static int raw(void *ctx, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t cap);

/* The one translation of libnfc codes. */
static int nfc_err(int rc)
{
	if (rc >= 0)
		return LM_OK;
	switch (rc) {
	case NFC_ETIMEOUT:
	case NFC_ERFTRANS:
	case NFC_ETGRELEASED: return LM_ERR_CARD_REMOVED;
	case NFC_EIO:
	case NFC_ENOTSUCHDEV: return LM_ERR_READER_GONE;
	case NFC_EMFCAUTHFAIL: return LM_ERR_WRITE_REFUSED;
	case NFC_EOVFLOW:
	case NFC_ECHIP:
	case NFC_ESOFT:
	default: return LM_ERR_TRANSPORT;
	}
}

static int nfc_open_tr(struct lm_transport *t, const char *where)
{
	struct lnfc *p = calloc(1, sizeof(*p));
	if (!p)
		return LM_ERR_NOMEM;
	nfc_init(&p->ctx);
	if (!p->ctx) {
		free(p);
		return LM_ERR_NO_SERVICE;
	}
	if (where)
		snprintf(p->conn, sizeof(p->conn), "%s", where);
	/* A PN532 can miss the wake-up of the very first open (seen with a
	 * loaded host and a just-started chip): one more try before giving up. */
	for (int attempt = 0; attempt < 2 && !p->dev; attempt++) {
		if (attempt) {
			struct timespec d = {0, 200 * 1000000L};
			nanosleep(&d, NULL);
		}
		p->dev = nfc_open(p->ctx, where ? p->conn : NULL);
	}
	if (!p->dev || nfc_initiator_init(p->dev) < 0) {
		if (p->dev)
			nfc_close(p->dev);
		nfc_exit(p->ctx);
		free(p);
		return LM_ERR_NO_READER; /* absent, unplugged or held elsewhere: replug */
	}
	snprintf(p->conn, sizeof(p->conn), "%s", nfc_device_get_connstring(p->dev));
	/* Fail fast when nothing is in the field; waiting is our loop's job. */
	nfc_device_set_property_bool(p->dev, NP_INFINITE_SELECT, false);
	p->cc.apdu = apdu;
	p->cc.raw = raw;
	p->cc.ctx = p;
	t->priv = p;
	return LM_OK;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Poll for an ISO 14443-A target until one answers or the time is up. */
static int nfc_wait(struct lm_transport *t, int timeout_ms)
{
	struct lnfc *p = t->priv;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int rc = nfc_initiator_select_passive_target(p->dev, mod_a, NULL, 0, &p->target);
		if (rc > 0) {
			/* A card that stayed was activated anew (the watch while it
			 * lies here): our applet's selection and VERIFY are gone. */
			if (p->have_target && p->cc.kind == LM_KIND_APPLET)
				p->reselect = 1;
			p->have_target = 1;
			return LM_OK;
		}
		if (rc < 0 && rc != NFC_ETIMEOUT && rc != NFC_ECHIP)
			return nfc_err(rc);
		if (timeout_ms >= 0 && ms_since(&t0) >= timeout_ms)
			return LM_ERR_NO_CARD;
		struct timespec d = {0, POLL_MS * 1000000L};
		nanosleep(&d, NULL);
	}
}

/* Exchange bytes with the target (InDataExchange); returns the reply length or an error. */
static int xfer(struct lnfc *p, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t rxcap)
{
	int rc = nfc_initiator_transceive_bytes(p->dev, tx, txlen, rx, rxcap, XFER_TIMEOUT_MS);
	return rc < 0 ? nfc_err(rc) : rc;
}

static int ntag_pwd_auth_thru(struct lnfc *p, const uint8_t *tx, size_t txlen, uint8_t *rx,
			      size_t cap);

/* The raw callback for cardcmd: a native NTAG command. */
static int raw(void *ctx, const uint8_t *tx, size_t txlen, uint8_t *rx, size_t cap)
{
	if (txlen == 5 && tx[0] == LM_NTAG_CMD_PWD_AUTH)
		return ntag_pwd_auth_thru(ctx, tx, txlen, rx, cap);
	return xfer(ctx, tx, txlen, rx, cap);
}

/*
 * PWD_AUTH answers a PACK or a 4-bit NAK.  Through InDataExchange the chip
 * reports any NAK as its own error, so NAK 0 (a wrong password) and NAK 4
 * (AUTHLIM reached: blocked for good) would look the same.  So PWD_AUTH
 * goes as nfc-mfultralight sends it: InCommunicateThru with our CRC_A;
 * the PACK comes back with its CRC (checked and stripped here), a NAK as
 * one byte, which cardcmd reads.
 */
static int ntag_pwd_auth_thru(struct lnfc *p, const uint8_t *tx, size_t txlen, uint8_t *rx,
			      size_t cap)
{
	uint8_t cmd[5 + 2], ans[8];
	memcpy(cmd, tx, txlen);
	iso14443a_crc_append(cmd, txlen);
	if (nfc_device_set_property_bool(p->dev, NP_HANDLE_CRC, false) < 0 ||
	    nfc_device_set_property_bool(p->dev, NP_EASY_FRAMING, false) < 0)
		return LM_ERR_TRANSPORT;
	int n = xfer(p, cmd, txlen + 2, ans, sizeof(ans));
	nfc_device_set_property_bool(p->dev, NP_HANDLE_CRC, true);
	nfc_device_set_property_bool(p->dev, NP_EASY_FRAMING, true);
	lm_protect_wipe(cmd, sizeof(cmd));
	if (n == 4) {
		uint8_t crc[2];
		iso14443a_crc(ans, 2, crc);
		n = crc[0] == ans[2] && crc[1] == ans[3] ? 2 : LM_ERR_TRANSPORT;
	}
	if (n > 0 && (size_t)n <= cap && n <= 2)
		memcpy(rx, ans, (size_t)n);
	else if (n > 0)
		n = LM_ERR_TRANSPORT;
	return n;
}

/*
 * GET_VERSION goes raw with its CRC, as the tag answers it outside MIFARE
 * framing; the answer into ver[cap], its length returned (or an error).
 */
static int ntag_get_version(struct lnfc *p, uint8_t *ver, size_t cap)
{
	uint8_t cmd[3] = {LM_NTAG_CMD_GET_VERSION};
	iso14443a_crc_append(cmd, 1);
	if (nfc_device_set_property_bool(p->dev, NP_HANDLE_CRC, false) < 0 ||
	    nfc_device_set_property_bool(p->dev, NP_EASY_FRAMING, false) < 0)
		return LM_ERR_TRANSPORT;
	int n = xfer(p, cmd, sizeof(cmd), ver, cap);
	nfc_device_set_property_bool(p->dev, NP_HANDLE_CRC, true);
	nfc_device_set_property_bool(p->dev, NP_EASY_FRAMING, true);
	return n;
}

/* The APDU callback for cardcmd: an APDU over ISO-DEP (InDataExchange). */
static int apdu(void *ctx, const uint8_t *cmd, size_t len, uint8_t *resp, size_t *rlen,
		uint16_t *sw)
{
	struct lnfc *p = ctx;
	if (p->reselect) {
		/* As pcsc.c after a reset: selected again, what the session
		 * knew forgotten (a VERIFY then is the caller's, never silent). */
		p->reselect = 0;
		p->cc.unlocked = 0;
		p->cc.have_head = p->cc.have_digest = 0;
		int err = cardcmd_applet_select(apdu, p);
		if (err)
			return err;
	}
	uint8_t rx[APDU_MAX];
	int n = xfer(p, cmd, len, rx, sizeof(rx));
	return n < 0 ? n : cardcmd_split_sw(rx, (size_t)n, resp, rlen, sw);
}

static int nfc_identify(struct lm_transport *t, struct lm_card_info *info)
{
	struct lnfc *p = t->priv;
	if (!p->have_target) {
		int err = nfc_wait(t, 0);
		if (err)
			return err;
	}
	const nfc_iso14443a_info *a = &p->target.nti.nai;
	snprintf(info->reader, sizeof(info->reader), "%.255s", p->conn);
	info->uid_len = a->szUidLen < sizeof(info->uid) ? a->szUidLen : sizeof(info->uid);
	memcpy(info->uid, a->abtUid, info->uid_len);
	int err;
	p->reselect = 0; /* identify selects */
	if (a->btSak & 0x20) {
		/* ISO-DEP: our applet by AID, capacity by GET DATA. */
		err = cardcmd_identify_applet(&p->cc);
	} else {
		/* One FAST_READ of the CC, the TLV prefix and the header names an
		 * NTAG21x by its CC as PC/SC part 3 does; GET_VERSION (raw, with
		 * four register frames on the UART around it: about 15 ms on a
		 * PN532 at 115,200 baud) only for a tag that is not known so.  A
		 * NAK sends a real tag back to IDLE: selected again first. */
		err = cardcmd_identify_ntag_cc(&p->cc);
		if (err == LM_ERR_UNKNOWN_CARD) {
			nfc_target again;
			err = nfc_initiator_select_passive_target(p->dev, mod_a, a->abtUid,
								  a->szUidLen, &again) > 0
				      ? LM_OK
				      : LM_ERR_CARD_REMOVED;
			uint8_t ver[16];
			int n = err ? err : ntag_get_version(p, ver, sizeof(ver));
			err = n < 0 ? n : cardcmd_identify_ntag_version(&p->cc, ver, (size_t)n);
		}
	}
	if (err)
		return err;
	info->kind = p->cc.kind;
	info->capacity = p->cc.capacity;
	return LM_OK;
}

static int nfc_read(struct lm_transport *t, size_t off, uint8_t *buf, size_t len)
{
	struct lnfc *p = t->priv;
	return p->have_target ? cardcmd_read(&p->cc, off, buf, len) : LM_ERR_NO_CARD;
}

static int nfc_write(struct lm_transport *t, const struct lm_card_write *w, size_t n)
{
	struct lnfc *p = t->priv;
	return p->have_target ? cardcmd_write(&p->cc, w, n) : LM_ERR_NO_CARD;
}

static int nfc_digest(struct lm_transport *t, uint16_t *covered, uint8_t digest[32])
{
	struct lnfc *p = t->priv;
	return p->have_target ? cardcmd_applet_digest(&p->cc, covered, digest) : LM_ERR_NO_CARD;
}

static int nfc_status(struct lm_transport *t, int *tries_left)
{
	struct lnfc *p = t->priv;
	return p->have_target ? cardcmd_status(&p->cc, tries_left) : LM_ERR_NO_CARD;
}

static int nfc_unlock(struct lm_transport *t, const struct lm_protect_keys *k, int *tries_left)
{
	struct lnfc *p = t->priv;
	return p->have_target ? cardcmd_unlock(&p->cc, k, tries_left) : LM_ERR_NO_CARD;
}

static int nfc_write_protected(struct lm_transport *t, const struct lm_card_write *w, size_t n,
			       const struct lm_protect_keys *k)
{
	struct lnfc *p = t->priv;
	return p->have_target ? cardcmd_write_protected(&p->cc, w, n, k) : LM_ERR_NO_CARD;
}

static int nfc_wipe(struct lm_transport *t)
{
	struct lnfc *p = t->priv;
	return p->have_target ? cardcmd_wipe(&p->cc) : LM_ERR_NO_CARD;
}

/* The libnfc devices found (the open one among them); presence unknown. */
static int nfc_list(struct lm_transport *t, struct lm_reader_info *out, size_t max, size_t *n)
{
	struct lnfc *p = t->priv;
	nfc_connstring found[8];
	size_t k = nfc_list_devices(p->ctx, found, 8);
	int seen = 0;
	for (size_t i = 0; i < k && *n < max; i++, (*n)++) {
		snprintf(out[*n].name, sizeof(out[*n].name), "%.255s", found[i]);
		out[*n].card_present = -1;
		seen |= !strcmp(found[i], p->conn);
	}
	if (!seen && *n < max) { /* a device named explicitly is not always scanned */
		snprintf(out[*n].name, sizeof(out[*n].name), "%.255s", p->conn);
		out[(*n)++].card_present = -1;
	}
	return LM_OK;
}

static void nfc_disconnect(struct lm_transport *t)
{
	struct lnfc *p = t->priv;
	if (p->have_target)
		nfc_initiator_deselect_target(p->dev);
	p->have_target = 0;
	p->reselect = 0;
}

static void nfc_close_tr(struct lm_transport *t)
{
	struct lnfc *p = t->priv;
	nfc_disconnect(t);
	nfc_close(p->dev);
	nfc_exit(p->ctx);
	free(p);
}

const struct lm_transport_ops lm_transport_nfc_ops = {
	.name = "nfc",
	.blocks = 0,
	.piece = 240, /* one FAST_READ: verified while the next one travels */
	.open = nfc_open_tr,
	.wait_card = nfc_wait,
	.identify = nfc_identify,
	.read = nfc_read,
	.write = nfc_write,
	.wipe = nfc_wipe,
	.list = nfc_list,
	.disconnect = nfc_disconnect,
	.close = nfc_close_tr,
	.status = nfc_status,
	.digest = nfc_digest,
	.unlock = nfc_unlock,
	.write_protected = nfc_write_protected,
};
