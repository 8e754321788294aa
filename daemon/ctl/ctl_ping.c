/* SPDX-License-Identifier: MIT */
/*
 * `myrixenctl ping HOST`: one MXoE round trip on the wire interface.  We
 * send a HOST_QUERY frame to the peer's MAC and wait for the HOST_REPLY its
 * myribackd's wire engine answers (Open-MX host query, so a native Open-MX
 * peer answers too).  Up to MXD_PING_TRIES queries, one per second.
 *
 * It uses its own AF_PACKET socket rather than the engine's ring: the probe
 * must not disturb sequence numbers or partner state, and the engine offers
 * no probe call.  Our engine sees the reply too and, the peer being
 * configured, only refreshes that peer's name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl_int.h"
#include "daemon.h"
#include "log.h"
#ifdef MXW
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include "wire/engine.h"
#include "wire/mxoe_wire.h"
#endif

#define MXD_PING_TRIES 3
#define MXD_PING_INTERVAL_S 1.0

struct mxd_ctl_ping {
	struct mxd_ctl_conn *c;
	int fd;
	ev_io io;
	ev_timer timer;
	uint8_t mac[6], peer_mac[6];
	char host[MXD_NAME_MAX];
	uint64_t sent_ns;
	unsigned tries;
};

void mxd_ctl_ping_free(struct mxd_ctl_ping *p)
{
	if (!p)
		return;
	ev_io_stop(p->c->ctl->ev, &p->io);
	ev_timer_stop(p->c->ctl->ev, &p->timer);
	if (p->fd >= 0)
		close(p->fd);
	p->c->ping = NULL;
	free(p);
}

#ifdef MXW
static void ping_finish(struct mxd_ctl_ping *p, enum mxd_ctl_rc rc, const char *err)
{
	struct mxd_ctl_conn *c = p->c;

	mxd_ctl_ping_free(p);
	mxd_ctl_conn_finish(c, rc, err);
}

static int ping_send(struct mxd_ctl_ping *p)
{
	uint8_t buf[128];
	struct mxw_frame f;
	int n;

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_HOST_QUERY;
	memcpy(f.dst_mac, p->peer_mac, 6);
	memcpy(f.src_mac, p->mac, 6);
	f.peer_index = MXW_PEER_INDEX_UNKNOWN;
	f.u.host.src_dst_peer_index = MXW_PEER_INDEX_UNKNOWN;
	f.u.host.magic = MXW_HOST_QUERY_MAGIC;
	n = mxw_encode_frame(buf, sizeof(buf), &f);
	if (n < 0)
		return n;
	p->tries++;
	p->sent_ns = mxd_now_ns();
	if (send(p->fd, buf, (size_t)n, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static void ping_reply(struct mxd_ctl_ping *p, const struct mxw_frame *f)
{
	uint64_t rtt_ns = mxd_now_ns() - p->sent_ns;
	struct mxd_out *o = &p->c->out;
	char name[MXW_HOSTNAME_MAX + 1];
	size_t n = f->payload_len < MXW_HOSTNAME_MAX ? f->payload_len : MXW_HOSTNAME_MAX;

	memcpy(name, f->payload, n);
	name[n] = 0;
	mxd_out_obj_begin(o, NULL);
	mxd_out_str(o, "host", p->host);
	mxd_out_mac(o, "nic_id", mxw_mac_to_u64(f->src_mac));
	mxd_out_str(o, "remote_hostname", name);
	mxd_out_u64(o, "rtt_us", (rtt_ns + 999) / 1000);
	mxd_out_u64(o, "queries", p->tries);
	mxd_out_obj_end(o);
	ping_finish(p, MXD_CTL_OK, NULL);
}

static void ping_rx_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct mxd_ctl_ping *p = w->data;
	uint8_t buf[2048];
	struct mxw_frame f;
	ssize_t n;

	(void)ev;
	(void)revents;
	/* bounded: the socket also sees other MXoE traffic on the interface */
	for (int i = 0; i < 64; i++) {
		n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			return;
		if (mxw_decode(buf, (size_t)n, &f) || f.type != MXW_PKT_HOST_REPLY ||
		    f.u.host.magic != MXW_HOST_QUERY_MAGIC || memcmp(f.src_mac, p->peer_mac, 6) ||
		    memcmp(f.dst_mac, p->mac, 6))
			continue;
		ping_reply(p, &f);
		return;
	}
}

static void ping_timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct mxd_ctl_ping *p = w->data;
	char err[256];
	int rc;

	(void)ev;
	(void)revents;
	if (p->tries >= MXD_PING_TRIES) {
		snprintf(err, sizeof(err), "ping %s: no answer to %u host queries in %.0f s",
			 p->host, p->tries, p->tries * MXD_PING_INTERVAL_S);
		ping_finish(p, MXD_CTL_FAILED, err);
		return;
	}
	rc = ping_send(p);
	if (rc) {
		snprintf(err, sizeof(err), "ping %s: send: %s", p->host, strerror(-rc));
		ping_finish(p, MXD_CTL_FAILED, err);
	}
}

static int ping_socket(struct mxd_ctl_ping *p, int ifindex)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(MXW_ETHERTYPE),
				   .sll_ifindex = ifindex };

	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(MXW_ETHERTYPE));
	if (p->fd < 0)
		return -errno;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

enum mxd_ctl_rc mxd_ctl_ping_start(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				   const char *host, uint64_t nic_id, char *err, size_t errlen)
{
	struct mxw_engine_stats ws;
	struct mxd_ctl_ping *p;
	int rc;

	if (!ctl->d->wire || mxw_engine_get_stats(ctl->d->wire, &ws)) {
		snprintf(err, errlen, "ping %s: the wire engine is not running", host);
		return MXD_CTL_FAILED;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "ping %s: out of memory", host);
		return MXD_CTL_FAILED;
	}
	p->c = c;
	p->fd = -1;
	c->ping = p;
	snprintf(p->host, sizeof(p->host), "%s", host);
	memcpy(p->mac, ws.link.mac, 6);
	mxw_u64_to_mac(nic_id, p->peer_mac);
	ev_io_init(&p->io, ping_rx_cb, -1, EV_READ);
	ev_init(&p->timer, ping_timer_cb);
	rc = ping_socket(p, ws.link.ifindex);
	if (!rc)
		rc = ping_send(p);
	if (rc) {
		snprintf(err, errlen, "ping %s: %s on %s", host, strerror(-rc), ws.link.name);
		mxd_ctl_ping_free(p);
		return MXD_CTL_FAILED;
	}
	ev_io_set(&p->io, p->fd, EV_READ);
	p->io.data = p->timer.data = p;
	ev_io_start(ctl->ev, &p->io);
	p->timer.repeat = MXD_PING_INTERVAL_S;
	ev_timer_again(ctl->ev, &p->timer);
	return MXD_CTL_PENDING;
}
#else
enum mxd_ctl_rc mxd_ctl_ping_start(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				   const char *host, uint64_t nic_id, char *err, size_t errlen)
{
	(void)ctl;
	(void)c;
	(void)nic_id;
	snprintf(err, errlen, "ping %s: myribackd was built without the wire engine", host);
	return MXD_CTL_FAILED;
}
#endif
