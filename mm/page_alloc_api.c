/*
 * The rest of Linux's allocation API, over the same buddy lists:
 * alloc_pages_bulk (many order-0 pages for one lock round trip per
 * batch), alloc_pages_exact (an exact number of pages, the rest of the
 * power-of-two block given back at once), and the counts callers read
 * (nr_free_pages, si_meminfo). docs/09-emergency-memory.md ("The rest of
 * the allocation API").
 */
#include "mm/internal.h"

#include "mm/fault_inject.h"
#include "mm/node.h"
#include "mm/page_owner.h"
#include "mm/pcp.h"
#include "kernel/lib/printk.h"

/* Pages taken per zone-lock hold: interrupts stay off for at most this
 * many rmqueue()s (a few microseconds). */
#define BULK_BATCH 64

static __attribute__((cold, noinline)) void refuse_api(const char *fn,
						       const char *why,
						       unsigned long long value,
						       void *caller)
{
	pr_err("page_alloc: %s refused: %s (%llu), caller %p; nothing allocated\n",
	       fn, why, value, caller);
}

/* ---------------------------------------------------------------- bulk */

unsigned long pgdat_alloc_pages_bulk(struct pglist_data *p, gfp_t gfp,
				     unsigned long nr, uint64_t *array,
				     void *caller)
{
	unsigned long populated = 0, want, allowed;

	if (!array || !nr || nr > p->totalram_pages) {
		refuse_api("alloc_pages_bulk",
			   !array ? "no array" : "nr is 0 or more than memory",
			   nr, caller);
		return 0;
	}
	/* __GFP_NOFAIL has no meaning for a call that may return fewer. */
	if ((gfp & ~__GFP_BITS_MASK) || (gfp & __GFP_NOFAIL) ||
	    (gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK ||
	    (gfp & (__GFP_DMA | __GFP_DMA32)) == (__GFP_DMA | __GFP_DMA32)) {
		refuse_api("alloc_pages_bulk",
			   "__GFP_NOFAIL, contradictory or unknown flags (mode)",
			   gfp, caller);
		return 0;
	}
	/* As Linux's alloc_pages_bulk_array: only empty slots are filled,
	 * and the count returned is of filled slots. */
	for (unsigned long i = 0; i < nr; i++)
		populated += array[i] != 0;
	want = nr - populated;
	if (!want || !p->initialised)
		return populated;
	/* fail_page_alloc=: each page wanted is one chance to fail, drawn
	 * before any is taken (so an interval schedule counts the pages
	 * asked for); the first failure ends the call with a partial count,
	 * as Linux's can. */
	for (allowed = 0; allowed < want; allowed++)
		if (should_fail_alloc_page(p, gfp, 0))
			break;

	unsigned long got = 0, slot = 0;
	for (int zi = gfp_zone(gfp); zi >= 0 && got < allowed; zi--) {
		struct zone *z = &p->node_zones[zi];
		bool zone_done = false;
		if (!z->managed_pages)
			continue;
		while (!zone_done && got < allowed) {
			uint64_t taken[BULK_BATCH];
			unsigned int n = 0;
			unsigned long flags;
			spin_lock_irqsave(&z->lock, flags);
			/* The fast path's rule, page by page: stay above
			 * `low` and above the zone's protection. */
			while (n < BULK_BATCH && got + n < allowed &&
			       zone_watermark_ok(z, 0, z->watermark[WMARK_LOW],
						 gfp_zone(gfp), ALLOC_WMARK_LOW,
						 z->free_pages)) {
				uint64_t pfn =
				    rmqueue_order0(p, z,
						   gfp_migratetype(p, gfp));
				if (!pfn)
					break;
				taken[n++] = pfn;
			}
			spin_unlock_irqrestore(&z->lock, flags);
			zone_done = n < BULK_BATCH;
			for (unsigned int i = 0; i < n; i++) {
				prep_new_page(p, taken[i], 0, gfp);
				set_page_owner(p, taken[i], 0, gfp, caller);
				while (array[slot])
					slot++;
				array[slot] = taken[i] << PAGE_SHIFT;
			}
			got += n;
		}
	}
	/* Nothing above `low` anywhere: one page the slow way (reclaim,
	 * reserves, waiting, as gfp allows), so the caller makes progress. */
	if (!got && allowed) {
		uint64_t phys = __alloc_pages(p, gfp, 0, caller);
		if (phys) {
			while (array[slot])
				slot++;
			array[slot] = phys;
			got = 1;
		}
	}
	return populated + got;
}

/* Where a kernel request that takes one node only goes: the kernel's
 * node, or with several the nearest with memory to this CPU. */
static struct pglist_data *kernel_local_pgdat(void)
{
	if (!mm_numa_on())
		return &contig_page_data;
	unsigned int nid = mm_numa_node_id();
	if (nid >= mm_nodes.nr_nodes)
		nid = 0;
	return NODE_DATA(mm_nodes.order[nid][0]);
}

unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr, uint64_t *array)
{
	return pgdat_alloc_pages_bulk(kernel_local_pgdat(), gfp, nr, array,
				      __builtin_return_address(0));
}

/* ---------------------------------------------------------------- exact */

static unsigned int order_for_size(uint64_t size)
{
	unsigned int o = 0;
	while ((PAGE_SIZE << o) < size)
		o++;
	return o;
}

uint64_t pgdat_alloc_pages_exact(struct pglist_data *p, uint64_t size,
				 gfp_t gfp, void *caller)
{
	if (!size || size > (PAGE_SIZE << MAX_ORDER)) {
		refuse_api("alloc_pages_exact",
			   size ? "size above 4 MiB (MAX_ORDER)" : "size 0",
			   size, caller);
		return 0;
	}
	unsigned int order = order_for_size(size);
	uint64_t nr = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	uint64_t phys = __alloc_pages(p, gfp, order, caller);
	if (!phys || order == 0)
		return phys;

	/*
	 * split_page, then free the tail: the first nr frames become
	 * separate order-0 allocations (free_pages_exact frees them one by
	 * one, as Linux's does); the rest, if any, is cut into the largest
	 * aligned blocks that fit, each freed at once (and merged with its
	 * free buddies). The state bytes change under the zone lock, where
	 * a concurrent free of one of these frames reads them.
	 */
	uint64_t pfn = phys >> PAGE_SHIFT, end = pfn + (1ULL << order);
	struct zone *z = pfn_to_zone(p, pfn);
	uint8_t *st = pfn_state(p, pfn);
	unsigned long flags;
	reset_page_owner(p, pfn, order);
	spin_lock_irqsave(&z->lock, flags);
	for (uint64_t i = 0; i < nr; i++)
		st[i] = PFS_ALLOC | 0;
	for (uint64_t f = pfn + nr; f < end;) {
		unsigned int o = 0;
		while (!(f & (1ULL << o)) && f + (2ULL << o) <= end)
			o++;
		st[f - pfn] = PFS_ALLOC | o;
		f += 1ULL << o;
	}
	spin_unlock_irqrestore(&z->lock, flags);
	for (uint64_t i = 0; i < nr; i++)
		set_page_owner(p, pfn + i, 0, gfp, caller);
	for (uint64_t f = pfn + nr; f < end;) {
		unsigned int o = st[f - pfn] & PFS_ORDER_MASK;
		uint64_t next = f + (1ULL << o);
		set_page_owner(p, f, o, gfp, caller);
		free_pages_caller(p, f << PAGE_SHIFT, o, caller);
		f = next;
	}
	return phys;
}

int pgdat_free_pages_exact(struct pglist_data *p, uint64_t phys, uint64_t size,
			   void *caller)
{
	int bad = 0;
	if (!size || size > (PAGE_SIZE << MAX_ORDER)) {
		pr_err("page_alloc: free_pages_exact of phys 0x%llx refused: size %llu is not what alloc_pages_exact can give, caller %p; nothing freed\n",
		       (unsigned long long)phys, (unsigned long long)size,
		       caller);
		return -1;
	}
	/* Each frame is its own order-0 allocation: a bad one is reported
	 * by the free path and the others are still freed. */
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		bad |= free_pages_caller(p, phys + off, 0, caller);
	return bad;
}

void *alloc_pages_exact(uint64_t size, gfp_t gfp)
{
	uint64_t phys = pgdat_alloc_pages_exact(kernel_local_pgdat(), size, gfp,
						__builtin_return_address(0));
	return phys ? phys_to_virt(phys) : NULL;
}

void free_pages_exact(void *virt, uint64_t size)
{
	if (!virt)
		return;
	uint64_t phys = virt_to_phys(virt);
	pgdat_free_pages_exact(kernel_pgdat_of(phys), phys, size,
			       __builtin_return_address(0));
}

/* ---------------------------------------------------------------- counts */

uint64_t pgdat_nr_free_pages(const struct pglist_data *p)
{
	uint64_t n = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		n += __atomic_load_n(&p->node_zones[zi].free_pages,
				     __ATOMIC_RELAXED);
	return n;
}

uint64_t nr_free_pages(void)
{
	if (!mm_numa_on())
		return pgdat_nr_free_pages(&contig_page_data);
	uint64_t n = 0;
	for (unsigned int nid = 0; nid < mm_nodes.nr_nodes; nid++)
		if (NODE_DATA(nid))
			n += pgdat_nr_free_pages(NODE_DATA(nid));
	return n;
}

void pgdat_si_meminfo(const struct pglist_data *p, struct sysinfo *info)
{
	info->totalram = p->totalram_pages;
	info->freeram = pgdat_nr_free_pages(p);
	info->pcpram = p->pcp_enabled ? pcp_parked_pages(p) : 0;
	info->metadataram = p->metadata_pages;
	info->mem_unit = PAGE_SIZE;
}

void si_meminfo(struct sysinfo *info)
{
	pgdat_si_meminfo(&contig_page_data, info);
	for (unsigned int nid = 0; mm_numa_on() && nid < mm_nodes.nr_nodes;
	     nid++) {
		struct pglist_data *p = NODE_DATA(nid);
		struct sysinfo one;
		if (!p || p == &contig_page_data)
			continue;
		pgdat_si_meminfo(p, &one);
		info->totalram += one.totalram;
		info->freeram += one.freeram;
		info->pcpram += one.pcpram;
		info->metadataram += one.metadataram;
	}
}
