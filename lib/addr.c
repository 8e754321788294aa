/* SPDX-License-Identifier: MIT */
/*
 * mx_endpoint_addr_t packing.  Word 0: nic id (48 bits) | endpoint << 48 |
 * valid bit 63.  Word 1: daemon peer index (16 bits) | session << 16 |
 * owner << 48, the serial of the local endpoint that produced it (an MX
 * address belongs to one local endpoint; its context is per owner).  The
 * address is everything a send needs, so replying to status.source works
 * without mx_connect.
 *
 * Address contexts (mx_set/get_endpoint_addr_context) live in a small
 * process-wide hash keyed by the whole address.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "mxl.h"

#define MXL_ADDR_VALID (1ull << 63)
#define MXL_NIC_MASK 0xffffffffffffull

void mxl_addr_pack(const struct mxl_addr *a, mx_endpoint_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	out->stuff[0] = (a->nic_id & MXL_NIC_MASK) | ((uint64_t)a->endpoint << 48) | MXL_ADDR_VALID;
	out->stuff[1] = (uint64_t)a->peer | ((uint64_t)a->session << 16) |
			((uint64_t)a->owner << 48);
}

bool mxl_addr_unpack(const mx_endpoint_addr_t *in, struct mxl_addr *a)
{
	a->valid = (in->stuff[0] & MXL_ADDR_VALID) != 0;
	a->nic_id = in->stuff[0] & MXL_NIC_MASK;
	a->endpoint = (uint8_t)(in->stuff[0] >> 48);
	a->peer = (uint16_t)in->stuff[1];
	a->session = (uint32_t)(in->stuff[1] >> 16);
	a->owner = (uint16_t)(in->stuff[1] >> 48);
	return a->valid;
}

void mxl_addr_from_source(const struct mx_endpoint *ep, const struct mxl_source *s,
			  mx_endpoint_addr_t *out)
{
	struct mxl_addr a = {
		.nic_id = s->nic_id, .session = s->session, .peer = s->peer,
		.owner = ep->serial, .endpoint = s->endpoint, .valid = true,
	};

	mxl_addr_pack(&a, out);
}

MXL_EXPORT mx_return_t mx_decompose_endpoint_addr(mx_endpoint_addr_t endpoint_addr,
						  uint64_t *nic_id, uint32_t *endpoint_id)
{
	struct mxl_addr a;

	if (!mxl_addr_unpack(&endpoint_addr, &a))
		return mxl_error(NULL, "mx_decompose_endpoint_addr", MX_BAD_ENDPOINT);
	if (nic_id)
		*nic_id = a.nic_id;
	if (endpoint_id)
		*endpoint_id = a.endpoint;
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_decompose_endpoint_addr2(mx_endpoint_addr_t endpoint_addr,
						   uint64_t *nic_id, uint32_t *endpoint_id,
						   uint32_t *session_id)
{
	struct mxl_addr a;

	if (!mxl_addr_unpack(&endpoint_addr, &a))
		return mxl_error(NULL, "mx_decompose_endpoint_addr2", MX_BAD_ENDPOINT);
	if (nic_id)
		*nic_id = a.nic_id;
	if (endpoint_id)
		*endpoint_id = a.endpoint;
	if (session_id)
		*session_id = a.session;
	return MX_SUCCESS;
}

/* ---- address contexts ---- */

#define MXL_ACTX_BUCKETS 256u

struct mxl_actx {
	struct mxl_actx *next;
	uint64_t key[2];
	void *context;
};

static pthread_mutex_t actx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mxl_actx *actx_table[MXL_ACTX_BUCKETS];

static struct mxl_actx **actx_slot(const mx_endpoint_addr_t *a)
{
	uint64_t h = (a->stuff[0] ^ (a->stuff[1] * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	struct mxl_actx **pp = &actx_table[(h >> 56) % MXL_ACTX_BUCKETS];

	while (*pp && memcmp((*pp)->key, a->stuff, sizeof((*pp)->key)))
		pp = &(*pp)->next;
	return pp;
}

MXL_EXPORT mx_return_t mx_set_endpoint_addr_context(mx_endpoint_addr_t endpoint_addr, void *context)
{
	struct mxl_actx **pp, *e;
	struct mxl_addr a;
	mx_return_t ret = MX_SUCCESS;

	if (!mxl_addr_unpack(&endpoint_addr, &a))
		return mxl_error(NULL, "mx_set_endpoint_addr_context", MX_BAD_ENDPOINT);
	pthread_mutex_lock(&actx_lock);
	pp = actx_slot(&endpoint_addr);
	if (*pp) {
		(*pp)->context = context;
	} else if ((e = calloc(1, sizeof(*e))) != NULL) {
		memcpy(e->key, endpoint_addr.stuff, sizeof(e->key));
		e->context = context;
		*pp = e;
	} else {
		ret = MX_NO_RESOURCES;
	}
	pthread_mutex_unlock(&actx_lock);
	return ret == MX_SUCCESS ? ret : mxl_error(NULL, "mx_set_endpoint_addr_context", ret);
}

MXL_EXPORT mx_return_t mx_get_endpoint_addr_context(mx_endpoint_addr_t endpoint_addr,
						    void **context)
{
	struct mxl_actx **pp;
	struct mxl_addr a;

	if (!mxl_addr_unpack(&endpoint_addr, &a) || !context)
		return mxl_error(NULL, "mx_get_endpoint_addr_context", MX_BAD_ENDPOINT);
	pthread_mutex_lock(&actx_lock);
	pp = actx_slot(&endpoint_addr);
	*context = *pp ? (*pp)->context : NULL;
	pthread_mutex_unlock(&actx_lock);
	return MX_SUCCESS;
}

/* mx_finalize: every address dies with its endpoints. */
void mxl_addr_contexts_clear(void)
{
	uint32_t i;

	pthread_mutex_lock(&actx_lock);
	for (i = 0; i < MXL_ACTX_BUCKETS; i++) {
		while (actx_table[i]) {
			struct mxl_actx *e = actx_table[i];

			actx_table[i] = e->next;
			free(e);
		}
	}
	pthread_mutex_unlock(&actx_lock);
}

MXL_EXPORT mx_return_t mx_get_endpoint_addr(mx_endpoint_t ep, mx_endpoint_addr_t *endpoint_addr)
{
	struct mxl_addr a;

	if (!ep || !endpoint_addr)
		return mxl_error(ep, "mx_get_endpoint_addr", MX_BAD_ENDPOINT);
	a.nic_id = ep->info.nic_id;
	a.session = ep->info.session;
	a.peer = MXN_PEER_SELF;
	a.owner = ep->serial;
	a.endpoint = ep->info.endpoint;
	a.valid = true;
	mxl_addr_pack(&a, endpoint_addr);
	return MX_SUCCESS;
}
