#!/bin/bash
# Integration driver: start the real myribackd in the foreground on a private
# socket in a fresh temp dir, run one MX test program against it, then check
# that the daemon is still alive (no guest may crash it) and stop it.
#   run_with_daemon.sh MYRIBACKD TEST_PROGRAM [ARGS...]
# The test sees MYRIXEN_SOCKET and MYRIXEN_TEST_DAEMON_PID.  Exit 77 = skip.
set -u
daemon=${1:-}
shift || true
if [ -z "$daemon" ] || [ ! -x "$daemon" ]; then
	echo "SKIP: myribackd not built (needs libev-dev, libsystemd-dev)"
	exit 77
fi
dir=$(mktemp -d /tmp/myrixen-it.XXXXXX)
cleanup() {
	if [ -n "${dpid:-}" ] && kill -0 "$dpid" 2>/dev/null; then
		kill -TERM "$dpid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$dpid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
cat > "$dir/myribackd.conf" <<CONF
transports = local
local_socket = $dir/local.sock
ctl_socket = $dir/ctl.sock
CONF
# A test may tighten the daemon's limits (one "key = value" per line).
[ -n "${MYRIXEN_TEST_DAEMON_CONF:-}" ] && printf '%s\n' "$MYRIXEN_TEST_DAEMON_CONF" >> "$dir/myribackd.conf"
"$daemon" -f -c "$dir/myribackd.conf" >"$dir/daemon.log" 2>&1 &
dpid=$!
# The socket path appears only once the daemon listens on it (bound under a
# temporary name, renamed into place): its existence is the readiness signal.
# The control socket comes after the local one; tests ask it for counters.
for _ in $(seq 400); do
	[ -S "$dir/local.sock" ] && [ -S "$dir/ctl.sock" ] && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.05
done
if [ ! -S "$dir/local.sock" ] || [ ! -S "$dir/ctl.sock" ]; then
	echo "FAIL: myribackd did not create $dir/local.sock and ctl.sock within 20 s:"; cat "$dir/daemon.log"
	exit 1
fi
export MYRIXEN_SOCKET="$dir/local.sock" MYRIXEN_TEST_DAEMON_PID=$dpid MYRIXEN_TEST_DIR=$dir
"$@"
rc=$?
# A test that kills the daemon on purpose says so with MYRIXEN_TEST_DAEMON_DIES=1.
if [ "${MYRIXEN_TEST_DAEMON_DIES:-0}" != 1 ] && ! kill -0 "$dpid" 2>/dev/null; then
	echo "FAIL: myribackd died during the test"; cat "$dir/daemon.log"
	exit 1
fi
if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
	echo "--- daemon log ---"; tail -n 30 "$dir/daemon.log"
fi
exit $rc
