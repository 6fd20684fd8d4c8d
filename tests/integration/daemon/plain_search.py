#!/usr/bin/env python3
"""Search a lm-pn532sim frame log (docs/pn532sim.md) for plaintext.

Usage: plain_search.py LOG NEEDLE_HEX...
Each needle (an entry's card bytes, a holder id, a text field, in hex) is
cut into sliding windows of 8 bytes (a shorter needle is searched whole);
every frame's bytes (one log line each) are searched for every window.
Prints one line per needle that was found (its index and the frame line),
and exits 1 if any was, 0 if none.
"""
import sys

WINDOW = 8


def frames(path):
    with open(path, encoding="ascii", errors="replace") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            # "pn532sim <- D4 40 ..." / "pn532sim -> 00 00 FF ..."
            if len(parts) > 2 and parts[1] in ("<-", "->"):
                try:
                    yield n, bytes.fromhex("".join(parts[2:]))
                except ValueError:
                    pass


def main():
    log, needles = sys.argv[1], [bytes.fromhex(h) for h in sys.argv[2:]]
    found = 0
    data = list(frames(log))
    for i, needle in enumerate(needles):
        w = min(WINDOW, len(needle))
        windows = {needle[o:o + w] for o in range(len(needle) - w + 1)}
        for n, b in data:
            if any(x in b for x in windows):
                print(f"needle {i} ({len(needle)} bytes) in frame line {n}")
                found += 1
                break
    print(f"{len(needles)} needles, {len(data)} frames, {found} found", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
