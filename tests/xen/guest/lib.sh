# Shell helpers for the emulated guests (busybox sh), sourced by dom0-init,
# domU-init and the scenarios.  Markers the host-side runner greps:
#   MXT: ...               progress, with the guest's uptime
#   MXT-RESULT: PASS|FAIL  the scenario's verdict (dom0 only)
up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "MXT: [$(up)s] $*"; }
cmdline_arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
FAILED=
fail() { say "FAIL: $*"; FAILED="${FAILED:+$FAILED; }$*"; }
check() { # check DESCRIPTION COMMAND...: run, record a failure when it fails
  local what=$1; shift
  if "$@"; then say "ok: $what"; else fail "$what"; return 1; fi
}
# need DESCRIPTION COMMAND...: like check; the caller stops on failure:
#   need "..." cmd || return
need() { check "$@"; [ -z "$FAILED" ]; }
# wait_for TIMEOUT_S COMMAND...: poll every 0.25 s until COMMAND succeeds
wait_for() {
  local end=$(( $(cut -d. -f1 /proc/uptime) + $1 )); shift
  while ! "$@" 2>/dev/null; do
    [ "$(cut -d. -f1 /proc/uptime)" -ge $end ] && return 1; sleep 0.25
  done
}
# bounded SECS OUT CMD...: run CMD with its output in OUT; 0..255 its exit.
# A CMD still running after SECS s is a hang: say so with where it sleeps
# (wchan, kernel stack: the shim's waits show there) and its output's last
# lines, then kill it (exit 124), so a hung program is named in the console
# the host prints instead of only running the scenario out of time.
bounded() {
  local secs=$1 out=$2 pid n=0; shift 2
  "$@" > "$out" 2>&1 &
  pid=$!
  while kill -0 $pid 2>/dev/null && [ $n -lt $((secs * 4)) ]; do sleep 0.25; n=$((n + 1)); done
  if kill -0 $pid 2>/dev/null; then
    say "HANG: $* still running after $secs s (wchan $(cat /proc/$pid/wchan 2>/dev/null))"
    sed 's/^/MXT:   stack: /' /proc/$pid/stack 2>/dev/null | head -12
    tail -12 "$out" | sed 's/^/MXT:   output: /'
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    return 124
  fi
  wait $pid
}
mount_basics() {
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
  mount -t tmpfs tmpfs /run
  mkdir -p /var/lock /var/run /tmp
}
# domU: the shim's xenbus state (Initialising ... Connected, Closed)
shim_state() { cat /sys/bus/xen/devices/myrixen-0/state 2>/dev/null; }
shim_is() { [ "$(shim_state)" = "$1" ]; }
shim_isnt() { [ "$(shim_state)" != "$1" ]; }
