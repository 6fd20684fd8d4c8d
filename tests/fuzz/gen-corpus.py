#!/usr/bin/env python3
"""gen-corpus.py - writes the generated seed corpora of the fuzz targets.

    python3 tests/fuzz/gen-corpus.py [BUILD]  # (re)writes the files below

Run on demand (the seeds are committed).  Every seed is a valid input built
from the test vectors (tests/vectors) or from the protocols' own framing, so
the fuzzer starts deep inside each decoder instead of at its first check:

  corpus/trust_payload/vectors_trust.cbor
        the payload of tests/vectors/trust.cose (four institutions, one
        revoked), cut out of its COSE_Sign1; the other *.cbor there are the
        trust target's payload seeds, copied (unless the same bytes).
  corpus/card/append_*
        a card image's header and committed log (tests/vectors/images, and
        a freshly formatted header) followed by a signed entry
        (tests/vectors/card/01.cose, 03.cose: lengths a multiple of 4, so
        that they fit the free space exactly), which fuzz_card appends.
  corpus/pn532sim/*.bin
        host->chip byte streams as libnfc writes them: nfc-list's session,
        a laufmappe NTAG216 read and append (GET_VERSION through
        InCommunicateThru, READ, FAST_READ, WRITE; the TLV layout of
        docs/nfc.md), an extended frame, ACK/NACK,
        junk between frames, a card leaving the field after 6 commands, and
        the applet card over ISO-DEP (SELECT, GET DATA, format, read).
  corpus/transport/*
        the card's side of whole taps (fuzz_transport.c's input format),
        recorded by BUILD/tests/fuzz/record_transport (default BUILD: build)
        with our applet and the NTAG model playing the card: format a blank
        card, append tests/vectors/card/02.cose, then 01.cose (which fills an
        NTAG213), wipe; for the applet, an NTAG216 through PC/SC part 3, an
        NTAG213 and an NTAG216 through libnfc; and the card leaving the field
        in the middle of the first append; a 0.1.0-layout NTAG (part 3 and
        libnfc) read as LM_ERR_VERSION and wiped, then formatted.

Seeds kept by hand (crash regressions, named regress_*) are not touched.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors")
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))


def read(*path):
    with open(os.path.join(*path), "rb") as f:
        return f.read()


# --- CBOR, only as far as cutting a COSE_Sign1 apart needs -----------------

def cbor_head(b, i):
    """(major type, argument, index after the head) of the item at b[i]."""
    major, info = b[i] >> 5, b[i] & 31
    i += 1
    if info < 24:
        return major, info, i
    n = {24: 1, 25: 2, 26: 4, 27: 8}[info]
    return major, int.from_bytes(b[i:i + n], "big"), i + n


def cose_payload(cose):
    """The payload bstr of a tagged COSE_Sign1 [protected, unprotected, payload, sig]."""
    major, val, i = cbor_head(cose, 0)
    if major == 6:  # tag 18
        major, val, i = cbor_head(cose, i)
    assert major == 4 and val == 4, "not a COSE_Sign1 array"
    major, val, i = cbor_head(cose, i)  # protected: bstr
    i += val
    major, val, i = cbor_head(cose, i)  # unprotected: map (empty in ours)
    assert major == 5 and val == 0, "unprotected header not empty"
    major, val, i = cbor_head(cose, i)  # payload: bstr
    assert major == 2
    return cose[i:i + val]


# --- trust_payload ----------------------------------------------------------

def gen_trust_payload():
    vectors = cose_payload(read(VECTORS, "trust.cose"))
    write("trust_payload", "vectors_trust.cbor", vectors)
    src = os.path.join(CORPUS, "trust")
    for name in sorted(os.listdir(src)):
        if name.endswith(".cbor") and read(src, name) != vectors:
            write("trust_payload", name, read(src, name))


# --- card -------------------------------------------------------------------

def gen_card():
    images = {"blank": bytes([0x4C, 0x4D, 1, 0, 0, 0, 0xFF, 0xFF]) + bytes(range(0xA1, 0xB1))}
    for name in sorted(os.listdir(os.path.join(VECTORS, "images"))):
        img = read(VECTORS, "images", name)
        committed = int.from_bytes(img[4:6], "big")
        images[name.rsplit(".", 1)[0]] = img[:24 + committed]
    for iname, head in images.items():
        for ename in ("01", "03"):
            entry = read(VECTORS, "card", ename + ".cose")
            assert len(entry) % 4 == 0
            write("card", "append_%s_%s" % (iname, ename), head + entry)


# --- pn532sim ---------------------------------------------------------------

def crc_a(data):
    """ISO/IEC 14443-3 CRC_A, low byte first."""
    crc = 0x6363
    for byte in data:
        byte ^= crc & 0xFF
        byte = (byte ^ (byte << 4)) & 0xFF
        crc = ((crc >> 8) ^ (byte << 8) ^ (byte << 3) ^ (byte >> 4)) & 0xFFFF
    return bytes([crc & 0xFF, crc >> 8])


def host_frame(body):
    """A host->chip frame around D4 + body (normal or extended)."""
    data = bytes([0xD4]) + bytes(body)
    dcs = (-sum(data)) & 0xFF
    if len(data) <= 255:
        return bytes([0, 0, 0xFF, len(data), (-len(data)) & 0xFF]) + data + bytes([dcs, 0])
    hi, lo = len(data) >> 8, len(data) & 0xFF
    return bytes([0, 0, 0xFF, 0xFF, 0xFF, hi, lo, (-(hi + lo)) & 0xFF]) + data + bytes([dcs, 0])


ACK = bytes([0, 0, 0xFF, 0, 0xFF, 0])
NACK = bytes([0, 0, 0xFF, 0xFF, 0, 0])
WAKEUP = bytes([0x55, 0x55, 0, 0, 0])

# libnfc's pn532_uart opening sequence (as nfc-list sends it).
NFC_OPEN = [
    [0x14, 0x01],                                   # SAMConfiguration normal
    [0x00, 0x00] + list(b"libnfc"),                 # Diagnose: communication test
    [0x02],                                         # GetFirmwareVersion
    [0x12, 0x14],                                   # SetParameters
    [0x06, 0x63, 0x02, 0x63, 0x03],                 # ReadRegister TxMode, RxMode
    [0x08, 0x63, 0x02, 0x80, 0x63, 0x03, 0x80],     # WriteRegister CRC on
    [0x32, 0x01, 0x01],                             # RFConfiguration field on
    [0x4A, 0x01, 0x00],                             # InListPassiveTarget 106A
]
CRC_OFF = [0x08, 0x63, 0x02, 0x00, 0x63, 0x03, 0x00]
CRC_ON = [0x08, 0x63, 0x02, 0x80, 0x63, 0x03, 0x80]
CLOSE = [[0x44, 0x00], [0x52, 0x00], [0x32, 0x01, 0x00]]


NEVER = 0x7F   # byte 0, bits 0-6: --remove-after-cmds budget, 0x7F never
APPLET = 0x80  # byte 0, bit 7: the applet card (ISO-DEP) instead of the NTAG216
AID = [0xF0, 0x4C, 0x41, 0x55, 0x46, 0x4D, 0x41, 0x50, 0x50, 0x45]


def session(budget, cmds, extra=b""):
    """Byte 0 = card and --remove-after-cmds budget, then the UART stream."""
    return bytes([budget]) + WAKEUP + b"".join(host_frame(c) for c in cmds) + extra


def gen_pn532sim():
    get_version = [0x42, 0x60] + list(crc_a([0x60]))
    list_session = NFC_OPEN + [
        CRC_OFF, [0x42, 0x60, 0xF8, 0x32], CRC_ON,      # nfc-mfultralight's GET_VERSION
        [0x40, 0x01, 0x30, 0x00],                       # READ page 0
        [0x40, 0x01, 0xA2, 0x04, 1, 2, 3, 4],           # WRITE page 4
        [0x40, 0x01, 0x3A, 0x00, 0xE6],                 # FAST_READ all of an NTAG216
        [0x42], [0x44, 0x00], [0x52, 0x00]]
    write("pn532sim", "nfc_list_session.bin", session(NEVER, list_session))
    # What lib/transport/nfc.c (through cardcmd.c) does on a tap with an
    # NTAG216 in the TLV layout of docs/nfc.md: GET_VERSION raw, READ of pages
    # 4-7 (the layout), FAST_READ of the header (pages 6-11) and the log,
    # WRITEs of an append, the commit page (7); format's TLV pages 4 and 5.
    tap = NFC_OPEN + [
        CRC_OFF, get_version, CRC_ON,
        [0x40, 0x01, 0x30, 0x04],                       # READ pages 4-7
        [0x40, 0x01, 0x3A, 0x06, 0x0B],
        [0x40, 0x01, 0x3A, 0x0C, 0x30],
        [0x40, 0x01, 0x30, 0x03],                       # READ CC
        [0x40, 0x01, 0xA2, 0x04, 0x03, 0x00, 0x00, 0x00],
        [0x40, 0x01, 0xA2, 0x05, 0xFD, 0xFF, 0x03, 0x5C],
        [0x40, 0x01, 0xA2, 0x0C, 0xD2, 0x84, 0x43, 0xA1],
        [0x40, 0x01, 0xA2, 0x07, 0x00, 0x04, 0xFF, 0xFB],
        [0x40, 0x01, 0xA0, 0x07, 0xAA],                 # COMPATIBILITY_WRITE, first half
        [0x40, 0x01, 0x39, 0x02],                       # READ_CNT
        [0x40, 0x01, 0x3C, 0x00],                       # READ_SIG
        [0x40, 0x01, 0x1B, 0xFF, 0xFF, 0xFF, 0xFF],     # PWD_AUTH
        [0x04],                                         # GetGeneralStatus
        [0x54, 0x01],                                   # InSelect
        [0x40, 0x01, 0x50, 0x00],                       # HALT
    ] + CLOSE
    write("pn532sim", "laufmappe_tap.bin", session(NEVER, tap))
    # The card leaves the field after 6 commands, in the middle of the reads.
    write("pn532sim", "removed_mid_read.bin", session(6, tap))
    # ACK aborts, NACK asks again, junk and a bad checksum in between.
    noisy = (bytes([NEVER]) + WAKEUP + host_frame([0x02]) + NACK + host_frame([0x4A, 0x01, 0x00]) +
             ACK + b"\x00\x13\x37" + host_frame([0x40, 0x01, 0x30, 0x04])[:-2] + b"\x00\x00" +
             host_frame([0x40, 0x01, 0x30, 0x04]) + ACK)
    write("pn532sim", "ack_nack_junk.bin", noisy)
    # An extended frame (more than 255 data bytes: the chip must refuse it cleanly).
    write("pn532sim", "extended_frame.bin",
          session(NEVER, NFC_OPEN + [[0x40, 0x01, 0xA2, 0x10] + [0x5A] * 260]))
    # The applet card: SELECT, GET DATA capacity, format (UPDATE + COMMIT), read back.
    header = [0x4C, 0x4D, 0x01, 0x00, 0x00, 0x00, 0xFF, 0xFF] + list(range(0xA1, 0xB1))
    def apdu(*b):
        return [0x40, 0x01] + list(b)
    applet = NFC_OPEN + [
        apdu(0x00, 0xA4, 0x04, 0x00, len(AID), *AID),
        apdu(0x00, 0xCA, 0x00, 0x02, 0x04),
        apdu(0x80, 0xD6, 0x00, 0x00, 0x04, *header[0:4]),
        apdu(0x80, 0xD6, 0x00, 0x08, 0x10, *header[8:24]),
        apdu(0x80, 0xD6, 0x00, 0x04, 0x04, *header[4:8]),
        apdu(0x80, 0xDA, 0x00, 0x00),
        apdu(0x00, 0xB0, 0x00, 0x00, 0x18),
        apdu(0x80, 0xDE, 0x00, 0x00),
        [0x44, 0x01], [0x54, 0x01], apdu(0x00, 0xB0, 0x00, 0x00, 0x18)] + CLOSE
    write("pn532sim", "applet_format_read.bin", session(APPLET | NEVER, applet))
    write("pn532sim", "applet_removed.bin", session(APPLET | 10, applet))
    # Power down and wake, field off and on, two targets requested.
    write("pn532sim", "power_cycle.bin", session(NEVER, NFC_OPEN + [
        [0x16, 0x88, 0x01], [0x32, 0x01, 0x00], [0x32, 0x01, 0x01],
        [0x4A, 0x02, 0x00], [0x40, 0x01, 0x30, 0x00]] + CLOSE))


# --- transport --------------------------------------------------------------

def gen_transport(build):
    out = os.path.join(CORPUS, "transport")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if not name.startswith("regress_"):
            os.remove(os.path.join(out, name))
    subprocess.run([os.path.join(build, "tests", "fuzz", "record_transport"), out,
                    os.path.join(VECTORS, "card", "02.cose"),
                    os.path.join(VECTORS, "card", "01.cose")], check=True)


def main():
    gen_trust_payload()
    gen_card()
    gen_pn532sim()
    gen_transport(sys.argv[1] if len(sys.argv) > 1 else "build")


if __name__ == "__main__":
    main()
