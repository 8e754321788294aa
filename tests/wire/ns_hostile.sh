#!/bin/bash
# A hostile neighbour: thousands of malformed MXoE frames (short, bad
# types, lengths past the frame, pulls of unregistered windows) hit a
# running myribackd.  It must count them, stay up, and still carry a clean
# exchange afterwards.
. "$(dirname "$0")/ns_lib.sh"
ns_require
command -v python3 >/dev/null || ns_skip "python3 missing"
ns_add a; ns_add b
ns_veth a va b vb
ns_daemon a va
mac=$(ip netns exec "${P}a" cat "/sys/class/net/${P}va/address")
ip netns exec "${P}b" python3 - "${P}vb" "$mac" <<'PY' || ns_fail "injector"
import random, socket, struct, sys
ifname, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
src = bytes.fromhex("02deadbeef01")
rng = random.Random(7)
head = mac + src + struct.pack(">HH", 0x86DF, 0)
types = [0, 1, 3, 4, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 99, 200]
for i in range(5000):
    body = bytes([rng.choice(types)]) + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 120)))
    if i % 5 == 0:   # a pull of a window nobody registered, well formed
        body = struct.pack(">BBBBIIIB3xIIIIII", 41, 1, 1, 0, 0x1234, 1 << 20, 7, 1, 0, 9, 9, 0, 8192, 0)
    if i % 7 == 0:   # a connect from this unknown host to an endpoint that is not open
        body = struct.pack(">BBBBB3xHHI", 36, 9, 1, 0, 16, 0, 0xffff, 0) + bytes(16)
    frame = head + body
    s.send(frame + bytes(max(0, 60 - len(frame))))
print("injected 5000 frames")
PY
sleep 0.5
kill -0 "$PID_a" || ns_fail "myribackd died under hostile frames"
if [ -n "${MXW_CTL:-}" ]; then
	for _ in $(seq 100); do [ -S "$DIR/a.ctl" ] && break; sleep 0.05; done
	"$MXW_CTL" -s "$DIR/a.ctl" counters > "$DIR/counters.txt" || ns_fail "myrixenctl counters"
	bad=$(awk '/bad_frames:/ { print $2; exit }' "$DIR/counters.txt")
	[ "${bad:-0}" -gt 0 ] || ns_fail "hostile frames not counted: $(cat "$DIR/counters.txt")"
	echo "bad_frames counted: $bad"
fi
ns_daemon b vb
ns_run a timeout 120 "$MXW_XFER" -e 1 -d b:2 -n 1 > "$DIR/xa.log" 2>&1 &
xa=$!
ns_run b timeout 120 "$MXW_XFER" -e 2 -d a:1 -n 1 > "$DIR/xb.log" 2>&1 || ns_fail "exchange after the attack (b)"
wait $xa || ns_fail "exchange after the attack (a)"
echo "PASS"
