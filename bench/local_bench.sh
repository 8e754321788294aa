#!/bin/bash
# The local fast path against kernel IPC, in one run (issue 9).  Not a test.
#   bench/local_bench.sh [BUILD_DIR] [OUT_DIR]      (perf, gnuplot; release build advised)
# Env: ITERS (20000, tiny runs), SWEEP_ITERS (400, size sweep), PAIRS_ITERS (4000),
#      ROUNDS (5: latencies and rates are the best of this many runs),
#      SWEEPS (3: each size's point in the plots is the best of this many sweeps),
#      SECTIONS ("tiny spin cost pairs large sweep": the parts to run; the
#      others are left out of local_bench.md), LARGE_ROUNDS (7), PAIRS ("1 10 40").
# Every section's heading says when it ran and the load averages then.
#
# 1. Per one-way tiny (8 B) message, summed over every process (perf stat
#    follows the forked peer; the daemon is counted separately with -p):
#    context switches and syscalls, as the difference of a long and a short
#    run (start-up cancels), for pipe, UNIX socket, UDP loopback, MX through
#    a pair channel and MX through the daemon (pair_channels = no).
# 2. Latency (half round trip) of the same runs, and ratios against the pipe.
# 3. Both sides spinning (MYRIXEN_SPIN_US) against the shared-memory floor,
#    and the library's instructions per message (valgrind, if installed).
# 4. 1, 10, 40 concurrent pairs, MX and pipes with the same workload:
#    aggregate rate, context switches, syscalls, daemon CPU per message.
# 5. Large messages (4 MiB, 64 MiB) against one process_vm_readv.
# 6. Latency and bandwidth against size (0 B .. 4 MiB), plotted as PNG.
set -eEu
B=$(realpath "${1:-build}")
OUT=$(realpath -m "${2:-local_bench.out}")
HERE=$(dirname "$(realpath "$0")")
ITERS=${ITERS:-20000}
SWEEP_ITERS=${SWEEP_ITERS:-400}
PAIRS_ITERS=${PAIRS_ITERS:-4000}
ROUNDS=${ROUNDS:-5}
SWEEPS=${SWEEPS:-3}
SECTIONS=${SECTIONS-tiny spin cost pairs large sweep}
PAIRS=${PAIRS:-1 10 40}
has() { [[ " $SECTIONS " == *" $1 "* ]]; }
# when a section ran and on what load (the host is shared)
when() { echo "$(date -u '+%F %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"; }
SHORT=$((ITERS / 10))
for f in daemon/myribackd tools/mx_pingpong bench/shm_pingpong bench/ipc_pingpong bench/mx_pairs \
	bench/mx_cost; do
	[ -x "$B/$f" ] || { echo "local_bench: $B/$f not built"; exit 1; }
done
command -v perf >/dev/null || { echo "local_bench: perf not installed"; exit 1; }
mkdir -p "$OUT"
DIR=$(mktemp -d /tmp/mxl-bench.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$DIR"
}
trap cleanup EXIT

# Two daemons: one brokers pair channels, the other keeps everything on the
# daemon path (the comparison the channel must win).
start_daemon() { # NAME PAIRS(yes|no)
	cat > "$DIR/$1.conf" <<CONF
transports = local
local_socket = $DIR/$1.sock
ctl_socket = $DIR/$1.ctl
pair_channels = $2
# 40 pairs are 80 endpoints of one user
endpoints_per_guest = 128
endpoint_reserve = 0
CONF
	"$B/daemon/myribackd" -f -c "$DIR/$1.conf" > "$DIR/$1.log" 2>&1 &
	PIDS+=($!)
	eval "DPID_$1=$!"
	for _ in $(seq 100); do [ -S "$DIR/$1.sock" ] && return; sleep 0.05; done
	echo "local_bench: daemon $1 did not start"; cat "$DIR/$1.log"; exit 1
}
start_daemon pair yes
start_daemon hop no

# perf stat CSV -> "context_switches syscalls"
perf_pair() { awk -F, '$3=="context-switches"{c=$1} $3=="raw_syscalls:sys_enter"{s=$1} END{print c+0, s+0}' "$1"; }
# perf stat CSV(s) -> CPU ms (task-clock), summed
perf_cpu() { awk -F, '$3=="task-clock"{t+=$1} END{print t+0}' "$1"; }

# run_counted TAG DAEMON(or -) CMD...: counts of the command's processes and of
# the daemon (if any) into $DIR/TAG.{app,dmn}; the command's table into TAG.txt
run_counted() {
	local tag=$1 d=$2 pp=""
	shift 2
	if [ "$d" != - ]; then
		perf stat -x, -e context-switches,raw_syscalls:sys_enter,task-clock -p "$d" -o "$DIR/$tag.dmn" &
		pp=$!
		sleep 0.3
	fi
	perf stat -x, -e context-switches,raw_syscalls:sys_enter,task-clock -o "$DIR/$tag.app" -- "$@" > "$DIR/$tag.txt"
	if [ -n "$pp" ]; then
		kill -INT "$pp"; wait "$pp" || true
	else
		printf '0,,context-switches\n0,,raw_syscalls:sys_enter\n0,msec,task-clock\n' > "$DIR/$tag.dmn"
	fi
}

# tiny NAME DAEMON CMD... (the command takes -n N last): one row of table 1
tiny() {
	local name=$1 d=$2 dpid=-
	shift 2
	[ "$d" != - ] && dpid=$(eval echo "\$DPID_$d")
	run_counted "$name.s" "$dpid" env MYRIXEN_SOCKET="$DIR/${d/-/pair}.sock" "$@" -n "$SHORT"
	run_counted "$name.l" "$dpid" env MYRIXEN_SOCKET="$DIR/${d/-/pair}.sock" "$@" -n "$ITERS"
	read -r as ass < <(perf_pair "$DIR/$name.s.app")
	read -r al asl < <(perf_pair "$DIR/$name.l.app")
	read -r ds dss < <(perf_pair "$DIR/$name.s.dmn")
	read -r dl dsl < <(perf_pair "$DIR/$name.l.dmn")
	local lat
	lat=$(awk '$1 ~ /^[0-9]+$/ {l=$2} END{print l}' "$DIR/$name.l.txt")
	awk -v n="$name" -v m=$((2 * (ITERS - SHORT))) -v cs=$((al + dl - as - ds)) \
	    -v sc=$((asl + dsl - ass - dss)) -v dsc=$((dsl - dss)) -v lat="$lat" \
	    'function z(x) { return x < 0.0005 && x > -0.0005 ? 0 : x }
	     BEGIN{printf "%s %.3f %.3f %.3f %s\n", n, cs/m, sc/m, z(dsc/m), lat}' >> "$DIR/tiny.dat"
}

lat_of() { awk '$1 ~ /^[0-9]+$/ {l=$2} END{print l}'; }
best() { sort -g | head -1; }
median() { sort -g | awk '{v[NR] = $1} END{print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

{
	echo "# bench/local_bench.sh: one run ($(nproc) CPUs; $(git -C "$HERE" describe --always --dirty 2>/dev/null || echo "?"))"
	echo
	echo "Started $(when); sections: $SECTIONS."
	echo
} > "$OUT/local_bench.md"
if has tiny; then
	T0=$(when)
	: > "$DIR/tiny.dat"
	tiny pipe - "$B/bench/ipc_pingpong" -m pipe -s 8 -S 8 -w 200
	tiny unix - "$B/bench/ipc_pingpong" -m unix -s 8 -S 8 -w 200
	tiny udp - "$B/bench/ipc_pingpong" -m udp -s 8 -S 8 -w 200
	tiny mx_pair pair "$B/tools/mx_pingpong" -b -s 8 -S 8 -w 200
	tiny mx_daemon hop "$B/tools/mx_pingpong" -b -s 8 -S 8 -w 200
	# Latency is the best of ROUNDS alternating runs (the host is shared: the
	# minimum is what the path costs, the rest is other people's load).
	for r in $(seq "$ROUNDS"); do
		for m in pipe unix udp; do
			"$B/bench/ipc_pingpong" -m $m -s 8 -S 8 -w 200 -n "$SHORT" | lat_of >> "$DIR/lat.$m"
		done
		MYRIXEN_SOCKET="$DIR/pair.sock" "$B/tools/mx_pingpong" -b -s 8 -S 8 -w 200 -n "$SHORT" | lat_of \
			>> "$DIR/lat.mx_pair"
		MYRIXEN_SOCKET="$DIR/hop.sock" "$B/tools/mx_pingpong" -b -s 8 -S 8 -w 200 -n "$SHORT" | lat_of \
			>> "$DIR/lat.mx_daemon"
	done
	while read -r name a b c lat; do
		echo "$name $a $b $c $(best < "$DIR/lat.$name") $(median < "$DIR/lat.$name")"
	done < "$DIR/tiny.dat" > "$DIR/tiny2.dat"
	mv "$DIR/tiny2.dat" "$DIR/tiny.dat"
	PIPE_LAT=$(awk '$1=="pipe"{print $5}' "$DIR/tiny.dat")
	PIPE_MED=$(awk '$1=="pipe"{print $6}' "$DIR/tiny.dat")
	{
		echo "## Local tiny (8 B) ping-pong, processes sleeping"
		echo
		echo "Measured from $T0 to $(when)."
		echo
		echo "Counts: (long run - short run) / one-way messages, perf stat over every process of the"
		echo "ping-pong and, separately, over the daemon.  Latency: best and median of $ROUNDS alternating"
		echo "runs of $SHORT round trips."
		echo
		echo "Issue 9's target (the pair channel row): <= 1.2 context switches and <= 2.5 syscalls per"
		echo "message over all processes, 0 daemon syscalls, latency <= 1.2x the pipe."
		echo
		echo "| path | context switches / msg | syscalls / msg (all processes) | daemon syscalls / msg | half RTT, best (us) | vs pipe | half RTT, median (us) | vs pipe | issue 9 target |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
		awk -v p="$PIPE_LAT" -v pm="$PIPE_MED" '
		    function verdict(   miss) { miss = ""
			if ($2 > 1.2) miss = miss " switches"; if ($3 > 2.5) miss = miss " syscalls"
			if ($4 >= 0.005) miss = miss " daemon"; if ($5 / p > 1.2) miss = miss " latency(best)"
			return (miss == "" ? "met" : "missed:" miss) ($6 / pm > 1.2 ? "; median latency missed" : "") }
		    {printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2fx | %.2f | %.2fx | %s |\n", $1, $2, $3, $4, $5, $5/p, $6, $6/pm,
			    $1 == "mx_pair" ? verdict() : ($1 == "mx_daemon" ? "(the daemon path: no target)" : "baseline")}' "$DIR/tiny.dat"
		echo
	} >> "$OUT/local_bench.md"
fi

if has spin; then
	# ---- 3. both sides spinning: MX pair channel vs the shared-memory floor ----
	T0=$(when)
	for r in $(seq "$ROUNDS"); do
		"$B/bench/shm_pingpong" -s 8 -S 8 -n "$ITERS" -w 200 | lat_of >> "$DIR/lat.shm"
		MYRIXEN_SOCKET="$DIR/pair.sock" MYRIXEN_SPIN_US=1000000 "$B/tools/mx_pingpong" -b -s 8 -S 8 \
			-n "$ITERS" -w 200 | lat_of >> "$DIR/lat.spin"
	done
	SHM=$(best < "$DIR/lat.shm")
	SPIN=$(best < "$DIR/lat.spin")
	SHM_MED=$(median < "$DIR/lat.shm")
	SPIN_MED=$(median < "$DIR/lat.spin")
	{
		echo "## Both sides spinning (MYRIXEN_SPIN_US=1000000), 8 B, $ROUNDS alternating runs"
		echo
		echo "Measured from $T0 to $(when).  Issue 9's target: half RTT <= 2.5x the floor."
		echo
		echo "| path | half RTT, best (us) | vs shm floor | half RTT, median (us) | vs shm floor | issue 9 target |"
		echo "|---|---:|---:|---:|---:|---|"
		awk -v s="$SHM" -v m="$SPIN" -v sm="$SHM_MED" -v mm="$SPIN_MED" 'BEGIN{
			printf "| shm_pingpong (floor) | %.2f | 1.00x | %.2f | 1.00x | baseline |\n", s, sm
			printf "| MX pair channel | %.2f | %.2fx | %.2f | %.2fx | %s (best), %s (median) |\n", m, m/s, mm, mm/sm,
			       m / s <= 2.5 ? "met" : "missed", mm / sm <= 2.5 ? "met" : "missed" }'
		echo
	} >> "$OUT/local_bench.md"
fi

if has cost; then
	# ---- 3b. the library's instructions per message (callgrind, noise-free) ----
	# mx_cost: one process, two endpoints, every wait finds its message at the
	# first look: the library's own work per one-way message (mx_irecv +
	# mx_isend + 2 mx_wait) and per empty poll (one mx_test finding nothing).
	if command -v valgrind >/dev/null; then
		cost_ir() { # FUNCTION
			MYRIXEN_SOCKET="$DIR/pair.sock" valgrind --tool=callgrind --collect-atstart=no \
				--toggle-collect="$1" --callgrind-out-file="$DIR/cg.$1" \
				"$B/bench/mx_cost" -n 2000 > "$DIR/cost.txt" 2>/dev/null
			awk '/^totals:/{print $2}' "$DIR/cg.$1"
		}
		T0=$(when)
		msg_ir=$(cost_ir mxc_rounds)
		poll_ir=$(cost_ir mxc_empty_polls)
		sends=$(awk '{print $4}' "$DIR/cost.txt")
		{
			echo "Library instructions (callgrind, bench/mx_cost: 2000 round trips plus 64 warm-up, all"
			echo "through the pair channel: $sends channel sends counted; $T0; no target in issue 9,"
			echo "instructions do not depend on the load):"
			echo
			echo "| per | instructions |"
			echo "|---|---:|"
			awk -v m="$msg_ir" -v p="$poll_ir" -v s="$sends" 'BEGIN{printf "| one-way tiny message (irecv + isend + 2 waits) | %.0f |\n| empty poll (mx_test, nothing there) | %.0f |\n", m/(s > 0 ? s : 4128), p/2000}'
			echo
		} >> "$OUT/local_bench.md"
	fi
fi

if has pairs; then
	# ---- 4. concurrent pairs: MX (pair channels, daemon path) and pipes ----
	# The same workload per pair for all three (bench/mx_pairs: 8 B ping-pong,
	# receive posted before the send).  Rate: best of ROUNDS runs.  Counts per
	# one-way message: (long run - short run) / messages, perf stat over every
	# process of the run plus the daemon; daemon CPU: its CPU time inside the
	# timed window (mx_pairs -d: start-up and close-down are outside it) per
	# message, the median of the ROUNDS runs perf does not trace.
	pairs_cmd() { # KIND P N: the command line, in PA
		case $1 in
		pipe) PA=("$B/bench/mx_pairs" -m pipe) ;;
		mx_pair) PA=(env MYRIXEN_SOCKET="$DIR/pair.sock" "$B/bench/mx_pairs" -d "$DPID_pair") ;;
		mx_daemon) PA=(env MYRIXEN_SOCKET="$DIR/hop.sock" "$B/bench/mx_pairs" -d "$DPID_hop") ;;
		esac
		PA+=(-p "$2" -n "$3" -s 8)
	}
	T0=$(when)
	PSHORT=$((PAIRS_ITERS / 5))
	: > "$DIR/pairs.dat"
	for kind in pipe mx_pair mx_daemon; do
		dpid=-
		[ "$kind" = mx_pair ] && dpid=$DPID_pair
		[ "$kind" = mx_daemon ] && dpid=$DPID_hop
		for p in $PAIRS; do
			pairs_cmd $kind $p $PSHORT
			run_counted "pp.s" "$dpid" "${PA[@]}"
			pairs_cmd $kind $p "$PAIRS_ITERS"
			run_counted "pp.l" "$dpid" "${PA[@]}"
			read -r as ass < <(perf_pair "$DIR/pp.s.app")
			read -r al asl < <(perf_pair "$DIR/pp.l.app")
			read -r ds dss < <(perf_pair "$DIR/pp.s.dmn")
			read -r dl dsl < <(perf_pair "$DIR/pp.l.dmn")
			# rate and daemon CPU from runs nobody traces (perf's tracepoints
			# on the daemon cost it CPU): best rate, median daemon ns / msg
			: > "$DIR/rate"
			: > "$DIR/dns"
			for r in $(seq "$ROUNDS"); do
				"${PA[@]}" > "$DIR/pp.r.txt"
				awk '{print $8}' "$DIR/pp.r.txt" >> "$DIR/rate"
				awk '{print $10 / $4}' "$DIR/pp.r.txt" >> "$DIR/dns"
			done
			cpu=$(cat "$DIR"/pp.l.app "$DIR"/pp.l.dmn | perf_cpu /dev/stdin)
			cpu_s=$(cat "$DIR"/pp.s.app "$DIR"/pp.s.dmn | perf_cpu /dev/stdin)
			awk -v k=$kind -v p=$p -v m=$((2 * p * (PAIRS_ITERS - PSHORT))) -v r="$(sort -g "$DIR/rate" | tail -1)" \
			    -v rm="$(median < "$DIR/rate")" \
			    -v cs=$((al + dl - as - ds)) -v sc=$((asl + dsl - ass - dss)) -v dsc=$((dsl - dss)) \
			    -v dns="$(median < "$DIR/dns")" -v cpu="$cpu" -v cpus="$cpu_s" \
			    'function z(x) { return x < 0.0005 && x > -0.0005 ? 0 : x }
			     BEGIN{printf "%s %d %.0f %.3f %.3f %.3f %.1f %.2f %.0f\n", k, p, r, cs/m, sc/m, z(dsc/m), dns,
				   (cpu - cpus) * 1000 / m, rm}' >> "$DIR/pairs.dat"
		done
	done
	{
		echo "## Concurrent pairs, 8 B ping-pong, $PAIRS_ITERS round trips per pair ($(nproc) CPUs)"
		echo
		echo "Same workload per pair for every path; rate: best and median of $ROUNDS runs; counts: (long - short run) / one-way"
		echo "messages, all processes plus the daemon (CPU: their task-clock); daemon CPU: inside the timed window only,"
		echo "median of the $ROUNDS runs perf does not trace.  Measured from $T0 to $(when)."
		echo "Issue 9's target: the aggregate rate never below the 1-pair rate (best and median),"
		echo "daemon CPU per message flat."
		echo
		echo "| path | pairs | msgs/s (aggregate), best | vs 1 pair | vs pipe, same pairs | msgs/s, median | vs 1 pair | CPU us / msg (all) | context switches / msg | syscalls / msg | daemon syscalls / msg | daemon CPU ns / msg | issue 9 target (rate) |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
		awk '{rate[$1" "$2]=$3; med[$1" "$2]=$9} {row[NR]=$0}
		     END{for (i = 1; i <= NR; i++) { split(row[i], f, " ");
			v = f[1] == "pipe" ? "baseline" : f[2] == 1 ? "(the reference)" : \
			    (f[3] >= rate[f[1]" 1"] ? "met" : "missed") " (best), " (f[9] >= med[f[1]" 1"] ? "met" : "missed") " (median)"
			printf "| %s | %d | %.0f | %.2fx | %.2fx | %.0f | %.2fx | %.2f | %.2f | %.2f | %.2f | %.1f | %s |\n", f[1], f[2], f[3],
			       f[3]/rate[f[1]" 1"], f[3]/rate["pipe "f[2]], f[9], f[9]/med[f[1]" 1"], f[8], f[4], f[5], f[6], f[7], v }}' "$DIR/pairs.dat"
		echo
	} >> "$OUT/local_bench.md"
	cp "$DIR/pairs.dat" "$OUT/pairs.dat"
fi

if has large; then
	# ---- 5. large local messages against one process_vm_readv ----
	# bench/large_bench: the receiver reads the sender's buffer with one
	# process_vm_readv per message (the baseline), then takes the same messages
	# single copy (its library's process_vm_readv) and mediated (the daemon's
	# worker), LARGE_ROUNDS rounds in turn.  Best against best, and the median
	# over rounds of each round's ratio (a round's paths ran next to its
	# baseline).
	LARGE_ROUNDS=${LARGE_ROUNDS:-7}
	{
		echo "## Large local messages against one process_vm_readv of the same size ($LARGE_ROUNDS rounds)"
		echo
		echo "Started $(when).  Issue 9's target: single copy >= 90% of process_vm_readv."
		echo
		echo "| size | messages / round | process_vm_readv, best (GB/s) | single copy, best (GB/s) | best vs best | median of round ratios | mediated, best (GB/s) | mediated, median of round ratios | issue 9 target |"
		echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
		for sz in 4194304 67108864; do
			n=$((sz > 8388608 ? 8 : 24))
			MYRIXEN_SOCKET="$DIR/pair.sock" "$B/bench/large_bench" $sz $n both "$LARGE_ROUNDS" |
				awk -v n=$n '/^size/ {sz = $2 / 1048576; base = $(NF - 4)}
				     /single-copy/ {sc = $2; scb = $6; scm = $NF}
				     /mediated/ {md = $2; mdm = $NF}
				     END {v = (scb + 0 >= 90 ? "met" : "missed") " (best), " (scm + 0 >= 90 ? "met" : "missed") " (median)"
					  printf "| %d MiB | %d | %s | %s | %s | %s | %s | %s | %s |\n", sz, n, base, sc, scb, scm, md, mdm, v}'
		done
		echo
		echo "Ended $(when)."
		echo
	} >> "$OUT/local_bench.md"
fi

if has sweep; then
	# ---- 6. sweep and plots ----
	# Each sweep runs SWEEPS times, alternating paths; a size's point is its
	# best run (the host is shared: one preemption of a spinning side costs a
	# scheduler tick).  A sweep that fails is run again once (and reported):
	# the table must not stop the plots.
	sweep_mx() { # NAME SOCKET CSV
		for try in 1 2; do
			MYRIXEN_SOCKET="$DIR/$2.sock" "$B/tools/mx_pingpong" -b -n "$SWEEP_ITERS" -w 20 \
				-c "$3" > /dev/null && return 0
			echo "local_bench: $1 sweep failed (try $try)" >&2
		done
		return 1
	}
	T0=$(when)
	for r in $(seq "$SWEEPS"); do
		sweep_mx mx_pair pair "$DIR/mx_pair.$r.csv"
		sweep_mx mx_daemon hop "$DIR/mx_daemon.$r.csv"
		"$B/bench/shm_pingpong" -n "$SWEEP_ITERS" -w 20 -c "$DIR/shm.$r.csv" > /dev/null
		for m in pipe unix udp; do
			"$B/bench/ipc_pingpong" -m $m -n "$SWEEP_ITERS" -w 20 -c "$DIR/$m.$r.csv" > /dev/null
		done
	done
	for n in mx_pair mx_daemon shm pipe unix udp; do
		cat "$DIR/$n".*.csv | awk -F, '$1 ~ /^[0-9]+$/ { if (!($1 in l) || $2 < l[$1]) l[$1] = $2 }
			END { print "bytes,latency_us,mb_per_s"
			      for (b in l) printf "%s,%.3f,%.3f\n", b, l[b], (l[b] > 0 ? b / l[b] : 0) }' |
			sort -t, -k1,1g > "$OUT/$n.csv"
	done
	if command -v gnuplot >/dev/null; then
		# the pairs plot needs pairs.dat (section "pairs", this run or an earlier one in OUT)
		gnuplot -e "dir='$OUT'" "$HERE/local_bench.gp" || echo "local_bench: gnuplot failed" >&2
	fi
	echo "Plots ($SWEEPS sweeps of $SWEEP_ITERS round trips, each size's best; from $T0 to $(when)):" \
		"[latency](local_latency.png), [bandwidth](local_bandwidth.png), [pairs](local_pairs.png)." \
		>> "$OUT/local_bench.md"
fi
cat "$OUT/local_bench.md"
echo "CSV and PNG in $OUT"
