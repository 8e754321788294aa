# dom0 helpers shared by the scenarios (sourced; busybox sh).
# The emulated dom0 can be starved for tens of seconds on a loaded host
# (an attach writing xenstore took 20 s at load 11): myrixenctl waits a
# minute for an answer here, not its interactive default of 15 s.
export MYRIXEN_CTL_TIMEOUT=60
GUEST_MEM=${GUEST_MEM:-160}
domu_create() { # NAME TYPE(pv|pvh) ROLE [EXTRA_CMDLINE] -> prints the domid
  cat > /tmp/$1.cfg <<CFG
name = "$1"
type = "$2"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/initrd.gz"
extra = "console=hvc0 loglevel=4 mxt.role=$3 ${4:-}"
memory = $GUEST_MEM
vcpus = 1
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
  say "xl create $1 ($2, role $3)" >&2
  xl create /tmp/$1.cfg >/tmp/xl-create-$1.txt 2>&1 || { say "xl create $1 failed: $(cat /tmp/xl-create-$1.txt)" >&2; return 1; }
  xl domid "$1"
  say "$1 is domain $(xl domid "$1")" >&2
}
guest_log() { echo "/var/log/xen/console/guest-$1.log"; }
guest_says() { grep -q -- "$2" "$(guest_log "$1")" 2>/dev/null; }
survive_counter() { # NAME LABEL: it_survive's last value of a library counter, by its label
  sed -n "s/.*it_survive: .* longest pause.*, $2 \([0-9]*\).*/\1/p" "$(guest_log "$1")" | tail -1; }
verdict_or_gone() { guest_says "$1" 'DOMU-RESULT:' || domu_gone "$1"; }
domu_result() { # NAME TIMEOUT: wait for the guest's verdict; 0 on PASS
  wait_for "$2" verdict_or_gone "$1" || { say "$1: no verdict after $2 s"; return 1; }
  guest_says "$1" 'DOMU-RESULT:' || { say "$1 died without a verdict"; return 1; }
  guest_says "$1" 'DOMU-RESULT: PASS'
}
domu_gone() { ! xl list | grep -q "^$1 "; }
# guest_awaits TIMEOUT NAME PATTERN: wait until guest NAME says PATTERN; 0
# when it did.  A guest that is gone (crashed: on_crash=destroy) ends the
# wait at once, with the hypervisor's last words about it, instead of after
# the whole timeout: a scenario's waits add up, and one dead guest used to
# run it past its own timeout with nothing printed.  A failed wait prints
# the guest's console tail at once (a hung program names itself there:
# guest/lib.sh bounded).  xl list is dear under
# TCG, so it is asked once every few seconds, not on every poll.
says_or_gone() {
  guest_says "$1" "$2" && return 0
  [ $(( $(cut -d. -f1 /proc/uptime) % 4 )) = 0 ] && domu_gone "$1"
}
guest_awaits() {
  wait_for "$1" says_or_gone "$2" "$3"
  guest_says "$2" "$3" && return 0
  if domu_gone "$2"; then
    say "$2 is gone before saying '$3'; the hypervisor's last lines:"
    xl dmesg 2>/dev/null | tail -15 | sed 's/^/MXT:   xl dmesg: /'
  else
    say "$2 did not say '$3' within $1 s"
  fi
  # now, not at the end: a scenario killed by its timeout never gets there
  say "$2's console, last lines:"
  tail -20 "$(guest_log "$2")" 2>/dev/null | sed 's/^/MXT:   guest: /'
  return 1
}
no_zombies() { ! xl list | grep -q '(null)'; }
xs_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }
daemon_start() { # starts myribackd with the Xen transport; logs to /tmp/myribackd.log
  mkdir -p /etc/myrixen /run/myrixen
  # xen_attach: scenarios attach their domains themselves (myrixenctl
  # attach) unless they set MXD_XEN_ATTACH (=default: the built-in "all")
  xa="xen_attach = ${MXD_XEN_ATTACH:-none}"; [ "${MXD_XEN_ATTACH:-}" = default ] && xa=
  printf 'transports = local,xen\nhostname = %s\n%s\n%s\n' "${MXD_HOSTNAME:-emuhost}" "$xa" "${MXD_EXTRA_CONF:-}" > /etc/myrixen/myribackd.conf
  myribackd -c /etc/myrixen/myribackd.conf -f >>/tmp/myribackd.log 2>&1 &
  MXD_PID=$!
  wait_for 15 test -S /run/myrixen/ctl.sock || { say "myribackd did not come up"; return 1; }
  say "myribackd up (pid $MXD_PID)"
}
daemon_stop() {
  kill "$MXD_PID" 2>/dev/null
  wait_for 10 sh -c "! kill -0 $MXD_PID" || { say "myribackd ignored SIGTERM"; kill -9 "$MXD_PID"; return 1; }
}
gntdev_maps() { # grant mappings the daemon holds (VMAs of /dev/xen/gntdev)
  awk '/\/dev\/xen\/gntdev/ { n++ } END { print n + 0 }' /proc/"$MXD_PID"/maps 2>/dev/null || echo 0
}
maps_at_most() { [ "$(gntdev_maps)" -le "$1" ]; }
pulled_bytes() { # bytes the daemon has pulled for every endpoint listed
  myrixenctl list 2>/dev/null | awk '/pull_bytes:/ { s += $2 } END { print s + 0 }'
}
# Two hosts in step over the pair's IP link: one listens (heard_on PORT
# FILE, in the background, before the other can speak), the other says a
# word once the listener is up (say_to IP PORT WORD, retried for 60 s).
heard_on() { nc -l -p "$1" > "$2" 2>/dev/null; }
say_word() { echo "$3" | nc "$1" "$2" 2>/dev/null; }
say_to() { wait_for 60 say_word "$@"; }
pair_net_up() { # the e1000 NIC of the two-host pair
  insmod /lib/modules/*/e1000.ko 2>/dev/null
  wait_for 10 test -e /sys/class/net/eth0 || { say "no eth0"; return 1; }
  ip link set eth0 up && say "eth0 $(cat /sys/class/net/eth0/address) up"
}
