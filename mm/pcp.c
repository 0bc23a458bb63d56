/*
 * Per-CPU page caches (Linux's "pcp" lists in mm/page_alloc.c). Most
 * allocations are single pages, and taking the zone lock for each one is
 * what makes a buddy allocator slow on several CPUs. So each CPU keeps a
 * few hundred free order-0 frames per zone: taking or giving one is a few
 * instructions with interrupts off on that CPU, no lock. The zone lock is
 * taken only to move a whole batch at once. The frames are kept as numbers
 * in arrays, one per migrate type, not linked through the frames: a frame
 * parked or taken here is never touched (its state byte is).
 *
 * The reserve still holds: the watermark test happens before a frame is
 * taken from a cache (frames parked do not count as free, so the test only
 * errs on the safe side), and a refill never takes a zone below the floor
 * of the request that caused it. Before an allocation fails, the caches
 * are drained (every CPU's, by IPI, when the caller may wait) and the
 * request is retried once. This file takes frames from the caches
 * (refills and the allocation fast path); mm/pcp_free.c parks them and
 * drains; mm/pcp_high.c does both for blocks of orders 1-4. Sizing, the
 * caches' pages and draining every CPU are in mm/pcp_setup.c.
 * docs/05-smp-and-per-cpu-lists.md explains it.
 */
#include "mm/internal.h"
#include "mm/pcp.h"
#include "mm/node.h"
#include "mm/debug_pagealloc.h"
#include "mm/page_owner.h"
#include "mm/fault_inject.h"
#include "mm/vmscan.h"
#include "mm/platform.h"
#include "kernel/lib/printk.h"

/*
 * A refill's group (pcp->group_refill): an aligned block of
 * PCP_GROUP_PAGES frames of `type`, all parked at once as blocks of
 * `order` (0 .. PCP_MAX_ORDER), the first on top. Its state bytes are one
 * cache line (mm_init.c aligns the arrays so), which the refills of other
 * CPUs, taking groups of their own, never share; and one block taken from
 * the lists replaces a batch of them. Taken only where the cache takes
 * groups, the zone keeps `limit` (the refill's floor, at least low) and
 * `high` with the group gone, and debug_pagealloc is off (a group's
 * frames after the first are out of the direct map, where frame-by-frame
 * refills find heads). Returns the pages parked: PCP_GROUP_PAGES, or 0
 * (then the caller refills frame by frame, which may also take another
 * type's blocks). The caller's slots of (order, type) are empty. Zone lock
 * held.
 */
unsigned int pcp_refill_group(struct pglist_data *p, struct zone *z,
			      struct per_cpu_pages *pcp, int type,
			      unsigned int order, uint64_t limit)
{
	_Static_assert(PCP_GROUP_PAGES >> 1 <= PCP_HSLOTS &&
			   PCP_GROUP_PAGES < PCP_SLOTS,
		       "a group's blocks fit empty slots of any order");
	/* Not from between low and high: that gap is what lets kswapd, once
	 * it has lifted the zone to high, sleep until memory is really
	 * used. A group per CPU, refilled after a drain, ate it whole (4
	 * CPUs on 512 MiB: 64 + 64 + 31 + 15 = high - low) and woke kswapd
	 * with nothing allocated. Batches still take from it, a batch per
	 * list that refills (docs/05, "Keeping the reserve with frames
	 * parked"). */
	uint64_t keep =
	    limit > z->watermark[WMARK_HIGH] ? limit : z->watermark[WMARK_HIGH];
	if (!pcp->group_refill || z->free_pages < keep + PCP_GROUP_PAGES ||
	    debug_pagealloc_on(p))
		return 0;
	uint64_t pfn = rmqueue_smallest(p, z, PCP_GROUP_ORDER, type);
	if (!pfn)
		return 0;
	uint8_t *st = pfn_state_managed(p, pfn);
	uint16_t *nr = order ? &pcp->hnr[order - 1][type] : &pcp->nr[type];
	uint32_t *slots =
	    order ? pcp->hslots[order - 1][type] : pcp->slots[type];
	BUG_ON(*nr);
	unsigned int n = 0, size = 1u << order;
	memset(st, PFS_TAIL, PCP_GROUP_PAGES);
	for (unsigned int i = PCP_GROUP_PAGES; i >= size;) {
		i -= size;
		st[i] = (uint8_t)(PFS_PCP | order);
		slots[n++] = pfn_slot(pcp, pfn + i);
	}
	*nr = (uint16_t)n;
	pcp_count_set(pcp, pcp->count + PCP_GROUP_PAGES);
	return PCP_GROUP_PAGES;
}

/*
 * Refills this CPU's empty cache of `type` with up to a batch from the
 * zone (or a group, where the cache takes groups and the zone has one to
 * spare), never taking the zone below `floor` (the request's own floor),
 * exactly as far as single allocations could have gone. Returns the
 * frames now held for `type`. Out of line and cold: it runs once per
 * `batch` allocations, and inlined it made the fast path save six
 * registers on every call. Interrupts off on this CPU.
 */
static __attribute__((cold, noinline)) unsigned int
pcp_refill(struct pglist_data *p, struct zone *z, struct per_cpu_pages *pcp,
	   uint64_t floor, int type)
{
	lockdep_assert_irqs_disabled();
	/* LAB pcp: begin refill */
	spin_lock(&z->lock);
	/* A single allocation may leave the zone at its floor (free > floor
	 * before it): a batch may go no further. Nor below low, where frees
	 * are not parked either: the last free frames must stay where every
	 * CPU (and the reserve's users) can take them without an IPI to
	 * drain them; there a refill is the one frame asked for. */
	uint64_t limit =
	    floor > z->watermark[WMARK_LOW] ? floor : z->watermark[WMARK_LOW];
	unsigned int want = pcp->batch;
	if (z->free_pages <= floor)
		want = 0;
	else if (z->free_pages <= limit)
		want = 1;
	else if (z->free_pages - limit < want)
		want = (unsigned int)(z->free_pages - limit);
	/* The type's slots are empty (the caller's test) and a batch or a
	 * group fits them: pcp_sizes and pgdat_pcp_resize keep batch <
	 * PCP_SLOTS, and a group < PCP_SLOTS (mm/mmzone.h). */
	BUG_ON(pcp->nr[type] + want > PCP_SLOTS);
	if (want == pcp->batch && pcp_refill_group(p, z, pcp, type, 0, limit))
		want = 0;
	for (unsigned int i = 0; i < want; i++) {
		uint64_t pfn = rmqueue_order0(p, z, type);
		if (!pfn)
			break;
		pfn_state(p, pfn)[0] = PFS_PCP;
		/* The last frame taken ends on top: two CPUs refilled one
		 * after the other start a batch apart, so their hottest
		 * frames' state bytes are seldom in one cache line. */
		pcp->slots[type][pcp->nr[type]++] = pfn_slot(pcp, pfn);
		pcp_count_set(pcp, pcp->count + 1);
	}
	if (pcp->nr[type]) {
		pcp->refills++;
		if (z->free_pages < z->watermark[WMARK_MIN])
			z->reserve_dips++;
	}
	spin_unlock(&z->lock);
	/* LAB pcp: end refill */
	return pcp->nr[type];
}

/*
 * Takes the hottest frame of `type` from this CPU's cache for an order-0
 * request whose watermark test passed. Returns its pfn, or 0 if there is
 * none (pcp_alloc refills first; the fast path leaves that to pcp_alloc).
 * Inline, and free of calls: the fast path then saves no registers. The
 * frame itself is not touched, only its state byte. Interrupts off on
 * this CPU: its callers have just turned them off.
 */
static inline __attribute__((always_inline)) uint64_t
pcp_take(struct pglist_data *p, struct per_cpu_pages *pcp, int type)
{
	/* LAB pcp: begin take */
	unsigned int n = pcp->nr[type];
	if (!n)
		return 0;
	uint64_t pfn = slot_pfn(pcp, pcp->slots[type][n - 1]);
	pcp->nr[type] = (uint16_t)(n - 1);
	pcp_count_set(pcp, pcp->count - 1u);
	struct mem_section *sec = pfn_to_section_mapped(p, pfn);
	__atomic_store_n(&sec->frame_state[pfn - sec->first_pfn], PFS_ALLOC,
			 __ATOMIC_RELAXED);
	return pfn;
	/* LAB pcp: end take */
}

/* Debug options are off on the fast paths' common case: one branch tests
 * them all (mm_debug_hooks_on(), mm/internal.h). */
static inline uintptr_t debug_hooks_on(const struct pglist_data *p)
{
	return mm_debug_hooks_on(p);
}

uint64_t pcp_alloc(struct pglist_data *p, struct zone *z, uint64_t floor,
		   int type, unsigned int order)
{
	unsigned long flags;
	uint64_t pfn = 0;
	if (order)
		return pcp_alloc_block(p, z, floor, type, order);
	local_irq_save(flags);
	/* stable now: interrupts off */
	struct per_cpu_pages *pcp = zone_pcp(z, mm_this_cpu());
	if (pcp && (pcp->nr[type] || pcp_refill(p, z, pcp, floor, type)))
		pfn = pcp_take(p, pcp, type);
	local_irq_restore(flags);
	return pfn;
}

/* The fast paths' rare ends, out of line so that the paths themselves
 * make no call (docs/08-measuring.md): an interrupt to replay on the host
 * (local_irq_restore_nocall), then `ret`. */
__attribute__((cold, noinline)) uint64_t pcp_replay_then(uint64_t ret)
{
	local_irq_replay();
	return ret;
}

/* The end of a fast allocation that is not the common one: interrupts
 * back as flags had them, then a block to zero (__GFP_ZERO), or no block
 * (an empty cache, a zone at its floor): the general path, which decides
 * from the start. */
static __attribute__((cold, noinline)) uint64_t
pcp_alloc_finish(struct pglist_data *p, gfp_t gfp, unsigned int order,
		 void *caller, uint64_t pfn, unsigned long flags)
{
	local_irq_restore(flags);
	if (!pfn)
		return alloc_pages_general(p, gfp, order, caller);
	memset(pgdat_phys_to_virt(p, pfn << PAGE_SHIFT), 0, PAGE_SIZE << order);
	return pfn << PAGE_SHIFT;
}

/* The hottest block of (order, type) from a cache, for orders 1 ..
 * PCP_MAX_ORDER (pcp_take's counterpart), or 0. Interrupts off. */
static inline __attribute__((always_inline)) uint64_t
pcp_take_block(struct pglist_data *p, struct per_cpu_pages *pcp,
	       unsigned int order, int type)
{
	unsigned int n = pcp->hnr[order - 1][type];
	if (!n)
		return 0;
	uint64_t pfn = slot_pfn(pcp, pcp->hslots[order - 1][type][n - 1]);
	pcp->hnr[order - 1][type] = (uint16_t)(n - 1);
	pcp_count_set(pcp, pcp->count - (1u << order));
	/* A cached frame is in the direct map's sections (pcp_take). */
	struct mem_section *sec = pfn_to_section_mapped(p, pfn);
	__atomic_store_n(&sec->frame_state[pfn - sec->first_pfn],
			 PFS_ALLOC | order, __ATOMIC_RELAXED);
	return pfn;
}

/* The fast allocation of a block of `order` (0 .. PCP_MAX_ORDER), in two
 * copies: order 0, a constant (the fast path), and blocks of orders 1-4.
 * The order-0 copy folds every block-only test away. */
static inline __attribute__((always_inline)) uint64_t
pcp_alloc_fast_one(struct pglist_data *p, gfp_t gfp, unsigned int order,
		   void *caller)
{
	unsigned long flags;

	/* What the general path must see, in one test: flags it refuses or
	 * treats specially, the contradictory mobility (type 3), debug
	 * options that are on. A request that may not sleep here is
	 * reported there, tested below (it reads the interrupt state). */
	unsigned int type = (unsigned int)gfp_migratetype(p, gfp);
	if (__builtin_expect((gfp & PCP_FAST_GFP_OFF) | debug_hooks_on(p) |
				 (type >= MIGRATE_PCPTYPES),
			     0))
		goto general;
	/* The zonelist walk's first zone: the highest allowed that has
	 * memory. Only it is tried here; the general path walks on. */
	const int highest = ZONE_NORMAL; /* no __GFP_DMA32 here */
	struct zone *z = &p->node_zones[highest];
	while (!z->managed_pages)
		if (z-- == p->node_zones)
			goto general;
	struct per_cpu_pages *caches = z->pcp;
	/* A zone too small for caches, or one that caches no blocks of this
	 * order (batch is the same on every CPU). */
	if (__builtin_expect(!caches, 0) ||
	    (order && !pcp_caches_order(&caches[0], order)))
		goto general;
	/* The fast path's watermark: `low` plus the zone's protection from
	 * requests that could use a higher zone (ALLOC_WMARK_LOW has no
	 * ALLOC_MIN_RESERVE: zone_reserve_floor leaves the mark whole), and
	 * for a block, the free-page half of the test (a cached block
	 * answers the other half): free - (2^order - 1) > mark, written
	 * free > mark + 2^order - 1, which cannot wrap (a watermark is a
	 * count of the zone's pages) and keeps one value live, not two. */
	uint64_t floor = z->watermark[WMARK_LOW] + z->lowmem_reserve[highest] +
			 ((1ULL << order) - 1);
	local_irq_save(flags);
	/* may_sleep(), from the flags just saved: a request that may sleep
	 * made where it may not is the general path's to report. */
	if (__builtin_expect((gfp & __GFP_DIRECT_RECLAIM) &&
				 (irqs_disabled_flags(flags) || in_atomic()),
			     0))
		return pcp_alloc_finish(p, gfp, order, caller, 0, flags);
	unsigned int cpu = mm_this_cpu_numbered(); /* interrupts off */
	/* An empty cache is refilled by the general path (pcp_alloc), once
	 * per batch: the refill would cost this path registers. */
	uint64_t pfn = 0,
		 free = __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
	if (__builtin_expect(cpu < p->pcp_nr_cpus, 1) && free > floor)
		pfn = order ? pcp_take_block(p, &caches[cpu], order, (int)type)
			    : pcp_take(p, &caches[cpu], (int)type);
	if (__builtin_expect(!pfn || (gfp & __GFP_ZERO), 0))
		return pcp_alloc_finish(p, gfp, order, caller, pfn, flags);
	if (local_irq_restore_nocall(flags))
		return pcp_replay_then(pfn << PAGE_SHIFT);
	return pfn << PAGE_SHIFT;
general:
	return alloc_pages_general(p, gfp, order, caller);
}

uint64_t pcp_alloc_fast(struct pglist_data *p, gfp_t gfp, void *caller)
{
	return pcp_alloc_fast_one(p, gfp, 0, caller);
}

uint64_t pcp_alloc_block_fast(struct pglist_data *p, gfp_t gfp,
			      unsigned int order, void *caller)
{
	/* Blocks only (the entry points' test): with the order's range
	 * known, the copy below drops its single-frame branches. */
	if (__builtin_expect(order - 1u >= PCP_MAX_ORDER, 0))
		return alloc_pages_general(p, gfp, order, caller);
	return pcp_alloc_fast_one(p, gfp, order, caller);
}
