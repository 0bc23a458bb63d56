/*
 * The page allocator's slow path: what a request does once the fast path
 * (mm/page_alloc.c) found no zone above `low`. Requests that cannot sleep
 * try the reserve and fail; requests that may sleep reclaim, retry and wait
 * for memory to be freed (mm/vmscan.h). Also the failure report and the
 * refusals of requests that make no sense. Linux's __alloc_pages_slowpath
 * and friends; docs/06-sleeping-allocations-and-reclaim.md walks through it.
 */
#include "mm/internal.h"
#include "mm/memalloc.h"
#include "mm/pcp.h"

#include "mm/platform.h"
#include "kernel/lib/printk.h"
#include "mm/vmscan.h"
#include "mm/compaction.h"

/* Linux's gfp_to_alloc_flags, for the slow path. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	/* LAB watermarks: begin alloc_flags */
	unsigned int flags = ALLOC_WMARK_MIN;
	if (gfp & __GFP_HIGH)
		flags |= ALLOC_MIN_RESERVE;
	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		flags |= ALLOC_NON_BLOCK;
		if (order > 0)
			flags |= ALLOC_HIGHATOMIC;
	}
	return flags;
	/* LAB watermarks: end alloc_flags */
}

/*
 * Linux's __gfp_pfmemalloc_flags: may this request ignore every watermark?
 * Only code that frees memory: a task in a PF_MEMALLOC scope (kswapd,
 * direct reclaim, mm/memalloc.h) or a __GFP_MEMALLOC request, and never
 * an interrupt handler (the PF_MEMALLOC it would see is the interrupted
 * task's; and where Linux lets softirqs use __GFP_MEMALLOC for network
 * swap, Labyrinth has no softirqs: its handlers have the atomic reserve).
 * __GFP_NOMEMALLOC overrides both (a mempool has its own reserve).
 */
static unsigned int gfp_pfmemalloc_flags(gfp_t gfp)
{
	if ((gfp & __GFP_NOMEMALLOC) || in_interrupt())
		return 0;
	if ((gfp & __GFP_MEMALLOC) || current_is_memalloc())
		return ALLOC_NO_WATERMARKS;
	return 0;
}

/* The last resort of a request that frees memory: below every watermark.
 * Counted, so meminfo shows how often reclaim needed it. */
static uint64_t alloc_pages_no_watermarks(struct pglist_data *p, gfp_t gfp,
					  unsigned int order,
					  unsigned int alloc_flags, int highest)
{
	uint64_t phys =
	    get_page_from_freelist(p, gfp, order,
				   alloc_flags | ALLOC_NO_WATERMARKS, highest);
	if (phys)
		__atomic_fetch_add(&p->memalloc_allocs, 1ULL << order,
				   __ATOMIC_RELAXED);
	return phys;
}

/*
 * __alloc_pages_direct_reclaim: the caller may sleep, so it does the work
 * itself: reclaim from the shrinkers and try again. Once per request (as
 * Linux), frames parked on per-CPU lists and the highatomic pageblocks go
 * back too: draining every CPU costs an IPI to each. *progress says
 * whether anything came back (worth another round).
 */
static uint64_t __alloc_pages_direct_reclaim(struct pglist_data *p, gfp_t gfp,
					     unsigned int order,
					     unsigned int alloc_flags,
					     int highest, bool *drained,
					     bool *progress)
{
	unsigned long freed = try_to_free_pages(p, gfp, order);
	*progress = freed != 0;
	uint64_t phys =
	    get_page_from_freelist(p, gfp, order, alloc_flags, highest);
	if (phys || *drained)
		return phys;
	*drained = true;
	if (p->pcp_enabled && pcp_parked_pages(p)) {
		drain_all_pages(p);
		__atomic_fetch_add(&p->pcp_drain_retries, 1, __ATOMIC_RELAXED);
		*progress = true;
	}
	if (unreserve_highatomic_pageblocks(p, highest,
					    gfp_migratetype(p, gfp)))
		*progress = true;
	return get_page_from_freelist(p, gfp, order, alloc_flags, highest);
}

static void warn_alloc(struct pglist_data *p, gfp_t gfp, unsigned int order,
		       void *caller)
{
	char names[160];
	if ((gfp & __GFP_NOWARN) || !__ratelimit(&p->alloc_fail_rs))
		return;
	gfp_flags_name(gfp, names, sizeof(names));
	pr_warn("page allocation failure: order:%u, mode:0x%x(%s), caller %p\n",
		order, gfp, names, caller);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		if (!z->managed_pages)
			continue;
		pr_warn("  Node %d %s free:%llukB min:%llukB low:%llukB high:%llukB managed:%llukB\n",
			p->node_id, z->name,
			(unsigned long long)K(z->free_pages),
			(unsigned long long)K(z->watermark[WMARK_MIN]),
			(unsigned long long)K(z->watermark[WMARK_LOW]),
			(unsigned long long)K(z->watermark[WMARK_HIGH]),
			(unsigned long long)K(z->managed_pages));
	}
	/* Linux shows all of memory here; there is no OOM killer to call
	 * next (no processes to kill): the caller gets 0. */
	meminfo_show(p);
}

__attribute__((cold, noinline)) uint64_t
refuse_request(gfp_t gfp, unsigned int order, void *caller)
{
	char names[160];
	gfp_flags_name(gfp, names, sizeof(names));
	pr_warn("page_alloc: refusing order:%u mode:0x%x(%s) from %p: %s\n",
		order, gfp, names, caller,
		order > MAX_ORDER ? "order above MAX_ORDER (10)"
		: (gfp & (__GFP_NOFAIL | __GFP_DIRECT_RECLAIM)) == __GFP_NOFAIL
		    ? "__GFP_NOFAIL needs a request that may sleep"
		: (gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK
		    ? "a page cannot be both movable and reclaimable"
		    : "contradictory or unknown flags");
	return 0;
}

/* A request that may sleep, made where sleeping is impossible (an interrupt
 * handler, interrupts off): waiting for memory there could wait forever, so
 * it is reported and refused, never attempted. Returns true if refused. */
__attribute__((cold, noinline)) bool
refuse_sleeping_request(struct pglist_data *p, gfp_t gfp, unsigned int order,
			void *caller)
{
	char names[160];
	if (might_sleep())
		return false;
	gfp_flags_name(gfp, names, sizeof(names));
	if (__ratelimit(&p->sleep_bug_rs))
		pr_err("page_alloc: refusing order:%u mode:0x%x(%s) from %p: it may sleep, and this context cannot\n",
		       order, gfp, names, caller);
	return true;
}

/* A request that cannot sleep: what it may do before failing, which is
 * everything that does not wait (Linux: GFP_ATOMIC stops after waking
 * kswapd; we also drain and unreserve, which never sleep). */
static uint64_t alloc_pages_nonblocking(struct pglist_data *p, gfp_t gfp,
					unsigned int order,
					unsigned int alloc_flags, int highest)
{
	uint64_t phys =
	    get_page_from_freelist(p, gfp, order, alloc_flags, highest);
	/* Rather than fail, give the highatomic pageblocks back. */
	if (!phys && unreserve_highatomic_pageblocks(p, highest,
						     gfp_migratetype(p, gfp)))
		phys =
		    get_page_from_freelist(p, gfp, order, alloc_flags, highest);
	/* Frames parked on per-CPU lists are free too: drain, retry once. */
	if (!phys && p->pcp_enabled && pcp_parked_pages(p)) {
		drain_all_pages(p);
		__atomic_fetch_add(&p->pcp_drain_retries, 1, __ATOMIC_RELAXED);
		phys =
		    get_page_from_freelist(p, gfp, order, alloc_flags, highest);
	}
	return phys;
}

/*
 * __alloc_pages_direct_compact: an order > 0 request that may sleep makes
 * its own block: compaction of the zones it may use (mm/compaction.c),
 * then one more try. Counted as Linux does: a stall when compaction ran,
 * then a success or a failure by whether the request got its block.
 */
static uint64_t __alloc_pages_direct_compact(struct pglist_data *p, gfp_t gfp,
					     unsigned int order,
					     unsigned int alloc_flags,
					     int highest,
					     enum compact_priority prio)
{
	if (!order || p->compaction_off)
		return 0;
	enum compact_result r =
	    try_to_compact_pages(p, gfp, order, highest, prio);
	if (r == COMPACT_SKIPPED || r == COMPACT_DEFERRED ||
	    r == COMPACT_NOT_SUITABLE)
		return 0;
	__atomic_fetch_add(&p->compact.compact_stall, 1, __ATOMIC_RELAXED);
	uint64_t phys =
	    get_page_from_freelist(p, gfp, order, alloc_flags, highest);
	if (phys) {
		struct zone *z = pfn_to_zone(p, phys >> PAGE_SHIFT);
		compaction_defer_reset(z, order, true);
		__atomic_fetch_add(&p->compact.compact_success, 1,
				   __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&p->compact.compact_fail, 1,
				   __ATOMIC_RELAXED);
	}
	return phys;
}

/*
 * __alloc_pages_slowpath: the fast path found no zone above `low`. Step by
 * step as Linux's function of the same name (docs/06 walks through it):
 * wake kswapd; retry down to min (or into the reserve, if the flags
 * allow), and below every watermark if it frees memory (PF_MEMALLOC,
 * __GFP_MEMALLOC); a request that cannot sleep stops there, and so does a
 * reclaimer. One that can sleep reclaims directly and retries while that
 * makes progress; then sleeps until pages are freed (or a slice of its
 * patience passes) and tries again, until alloc_wait_ms is spent.
 * __GFP_NORETRY stops after one round of reclaim, costly orders too unless
 * __GFP_RETRY_MAYFAIL; __GFP_NOFAIL never stops.
 */
__attribute__((noinline)) uint64_t
__alloc_pages_slowpath(struct pglist_data *p, gfp_t gfp, unsigned int order,
		       int highest, void *caller)
{
	/* Scoped constraints (memalloc_noio_save...) narrow the request. */
	gfp = current_gfp_context(gfp);
	unsigned int alloc_flags = gfp_to_alloc_flags(gfp, order);
	unsigned int reserve_flags = gfp_pfmemalloc_flags(gfp);
	bool nofail = gfp & __GFP_NOFAIL;
	bool progress = false, drained = false, timed_out = false;
	unsigned int progress_rounds = 0;
	uint64_t phys, start_ms = mm_now_ms(), warned_ms = start_ms;

	if (gfp & __GFP_KSWAPD_RECLAIM) {
		/* kcompactd is woken by kswapd once it has balanced (Linux):
		 * note the order it should make blocks of. */
		kcompactd_note_order(p, order);
		mm_wakeup_kswapd(p);
	}
	if (!gfpflags_allow_blocking(gfp)) {
		phys = alloc_pages_nonblocking(p, gfp, order, alloc_flags,
					       highest);
		if (!phys && reserve_flags)
			phys = alloc_pages_no_watermarks(p, gfp, order,
							 alloc_flags, highest);
		if (phys)
			return phys;
		goto fail;
	}
	phys = get_page_from_freelist(p, gfp, order, alloc_flags, highest);
	if (!phys && reserve_flags)
		phys = alloc_pages_no_watermarks(p, gfp, order, alloc_flags,
						 highest);
	/* A reclaimer must not reclaim again from inside its own reclaim
	 * (the shrinker it runs may hold the very lock direct reclaim
	 * would need): with no page below every watermark, it fails; with
	 * __GFP_NOFAIL (a reclaimer should not ask it: said once) it waits
	 * for frees, below every watermark, as long as it takes. */
	if (!phys && current_is_memalloc()) {
		if (!nofail || WARN_ON_ONCE(!mm_can_wait(p)))
			goto fail;
		WARN_ON_ONCE(nofail);
		while (!phys) {
			mm_wait_for_free(p, order, ALLOC_NO_WATERMARKS, highest,
					 NOFAIL_WARN_MS);
			phys = alloc_pages_no_watermarks(p, gfp, order,
							 alloc_flags, highest);
		}
		return phys;
	}
	/* __GFP_MEMALLOC keeps its access on every retry (as Linux). */
	alloc_flags |= reserve_flags;
	/* A costly order, or an order > 0 that is not movable, may lack
	 * contiguity rather than memory: compact once, cheaply, before
	 * reclaiming (Linux does the same). */
	if (!phys && order &&
	    (order > PAGE_ALLOC_COSTLY_ORDER ||
	     gfp_migratetype(p, gfp) != MIGRATE_MOVABLE))
		phys =
		    __alloc_pages_direct_compact(p, gfp, order, alloc_flags,
						 highest, COMPACT_PRIO_ASYNC);
	enum compact_priority compact_prio = COMPACT_PRIO_SYNC_LIGHT;
	while (!phys) {
		phys =
		    __alloc_pages_direct_reclaim(p, gfp, order, alloc_flags,
						 highest, &drained, &progress);
		if (phys)
			break;
		/* Reclaim made free memory; compaction makes it contiguous,
		 * harder each round (sync light, then sync full). */
		phys = __alloc_pages_direct_compact(p, gfp, order, alloc_flags,
						    highest, compact_prio);
		if (phys)
			break;
		if (compact_prio > COMPACT_PRIO_SYNC_FULL)
			compact_prio--;
		/* Costly orders give up after one round unless the caller
		 * asked to try hard (__GFP_RETRY_MAYFAIL). */
		if (!nofail && ((gfp & __GFP_NORETRY) ||
				(order > PAGE_ALLOC_COSTLY_ORDER &&
				 !(gfp & __GFP_RETRY_MAYFAIL))))
			goto fail;
		/* Reclaim freed something, but others took it: go again. */
		if (progress && ++progress_rounds < MAX_RECLAIM_RETRIES)
			continue;
		progress_rounds = 0;
		if (!mm_can_wait(p))
			goto fail; /* nothing here can sleep (host, test node) */
		/* Patience is wall-clock time since the request began. */
		uint64_t spent = mm_now_ms() - start_ms;
		if (!nofail && spent >= p->alloc_wait_ms) {
			timed_out = true;
			goto fail;
		}
		/* Sleep for the rest of it; a free wakes us early.
		 * __GFP_NOFAIL has none to run out of: it says so now and
		 * then. */
		uint64_t slice =
		    nofail ? NOFAIL_WARN_MS : p->alloc_wait_ms - spent;
		__atomic_fetch_add(&p->free_waiters, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&p->reclaim.alloc_waits, 1,
				   __ATOMIC_RELAXED);
		mm_wait_for_free(p, order, alloc_flags, highest,
				 (unsigned int)slice);
		__atomic_fetch_sub(&p->free_waiters, 1, __ATOMIC_RELAXED);
		if (nofail && mm_now_ms() - warned_ms >= NOFAIL_WARN_MS) {
			warned_ms = mm_now_ms();
			pr_warn("page_alloc: __GFP_NOFAIL order:%u from %p still waiting after %llu s\n",
				order, caller,
				(unsigned long long)(warned_ms - start_ms) /
				    1000);
		}
		drained = false; /* lists refilled meanwhile may go back */
		phys =
		    get_page_from_freelist(p, gfp, order, alloc_flags, highest);
	}
	return phys;

fail:
	if (alloc_flags & ALLOC_MIN_RESERVE)
		__atomic_fetch_add(&p->node_zones[highest].reserve_failures, 1,
				   __ATOMIC_RELAXED);
	if (timed_out)
		__atomic_fetch_add(&p->reclaim.alloc_timeouts, 1,
				   __ATOMIC_RELAXED);
	warn_alloc(p, gfp, order, caller);
	return 0;
}
