#!/bin/bash
# MXoE vs kernel UDP over the same veth, in one run, between two network
# namespaces (two apps, two daemons).  Not a test.
#   bench/wire_bench.sh [BUILD_DIR] [OUT.csv] [OUT.png]  (root; release build advised)
# 1. Per one-way tiny (0 B) message, summed over both apps and both daemons
#    (UDP: both apps): syscalls, context switches, CPU us and wake-ups
#    issued (sched_wakeup: counted only when it fires in a traced process;
#    a wake-up the kernel queues to an idle CPU fires there, so this count
#    depends on which CPUs were idle: 2.4 in one run, 0.3 in the next),
#    as the difference of a long and a short
#    ping-pong (start-up cancels); perf.  The daemons' and the
#    applications' run-queue wait per message (/proc/PID/schedstat: a
#    spinning daemon must not keep a woken application off a CPU).  Wire frames per message (both daemons'
#    tx_frames, myrixenctl).
# 2. Ping-pong one-way latency 0 B .. 4 MiB and streaming bandwidth, with
#    MX/UDP ratios, and the daemons' syscalls, context switches and frames
#    per streamed MX message; CSV, and a PNG plot of both (gnuplot) when OUT.png is given.
# 3. The client-side daemon's user-space instructions per tiny round trip
#    (one message sent, one received), long minus short ping-pong under
#    callgrind (exact, no PMU needed), when valgrind is installed.
# Env: MTU (9000), RING (v2|v3: the daemon's receive ring, default v2),
#      ITERS (1000, sweep), COUNT_ITERS (5000, counted runs; the short run is a tenth),
#      STREAM_REPEAT (3: streaming rounds per size, the best is kept, MX and UDP alike),
#      STREAM_SIZES (message sizes streamed, default 1 KiB .. 4 MiB),
#      CONF (extra myribackd.conf lines, e.g. "poll_window_us = 0"),
#      CALLGRIND (1: section 3 when valgrind is there; 0: skip it),
#      SECTIONS ("tiny pingpong stream": which of the timed parts run; the
#      counts always do), ROUNDS (5: alternating MX/UDP tiny ping-pongs of
#      COUNT_ITERS round trips, latency best and median), UDP_BUSY (1: the
#      tiny rounds also run UDP with both sides busy-polling, udp_bench -b,
#      the fair baseline when the MX side spins: poll_spin = force in CONF,
#      MYRIXEN_SPIN_US in the environment).
set -eEu
B=$(realpath "${1:-build}")
OUT=${2:-wire_bench.csv}
PNG=${3:-}
HERE=$(dirname "$(realpath "$0")")
MTU=${MTU:-9000}
RING=${RING:-v2}
ITERS=${ITERS:-1000}
COUNT_ITERS=${COUNT_ITERS:-5000}
STREAM_REPEAT=${STREAM_REPEAT:-3}
SECTIONS=${SECTIONS-tiny pingpong stream}
ROUNDS=${ROUNDS:-5}
has() { [[ " $SECTIONS " == *" $1 "* ]]; }
# when a part ran and on what load (the host is shared)
when() { echo "$(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"; }
T0=$(when)
[ "$(id -u)" -eq 0 ] || { echo "wire_bench: needs root (namespaces)"; exit 1; }
command -v perf >/dev/null || { echo "wire_bench: perf not installed (linux-perf)"; exit 1; }
for f in daemon/myribackd tools/mx_pingpong bench/mxw_stream bench/udp_bench ctl/myrixenctl; do
	[ -x "$B/$f" ] || { echo "wire_bench: $B/$f not built"; exit 1; }
done
. "$(dirname "$0")/bench_ns.sh"
bench_ns mxb
trap 'echo "wire_bench: failed; daemon logs:"; cat "$DIR"/*.log' ERR
for h in a b; do
	ip -n ${P}$h link set lo up
	ip -n ${P}$h link set ${P}v$h mtu "$MTU" up
	cat > "$DIR/$h.conf" <<CONF
transports = local
local_socket = $DIR/$h.sock
ctl_socket = $DIR/$h.ctl
interface = ${P}v$h
hostname = bench$h
${CONF:-}
CONF
	MYRIXEN_WIRE_RING=$RING ip netns exec ${P}$h "$B/daemon/myribackd" -f -c "$DIR/$h.conf" \
		> "$DIR/$h.log" 2>&1 &
	PIDS+=($!)
	eval "DPID_$h=$!"
done
ip -n ${P}a addr add 10.77.0.1/24 dev ${P}va
ip -n ${P}b addr add 10.77.0.2/24 dev ${P}vb
for _ in $(seq 50); do
	[ -S "$DIR/a.sock" ] && [ -S "$DIR/b.sock" ] && [ -S "$DIR/a.ctl" ] && [ -S "$DIR/b.ctl" ] && break
	sleep 0.1
done
runa() { MYRIXEN_SOCKET=$DIR/a.sock ip netns exec ${P}a "$@"; }
# frames the two daemons have sent so far
wire_tx() {
	local h n=0
	for h in a b; do
		n=$((n + $("$B/ctl/myrixenctl" -s "$DIR/$h.ctl" --json counters | python3 -c \
			'import json, sys; print(json.load(sys.stdin)["wire"]["protocol"]["tx_frames"])')))
	done
	echo "$n"
}

# both daemons' poll-window spin so far (myrixenctl status "spin"):
# "windows frames crowded preempted"
spin_stats() {
	local h
	for h in a b; do
		"$B/ctl/myrixenctl" -s "$DIR/$h.ctl" --json status | python3 -c \
			'import json, sys; s = json.load(sys.stdin).get("spin", {})
print(*(s.get(k, 0) for k in ("windows", "frames", "crowded", "preempted")))'
	done | awk '{ for (i = 1; i <= 4; i++) t[i] += $i } END { print t[1] + 0, t[2] + 0, t[3] + 0, t[4] + 0 }'
}

# --- counts per one-way tiny message ---
EV=raw_syscalls:sys_enter,context-switches,task-clock,sched:sched_wakeup
# where the syscalls go: these by name, per process (the rest is "other")
SCN="epoll_wait read write sendmmsg futex futex_waitv poll sendto recvfrom"
EV="$EV$(for c in $SCN; do printf ',syscalls:sys_enter_%s' "$c"; done)"
# perf stat CSV files -> "syscalls switches cpu_us wakeups", summed
perf_sum() {
	awk -F, '$3=="raw_syscalls:sys_enter"{s+=$1} $3=="context-switches"{c+=$1}
		$3=="task-clock"{t+=$1} $3=="sched:sched_wakeup"{w+=$1}
		END{printf "%d %d %.1f %d\n", s, c, t * 1000, w}' "$@"
}
# stop a perf stat running in the background: again until it is gone (a
# SIGINT that lands while a loaded host still starts it up can be lost)
stop_perf() {
	local i
	for i in $(seq 100); do kill -INT "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1" || true
}
# nanoseconds both daemons have waited on a run queue so far
dmn_rq_ns() { awk '{ n += $2 } END { printf "%.0f\n", n }' /proc/"$DPID_a"/schedstat /proc/"$DPID_b"/schedstat; }
# rq_run FILE CMD...: run CMD; FILE gets the nanoseconds it waited on a run
# queue (/proc/PID/schedstat, read while it is a zombie: waitid WNOWAIT)
RQPY='import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
open(sys.argv[1], "w").write(open("/proc/%d/schedstat" % pid).read().split()[1] + "\n")
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) & 255)'
rq_run() { python3 -c "$RQPY" "$@"; }
# counted KIND N: one ping-pong of N round trips; its sums into $DIR/KIND.N
counted() {
	local kind=$1 n=$2 pp srv
	if [ "$kind" = mx ]; then
		f0=$(wire_tx)
		rq0=$(dmn_rq_ns)
		perf stat -x, -e $EV -p "$DPID_a" -o "$DIR/c.dmna" &
		pp=$!
		perf stat -x, -e $EV -p "$DPID_b" -o "$DIR/c.dmnb" &
		pb=$!
		MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b perf stat -x, -e $EV -o "$DIR/c.srv" \
			python3 -c "$RQPY" "$DIR/rq.srv" "$B/tools/mx_pingpong" -e 3 > /dev/null 2>&1 &
		srv=$!
		sleep 0.5
		runa perf stat -x, -e $EV -o "$DIR/c.cli" python3 -c "$RQPY" "$DIR/rq.cli" \
			"$B/tools/mx_pingpong" -d benchb:3 -n "$n" -w 0 -s 0 -S 0 > /dev/null
		wait "$srv"
	else
		ip netns exec ${P}b "$B/bench/udp_bench" -l 7778 > /dev/null 2>&1 &
		srv=$!
		sleep 0.3
		perf stat -x, -e $EV -p "$srv" -o "$DIR/c.srv" &
		pp=$!
		sleep 0.3
		runa perf stat -x, -e $EV -o "$DIR/c.cli" python3 -c "$RQPY" "$DIR/rq.cli" \
			"$B/bench/udp_bench" -c 10.77.0.2:7778 -p 0 -n "$n" > /dev/null
		: > "$DIR/c.dmna"; : > "$DIR/c.dmnb"
	fi
	sleep 0.2
	stop_perf "$pp"
	[ "$kind" = mx ] && stop_perf "$pb"
	cat "$DIR/c.dmna" "$DIR/c.dmnb" > "$DIR/c.dmn"
	for f in cli srv dmna dmnb; do cp "$DIR/c.$f" "$DIR/$kind.$n.$f.perf"; done
	[ "$kind" = mx ] && echo $(( $(wire_tx) - f0 )) > "$DIR/$kind.$n.frames"
	[ "$kind" = mx ] && echo $(( $(dmn_rq_ns) - rq0 )) > "$DIR/$kind.$n.rq"
	[ "$kind" = mx ] || { awk '{ print $2 }' /proc/"$srv"/schedstat > "$DIR/rq.srv"
			      kill "$srv"; wait "$srv" || true; }
	cat "$DIR/rq.cli" "$DIR/rq.srv" | awk '{ n += $1 } END { print n + 0 }' > "$DIR/$kind.$n.apprq"
	echo "$(perf_sum "$DIR/c.cli" "$DIR/c.srv") $(perf_sum "$DIR/c.dmn")" > "$DIR/$kind.$n"
}
SHORT=$((COUNT_ITERS / 10))
SPIN0=$(spin_stats)
for k in mx udp; do counted $k "$SHORT"; counted $k "$COUNT_ITERS"; done
SPIN1=$(spin_stats)
# per one-way message: (long - short) / (2 messages per round trip); all
# processes, then the daemons alone
per_msg() {
	paste -d' ' "$DIR/$1.$COUNT_ITERS" "$DIR/$1.$SHORT" | awk -v m=$(( 2 * (COUNT_ITERS - SHORT) )) \
		'{ for (i = 1; i <= 8; i++) d[i] = ($i - $(i + 8)) / m
		   printf "%.2f %.2f %.2f %.2f %.2f %.2f %.2f %.2f\n", d[1] + d[5], d[2] + d[6],
			d[3] + d[7], d[4] + d[8], d[5], d[6], d[7], d[8] }'
}
read -r MS MC MT MW MDS MDC MDT MDW <<< "$(per_msg mx)"
read -r US UC UT UW _ _ _ _ <<< "$(per_msg udp)"
# what the long run added, per one-way message
mx_delta() {
	awk -v l="$(cat "$DIR/mx.$COUNT_ITERS.$1")" -v s="$(cat "$DIR/mx.$SHORT.$1")" \
		-v m=$(( 2 * (COUNT_ITERS - SHORT) )) -v d="$2" 'BEGIN { printf "%.2f", (l - s) / m / d }'
}
MF=$(mx_delta frames 1)
MRQ=$(mx_delta rq 1000)
# both applications' run-queue wait per one-way message: KIND -> us
app_rq() {
	awk -v l="$(cat "$DIR/$1.$COUNT_ITERS.apprq")" -v s="$(cat "$DIR/$1.$SHORT.apprq")" \
		-v m=$(( 2 * (COUNT_ITERS - SHORT) )) 'BEGIN { printf "%.2f", (l - s) / m / 1000 }'
}
# syscalls by name per one-way message, each process: KIND PROC -> "n1 n2 ... other total"
sc_split() {
	local l="$DIR/$1.$COUNT_ITERS.$2.perf" s="$DIR/$1.$SHORT.$2.perf"
	awk -F, -v names="$SCN" -v m=$(( 2 * (COUNT_ITERS - SHORT) )) -v long="$l" '
		{ v = $1 + 0; k = $3; sub(/^syscalls:sys_enter_/, "", k); sub(/^raw_syscalls:sys_enter$/, "all", k)
		  d[k] += FILENAME == long ? v : -v }
		END { n = split(names, a, " "); o = d["all"]
		      for (i = 1; i <= n; i++) { printf "%.2f ", d[a[i]] / m; o -= d[a[i]] }
		      printf "%.2f %.2f\n", o / m, d["all"] / m }' "$l" "$s"
}

# servers start without the helper functions so $! is the server itself
ip netns exec ${P}b "$B/bench/udp_bench" -l 7777 > /dev/null 2>&1 &
PIDS+=($!)
MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b "$B/tools/mx_pingpong" -e 1 > "$DIR/ppserve.log" 2>&1 &
PIDS+=($!)
sleep 0.5

# --- tiny latency: ROUNDS alternating MX and UDP ping-pongs, best and median ---
lat0() { awk '$1 ~ /^[0-9]+$/ { l = $2 } END { print l }'; }
: > "$DIR/t_mx"; : > "$DIR/t_udp"; : > "$DIR/t_udpb"
if has tiny; then
	for _ in $(seq "$ROUNDS"); do
		# mx_pingpong -e serves one client: one server per round
		MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b "$B/tools/mx_pingpong" -e 5 \
			> "$DIR/tserve.log" 2>&1 &
		srv=$!
		sleep 0.3
		runa "$B/tools/mx_pingpong" -d benchb:5 -n "$COUNT_ITERS" -w 100 -s 0 -S 0 |
			lat0 >> "$DIR/t_mx"
		wait "$srv" || true
		runa "$B/bench/udp_bench" -c 10.77.0.2:7777 -p 0 -n "$COUNT_ITERS" |
			awk '{ print $2 }' >> "$DIR/t_udp"
		[ "${UDP_BUSY:-0}" = 1 ] || continue
		runa "$B/bench/udp_bench" -b -c 10.77.0.2:7777 -p 0 -n "$COUNT_ITERS" |
			awk '{ print $2 }' >> "$DIR/t_udpb"
	done
fi
stat2() { # FILE -> "best median"
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR) printf "%s %s", v[1], NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; else printf "- -" }'
}

# --- ping-pong ---
: > "$DIR/udp_pp.txt"; : > "$DIR/mx_pp.csv"
if has pingpong; then
	runa "$B/tools/mx_pingpong" -d benchb:1 -n "$ITERS" -w 20 -s 0 -S $((4 << 20)) -c "$DIR/mx_pp.csv" \
		> /dev/null
	tail -n +2 "$DIR/mx_pp.csv" | while IFS=, read -r size _ _; do
		n=$ITERS; [ "$size" -gt 65536 ] && n=$(( ITERS * 65536 / size )); [ $n -lt 20 ] && n=20
		runa "$B/bench/udp_bench" -c 10.77.0.2:7777 -p "$size" -n "$n" >> "$DIR/udp_pp.txt"
	done
fi

# --- streaming ---
MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b "$B/bench/mxw_stream" -e 2 > /dev/null 2>&1 &
PIDS+=($!)
: > "$DIR/mx_st.txt"; : > "$DIR/udp_st.txt"
: > "$DIR/mx_st_sys.txt"; : > "$DIR/mx_st_frames.txt"; : > "$DIR/mx_st_cs.txt"
# best of STREAM_REPEAT rounds, MX and UDP alike (other load only ever slows
# a round down); the daemons' syscalls and switches per message: the median
# of the rounds perf counted (a perf that missed its start counts nothing)
best() { sort -k2 -g "$1" | tail -1; }
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }
STREAM_SIZES=${STREAM_SIZES:-1024 8192 32768 65536 262144 1048576 4194304}
has stream || STREAM_SIZES=""
for size in $STREAM_SIZES; do
	n=$(( size >= 1048576 ? 64 : size >= 65536 ? 512 : 4000 ))
	count=$(( (256 << 20) / size )); [ $count -gt 20000 ] && count=20000
	: > "$DIR/r_mx"; : > "$DIR/r_udp"; : > "$DIR/r_sys"; : > "$DIR/r_cs"
	for _ in $(seq "$STREAM_REPEAT"); do
		f0=$(wire_tx)
		perf stat -x, -e raw_syscalls:sys_enter,context-switches -p "$DPID_a,$DPID_b" \
			-o "$DIR/st.dmn" &
		pp=$!
		sleep 0.3
		runa "$B/bench/mxw_stream" -d benchb:2 -s $size -w 16 -n $n >> "$DIR/r_mx" || true
		stop_perf "$pp"
		frames=$(( $(wire_tx) - f0 ))
		awk -F, -v n=$n '$3=="raw_syscalls:sys_enter" && $1 > 0 {printf "%.1f\n", $1 / n}' \
			"$DIR/st.dmn" >> "$DIR/r_sys"
		awk -F, -v n=$n '$3=="context-switches" && $1 > 0 {printf "%.1f\n", $1 / n}' \
			"$DIR/st.dmn" >> "$DIR/r_cs"
		runa "$B/bench/udp_bench" -c 10.77.0.2:7777 -s $size -n $count >> "$DIR/r_udp"
	done
	best "$DIR/r_mx" >> "$DIR/mx_st.txt"
	best "$DIR/r_udp" >> "$DIR/udp_st.txt"
	median "$DIR/r_sys" >> "$DIR/mx_st_sys.txt"
	median "$DIR/r_cs" >> "$DIR/mx_st_cs.txt"
	awk -v f="$frames" -v n=$n 'BEGIN { printf "%.1f\n", f / n }' >> "$DIR/mx_st_frames.txt"
done

# --- the client-side daemon's instructions per tiny round trip ---
INS=""
if [ "${CALLGRIND:-1}" = 1 ] && command -v valgrind > /dev/null; then
	kill "$DPID_a"; wait "$DPID_a" 2>/dev/null || true
	ins=()
	for n in "$SHORT" "$COUNT_ITERS"; do
		rm -f "$DIR/a.sock"
		MYRIXEN_WIRE_RING=$RING ip netns exec ${P}a valgrind --tool=callgrind \
			--callgrind-out-file="$DIR/cg.$n" "$B/daemon/myribackd" -f -c "$DIR/a.conf" \
			> "$DIR/a.cg.log" 2>&1 &
		cg=$!
		PIDS+=($cg)
		for _ in $(seq 600); do [ -S "$DIR/a.sock" ] && break; sleep 0.05; done
		MYRIXEN_SOCKET=$DIR/b.sock ip netns exec ${P}b "$B/tools/mx_pingpong" -e 4 \
			> /dev/null 2>&1 &
		srv=$!
		sleep 0.5
		runa "$B/tools/mx_pingpong" -d benchb:4 -n "$n" -w 0 -s 0 -S 0 > /dev/null
		wait "$srv" || true
		kill "$cg"; wait "$cg" 2>/dev/null || true
		ins+=("$(awk '/^summary:/ { print $2 }' "$DIR/cg.$n")")
	done
	INS=$(( (ins[1] - ins[0]) / (COUNT_ITERS - SHORT) ))
fi

# --- report ---
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
{
	echo "kind,bytes,mx,udp,ratio_mx_over_udp"
	paste -d' ' <(tail -n +2 "$DIR/mx_pp.csv" | tr ',' ' ' | awk '{print $1, $2}') "$DIR/udp_pp.txt" |
		awk '{ printf "latency_us,%d,%.2f,%.2f,%.2f\n", $1, $2, $4, ($4 > 0 ? $2 / $4 : 0) }'
	paste -d' ' "$DIR/mx_st.txt" "$DIR/udp_st.txt" |
		awk '{ printf "bandwidth_mbps,%d,%.1f,%.1f,%.2f\n", $1, $2, $4, ($4 > 0 ? $2 / $4 : 0) }'
	paste -d' ' "$DIR/mx_st.txt" "$DIR/mx_st_sys.txt" |
		awk '{ printf "stream_daemon_syscalls_per_msg,%d,%s,,\n", $1, $3 }'
	paste -d' ' "$DIR/mx_st.txt" "$DIR/mx_st_cs.txt" |
		awk '{ printf "stream_daemon_switches_per_msg,%d,%s,,\n", $1, $3 }'
	paste -d' ' "$DIR/mx_st.txt" "$DIR/mx_st_frames.txt" |
		awk '{ printf "stream_frames_per_msg,%d,%s,,\n", $1, $3 }'
	read -r tb tm <<< "$(stat2 "$DIR/t_mx")"
	read -r ub um <<< "$(stat2 "$DIR/t_udp")"
	echo "tiny_latency_us_best,0,$tb,$ub,$(ratio "$tb" "$ub")"
	echo "tiny_latency_us_median,0,$tm,$um,$(ratio "$tm" "$um")"
	if [ -s "$DIR/t_udpb" ]; then
		read -r bb bm <<< "$(stat2 "$DIR/t_udpb")"
		echo "tiny_latency_us_best_vs_udp_busy,0,$tb,$bb,$(ratio "$tb" "$bb")"
		echo "tiny_latency_us_median_vs_udp_busy,0,$tm,$bm,$(ratio "$tm" "$bm")"
	fi
	echo "frames_per_msg,0,$MF,,"
	echo "daemon_runqueue_us_per_msg,0,$MRQ,,"
	echo "app_runqueue_us_per_msg,0,$(app_rq mx),$(app_rq udp),"
	[ -z "$INS" ] || echo "daemon_instructions_per_rt,0,$INS,,"
	echo "syscalls_per_msg,0,$MS,$US,$(ratio "$MS" "$US")"
	echo "switches_per_msg,0,$MC,$UC,$(ratio "$MC" "$UC")"
	echo "cpu_us_per_msg,0,$MT,$UT,$(ratio "$MT" "$UT")"
	echo "wakeups_per_msg,0,$MW,$UW,$(ratio "$MW" "$UW")"
} > "$OUT"
echo "MXoE vs kernel UDP over one veth (MTU $MTU, daemon ring $RING); same run"
echo "from $T0 to $(when); $(git -C "$HERE" describe --always --dirty 2>/dev/null || echo "?")"
echo "daemons' extra conf: ${CONF:-none}; applications' MYRIXEN_SPIN_US: ${MYRIXEN_SPIN_US:-unset}"
echo "issue 9 (wire tiny): <= 10 syscalls per message over both apps and both daemons: $(
	awk -v s="$MS" 'BEGIN { print (s <= 10 ? "met" : "missed") }'); latency <= 2x UDP: $(
	awk -v r="$(grep '^tiny_latency_us_best,' "$OUT" | cut -d, -f5)" \
	    -v m="$(grep '^tiny_latency_us_median,' "$OUT" | cut -d, -f5)" \
	    'BEGIN { if (r == "" || r == 0) print "not measured"; else
		     printf "%s (best %.2fx), %s (median %.2fx)", r <= 2 ? "met" : "missed", r, m <= 2 ? "met" : "missed", m }')"
echo
echo "Per one-way tiny message, all processes (long minus short ping-pong, $SHORT..$COUNT_ITERS round trips)"
printf "%22s %10s %10s %8s   %s\n" "" mx udp mx/udp "mx: of which the two daemons"
grep -E '^(syscalls|switches|cpu_us|wakeups)' "$OUT" | while IFS=, read -r what _ m u r; do
	case $what in syscalls*) d=$MDS ;; switches*) d=$MDC ;; wakeups*) d=$MDW ;; *) d=$MDT ;; esac
	printf "%22s %10s %10s %8s   %s\n" "$what" "$m" "$u" "$r" "$d"
done
printf "%22s %10s   (both daemons' tx_frames)\n" frames_per_msg "$MF"
printf "%22s %10s   (both daemons' run-queue wait, /proc/PID/schedstat)\n" dmn_runqueue_us "$MRQ"
printf "%22s %10s %10s   (both applications' run-queue wait, mx and udp)\n" app_runqueue_us \
	"$(app_rq mx)" "$(app_rq udp)"
read -r s0 s1 s2 s3 <<< "$SPIN0"; read -r e0 e1 e2 e3 <<< "$SPIN1"
printf "%22s %s   (both daemons over the counted runs, %s; myrixenctl status)\n" daemon_spin \
	"windows $((e0 - s0)) frames $((e1 - s1)) crowded $((e2 - s2)) preempted $((e3 - s3))" \
	"$(grep -q 'poll_spin *= *force' <<< "${CONF:-}" && echo 'poll_spin = force' || echo 'poll_spin = auto')"
[ -z "$INS" ] || printf "%22s %10s   (client-side daemon, one sent + one received; callgrind)\n" \
	daemon_instr_per_rt "$INS"
echo
echo "Tiny (0 B) one-way latency (us), $ROUNDS alternating ping-pongs of $COUNT_ITERS round trips"
printf "%22s %10s %10s %8s\n" "" mx udp mx/udp
grep '^tiny_latency' "$OUT" | while IFS=, read -r what _ m u r; do
	printf "%22s %10s %10s %8s\n" "${what#tiny_latency_us_}" "$m" "$u" "$r"
done
echo
echo "Syscalls per one-way tiny message by name and process (long minus short run)"
printf "%14s" ""; for c in $SCN other all; do printf " %11s" "$c"; done; echo
for k in mx udp; do
	for pr in cli srv dmna dmnb; do
		[ "$k" = udp ] && [ "${pr#dmn}" != "$pr" ] && continue
		printf "%14s" "$k $pr"; for v in $(sc_split $k $pr); do printf " %11s" "$v"; done; echo
		echo "syscalls_by_name,$k,$pr,$(sc_split $k $pr | tr ' ' ',')" >> "$OUT"
	done
done
if has pingpong; then
	echo
	echo "Ping-pong, one-way latency (us); ratio > 1 means MX is slower"
	printf "%10s %12s %12s %8s\n" bytes mx udp mx/udp
	grep '^latency' "$OUT" | awk -F, '{ printf "%10d %12.2f %12.2f %8.2f\n", $2, $3, $4, $5 }'
fi
if has stream; then
	echo
	echo "Streaming bandwidth (MB/s, best of $STREAM_REPEAT); ratio > 1 means MX is faster"
	echo "(issue 9: >= 1 from 64 KiB up);"
	echo "last columns: syscalls and context switches of both daemons, wire frames per MX message"
	printf "%10s %12s %12s %8s %10s %8s %8s\n" bytes mx udp mx/udp "dmn sys" "dmn cs" frames
	paste -d, <(grep '^bandwidth' "$OUT") <(grep '^stream_daemon_sys' "$OUT" | cut -d, -f3) \
		<(grep '^stream_daemon_sw' "$OUT" | cut -d, -f3) <(grep '^stream_frames' "$OUT" | cut -d, -f3) |
		awk -F, '{ printf "%10d %12.1f %12.1f %8.2f %10s %8s %8s\n", $2, $3, $4, $5, $6, $7, $8 }'
fi
echo
echo "CSV: $OUT"
if [ -n "$PNG" ]; then
	grep '^latency' "$OUT" > "$DIR/lat.csv"
	grep '^bandwidth' "$OUT" > "$DIR/bw.csv"
	gnuplot -e "lat='$DIR/lat.csv'; bw='$DIR/bw.csv'; out='$PNG'; sub='MTU $MTU, daemon ring $RING'" \
		"$HERE/wire_bench.gp"
	echo "PNG: $PNG"
fi
