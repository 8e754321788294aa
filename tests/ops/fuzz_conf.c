/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer entry for the configuration parser and the control socket's
 * renderer: any bytes either parse (and then format -> parse round-trips to
 * an equal configuration) or fail with one "NAME:LINE: ..." message and an
 * untouched configuration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "ctl_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mxd_config cfg, def, back;
	static char text[64 * 1024];
	char err[512];
	int rc, n;

	mxd_config_defaults(&cfg);
	mxd_config_defaults(&def);
	rc = mxd_config_parse(&cfg, "f", (const char *)data, size, err, sizeof(err));
	if (rc) {
		if (strncmp(err, "f:", 2) || strchr(err, '\n') || !mxd_config_equal(&cfg, &def))
			abort();
		return 0;
	}
	n = mxd_config_format(&cfg, text, sizeof(text));
	if (n < 0 || (size_t)n >= sizeof(text))
		abort();
	mxd_config_defaults(&back);
	if (mxd_config_parse(&back, "g", text, (size_t)n, err, sizeof(err)) ||
	    !mxd_config_equal(&cfg, &back))
		abort();
	/* the renderer must produce something for any host name it is given */
	struct mxd_out o;

	mxd_out_init(&o, size & 1);
	mxd_out_obj_begin(&o, NULL);
	mxd_out_str(&o, "hostname", cfg.hostname);
	mxd_out_obj_end(&o);
	if (!mxd_out_done(&o))
		abort();
	mxd_out_free(&o);
	return 0;
}
