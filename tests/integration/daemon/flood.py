#!/usr/bin/env python3
"""flood.py PORT N SECONDS: open N idle TCP connections to 127.0.0.1:PORT
(loopback only), print "ready OPEN" once they are open, hold them for
SECONDS (or until stdin closes), then close them and exit.  Used by
test_daemon.sh flood: a local process must not lock the desk out."""
import resource, select, socket, sys, time

port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        s.close()
print("ready", len(socks), flush=True)
end = time.monotonic() + secs
while time.monotonic() < end:
    r, _, _ = select.select([sys.stdin], [], [], max(0, min(1, end - time.monotonic())))
    if r and not sys.stdin.readline():
        break
for s in socks:
    s.close()
