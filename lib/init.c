/* SPDX-License-Identifier: MIT */
/* Library-wide state: initialisation and the list of open endpoints. */
#include "mxl.h"

static pthread_mutex_t mxl_global = PTHREAD_MUTEX_INITIALIZER;
static int mxl_init_count;
static struct mx_endpoint *mxl_open_list;

void mxl_global_lock(void)
{
	pthread_mutex_lock(&mxl_global);
}

void mxl_global_unlock(void)
{
	pthread_mutex_unlock(&mxl_global);
}

int mxl_initialized(void)
{
	int n;

	mxl_global_lock();
	n = mxl_init_count;
	mxl_global_unlock();
	return n;
}

struct mx_endpoint *mxl_first_endpoint(void)
{
	return mxl_open_list;
}

/* Endpoints open in this process (read without the lock). */
static _Atomic uint32_t mxl_nopen;

bool mxl_several_endpoints(void)
{
	return atomic_load_explicit(&mxl_nopen, memory_order_relaxed) > 1;
}

void mxl_register_endpoint(struct mx_endpoint *ep)
{
	mxl_global_lock();
	ep->next_open = mxl_open_list;
	mxl_open_list = ep;
	atomic_fetch_add_explicit(&mxl_nopen, 1, memory_order_relaxed);
	mxl_global_unlock();
}

void mxl_unregister_endpoint(struct mx_endpoint *ep)
{
	struct mx_endpoint **pp;

	mxl_global_lock();
	for (pp = &mxl_open_list; *pp; pp = &(*pp)->next_open) {
		if (*pp == ep) {
			*pp = ep->next_open;
			atomic_fetch_sub_explicit(&mxl_nopen, 1, memory_order_relaxed);
			break;
		}
	}
	mxl_global_unlock();
}

MXL_EXPORT mx_return_t mx__init_api(int api)
{
	/* Same major API family only: 0x3xx. */
	if ((api >> 8) != (MX_API >> 8))
		return mxl_error(NULL, "mx_init", MX_BAD_LIB_VERSION);
	mxl_global_lock();
	mxl_init_count++;
	mxl_global_unlock();
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_finalize(void)
{
	struct mx_endpoint *ep;

	mxl_global_lock();
	if (mxl_init_count == 0) {
		mxl_global_unlock();
		return mxl_error(NULL, "mx_finalize", MX_NOT_INITIALIZED);
	}
	if (--mxl_init_count > 0) {
		mxl_global_unlock();
		return MX_SUCCESS;
	}
	mxl_global_unlock();
	/* Last finalize closes whatever the application left open. */
	while ((ep = mxl_first_endpoint()) != NULL)
		mxl_endpoint_close(ep);
	mxl_addr_contexts_clear();
	return MX_SUCCESS;
}
