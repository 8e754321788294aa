#!/bin/bash
# The README demo, on the local transport (no Xen needed):
#   1. build (cmake) into ${BUILD_DIR:-build-demo}
#   2. start myribackd in the foreground on a private socket
#   3. two processes exchange every message class across its boundaries
#      (tiny, small, medium, rendezvous; expected and unexpected; both ways)
#   4. mx_pingpong latency/bandwidth table (two processes through the daemon)
#   5. shm_pingpong: the shared-memory spinning floor, same sizes, same run
#   6. the ratio MX / floor per size
# Options via env: ITERS (default 1000), MAX (bytes, default 4194304).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD_DIR:-build-demo}
ITERS=${ITERS:-1000}
MAX=${MAX:-4194304}

echo "=== build ($B) ==="
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYRIXEN_SHIM=OFF >/dev/null
cmake --build "$B" -j "$(nproc)" --target myribackd mx_pingpong mx_info it_classes shm_pingpong >/dev/null
for f in daemon/myribackd tools/mx_pingpong tools/mx_info tests/integration/it_classes bench/shm_pingpong; do
	[ -x "$B/$f" ] || { echo "demo: $B/$f was not built" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/myrixen-demo.XXXXXX)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
cat > "$dir/myribackd.conf" <<CONF
transports = local
local_socket = $dir/local.sock
ctl_socket = $dir/ctl.sock
CONF
echo "=== myribackd on $dir/local.sock ==="
"$B/daemon/myribackd" -f -c "$dir/myribackd.conf" >"$dir/daemon.log" 2>&1 &
dpid=$!
# The socket path appears only once the daemon listens on it.
for _ in $(seq 400); do
	[ -S "$dir/local.sock" ] && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.05
done
[ -S "$dir/local.sock" ] || { echo "demo: myribackd did not start:" >&2; cat "$dir/daemon.log"; exit 1; }
export MYRIXEN_SOCKET=$dir/local.sock

"$B/tools/mx_info" | head -n 12

echo
echo "=== every message class, both directions, expected and unexpected ==="
"$B/tests/integration/it_classes"

echo
echo "=== mx_pingpong: two processes through myribackd (verified payloads) ==="
"$B/tools/mx_pingpong" -b -n "$ITERS" -w 100 -S "$MAX" -V -c "$dir/mx.csv"

echo
echo "=== shm_pingpong: shared-memory spinning floor, same sizes ==="
"$B/bench/shm_pingpong" -n "$ITERS" -w 100 -S "$MAX" -c "$dir/shm.csv"

echo
echo "=== ratio (mx latency / shm latency), measured in this run ==="
printf "%10s %12s %12s %8s\n" bytes "mx(us)" "shm(us)" ratio
join -t, <(tail -n +2 "$dir/mx.csv" | sort -t, -k1,1) <(tail -n +2 "$dir/shm.csv" | sort -t, -k1,1) |
	sort -t, -k1,1n |
	awk -F, '{ r = ($4 > 0) ? $2 / $4 : 0; printf "%10d %12.2f %12.2f %8.1f\n", $1, $2, $4, r }'
echo
echo "daemon log:"; cat "$dir/daemon.log"
