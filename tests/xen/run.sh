#!/bin/bash
# Emulated Xen test runner: Xen 4.17 + Debian dom0/domU kernels under QEMU TCG.
#
#   tests/xen/run.sh [-B BUILD_DIR] SCENARIO     run one scenario, verdict in the exit code
#   tests/xen/run.sh [-B BUILD_DIR] demo         MX ping-pong between two domUs, live
#   tests/xen/run.sh [-B BUILD_DIR] shell        interactive dom0 (Ctrl-a x quits)
#   tests/xen/run.sh [-B BUILD_DIR] pair         two emulated hosts, MX across the wire
#                                                (any NAME with scenarios NAME-a.sh and NAME-b.sh)
#   tests/xen/run.sh list                        the scenarios
#
# Exit: 0 pass, 1 fail (the relevant part of the serial log is printed),
# 77 skip (qemu/xen packages, kernel headers or the kernel image missing).
# Serial logs: tests/xen/artifacts/<build dir name>-<scenario>.log; one QEMU per
# machine at a time (flock), a run that waits too long for it exits 77.
# Env: MYRIXEN_XEN_CACHE (download cache), MXT_TIMEOUT (s), MXT_MEM (MiB), MXT_SMP,
# MXT_DEBUG=1|2 (2: trace the scenario), MXT_LOCK_WAIT (s), MXT_STALL (s of serial
# silence that end a run, 150), MXT_HB (s between dom0's heartbeats, 15; 0: none).
set -uo pipefail
# Everything in one function: bash parses it whole, so editing this file
# while a run is going cannot derail that run.
# Two emulated hosts whose e1000 NICs are joined by QEMU's socket netdev on
# 127.0.0.1 (the only network they have); host A listens, B connects.
run_pair() {
  local port=${MXT_PAIR_PORT:-$((20000 + RANDOM % 20000))} ok=0 a b
  local common=(qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt -smp 1 -m 1280
      -nographic -no-reboot -monitor none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04
      -kernel "$IMG/xen")
  local xa="${XENARGS/dom0_mem=1024M,max:1024M/dom0_mem=640M,max:640M}"
  t2=$EPOCHREALTIME
  timeout -k 5 "$TIMEOUT" "${common[@]}" -append "$xa" \
    -initrd "$IMG/vmlinuz $DOM0ARGS,$IMG/dom0.cpio.gz" \
    -netdev socket,id=n0,listen=127.0.0.1:$port -device e1000,netdev=n0,mac=52:54:00:12:00:01 \
    </dev/null > "$ART/$TAG-$PAIR-a.log" 2>&1 &
  a=$!
  sleep 2
  timeout -k 5 "$TIMEOUT" "${common[@]}" -append "$xa" \
    -initrd "$IMG/vmlinuz ${DOM0ARGS/mxt.scenario=$PAIR-a/mxt.scenario=$PAIR-b},$IMG/dom0.cpio.gz" \
    -netdev socket,id=n0,connect=127.0.0.1:$port -device e1000,netdev=n0,mac=52:54:00:12:00:02 \
    </dev/null > "$ART/$TAG-$PAIR-b.log" 2>&1 &
  b=$!
  wait $a $b
  stamp "boot $PAIR" "$t2"
  for h in a b; do
    if grep -q "MXT-RESULT: PASS $PAIR-$h" "$ART/$TAG-$PAIR-$h.log"; then
      echo "run.sh: host $h PASSED"; ok=$((ok + 1))
    else
      echo "run.sh: host $h FAILED, log $ART/$TAG-$PAIR-$h.log"
      grep -aE 'MXT-RESULT|FAIL|MXT: ' "$ART/$TAG-$PAIR-$h.log" | tail -25
    fi
  done
  [ $ok = 2 ]
}

# serial_watch QEMU_PID KEYS_FD < serial > log: each line with the host's
# time.  dom0 prints a heartbeat (MXT-HB) every 15 s, so MXT_STALL s (150)
# without a line means the emulated machine made no progress: Xen is then
# asked for its state on the serial line (Ctrl-a x3 gives Xen the input;
# 'q' domains and vCPUs, 'r' run queues, 'd' registers).  Any line within
# 30 s is a live hypervisor whose dom0 or guests stalled, written
# "answered" to LOG.watch (a verdict, the dump says where); none is a
# stuck emulator, "stuck".  Either way QEMU is stopped (killed 15 s on).
serial_watch() {
  local qpid=$1 kfd=$2 l n d s0=${EPOCHREALTIME/./} last asked=0 heard=0 stopped=0
  local quiet=$(( ${MXT_STALL:-150} * 1000000 ))
  last=$s0
  while :; do
    l=
    if IFS= read -r -t 5 l; then :
    elif [ $? -le 128 ]; then [ -n "$l" ] || break   # end of the output
    fi
    n=${EPOCHREALTIME/./}
    if [ -n "$l" ]; then
      d=$(( (n - s0) / 10000 ))
      printf '[host %4d.%02d] %s\n' $((d / 100)) $((d % 100)) "$l"
      if [ -n "${DEMO:-}" ]; then
        l=${l//$'\r'/}
        [[ $l =~ MXT:|mx_pingpong|latency|^\ *[0-9]+\ +[0-9.]+\ +[0-9.]+$ ]] && echo "$l" >&2
      fi
      last=$n; [ $asked = 0 ] || heard=1
      continue
    fi
    if [ $asked = 0 ] && [ $((n - last)) -ge $quiet ]; then
      echo "run.sh: no serial output for ${MXT_STALL:-150}s; asking Xen for its state"
      { printf '\001\001\001'; sleep 1; printf q; sleep 2; printf r; sleep 2; printf d; } >&"$kfd"
      asked=$n
    elif [ $asked != 0 ] && [ $((n - asked)) -ge 30000000 ]; then
      if [ $heard = 1 ]; then echo answered; else echo stuck; fi > "$LOG.watch"
      stop_qemu "$qpid"; asked=0; quiet=$(( 1 << 60 )); stopped=$n
    elif [ $stopped != 0 ] && [ $((n - stopped)) -ge 15000000 ]; then
      pkill -KILL -P "$qpid"; kill -KILL "$qpid" 2>/dev/null; stopped=0
    fi
  done
}
# stop_qemu PID: timeout(1) passes TERM on to QEMU and wakes it if stopped
stop_qemu() { kill -TERM "$1" 2>/dev/null; kill -CONT "$1" 2>/dev/null; pkill -CONT -P "$1"; }
# boot_once: one QEMU run of the scenario, its serial log in LOG; QEMU's exit.
boot_once() {
  local dir kfd qpid
  dir=$(mktemp -d /tmp/mxt-serial.XXXXXX)
  mkfifo "$dir/keys" "$dir/out"
  rm -f "$LOG.watch"
  exec {kfd}<>"$dir/keys"   # open both ways: QEMU never reads an end of input
  timeout -k 5 "$TIMEOUT" "${QEMU[@]}" -monitor none -serial stdio <&$kfd >"$dir/out" 2>&1 &
  qpid=$!
  serial_watch $qpid $kfd < "$dir/out" > "$LOG"
  wait $qpid; local rc=$?
  exec {kfd}>&-
  rm -rf "$dir"
  return $rc
}

main() {
SRC=$(cd "$(dirname "$0")" && pwd)
BUILD=${MYRIXEN_BUILD_DIR:-$SRC/../../build}
if [ "${1:-}" = -B ]; then BUILD=$2; shift 2; fi
SCEN=${1:-}
ART=${MXT_ARTIFACTS:-$SRC/artifacts}
if [ "$SCEN" = list ] || [ -z "$SCEN" ]; then
  ls "$SRC/scenarios" | sed -n 's/\.sh$//p'; exit 0
fi
[ "$SCEN" = demo ] && SCEN=pingpong-pv && DEMO=1
if [ -f "$SRC/scenarios/$SCEN-a.sh" ] && [ -f "$SRC/scenarios/$SCEN-b.sh" ]; then
  PAIR=$SCEN; SCEN=$SCEN-a
fi
[ -f "$SRC/scenarios/$SCEN.sh" ] || [ "$SCEN" = shell ] || { echo "run.sh: unknown scenario '$SCEN'" >&2; exit 2; }
[ -d "$BUILD" ] || { echo "run.sh: no build directory $BUILD (use -B)" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd)
mkdir -p "$ART"
TAG=$(basename "$BUILD")
# One emulated Xen host per machine at a time (2 cores, 2 GiB each): a
# machine-wide lock; a run that cannot get it soon is skipped, not queued.
exec 9>"${TMPDIR:-/tmp}/myrixen-xen-qemu.lock"
if ! flock -w "${MXT_LOCK_WAIT:-90}" 9; then
  echo "run.sh: SKIP: another emulated Xen run holds the lock (${TMPDIR:-/tmp}/myrixen-xen-qemu.lock)"; exit 77
fi
t0=$EPOCHREALTIME
stamp() { echo "TIMING $1: $(echo "$EPOCHREALTIME - $2" | bc)s" | tee -a "$ART/$TAG-timings.txt"; }

# 1. kernel + hypervisor (cached), skip when unavailable
ENVLINE=$("$SRC/fetch.sh") || exit $?
eval "export $ENVLINE"
stamp "fetch" "$t0"
# the scenario needs the shim; every scenario needs a guest module to be meaningful
ls "$BUILD"/shim/kbuild/myrixen.ko >/dev/null 2>&1 || { echo "run.sh: SKIP: myrixen.ko not built (linux headers missing?)"; exit 77; }
if grep -q '^# needs: myribackd' "$SRC/scenarios/$SCEN.sh" 2>/dev/null && [ ! -x "$BUILD/daemon/myribackd" ]; then
  echo "run.sh: SKIP: scenario $SCEN needs myribackd, not built in $BUILD"; exit 77
fi
if grep -q '^# needs: mx-tests' "$SRC/scenarios/$SCEN.sh" 2>/dev/null &&
   ! ls "$BUILD"/tests/integration/it_classes "$BUILD"/tools/mx_pingpong >/dev/null 2>&1; then
  echo "run.sh: SKIP: scenario $SCEN needs the MX test programs, not built in $BUILD"; exit 77
fi

# 2. images (one set per build dir)
IMG=$BUILD/tests/xen/img
t1=$EPOCHREALTIME
"$SRC/images.sh" "$BUILD" "$IMG" || { echo "run.sh: image build failed"; exit 1; }
stamp "images" "$t1"

# 3. boot
MEM=${MXT_MEM:-2048}
TIMEOUT=${MXT_TIMEOUT:-$(sed -n 's/^# timeout: //p' "$SRC/scenarios/$SCEN.sh" 2>/dev/null)}
TIMEOUT=${TIMEOUT:-240}
XENARGS="loglvl=all guest_loglvl=all console=com1 com1=115200,8n1 console_timestamps=boot dom0_mem=1024M,max:1024M dom0_max_vcpus=1"
DOM0ARGS="console=hvc0 earlyprintk=xen rdinit=/init loglevel=4 mxt.scenario=$SCEN${MXT_DEBUG:+ mxt.debug=$MXT_DEBUG}${MXT_HB:+ mxt.hb=$MXT_HB}"
# "# smp: N" in a scenario pins the emulated CPU count (PVH guests
# triple-fault now and then under 2-vCPU multi-threaded TCG)
SMP=${MXT_SMP:-$(sed -n 's/^# smp: //p' "$SRC/scenarios/$SCEN.sh" 2>/dev/null)}
QEMU=(qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt -smp "${SMP:-2}" -m "$MEM"
      -nographic -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04
      -kernel "$IMG/xen" -append "$XENARGS" -initrd "$IMG/vmlinuz $DOM0ARGS,$IMG/dom0.cpio.gz")
if [ "$SCEN" = shell ]; then exec "${QEMU[@]}" -serial mon:stdio; fi
if [ -n "${PAIR:-}" ]; then run_pair; return $?; fi
LOG=$ART/$TAG-$SCEN.log
if [ -n "${DEMO:-}" ]; then
  echo "demo: booting Xen + dom0 + two PV domUs under QEMU (about a minute); the MX ping-pong follows"
fi
# A guest the emulated CPU triple-faults (QEMU TCG, README "Known limits";
# Xen prints "dNvN Triple fault") says nothing about myrixen, nor does an
# emulator that stopped (serial_watch: Xen itself no longer answers): that
# run is kept as LOG.emulator-fault or LOG.emulator-stall and the scenario
# runs once more.  Any other failure, a hang of dom0 or a guest included,
# is the verdict.
for attempt in 1 2; do
t2=$EPOCHREALTIME
boot_once
rc=$?
stamp "boot $SCEN (qemu rc=$rc)" "$t2"
if grep -q "MXT-RESULT: PASS $SCEN" "$LOG"; then
  echo "run.sh: $SCEN PASSED ($(grep -c 'MXT: .*ok:' "$LOG") checks), log $LOG"
  exit 0
fi
stall=$(cat "$LOG.watch" 2>/dev/null); rm -f "$LOG.watch"
fault=$(grep -a -m1 '(XEN).*Triple fault' "$LOG")
if [ "$attempt" = 1 ] && [ -n "$fault" ]; then
  echo "run.sh: $SCEN: the emulated CPU triple-faulted a guest (${fault//$'\r'/}); log kept as $LOG.emulator-fault, running the scenario once more"
  mv "$LOG" "$LOG.emulator-fault"
  echo "emulator fault $SCEN: ${fault//$'\r'/}" >> "$ART/$TAG-timings.txt"
elif [ "$attempt" = 1 ] && [ "$stall" = stuck ]; then
  echo "run.sh: $SCEN: the emulated machine stopped (no serial output, Xen did not answer its debug keys); log kept as $LOG.emulator-stall, running the scenario once more"
  mv "$LOG" "$LOG.emulator-stall"
  echo "emulator stall $SCEN" >> "$ART/$TAG-timings.txt"
else
  [ -n "$stall" ] && echo "run.sh: $SCEN: no serial output for ${MXT_STALL:-150}s; Xen $stall (its dump of domains, run queues and registers is in the log)"
  break
fi
done
echo "run.sh: $SCEN FAILED (qemu rc=$rc; 124 = killed after ${TIMEOUT}s, 33 = dom0 finished), log $LOG"
echo "---- verdict and failed checks ----"
grep -aE 'MXT-RESULT|FAIL|Oops|BUG|panic|Call Trace|myribackd.*(err|warn)|\(XEN\).*([Cc]rash|[Tt]riple|fault)' "$LOG" | head -40
echo "---- harness progress ----"
grep -E 'MXT: |MXS-PROBE' "$LOG" | tail -40
echo "---- last 40 lines ----"
tail -40 "$LOG"
return 1
}
main "$@"
exit $?
