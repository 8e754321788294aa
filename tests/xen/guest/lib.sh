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
