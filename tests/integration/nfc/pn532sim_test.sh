#!/usr/bin/env bash
# Integration tests: Debian's own libnfc tools (nfc-list, nfc-mfultralight,
# pn532_uart driver) against lm-pn532sim on a pseudo-terminal.
#
# usage: pn532sim_test.sh PATH/TO/lm-pn532sim CASE [PATH/TO/nfc_apdu]
# Each case starts its own simulator and kills only that PID.
set -u

SIM=$1
CASE=$2
APDU=${3:-}
AID=F04C4155464D41505045 # lm_applet_aid (firmware/applet/lm_applet.c)
WORK=$(mktemp -d)
SIM_PID=
SIM_PTY=
UID_TEXT="04 4c 4d 53 49 4d 01" # lm_ntag_default_uid as nfc-list prints it

cleanup() {
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -s "$WORK/sim.err" ]; then
        echo "--- simulator stderr:" >&2
        tail -20 "$WORK/sim.err" >&2
    fi
    exit 1
}

# libnfc: only our device, no scanning of real ports, no user config.
mkdir -p "$WORK/conf"
export LIBNFC_AUTO_SCAN=false LIBNFC_INTRUSIVE_SCAN=false
export XDG_CONFIG_HOME="$WORK/conf" HOME="$WORK/conf"
unset LIBNFC_LOG_LEVEL

# start_sim ARGS...: start the simulator, wait for the pty path on its first line.
start_sim() {
    "$SIM" "$@" >"$WORK/sim.out" 2>"$WORK/sim.err" &
    SIM_PID=$!
    for _ in $(seq 100); do
        SIM_PTY=$(head -n 1 "$WORK/sim.out" 2>/dev/null)
        [ -n "$SIM_PTY" ] && break
        kill -0 "$SIM_PID" 2>/dev/null || fail "simulator exited: $*"
        sleep 0.05
    done
    [ -n "$SIM_PTY" ] || fail "simulator printed no pty path"
    export LIBNFC_DEVICE="pn532_uart:$SIM_PTY"
}

stop_sim() {
    kill "$SIM_PID" 2>/dev/null
    wait "$SIM_PID" 2>/dev/null
    SIM_PID=
}

sim_alive() {
    kill -0 "$SIM_PID" 2>/dev/null || fail "simulator died"
}

# run_tool OUTFILE CMD...: run a libnfc client under a timeout; returns its status.
run_tool() {
    local out=$1
    shift
    timeout 30 "$@" >"$out" 2>&1 </dev/null
}

# UID line of nfc-list output, spaces squeezed.
listed_uid() {
    grep 'UID (NFCID' "$1" | sed 's/.*: *//' | tr -s ' ' | sed 's/ *$//'
}

expect_listed() {
    run_tool "$WORK/list.txt" nfc-list || fail "nfc-list failed: $(cat "$WORK/list.txt")"
    [ "$(listed_uid "$WORK/list.txt")" = "$1" ] ||
        fail "nfc-list shows UID '$(listed_uid "$WORK/list.txt")', want '$1'"
}

expect_nothing_listed() {
    run_tool "$WORK/list.txt" nfc-list
    [ $? -ne 124 ] || fail "nfc-list hung"
    ! grep -q 'UID (NFCID' "$WORK/list.txt" || fail "nfc-list found a target: $(cat "$WORK/list.txt")"
}

# dump_matches KIND PAGES: nfc-mfultralight r equals the memory file, except
# PWD and PACK (last two pages), which the tag reads back as zeros.
dump_matches() {
    local mem=$WORK/$1.bin pages=$2
    local keep=$(((pages - 2) * 4))
    start_sim --tag "$1" --memory "$mem"
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/dump.bin" ||
        fail "nfc-mfultralight r on $1: $(tail -3 "$WORK/mfu.txt")"
    [ "$(stat -c %s "$WORK/dump.bin")" -eq $((pages * 4)) ] || fail "$1: dump size"
    cmp -n "$keep" "$WORK/dump.bin" "$mem" || fail "$1: dump differs from the memory file"
    [ "$(tail -c 8 "$WORK/dump.bin" | od -An -tx1 | tr -d ' \n')" = 0000000000000000 ] ||
        fail "$1: PWD/PACK not read as zeros"
    stop_sim
}

case $CASE in
list)
    # nfc-list shows the NTAG216 with its UID, the default one and a given one.
    start_sim --tag ntag216 --memory "$WORK/a.bin"
    expect_listed "$UID_TEXT"
    grep -q 'ATQA (SENS_RES): 00  44' "$WORK/list.txt" || fail "ATQA"
    stop_sim
    start_sim --tag ntag216 --memory "$WORK/b.bin" --uid 04A1B2C3D4E5F6
    expect_listed "04 a1 b2 c3 d4 e5 f6"
    ;;
dump)
    dump_matches ntag213 45
    dump_matches ntag215 135
    dump_matches ntag216 231
    ;;
successive)
    # One simulator, many client programs opening and closing the pty.
    start_sim --tag ntag216 --memory "$WORK/a.bin"
    for i in 1 2 3; do
        expect_listed "$UID_TEXT"
        run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/dump$i.bin" ||
            fail "nfc-mfultralight r, round $i"
        # A client killed hard leaves the pty "claimed"; the next must still open it.
        bash -c 'timeout -s KILL 0.05 nfc-list; true' >/dev/null 2>&1
    done
    expect_listed "$UID_TEXT"
    sim_alive
    ;;
none)
    start_sim --tag none
    expect_nothing_listed
    grep -q 'NFC device: .* opened' "$WORK/list.txt" || fail "device not opened: $(cat "$WORK/list.txt")"
    sim_alive
    ;;
malformed)
    # A bad DCS, a bad LCS, a garbled frame: nfc-list fails cleanly and soon;
    # the simulator lives on and the next client works.
    for opt in "--corrupt-checksum-after 1" "--corrupt-lcs-after 0" "--bad-frame-after 1" \
        "--corrupt-checksum-after 4"; do
        # shellcheck disable=SC2086
        start_sim --tag ntag216 --memory "$WORK/a.bin" $opt
        start=$(date +%s)
        run_tool "$WORK/list.txt" nfc-list
        rc=$?
        [ $rc -ne 124 ] || fail "$opt: nfc-list hung"
        [ $(($(date +%s) - start)) -le 10 ] || fail "$opt: nfc-list took too long"
        if [ $rc -eq 0 ] && ! grep -qiE 'error|unable' "$WORK/list.txt"; then
            fail "$opt: nfc-list neither failed nor reported an error: $(cat "$WORK/list.txt")"
        fi
        ! grep -q 'UID (NFCID' "$WORK/list.txt" || fail "$opt: a target was listed"
        sim_alive
        expect_listed "$UID_TEXT"
        stop_sim
    done
    ;;
remove)
    # SIGUSR1 takes the tag away, SIGUSR2 brings it back.
    start_sim --tag ntag216 --memory "$WORK/a.bin"
    expect_listed "$UID_TEXT"
    kill -USR1 "$SIM_PID"
    sleep 0.2
    expect_nothing_listed
    kill -USR2 "$SIM_PID"
    sleep 0.2
    expect_listed "$UID_TEXT"
    stop_sim
    # --remove-after-cmds: the tag leaves in the middle of a dump.
    start_sim --tag ntag216 --memory "$WORK/a.bin" --remove-after-cmds 5
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/dump.bin"
    rc=$?
    [ $rc -ne 124 ] || fail "nfc-mfultralight hung"
    if [ $rc -eq 0 ] && ! grep -qiE 'error|fail' "$WORK/mfu.txt"; then
        fail "dump of a removed tag succeeded: $(tail -3 "$WORK/mfu.txt")"
    fi
    sim_alive
    ;;
write)
    # nfc-mfultralight w writes the dump back (COMPATIBILITY_WRITE through
    # InDataExchange); the memory file then holds the new bytes.
    start_sim --tag ntag216 --memory "$WORK/a.bin"
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/d0.bin" || fail "read"
    cp "$WORK/d0.bin" "$WORK/d1.bin"
    printf 'HELLO-LAUFMAPPE!' | dd of="$WORK/d1.bin" bs=1 seek=16 conv=notrunc 2>/dev/null
    run_tool "$WORK/mfu.txt" nfc-mfultralight w "$WORK/d1.bin" || fail "write: $(tail -3 "$WORK/mfu.txt")"
    grep -q '0 pages failed' "$WORK/mfu.txt" || fail "write: $(tail -1 "$WORK/mfu.txt")"
    [ "$(dd if="$WORK/a.bin" bs=1 skip=16 count=16 2>/dev/null)" = HELLO-LAUFMAPPE! ] ||
        fail "memory file does not hold the written pages"
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/d2.bin" || fail "read back"
    cmp -n 16 -i 16 "$WORK/d1.bin" "$WORK/d2.bin" || fail "read back differs"
    ;;
tear)
    # --tear-after-writes 2: pages 4 and 5 land, page 6 does not (old or new,
    # never half), the tag disappears, and the simulator survives.
    start_sim --tag ntag216 --memory "$WORK/a.bin"
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/d0.bin" || fail "read"
    stop_sim
    cp "$WORK/a.bin" "$WORK/before.bin"
    cp "$WORK/d0.bin" "$WORK/d1.bin"
    printf 'AAAABBBBCCCCDDDD' | dd of="$WORK/d1.bin" bs=1 seek=16 conv=notrunc 2>/dev/null
    start_sim --tag ntag216 --memory "$WORK/a.bin" --tear-after-writes 2
    run_tool "$WORK/mfu.txt" nfc-mfultralight w "$WORK/d1.bin"
    [ $? -ne 124 ] || fail "nfc-mfultralight w hung"
    grep -q '0 pages failed' "$WORK/mfu.txt" && fail "a torn write reported no failure"
    { printf AAAABBBB; dd if="$WORK/before.bin" bs=1 skip=24 count=4 2>/dev/null; } >"$WORK/want.bin"
    dd if="$WORK/a.bin" of="$WORK/got.bin" bs=1 skip=16 count=12 2>/dev/null
    cmp "$WORK/want.bin" "$WORK/got.bin" ||
        fail "memory after tear: $(od -An -c "$WORK/got.bin")"
    expect_nothing_listed
    sim_alive
    kill -USR2 "$SIM_PID"
    sleep 0.2
    expect_listed "$UID_TEXT"
    ;;
applet)
    # The ISO-DEP card: listed with SAK 20 and an ATS; APDUs reach the applet
    # through InDataExchange; SIGUSR1/SIGUSR2 take it away and back.
    [ -n "$APDU" ] || fail "applet case needs the nfc_apdu helper"
    start_sim --tag applet --memory "$WORK/applet.bin"
    expect_listed "08 4c 4d 41"
    grep -q 'SAK (SEL_RES): 20' "$WORK/list.txt" || fail "SAK"
    grep -q 'ATS: 78  80  70  02' "$WORK/list.txt" || fail "ATS"
    run_tool "$WORK/apdu.txt" "$APDU" 00A404000A${AID}00 00CA000100 || fail "apdu: $(cat "$WORK/apdu.txt")"
    [ "$(tr -d '\n' <"$WORK/apdu.txt")" = 90000101029000 ] || fail "apdu answers: $(cat "$WORK/apdu.txt")"
    kill -USR1 "$SIM_PID"
    sleep 0.2
    run_tool "$WORK/apdu.txt" "$APDU" 00A404000A${AID}00 && fail "APDU to a removed card succeeded"
    kill -USR2 "$SIM_PID"
    sleep 0.2
    run_tool "$WORK/apdu.txt" "$APDU" 00A404000A${AID}00 || fail "apdu after reinsert: $(cat "$WORK/apdu.txt")"
    sim_alive
    ;;
protect)
    # A password-protected NTAG216 (--protect: PWD 12345678, PACK ABCD,
    # AUTH0 06, ACCESS 83 = PROT + AUTHLIM 3). Pages 6..E1 hold distinct
    # words 53 45 PP C7. Without the password nfc-mfultralight gets pages
    # 0-5 and nothing else: no protected word in its dump or in the frame
    # log; with --pw it reads PACK ABCD and every page (PWD/PACK as 00);
    # three wrong passwords lock the tag, across a restart of the simulator.
    MEM=$WORK/p.bin
    PROTECT="--protect 12345678:ABCD:06:83"
    start_sim --tag ntag216 --memory "$MEM"
    stop_sim
    python3 -c 'import sys; sys.stdout.buffer.write(b"".join(bytes([0x53, 0x45, p, 0xC7]) for p in range(6, 226)))' |
        dd of="$MEM" bs=4 seek=6 conv=notrunc status=none
    # no_secret FILE...: none of the protected words (pages 6..E1 of MEM) in the
    # files (binary dumps, or frame logs whose hex is read as bytes).
    no_secret() {
        python3 - "$MEM" "$@" <<'PY' || fail "protected content leaked into $*"
import re, sys
mem = open(sys.argv[1], 'rb').read()
words = [mem[p * 4:p * 4 + 4] for p in range(6, 226)]
for path in sys.argv[2:]:
    data = open(path, 'rb').read()
    if path.endswith('.log'):
        data = b''.join(bytes.fromhex(' '.join(re.findall(r'\b[0-9A-F]{2}\b', line)))
                        for line in data.decode().splitlines())
    hits = [w.hex() for w in words if w in data]
    if hits:
        sys.exit('%s holds %d protected words, e.g. %s' % (path, len(hits), hits[0]))
PY
    }
    start_sim --tag ntag216 --memory "$MEM" $PROTECT --log "$WORK/open.log"
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/d1.mfd"
    [ $? -ne 124 ] || fail "nfc-mfultralight hung"
    grep -q "Done, 8 of 231 pages read" "$WORK/mfu.txt" ||
        fail "without the password: $(grep Done "$WORK/mfu.txt")"
    cmp -n 24 "$WORK/d1.mfd" "$MEM" || fail "public pages 0-5 differ"
    # READ 30 04 rolls over at AUTH0: pages 4, 5, 0, 1.
    cmp -n 8 -i 24:0 "$WORK/d1.mfd" "$MEM" || fail "READ 04 did not roll over at AUTH0"
    no_secret "$WORK/d1.mfd" "$WORK/open.log"
    stop_sim

    start_sim --tag ntag216 --memory "$MEM" $PROTECT --log "$WORK/pw.log"
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/d2.mfd" --pw 12345678 ||
        fail "nfc-mfultralight --pw: $(tail -3 "$WORK/mfu.txt")"
    grep -q "PACK: abcd" "$WORK/mfu.txt" || fail "no PACK: $(grep -i pack "$WORK/mfu.txt")"
    grep -q "Done, 231 of 231 pages read" "$WORK/mfu.txt" || fail "with the password: not all pages"
    cmp -n $((229 * 4)) "$WORK/d2.mfd" "$MEM" || fail "dump with the password differs"
    # The tag reads PWD and PACK as 00 (READ E4: CFG1, 00 x 8, page 0); the
    # tool itself fills the PWD it sent and the PACK it got into its dump.
    grep -A1 '^pn532sim <- D4 40 01 30 E4$' "$WORK/pw.log" |
        grep -q ' D5 41 00 83 05 00 00 00 00 00 00 00 00 00 00 04 4C 4D 8D ' ||
        fail "PWD/PACK not read as zeros: $(grep -A1 ' 40 01 30 E4' "$WORK/pw.log")"
    # The frame log shows PWD_AUTH as libnfc sends it: InCommunicateThru, CRC_A added.
    grep -q "^pn532sim <- D4 42 1B 12 34 56 78 0A 94$" "$WORK/pw.log" || fail "no PWD_AUTH in the log"
    grep -q "^pn532sim -> 00 00 FF 07 F9 D5 43 00 AB CD 1E 48 0A 00$" "$WORK/pw.log" ||
        fail "no PACK in the log"
    stop_sim

    start_sim --tag ntag216 --memory "$MEM" $PROTECT --log "$WORK/wrong.log"
    for pw in 00000000 00000001 00000002 12345678; do
        run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/d3.mfd" --pw $pw
        grep -q "Done, 8 of 231 pages read" "$WORK/mfu.txt" || fail "read with the wrong password $pw"
    done
    # NAK 0 (D5 43 00 00: one byte, 4 bits) three times, then NAK 4 for the right password.
    [ "$(grep -A1 '^pn532sim <- D4 42 1B' "$WORK/wrong.log" | grep -c '^pn532sim -> .* D5 43 00 00 E8 00$')" = 3 ] ||
        fail "three NAK 0: $(grep -A1 ' 42 1B' "$WORK/wrong.log")"
    grep -A1 '^pn532sim <- D4 42 1B 12 34 56 78' "$WORK/wrong.log" | grep -q ' D5 43 00 04 E4 00$' ||
        fail "no NAK 4 for the right password after AUTHLIM"
    stop_sim
    start_sim --tag ntag216 --memory "$MEM" $PROTECT --log "$WORK/locked.log"
    run_tool "$WORK/mfu.txt" nfc-mfultralight r "$WORK/d4.mfd" --pw 12345678
    grep -A1 '^pn532sim <- D4 42 1B 12 34 56 78' "$WORK/locked.log" | grep -q ' D5 43 00 04 E4 00$' ||
        fail "the lock did not survive a restart"
    no_secret "$WORK/d3.mfd" "$WORK/d4.mfd" "$WORK/wrong.log" "$WORK/locked.log"
    [ "$(stat -c %s "$MEM")" -eq $((231 * 4 + 4)) ] || fail "no state record in the memory file"
    [ "$(od -An -tx1 -j$((231 * 4)) -N1 "$MEM" | tr -d ' ')" = 03 ] || fail "wrong-password count"
    ;;
*)
    fail "unknown case $CASE"
    ;;
esac
echo "ok: $CASE"
