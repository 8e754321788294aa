/* SPDX-License-Identifier: MIT */
/*
 * The wire interface as the kernel sees it, through libnl-route: index,
 * MAC, MTU, link state, and a watch that reports changes.
 * Error convention: 0 or -errno; a failed query also fills 'why'.
 */
#ifndef MXW_LINK_H
#define MXW_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define MXW_MTU_MIN 1500u           /* smaller and mediums need > 32 frags */
#define MXW_MTU_OPEN_MX 9000u       /* what a default native Open-MX build expects */

enum mxw_link_state {
	MXW_LINK_OK = 0,
	MXW_LINK_MISSING,           /* no such interface */
	MXW_LINK_DOWN,              /* administratively down or no carrier */
	MXW_LINK_MTU_SMALL,         /* MTU below MXW_MTU_MIN */
	MXW_LINK_ERROR,             /* netlink failed */
};

struct mxw_link_info {
	char name[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu;
	bool up, running;
	enum mxw_link_state state;
};

const char *mxw_link_state_name(enum mxw_link_state s);
/* Query 'name' now; info->state says whether the wire can run on it. */
int mxw_link_query(const char *name, struct mxw_link_info *info, char *why, size_t whylen);

struct mxw_link_watch;
/* Subscribe to link notifications (RTNLGRP_LINK). */
int mxw_link_watch_open(struct mxw_link_watch **out);
void mxw_link_watch_close(struct mxw_link_watch *w);
int mxw_link_watch_fd(const struct mxw_link_watch *w);
/* Drain pending notifications; returns 1 if any arrived, 0 if none. */
int mxw_link_watch_drain(struct mxw_link_watch *w);

#endif /* MXW_LINK_H */
