#!/bin/bash
# libmyrixen exports the MX API and nothing else, under SONAME libmyrixen.so.0.
set -euo pipefail
lib=$1
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libmyrixen.so.0 ] || { echo "FAIL: SONAME is '$soname'"; exit 1; }
syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -v '^MYRIXEN_0$')
bad=$(echo "$syms" | grep -Ev '^(mx_|mx__|MX_ERRORS_ARE_FATAL$|MX_ERRORS_RETURN$)' || true)
[ -z "$bad" ] || { echo "FAIL: non-MX symbols exported:"; echo "$bad"; exit 1; }
for s in mx__init_api mx_finalize mx_open_endpoint mx_isend mx_issend mx_irecv mx_wait mx_test \
	 mx_iconnect mx_forget mx_register_unexp_handler mx_progress mx_wakeup MX_ERRORS_RETURN; do
	grep -qx "$s" <<<"$syms" || { echo "FAIL: $s not exported"; exit 1; }
done
echo "ok: $(echo "$syms" | wc -l) MX symbols, SONAME $soname"
