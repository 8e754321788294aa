/* SPDX-License-Identifier: MIT */
/* myribackd configuration: defaults (the parser lands with the ops work). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "conf.h"

void mxd_config_defaults(struct mxd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->transport_local = true;
	cfg->transport_xen = false;
	snprintf(cfg->local_socket, sizeof(cfg->local_socket), "/run/myrixen/local.sock");
	snprintf(cfg->ctl_socket, sizeof(cfg->ctl_socket), "/run/myrixen/ctl.sock");
	cfg->poll_window_us = 50;
	cfg->poll_budget = 64;
	cfg->limits.endpoints = 32;
	cfg->limits.cmd_order = 8;
	cfg->limits.evt_order = 10;
	cfg->limits.sendq_size = 1024 * 1024;
	cfg->limits.recvq_size = 2 * 1024 * 1024;
	cfg->limits.registered_bytes = 256ull * 1024 * 1024;
	cfg->limits.medium_max = 32 * 1024;
	cfg->limits.outstanding = 256;
	cfg->log_level = MXD_LOG_NOTICE;
}

int mxd_config_load(struct mxd_config *cfg, const char *path, char *err, size_t errlen)
{
	(void)cfg;
	snprintf(err, errlen, "%s:0: config files are not parsed yet", path);
	return -ENOTSUP;
}
