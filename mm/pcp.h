/*
 * Per-CPU page lists (mm/pcp.c, mm/pcp_free.c, mm/pcp_high.c), used by
 * mm/page_alloc.c and mm/page_free.c for blocks of orders 0-4. The
 * platform gives them the CPU number and IPIs (mm/platform.h).
 * docs/05-smp-and-per-cpu-lists.md explains them.
 */
#ifndef LABYRINTH_MM_PCP_H
#define LABYRINTH_MM_PCP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"
#include "mm/platform.h"

/* The kernel's node: turn the lists on once the CPUs are known. */
void mm_pcp_enable(unsigned int nr_cpus);
/* Sizes and empties every CPU's lists and turns them on for this node. */
void pgdat_pcp_enable(struct pglist_data *p, unsigned int nr_cpus);
/* Tests and fuzzers: sets zone zi's batch and high on every CPU, giving
 * the zone caches if it had none (small zones have none). Only while the
 * caches are empty. -1, with a message, for sizes the slots cannot hold. */
int pgdat_pcp_resize(struct pglist_data *p, int zi, unsigned int batch,
		     unsigned int high);

/* A block for a request of `order` (0 .. PCP_MAX_ORDER) and migrate type
 * `type` that passed its watermark test, from this CPU's cache of zone z
 * (read with interrupts off), refilling it without taking the zone below
 * `floor`. Its pfn, or 0 if none. */
uint64_t pcp_alloc(struct pglist_data *p, struct zone *z, uint64_t floor,
		   int type, unsigned int order);
/* Blocks of an order are cached only where a refill moves at least
 * PCP_BLOCKS_MIN of them under one lock hold (batch >> order): on a small
 * zone (batch 7 at 128 MiB) caching blocks only adds work (docs/05). Order
 * 4 (batch >> 4 is at most 3; a group holds four) only where high holds
 * PCP_HIGH_BATCHES of the largest batches (PCP_ORDER4_HIGH; boot sizes
 * it so only where refills take groups): with less, drains and refills
 * of its list ate what it saved (docs/08c, "Order 4 too").
 * pcp_set_sizes() keeps the answer in cached_orders, so that the paths
 * test one bit whatever the order. */
#define PCP_BLOCKS_MIN 4
static inline bool pcp_caches_order(const struct per_cpu_pages *pcp,
				    unsigned int order)
{
	return order < 8 && ((pcp->cached_orders >> order) & 1);
}
/* Sets an empty cache's batch, high and whether refills take groups, and
 * from them the orders it caches (mm/pcp_setup.c; benchmarks that turn
 * groups off call it too). */
void pcp_set_sizes(struct per_cpu_pages *pcp, unsigned int batch,
		   unsigned int high, bool group);
/* The block orders (bits 1 .. PCP_MAX_ORDER) some zone's caches take, 0
 * while the caches are off; and p->pcp_block_orders set to them (after
 * any pcp_set_sizes, and when the caches go on or off). */
uint8_t pgdat_pcp_zone_block_orders(const struct pglist_data *p);
void pgdat_pcp_orders_update(struct pglist_data *p);
/* Turns a node's caches off (blocks turned away, then every cache
 * drained) or back on, as benchmarks of the zone path do. */
void pgdat_pcp_switch(struct pglist_data *p, bool on);
/* May a block of `order` (1 .. PCP_MAX_ORDER) try the caches? The entry
 * points' one test (bit 0 is never set: single frames have their own);
 * the paths check the zone's own cache again. A plain read, as of
 * pcp_enabled: the mask changes only while the node is quiet (boot,
 * resizes, the bench's switch), and a relaxed atomic load cost the
 * mixed stream 0.9 % of its instructions (it kept the compiler from
 * reusing the load). */
static inline bool pgdat_pcp_takes_blocks(const struct pglist_data *p,
					  unsigned int order)
{
	return order <= PCP_MAX_ORDER && ((p->pcp_block_orders >> order) & 1);
}
/* mm/pcp_high.c: the same for orders 1 .. PCP_MAX_ORDER; and
 * (mm/pcp_free.c) the free of such a block (the caller checked its
 * alignment and that the caches are on): parked as an order-0 free is, or
 * handed to the locked path. */
uint64_t pcp_alloc_block(struct pglist_data *p, struct zone *z, uint64_t floor,
			 int type, unsigned int order);
int pcp_free_block(struct pglist_data *p, uint64_t phys, unsigned int order,
		   void *caller);
/* A request of order 1 .. PCP_MAX_ORDER on a node whose caches are on, as
 * pcp_alloc_fast serves order 0: from this CPU's cache of the first zone
 * the request may use when that is all it needs, else the general path. */
uint64_t pcp_alloc_block_fast(struct pglist_data *p, gfp_t gfp,
			      unsigned int order, void *caller);
/* Between mm/pcp.c and mm/pcp_high.c: gives up to n pages (at least n if
 * there are) of this CPU's cache back to the zone, the fullest list first,
 * interrupts off; and, under the zone lock, up to n pages (rounded up to a
 * block) of the blocks of one order and type, returning the pages. */
void pcp_free_bulk(struct pglist_data *p, struct zone *z,
		   struct per_cpu_pages *pcp, unsigned int n);
unsigned int pcp_drain_blocks_locked(struct pglist_data *p, struct zone *z,
				     struct per_cpu_pages *pcp,
				     unsigned int order, int type,
				     unsigned int n);
/* Between the same two: an aligned group of PCP_GROUP_PAGES frames parked
 * as blocks of `order` in empty slots, where the cache takes groups and the
 * zone keeps `limit` without it; the pages, or 0. Zone lock held. */
unsigned int pcp_refill_group(struct pglist_data *p, struct zone *z,
			      struct per_cpu_pages *pcp, int type,
			      unsigned int order, uint64_t limit);
/* The order-0 fast path (docs/05, "The fast path"), for a node whose lists
 * are on (the caller tests pcp_enabled): a page from this CPU's
 * list of the first zone the request may use, when the request is an
 * ordinary one, the zone is above its low watermark plus protection, and
 * no debug option is on. Otherwise, and when the list is empty, it
 * hands the request to the general path (alloc_pages_general), which
 * decides from the start. Returns the physical address or 0. */
uint64_t pcp_alloc_fast(struct pglist_data *p, gfp_t gfp, void *caller);
/* Flags the fast path leaves to the general path: unknown bits, the zone
 * modifiers (no list in DMA; DMA32 requests are rare, and without them the
 * fast path's first zone is a constant), __GFP_NOFAIL (refused without
 * __GFP_DIRECT_RECLAIM). */
#define PCP_FAST_GFP_OFF \
	(~__GFP_BITS_MASK | __GFP_DMA | __GFP_DMA32 | __GFP_NOFAIL)
/* Frees an order-0 block whose address was checked, on a node whose lists
 * are on (the caller tests pcp_enabled): parks it on this
 * CPU's list for its pageblock's type if its owner holds it, the zone is
 * above `low` and the pageblock is an ordinary one, or else
 * hands it to the locked path (free_pages_locked), which checks and
 * reports. Returns 0, or -1 for a bad free. */
int pcp_free(struct pglist_data *p, uint64_t phys, void *caller);

/* A slot's frame, and the slot of a frame of the cache's zone: a slot
 * holds pfn - base_pfn (32 bits). */
static inline uint64_t slot_pfn(const struct per_cpu_pages *pcp, uint32_t slot)
{
	return pcp->base_pfn + slot;
}

static inline uint32_t pfn_slot(const struct per_cpu_pages *pcp, uint64_t pfn)
{
	return (uint32_t)(pfn - pcp->base_pfn);
}

/* The fast paths' rare end (mm/pcp.c): an interrupt the host held back
 * while they ran is replayed, then `ret`. Out of line and cold. */
uint64_t pcp_replay_then(uint64_t ret);

/* Gives this CPU's lists back to the zones, PCP_DRAIN_CHUNK pages per
 * interrupts-off stretch: a cache holds up to a few hundred pages, and
 * draining them all at once kept interrupts off for 17,000 instructions
 * (docs/10b, "How long are interrupts off?"). */
#define PCP_DRAIN_CHUNK 32
void pcp_drain_local(struct pglist_data *p);
/* The same, handing `note` each stretch's length in ns (compaction's
 * record of its interrupts-off stretches). */
void pcp_drain_local_timed(struct pglist_data *p,
			   void (*note)(struct pglist_data *p, uint64_t ns));
/* One stretch of that: up to `max` pages (a block counts its pages and is
 * never split, so a little more) from this CPU's lists, interrupts off;
 * returns the pages still parked there. */
unsigned int pcp_drain_local_some(struct pglist_data *p, unsigned int max);
/* Every CPU's lists, when the caller may wait for the IPIs; else this
 * CPU's only. Linux's drain_all_pages. */
void drain_all_pages(struct pglist_data *p);
/* Frames parked on all lists of the node (a snapshot). */
uint64_t pcp_parked_pages(const struct pglist_data *p);

/* page_alloc.c: one order-0 frame of `type` from the buddy lists, falling
 * back to other types as any allocation does. Zone lock held. */
uint64_t rmqueue_order0(struct pglist_data *p, struct zone *z, int type);

#endif
