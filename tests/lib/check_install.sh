#!/bin/bash
# Install into a scratch prefix, then build an MX program the way a user
# would: only the installed headers, pkg-config myrixen, -lmyrixen.
set -euo pipefail
build=$1 src=$2
cc=${CC:-cc}
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config missing"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# DESTDIR keeps every file (even absolute destinations) inside $tmp.
DESTDIR=$tmp/d cmake --install "$build" --prefix /p >/dev/null
root=$tmp/d/p
pc=$(find "$root" -name myrixen.pc | head -n1)
[ -n "$pc" ] || { echo "FAIL: myrixen.pc not installed"; exit 1; }
for h in myriexpress.h mx_extensions.h; do
	[ -f "$root/include/$h" ] || { echo "FAIL: $h not installed"; exit 1; }
done
# The .pc names the configured prefix; point it at the scratch one.
sed "s|^prefix=.*|prefix=$root|; s|^libdir=.*|libdir=$(dirname "$(dirname "$pc")")|; s|^includedir=.*|includedir=\${prefix}/include|" "$pc" > "$tmp/myrixen.pc"
flags=$(PKG_CONFIG_PATH=$tmp pkg-config --cflags --libs myrixen)
# A sanitizer build's library needs the same runtime in the program.
san=${MYRIXEN_SANITIZE:+-fsanitize=$MYRIXEN_SANITIZE}
$cc -Wall -Wextra -Werror $san -o "$tmp/prog" "$src" $flags
LD_LIBRARY_PATH=$(dirname "$(dirname "$pc")") "$tmp/prog"
echo "ok: installed headers + pkg-config build and run"
