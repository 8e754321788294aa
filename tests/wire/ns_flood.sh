#!/bin/bash
# Spoofed-MAC floods (issue 8.5/8.6): a neighbour forging source MACs
# first fills the peer table (400 connects from 400 MACs), then makes
# 10240 partners (40 MACs x 256 endpoints, valid connects: a sniffer can
# forge them) each start a 60000-byte medium and never finish it.  The
# daemon must stay within its bounds (partners, reassembly bytes, RSS),
# count what it refused, and serve a new legitimate host afterwards.
# Before the bounds: the table stayed full (new peers unanswered until
# restart) and every half medium was kept for good (RSS grew ~120 MB).
. "$(dirname "$0")/ns_lib.sh"
ns_require
: "${MXW_FLOOD:?}" "${MXW_CTL:?}"
ns_add a; ns_add b
ns_veth a va b vb
ns_daemon a va
mac=$(ip netns exec "${P}a" cat "/sys/class/net/${P}va/address")
ns_run a timeout 120 "$MXW_XFER" -e 1 -k 0x12345 -n 60 -H > "$DIR/hold.log" 2>&1 &
for _ in $(seq 100); do [ -S "$DIR/a.ctl" ] && break; sleep 0.05; done
sleep 0.5
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID_a/status"; }
ctr() { awk -v k="$1:" '$1 == k { print $2; exit }' "$DIR/$2"; }
rss0=$(rss)

ip netns exec "${P}b" "$MXW_FLOOD" "${P}vb" "$mac" 400 1 0x12345 0 > "$DIR/flood1.log" 2>&1 ||
	ns_fail "peer flood injector"
cat "$DIR/flood1.log"
ip netns exec "${P}b" "$MXW_FLOOD" "${P}vb" "$mac" 40 256 0x12345 60000 > "$DIR/flood2.log" 2>&1 ||
	ns_fail "partner flood injector"
cat "$DIR/flood2.log"
sleep 0.3
kill -0 "$PID_a" || ns_fail "myribackd died under the flood"
rss1=$(rss)
"$MXW_CTL" -s "$DIR/a.ctl" status > "$DIR/status.txt" || ns_fail "myrixenctl status"
"$MXW_CTL" -s "$DIR/a.ctl" counters > "$DIR/counters.txt" || ns_fail "myrixenctl counters"
partners=$(ctr partners status.txt); reasm=$(ctr reassembly_bytes status.txt)
echo "RSS ${rss0} kB -> ${rss1} kB; partners ${partners:-?}, reassembly ${reasm:-?} bytes"
for k in peers_refused partners_refused reasm_refused; do
	echo "$k: $(ctr "$k" counters.txt)"
done
[ $((rss1 - rss0)) -lt 24576 ] || ns_fail "RSS grew by $((rss1 - rss0)) kB under the flood"
[ -n "$partners" ] && [ "$partners" -le 8192 ] || ns_fail "partners ${partners:-?} over 8192"
[ -n "$reasm" ] && [ "$reasm" -le 8388608 ] || ns_fail "reassembly ${reasm:-?} over 8 MiB"
for k in peers_refused partners_refused reasm_refused; do
	[ "$(ctr "$k" counters.txt)" -gt 0 ] 2>/dev/null || ns_fail "$k not counted"
done

# The forged state is idle after 2 s (reassemblies expire after 1 s):
# a host the daemon never heard of must now be served, both ways.
sleep 2.5
"$MXW_CTL" -s "$DIR/a.ctl" status > "$DIR/status2.txt" || ns_fail "myrixenctl status"
[ "$(ctr reassembly_bytes status2.txt)" = 0 ] || ns_fail "stalled reassemblies kept: $(ctr reassembly_bytes status2.txt) bytes"
ns_daemon b vb
ns_run a timeout 120 "$MXW_XFER" -e 2 -d b:3 -n 1 -m 65536 > "$DIR/xa.log" 2>&1 &
xa=$!
ns_run b timeout 120 "$MXW_XFER" -e 3 -d a:2 -n 1 -m 65536 > "$DIR/xb.log" 2>&1 || ns_fail "new host after the flood (b)"
wait $xa || ns_fail "new host after the flood (a)"
"$MXW_CTL" -s "$DIR/a.ctl" counters > "$DIR/counters2.txt"
echo "peers_evicted: $(ctr peers_evicted counters2.txt) partners_evicted: $(ctr partners_evicted counters2.txt)"
[ "$(ctr peers_evicted counters2.txt)" -gt 0 ] || ns_fail "the new host got in without an eviction?"
echo "PASS"
