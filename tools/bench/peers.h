/*
 * Two small buddy allocators written only to be measured against Labyrinth
 * (`make bench`, issue 16's random workloads), each after the published
 * design of an allocator in its class, not after its code:
 *
 *   bbuddy    Unikraft's ukallocbbuddy: free lists per order linked
 *             through the free blocks, whose head holds its order, and a
 *             bitmap with one bit per page set over every allocated block
 *             (an allocation or a free writes 2^order bits).
 *   tagbuddy  the Nautilus/Kitten buddy_mempool: the same lists, and one
 *             tag bit per page that only a block's head uses (free or not),
 *             so an allocation or a free writes one bit.
 *
 * No locks, no checks of the caller: they do far less than Labyrinth and
 * set the bar it must meet. docs/08-measuring.md explains the figures.
 */
#ifndef LABYRINTH_TOOLS_BENCH_PEERS_H
#define LABYRINTH_TOOLS_BENCH_PEERS_H

#include <stdbool.h>
#include <stdint.h>

#define PEER_MAX_ORDER 10 /* 4 MiB blocks, as Labyrinth's MAX_ORDER */

struct peer_block {
	struct peer_block *next, *prev;
	unsigned int order;
};

struct peer_buddy {
	char *base;	/* the memory managed: pages at base + 4096 * i */
	uint64_t pages; /* a multiple of 2^PEER_MAX_ORDER */
	uint64_t *bits; /* one bit per page (bbuddy: in use; tag: free head) */
	bool per_page;	/* bbuddy's marking; tagbuddy's otherwise */
	struct peer_block free_list[PEER_MAX_ORDER + 1]; /* list heads */
};

/* Manages [base, base + bytes) with a bitmap at bits (pages / 8 bytes,
 * zeroed by the caller). Every 4 MiB block starts free. */
void peer_init(struct peer_buddy *b, bool per_page, void *base, uint64_t bytes,
	       uint64_t *bits);
/* The page index of 2^order free pages, or -1. */
int64_t peer_alloc(struct peer_buddy *b, unsigned int order);
void peer_free(struct peer_buddy *b, uint64_t page, unsigned int order);

#endif
