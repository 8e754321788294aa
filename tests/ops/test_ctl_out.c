/* SPDX-License-Identifier: MIT */
/* The control socket's renderer: the same tree as exact JSON and text. */
#include <stdio.h>
#include <string.h>
#include "ctl_out.h"

static int failures;

static void build(struct mxd_out *o)
{
	mxd_out_obj_begin(o, NULL);
	mxd_out_str(o, "host", "a\"b\\c\n\x01\xff");
	mxd_out_u64(o, "n", 18446744073709551615ull);
	mxd_out_i64(o, "neg", -5);
	mxd_out_bool(o, "up", true);
	mxd_out_mac(o, "nic", 0x02abcd000001ull);
	mxd_out_arr_begin(o, "guests");
	mxd_out_obj_begin(o, NULL);
	mxd_out_u64(o, "id", 1);
	mxd_out_arr_begin(o, "eps");
	mxd_out_u64(o, NULL, 7);
	mxd_out_u64(o, NULL, 8);
	mxd_out_arr_end(o);
	mxd_out_obj_end(o);
	mxd_out_obj_begin(o, NULL);
	mxd_out_u64(o, "id", 2);
	mxd_out_arr_begin(o, "eps");
	mxd_out_arr_end(o);
	mxd_out_obj_end(o);
	mxd_out_arr_end(o);
	mxd_out_obj_begin(o, "sub");
	mxd_out_bool(o, "x", false);
	mxd_out_obj_end(o);
	mxd_out_obj_end(o);
}

static void expect(bool json, const char *want)
{
	struct mxd_out o;

	mxd_out_init(&o, json);
	build(&o);
	if (!mxd_out_done(&o) || strcmp(o.buf, want)) {
		failures++;
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", o.buf, want);
	}
	mxd_out_free(&o);
}

int main(void)
{
	struct mxd_out o;

	expect(true, "{\"host\":\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\",\"n\":18446744073709551615,"
	       "\"neg\":-5,\"up\":true,\"nic\":\"02:ab:cd:00:00:01\","
	       "\"guests\":[{\"id\":1,\"eps\":[7,8]},{\"id\":2,\"eps\":[]}],\"sub\":{\"x\":false}}\n");
	expect(false, "host: a\"b\\c???\n"
	       "n: 18446744073709551615\n"
	       "neg: -5\n"
	       "up: yes\n"
	       "nic: 02:ab:cd:00:00:01\n"
	       "guests:\n"
	       "  - id: 1\n"
	       "    eps:\n"
	       "      - 7\n"
	       "      - 8\n"
	       "  - id: 2\n"
	       "    eps:\n"
	       "      (none)\n"
	       "sub:\n"
	       "  x: no\n");
	/* unbalanced trees are reported, not rendered */
	mxd_out_init(&o, true);
	mxd_out_obj_begin(&o, NULL);
	if (mxd_out_done(&o)) {
		failures++;
		fprintf(stderr, "unbalanced tree accepted\n");
	}
	mxd_out_free(&o);
	return failures ? 1 : 0;
}
