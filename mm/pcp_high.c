/*
 * Per-CPU caches of blocks of orders 1 .. PCP_MAX_ORDER (8 to 32 KiB), as
 * Linux keeps them up to PAGE_ALLOC_COSTLY_ORDER since 5.13: without them
 * every such request takes the zone lock and splits, and every free takes
 * it and merges. The blocks sit in their own slots of the CPU's cache
 * (hslots, by order and migrate type), counted in pages with the single
 * frames against the same `high`; a parked block's head byte is PFS_PCP
 * with its order, its other frames stay PFS_TAIL. The rules are the order-0
 * ones (mm/pcp.c): the refill keeps the request's floor, nothing is parked
 * below low, the state byte is claimed with a compare-and-swap. Here: the
 * blocks' refill, their drain, and the allocation's fast path; their free
 * is the order-0 one with the order a variable (mm/pcp_free.c).
 * docs/05-smp-and-per-cpu-lists.md, "Blocks of orders 1 to 3".
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

/* The end of a block request the fast path does not finish: interrupts
 * back, then the block zeroed (__GFP_ZERO) or, with none, the general
 * path from the start. */
static __attribute__((cold, noinline)) uint64_t
block_fast_finish(struct pglist_data *p, gfp_t gfp, unsigned int order,
		  void *caller, uint64_t pfn, unsigned long flags)
{
	local_irq_restore(flags);
	if (!pfn)
		return alloc_pages_general(p, gfp, order, caller);
	memset(pgdat_phys_to_virt(p, pfn << PAGE_SHIFT), 0, PAGE_SIZE << order);
	return pfn << PAGE_SHIFT;
}

uint64_t pcp_alloc_block_fast(struct pglist_data *p, gfp_t gfp,
			      unsigned int order, void *caller)
{
	unsigned long flags;
	/* What the order-0 fast path hands on (mm/pcp.c), handed on here. */
	unsigned int type = (unsigned int)gfp_migratetype(p, gfp);
	if ((gfp & PCP_FAST_GFP_OFF) | mm_debug_hooks_on(p) |
	    (type >= MIGRATE_PCPTYPES))
		goto general;
	struct zone *z = &p->node_zones[ZONE_NORMAL];
	while (!z->managed_pages)
		if (z-- == p->node_zones)
			goto general;
	struct per_cpu_pages *caches = z->pcp;
	if (!caches || !pcp_caches_order(&caches[0], order))
		goto general;
	/* The free-page half of the watermark test at `low` (a cached block
	 * answers the other half), with the zone's protection. */
	uint64_t floor =
	    z->watermark[WMARK_LOW] + z->lowmem_reserve[ZONE_NORMAL];
	uint64_t need = (1ULL << order) - 1;
	local_irq_save(flags);
	if ((gfp & __GFP_DIRECT_RECLAIM) &&
	    (irqs_disabled_flags(flags) || in_atomic()))
		return block_fast_finish(p, gfp, order, caller, 0, flags);
	unsigned int cpu = mm_this_cpu_numbered(); /* interrupts off */
	uint64_t pfn = 0,
		 free = __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
	if (cpu < p->pcp_nr_cpus && free >= need && free - need > floor) {
		struct per_cpu_pages *pcp = &caches[cpu];
		uint16_t *nr = blocks_held(pcp, order, (int)type);
		if (*nr) {
			pfn = pcp->base_pfn +
			      block_slots(pcp, order, (int)type)[--*nr];
			pcp_count_set(pcp, pcp->count - (1u << order));
			__atomic_store_n(pfn_state_managed(p, pfn),
					 PFS_ALLOC | order, __ATOMIC_RELAXED);
		}
	}
	if (!pfn || (gfp & __GFP_ZERO))
		return block_fast_finish(p, gfp, order, caller, pfn, flags);
	local_irq_restore(flags);
	return pfn << PAGE_SHIFT;
general:
	return alloc_pages_general(p, gfp, order, caller);
}
