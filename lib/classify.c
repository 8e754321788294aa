/* SPDX-License-Identifier: MIT */
#include "myrixen/abi.h"
#include "classify.h"

enum mxl_class mxl_classify(uint64_t length, uint32_t medium_max, bool sync)
{
	if (medium_max > MXN_MEDIUM_MAX_LIMIT)
		medium_max = MXN_MEDIUM_MAX_LIMIT;
	if (sync || length > medium_max)
		return MXL_CLASS_LARGE;
	if (length <= MXN_TINY_MAX)
		return MXL_CLASS_TINY;
	if (length <= MXN_SMALL_MAX)
		return MXL_CLASS_SMALL;
	return MXL_CLASS_MEDIUM;
}

struct mxl_trunc mxl_truncate(uint32_t msg_length, uint64_t posted)
{
	struct mxl_trunc t;

	t.truncated = posted < msg_length;
	t.xfer_length = t.truncated ? (uint32_t)posted : msg_length;
	return t;
}
