#!/bin/bash
# One MPI/libfabric case on one host, under run_with_daemon.sh (its daemon,
# MYRIXEN_SOCKET and MYRIXEN_TEST_DIR/ctl.sock).  Usage: local_case.sh CASE
set -u
. "$(dirname "$0")/mpi_lib.sh"
mpi_require
ctl=$MYRIXEN_TEST_DIR/ctl.sock
mpirun_n() { local n=$1; shift; timeout 120 mpirun -np "$n" -x MYRIXEN_SOCKET -x FI_PROVIDER_PATH "$@"; }
before=$(counters "$ctl") || { echo "FAIL: myrixenctl counters"; exit 1; }
case $1 in
fi_info)
	case_fi_info || exit 1
	exit 0 ;;
fi_pingpong)
	# a port of its own: other runs on this host may be at it too
	port=$((20000 + RANDOM % 20000))
	timeout 60 fi_pingpong -p myrixen -e rdm -I 10 -S all -B $port >"$MYRIXEN_TEST_DIR/srv.log" 2>&1 &
	srv=$!
	fi_pingpong_listening $srv $port ||
		{ cat "$MYRIXEN_TEST_DIR/srv.log"; echo "FAIL: fi_pingpong server not listening"; exit 1; }
	timeout 60 fi_pingpong -p myrixen -e rdm -I 10 -S all -P $port 127.0.0.1 || { cat "$MYRIXEN_TEST_DIR/srv.log"; echo "FAIL: fi_pingpong client"; exit 1; }
	wait $srv || { cat "$MYRIXEN_TEST_DIR/srv.log"; echo "FAIL: fi_pingpong server"; exit 1; }
	min=(2 $((16 << 20))) ;;
pingpong)
	mpirun_n 2 "$MYX_BIN/mpi_pingpong" || exit 1
	min=(2 $(( 2 * 5 * (200000 + 1048576 - 2 * 32768) ))) ;;
semantics)
	mpirun_n 4 "$MYX_BIN/mpi_semantics" || exit 1
	min=(4 $(( 300000 - 32768 ))) ;;
semantics_tag1)
	# Open MPI's fallback layout (source in the tag, no CQ data)
	OMPI_MCA_mtl_ofi_tag_mode=ofi_tag_1 mpirun_n 4 "$MYX_BIN/mpi_semantics" || exit 1
	min=(4 $(( 300000 - 32768 ))) ;;
collectives)
	mpirun_n 4 "$MYX_BIN/mpi_collectives" || exit 1
	min=(4 $(( 3 * ((1 << 20) - 32768) ))) ;;
threads)
	mpirun_n 2 "$MYX_BIN/mpi_threads" || exit 1
	min=(2 $(( 4 << 20 ))) ;;
large)
	mpirun_n 2 "$MYX_BIN/mpi_large" 256 || exit 1
	min=(2 $(( 2 * ((256 << 20) - 32768) ))) ;;
netpipe)
	command -v NPopenmpi >/dev/null || mpi_skip "NPopenmpi missing (apt-get install netpipe-openmpi)"
	mpirun_n 2 NPopenmpi -i -u 1048576 -p 0 -o "$MYRIXEN_TEST_DIR/np.out" >"$MYRIXEN_TEST_DIR/np.log" 2>&1 ||
		{ tail "$MYRIXEN_TEST_DIR/np.log"; echo "FAIL: NPopenmpi"; exit 1; }
	grep -qi "integrity check failed" "$MYRIXEN_TEST_DIR/np.log" && { cat "$MYRIXEN_TEST_DIR/np.log"; echo "FAIL: NetPIPE integrity"; exit 1; }
	n=$(grep -c "Integrity check passed" "$MYRIXEN_TEST_DIR/np.log")
	[ "$n" -ge 30 ] || { cat "$MYRIXEN_TEST_DIR/np.log"; echo "FAIL: only $n NetPIPE sizes checked"; exit 1; }
	echo "ok: NetPIPE integrity check, $n sizes up to 1 MiB"
	min=(2 $(( 10 << 20 ))) ;;
*)
	echo "usage: local_case.sh fi_info|fi_pingpong|pingpong|semantics|semantics_tag1|collectives|threads|large|netpipe"; exit 2 ;;
esac
after=$(counters "$ctl") || { echo "FAIL: myrixenctl counters"; exit 1; }
LOCAL_PAIRS=1 expect_traffic "$before" "$after" "${min[@]}"
