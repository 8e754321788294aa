/* SPDX-License-Identifier: MIT */
/*
 * The one naming rule for boards, shared by the library, the daemon and the
 * wire engine.  MX (and Open-MX, which names a board "nodename:index") calls
 * a board "hostname:board"; a bare "hostname" is board 0.  So "omxnode",
 * "omxnode:0" and a configured "omxnode" all name the same board, and
 * "omxnode:1" another one.  Pure; compiles in kernel and user space.
 */
#ifndef MYRIXEN_BOARD_NAME_H
#define MYRIXEN_BOARD_NAME_H

#include "abi.h"

#define MXN_BOARD_DIGITS_MAX 3u

/* Length of the host part of name[0..len); the board number in *board
 * (0 when the name carries none).  A suffix is ':' and 1-3 digits after a
 * non-empty host part; anything else belongs to the host part. */
static inline uint32_t mxn_board_split(const char *name, uint32_t len, uint32_t *board)
{
	uint32_t i = len, b = 0, mul = 1;

	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9' && len - i < MXN_BOARD_DIGITS_MAX) {
		b += (uint32_t)(name[i - 1] - '0') * mul;
		mul *= 10;
		i--;
	}
	if (i == len || i < 2 || name[i - 1] != ':') {
		*board = 0;
		return len;
	}
	*board = b;
	return i - 1;
}

/* Do a and b name the same board? */
static inline int mxn_board_name_eq(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	uint32_t ba, bb, ha = mxn_board_split(a, alen, &ba), hb = mxn_board_split(b, blen, &bb);
	uint32_t i;

	if (ha != hb || ba != bb)
		return 0;
	for (i = 0; i < ha; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

#endif /* MYRIXEN_BOARD_NAME_H */
