/* SPDX-License-Identifier: MIT */
/*
 * AF_PACKET access for MXoE.  Receive: TPACKET_V3 ring (the kernel fills
 * whole blocks; we walk a block's packets, then hand the block back), so a
 * burst costs one wake-up.  Transmit: frames are copied into a batch and
 * leave in one sendmmsg() call per loop iteration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "mxoe_wire.h"
#include "packet_io.h"

#define PIO_BLOCK_SIZE (1u << 20)
/* A V2 slot: the kernel puts the Ethernet header at 66 (tpacket2_hdr and
 * sockaddr_ll, the network header 16-aligned at 80), so a frame of MTU m
 * fits in 80 + m, plus room for a VLAN tag. */
#define PIO_V2_HEAD 96u
#define PIO_TX_BATCH 64u
#define PIO_FRAME_MAX 16384u

struct mxw_pio {
	int rx_fd, tx_fd, ifindex, version;
	unsigned nframes, frame_size;
	uint8_t *ring;
	size_t ring_len;
	unsigned nblocks, cur;
	unsigned ntx;
	uint8_t (*txbuf)[PIO_FRAME_MAX];
	uint32_t txlen[PIO_TX_BATCH];
	struct mxw_pio_stats st;
};

static int bind_packet(int fd, int ifindex, uint16_t proto)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(proto), .sll_ifindex = ifindex,
	};

	return bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ? -errno : 0;
}

/* Slots sized to the interface MTU: a 9000 MTU takes 115 a MiB, not 64. */
static unsigned v2_frame_size(unsigned mtu)
{
	unsigned f = (PIO_V2_HEAD + (mtu ? mtu : 9000u) + TPACKET_ALIGNMENT - 1) &
		     ~(TPACKET_ALIGNMENT - 1);

	return f > PIO_BLOCK_SIZE ? PIO_BLOCK_SIZE : f;
}

static int setup_rx(struct mxw_pio *p, unsigned ring_mb, unsigned mtu)
{
	int v = p->version == 2 ? TPACKET_V2 : TPACKET_V3, one = 1;
	struct tpacket_req3 req;

	p->rx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(MXW_ETHERTYPE));
	if (p->rx_fd < 0)
		return -errno;
	if (setsockopt(p->rx_fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)))
		return -errno;
	/* our own transmissions are not input */
	(void)setsockopt(p->rx_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	memset(&req, 0, sizeof(req));
	p->nblocks = (ring_mb ? ring_mb : 8) * (1u << 20) / PIO_BLOCK_SIZE;
	req.tp_block_size = PIO_BLOCK_SIZE;
	req.tp_block_nr = p->nblocks;
	req.tp_frame_size = 2048;
	req.tp_frame_nr = PIO_BLOCK_SIZE / 2048 * p->nblocks;
	req.tp_retire_blk_tov = 1;  /* ms: a partly filled block is handed up soon */
	if (p->version == 2) {
		/* per-frame hand-over: no block timer in the latency */
		p->frame_size = req.tp_frame_size = v2_frame_size(mtu);
		req.tp_frame_nr = PIO_BLOCK_SIZE / p->frame_size * p->nblocks;
		p->nframes = req.tp_frame_nr;
	}
	if (setsockopt(p->rx_fd, SOL_PACKET, PACKET_RX_RING, &req,
		       p->version == 2 ? sizeof(struct tpacket_req) : sizeof(req)))
		return -errno;
	p->ring_len = (size_t)PIO_BLOCK_SIZE * p->nblocks;
	p->ring = mmap(NULL, p->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED,
		       p->rx_fd, 0);
	if (p->ring == MAP_FAILED)
		p->ring = mmap(NULL, p->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->rx_fd, 0);
	if (p->ring == MAP_FAILED) {
		p->ring = NULL;
		return -errno;
	}
	return bind_packet(p->rx_fd, p->ifindex, MXW_ETHERTYPE);
}

static int setup_tx(struct mxw_pio *p)
{
	int sndbuf = 4 << 20;

	/* protocol 0: this socket never receives */
	p->tx_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (p->tx_fd < 0)
		return -errno;
	/* no PACKET_QDISC_BYPASS: it would also hide our frames from taps
	 * (tcpdump), which the layout test and operators rely on */
	(void)setsockopt(p->tx_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return bind_packet(p->tx_fd, p->ifindex, 0);
}

int mxw_pio_open(int ifindex, unsigned mtu, unsigned ring_mb, int version, struct mxw_pio **out)
{
	struct mxw_pio *p = calloc(1, sizeof(*p));
	int err;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->rx_fd = p->tx_fd = -1;
	p->ifindex = ifindex;
	p->version = version == 2 ? 2 : 3;
	p->txbuf = malloc(sizeof(*p->txbuf) * PIO_TX_BATCH);
	err = p->txbuf ? 0 : -ENOMEM;
	if (!err)
		err = setup_rx(p, ring_mb, mtu);
	if (!err)
		err = setup_tx(p);
	if (err) {
		mxw_pio_close(p);
		return err;
	}
	*out = p;
	return 0;
}

void mxw_pio_close(struct mxw_pio *p)
{
	if (!p)
		return;
	if (p->ring)
		munmap(p->ring, p->ring_len);
	if (p->rx_fd >= 0)
		close(p->rx_fd);
	if (p->tx_fd >= 0)
		close(p->tx_fd);
	free(p->txbuf);
	free(p);
}

int mxw_pio_fd(const struct mxw_pio *p)
{
	return p->rx_fd;
}

/* V2 slots are laid out back to back within a block, none across two. */
static struct tpacket2_hdr *v2_slot(const struct mxw_pio *p, unsigned i)
{
	unsigned per_block = PIO_BLOCK_SIZE / p->frame_size;

	return (void *)(p->ring + (size_t)(i / per_block) * PIO_BLOCK_SIZE +
			(size_t)(i % per_block) * p->frame_size);
}

static int rx_v2(struct mxw_pio *p, void (*fn)(void *arg, const uint8_t *frame, size_t len),
		 void *arg, unsigned budget)
{
	unsigned n = 0;

	while (n < budget) {
		struct tpacket2_hdr *h = v2_slot(p, p->cur);

		/* acquire: the frame's bytes are visible once we see TP_STATUS_USER */
		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		/* a frame cut to fit the slot (longer than the MTU) is not ours */
		if (h->tp_mac + h->tp_snaplen <= p->frame_size && h->tp_snaplen == h->tp_len)
			fn(arg, (const uint8_t *)h + h->tp_mac, h->tp_snaplen);
		else
			p->st.rx_truncated++;
		/* release: done reading before the kernel may reuse the frame */
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		p->cur = (p->cur + 1) % p->nframes;
		p->st.rx_frames++;
		n++;
	}
	return (int)n;
}

int mxw_pio_rx(struct mxw_pio *p, void (*fn)(void *arg, const uint8_t *frame, size_t len),
	       void *arg, unsigned budget)
{
	unsigned n = 0;

	if (p->version == 2)
		return rx_v2(p, fn, arg, budget);

	while (n < budget) {
		struct tpacket_block_desc *bd =
			(void *)(p->ring + (size_t)p->cur * PIO_BLOCK_SIZE);
		struct tpacket3_hdr *h;
		uint32_t npkts;

		/* acquire: the block's packets are visible once we see TP_STATUS_USER */
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			break;
		npkts = bd->hdr.bh1.num_pkts;
		h = (void *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < npkts; i++) {
			const uint8_t *frame = (const uint8_t *)h + h->tp_mac;

			/* the kernel wrote these offsets; still keep them inside the block */
			if ((const uint8_t *)frame + h->tp_snaplen <= (uint8_t *)bd + PIO_BLOCK_SIZE)
				fn(arg, frame, h->tp_snaplen);
			n++;
			h = (void *)((uint8_t *)h + h->tp_next_offset);
		}
		p->st.rx_frames += npkts;
		p->st.rx_blocks++;
		/* release: we are done reading before the kernel may refill it */
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		p->cur = (p->cur + 1) % p->nblocks;
	}
	return (int)n;
}

bool mxw_pio_rx_ready(const struct mxw_pio *p)
{
	if (p->version == 2)
		return __atomic_load_n(&v2_slot(p, p->cur)->tp_status, __ATOMIC_ACQUIRE) &
		       TP_STATUS_USER;

	const struct tpacket_block_desc *bd = (const void *)(p->ring + (size_t)p->cur * PIO_BLOCK_SIZE);

	return __atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
}

unsigned mxw_pio_rx_slots(const struct mxw_pio *p)
{
	/* a V3 block holds what fits; count 2 KiB per frame as the kernel does */
	return p->version == 2 ? p->nframes : p->nblocks * (PIO_BLOCK_SIZE / 2048u);
}

int mxw_pio_flush(struct mxw_pio *p)
{
	struct mmsghdr msgs[PIO_TX_BATCH];
	struct iovec iov[PIO_TX_BATCH];
	unsigned done = 0;

	if (!p->ntx)
		return 0;
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < p->ntx; i++) {
		iov[i].iov_base = p->txbuf[i];
		iov[i].iov_len = p->txlen[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (done < p->ntx) {
		int r = sendmmsg(p->tx_fd, msgs + done, p->ntx - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				struct pollfd pfd = { .fd = p->tx_fd, .events = POLLOUT };

				/* a full device queue: wait briefly, the frames are resent
				 * by the protocol if we give up */
				if (poll(&pfd, 1, 1) > 0)
					continue;
			}
			p->st.tx_drops += p->ntx - done;
			break;
		}
		done += (unsigned)r;
	}
	p->st.tx_frames += done;
	p->st.tx_batches++;
	p->ntx = 0;
	return (int)done;
}

uint8_t *mxw_pio_tx_slot(struct mxw_pio *p, size_t *cap)
{
	if (p->ntx == PIO_TX_BATCH)
		(void)mxw_pio_flush(p);
	*cap = PIO_FRAME_MAX;
	return p->txbuf[p->ntx];
}

bool mxw_pio_tx_full(const struct mxw_pio *p)
{
	return p->ntx == PIO_TX_BATCH;
}

int mxw_pio_tx_commit(struct mxw_pio *p, size_t len)
{
	if (len > PIO_FRAME_MAX || p->ntx == PIO_TX_BATCH)
		return -EMSGSIZE;
	p->txlen[p->ntx++] = (uint32_t)len;
	return 0;
}

int mxw_pio_tx(struct mxw_pio *p, const uint8_t *frame, size_t len)
{
	size_t cap;
	uint8_t *slot;

	if (len > PIO_FRAME_MAX)
		return -EMSGSIZE;
	slot = mxw_pio_tx_slot(p, &cap);
	memcpy(slot, frame, len);
	return mxw_pio_tx_commit(p, len);
}

void mxw_pio_get_stats(struct mxw_pio *p, struct mxw_pio_stats *out)
{
	struct tpacket_stats_v3 ks;
	socklen_t l = p->version == 2 ? sizeof(struct tpacket_stats) : sizeof(ks);

	if (getsockopt(p->rx_fd, SOL_PACKET, PACKET_STATISTICS, &ks, &l) == 0)
		p->st.kernel_drops += ks.tp_drops; /* the kernel resets on read */
	*out = p->st;
}
