/* SPDX-License-Identifier: MIT */
/* Intrusive doubly linked list used by the matching queues and requests. */
#ifndef MXL_LIST_H
#define MXL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct mxl_list {
	struct mxl_list *prev, *next;
};

#define mxl_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void mxl_list_init(struct mxl_list *h)
{
	h->prev = h->next = h;
}

static inline bool mxl_list_empty(const struct mxl_list *h)
{
	return h->next == h;
}

static inline void mxl_list_add_tail(struct mxl_list *h, struct mxl_list *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

/* Leaves the node self-linked so a second del (or a linked test) is safe. */
static inline void mxl_list_del(struct mxl_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static inline bool mxl_list_linked(const struct mxl_list *n)
{
	return n->next != n;
}

#define mxl_list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#endif /* MXL_LIST_H */
