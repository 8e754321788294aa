/* SPDX-License-Identifier: MIT */
/*
 * Configuration reload (SIGHUP, `myrixenctl reload`).  The new file is
 * parsed completely before anything changes; a bad file is refused and the
 * running configuration stays.  What is bound at start-up (sockets, groups,
 * transports, interface, identity) keeps its old value with a warning.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "ctl_int.h"
#include "daemon.h"
#include "log.h"
#ifdef MXW
#include "wire/engine.h"
#endif

/* Keep start-up-only fields of 'old' in 'nc'; warn for each that differed. */
static void keep_restart_only(const struct mxd_config *old, struct mxd_config *nc)
{
#define KEEP_STR(f)                                                          \
	do {                                                                 \
		if (strcmp(old->f, nc->f)) {                                 \
			mxd_log(MXD_LOG_WARNING, "reload: %s changed; it takes effect after a restart", #f); \
			memcpy(nc->f, old->f, sizeof(nc->f));                \
		}                                                            \
	} while (0)
#define KEEP_VAL(f, what)                                                    \
	do {                                                                 \
		if (old->f != nc->f) {                                       \
			mxd_log(MXD_LOG_WARNING, "reload: %s changed; it takes effect after a restart", what); \
			nc->f = old->f;                                      \
		}                                                            \
	} while (0)
	KEEP_STR(local_socket);
	KEEP_STR(local_group);
	KEEP_STR(ctl_socket);
	KEEP_STR(ctl_group);
	KEEP_STR(interface);
	KEEP_STR(hostname);
	KEEP_VAL(transport_local, "transports");
	KEEP_VAL(transport_xen, "transports");
	KEEP_VAL(nic_id, "nic_id");
	KEEP_VAL(peer_timeout_ms, "peer_timeout_ms");
#undef KEEP_STR
#undef KEEP_VAL
}

static bool same_peers(const struct mxd_config *a, const struct mxd_config *b)
{
	if (a->npeers != b->npeers)
		return false;
	for (uint32_t i = 0; i < a->npeers; i++)
		if (a->peers[i].nic_id != b->peers[i].nic_id ||
		    strcmp(a->peers[i].hostname, b->peers[i].hostname))
			return false;
	return true;
}

static bool has_peer(const struct mxd_config *c, const struct mxd_conf_peer *p)
{
	for (uint32_t i = 0; i < c->npeers; i++)
		if (c->peers[i].nic_id == p->nic_id && !strcmp(c->peers[i].hostname, p->hostname))
			return true;
	return false;
}

/* New and renamed peers go into the running engine; a removed one stays
 * there (live partners may use it) until a restart, which is logged. */
static void apply_peers(struct mxd_daemon *d, const struct mxd_config *old,
			const struct mxd_config *nc)
{
	for (uint32_t i = 0; i < old->npeers; i++)
		if (!has_peer(nc, &old->peers[i]))
			mxd_log(MXD_LOG_WARNING, "reload: peer %s left the file; the wire engine "
				"keeps it until a restart", old->peers[i].hostname);
#ifdef MXW
	for (uint32_t i = 0; i < nc->npeers; i++) {
		int rc;

		if (has_peer(old, &nc->peers[i]))
			continue;
		rc = mxw_engine_add_peer(d->wire, nc->peers[i].nic_id, nc->peers[i].hostname);
		if (rc < 0)
			mxd_log(MXD_LOG_ERR, "reload: peer %s: %s", nc->peers[i].hostname,
				strerror(-rc));
		else
			mxd_log(MXD_LOG_NOTICE, "reload: peer %s added to the wire engine",
				nc->peers[i].hostname);
	}
#else
	(void)d;
#endif
}

int mxd_ctl_reload(struct mxd_daemon *d, char *err, size_t errlen)
{
	struct mxd_ctl *ctl = d->ctl;
	struct mxd_config *nc = NULL;
	int rc;

	if (!d->config_path) {
		snprintf(err, errlen, "no configuration file to reload (started without one)");
		rc = -ENOENT;
		goto out;
	}
	nc = malloc(sizeof(*nc));
	if (!nc) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	mxd_config_defaults(nc);
	rc = mxd_config_load(nc, d->config_path, err, errlen);
	if (rc)
		goto out;
	keep_restart_only(&d->cfg, nc);
	if (d->wire && !same_peers(&d->cfg, nc))
		apply_peers(d, &d->cfg, nc);
	d->cfg = *nc;
	mxd_log_set_level(d->cfg.log_level);
	mxd_core_reconfigure(d->core, &d->cfg);
out:
	if (rc) {
		if (ctl)
			ctl->reload_failures++;
		mxd_log(MXD_LOG_ERR, "reload refused, the running configuration stays: %s", err);
	} else {
		if (ctl)
			ctl->reloads++;
		mxd_log(MXD_LOG_NOTICE, "configuration reloaded from %s (log level %s, poll window %u us, budget %u, %u peers)",
			d->config_path, mxd_log_level_name(d->cfg.log_level), d->cfg.poll_window_us,
			d->cfg.poll_budget, d->cfg.npeers);
		if (ctl)
			mxd_sdnotify_status(ctl->notify);
	}
	free(nc);
	return rc;
}
