/* SPDX-License-Identifier: MIT */
/*
 * mxw_flood: a hostile neighbour forging source MACs (tests/wire/ns_flood.sh).
 *
 *   mxw_flood IFACE VICTIM_MAC HOSTS EPS KEY MEDIUM_LEN
 *
 * From HOSTS spoofed MACs, each of EPS source endpoints sends a valid
 * CONNECT request to the victim's endpoint 1 with KEY.  The victim's
 * endpoint session is read from the first CONNECT reply seen on IFACE;
 * then, if MEDIUM_LEN > 0, every spoofed partner sends the first fragment
 * of a MEDIUM_LEN medium message and never the rest.  Frames are built
 * with the tree's own encoder so they follow whatever layout the engine
 * speaks.  Prints "connects N replies R session S mediums M".
 * Exit: 0 done, 1 error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "mxoe_wire.h"

static int fd = -1;
static struct sockaddr_ll to;
static uint8_t victim[6];
static unsigned replies;
static uint32_t session;
static bool have_session;

static void spoof_mac(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x06;
	mac[1] = 0xf1;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void drain(int timeout_ms)
{
	static uint8_t buf[16384];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct mxw_frame f;
	ssize_t n;

	while (poll(&p, 1, timeout_ms) > 0) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		timeout_ms = 0;
		if (memcmp(buf + 6, victim, 6) || mxw_decode(buf, (size_t)n, &f))
			continue;
		if (f.type == MXW_PKT_CONNECT && f.u.connect.is_reply &&
		    f.u.connect.status_code == MXW_CONNECT_STATUS_SUCCESS) {
			replies++;
			session = f.u.connect.target_session;
			have_session = true;
		}
	}
}

static int send_frame(struct mxw_frame *f, const uint8_t src[6], unsigned *count)
{
	static uint8_t buf[16384];
	int len;

	memcpy(f->dst_mac, victim, 6);
	memcpy(f->src_mac, src, 6);
	f->peer_index = MXW_PEER_INDEX_UNKNOWN;
	len = mxw_encode_frame(buf, sizeof(buf), f);
	if (len < 0) {
		fprintf(stderr, "mxw_flood: encode: %s\n", strerror(-len));
		return -1;
	}
	if (sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("mxw_flood: sendto");
		return -1;
	}
	/* paced: the point is the state the victim keeps, not its ring */
	if (++*count % 32 == 0) {
		drain(0);
		usleep(500);
	}
	return 0;
}

static int connects(uint32_t hosts, uint32_t eps, uint32_t key, unsigned *count)
{
	struct mxw_frame f;
	uint8_t mac[6];

	for (uint32_t h = 0; h < hosts; h++) {
		spoof_mac(h, mac);
		for (uint32_t e = 0; e < eps; e++) {
			memset(&f, 0, sizeof(f));
			f.type = MXW_PKT_CONNECT;
			f.u.connect.dst_ep = 1;
			f.u.connect.src_ep = (uint8_t)e;
			f.u.connect.src_dst_peer_index = MXW_PEER_INDEX_UNKNOWN;
			f.u.connect.src_session = 0x100000u + h * 256u + e;
			f.u.connect.app_key = key;
			if (send_frame(&f, mac, count))
				return -1;
		}
	}
	return 0;
}

static int mediums(uint32_t hosts, uint32_t eps, uint32_t len, uint32_t mtu, unsigned *count)
{
	static uint8_t chunk[16384];
	struct mxw_frame f;
	uint8_t mac[6];
	uint32_t frag = mxw_medium_frag_max(mtu);

	for (uint32_t h = 0; h < hosts; h++) {
		spoof_mac(h, mac);
		for (uint32_t e = 0; e < eps; e++) {
			memset(&f, 0, sizeof(f));
			f.type = MXW_PKT_MEDIUM;
			f.u.medium.msg.dst_ep = 1;
			f.u.medium.msg.src_ep = (uint8_t)e;
			f.u.medium.msg.length = len;
			f.u.medium.msg.seqnum = 0;
			f.u.medium.msg.session = session;
			f.u.medium.frag_seqnum = 0;
			f.payload = chunk;
			f.payload_len = frag < len ? frag : len;
			if (send_frame(&f, mac, count))
				return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t hosts, eps, key, len, mtu;
	unsigned nconn = 0, nmed = 0;
	unsigned m[6];
	struct ifreq ifr;

	if (argc != 7 || sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
				&m[5]) != 6) {
		fprintf(stderr, "usage: mxw_flood IFACE VICTIM_MAC HOSTS EPS KEY MEDIUM_LEN\n");
		return 2;
	}
	for (int i = 0; i < 6; i++)
		victim[i] = (uint8_t)m[i];
	hosts = (uint32_t)strtoul(argv[3], NULL, 0);
	eps = (uint32_t)strtoul(argv[4], NULL, 0);
	key = (uint32_t)strtoul(argv[5], NULL, 0);
	len = (uint32_t)strtoul(argv[6], NULL, 0);
	if (eps == 0 || eps > 256 || hosts == 0 || hosts > 65536) {
		fprintf(stderr, "mxw_flood: 1..65536 hosts, 1..256 endpoints\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(MXW_ETHERTYPE));
	if (fd < 0) {
		perror("mxw_flood: socket");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		perror("mxw_flood: SIOCGIFMTU");
		return 1;
	}
	mtu = (uint32_t)ifr.ifr_mtu;
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(MXW_ETHERTYPE);
	to.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!to.sll_ifindex || bind(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("mxw_flood: bind");
		return 1;
	}
	if (connects(hosts, eps, key, &nconn))
		return 1;
	drain(500);
	if (len && !have_session) {
		fprintf(stderr, "mxw_flood: no connect reply: session unknown\n");
		return 1;
	}
	if (len && mediums(hosts, eps, len, mtu, &nmed))
		return 1;
	drain(200);
	printf("connects %u replies %u session %08x mediums %u\n", nconn, replies, session, nmed);
	return 0;
}
