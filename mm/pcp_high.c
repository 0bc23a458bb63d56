/*
 * Per-CPU caches of blocks of orders 1 .. PCP_MAX_ORDER (8 to 64 KiB), as
 * Linux keeps them up to PAGE_ALLOC_COSTLY_ORDER (3) since 5.13, and order
 * 4 where high has room for it (pcp_caches_order): without them
 * every such request takes the zone lock and splits, and every free takes
 * it and merges. The blocks sit in their own slots of the CPU's cache
 * (hslots, by order and migrate type), counted in pages with the single
 * frames against the same `high`; a parked block's head byte is PFS_PCP
 * with its order, its other frames stay PFS_TAIL. The rules are the order-0
 * ones (mm/pcp.c): the refill keeps the request's floor, nothing is parked
 * below low, the state byte is claimed with a compare-and-swap. Here: the
 * blocks' refill and drain. Their fast allocation and their free are the
 * order-0 ones with the order a variable (mm/pcp.c, mm/pcp_free.c).
 * docs/05-smp-and-per-cpu-lists.md, "Blocks of orders 1 to 3"; order 4,
 * docs/08c-per-cpu-caches.md, "Order 4 too".
 */
#include "mm/internal.h"
#include "mm/pcp.h"
#include "mm/platform.h"

static inline uint16_t *blocks_held(struct per_cpu_pages *pcp,
				    unsigned int order, int type)
{
	return &pcp->hnr[order - 1][type];
}

static inline uint32_t *block_slots(struct per_cpu_pages *pcp,
				    unsigned int order, int type)
{
	return pcp->hslots[order - 1][type];
}

unsigned int pcp_drain_blocks_locked(struct pglist_data *p, struct zone *z,
				     struct per_cpu_pages *pcp,
				     unsigned int order, int type,
				     unsigned int n)
{
	uint16_t *nr = blocks_held(pcp, order, type);
	uint32_t *slots = block_slots(pcp, order, type);
	unsigned int k = 0, given = 0;
	lockdep_assert_held(&z->lock);
	/* From the bottom (the coldest). */
	while (k < *nr && given < n) {
		uint64_t pfn = pcp->base_pfn + slots[k++];
		struct mem_section *sec = pfn_to_section(p, pfn);
		/* As for single frames: never PFS_ALLOC in between (mm/pcp.c,
		 * drain_frames_locked in mm/pcp_free.c). */
		sec->frame_state[pfn - sec->first_pfn] = PFS_TAIL;
		__free_one_page(p, z, sec, pfn, order);
		given += 1u << order;
	}
	*nr = (uint16_t)(*nr - k);
	memmove(slots, slots + k, *nr * sizeof(slots[0]));
	pcp_count_set(pcp, pcp->count - given);
	return given;
}

/* Fills the empty slots of (order, type) with up to a batch's worth of
 * pages, never taking the zone below `floor`, nor below low but for the one
 * block asked for. Zone lock taken here; interrupts off. */
static __attribute__((noinline)) unsigned int
refill_blocks(struct pglist_data *p, struct zone *z, struct per_cpu_pages *pcp,
	      uint64_t floor, int type, unsigned int order)
{
	uint64_t size = 1ULL << order;
	uint16_t *nr = blocks_held(pcp, order, type);
	uint32_t *slots = block_slots(pcp, order, type);
	lockdep_assert_irqs_disabled();
	spin_lock(&z->lock);
	uint64_t limit =
	    floor > z->watermark[WMARK_LOW] ? floor : z->watermark[WMARK_LOW];
	uint64_t free = z->free_pages;
	unsigned int want = pcp->batch >> order;
	if (want < 1)
		want = 1;
	/* The block asked for passed its watermark test (free - (size - 1)
	 * > floor) before; only what lies above the limit may be parked. */
	if (free < size || free - (size - 1) <= floor)
		want = 0;
	else if (free <= limit + size)
		want = 1;
	else if ((free - limit) / size < want)
		want = (unsigned int)((free - limit) / size);
	/* A whole group instead of a full refill, as for single frames
	 * (mm/pcp.c, pcp_refill). */
	if (want == (unsigned int)pcp->batch >> order &&
	    pcp_refill_group(p, z, pcp, type, order, limit))
		want = 0;
	for (unsigned int i = 0; i < want && *nr < PCP_HSLOTS; i++) {
		uint64_t pfn = __rmqueue(p, z, order, type);
		if (!pfn)
			break;
		pfn_state_managed(p, pfn)[0] = PFS_PCP | order;
		slots[(*nr)++] = (uint32_t)(pfn - pcp->base_pfn);
		pcp_count_set(pcp, pcp->count + (unsigned int)size);
	}
	if (*nr) {
		pcp->refills++;
		if (z->free_pages < z->watermark[WMARK_MIN])
			z->reserve_dips++;
	}
	spin_unlock(&z->lock);
	return *nr;
}

uint64_t pcp_alloc_block(struct pglist_data *p, struct zone *z, uint64_t floor,
			 int type, unsigned int order)
{
	unsigned long flags;
	uint64_t pfn = 0;
	BUG_ON(order < 1 || order > PCP_MAX_ORDER);
	local_irq_save(flags);
	/* stable now: interrupts off */
	struct per_cpu_pages *pcp = zone_pcp(z, mm_this_cpu());
	if (pcp && pcp_caches_order(pcp, order) &&
	    (*blocks_held(pcp, order, type) ||
	     refill_blocks(p, z, pcp, floor, type, order))) {
		uint16_t *nr = blocks_held(pcp, order, type);
		pfn = pcp->base_pfn + block_slots(pcp, order, type)[--*nr];
		pcp_count_set(pcp, pcp->count - (1u << order));
		__atomic_store_n(pfn_state_managed(p, pfn), PFS_ALLOC | order,
				 __ATOMIC_RELAXED);
	}
	local_irq_restore(flags);
	return pfn;
}
