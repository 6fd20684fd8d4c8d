/*
 * lm_proto.h - the bytes a card and a reader agree on, in ONE place: the
 * applet's AID, classes, instructions, GET DATA tags and status words
 * (docs/applet.md); the NTAG21x facts (sizes, capability container,
 * GET_VERSION, commands; NXP NTAG213/215/216 datasheet) and the PC/SC
 * part-3 pseudo-APDUs a contactless reader takes for a memory tag.
 *
 * Included by the card side (firmware/applet, firmware/ntag, lm-vcard) and
 * by liblaufmappe's transports (lib/transport/cardcmd.c, pcsc.c, nfc.c), so
 * the two cannot drift apart.  Plain C99 macros and one static table: no
 * code, no dependency, fit for the freestanding firmware builds.
 */
#ifndef LM_PROTO_H
#define LM_PROTO_H

#include <stdint.h>

/* ---- The applet (ISO 7816-4) ---------------------------------------- */

/* AID: F0 'LAUFMAPPE' (proprietary category F0, 10 bytes). */
#define LM_APPLET_AID_LEN 10u
#define LM_APPLET_AID_BYTES 0xF0u, 0x4Cu, 0x41u, 0x55u, 0x46u, 0x4Du, 0x41u, 0x50u, 0x50u, 0x45u

/* Classes. */
#define LM_CLA_ISO 0x00u  /* SELECT, READ BINARY, GET DATA, VERIFY, CHANGE REFERENCE DATA */
#define LM_CLA_PROP 0x80u /* UPDATE, COMMIT, ABORT, WIPE */

/* Instructions. */
#define LM_INS_SELECT 0xA4u      /* CLA 00, P1 04 (by AID) */
#define LM_INS_READ_BINARY 0xB0u /* CLA 00 */
#define LM_INS_GET_DATA 0xCAu    /* CLA 00, P1P2 = tag */
#define LM_INS_UPDATE 0xD6u      /* CLA 80: staged write */
#define LM_INS_COMMIT 0xDAu      /* CLA 80 */
#define LM_INS_ABORT 0xDCu       /* CLA 80 */
#define LM_INS_WIPE 0xDEu        /* CLA 80 */
#define LM_INS_VERIFY 0x20u      /* CLA 00, P1 00, P2 LM_P2_REF_ACCESS */
#define LM_INS_CHANGE_REF 0x24u  /* CLA 00, P1 LM_P1_REF_NEW, P2 LM_P2_REF_ACCESS: staged */
#define LM_P1_SELECT_AID 0x04u

/*
 * Protected cards (format version 2, docs/applet.md "Protected cards").
 * The reference is the 16-byte value the desk derives from the access code
 * (lm_protect_keys.applet); the card stores it and never derives anything.
 * P2 81 = ISO 7816-4 "specific reference data" number 1: the access code.
 */
#define LM_P2_REF_ACCESS 0x81u
#define LM_P1_REF_NEW 0x01u   /* CHANGE REFERENCE DATA: the data is the new value only */
#define LM_REF_LEN 16u        /* VERIFY / CHANGE REFERENCE DATA data bytes */
#define LM_REF_TRIES 5u       /* wrong values before the card blocks */
#define LM_PUBLIC_LEN 24u     /* image bytes READ BINARY gives without VERIFY */

/* GET DATA tags (P1P2). */
#define LM_TAG_VERSION 0x0001u  /* major, minor, image format version */
#define LM_TAG_CAPACITY 0x0002u /* image capacity, u32 BE */
#define LM_TAG_FREE 0x0003u     /* free log bytes, u32 BE */
#define LM_TAG_DIGEST 0x0004u   /* the card's state in one answer: capacity u32 BE, the
				 * image's 24-byte header, the log digest block (length
				 * u16 BE, 00 00, SHA-256 chain; docs/applet.md "Log digest") */
#define LM_DIGEST_ANSWER_LEN 64u

/* Status words. */
#define LM_SW_OK 0x9000u
#define LM_SW_EOF 0x6282u          /* fewer bytes than Le: end of image */
#define LM_SW_TRIES 0x63C0u        /* | tries left (1..LM_REF_TRIES): wrong value, or status */
#define LM_SW_MEMORY 0x6581u       /* NVM read or write failed */
#define LM_SW_WRONG_LENGTH 0x6700u
#define LM_SW_SECURITY 0x6982u     /* protected card: VERIFY first */
#define LM_SW_BLOCKED 0x6983u      /* no tries left */
#define LM_SW_APPEND_ONLY 0x6985u  /* write to committed bytes; reference on a v1 image */
#define LM_SW_NOT_SELECTED 0x6986u
#define LM_SW_NOT_FOUND 0x6A82u    /* SELECT: unknown AID */
#define LM_SW_FULL 0x6A84u         /* beyond capacity, or journal full */
#define LM_SW_WRONG_P1P2 0x6A86u
#define LM_SW_NO_TAG 0x6A88u       /* GET DATA: unknown tag */
#define LM_SW_NO_REF LM_SW_NO_TAG  /* VERIFY: no reference set (an unprotected card) */
#define LM_SW_OFFSET 0x6B00u       /* READ BINARY: offset beyond the image */
#define LM_SW_INS 0x6D00u
#define LM_SW_CLA 0x6E00u
/* What a PC/SC part-3 reader answers a refused tag write with. */
#define LM_SW_INCOMPATIBLE 0x6981u /* a locked or reserved page */
#define LM_SW_WRITE_FAILED 0x6300u
/* ... and a read-protected page with LM_SW_SECURITY, as the applet does. */

/* ---- NTAG213/215/216 (NFC Forum Type 2) ------------------------------ */

#define LM_NTAG_PAGE_SIZE 4u
#define LM_NTAG_MAX_PAGES 231u
#define LM_NTAG_UID_LEN 7u
#define LM_NTAG_SIG_LEN 32u
#define LM_NTAG_CC_PAGE 3u
#define LM_NTAG_USER_PAGE 4u /* user memory starts here on every size */
#define LM_NTAG_CC_MAGIC 0xE1u

/* Tag command codes (first byte of a command frame). */
#define LM_NTAG_CMD_GET_VERSION 0x60u
#define LM_NTAG_CMD_READ 0x30u
#define LM_NTAG_CMD_FAST_READ 0x3Au
#define LM_NTAG_CMD_WRITE 0xA2u
#define LM_NTAG_CMD_COMP_WRITE 0xA0u
#define LM_NTAG_CMD_READ_CNT 0x39u
#define LM_NTAG_CMD_PWD_AUTH 0x1Bu
#define LM_NTAG_CMD_READ_SIG 0x3Cu
#define LM_NTAG_CMD_HALT 0x50u

/* 4-bit answers. */
#define LM_NTAG_ACK 0x0Au
#define LM_NTAG_NAK_INVALID 0x00u /* invalid argument (address, length, protection) */
#define LM_NTAG_NAK_CRC 0x01u     /* parity or CRC error */
#define LM_NTAG_NAK_AUTHLIM 0x04u /* failed-password counter overflow */
#define LM_NTAG_NAK_WRITE 0x05u   /* EEPROM write error */

/*
 * Password protection (datasheet 8.8, "Password verification protection").
 * The four configuration pages follow the dynamic lock page; their numbers
 * per size are cfg0_page in lm_ntag_types below (CFG1, PWD and PACK are the
 * next three).  AUTH0 is byte 3 of CFG0: the first protected page, so any
 * value >= the tag's page count (the factory FF) protects nothing.  ACCESS
 * is byte 0 of CFG1.  PWD (4 bytes) and PACK (2 bytes, then 2 RFU bytes) are
 * sent LSByte first in PWD_AUTH and its answer, in the same order as stored;
 * a READ or FAST_READ returns 00 for them.  PWD_AUTH = 1B PWD[4] -> PACK[2],
 * or a 4-bit NAK: wrong password (counted), or NAK 4 once the count of wrong
 * ones has reached AUTHLIM (then even the right one fails, for ever).
 * Setup order (each one WRITE, A2 page data[4]): PWD, PACK, ACCESS (CFG1),
 * AUTH0 (CFG0) LAST: once AUTH0 points at or below the configuration pages,
 * every later configuration write needs PWD_AUTH first.
 */
#define LM_NTAG_CFG1_OFF 1u     /* pages after CFG0 */
#define LM_NTAG_PWD_OFF 2u
#define LM_NTAG_PACK_OFF 3u
#define LM_NTAG_AUTH0_BYTE 3u   /* in CFG0 */
#define LM_NTAG_ACCESS_BYTE 0u  /* in CFG1 */
#define LM_NTAG_AUTH0_NONE 0xFFu /* factory AUTH0: no page protected */
#define LM_NTAG_PWD_LEN 4u
#define LM_NTAG_PACK_LEN 2u
#define LM_NTAG_PWD_DEFAULT 0xFFu /* factory PWD: FF FF FF FF; PACK 00 00 */

/* ACCESS byte bits (CFG1 byte 0). */
#define LM_NTAG_ACCESS_PROT 0x80u             /* 1: reads need PWD_AUTH too; 0: writes only */
#define LM_NTAG_ACCESS_CFGLCK 0x40u           /* CFG0/CFG1 locked for ever (not PWD/PACK) */
#define LM_NTAG_ACCESS_NFC_CNT_EN 0x10u       /* NFC counter on */
#define LM_NTAG_ACCESS_NFC_CNT_PWD_PROT 0x08u /* READ_CNT needs PWD_AUTH */
#define LM_NTAG_ACCESS_AUTHLIM 0x07u          /* wrong PWD_AUTHs allowed; 0 = no limit */

/* GET_VERSION: 00 04 04 02 01 00 SIZE 03 (NXP, NTAG, 50 pF, 1.0, size, 14443-3). */
#define LM_NTAG_VERSION_LEN 8u
#define LM_NTAG_VERSION_SIZE_BYTE 6u

/* NFC Forum Type 2 TLV tags in user memory. */
#define LM_T2T_TLV_NULL 0x00u
#define LM_T2T_TLV_NDEF 0x03u
#define LM_T2T_TLV_PROPRIETARY 0xFDu
#define LM_T2T_TLV_TERMINATOR 0xFEu

/*
 * The three sizes, indexed like enum lm_ntag_kind (firmware/ntag) and
 * LM_KIND_NTAG213.. (lm_transport.h) counted from NTAG213.  user_pages
 * counts the pages from LM_NTAG_USER_PAGE up to the dynamic lock bytes;
 * cc_size is CC byte 2, the NDEF data area the CC declares in units of 8
 * bytes (which is LESS than the user memory on NTAG215 and 216: 496 of 504
 * and 872 of 888 bytes); version_size is GET_VERSION byte 6.
 */
struct lm_ntag_type {
	uint16_t model;       /* 213, 215, 216 */
	uint8_t pages;        /* 45, 135, 231 */
	uint8_t user_pages;   /* 36, 126, 222 (144, 504, 888 bytes) */
	uint8_t cc_size;      /* 0x12, 0x3E, 0x6D (144, 496, 872 bytes) */
	uint8_t version_size; /* 0x0F, 0x11, 0x13 */
	uint8_t cfg0_page;    /* 0x29, 0x83, 0xE3: CFG0 (AUTH0); CFG1, PWD, PACK follow */
};

#define LM_NTAG_TYPES 3u
static const struct lm_ntag_type lm_ntag_types[LM_NTAG_TYPES] = {
	{213u, 45u, 36u, 0x12u, 0x0Fu, 0x29u},
	{215u, 135u, 126u, 0x3Eu, 0x11u, 0x83u},
	{216u, 231u, 222u, 0x6Du, 0x13u, 0xE3u},
};

/* ---- PC/SC part 3: a memory tag behind a contactless reader ----------- */

#define LM_PCSC3_CLA 0xFFu
#define LM_PCSC3_GET_DATA 0xCAu      /* P1 00: UID, 01: ATS */
#define LM_PCSC3_READ_BINARY 0xB0u   /* P2 = page, Le = 16 (4 pages) */
#define LM_PCSC3_UPDATE_BINARY 0xD6u /* P2 = page, Lc = 4 */

/*
 * PC/SC part 3 supplement v2.02 (2010), 3.2.2.1.8: the raw tag command path
 * of readers that implement it (docs/nfc.md).  FF C2 00 P2 Lc DOs [Le],
 * the data a sequence of BER-TLV data objects (DOs); the answer is DOs, the
 * first always the generic error status C0 03 N SW1 SW2 (N = index of the
 * failing DO from 1, 0 = the APDU), then SW1 SW2 (90 00 when C0 says so).
 *   Manage session  FF C2 00 00 02 81 00   start a transparent session
 *                   FF C2 00 00 02 82 00   end it
 *   Exchange        FF C2 00 01 LL 95 LEN CMD...   transceive CMD (no CRC_A)
 *                   -> C0 03 00 90 00 92 01 BITS 96 02 00 00 97 LEN ANSWER 90 00
 *                   (BITS = valid bits in the last answer byte, 0 = all 8:
 *                   a 4-bit ACK/NAK comes back as 97 01 0X with 92 01 04);
 *                   no answer from the tag: C0 03 01 64 01, SW 64 01.
 */
#define LM_PCSC3_SESSION 0xC2u       /* INS */
#define LM_PCSC3_P2_MANAGE 0x00u     /* manage session */
#define LM_PCSC3_P2_EXCHANGE 0x01u   /* transparent exchange */
#define LM_PCSC3_DO_VERSION 0x80u
#define LM_PCSC3_DO_START 0x81u      /* start transparent session */
#define LM_PCSC3_DO_END 0x82u        /* end transparent session */
#define LM_PCSC3_DO_RF_OFF 0x83u
#define LM_PCSC3_DO_RF_ON 0x84u
#define LM_PCSC3_DO_FLAGS 0x90u      /* transmission/reception flags, 2 bytes */
#define LM_PCSC3_DO_TX_BITS 0x91u    /* transmission bit framing, 1 byte */
#define LM_PCSC3_DO_RX_BITS 0x92u    /* reception bit framing (answer), 1 byte */
#define LM_PCSC3_DO_TRANSCEIVE 0x95u
#define LM_PCSC3_DO_RESP_STATUS 0x96u /* answer: 2 bytes, CRC/parity/framing errors */
#define LM_PCSC3_DO_RESPONSE 0x97u    /* answer: the tag's bytes */
#define LM_PCSC3_DO_STATUS 0xC0u      /* generic error status: N SW1 SW2 */
#define LM_PCSC3_DO_TIMER 0x5F46u     /* 4 bytes, microseconds (accepted, not modelled) */
#define LM_SW_NO_ANSWER 0x6401u       /* C0: no answer from the tag */
#define LM_SW_DO_UNSUPPORTED 0x6A81u  /* C0: this DO is not supported */
#define LM_SW_DO_LENGTH 0x6700u       /* C0: this DO has a wrong length */
#define LM_SW_NO_SESSION 0x6986u      /* exchange outside a transparent session */

#endif /* LM_PROTO_H */
