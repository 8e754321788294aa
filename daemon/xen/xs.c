/* SPDX-License-Identifier: MIT */
/*
 * Strict xenstore value helpers.  A frontend's nodes are written by the
 * guest and are hostile: numbers are decimal, fully consumed, in range.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xen_int.h"

int mxd_xs_read_str(struct xs_handle *xs, const char *dir, const char *node, char *buf,
		    size_t len)
{
	char path[MXD_XEN_PATH * 2];
	unsigned int n = 0;
	char *v;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	v = xs_read(xs, XBT_NULL, path, &n);
	if (!v)
		return -ENOENT;
	if (n >= len || memchr(v, 0, n))
		err = -E2BIG;
	else
		memcpy(buf, v, n), buf[n] = 0;
	free(v);
	return err;
}

int mxd_xs_read_u32(struct xs_handle *xs, const char *dir, const char *node, uint32_t *out)
{
	char buf[16];
	int err = mxd_xs_read_str(xs, dir, node, buf, sizeof(buf));

	return err ? err : mxd_xs_parse_u32(buf, out);
}

int mxd_xs_printf(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *node,
		  const char *fmt, ...)
{
	char path[MXD_XEN_PATH * 2], val[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	return xs_write(xs, t, path, val, (unsigned int)n) ? 0 : -errno;
}
