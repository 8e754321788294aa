/* SPDX-License-Identifier: MIT */
/* Size classes and truncation, pure logic shared by the send and receive
 * paths (and driven directly by tests/lib). */
#ifndef MXL_CLASSIFY_H
#define MXL_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

enum mxl_class {
	MXL_CLASS_TINY = 1,     /* <= MXN_TINY_MAX: in the command slot */
	MXL_CLASS_SMALL = 2,    /* <= MXN_SMALL_MAX: one sendq chunk */
	MXL_CLASS_MEDIUM = 3,   /* <= medium_max: sendq, copied by the daemon */
	MXL_CLASS_LARGE = 4,    /* rendezvous: region descriptor + pull */
};

/* Synchronous sends take the rendezvous path, whatever their size (0 bytes
 * included, with an empty region): their completion means "matched", which
 * only the pull can tell. */
enum mxl_class mxl_classify(uint64_t length, uint32_t medium_max, bool sync);

/* What a receive of 'posted' bytes gets of a 'msg_length' message. */
struct mxl_trunc {
	uint32_t xfer_length;
	bool truncated;
};
struct mxl_trunc mxl_truncate(uint32_t msg_length, uint64_t posted);

#endif /* MXL_CLASSIFY_H */
