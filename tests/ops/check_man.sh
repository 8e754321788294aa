#!/bin/bash
# The man pages render without a single groff/man warning.
set -u
command -v man >/dev/null || { echo "SKIP: man not installed"; exit 77; }
rc=0
for f in "$@"; do
  warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
  [ -z "$warn" ] || { echo "FAIL: $f: $warn"; rc=1; }
  LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q 'NAME' || { echo "FAIL: $f does not render"; rc=1; }
done
[ $rc -eq 0 ] && echo "OK: $# pages"
exit $rc
