/* SPDX-License-Identifier: MIT */
/*
 * The native Open-MX node of omx_conform (omx_conform.c), shared with its
 * restart mode (omx_restart.c): Open-MX 1.5.4's layouts (common/omx_wire.h,
 * native mode), by byte offset, big-endian.  Not the engine's codec.
 */
#ifndef OMX_NODE_H
#define OMX_NODE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define ETHERTYPE_OMX 0x86df
#define B 16                        /* body offset: Ethernet header + peer index */
enum { T_HQ = 3, T_HR = 4, T_TRUC = 35, T_CONNECT, T_TINY, T_SMALL, T_MEDIUM, T_RNDV,
       T_PULL, T_PULL_REPLY, T_NOTIFY, T_NACK_LIB, T_NACK_MCP };
#define MAGIC 0x13052008u
#define OUR_EP 0
#define THEIR_EP 1
#define OUR_SESSION 0x0badcafeu
#define OUR_INDEX_OF_THEM 3         /* our peer table index of the daemon */
#define RDMA_ID 5
#define RDMA_SEQ 1
#define PULL_HANDLE 0x77
#define PULL_MAGIC 0x13572468u

extern int fd, failures;
extern uint8_t me[6], them[6];
extern uint32_t mtu, key, med_max, reply_max;
extern uint32_t their_session, their_index_of_us;
extern uint16_t send_seq, recv_next;  /* ours out, theirs in */
extern bool tx_mute;

#define CHECK(c, ...) do { if (!(c)) { failures++; fprintf(stderr, "FAIL %s: ", #c); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

void put16(uint8_t *b, unsigned o, uint16_t v);
void put32(uint8_t *b, unsigned o, uint32_t v);
uint16_t get16(const uint8_t *b, unsigned o);
uint32_t get32(const uint8_t *b, unsigned o);
uint8_t pat(uint64_t match, uint32_t i);
uint64_t now_ms(void);
void head(uint8_t *f, uint8_t type);
void tx(const uint8_t *f, size_t len);
void tx_truc(void);
void answer_query(const uint8_t *q);
void msg_hdr(uint8_t *f, uint8_t type, uint64_t match);
void next_send(void);
uint32_t serve_pull(const uint8_t *p, uint64_t match, uint32_t len, uint8_t id, uint8_t seq);

/* omx_restart.c: -r COUNT -H FILE [-P N[,M]] [-M] [-D] (see there) */
int omx_restart_run(unsigned count, const char *hold_file, const char *pauses, bool mute,
		    bool dup);

static inline uint16_t seq_inc(uint16_t s)      /* 14 bits of seqnum, 2 of session */
{
	return (uint16_t)((s & 0xc000) | ((s + 1) & 0x3fff));
}
static inline uint16_t seq_diff(uint16_t a, uint16_t b)
{
	return (uint16_t)((a - b) & 0x3fff);
}
#endif
