#!/usr/bin/env python3
"""t2t_view.py DUMP [PROP_LEN]: read a Type 2 tag dump (nfc-mfultralight r)
the way a phone's NDEF reader does (NFC Forum T2TOP 1.1, 2.3 and 6.4.1):
the capability container at page 3 declares the data area (byte 2 x 8
bytes from page 4); walk its TLV chain.  Exit 0 and print what was found
when the chain is well formed: the first NDEF message TLV (its length),
every TLV inside the data area, a terminator TLV; with PROP_LEN, also a
proprietary TLV of that length.  Written from the spec, independently of
lib/transport/cardcmd.c."""
import sys

mem = open(sys.argv[1], "rb").read()
want_prop = int(sys.argv[2]) if len(sys.argv) > 2 else None
cc = mem[12:16]
if cc[0] != 0xE1 or cc[1] >> 4 != 1:
    sys.exit("no NDEF capability container: %s" % cc.hex())
area = mem[16:16 + cc[2] * 8]
pos, ndef, prop, term = 0, None, None, False
while pos < len(area):
    t = area[pos]
    if t == 0x00:
        pos += 1
        continue
    if t == 0xFE:
        term = True
        break
    if pos + 2 > len(area):
        sys.exit("TLV %02x at %d: head past the data area" % (t, pos))
    n, head = area[pos + 1], 2
    if n == 0xFF:
        if pos + 4 > len(area):
            sys.exit("TLV %02x at %d: length past the data area" % (t, pos))
        n, head = area[pos + 2] << 8 | area[pos + 3], 4
    if pos + head + n > len(area):
        sys.exit("TLV %02x at %d: %d bytes run past the data area (%d bytes)"
                 % (t, pos, n, len(area)))
    if t == 0x03 and ndef is None:
        ndef = n
    elif t == 0xFD:
        prop = n
    elif t not in (0x01, 0x02, 0x03):
        sys.exit("TLV %02x at %d: unknown type" % (t, pos))
    pos += head + n
if ndef is None:
    sys.exit("no NDEF message TLV: a phone sees no NDEF tag")
if not term:
    sys.exit("no terminator TLV inside the data area")
if want_prop is not None and prop != want_prop:
    sys.exit("proprietary TLV of %s bytes, want %d" % (prop, want_prop))
print("ndef=%d proprietary=%s terminator area=%d" % (ndef, prop, len(area)))
