/*
 * The buddy allocator's free paths: giving a block back to its zone's free
 * lists (merging it with its free buddy as far as possible), the locked
 * free with the checks that catch bad frees, and the free entry points,
 * which send single pages to this CPU's cache (mm/pcp.c). The allocation
 * half is mm/page_alloc.c; the names follow Linux's mm/page_alloc.c.
 * docs/03-buddy-and-gfp.md walks through them.
 */
#include "mm/internal.h"
#include "mm/node.h"
#include "mm/pcp.h"

#include "mm/platform.h"
#include "kernel/lib/printk.h"
#include "mm/debug_pagealloc.h"
#include "mm/page_owner.h"
#include "mm/vmscan.h"

/*
 * __free_one_page: puts a block back, merging it with its buddy (the block of
 * the same order it was split from: pfn ^ 2^order) for as long as the buddy
 * is free, whole, and in the same zone. Zone lock held; sec holds pfn, whose
 * state byte the caller has claimed (checked to be PFS_ALLOC | order, or
 * taken off a per-CPU list). Inline in free_pages_locked, a function for
 * the other callers.
 */
static inline __attribute__((always_inline)) void
free_one_page_inline(struct pglist_data *p, struct zone *z,
		     struct mem_section *sec, uint64_t pfn, unsigned int order)
{
	uint8_t *base = sec->frame_state - sec->first_pfn; /* index by pfn */
	uint64_t end = sec->first_pfn + sec->nr_frames;
	uint64_t pages = 1ULL << order;

	zone_free_pages_add(z, (int64_t)pages);
	base[pfn] = PFS_TAIL;
	/* LAB buddy: begin merge */
	/* Every buddy on the way lies in the 4 MiB block around pfn: when
	 * that block is inside the section and the zone's window (nearly
	 * always), only the buddy's state byte needs reading. */
	uint64_t top = pfn & ~((1ULL << MAX_ORDER) - 1);
	bool inside = top >= sec->first_pfn && top >= z->window_start_pfn &&
		      top + (1ULL << MAX_ORDER) <= end &&
		      top + (1ULL << MAX_ORDER) <= z->window_end_pfn;
	/* Locals, read once: the state byte stores may alias anything. */
	bool poison = p->page_poison;
	char *map = pgdat_phys_to_virt(p, 0);
	while (order < MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ULL << order);
		if (__builtin_expect(!inside, 0) &&
		    (buddy < sec->first_pfn || buddy >= end ||
		     buddy < z->window_start_pfn || buddy >= z->window_end_pfn))
			break;
		if (frame_state_read(&base[buddy]) != (PFS_FREE | order))
			break;
		/* Whole pageblocks of different types merge only if both
		 * are ordinary (highatomic and isolated ones keep apart);
		 * the buddy then takes this block's type. */
		if (order >= PAGEBLOCK_ORDER) {
			int type = pageblock_migratetype(sec, pfn);
			int buddy_type = pageblock_migratetype(sec, buddy);
			if (type != buddy_type &&
			    (type >= MIGRATE_PCPTYPES ||
			     buddy_type >= MIGRATE_PCPTYPES))
				break;
			if (type != buddy_type)
				change_pageblock_range(sec, buddy, order, type);
		}
		struct list_head *be =
		    (struct list_head *)(map + (buddy << PAGE_SHIFT) +
					 block_link_offset(buddy));
		list_del(be);
		if (__builtin_expect(poison, 0))
			memset(be, PAGE_POISON, sizeof(*be));
		z->free_area[order].nr_free--;
		base[buddy] = PFS_TAIL;
		pfn &= buddy;
		order++;
	}
	/* LAB buddy: end merge */
	base[pfn] = PFS_FREE | order;
	/* debug_pagealloc: all of the block but its head goes unmapped. */
	debug_pagealloc_unmap_pages(p, pfn + 1, (1ULL << order) - 1);
	int type = pageblock_migratetype(sec, pfn);
	list_add(pfn_entry(p, pfn), &z->free_area[order].free_list[type]);
	z->free_area[order].nr_free++;
	/* A free into an isolated pageblock is not memory anyone may take:
	 * counted, it let watermark checks pass on frames alloc_contig_pages
	 * holds, and GFP_ATOMIC failed with the zone "above min" (Linux
	 * leaves them out of NR_FREE_PAGES too). Counted above and taken
	 * back here: the common path stays as it was (docs/10). */
	if (__builtin_expect(type == MIGRATE_ISOLATE, 0))
		zone_free_pages_add(z, -(int64_t)pages);
}

void __free_one_page(struct pglist_data *p, struct zone *z,
		     struct mem_section *sec, uint64_t pfn, unsigned int order)
{
	lockdep_assert_held(&z->lock);
	free_one_page_inline(p, z, sec, pfn, order);
}

/* page_poison fills a block once, when its owner frees it; not again on
 * its way between lists (a per-CPU list's drain, a highatomic pageblock
 * given back), which would wipe out a use after free made meanwhile
 * before the next allocation could report it (found by fuzz_alloc). */
void poison_block(struct pglist_data *p, uint64_t pfn, unsigned int order)
{
	if (!p->page_poison)
		return;
	debug_pagealloc_map_pages(p, pfn + 1, (1ULL << order) - 1);
	memset(pgdat_phys_to_virt(p, pfn << PAGE_SHIFT), PAGE_POISON,
	       PAGE_SIZE << order);
}

/* What page_owner and page_poison do to a block freed by its owner, out
 * of line: they are off on the common path. */
static __attribute__((noinline, cold)) void
free_debug_hooks(struct pglist_data *p, uint64_t pfn, unsigned int order)
{
	reset_page_owner(p, pfn, order);
	poison_block(p, pfn, order);
}

/* A free the per-CPU list did not take: under the zone lock, checked
 * against the state byte, reported if wrong. Arguments already checked. */
int free_pages_locked(struct pglist_data *p, uint64_t phys, unsigned int order,
		      void *caller)
{
	uint64_t pfn = phys >> PAGE_SHIFT;
	/* LAB irqsafe: begin decl */
	unsigned long flags;
	/* LAB irqsafe: end decl */
	int ret = 0;
	struct zone *z = pfn_to_zone(p, pfn);
	/* LAB irqsafe: begin lock */
	spin_lock_irqsave(&z->lock, flags);
	/* LAB irqsafe: end lock */
	struct mem_section *sec = p->sections ? pfn_to_section(p, pfn) : NULL;
	uint8_t s = PFS_RESERVED;
	if (sec && pfn - sec->first_pfn < sec->nr_frames) /* (wraps below) */
		s = sec->frame_state[pfn - sec->first_pfn];
	/* Claim the frame's state byte: a concurrent free of the same
	 * order-0 frame through a per-CPU list (mm/pcp.c) must not also
	 * succeed. */
	uint8_t now = s; /* after a lost race: what the winner wrote */
	if (s == (PFS_ALLOC | order) && sec &&
	    __atomic_compare_exchange_n(&sec->frame_state[pfn - sec->first_pfn],
					&now, PFS_TAIL, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED)) {
		if (__builtin_expect(mm_debug_hooks_on(p) != 0, 0))
			free_debug_hooks(p, pfn, order);
		free_one_page_inline(p, z, sec, pfn, order);
	} else {
		ret = bad_free_state(p, phys, order, caller, now);
	}
	/* Read under the lock: see pgdat_could_allocate (mm/vmscan.h). */
	bool wake = p->free_waiters && !ret;
	/* LAB irqsafe: begin unlock */
	spin_unlock_irqrestore(&z->lock, flags);
	/* LAB irqsafe: end unlock */
	if (wake)
		mm_wake_free_waiters(p);
	return ret;
}

/* The free entry points' one body, inline in each (a call less on the
 * order-0 path). */
static inline __attribute__((always_inline)) int
free_pages_inline(struct pglist_data *p, uint64_t phys, unsigned int order,
		  void *caller)
{
	uint64_t pfn = phys >> PAGE_SHIFT;

	/* Single frames try this CPU's list first (mm/pcp.c). */
	if (order == 0 && !(phys & (PAGE_SIZE - 1)) && pfn && p->pcp_enabled)
		return pcp_free(p, phys, caller);
	/* Blocks of orders 1-4 too (mm/pcp_high.c), where a cache takes
	 * them (order tested first, as in __alloc_pages). */
	if (order && pgdat_pcp_takes_blocks(p, order) &&
	    !(phys & ((PAGE_SIZE << order) - 1)) && pfn)
		return pcp_free_block(p, phys, order, caller);
	/* One test for all the argument mistakes (order > 10 makes the
	 * alignment mask cover everything, so it fails too). */
	if (order > MAX_ORDER || (phys & ((PAGE_SIZE << order) - 1)) ||
	    pfn == 0)
		return bad_free_args(p, phys, order, caller);
	return free_pages_locked(p, phys, order, caller);
}

int free_pages_caller(struct pglist_data *p, uint64_t phys, unsigned int order,
		      void *caller)
{
	return free_pages_inline(p, phys, order, caller);
}

int pgdat_free_pages(struct pglist_data *pgdat, uint64_t phys,
		     unsigned int order)
{
	return free_pages_inline(pgdat, phys, order,
				 __builtin_return_address(0));
}

/* The kernel's free with several nodes: the frame's own node, found out
 * of line (inline, the lookup's call made the one-node case save three
 * registers on every free). Not cold: on a NUMA machine every free
 * comes this way. */
static __attribute__((noinline)) void
free_pages_numa(uint64_t phys, unsigned int order, void *caller)
{
	free_pages_inline(kernel_node_of(phys), phys, order, caller);
}

void __free_pages(uint64_t phys, unsigned int order)
{
	if (__builtin_expect(mm_numa_on(), 0)) {
		free_pages_numa(phys, order, __builtin_return_address(0));
		return;
	}
	free_pages_inline(&contig_page_data, phys, order,
			  __builtin_return_address(0));
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (!addr)
		return; /* as Linux: freeing "no page" is fine */
	uint64_t phys = virt_to_phys((void *)addr);
	free_pages_caller(kernel_node_of(phys), phys, order,
			  __builtin_return_address(0));
}
