/* SPDX-License-Identifier: MIT */
/* Control-socket answers rendered as JSON or as indented text. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl_out.h"

void mxd_out_init(struct mxd_out *o, bool json)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->depth = -1;
}

void mxd_out_free(struct mxd_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

static void put(struct mxd_out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		char *nb;

		while (o->len + n + 1 > cap)
			cap *= 2;
		nb = realloc(o->buf, cap);
		if (!nb) {
			o->oom = true;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static void puts_(struct mxd_out *o, const char *s)
{
	put(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(struct mxd_out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* JSON string; bytes outside printable ASCII become \u00XX so the answer is
 * always valid JSON whatever a guest put in its name. */
static void json_str(struct mxd_out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };

			put(o, e, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			putf(o, "\\u%04x", c);
		} else {
			put(o, (const char *)&c, 1);
		}
	}
	put(o, "\"", 1);
}

/* Text keeps to printable characters on one line. */
static void text_str(struct mxd_out *o, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		put(o, c < 0x20 || c >= 0x7f ? "?" : (const char *)&c, 1);
	}
}

static void indent(struct mxd_out *o)
{
	for (int i = 0; i < o->depth; i++)
		puts_(o, "  ");
}

/* Emit what comes before a member: separators and key (JSON), or the
 * indentation, array dash and key (text). */
static void member(struct mxd_out *o, const char *key)
{
	if (o->depth < 0)
		return;
	if (o->json) {
		if (!o->first[o->depth])
			put(o, ",", 1);
		if (key && !o->is_array[o->depth]) {
			json_str(o, key);
			put(o, ":", 1);
		}
	} else if (key) {
		/* the first key of an array item sits on the dash line */
		if (o->dash) {
			o->depth--;
			indent(o);
			o->depth++;
			puts_(o, "- ");
			o->dash = false;
		} else {
			indent(o);
		}
		text_str(o, key);
		puts_(o, ":");
	} else if (o->is_array[o->depth]) {
		indent(o);
		puts_(o, "-");
	}
	o->first[o->depth] = false;
}

static void open_level(struct mxd_out *o, const char *key, bool array)
{
	if (o->depth >= MXD_OUT_DEPTH_MAX) {
		o->oom = true;
		return;
	}
	if (!o->json && !key && !array && o->depth >= 0)
		o->first[o->depth] = false; /* the item's first key carries the dash */
	else
		member(o, key);
	if (o->json)
		put(o, array ? "[" : "{", 1);
	else if (key)
		puts_(o, "\n");
	if (!o->json && o->depth >= 0 && o->is_array[o->depth] && !array)
		o->dash = true;
	o->depth++;
	o->first[o->depth] = true;
	o->is_array[o->depth] = array;
}

static void close_level(struct mxd_out *o, bool array)
{
	if (o->depth < 0 || o->is_array[o->depth] != array) {
		o->oom = true;
		return;
	}
	if (o->json) {
		put(o, array ? "]" : "}", 1);
	} else {
		if (array && o->first[o->depth]) {
			indent(o);
			puts_(o, "(none)\n");
		}
		o->dash = false;
	}
	o->depth--;
}

void mxd_out_obj_begin(struct mxd_out *o, const char *key)
{
	open_level(o, key, false);
}

void mxd_out_obj_end(struct mxd_out *o)
{
	close_level(o, false);
}

void mxd_out_arr_begin(struct mxd_out *o, const char *key)
{
	open_level(o, key, true);
}

void mxd_out_arr_end(struct mxd_out *o)
{
	close_level(o, true);
}

void mxd_out_str(struct mxd_out *o, const char *key, const char *val)
{
	member(o, key);
	if (o->json) {
		json_str(o, val);
	} else {
		puts_(o, " ");
		text_str(o, val);
		puts_(o, "\n");
	}
}

void mxd_out_u64(struct mxd_out *o, const char *key, uint64_t val)
{
	member(o, key);
	putf(o, o->json ? "%" PRIu64 : " %" PRIu64 "\n", val);
}

void mxd_out_i64(struct mxd_out *o, const char *key, int64_t val)
{
	member(o, key);
	putf(o, o->json ? "%" PRId64 : " %" PRId64 "\n", val);
}

void mxd_out_bool(struct mxd_out *o, const char *key, bool val)
{
	member(o, key);
	if (o->json)
		puts_(o, val ? "true" : "false");
	else
		puts_(o, val ? " yes\n" : " no\n");
}

void mxd_out_mac(struct mxd_out *o, const char *key, uint64_t id)
{
	char s[18];

	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x",
		 (unsigned)(id >> 40) & 0xff, (unsigned)(id >> 32) & 0xff,
		 (unsigned)(id >> 24) & 0xff, (unsigned)(id >> 16) & 0xff,
		 (unsigned)(id >> 8) & 0xff, (unsigned)id & 0xff);
	mxd_out_str(o, key, s);
}

bool mxd_out_done(struct mxd_out *o)
{
	if (o->depth != -1)
		o->oom = true;
	if (o->json)
		put(o, "\n", 1);
	if (!o->buf)
		put(o, "", 0);
	return !o->oom;
}
