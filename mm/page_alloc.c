/*
 * The buddy allocator's allocation paths: taking a block from a zone's free
 * lists (splitting bigger blocks as needed), the watermark checks that keep
 * a reserve for atomic callers, and the allocation entry points. Giving
 * blocks back, and catching bad frees, is mm/page_free.c. The names follow
 * Linux's mm/page_alloc.c; docs/03-buddy-and-gfp.md walks through them.
 * When the fast path fails, mm/slowpath.c takes over (docs/06).
 */
#include "mm/internal.h"
#include "mm/node.h"
#include "mm/pcp.h"

#include "mm/platform.h"
#include "kernel/lib/printk.h"
#include "mm/debug_pagealloc.h"
#include "mm/fault_inject.h"
#include "mm/page_owner.h"
#include "mm/vmscan.h"

/* ---------------------------------------------------------------- watermarks */

uint64_t zone_reserve_floor(uint64_t min, unsigned int alloc_flags)
{
	/* LAB watermarks: begin floor */
	if (alloc_flags & ALLOC_MIN_RESERVE) {
		min -= min / 2; /* __GFP_HIGH: half of min */
		if (alloc_flags & ALLOC_NON_BLOCK)
			min -= min / 4; /* and atomic: a further quarter */
	}
	return min;
	/* LAB watermarks: end floor */
}

/* The watermark test's first half: free pages after taking the block
 * must stay at or above the mark and the zone's protection. Linux writes
 * this as free - (2^order - 1) > min + lowmem_reserve. */
static inline bool zone_free_above(const struct zone *z, unsigned int order,
				   uint64_t mark, int highest,
				   unsigned int alloc_flags,
				   uint64_t free_pages)
{
	uint64_t need = (1ULL << order) - 1;
	uint64_t min =
	    zone_reserve_floor(mark, alloc_flags) + z->lowmem_reserve[highest];
	return free_pages >= need && free_pages - need > min;
}

static inline bool __zone_watermark_ok(const struct zone *z, unsigned int order,
				       uint64_t mark, int highest,
				       unsigned int alloc_flags,
				       uint64_t free_pages)
{
	if (!zone_free_above(z, order, mark, highest, alloc_flags, free_pages))
		return false;
	/* and a free block of the order or more must exist, on a list that
	 * serves requests: an isolated one (alloc_contig_pages is emptying
	 * its range) serves nobody, as Linux's check of the lists says. */
	if (order == 0)
		return true;
	for (unsigned int o = order; o <= MAX_ORDER; o++) {
		const struct free_area *a = &z->free_area[o];
		if (!a->nr_free)
			continue;
		if (o == MAX_ORDER && z->deferred_blocks)
			return true; /* boot's unlinked blocks */
		for (int t = 0; t < MIGRATE_TYPES; t++)
			if (t != MIGRATE_ISOLATE &&
			    !list_empty(&a->free_list[t]))
				return true;
	}
	return false;
}

bool zone_watermark_ok(const struct zone *z, unsigned int order, uint64_t mark,
		       int highest, unsigned int alloc_flags,
		       uint64_t free_pages)
{
	return __zone_watermark_ok(z, order, mark, highest, alloc_flags,
				   free_pages);
}

/* ---------------------------------------------------------------- taking */

/* debug_pagealloc: the heads a split is about to write links into, the
 * frames pfn + 2^k for k in [order, o), mapped first (they are tails of
 * the free block of order o, so unmapped). Out of line: it is off. */
static __attribute__((noinline, cold)) void
expand_map_heads(struct pglist_data *p, uint64_t pfn, unsigned int order,
		 unsigned int o)
{
	while (o-- > order)
		debug_pagealloc_map_pages(p, pfn + (1ULL << o), 1);
}

/*
 * rmqueue_smallest: takes the smallest free block of at least `order` and
 * splits it, returning the upper halves to the lists, as Linux's
 * __rmqueue_smallest and expand(). Only lists of `type`; the halves stay in
 * the block's pageblock, so they keep its type. Zone lock held. Returns the
 * pfn or 0. (mm/migratetype.c's __rmqueue adds the fallbacks.) Inline in
 * the zone-lock request path: no call, one section lookup (the block is
 * the node's, on its list: no bounds to test), and debug_pagealloc tested
 * once per request that splits, not once per split.
 */
static inline __attribute__((always_inline)) uint64_t
rmqueue_smallest_inline(struct pglist_data *p, struct zone *z,
			unsigned int order, int type)
{
	unsigned int o = order;
	struct free_area *area = &z->free_area[o];
	while (list_empty(&area->free_list[type])) {
		/* Boot's unlinked blocks come after the listed ones: the
		 * highest is linked once nothing is listed before it. */
		if (o == MAX_ORDER) {
			if (!free_list_has(p, z, o, type) ||
			    release_deferred_block(p, z) != type)
				return 0;
			break;
		}
		o++, area++;
	}
	struct list_head *e = area->free_list[type].next;
	uint64_t pfn = block_pfn(p, e);
	uint8_t *st = pfn_state_managed(p, pfn);
	unlink_block(p, e);
	area->nr_free--;
	if (__builtin_expect(o > order, 0) &&
	    __builtin_expect(debug_pagealloc_on(p), 0))
		expand_map_heads(p, pfn, order, o);
	/* LAB buddy: begin split */
	/* The block's first byte is e less its links' offset; a half's
	 * links are 2^o pages further, at the half's own offset (a local:
	 * the state byte stores may alias anything, so p's fields would be
	 * read again on every split). Each half goes on a list the search
	 * above found empty, and nothing has been added to it since: no
	 * neighbour to link to. */
	char *first = (char *)e - block_link_offset(pfn);
	while (o > order) { /* expand(): keep the low half */
		o--, area--;
		uint64_t half = 1ULL << o;
		st[half] = PFS_FREE | o;
		struct list_head *h = &area->free_list[type];
		struct list_head *n =
		    (struct list_head *)(first + (half << PAGE_SHIFT) +
					 block_link_offset(pfn + half));
		n->next = n->prev = h;
		h->next = h->prev = n;
		area->nr_free++;
	}
	/* LAB buddy: end split */
	st[0] = PFS_ALLOC | order;
	zone_free_pages_add(z, -(int64_t)(1ULL << order));
	return pfn;
}

/* (The inline copies' callers take the lock a few lines before; the
 * functions, called from elsewhere, check that it is held.) */
uint64_t rmqueue_smallest(struct pglist_data *p, struct zone *z,
			  unsigned int order, int type)
{
	lockdep_assert_held(&z->lock);
	return rmqueue_smallest_inline(p, z, order, type);
}

uint64_t rmqueue_order0(struct pglist_data *p, struct zone *z, int type)
{
	return __rmqueue(p, z, 0, type);
}

/* Reports the first byte of a handed-out block that is not poison. */
static void check_poison(struct pglist_data *p, uint64_t pfn,
			 unsigned int order)
{
	const uint8_t *b = pgdat_phys_to_virt(p, pfn << PAGE_SHIFT);
	uint64_t size = PAGE_SIZE << order, word;
	for (uint64_t i = 0; i < size; i++) {
		/* Eight bytes at a time while they are all poison. */
		while (i + 8 <= size &&
		       (__builtin_memcpy(&word, b + i, 8),
			word == PAGE_POISON * 0x0101010101010101ULL))
			i += 8;
		if (i < size && b[i] != PAGE_POISON) {
			__atomic_fetch_add(&p->poison_errors, 1,
					   __ATOMIC_RELAXED);
			pr_err("page_poison: use after free: frame 0x%llx offset 0x%llx holds 0x%02x, expected 0x%02x (order %u block)\n",
			       (unsigned long long)(pfn + (i >> PAGE_SHIFT)),
			       (unsigned long long)(i & (PAGE_SIZE - 1)), b[i],
			       PAGE_POISON, order);
			return;
		}
	}
}

void kernel_unpoison_pages(struct pglist_data *p, uint64_t pfn,
			   unsigned int order)
{
	if (p->page_poison)
		check_poison(p, pfn, order);
}

/* A block just taken off the free lists, made ready for its new owner. */
void prep_new_page(struct pglist_data *p, uint64_t pfn, unsigned int order,
		   gfp_t gfp)
{
	debug_pagealloc_map_pages(p, pfn + 1, (1ULL << order) - 1);
	kernel_unpoison_pages(p, pfn, order);
	if (gfp & __GFP_ZERO)
		memset(pgdat_phys_to_virt(p, pfn << PAGE_SHIFT), 0,
		       PAGE_SIZE << order);
}

/* Non-blocking high-order requests use the highatomic pageblocks first
 * and claim a new one when they can (mm/highatomic.c). Zone lock held. */
static __attribute__((noinline)) uint64_t
rmqueue_highatomic(struct pglist_data *p, struct zone *z, unsigned int order,
		   int type)
{
	uint64_t pfn = rmqueue_smallest(p, z, order, MIGRATE_HIGHATOMIC);
	if (!pfn) {
		pfn = __rmqueue(p, z, order, type);
		if (pfn)
			reserve_highatomic_pageblock(p, z, pfn, order);
	}
	return pfn;
}

/*
 * get_page_from_freelist: walks the zonelist from the highest zone allowed
 * down to DMA and takes from the first zone whose watermark allows it. The
 * check is done under the zone lock so the reserve is exact.
 */
static inline __attribute__((always_inline)) uint64_t
get_page_from_freelist_inline(struct pglist_data *p, gfp_t gfp,
			      unsigned int order, unsigned int alloc_flags,
			      int highest)
{
	for (int zi = highest; zi >= 0; zi--) {
		struct zone *z = &p->node_zones[zi];
		unsigned long flags;
		uint64_t pfn = 0;

		if (!z->managed_pages)
			continue;
		/* PF_MEMALLOC and __GFP_MEMALLOC requests take whatever is
		 * free: their floor is 0 (mm/memalloc.h). */
		bool no_wmark = alloc_flags & ALLOC_NO_WATERMARKS;
		/* Single frames come from this CPU's cache (mm/pcp.c) once
		 * the watermark test passes: no zone lock on the way. (A
		 * zone with caches has one for every CPU they were sized
		 * for; a CPU numbered past those has none, now or later.) */
		const struct per_cpu_pages *cache =
		    order <= PCP_MAX_ORDER && p->pcp_enabled
			? zone_pcp(z, mm_this_cpu())
			: NULL;
		if (cache && pcp_caches_order(cache, order)) {
			uint64_t mark =
			    z->watermark[alloc_flags & ALLOC_WMARK_MASK];
			/* The free-page half of the test: a cached block
			 * answers the other (the lists may have none). */
			if (!no_wmark &&
			    !zone_free_above(z, order, mark, highest,
					     alloc_flags,
					     __atomic_load_n(&z->free_pages,
							     __ATOMIC_RELAXED)))
				continue;
			pfn = pcp_alloc(p, z,
					no_wmark
					    ? 0
					    : zone_reserve_floor(mark,
								 alloc_flags) +
						  z->lowmem_reserve[highest],
					gfp_migratetype(p, gfp), order);
			if (!pfn)
				continue;
			goto got_block;
		}
		spin_lock_irqsave(&z->lock, flags);
		uint64_t mark = z->watermark[alloc_flags & ALLOC_WMARK_MASK];
		/* The free-page half of the watermark test: its other half,
		 * "is there a free block of this order or more?", is what
		 * taking one answers anyway. */
		if (no_wmark || zone_free_above(z, order, mark, highest,
						alloc_flags, z->free_pages)) {
			int type = gfp_migratetype(p, gfp);
			if (__builtin_expect(alloc_flags & ALLOC_HIGHATOMIC, 0))
				pfn = rmqueue_highatomic(p, z, order, type);
			else {
				pfn =
				    rmqueue_smallest_inline(p, z, order, type);
				if (!pfn && type < MIGRATE_PCPTYPES)
					pfn =
					    rmqueue_fallback(p, z, order, type);
			}
			if (pfn && z->free_pages < z->watermark[WMARK_MIN])
				z->reserve_dips++;
		}
		spin_unlock_irqrestore(&z->lock, flags);
		if (!pfn)
			continue;
	got_block:
		if (__builtin_expect(mm_debug_hooks_on(p) != 0, 0) ||
		    (gfp & __GFP_ZERO))
			prep_new_page(p, pfn, order, gfp);
		return pfn << PAGE_SHIFT;
	}
	return 0;
}

uint64_t get_page_from_freelist(struct pglist_data *p, gfp_t gfp,
				unsigned int order, unsigned int alloc_flags,
				int highest)
{
	return get_page_from_freelist_inline(p, gfp, order, alloc_flags,
					     highest);
}

/* Everything but the order-0 fast path: checks and reports, fault
 * injection, the zonelist walk, the slow path, page_owner. */
uint64_t alloc_pages_general(struct pglist_data *p, gfp_t gfp,
			     unsigned int order, void *caller)
{
	if (alloc_request_bad(gfp, order))
		return refuse_request(gfp, order, caller);
	if (!p->initialised)
		return 0;
	if ((gfp & __GFP_DIRECT_RECLAIM) && !may_sleep() &&
	    refuse_sleeping_request(p, gfp, order, caller))
		return 0;
	int highest = gfp_zone(gfp);
	/* fail_page_alloc=: a deliberate failure (mm/fault_inject.c). */
	if (should_fail_alloc_page(p, gfp, order))
		return 0;

	/* Fast path: only while every zone tried stays above `low`. */
	uint64_t phys = get_page_from_freelist_inline(p, gfp, order,
						      ALLOC_WMARK_LOW, highest);
	if (!phys)
		phys = __alloc_pages_slowpath(p, gfp, order, highest, caller);
	if (phys)
		set_page_owner(p, phys >> PAGE_SHIFT, order, gfp, caller);
	return phys;
}

/* The allocator's one entry point (Linux's __alloc_pages). This CPU's cache
 * serves most requests (mm/pcp.c, mm/pcp_high.c, docs/05); those paths hand
 * the request to the general path for anything more. */
uint64_t __alloc_pages(struct pglist_data *p, gfp_t gfp, unsigned int order,
		       void *caller)
{
	if (order == 0 && p->pcp_enabled)
		return pcp_alloc_fast(p, gfp, caller);
	/* order first: a single frame on a node whose caches are off need
	 * not read the mask (docs/08c, "One test at the entry points"). */
	if (order && pgdat_pcp_takes_blocks(p, order))
		return pcp_alloc_block_fast(p, gfp, order, caller);
	return alloc_pages_general(p, gfp, order, caller);
}

uint64_t pgdat_alloc_pages(struct pglist_data *pgdat, gfp_t gfp,
			   unsigned int order)
{
	return __alloc_pages(pgdat, gfp, order, __builtin_return_address(0));
}

/* The kernel's requests: its one node, or with several (mm/node.c) this
 * CPU's node first and the others by distance. */
static inline uint64_t kernel_alloc(gfp_t gfp, unsigned int order, void *caller)
{
	if (__builtin_expect(mm_numa_on(), 0))
		return __alloc_pages_node(NUMA_NO_NODE, gfp, order, caller);
	return __alloc_pages(&contig_page_data, gfp, order, caller);
}

struct pglist_data *kernel_pgdat_of(uint64_t phys)
{
	return kernel_node_of(phys);
}

uint64_t alloc_pages(gfp_t gfp, unsigned int order)
{
	return kernel_alloc(gfp, order, __builtin_return_address(0));
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	uint64_t phys = kernel_alloc(gfp, order, __builtin_return_address(0));
	return phys ? (unsigned long)phys_to_virt(phys) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	uint64_t phys =
	    kernel_alloc(gfp | __GFP_ZERO, 0, __builtin_return_address(0));
	return phys ? (unsigned long)phys_to_virt(phys) : 0;
}
