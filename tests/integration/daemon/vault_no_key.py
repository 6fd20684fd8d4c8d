#!/usr/bin/env python3
"""An office cannot open a holder's vault records from what it keeps.

Usage: vault_no_key.py HOLDER SECRET_B64URL OFFICE_FILE RECORDS

RECORDS: whitespace-separated TAG:REF:SEALED in hex (rows of the vault).
The key is derived as lm_vault.h says (HKDF-SHA256, salt holder, ikm the
recovery secret, info "laufmappe vault key v1"; AES-256-GCM, nonce the
first 12 bytes, aad tag||ref).  First the holder's own secret must open
every record (so the check can see a key at all); then the secret must not
appear in the office's files in any form, and no 16 bytes of them, at any
offset, taken as a recovery secret, may open any record.  An independent
implementation (python3-cryptography), not the project's C code.
"""
import base64
import hashlib
import hmac
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def hkdf(salt, ikm, info, n):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def opens(key, tag, ref, sealed):
    try:
        AESGCM(key).decrypt(sealed[:12], sealed[12:], tag + ref)
        return True
    except Exception:
        return False


def main():
    holder = bytes.fromhex(sys.argv[1])
    secret = base64.urlsafe_b64decode(sys.argv[2] + "==")
    office = open(sys.argv[3], "rb").read()
    recs = []
    for r in sys.argv[4].split():
        t, f, s = r.split(":")
        recs.append((bytes.fromhex(t), bytes.fromhex(f), bytes.fromhex(s)))
    if not recs:
        sys.exit("no records given")

    def key(s):
        return hkdf(holder, s, b"laufmappe vault key v1", 32)

    if not all(opens(key(secret), *r) for r in recs):
        sys.exit("the holder's recovery secret does not open every record")
    for form in (secret, secret.hex().encode(), secret.hex().upper().encode(),
                 sys.argv[2].encode()):
        if form in office:
            sys.exit("the recovery secret is in the office's files")
    n = 0
    for i in range(0, len(office) - 15):
        k = key(office[i:i + 16])
        n += 1
        if any(opens(k, *r) for r in recs):
            sys.exit(f"16 bytes at offset {i} of the office's files open a record")
    print(f"{n} candidate secrets from the office's files: none opens any of "
          f"{len(recs)} records", file=sys.stderr)


main()
