#!/bin/bash
# Build the dom0 and domU initramfs images from this build tree's binaries.
# usage: images.sh BUILD_DIR OUT_DIR      (env from fetch.sh: KVER, CACHE)
# dom0: busybox, Xen tools + their libraries, myribackd/myrixenctl (ldd closure),
#       the harness (guest/, scenarios/), the domU kernel and initramfs.
# domU: busybox, myrixen.ko, the MX/shim test programs with their libraries.
set -euo pipefail
BUILD=$(cd "$1" && pwd); OUT=$2
SRC=$(cd "$(dirname "$0")" && pwd)
: "${KVER:?}" "${CACHE:?}"
XENBIN=/usr/lib/xen-4.17/bin
W=$OUT/work
mkdir -p "$OUT" "$W"

init_root() {
  local r=$1
  rm -rf "$r"
  mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,lib/modules,usr/bin,usr/sbin,usr/lib,var/log,var/lib,lib64,lib/x86_64-linux-gnu,mxt}
  ln -s ../run "$r/var/run"   # libxl keeps its locks in /var/run/xen
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  # glibc dlopen()s libgcc_s for pthread_cancel; ldd does not list it
  cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$r/lib/x86_64-linux-gnu/"
}
# add_bin ROOT SRC [DEST]: a dynamic binary and its ldd closure (same paths)
add_bin() {
  local r=$1 src=$2 dst=${3:-$2} lib
  mkdir -p "$r/$(dirname "$dst")"
  cp -L "$src" "$r/$dst"
  ldd "$src" 2>/dev/null | awk '/=>/ {print $3} /^[ \t]*\// {print $1}' | while read -r lib; do
    [ -f "$lib" ] || continue
    [ -e "$r/$lib" ] || { mkdir -p "$r/$(dirname "$lib")"; cp -L "$lib" "$r/$lib"; }
  done
}
pack() { (cd "$1" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$2"; }
# executables of this build tree worth shipping to guests
progs() {
  local d
  for d in tests/xen tests/integration tools lib; do
    [ -d "$BUILD/$d" ] || continue
    find "$BUILD/$d" -maxdepth 1 -type f -perm -u+x ! -name '*.so*' ! -name '*.sh' -print
  done
}

# ---- domU ----
R=$W/domU
init_root "$R"
install -m755 "$SRC/guest/domU-init" "$R/init"
cp "$SRC/guest/lib.sh" "$R/mxt/"
cp -r "$SRC/domu" "$R/mxt/"
KO=$(find "$BUILD/shim" -name myrixen.ko 2>/dev/null | head -1)
[ -n "$KO" ] && cp "$KO" "$R/lib/modules/myrixen.ko"
# Xen pair channels between guests (pair.h "Xen"): the library grants,
# maps and binds through the guest kernel's own devices.
for m in xen-evtchn xen-gntdev xen-gntalloc; do cp "$CACHE/modules/$m.ko" "$R/lib/modules/"; done
mkdir -p "$R/mxt/bin"
for p in $(progs); do add_bin "$R" "$p" "/mxt/bin/$(basename "$p")"; done
pack "$R" "$OUT/domU.cpio.gz"

# ---- dom0 ----
R=$W/dom0
init_root "$R"
install -m755 "$SRC/guest/dom0-init" "$R/init"
cp "$SRC/guest/lib.sh" "$R/mxt/"
cp -r "$SRC/scenarios" "$R/mxt/"
for b in xl xenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper; do add_bin "$R" $XENBIN/$b; done
add_bin "$R" /usr/bin/xenstore
for a in read write ls list rm exists chmod watch; do ln -sf xenstore "$R/usr/bin/xenstore-$a"; done
for b in daemon/myribackd ctl/myrixenctl; do
  [ -x "$BUILD/$b" ] && add_bin "$R" "$BUILD/$b" "/usr/sbin/$(basename $b)"
done
mkdir -p "$R/mxt/bin"
for p in $(progs); do add_bin "$R" "$p" "/mxt/bin/$(basename "$p")"; done
mkdir -p "$R/lib/modules/$KVER"
cp "$CACHE"/modules/*.ko "$R/lib/modules/$KVER/"
mkdir -p "$R/guest" "$R/etc/xen"
cp "$CACHE/vmlinux-domU.gz" "$R/guest/vmlinuz"
cp "$OUT/domU.cpio.gz" "$R/guest/initrd.gz"
touch "$R/etc/xen/xl.conf"
pack "$R" "$OUT/dom0.cpio.gz"
cp "$CACHE/xen" "$CACHE/vmlinuz" "$OUT/"
rm -rf "$W"
echo "images: dom0 $(du -h "$OUT/dom0.cpio.gz" | cut -f1), domU $(du -h "$OUT/domU.cpio.gz" | cut -f1), shim $([ -n "$KO" ] && echo yes || echo MISSING)"
