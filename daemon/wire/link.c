/* SPDX-License-Identifier: MIT */
/*
 * Interface facts via libnl-route-3.  The watch does not parse the
 * notifications: any RTNLGRP_LINK message makes the caller query its
 * interface again, which is simple and cannot miss a field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>
#include "link.h"

const char *mxw_link_state_name(enum mxw_link_state s)
{
	switch (s) {
	case MXW_LINK_OK: return "up";
	case MXW_LINK_MISSING: return "missing";
	case MXW_LINK_DOWN: return "down";
	case MXW_LINK_MTU_SMALL: return "mtu-too-small";
	default: return "error";
	}
}

static int fill_from_link(struct rtnl_link *l, struct mxw_link_info *info, char *why,
			  size_t whylen)
{
	struct nl_addr *a = rtnl_link_get_addr(l);
	unsigned flags = rtnl_link_get_flags(l);

	info->ifindex = rtnl_link_get_ifindex(l);
	info->mtu = rtnl_link_get_mtu(l);
	info->up = flags & IFF_UP;
	info->running = flags & IFF_RUNNING;
	if (!a || nl_addr_get_len(a) != 6) {
		snprintf(why, whylen, "interface %s has no Ethernet address", info->name);
		info->state = MXW_LINK_ERROR;
		return -EPROTONOSUPPORT;
	}
	memcpy(info->mac, nl_addr_get_binary_addr(a), 6);
	if (info->mtu < MXW_MTU_MIN) {
		snprintf(why, whylen, "interface %s has MTU %u, MXoE needs at least %u", info->name,
			 info->mtu, MXW_MTU_MIN);
		info->state = MXW_LINK_MTU_SMALL;
	} else if (!info->up || !info->running) {
		snprintf(why, whylen, "interface %s is %s", info->name,
			 info->up ? "up but has no carrier" : "down");
		info->state = MXW_LINK_DOWN;
	} else {
		snprintf(why, whylen, "interface %s is up, MTU %u", info->name, info->mtu);
		info->state = MXW_LINK_OK;
	}
	return 0;
}

int mxw_link_query(const char *name, struct mxw_link_info *info, char *why, size_t whylen)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *l = NULL;
	int err;

	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", name);
	sk = nl_socket_alloc();
	if (!sk) {
		err = -ENOMEM;
		goto out;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err) {
		snprintf(why, whylen, "netlink: %s", nl_geterror(err));
		info->state = MXW_LINK_ERROR;
		err = -EIO;
		goto out;
	}
	err = rtnl_link_get_kernel(sk, 0, name, &l);
	if (err) {
		snprintf(why, whylen, "interface %s not found", name);
		info->state = MXW_LINK_MISSING;
		err = -ENODEV;
		goto out;
	}
	err = fill_from_link(l, info, why, whylen);
out:
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return err;
}

struct mxw_link_watch {
	struct nl_sock *sk;
};

static int count_msg(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(*(int *)arg)++;
	return NL_OK;
}

int mxw_link_watch_open(struct mxw_link_watch **out)
{
	struct mxw_link_watch *w = calloc(1, sizeof(*w));
	int err = -ENOMEM;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->sk = nl_socket_alloc();
	if (!w->sk)
		goto out;
	nl_socket_disable_seq_check(w->sk);
	err = -EIO;
	if (nl_connect(w->sk, NETLINK_ROUTE) ||
	    nl_socket_add_membership(w->sk, RTNLGRP_LINK) ||
	    nl_socket_set_nonblocking(w->sk))
		goto out;
	*out = w;
	return 0;
out:
	mxw_link_watch_close(w);
	return err;
}

void mxw_link_watch_close(struct mxw_link_watch *w)
{
	if (!w)
		return;
	nl_socket_free(w->sk);
	free(w);
}

int mxw_link_watch_fd(const struct mxw_link_watch *w)
{
	return nl_socket_get_fd(w->sk);
}

int mxw_link_watch_drain(struct mxw_link_watch *w)
{
	/* a clone of the socket's callbacks keeps nl_socket_disable_seq_check:
	 * notifications carry seq 0 and a fresh set would reject them all */
	struct nl_cb *sk_cb = nl_socket_get_cb(w->sk); /* takes a reference */
	struct nl_cb *cb = nl_cb_clone(sk_cb);
	int n = 0;

	nl_cb_put(sk_cb);

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, count_msg, &n);
	/* non-blocking: fails with NLE_AGAIN once the socket is empty */
	for (int i = 0; i < 64 && nl_recvmsgs(w->sk, cb) == 0; i++)
		;
	nl_cb_put(cb);
	return n > 0;
}
