#!/bin/bash
# NetPIPE (Debian's NPopenmpi) between two network namespaces over one
# veth, three ways in one run: Open MPI over myrixen (pml cm, ofi MTL,
# provider myrixen, MXoE between two myribackd), Open MPI's own TCP BTL
# (pml ob1, btl tcp), and Open MPI over libfabric's tcp;ofi_rxm.  Prints a
# latency/bandwidth table with ratios to the TCP BTL, writes CSV and a PNG
# (gnuplot).  Not a test.
#   bench/mpi_bench.sh [BUILD_DIR] [OUT_PREFIX]        (root; Release build advised)
# Env: MTU (9000), UPPER (largest size, 4 MiB), FI_MYRIXEN_YIELD (passed on to the ranks).
set -eEu
B=$(realpath "${1:-build}")
OUT=${2:-mpi_bench}
MTU=${MTU:-9000}
UPPER=${UPPER:-$((4 << 20))}
here=$(dirname "$(readlink -f "$0")")
[ "$(id -u)" -eq 0 ] || { echo "mpi_bench: needs root (namespaces)"; exit 1; }
for f in daemon/myribackd prov/libmyrixen-fi.so; do
	[ -e "$B/$f" ] || { echo "mpi_bench: $B/$f not built"; exit 1; }
done
for c in mpirun NPopenmpi gnuplot unshare; do
	command -v $c >/dev/null || { echo "mpi_bench: $c missing (scripts/setup.sh)"; exit 1; }
done
. "$(dirname "$0")/bench_ns.sh"
bench_ns mxm
trap 'echo "mpi_bench: failed; logs:"; tail -n 20 "$DIR"/*.log' ERR
for h in a b; do
	# the same interface name on both hosts, so one FI_TCP_IFACE fits both
	ip -n ${P}$h link set ${P}v$h name mpiv0
	ip -n ${P}$h link set lo up
	ip -n ${P}$h link set mpiv0 mtu "$MTU" up
	cat > "$DIR/$h.conf" <<CONF
transports = local
local_socket = $DIR/$h.sock
ctl_socket = $DIR/$h.ctl
interface = mpiv0
hostname = bench$h
CONF
	ip netns exec ${P}$h "$B/daemon/myribackd" -f -c "$DIR/$h.conf" > "$DIR/$h.log" 2>&1 &
	PIDS+=($!)
done
ip -n ${P}a addr add 10.77.0.1/24 dev mpiv0
ip -n ${P}b addr add 10.77.0.2/24 dev mpiv0
for _ in $(seq 50); do [ -S "$DIR/a.ctl" ] && [ -S "$DIR/b.ctl" ] && break; sleep 0.1; done
printf '10.77.0.1 %s mxa %s\n10.77.0.2 %s mxb %s\n' ${P}a "$DIR/a.sock" ${P}b "$DIR/b.sock" > "$DIR/hosts.map"
export MYX_NS_MAP=$DIR/hosts.map OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_plm_rsh_agent=$here/../tests/mpi/ns_agent.sh OMPI_MCA_oob_tcp_if_include=10.77.0.0/24
export OMPI_MCA_plm_rsh_no_tree_spawn=1 OMPI_MCA_hwloc_base_binding_policy=none
export FI_PROVIDER_PATH=$B/prov FI_TCP_IFACE=mpiv0

# np NAME ENV...: NetPIPE rank 0 in a, rank 1 in b, with the MCA settings given
np() {
	local name=$1
	shift
	env "$@" MYRIXEN_SOCKET="$DIR/a.sock" ip netns exec ${P}a mpirun -np 2 \
		--host 10.77.0.1:1,10.77.0.2:1 --map-by node -x FI_PROVIDER_PATH -x FI_TCP_IFACE \
		${FI_MYRIXEN_YIELD:+-x FI_MYRIXEN_YIELD} \
		NPopenmpi -u "$UPPER" -p 0 -o "$DIR/$name.np" > "$DIR/$name.log" 2>&1
	echo "  $name: $(wc -l < "$DIR/$name.np") sizes"
}
echo "NetPIPE, 2 ranks in two namespaces over one veth (MTU $MTU):"
# Noise-free counts around the myrixen run: the daemons' context switches
# and MXoE frames per MX message delivered.
ctx() { awk '/ctxt_switches/ { n += $2 } END { print n }' /proc/${PIDS[0]}/status /proc/${PIDS[1]}/status; }
cnt() {
	for h in a b; do "$B/ctl/myrixenctl" -s "$DIR/$h.ctl" --json counters; done | python3 -c '
import json, sys
m = f = 0
for line in sys.stdin:
    c = json.loads(line); e = c["all_endpoints"]
    m += e["recv_tiny"] + e["recv_queued"] + e["recv_rndv"]
    f += c["wire"]["io"]["tx_frames"]
print(m, f)'
}
c0=$(ctx); n0=($(cnt))
np myrixen OMPI_MCA_pml=cm OMPI_MCA_mtl=ofi OMPI_MCA_mtl_ofi_provider_include=myrixen
c1=$(ctx); n1=($(cnt))
msgs=$(( n1[0] - n0[0] )) frames=$(( n1[1] - n0[1] ))
echo "  myrixen: $msgs MX messages, $frames MXoE frames, $(( c1 - c0 )) daemon context switches:" \
     "$(awk -v f=$frames -v c=$(( c1 - c0 )) -v m=$msgs 'BEGIN { printf "%.2f frames and %.2f daemon switches per message", f / m, c / m }')"
np tcp_btl OMPI_MCA_pml=ob1 OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=10.77.0.0/24
np ofi_rxm OMPI_MCA_pml=cm OMPI_MCA_mtl=ofi "OMPI_MCA_mtl_ofi_provider_include=tcp;ofi_rxm"
"$B/ctl/myrixenctl" -s "$DIR/a.ctl" --json counters > "$DIR/a.json"

# NetPIPE's file: bytes, Mbit/s, seconds per one-way transfer
python3 - "$DIR" "$OUT" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
runs = ["myrixen", "tcp_btl", "ofi_rxm"]
data = {}
for r in runs:
    rows = {}
    for line in open(f"{d}/{r}.np"):
        f = line.split()
        if len(f) >= 3:
            rows[int(f[0])] = (float(f[2]) * 1e6, float(f[1]) / 8)   # us, MB/s
    data[r] = rows
sizes = sorted(set.intersection(*(set(v) for v in data.values())))
with open(f"{out}.csv", "w") as c:
    c.write("bytes," + ",".join(f"{r}_us,{r}_MBps" for r in runs) + "\n")
    for s in sizes:
        c.write(f"{s}," + ",".join(f"{data[r][s][0]:.2f},{data[r][s][1]:.1f}" for r in runs) + "\n")
print(f"{'bytes':>9} | {'latency us: myrixen':>20} {'tcp BTL':>9} {'rxm':>9} {'my/tcp':>7} | "
      f"{'MB/s: myrixen':>14} {'tcp BTL':>9} {'rxm':>9} {'my/tcp':>7}")
for s in sizes:
    m, t, x = data["myrixen"][s], data["tcp_btl"][s], data["ofi_rxm"][s]
    print(f"{s:>9} | {m[0]:>20.2f} {t[0]:>9.2f} {x[0]:>9.2f} {m[0]/t[0]:>7.2f} | "
          f"{m[1]:>14.1f} {t[1]:>9.1f} {x[1]:>9.1f} {m[1]/t[1]:>7.2f}")
e = json.load(open(f"{d}/a.json"))
print(f"myrixen run, host a's daemon: {e['all_endpoints']['pull_bytes']} bytes pulled, "
      f"{e['wire']['io']['tx_frames']} MXoE frames sent")
PY
gnuplot <<GP
set terminal pngcairo size 1200,500 noenhanced
set output "$OUT.png"
set datafile separator ","
set key top left
set logscale x 2
set format x "%.0s%cB"
set multiplot layout 1,2 title "NetPIPE over one veth between two namespaces (same run)"
set title "latency (one way)"
set ylabel "us"
set logscale y
plot for [i=0:2] "$OUT.csv" every ::1 using 1:(column(2+2*i)) with linespoints \
     title word("myrixen tcp-BTL tcp;ofi_rxm", i+1)
set title "bandwidth"
set ylabel "MB/s"
unset logscale y
plot for [i=0:2] "$OUT.csv" every ::1 using 1:(column(3+2*i)) with linespoints \
     title word("myrixen tcp-BTL tcp;ofi_rxm", i+1)
unset multiplot
GP
echo "wrote $OUT.csv and $OUT.png"
