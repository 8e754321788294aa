#!/bin/bash
# Shared by the MPI tests (sourced): requirements, the Open MPI environment
# that selects the myrixen provider, the cases, and the counter checks that
# prove the bytes went through myribackd (not Open MPI's shared memory or
# TCP).  Needs MYRIXENCTL, MYX_PROV_DIR, MYX_BIN (built test programs).
set -u
: "${MYRIXENCTL:?}" "${MYX_PROV_DIR:?}" "${MYX_BIN:?}"

mpi_skip() { echo "SKIP: $*"; exit 77; }

mpi_require() {
	[ -z "${MYX_SANITIZED:-}" ] ||
		mpi_skip "provider built with -fsanitize=$MYX_SANITIZED: Open MPI's uninstrumented processes cannot load it"
	command -v mpirun >/dev/null || mpi_skip "mpirun missing (apt-get install openmpi-bin)"
	command -v fi_info >/dev/null || mpi_skip "fi_info missing (apt-get install libfabric-bin)"
	[ -e "$MYX_PROV_DIR/libmyrixen-fi.so" ] || mpi_skip "provider not built (libfabric-dev missing)"
	[ -x "$MYX_BIN/mpi_pingpong" ] || mpi_skip "MPI test programs not built (libopenmpi-dev missing)"
}

# The one line a user needs, plus the build tree's provider and root's consent.
export OMPI_MCA_pml=cm OMPI_MCA_mtl=ofi OMPI_MCA_mtl_ofi_provider_include=myrixen
# Open MPI's full tag mode (source rank in 4 bytes of remote CQ data) is
# what it picks by itself here; insisting on it makes a provider without
# CQ data fail instead of silently falling back.  MYX_TAG_MODE overrides.
export OMPI_MCA_mtl_ofi_tag_mode=${MYX_TAG_MODE:-ofi_tag_full}
export FI_PROVIDER_PATH=$MYX_PROV_DIR
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Quiet and quick: no hwloc binding on an oversubscribed 2-core box.
export OMPI_MCA_hwloc_base_binding_policy=none OMPI_MCA_rmaps_base_oversubscribe=1

# counters CTL_SOCKET...: one line "received pull_bytes wire_frames
# endpoints_opened pairs_proc", summed
# over the daemons (every endpoint ever opened, closed ones included).
counters() (
	set -o pipefail
	for s in "$@"; do "$MYRIXENCTL" -s "$s" --json counters || exit 1; done |
	python3 -c '
import json, sys
rx = pb = wb = eo = pp = 0
for line in sys.stdin:
    c = json.loads(line)
    e = c["all_endpoints"]
    rx += e["recv_tiny"] + e["recv_queued"] + e["recv_rndv"]
    pb += e["pull_bytes"]
    eo += c["core"]["endpoints_opened"]
    io = c.get("wire", {}).get("io", {})
    wb += io.get("tx_frames", 0) + io.get("rx_frames", 0)
    pp += c.get("local", {}).get("pairs_proc", 0)
print(rx, pb, wb, eo, pp)'
)

# expect_traffic BEFORE AFTER MIN_ENDPOINTS MIN_PULL_BYTES [MIN_MSGS MIN_WIRE_FRAMES]
# Endpoints opened and rendezvous bytes pulled are counted by the daemon
# whatever the path of small messages (local pairs may bypass it); the
# message and frame counts are asserted for the two-host runs.  Between
# local processes of one user the large messages go library to library
# in pair channels the daemon handed over with each peer's process
# (pairs_proc, include/myrixen/pair.h "Rendezvous"): no byte pulled
# through the daemon then, only those channels to show for it (one host
# runs only: LOCAL_PAIRS=1).
expect_traffic() {
	local b=($1) a=($2)
	local msgs=$(( a[0] - b[0] )) pull=$(( a[1] - b[1] )) wire=$(( a[2] - b[2] )) eps=$(( a[3] - b[3] ))
	local pp=$(( a[4] - b[4] ))
	echo "myribackd counters: $eps endpoints opened, $msgs messages received, $pull bytes pulled, $wire MXoE frames, $pp pair channels with rendezvous"
	[ "$eps" -ge "$3" ] || { echo "FAIL: only $eps endpoints opened on myribackd (want >= $3)"; return 1; }
	[ "$pull" -ge "$4" ] || { [ -n "${LOCAL_PAIRS:-}" ] && [ "$pp" -ge 1 ]; } ||
		{ echo "FAIL: only $pull bytes pulled through myribackd (want >= $4)"; return 1; }
	[ "$msgs" -ge "${5:-0}" ] || { echo "FAIL: only $msgs messages through myribackd (want >= $5)"; return 1; }
	[ "$wire" -ge "${6:-0}" ] || { echo "FAIL: only $wire MXoE frames (want >= $6)"; return 1; }
	return 0
}

# fi_info must list the provider with what Open MPI's ofi MTL asks for.
case_fi_info() {
	local out
	out=$(fi_info -p myrixen -v 2>&1) || { echo "$out"; echo "FAIL: fi_info -p myrixen"; return 1; }
	for w in "prov_name: myrixen" FI_EP_RDM FI_TAGGED FI_DIRECTED_RECV FI_LOCAL_COMM \
		 FI_REMOTE_COMM FI_REMOTE_CQ_DATA FI_CONTEXT FI_ORDER_SAS FI_PROGRESS_MANUAL \
		 "cq_data_size: 4"; do
		grep -q -- "$w" <<<"$out" || { echo "$out"; echo "FAIL: fi_info lacks $w"; return 1; }
	done
	out=$(fi_info -p myrixen -c "FI_TAGGED|FI_DIRECTED_RECV" -t FI_EP_RDM 2>&1) ||
		{ echo "$out"; echo "FAIL: fi_info with Open MPI's filters"; return 1; }
	fi_info -p myrixen -t FI_EP_MSG >/dev/null 2>&1 && { echo "FAIL: offers FI_EP_MSG"; return 1; }
	# no daemon, no provider (a job must not pick a fabric it cannot open)
	MYRIXEN_SOCKET=/nonexistent/myrixen.sock fi_info -p myrixen >/dev/null 2>&1 &&
		{ echo "FAIL: listed without a reachable myribackd"; return 1; }
	echo "ok: fi_info lists myrixen (RDM, tagged, directed receive, 4 bytes of CQ data, manual progress)"
}

# Wait (up to 30 s) until fi_pingpong's server (pid $1) listens on TCP port
# $2, run by $3... (e.g. ip netns exec NS): a fixed half second was too
# short on a loaded host ("failed to connect: Connection refused").
fi_pingpong_listening() {
	local srv=$1 port=$2; shift 2
	for _ in $(seq 300); do
		"$@" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		kill -0 "$srv" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
