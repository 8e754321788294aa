/* SPDX-License-Identifier: MIT */
/*
 * myribackd [-f] [-c FILE] [-s SOCKET] [-v]
 * Start-up order: config, core, loop, transports (local, Xen), wire engine,
 * control socket, then READY=1.  Each subsystem is one start call and one
 * stop call below; add yours next to the others.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "core.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "transport_local.h"
#ifdef MXD_HAVE_CTL
#include "ctl.h"
#endif
#ifdef MXD_XEN
#include "xen/xen.h"
#endif
#ifdef MXW
#include "wire/engine.h"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: myribackd [-f] [-c FILE] [-s SOCKET] [-v]\n"
		   "  -f         stay in the foreground\n"
		   "  -c FILE    configuration file (default: built-in defaults)\n"
		   "  -s SOCKET  local transport socket (also: env MYRIXEN_SOCKET;\n"
		   "             env MYRIXEN_CTL_SOCKET moves the control socket)\n"
		   "  -v         more verbose (repeat for debug)\n");
}

static void reload(void *arg)
{
	struct mxd_daemon *d = arg;
	struct mxd_config cfg;
	char err[256];
	int rc;

	if (!d->config_path) {
		mxd_log(MXD_LOG_NOTICE, "SIGHUP: no configuration file, nothing to reload");
		return;
	}
	mxd_config_defaults(&cfg);
	rc = mxd_config_load(&cfg, d->config_path, err, sizeof(err));
	if (rc) {
		mxd_log(MXD_LOG_ERR, "reload failed, keeping the running configuration: %s", err);
		return;
	}
	/* Sockets keep their paths; limits and knobs apply to new work. */
	snprintf(cfg.local_socket, sizeof(cfg.local_socket), "%s", d->cfg.local_socket);
	d->cfg = cfg;
	mxd_core_reconfigure(d->core, &d->cfg);
	mxd_log_set_level(d->cfg.log_level);
	mxd_log(MXD_LOG_NOTICE, "configuration reloaded from %s", d->config_path);
}

static int parse_args(struct mxd_daemon *d, int argc, char **argv, bool *fg, int *verbose,
		      const char **sock)
{
	int opt;

	while ((opt = getopt(argc, argv, "fc:s:vh")) != -1) {
		switch (opt) {
		case 'f': *fg = true; break;
		/* absolute: daemon() moves to / and SIGHUP re-reads the path */
		case 'c': d->config_path = realpath(optarg, NULL) ?: optarg; break;
		case 's': *sock = optarg; break;
		case 'v': (*verbose)++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "myribackd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct mxd_daemon d;
	const char *sock = getenv("MYRIXEN_SOCKET");
	bool fg = false;
	int verbose = 0, err;
	char msg[256];

	mxd_config_defaults(&d.cfg);
	if (parse_args(&d, argc, argv, &fg, &verbose, &sock))
		return 2;
	if (d.config_path && (err = mxd_config_load(&d.cfg, d.config_path, msg, sizeof(msg)))) {
		fprintf(stderr, "myribackd: %s\n", msg);
		return 1;
	}
	if (sock && sock[0])
		snprintf(d.cfg.local_socket, sizeof(d.cfg.local_socket), "%s", sock);
	/* Same variable myrixenctl reads: tests run private daemons side by side. */
	if (getenv("MYRIXEN_CTL_SOCKET") && getenv("MYRIXEN_CTL_SOCKET")[0])
		snprintf(d.cfg.ctl_socket, sizeof(d.cfg.ctl_socket), "%s",
			 getenv("MYRIXEN_CTL_SOCKET"));
	mxd_log_init(d.cfg.log_level + verbose > MXD_LOG_DEBUG ? MXD_LOG_DEBUG
							      : d.cfg.log_level + verbose);
	if (!fg && daemon(0, 1)) {
		fprintf(stderr, "myribackd: daemon: %s\n", strerror(errno));
		return 1;
	}
	err = mxd_core_new(&d.cfg, &d.core);
	if (!err)
		err = mxd_loop_new(d.core, &d.loop);
	if (err)
		goto out;
	d.ev = mxd_loop_ev(d.loop);
	mxd_loop_set_reload(d.loop, reload, &d);
	if (d.cfg.transport_local && (err = mxd_local_start(d.core, d.ev, d.cfg.local_socket, &d.local)))
		goto out;
#ifdef MXD_XEN
	if (d.cfg.transport_xen) {
		struct mxd_xen *x = NULL;

		err = mxd_xen_start(d.core, d.ev, &x);
		d.xen = x;
		if (err)
			goto out;
	}
#endif
	/* wire engine starts here */
#ifdef MXW
	if (d.cfg.interface[0] && (err = mxw_engine_start(&d)))
		goto out;
#endif
#ifdef MXD_HAVE_CTL
	err = mxd_ctl_start(&d);
	if (err)
		goto out;
#endif

	sd_notify(0, "READY=1");
	mxd_log(MXD_LOG_NOTICE, "myribackd ready (nic_id %012llx, host %s)",
		(unsigned long long)mxd_core_nic_id(d.core), mxd_core_hostname(d.core));
	mxd_loop_run(d.loop);
	sd_notify(0, "STOPPING=1");
out:
	if (err)
		mxd_log(MXD_LOG_ERR, "start-up failed: %s", strerror(-err));
	/* Stop in reverse order; each stop accepts a subsystem never started. */
#ifdef MXD_HAVE_CTL
	mxd_ctl_stop(&d);
#endif
#ifdef MXW
	mxw_engine_stop(&d);
#endif
#ifdef MXD_XEN
	mxd_xen_stop(d.xen);
#endif
	mxd_local_stop(d.local);
	mxd_loop_free(d.loop); /* unhooks itself from the core first */
	mxd_core_free(d.core);
	return err ? 1 : 0;
}
