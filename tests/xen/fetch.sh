#!/bin/bash
# Fetch what the emulated Xen host boots and cache it:
#   $CACHE/xen               Xen 4.17 (gunzipped: an ELF32 multiboot image for qemu -kernel)
#   $CACHE/vmlinuz           the Debian kernel matching the installed linux-headers (dom0)
#   $CACHE/vmlinux-domU.gz   the same kernel as a gzipped ELF (domU: no xz unpack under TCG)
#   $CACHE/modules/          xen-{privcmd,evtchn,gntdev,gntalloc}.ko, xenfs.ko, e1000.ko
# Packages come from apt only (apt-get download, extracted, never installed).
# Prints KVER=... CACHE=... on success; exits 77 (skip) when something is missing.
set -euo pipefail
skip() { echo "xen-fetch: SKIP: $*" >&2; exit 77; }

KVER=${MYRIXEN_KVER:-$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -1)}
[ -n "$KVER" ] || skip "no linux-headers-*-amd64 installed (scripts/setup.sh)"
CACHE=${MYRIXEN_XEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/myrixen/xen-$KVER}
for c in qemu-system-x86_64 cpio gzip python3 dpkg-deb; do
  command -v $c >/dev/null || skip "$c not installed (scripts/setup.sh)"
done
[ -x /usr/lib/xen-4.17/bin/xl ] || skip "xen-utils-4.17 not installed"
[ -x /bin/busybox ] || skip "busybox-static not installed"

if [ ! -f "$CACHE/.complete" ]; then
  command -v apt-get >/dev/null || skip "apt-get missing: cannot download linux-image-$KVER"
  T=$(mktemp -d "${TMPDIR:-/tmp}/mxt-fetch.XXXXXX")
  trap 'rm -rf "$T"' EXIT
  (cd "$T" && apt-get download -qq "linux-image-$KVER" xen-hypervisor-4.17-amd64 >/dev/null 2>&1) ||
    skip "apt-get download linux-image-$KVER xen-hypervisor-4.17-amd64 failed (no network or apt lists?)"
  mkdir -p "$T/root"
  dpkg-deb --fsys-tarfile "$T"/linux-image-"$KVER"_*.deb | tar -x -C "$T/root" --wildcards \
    './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/xen/*' \
    './lib/modules/*/kernel/drivers/net/ethernet/intel/e1000/*'
  dpkg-deb --fsys-tarfile "$T"/xen-hypervisor-4.17-amd64_*.deb | tar -x -C "$T/root" --wildcards './boot/xen-4.17-amd64.gz'
  rm -rf "$CACHE"; mkdir -p "$CACHE/modules"
  zcat "$T/root/boot/xen-4.17-amd64.gz" > "$CACHE/xen"
  cp "$T/root/boot/vmlinuz-$KVER" "$CACHE/vmlinuz"
  KD=$T/root/lib/modules/$KVER/kernel/drivers
  cp "$KD"/xen/xen-privcmd.ko "$KD"/xen/xenfs/xenfs.ko "$KD"/xen/xen-evtchn.ko \
     "$KD"/xen/xen-gntdev.ko "$KD"/xen/xen-gntalloc.ko "$CACHE/modules/"
  cp "$KD"/net/ethernet/intel/e1000/e1000.ko "$CACHE/modules/" 2>/dev/null || true
  # The bzImage carries an xz vmlinux; libxenguest would unpack it for every
  # domU (seconds under TCG), a gzipped ELF is much cheaper.
  python3 - "$CACHE/vmlinuz" "$T/vmlinux" <<'PY'
import lzma, sys
d = open(sys.argv[1], 'rb').read()
i = d.find(b'\xfd7zXZ\x00')
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor().decompress(d[i:]))
PY
  gzip -6 -c "$T/vmlinux" > "$CACHE/vmlinux-domU.gz"
  echo "$KVER" > "$CACHE/.complete"
fi
echo "KVER=$KVER CACHE=$CACHE"
