/* SPDX-License-Identifier: MIT */
/*
 * Raw MXoE frames on one interface: an AF_PACKET socket bound to the
 * interface and EtherType 0x86DF with a TPACKET_V3 (or V2) mmap receive ring, and
 * a second AF_PACKET socket for batched transmission (sendmmsg).
 * Error convention: 0 / a count, or -errno.
 */
#ifndef MXW_PACKET_IO_H
#define MXW_PACKET_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mxw_pio;

struct mxw_pio_stats {
	uint64_t rx_frames, rx_blocks, tx_frames, tx_batches, tx_drops;
	uint64_t kernel_drops;      /* PACKET_STATISTICS tp_drops */
	uint64_t rx_truncated;      /* longer than a ring slot (the MTU): dropped */
};

/* mtu: the interface's (sizes the V2 slots).  ring_mb: receive ring size in
 * MiB (0 = 8).  version 3: TPACKET_V3 block ring (a burst costs one
 * wake-up, but a lone frame waits up to the 1 ms block timer); version 2:
 * TPACKET_V2 frame ring (each frame wakes us). */
int mxw_pio_open(int ifindex, unsigned mtu, unsigned ring_mb, int version, struct mxw_pio **out);
void mxw_pio_close(struct mxw_pio *p);
/* Poll this fd for POLLIN; the ring is then drained by mxw_pio_rx. */
int mxw_pio_fd(const struct mxw_pio *p);
/* Hand up to 'budget' received frames to fn; returns how many. */
int mxw_pio_rx(struct mxw_pio *p, void (*fn)(void *arg, const uint8_t *frame, size_t len),
	       void *arg, unsigned budget);
/* How many frames the receive ring holds before the kernel drops. */
unsigned mxw_pio_rx_slots(const struct mxw_pio *p);
/* Queue a copy of one frame; sent at the next flush or when the batch fills. */
int mxw_pio_tx(struct mxw_pio *p, const uint8_t *frame, size_t len);
/* Or build it in place: the next batch slot (*cap bytes; flushes a full
 * batch first), then commit its length.  Saves the copy of mxw_pio_tx. */
uint8_t *mxw_pio_tx_slot(struct mxw_pio *p, size_t *cap);
int mxw_pio_tx_commit(struct mxw_pio *p, size_t len);
/* Is the batch full (the next frame sends it first)? */
bool mxw_pio_tx_full(const struct mxw_pio *p);
/* Does the receive ring hold a frame (block) for us?  Reads one status
 * word: the daemon's spinning poll window checks it without a syscall. */
bool mxw_pio_rx_ready(const struct mxw_pio *p);
/* Send everything queued; returns frames sent or -errno. */
int mxw_pio_flush(struct mxw_pio *p);
void mxw_pio_get_stats(struct mxw_pio *p, struct mxw_pio_stats *out);

#endif /* MXW_PACKET_IO_H */
