/* SPDX-License-Identifier: MIT */
/*
 * Control socket commands.  Each reads daemon state only through the
 * accessors of core.h (and xen.h / the wire engine when built in) and
 * describes its answer once through ctl_out.h.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <myrixen/board_name.h>
#include "core.h"
#include "ctl_int.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "transport_local.h"
#ifdef MXD_XEN
#include "xen/xen.h"
#endif
#ifdef MXW
#include "wire/engine.h"
#endif

#ifndef MYRIXEN_VERSION
#define MYRIXEN_VERSION "unknown"
#endif

typedef enum mxd_ctl_rc (*mxd_ctl_handler)(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
					   const char *arg, struct mxd_out *o, char *err,
					   size_t errlen);

int mxd_ctl_link_state(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd, rc;

	if (!ifname[0])
		return -ENODEV;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ? -errno
		: (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return rc;
}

uint32_t mxd_ctl_peer_count(const struct mxd_ctl *ctl)
{
#ifdef MXW
	struct mxw_engine_stats ws;

	/* the engine's table counts this host as index 0 */
	if (ctl->d->wire && !mxw_engine_get_stats(ctl->d->wire, &ws))
		return ws.usage.peers;
#endif
	return ctl->d->cfg.npeers;
}

const char *mxd_ctl_link_name(const struct mxd_ctl *ctl)
{
	const struct mxd_config *cfg = &ctl->d->cfg;
	int up;

#ifdef MXW
	struct mxw_engine_stats ws;

	if (ctl->d->wire && !mxw_engine_get_stats(ctl->d->wire, &ws))
		return mxw_link_state_name(ws.link.state);
#endif
	if (!cfg->interface[0])
		return "none";
	up = mxd_ctl_link_state(cfg->interface);
	return up > 0 ? "up" : up == 0 ? "down" : "missing";
}

static const char *kind_name(enum mxd_guest_kind k)
{
	return k == MXD_GUEST_XEN ? "xen" : k == MXD_GUEST_LOCAL ? "local" : "unknown";
}

static void out_limits(struct mxd_out *o, const struct mxd_conf_limits *l)
{
	mxd_out_obj_begin(o, "limits");
	mxd_out_u64(o, "endpoints_per_guest", l->endpoints);
	mxd_out_u64(o, "endpoint_reserve", l->endpoint_reserve);
	mxd_out_u64(o, "cmd_ring_order", l->cmd_order);
	mxd_out_u64(o, "evt_ring_order", l->evt_order);
	mxd_out_u64(o, "sendq_size", l->sendq_size);
	mxd_out_u64(o, "recvq_size", l->recvq_size);
	mxd_out_u64(o, "registered_memory", l->registered_bytes);
	mxd_out_u64(o, "medium_max", l->medium_max);
	mxd_out_u64(o, "outstanding", l->outstanding);
	mxd_out_obj_end(o);
}

/* The poll window's spin (loop.h): whether it may spin on few CPUs, and
 * how often it spun, was refused for a crowded host or cut by a preemption. */
static void out_spin(struct mxd_out *o, const struct mxd_daemon *d, const struct mxd_config *cfg)
{
	struct mxd_loop_stats ls = { 0 };

	if (d->loop)
		mxd_loop_get_stats(d->loop, &ls);
	mxd_out_obj_begin(o, "spin");
	mxd_out_str(o, "mode", cfg->poll_spin_force ? "force" : "auto");
	mxd_out_u64(o, "windows", ls.spins);
	mxd_out_u64(o, "frames", ls.spin_frames);
	mxd_out_u64(o, "crowded", ls.crowded);
	mxd_out_u64(o, "preempted", ls.preemptions);
	mxd_out_u64(o, "window_us", ls.window_ns / 1000u);
	mxd_out_obj_end(o);
}

#ifdef MXW
static void out_wire_counters(struct mxd_out *o, const char *key, const struct mxw_counters *c)
{
	mxd_out_obj_begin(o, key);
	mxd_out_u64(o, "tx_frames", c->tx_frames);
	mxd_out_u64(o, "tx_bytes", c->tx_bytes);
	mxd_out_u64(o, "rx_frames", c->rx_frames);
	mxd_out_u64(o, "rx_bytes", c->rx_bytes);
	mxd_out_u64(o, "resends", c->resends);
	mxd_out_u64(o, "resends_held", c->resends_held);
	mxd_out_u64(o, "pull_resends", c->pull_resends);
	mxd_out_u64(o, "pull_write_stalls", c->pull_write_stalls);
	mxd_out_u64(o, "pull_done_waits", c->pull_done_waits);
	mxd_out_u64(o, "drops", c->drops);
	mxd_out_u64(o, "dups", c->dups);
	mxd_out_u64(o, "requeued", c->requeued);
	mxd_out_u64(o, "quiet_drops", c->quiet_drops);
	mxd_out_u64(o, "reannounced", c->reannounced);
	mxd_out_u64(o, "pulls_parked", c->pulls_parked);
	mxd_out_u64(o, "pulls_retargeted", c->pulls_retargeted);
	mxd_out_u64(o, "announces", c->announces);
	mxd_out_u64(o, "leaves", c->leaves);
	mxd_out_u64(o, "peers_away", c->peers_away);
	mxd_out_u64(o, "reconnects", c->reconnects);
	mxd_out_u64(o, "native_resyncs", c->native_resyncs);
	mxd_out_u64(o, "native_repulls", c->native_repulls);
	mxd_out_u64(o, "native_skips", c->native_skips);
	mxd_out_u64(o, "native_untold", c->native_untold);
	mxd_out_u64(o, "moved_followed", c->moved_followed);
	mxd_out_u64(o, "moved_refused", c->moved_refused);
	mxd_out_u64(o, "nacks_tx", c->nacks_tx);
	mxd_out_u64(o, "nacks_rx", c->nacks_rx);
	mxd_out_u64(o, "acks_tx", c->acks_tx);
	mxd_out_u64(o, "acks_rx", c->acks_rx);
	mxd_out_u64(o, "bad_frames", c->bad_frames);
	mxd_out_u64(o, "bad_rdmawin", c->bad_rdmawin);
	mxd_out_u64(o, "tx_errors", c->tx_errors);
	mxd_out_u64(o, "timeouts", c->timeouts);
	mxd_out_u64(o, "peers_refused", c->peers_refused);
	mxd_out_u64(o, "peers_evicted", c->peers_evicted);
	mxd_out_u64(o, "partners_refused", c->partners_refused);
	mxd_out_u64(o, "partners_evicted", c->partners_evicted);
	mxd_out_u64(o, "reasm_refused", c->reasm_refused);
	mxd_out_u64(o, "reasm_expired", c->reasm_expired);
	mxd_out_u64(o, "held", c->held);
	mxd_out_obj_end(o);
}

static void out_wire_peer(struct mxd_out *o, uint16_t index, const struct mxw_peer_info *pi)
{
	mxd_out_obj_begin(o, NULL);
	mxd_out_u64(o, "peer", index);
	mxd_out_str(o, "hostname", pi->named ? pi->hostname : "");
	mxd_out_mac(o, "nic_id", pi->nic_id);
	mxd_out_str(o, "source", "wire");
	out_wire_counters(o, "counters", &pi->st);
	mxd_out_obj_end(o);
}
#endif

static enum mxd_ctl_rc cmd_status(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				  const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	struct mxd_daemon *d = ctl->d;
	const struct mxd_config *cfg = &d->cfg;
	struct mxd_core_stats st;

	(void)c;
	(void)arg;
	(void)err;
	(void)errlen;
	mxd_core_get_stats(d->core, &st);
	mxd_out_obj_begin(o, NULL);
	mxd_out_str(o, "version", MYRIXEN_VERSION);
	mxd_out_u64(o, "abi_version", MYRIXEN_ABI_VERSION);
	mxd_out_u64(o, "pid", (uint64_t)getpid());
	mxd_out_u64(o, "uptime_s", (mxd_now_ns() - ctl->started_ns) / 1000000000ull);
	mxd_out_str(o, "config", d->config_path ? d->config_path : "(built-in defaults)");
	mxd_out_str(o, "hostname", mxd_core_hostname(d->core));
	mxd_out_mac(o, "nic_id", mxd_core_nic_id(d->core));
	mxd_out_obj_begin(o, "transports");
	mxd_out_bool(o, "local", cfg->transport_local);
	mxd_out_bool(o, "xen", cfg->transport_xen && d->xen);
	mxd_out_obj_end(o);
	mxd_out_obj_begin(o, "wire");
	mxd_out_str(o, "interface", cfg->interface[0] ? cfg->interface : "none");
	mxd_out_bool(o, "engine", d->wire != NULL);
	mxd_out_str(o, "link", mxd_ctl_link_name(ctl));
#ifdef MXW
	struct mxw_engine_stats ws;

	if (d->wire && !mxw_engine_get_stats(d->wire, &ws)) {
		mxd_out_u64(o, "mtu", ws.link.mtu);
		mxd_out_u64(o, "medium_fragment", ws.frag_max);
		mxd_out_u64(o, "link_changes", ws.link_changes);
		mxd_out_u64(o, "partners", ws.usage.partners);
		mxd_out_u64(o, "reassembly_bytes", ws.usage.reasm_bytes);
		mxd_out_u64(o, "timer_arms", ws.timer_arms);
		if (ws.state_why[0])
			mxd_out_str(o, "why", ws.state_why);
	}
#endif
	mxd_out_obj_end(o);
	mxd_out_u64(o, "guests", st.guests);
	mxd_out_u64(o, "endpoints", st.endpoints);
	mxd_out_u64(o, "peers", mxd_ctl_peer_count(ctl));
	mxd_out_str(o, "log_level", mxd_log_level_name(mxd_log_get_level()));
	mxd_out_u64(o, "poll_window_us", cfg->poll_window_us);
	mxd_out_u64(o, "poll_budget", cfg->poll_budget);
	out_spin(o, d, cfg);
	out_limits(o, &cfg->limits);
	mxd_out_u64(o, "reloads", ctl->reloads);
	mxd_out_u64(o, "reload_failures", ctl->reload_failures);
	mxd_out_obj_end(o);
	return MXD_CTL_OK;
}

struct list_ctx {
	struct mxd_out *o;
	bool cut_off;               /* the guest's, from mxd_guest_get_stats */
};

static int list_endpoint(struct mxd_endpoint *ep, void *arg)
{
	struct list_ctx *lc = arg;
	struct mxd_out *o = lc->o;
	struct mxd_ep_stats s;

	mxd_endpoint_get_stats(ep, &s);
	mxd_out_obj_begin(o, NULL);
	mxd_out_u64(o, "endpoint", ep->index);
	mxd_out_u64(o, "session", ep->session);
	mxd_out_str(o, "state", lc->cut_off ? "cut-off" : "open");
	mxd_out_u64(o, "cmd_slots", 1u << ep->geo.cmd_order);
	mxd_out_u64(o, "evt_slots", 1u << ep->geo.evt_order);
	mxd_out_u64(o, "sendq_size", ep->geo.sendq_size);
	mxd_out_u64(o, "recvq_size", ep->geo.recvq_size);
	mxd_out_u64(o, "cmds", s.cmds);
	mxd_out_u64(o, "evts", s.evts);
	mxd_out_u64(o, "sent", s.sent_tiny + s.sent_queued + s.sent_rndv);
	mxd_out_u64(o, "received", s.recv_tiny + s.recv_queued + s.recv_rndv);
	mxd_out_u64(o, "pull_bytes", s.pull_bytes);
	mxd_out_u64(o, "bad_cmds", s.bad_cmds);
	mxd_out_u64(o, "unconnected", s.unconnected);
	mxd_out_u64(o, "no_resources", s.no_resources);
	mxd_out_u64(o, "stalls", s.stalls);
	mxd_out_u64(o, "parked", s.parked);
	mxd_out_u64(o, "pairs", s.pairs);
	mxd_out_u64(o, "pair_faults", s.pair_faults);
	mxd_out_u64(o, "backlog", s.backlog_len);
	mxd_out_u64(o, "recvq_used", s.recvq_used);
	mxd_out_obj_end(o);
	return 0;
}

static int list_guest(struct mxd_guest *g, void *arg)
{
	struct mxd_out *o = arg;
	struct mxd_guest_stats s;

	mxd_guest_get_stats(g, &s);
	mxd_out_obj_begin(o, NULL);
	mxd_out_str(o, "kind", kind_name(s.kind));
	mxd_out_u64(o, "id", s.id);
	mxd_out_u64(o, s.kind == MXD_GUEST_LOCAL ? "uid" : "principal", s.principal);
	mxd_out_str(o, "name", s.name);
	mxd_out_str(o, "state", s.cut_off ? "cut-off" : "attached");
	if (s.cut_off)
		mxd_out_str(o, "cutoff_reason", s.cutoff_reason);
	mxd_out_u64(o, "endpoints_open", s.endpoints);
	mxd_out_u64(o, "endpoints_opened", s.endpoints_opened);
	mxd_out_u64(o, "registered_bytes", s.registered_bytes);
	struct list_ctx lc = { .o = o, .cut_off = s.cut_off };

	mxd_out_arr_begin(o, "endpoints");
	mxd_guest_for_each_endpoint(g, list_endpoint, &lc);
	mxd_out_arr_end(o);
	mxd_out_obj_end(o);
	return 0;
}

static enum mxd_ctl_rc cmd_list(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	(void)c;
	(void)arg;
	(void)err;
	(void)errlen;
	mxd_out_obj_begin(o, NULL);
	mxd_out_arr_begin(o, "guests");
	mxd_core_for_each_guest(ctl->d->core, list_guest, o);
	mxd_out_arr_end(o);
	mxd_out_obj_end(o);
	return MXD_CTL_OK;
}

static int sum_endpoint(struct mxd_endpoint *ep, void *arg)
{
	struct mxd_ep_stats s;

	mxd_endpoint_get_stats(ep, &s);
	mxd_ep_stats_add(arg, &s);
	return 0;
}

static int sum_guest(struct mxd_guest *g, void *arg)
{
	return mxd_guest_for_each_endpoint(g, sum_endpoint, arg);
}

static void out_ep_sums(struct mxd_out *o, const char *name, const struct mxd_ep_stats *sum)
{
	mxd_out_obj_begin(o, name);
	mxd_out_u64(o, "cmds", sum->cmds);
	mxd_out_u64(o, "evts", sum->evts);
	mxd_out_u64(o, "sent_tiny", sum->sent_tiny);
	mxd_out_u64(o, "sent_queued", sum->sent_queued);
	mxd_out_u64(o, "sent_rndv", sum->sent_rndv);
	mxd_out_u64(o, "recv_tiny", sum->recv_tiny);
	mxd_out_u64(o, "recv_queued", sum->recv_queued);
	mxd_out_u64(o, "recv_rndv", sum->recv_rndv);
	mxd_out_u64(o, "pulls", sum->pulls);
	mxd_out_u64(o, "pull_bytes", sum->pull_bytes);
	mxd_out_u64(o, "bad_cmds", sum->bad_cmds);
	mxd_out_u64(o, "unconnected", sum->unconnected);
	mxd_out_u64(o, "no_resources", sum->no_resources);
	mxd_out_u64(o, "region_faults", sum->region_faults);
	mxd_out_u64(o, "stalls", sum->stalls);
	mxd_out_u64(o, "parked", sum->parked);
	mxd_out_obj_end(o);
}

static enum mxd_ctl_rc cmd_counters(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				    const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	struct mxd_core_stats st;
	struct mxd_ep_stats sum = { 0 }, closed;

	(void)c;
	(void)arg;
	(void)err;
	(void)errlen;
	mxd_core_get_stats(ctl->d->core, &st);
	mxd_core_for_each_guest(ctl->d->core, sum_guest, &sum);
	mxd_out_obj_begin(o, NULL);
	mxd_out_obj_begin(o, "core");
	mxd_out_u64(o, "guests", st.guests);
	mxd_out_u64(o, "endpoints", st.endpoints);
	mxd_out_u64(o, "endpoints_opened", st.endpoints_opened);
	mxd_out_u64(o, "endpoints_closed", st.endpoints_closed);
	mxd_out_u64(o, "guest_cutoffs", st.guest_cutoffs);
	mxd_out_u64(o, "ring_faults", st.ring_faults);
	mxd_out_u64(o, "bad_cmds", st.bad_cmds);
	mxd_out_u64(o, "sends_unconnected", st.sends_unconnected);
	mxd_out_u64(o, "remote_unavailable", st.remote_unavailable);
	mxd_out_u64(o, "open_refused", st.open_refused);
	mxd_out_u64(o, "open_limited", st.open_limited);
	mxd_out_u64(o, "open_timeouts", st.open_timeouts);
	mxd_out_u64(o, "pull_direct", st.pull_direct);
	mxd_out_u64(o, "pull_direct_bytes", st.pull_direct_bytes);
	mxd_out_u64(o, "pull_direct_failed", st.pull_direct_failed);
	mxd_out_u64(o, "pull_pregranted", st.pull_pregranted);
	mxd_out_u64(o, "pull_async", st.pull_async);
	mxd_out_u64(o, "pull_async_bytes", st.pull_async_bytes);
	mxd_out_u64(o, "pull_refused", st.pull_refused);
	mxd_out_u64(o, "pull_stalled", st.pull_stalled);
	mxd_out_u64(o, "pull_busy", st.pull_busy);
	mxd_out_u64(o, "pull_staged", st.pull_staged);
	mxd_out_u64(o, "pull_staged_bytes", st.pull_staged_bytes);
	mxd_out_u64(o, "pull_written", st.pull_written);
	mxd_out_u64(o, "send_staged", st.send_staged);
	mxd_out_u64(o, "send_staged_bytes", st.send_staged_bytes);
	mxd_out_u64(o, "kicks", st.kicks);
	mxd_out_u64(o, "notifies", st.notifies);
	mxd_out_u64(o, "pairs_opened", st.pairs_opened);
	mxd_out_u64(o, "pairs_closed", st.pairs_closed);
	mxd_out_u64(o, "pair_faults", st.pair_faults);
	mxd_out_u64(o, "pairs_declined", st.pairs_declined);
	mxd_out_obj_end(o);
	out_ep_sums(o, "open_endpoints", &sum);
	mxd_core_get_closed_stats(ctl->d->core, &closed);
	mxd_ep_stats_add(&closed, &sum);
	out_ep_sums(o, "all_endpoints", &closed);
	if (ctl->d->local) {
		struct mxd_local_stats ls;

		mxd_local_get_stats(ctl->d->local, &ls);
		mxd_out_obj_begin(o, "local");
		mxd_out_u64(o, "claims_kept", ls.claims_kept);
		mxd_out_u64(o, "eps_reattached", ls.eps_reattached);
		mxd_out_u64(o, "claims_expired", ls.claims_expired);
		mxd_out_u64(o, "reattach_refused", ls.reattach_refused);
		mxd_out_u64(o, "pairs_proc", ls.pairs_proc);
		mxd_out_obj_end(o);
	}
#ifdef MXD_XEN
	if (ctl->d->xen) {
		struct mxd_xen_stats xs;

		mxd_xen_get_stats(ctl->d->xen, &xs);
		mxd_out_obj_begin(o, "xen");
		mxd_out_u64(o, "domains", xs.domains);
		mxd_out_u64(o, "endpoints", xs.endpoints);
		mxd_out_u64(o, "eps_attached", xs.eps_attached);
		mxd_out_u64(o, "eps_detached", xs.eps_detached);
		mxd_out_u64(o, "eps_refused", xs.eps_refused);
		mxd_out_u64(o, "eps_reattached", xs.eps_reattached);
		mxd_out_u64(o, "domains_restored", xs.domains_restored);
		mxd_out_u64(o, "domains_auto_attached", xs.domains_auto_attached);
		mxd_out_u64(o, "eps_migrated_in", xs.eps_migrated_in);
		mxd_out_u64(o, "eps_index_taken", xs.eps_index_taken);
		mxd_out_u64(o, "eps_suspended", xs.eps_suspended);
		mxd_out_u64(o, "grant_pages_mapped", xs.grant_pages_mapped);
		mxd_out_u64(o, "copy_faults", xs.copy_faults);
		mxd_out_u64(o, "copy_direct", xs.copy_direct);
		mxd_out_u64(o, "copy_direct_bytes", xs.copy_direct_bytes);
		mxd_out_u64(o, "copy_direct_calls", xs.copy_direct_calls);
		mxd_out_u64(o, "copy_bounce_bytes", xs.copy_bounce_bytes);
		mxd_out_u64(o, "domains_released", xs.domains_released);
		mxd_out_u64(o, "suspends_cancelled", xs.suspends_cancelled);
		mxd_out_obj_end(o);
	}
#endif
#ifdef MXW
	struct mxw_engine_stats ws;

	if (ctl->d->wire && !mxw_engine_get_stats(ctl->d->wire, &ws)) {
		mxd_out_obj_begin(o, "wire");
		out_wire_counters(o, "protocol", &ws.proto);
		mxd_out_obj_begin(o, "io");
		mxd_out_u64(o, "rx_frames", ws.io.rx_frames);
		mxd_out_u64(o, "rx_blocks", ws.io.rx_blocks);
		mxd_out_u64(o, "tx_frames", ws.io.tx_frames);
		mxd_out_u64(o, "tx_batches", ws.io.tx_batches);
		mxd_out_u64(o, "tx_drops", ws.io.tx_drops);
		mxd_out_u64(o, "kernel_drops", ws.io.kernel_drops);
		mxd_out_u64(o, "rx_truncated", ws.io.rx_truncated);
		mxd_out_obj_end(o);
		mxd_out_u64(o, "link_changes", ws.link_changes);
		mxd_out_u64(o, "partners", ws.usage.partners);
		mxd_out_u64(o, "reassembly_bytes", ws.usage.reasm_bytes);
		mxd_out_u64(o, "timer_arms", ws.timer_arms);
		mxd_out_obj_end(o);
	}
#endif
	mxd_out_obj_begin(o, "control");
	mxd_out_u64(o, "requests", ctl->requests);
	mxd_out_u64(o, "refused", ctl->refused);
	mxd_out_u64(o, "bad_requests", ctl->bad_requests);
	mxd_out_u64(o, "reloads", ctl->reloads);
	mxd_out_u64(o, "reload_failures", ctl->reload_failures);
	mxd_out_obj_end(o);
	mxd_out_obj_end(o);
	return MXD_CTL_OK;
}

static enum mxd_ctl_rc cmd_peers(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				 const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	const struct mxd_config *cfg = &ctl->d->cfg;

	(void)c;
	(void)arg;
	(void)err;
	(void)errlen;
	mxd_out_obj_begin(o, NULL);
	mxd_out_str(o, "interface", cfg->interface[0] ? cfg->interface : "none");
	mxd_out_str(o, "link", mxd_ctl_link_name(ctl));
	mxd_out_arr_begin(o, "peers");
#ifdef MXW
	if (ctl->d->wire) {
		struct mxw_peer_info pi;

		/* index 0 is this host */
		for (uint16_t i = 1; !mxw_engine_get_peer(ctl->d->wire, i, &pi); i++)
			out_wire_peer(o, i, &pi);
		mxd_out_arr_end(o);
		mxd_out_obj_end(o);
		return MXD_CTL_OK;
	}
#endif
	for (uint32_t i = 0; i < cfg->npeers; i++) {
		mxd_out_obj_begin(o, NULL);
		mxd_out_str(o, "hostname", cfg->peers[i].hostname);
		mxd_out_mac(o, "nic_id", cfg->peers[i].nic_id);
		mxd_out_str(o, "source", "config");
		mxd_out_obj_end(o);
	}
	mxd_out_arr_end(o);
	mxd_out_obj_end(o);
	return MXD_CTL_OK;
}

/* A Xen domain id a guest can have: 1 .. DOMID_FIRST_RESERVED - 1. */
static int parse_domid(const char *arg, uint32_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	if (!arg || !*arg) {
		snprintf(err, errlen, "missing DOMID");
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*end || errno || arg[0] == '-' || v < 1 || v >= 0x7ff0) {
		snprintf(err, errlen, "'%s' is not a guest domain id (1..32751)", arg);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static enum mxd_ctl_rc xen_op(struct mxd_ctl *ctl, const char *arg, bool attach,
			      struct mxd_out *o, char *err, size_t errlen)
{
	uint32_t domid;

	if (parse_domid(arg, &domid, err, errlen))
		return MXD_CTL_USAGE;
#ifdef MXD_XEN
	if (ctl->d->xen) {
		int rc = attach ? mxd_xen_attach(ctl->d->xen, domid)
				: mxd_xen_detach(ctl->d->xen, domid);

		if (rc) {
			snprintf(err, errlen, "%s domain %u: %s", attach ? "attach" : "detach",
				 domid, rc == -EEXIST ? "already attached"
				 : rc == -ESRCH ? "no such domain"
				 : rc == -ENOENT ? "not attached" : strerror(-rc));
			return MXD_CTL_FAILED;
		}
		mxd_log(MXD_LOG_NOTICE, "domain %u %s", domid, attach ? "attached" : "detached");
		mxd_out_obj_begin(o, NULL);
		mxd_out_u64(o, "domid", domid);
		mxd_out_str(o, "state", attach ? "attached" : "detached");
		mxd_out_obj_end(o);
		mxd_sdnotify_status(ctl->notify);
		return MXD_CTL_OK;
	}
	snprintf(err, errlen, "Xen transport not enabled (add 'xen' to transports in %s and run in dom0)",
		 ctl->d->config_path ? ctl->d->config_path : "the configuration");
#else
	(void)o;
	(void)attach;
	snprintf(err, errlen, "Xen transport not enabled (myribackd was built without it)");
#endif
	(void)ctl;
	return MXD_CTL_FAILED;
}

static enum mxd_ctl_rc cmd_attach(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				  const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	(void)c;
	return xen_op(ctl, arg, true, o, err, errlen);
}

static enum mxd_ctl_rc cmd_detach(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				  const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	(void)c;
	return xen_op(ctl, arg, false, o, err, errlen);
}

static enum mxd_ctl_rc cmd_ping(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	const struct mxd_config *cfg = &ctl->d->cfg;
	uint64_t nic_id = 0;

	(void)o;
	if (!arg || !*arg) {
		snprintf(err, errlen, "missing HOST");
		return MXD_CTL_USAGE;
	}
	if (!cfg->interface[0]) {
		snprintf(err, errlen, "ping %s: wire not enabled (set 'interface' in the configuration)",
			 arg);
		return MXD_CTL_FAILED;
	}
	for (uint32_t i = 0; i < cfg->npeers; i++)
		if (mxn_board_name_eq(cfg->peers[i].hostname, (uint32_t)strlen(cfg->peers[i].hostname),
				      arg, (uint32_t)strlen(arg)))
			nic_id = cfg->peers[i].nic_id;
	if (!nic_id) {
		snprintf(err, errlen, "ping %s: not a configured peer", arg);
		return MXD_CTL_FAILED;
	}
	return mxd_ctl_ping_start(ctl, c, arg, nic_id, err, errlen);
}

static enum mxd_ctl_rc cmd_reload(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				  const char *arg, struct mxd_out *o, char *err, size_t errlen)
{
	(void)c;
	(void)arg;
	if (mxd_ctl_reload(ctl->d, err, errlen))
		return MXD_CTL_FAILED;
	mxd_out_obj_begin(o, NULL);
	mxd_out_str(o, "config", ctl->d->config_path);
	mxd_out_str(o, "log_level", mxd_log_level_name(ctl->d->cfg.log_level));
	mxd_out_u64(o, "poll_window_us", ctl->d->cfg.poll_window_us);
	mxd_out_u64(o, "poll_budget", ctl->d->cfg.poll_budget);
	mxd_out_u64(o, "peers", ctl->d->cfg.npeers);
	mxd_out_obj_end(o);
	return MXD_CTL_OK;
}

static const struct {
	const char *name;
	mxd_ctl_handler fn;
	bool takes_arg;
} commands[] = {
	{ "status", cmd_status, false },
	{ "list", cmd_list, false },
	{ "counters", cmd_counters, false },
	{ "peers", cmd_peers, false },
	{ "attach", cmd_attach, true },
	{ "detach", cmd_detach, true },
	{ "ping", cmd_ping, true },
	{ "reload", cmd_reload, false },
};

enum mxd_ctl_rc mxd_ctl_dispatch(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				 const char *cmd, const char *arg, struct mxd_out *o,
				 char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name))
			continue;
		if (!commands[i].takes_arg && arg) {
			snprintf(err, errlen, "%s takes no argument", cmd);
			return MXD_CTL_USAGE;
		}
		return commands[i].fn(ctl, c, arg, o, err, errlen);
	}
	snprintf(err, errlen, "unknown command '%.64s'", cmd);
	return MXD_CTL_USAGE;
}
