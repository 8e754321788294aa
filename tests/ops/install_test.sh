#!/bin/bash
# `cmake --install` into a staging prefix lays out every piece, and an MX
# program builds against the installed header and myrixen.pc ONLY (nothing
# from the source or build tree), and the library exports nothing but the
# MX API.  Usage: install_test.sh BUILD_DIR VERSION [SANITIZERS]
# (a sanitized build's library needs the application linked with the same
# sanitizer runtime, so SANITIZERS is passed on to the test program).
set -u
build=$1 version=$2 sanitize=${3:-}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$stage" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install"; }

# ---- the administrator's side ----
for f in sbin/myrixenctl lib/systemd/system/myribackd.service etc/myrixen/myribackd.conf \
         share/man/man8/myribackd.8 share/man/man8/myrixenctl.8 share/man/man5/myribackd.conf.5 \
         share/doc/myrixen/examples/myribackd.conf; do
  [ -e "$stage/$f" ] || fail "$f not installed"
done
[ -x "$stage/sbin/myrixenctl" ] || fail "myrixenctl not executable"
if [ -e "$build/daemon/myribackd" ]; then
  [ -x "$stage/sbin/myribackd" ] || fail "myribackd built but not installed in sbin"
fi
grep -q '^Type=notify' "$stage/lib/systemd/system/myribackd.service" || fail "unit not generated"
grep -q '@[A-Z_]*@' "$stage/lib/systemd/system/myribackd.service" && fail "unsubstituted @VAR@ in the unit"
if [ -e "$(dirname "$0")/../../shim/dkms.conf" ]; then
  dk=$stage/src/myrixen-$version
  for f in dkms.conf Kbuild Makefile include/myrixen/abi.h; do
    [ -e "$dk/$f" ] || fail "DKMS tree lacks $f"
  done
  ls "$dk"/*.c >/dev/null 2>&1 || fail "DKMS tree has no sources"
  grep -q "PACKAGE_VERSION=\"$version\"" "$dk/dkms.conf" || fail "dkms.conf version is not $version"
fi
echo "ok: daemon, tool, unit, config, man pages, DKMS tree"

# ---- the application developer's side ----
pc=$(find "$stage" -name myrixen.pc | head -1)
if [ -z "$pc" ]; then
  echo "SKIP: libmyrixen does not install myrixen.pc yet"; exit 77
fi
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed"; exit 77; }
cat > "$tmp/hello.c" <<'C'
#include <stdio.h>
#include <myriexpress.h>
#if MX_API != 0x301
#error "MX_API is not 0x301"
#endif
int main(void)
{
	mx_endpoint_t ep = NULL;
	mx_segment_t seg = { .segment_ptr = NULL, .segment_length = 0 };
	mx_return_t rc;

	(void)ep;
	(void)seg;
	rc = mx_init();
	printf("mx_init: %s\n", mx_strerror(rc));
	if (rc == MX_SUCCESS)
		mx_finalize();
	return 0;
}
C
# The .pc is read from the staging tree only; --define-prefix relocates it
# from where it was configured to where it was installed.
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_LIBDIR=$(dirname "$pc")
flags=$(pkg-config --define-prefix --cflags --libs myrixen) || fail "pkg-config myrixen"
echo "pkg-config: $flags"
case "$flags" in *"$stage"*) ;; *) fail "myrixen.pc does not relocate to the install prefix (libdir/includedir must use \${prefix})";; esac
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror ${sanitize:+-fsanitize=$sanitize} -o "$tmp/hello" "$tmp/hello.c" $flags || fail "compile/link against the installed library"
libdir=$(pkg-config --define-prefix --variable=libdir myrixen)
LD_LIBRARY_PATH=$libdir "$tmp/hello" || fail "the MX program does not run"
ldd_out=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/hello")
echo "$ldd_out" | grep -q "libmyrixen.so.* => $libdir" || fail "not linked against the staged library: $ldd_out"

so=$(ls "$libdir"/libmyrixen.so.* 2>/dev/null | head -1)
[ -n "$so" ] || fail "no libmyrixen.so.* in $libdir"
bad=$(nm -D --defined-only "$so" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
      grep -vE '^(mx_[A-Za-z0-9_]+|MX_ERRORS_ARE_FATAL|MX_ERRORS_RETURN)$')
[ -z "$bad" ] || fail "libmyrixen exports non-MX symbols: $(echo $bad)"
n=$(nm -D --defined-only "$so" | awk '$2 != "A"' | wc -l)
[ "$n" -gt 20 ] || fail "only $n symbols exported"
echo "ok: MX program built from the staged header + myrixen.pc; $n exported symbols, all MX API"
