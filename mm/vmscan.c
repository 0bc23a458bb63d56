/*
 * Reclaim that runs the same on the host and in the kernel: direct
 * reclaim and kswapd's balancing loop (the thread itself and the waiting
 * are the platform's: mm/platform.h). Everything reclaimable here sits
 * behind a shrinker (there are no anonymous pages to swap and no files to
 * write back), so a round of reclaim is a round of shrink_slab().
 * See docs/06-sleeping-allocations-and-reclaim.md ("kswapd"),
 * and ("The slow path, step by step") for direct reclaim.
 */
#include "mm/vmscan.h"
#include "mm/internal.h"
#include "mm/memalloc.h"
#include "mm/pcp.h"
#include "mm/shrinker.h"

unsigned long try_to_free_pages(struct pglist_data *p, gfp_t gfp,
				unsigned int order)
{
	unsigned long want = 1UL << order;
	if (want < SWAP_CLUSTER_MAX)
		want = SWAP_CLUSTER_MAX;
	__atomic_fetch_add(&p->reclaim.allocstall, 1, __ATOMIC_RELAXED);
	/* Only pages in zones this request can use help it. While the
	 * shrinkers run, this task frees memory: what they allocate may go
	 * below every watermark (PF_MEMALLOC, mm/memalloc.h). */
	int highest = gfp_zone(gfp);
	unsigned int noreclaim = memalloc_noreclaim_save();
	unsigned long freed =
	    shrink_slab_zones(p, gfp, want, (1u << (highest + 1)) - 1);
	memalloc_noreclaim_restore(noreclaim);
	__atomic_fetch_add(&p->reclaim.pgsteal_direct, freed, __ATOMIC_RELAXED);
	if (freed)
		__atomic_store_n(&p->kswapd_failures, 0, __ATOMIC_RELAXED);
	return freed;
}

/* The populated zones below their high watermark, one bit each. */
static unsigned int zones_below_high(struct pglist_data *p)
{
	unsigned int mask = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &p->node_zones[zi];
		if (z->managed_pages &&
		    __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED) <
			z->watermark[WMARK_HIGH])
			mask |= 1u << zi;
	}
	return mask;
}

bool pgdat_balanced(struct pglist_data *p)
{
	return !zones_below_high(p);
}

/*
 * Each round asks the caches for pages in the zones still below high
 * only: freeing pages elsewhere would not lift them. A round that frees
 * nothing (nothing cached there) ends the run; the next allocation below
 * `low` wakes kswapd again.
 */
unsigned long balance_pgdat(struct pglist_data *p)
{
	/* LAB reclaim: begin balance */
	unsigned long total = 0;
	unsigned int below;
	/* kswapd has PF_MEMALLOC for life (kernel/mm/kswapd.c); the scope
	 * gives callers on the host the same. */
	unsigned int noreclaim = memalloc_noreclaim_save();
	while ((below = zones_below_high(p))) {
		unsigned long freed =
		    shrink_slab_zones(p, GFP_KERNEL, SWAP_CLUSTER_MAX, below);
		if (!freed) {
			/* Frames parked on per-CPU lists count as free once
			 * they are back in their zones. */
			if (p->pcp_enabled && pcp_parked_pages(p))
				drain_all_pages(p);
			if (!pgdat_balanced(p)) {
				__atomic_fetch_add(&p->reclaim.kswapd_gave_up,
						   1, __ATOMIC_RELAXED);
				if (!total)
					__atomic_fetch_add(&p->kswapd_failures,
							   1, __ATOMIC_RELAXED);
			}
			break;
		}
		total += freed;
		__atomic_fetch_add(&p->reclaim.pgsteal_kswapd, freed,
				   __ATOMIC_RELAXED);
	}
	if (total)
		__atomic_store_n(&p->kswapd_failures, 0, __ATOMIC_RELAXED);
	memalloc_noreclaim_restore(noreclaim);
	return total;
	/* LAB reclaim: end balance */
}

bool pgdat_could_allocate(struct pglist_data *p, unsigned int order,
			  unsigned int alloc_flags, int highest)
{
	for (int zi = highest; zi >= 0; zi--) {
		struct zone *z = &p->node_zones[zi];
		unsigned long flags;
		if (!z->managed_pages)
			continue;
		spin_lock_irqsave(&z->lock, flags);
		/* No watermark: any free block big enough will do. */
		bool ok =
		    (alloc_flags & ALLOC_NO_WATERMARKS)
			? zone_watermark_ok(z, order, 0, ZONE_DMA,
					    ALLOC_WMARK_MIN, z->free_pages)
			: zone_watermark_ok(z, order,
					    z->watermark[alloc_flags &
							 ALLOC_WMARK_MASK],
					    highest, alloc_flags,
					    z->free_pages);
		spin_unlock_irqrestore(&z->lock, flags);
		if (ok)
			return true;
	}
	return false;
}
