#!/bin/bash
# systemd-analyze verify on the generated unit.  The unit names install
# paths that do not exist in the build tree, so ExecStart is pointed at the
# built daemon and MANPATH at the man pages of the source tree; the unit is
# otherwise verified as generated.  Any diagnostic about it fails the test.
# Usage: verify_unit.sh UNIT MYRIBACKD MANDIR
set -u
unit=$1 daemon=$2 mandir=$3
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
[ -x "$daemon" ] || { echo "SKIP: myribackd not built ($daemon)"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/man/man5" "$tmp/man/man8"
cp "$mandir"/*.5 "$tmp/man/man5/" && cp "$mandir"/*.8 "$tmp/man/man8/" || exit 1
grep -q '^ExecStart=/.*/myribackd ' "$unit" || { echo "FAIL: no ExecStart=.../myribackd in $unit"; exit 1; }
sed "s|^ExecStart=[^ ]*|ExecStart=$daemon|" "$unit" > "$tmp/myribackd.service"
out=$(MANPATH="$tmp/man" systemd-analyze verify "$tmp/myribackd.service" 2>&1); rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: systemd-analyze verify exited $rc"; exit 1; }
if echo "$out" | grep -q 'myribackd.service'; then
  echo "FAIL: systemd-analyze has remarks about the unit"; exit 1
fi
for k in Type=notify WatchdogSec= Restart=on-failure ProtectSystem=strict ProtectHome=yes \
         PrivateTmp=yes RuntimeDirectory=myrixen RuntimeDirectoryPreserve=yes \
         'DeviceAllow=/dev/xen/' CAP_NET_RAW CAP_SYS_PTRACE; do
  grep -q "^[^#]*$k" "$unit" || { echo "FAIL: unit lacks $k"; exit 1; }
done
echo "OK: unit verified"
