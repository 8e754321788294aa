/* SPDX-License-Identifier: MIT */
/* Per-connection sequence numbers and the duplicate filter: see seqtrack.h. */
#include <stddef.h>
#include "seqtrack.h"

static struct mxl_seq_peer *find(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint,
				 uint32_t session)
{
	struct mxl_seq_peer *victim = &t->p[0];
	uint32_t i;

	t->clock++;
	for (i = 0; i < MXL_SEQ_PEERS; i++) {
		struct mxl_seq_peer *p = &t->p[i];

		if (p->used && p->nic_id == nic_id && p->endpoint == endpoint &&
		    p->session == session) {
			p->stamp = t->clock;
			return p;
		}
		if (!p->used ? victim->used : (victim->used && p->stamp < victim->stamp))
			victim = p;
	}
	*victim = (struct mxl_seq_peer){ .nic_id = nic_id, .session = session,
					 .endpoint = endpoint, .used = true, .stamp = t->clock };
	return victim;
}

uint16_t mxl_seq_next(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint,
		      uint32_t session)
{
	struct mxl_seq_peer *p = find(t, nic_id, endpoint, session);

	if (++p->next_send == 0)
		p->next_send = 1;
	return p->next_send;
}

void mxl_seq_rekey(struct mxl_seqtrack *t, uint64_t from, uint64_t to)
{
	uint32_t i;

	for (i = 0; i < MXL_SEQ_PEERS; i++)
		if (t->p[i].used && t->p[i].nic_id == from)
			t->p[i].nic_id = to;
}

void mxl_seq_rekey_one(struct mxl_seqtrack *t, uint64_t from, uint8_t endpoint, uint32_t session,
		       uint64_t to)
{
	struct mxl_seq_peer *was = NULL, *dup = NULL;
	uint32_t i;

	for (i = 0; i < MXL_SEQ_PEERS; i++) {
		struct mxl_seq_peer *p = &t->p[i];

		if (!p->used || p->endpoint != endpoint || p->session != session)
			continue;
		if (p->nic_id == from)
			was = p;
		else if (p->nic_id == to)
			dup = p;
	}
	if (!was || from == to)
		return;
	if (dup) /* numbers from before the move are the ones that go on */
		dup->used = false;
	was->nic_id = to;
}

/* Numbers skip 0, so distance is counted in the 65535-long cycle. */
static bool not_newer(const struct mxl_seq_peer *p, uint16_t seq)
{
	uint32_t ahead;

	if (!p->last_recv)
		return false;
	ahead = ((uint32_t)seq + 65535u - p->last_recv) % 65535u;
	return ahead == 0 || ahead >= 32768u;
}

bool mxl_seq_dup(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint, uint32_t session,
		 uint16_t seq)
{
	struct mxl_seq_peer *p;

	if (!seq)
		return false;
	p = find(t, nic_id, endpoint, session);
	if (not_newer(p, seq))
		return true;
	p->last_recv = seq;
	return false;
}

bool mxl_seq_dup_wire(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint,
		      uint32_t session, uint16_t wire)
{
	struct mxl_seq_peer *p = find(t, nic_id, endpoint, session);
	uint16_t ahead = (uint16_t)((wire - p->last_wire) & 0x3fffu);

	if (p->wire_known && !((wire ^ p->last_wire) & 0xc000u) && (ahead == 0 || ahead >= 0x2000u))
		return true;
	p->last_wire = wire;
	p->wire_known = true;
	return false;
}

bool mxl_seq_seen(struct mxl_seqtrack *t, uint64_t nic_id, uint8_t endpoint, uint32_t session,
		  uint16_t seq)
{
	return seq && not_newer(find(t, nic_id, endpoint, session), seq);
}
