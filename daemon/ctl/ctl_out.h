/* SPDX-License-Identifier: MIT */
/*
 * Structured output of the control socket: one tree of objects, arrays and
 * scalars, rendered either as JSON (myrixenctl --json, for machines) or as
 * indented "key: value" text (for people).  Handlers describe the answer
 * once; the renderer picks the form.  Pure (no I/O) so tests drive it.
 *
 * Memory: the buffer grows with realloc; an allocation failure sets 'oom'
 * and later calls do nothing (the caller checks once at the end).
 */
#ifndef MXD_CTL_OUT_H
#define MXD_CTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MXD_OUT_DEPTH_MAX 8

struct mxd_out {
	char *buf;
	size_t len, cap;
	bool json;
	bool oom;
	int depth;
	bool first[MXD_OUT_DEPTH_MAX + 1];    /* nothing written yet at this level */
	bool is_array[MXD_OUT_DEPTH_MAX + 1];
	bool dash;                            /* text: next key opens an array item */
};

void mxd_out_init(struct mxd_out *o, bool json);
void mxd_out_free(struct mxd_out *o);

/* KEY is NULL for the top level and for array elements. */
void mxd_out_obj_begin(struct mxd_out *o, const char *key);
void mxd_out_obj_end(struct mxd_out *o);
void mxd_out_arr_begin(struct mxd_out *o, const char *key);
void mxd_out_arr_end(struct mxd_out *o);

void mxd_out_str(struct mxd_out *o, const char *key, const char *val);
void mxd_out_u64(struct mxd_out *o, const char *key, uint64_t val);
void mxd_out_i64(struct mxd_out *o, const char *key, int64_t val);
void mxd_out_bool(struct mxd_out *o, const char *key, bool val);
/* A 48-bit id as aa:bb:cc:dd:ee:ff (a string in JSON). */
void mxd_out_mac(struct mxd_out *o, const char *key, uint64_t id);

/* Finish: JSON gets its final newline.  Returns false after an allocation
 * failure or unbalanced begin/end. */
bool mxd_out_done(struct mxd_out *o);

#endif /* MXD_CTL_OUT_H */
