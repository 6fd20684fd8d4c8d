# Sourced by benches (not run by bench/run.sh): waiting for a tap of the
# daemon listening on 127.0.0.1:PORT without polling.  A loop of grep and
# sleep (or opensc-tool asking pcscd) takes CPU from the tap it waits for,
# on two cores but not on one, where it runs on the free CPU.
#   tap_watch PORT FILE   listen to the events, in the current directory's
#                         FIFO "ev"; call it before the card comes
#   tap_wait              until the next tap event: its two lines (event:
#                         and data:) appended to FILE
# TAP_CURL is the listener's PID while it runs (for the caller's EXIT trap).
tap_watch() {
	rm -f ev && mkfifo ev
	curl -sN "http://127.0.0.1:$1/api/events" >ev &
	TAP_CURL=$!
	timeout 30 grep -m 1 -A 1 '^event: tap' <ev >>"$2" &
	TAP_GREP=$!
	sleep 0.2 # connected before the card comes
}
tap_wait() {
	wait "$TAP_GREP"
	kill "$TAP_CURL" 2>/dev/null
	wait "$TAP_CURL" 2>/dev/null
	TAP_CURL=
}
