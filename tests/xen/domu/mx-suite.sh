# MX programs through the Xen transport, then a verified sweep against u1.
need "myrixen device connected" wait_for 200 shim_is Connected || return
for t in it_classes it_vectors it_semantics; do
  [ -x /mxt/bin/$t ] || { say "$t not built"; continue; }
  s=$(up); bounded 180 /tmp/$t.txt $t; rc=$?; tail -15 /tmp/$t.txt
  check "$t through /dev/myrixen (took $(echo "$(up) - $s" | bc 2>/dev/null || echo ?)s)" [ $rc = 0 ]
done
HOST=$(mx_info 2>/dev/null | sed -n 's/.*[Hh]ostname[^:]*: *\([^ ]*\).*/\1/p' | head -1)
say "driving mx_pingpong against ${HOST:-emuhost}:1 (u1)"
bounded 180 /tmp/pp.txt mx_pingpong -d ${HOST:-emuhost}:1 -V -n 2 -w 1 -C; rc=$?; cat /tmp/pp.txt
check "verified ping-pong sweep 0 B .. 4 MiB between two domUs" [ $rc = 0 ]
check "sweep reached 4 MiB" grep -q '^ *4194304 ' /tmp/pp.txt
# Tiny, small and medium (0 B .. 32 KiB: 17 sizes x 3 round trips) went
# straight to u1 through the Xen pair channel (pair.h "Xen"), bytes
# verified by -V; the dom0 side checks the daemon forwarded none of them.
pc() { sed -n "s/^ *$1 *//p" /tmp/pp.txt | head -1; }
check "pair channel carried the sweep's tiny/small/medium sends ($(pc 'Pair channel sends'))" [ "$(pc 'Pair channel sends')" -ge 45 ]
check "... and its replies ($(pc 'Pair channel arrivals'))" [ "$(pc 'Pair channel arrivals')" -ge 45 ]
check "no pair channel cut off" [ "$(pc 'Pair channels cut off')" = 0 ]
# The channel's bell is the shim's (MYRIXEN_IOC_BELL_*), not a port bound
# through /dev/xen/evtchn (which a restore of the guest makes unsafe).
check "the pair channel rang through the shim's bell ($(pc 'Pair bells bound by the shim') in the library, $(cat /sys/module/myrixen/parameters/pair_bells) in the shim)" \
  [ "$(pc 'Pair bells bound by the shim')" -ge 1 -a "$(cat /sys/module/myrixen/parameters/pair_bells)" -ge 1 ]
# Beyond one window of grants (MXN_RNDV_WINDOW, 16 MiB): each side pins and
# grants one window at a time (abi.h "Windowed regions").
HUGE=$(cmdline_arg mxt.huge)
if [ -n "$HUGE" ]; then
  say "driving $HUGE-byte messages against u1"
  bounded 180 /tmp/pph.txt mx_pingpong -d ${HOST:-emuhost}:1 -V -n 1 -w 0 -s "$HUGE" -S "$HUGE"; rc=$?
  cat /tmp/pph.txt
  check "verified $HUGE-byte messages between two domUs" [ $rc = 0 ]
  check "reached $HUGE bytes" grep -q "^ *$HUGE " /tmp/pph.txt
fi
if [ "$(cmdline_arg mxt.pairkill)" = 1 ]; then
  # u1 verifies 300 messages of this stream then stops consuming; dom0
  # destroys u1 while our send waits for room in the pair channel: it must
  # end with an error, not hang (pingpong.inc bounds the wait).
  mxt_pairkill -c ${HOST:-emuhost}:2 2>&1 | while read -r l; do say "$l"; echo "$l" >> /tmp/pk.txt; done
  check "a send blocked on the pair channel of a destroyed peer ended with an error" \
    grep -q 'stream ended after' /tmp/pk.txt
  # It waited on the channel: at least one full ring (128 slots of 1 KiB)
  # went into it before the sink stopped reading.
  PS=$(sed -n 's/.*(pair sends \([0-9]*\)).*/\1/p' /tmp/pk.txt)
  check "... once the pair channel it streamed into was full (${PS:-0} pair sends)" [ "${PS:-0}" -ge 100 ]
fi
