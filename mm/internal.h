/*
 * Helpers shared by the allocator's own files (page_alloc.c, slowpath.c,
 * mm_init.c, highatomic.c, mm_debug.c) and nobody else, like Linux's mm/internal.h.
 * docs/03-buddy-and-gfp.md explains the structures they work on.
 */
#ifndef LABYRINTH_MM_INTERNAL_H
#define LABYRINTH_MM_INTERNAL_H

#include "kernel/lib/string.h"
#include "mm/debug_pagealloc.h"
#include "mm/fault_inject.h"
#include "mm/page_alloc.h"
#include "mm/page_owner.h"

/* Internal ALLOC_ flag: an order > 0 request that cannot block may use, and
 * claim, highatomic pageblocks (Linux's ALLOC_HIGHATOMIC). */
#define ALLOC_HIGHATOMIC 0x40

/* The highest zone a request may use (Linux's gfp_zone); the zonelist
 * falls back from there down to DMA. */
static inline enum zone_type gfp_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

static inline uint64_t block_pfn(const struct pglist_data *p,
				 const struct list_head *entry)
{
	return pgdat_virt_to_phys(p, entry) >> PAGE_SHIFT;
}

/*
 * Where a free block's list links sit in its first page: at a cache line
 * picked by the block's frame number, not at the page's first byte. Bits
 * 6-11 of an address pick a first-level cache set, so links at offset 0
 * would put every free block's head in set 0: the eleven blocks one split
 * of a 4 MiB block makes, 1, 2, 4 ... 512 pages apart, would fight over
 * that set's 8 ways, and so would any zone field that happens to sit
 * there (docs/08b, "Where a free block keeps its links"). Frame bits 0-5
 * pick the line, and bits 6-11 are folded in so that blocks of order 6
 * and more are spread too: a block and its ten buddies share a line at
 * most two by two (mm_buddy.test_link_lines_spread). block_pfn() drops
 * the offset with the rest of the page offset.
 */
static inline uint64_t block_link_offset(uint64_t pfn)
{
	/* ((pfn ^ (pfn >> 6)) & 63) << 6, bit for bit, in one instruction
	 * fewer (the compiler does not see it): bit 6 + i is frame bit i
	 * XOR frame bit 6 + i. */
	return ((pfn << 6) ^ pfn) & 0xfc0;
}

static inline struct list_head *pfn_entry(const struct pglist_data *p,
					  uint64_t pfn)
{
	char *page = pgdat_phys_to_virt(p, pfn << PAGE_SHIFT);
	return (struct list_head *)(page + block_link_offset(pfn));
}

/*
 * Read without their lock, and so written whole (Linux's READ_ONCE and
 * WRITE_ONCE): a zone's free_pages (watermark peeks, pcp_free's test) and
 * nr_reserved_highatomic (mm/highatomic.c), a
 * per-CPU list's count (which CPUs have frames parked?), and the state
 * byte of a frame on or leaving a per-CPU list, which its CPU changes
 * without the zone lock while another CPU, freeing the frame's buddy under
 * the lock, reads it (either value there means "not free"). A torn or
 * cached read is impossible on x86 anyway; ThreadSanitizer sees the rule
 * (tests/stress/, docs/07b-soak-stress-and-fuzzing.md "Stress on the host").
 */
static inline void zone_free_pages_add(struct zone *z, int64_t pages)
{
	__atomic_store_n(&z->free_pages, z->free_pages + (uint64_t)pages,
			 __ATOMIC_RELAXED);
}
static inline void pcp_count_set(struct per_cpu_pages *pcp, unsigned int n)
{
	__atomic_store_n(&pcp->count, (uint16_t)n, __ATOMIC_RELAXED);
}
static inline uint8_t frame_state_read(const uint8_t *st)
{
	return __atomic_load_n(st, __ATOMIC_RELAXED);
}

/*
 * Is any debug option on that the allocation and free paths must call
 * into (fault injection, page_owner, debug_pagealloc, page_poison)? Two
 * loads, an OR and one branch for all: mm_debug_hooks counts the options
 * on, over every node (fault injection and debug_pagealloc once,
 * page_owner once per node; their switches add and take their one with
 * mm_debug_hooks_add()), and page_poison, set per node, is OR-ed in. The
 * option's own hook then asks about this node. Four loads OR-ed together
 * cost each fast path nine instructions (docs/07, "One word for the debug
 * options"). Over-counted, the paths are only slower; a count of 0 with an
 * option on would skip it. pgdat_check() reports any miscount.
 */
extern unsigned int mm_debug_hooks;
void mm_debug_hooks_add(int delta);
static inline uintptr_t mm_debug_hooks_on(const struct pglist_data *p)
{
	return (uintptr_t)__atomic_load_n(&mm_debug_hooks, __ATOMIC_RELAXED) |
	       (uintptr_t)__atomic_load_n((const uint8_t *)&p->page_poison,
					  __ATOMIC_RELAXED);
}

/* A free block's list links live in its first page (block_link_offset);
 * with poisoning on they must read as poison again once the block leaves
 * its list. */
static inline void unlink_block(struct pglist_data *p, struct list_head *e)
{
	list_del(e);
	if (p->page_poison)
		memset(e, PAGE_POISON, sizeof(*e));
}

/* A request no node may serve: an order above MAX_ORDER, unknown or
 * contradictory flags, __GFP_NOFAIL without leave to sleep. The general
 * path refuses it by name (mm/page_alloc.c); mm/node.c asks first, so
 * that it is refused once and not once per node. */
static inline bool alloc_request_bad(gfp_t gfp, unsigned int order)
{
	/* The usual request has no bit that could make it bad but the two
	 * mobility bits (bad only together): that is one test. */
	if (__builtin_expect(!(gfp &
			       (~__GFP_BITS_MASK | __GFP_DMA | __GFP_NOFAIL)) &&
				 order <= MAX_ORDER &&
				 (gfp & (__GFP_MOVABLE | __GFP_RECLAIMABLE)) !=
				     (__GFP_MOVABLE | __GFP_RECLAIMABLE),
			     1))
		return false;
	return order > MAX_ORDER || (gfp & ~__GFP_BITS_MASK) ||
	       (gfp & (__GFP_DMA | __GFP_DMA32)) == (__GFP_DMA | __GFP_DMA32) ||
	       (gfp & (__GFP_MOVABLE | __GFP_RECLAIMABLE)) ==
		   (__GFP_MOVABLE | __GFP_RECLAIMABLE) ||
	       (gfp & (__GFP_NOFAIL | __GFP_DIRECT_RECLAIM)) == __GFP_NOFAIL;
}

/* page_poison's fill of a block its owner freed (mm/page_free.c). */
void poison_block(struct pglist_data *p, uint64_t pfn, unsigned int order);
/* page_free.c: puts a block whose state byte is PFS_ALLOC|order back on the
 * free lists, merging it with free buddies. Zone lock held. */
void __free_one_page(struct pglist_data *p, struct zone *z,
		     struct mem_section *sec, uint64_t pfn, unsigned int order);
/* The same, taking the zone lock (used at bring-up). */
void __free_pages_core(struct pglist_data *p, uint64_t pfn, unsigned int order);
/* Free MAX_ORDER blocks boot left off the lists (PFS_DEFERRED): link the
 * highest (zone lock held; its list's migrate type, or -1 if none), or all
 * of the zone's, behind the listed ones (_locked: zone lock held; else it
 * takes the lock). */
int release_deferred_block(struct pglist_data *p, struct zone *z);
void release_deferred_blocks_locked(struct pglist_data *p, struct zone *z);
void release_deferred_blocks(struct pglist_data *p, struct zone *z);
/* The migrate type of boot's unlinked blocks: every pageblock starts as the
 * node's first kind (mm_init.c), and nothing retypes an unlinked block. */
static inline int deferred_migratetype(const struct pglist_data *p)
{
	return p->migratetype_gfp_mask ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
}
/* Does `type`'s list of order o hold a free block? Boot's unlinked blocks
 * count as the end of their type's MAX_ORDER list, highest first: where an
 * eager boot's list has them (docs/03b). Zone lock held. */
static inline bool free_list_has(const struct pglist_data *p,
				 const struct zone *z, unsigned int o, int type)
{
	return !list_empty(&z->free_area[o].free_list[type]) ||
	       (o == MAX_ORDER && z->deferred_blocks &&
		type == deferred_migratetype(p));
}
bool __ratelimit(struct ratelimit_state *rs);

/* page_alloc.c: the zonelist walk, from zone `highest` down, against the
 * watermark alloc_flags names. Returns a physical address or 0. */
uint64_t get_page_from_freelist(struct pglist_data *p, gfp_t gfp,
				unsigned int order, unsigned int alloc_flags,
				int highest);

/* page_alloc.c: the entry points with the caller to report and record,
 * and the last step of every allocation (debug mapping, poison check,
 * zeroing). */
uint64_t __alloc_pages(struct pglist_data *p, gfp_t gfp, unsigned int order,
		       void *caller);
int free_pages_caller(struct pglist_data *p, uint64_t phys, unsigned int order,
		      void *caller);
/* page_poison: a block leaving the free memory by any way (an allocation,
 * a compaction's free frames, alloc_contig_pages' range) must still read
 * as poison; a byte that does not is reported as a use after free (Linux's
 * kernel_unpoison_pages). Nothing when page_poison is off. */
void kernel_unpoison_pages(struct pglist_data *p, uint64_t pfn,
			   unsigned int order);
void prep_new_page(struct pglist_data *p, uint64_t pfn, unsigned int order,
		   gfp_t gfp);
/* page_alloc.c: what is left when the per-CPU fast paths (mm/pcp.c) pass:
 * every check and report, the zonelist walk, the slow path; page_free.c: a
 * free under the zone lock (arguments already checked). */
uint64_t alloc_pages_general(struct pglist_data *p, gfp_t gfp,
			     unsigned int order, void *caller);
int free_pages_locked(struct pglist_data *p, uint64_t phys, unsigned int order,
		      void *caller);

/* bad_free.c: the reports of a free that is wrong: its arguments (order,
 * alignment, frame 0), or the frame's state byte s, read under the zone
 * lock. Count it, print one line (rate-limited), return -1. */
int bad_free_args(struct pglist_data *p, uint64_t phys, unsigned int order,
		  void *caller);
int bad_free_state(struct pglist_data *p, uint64_t phys, unsigned int order,
		   void *caller, uint8_t s);

/* slowpath.c: what __alloc_pages calls when the fast path fails, and the
 * two refusals it makes before trying at all. */
uint64_t __alloc_pages_slowpath(struct pglist_data *p, gfp_t gfp,
				unsigned int order, int highest, void *caller);
uint64_t refuse_request(gfp_t gfp, unsigned int order, void *caller);
bool refuse_sleeping_request(struct pglist_data *p, gfp_t gfp,
			     unsigned int order, void *caller);

/* lowmem_reserve.c: Linux's defaults, and the kernel node's (cmdline). */
extern const unsigned int lowmem_reserve_ratio_default[MAX_NR_ZONES];
extern unsigned int boot_lowmem_reserve_ratio[MAX_NR_ZONES];

/* highatomic.c. Zone lock held for reserve; unreserve takes the locks and
 * gives the pageblocks to `type` (the type of the request that needs
 * them, as Linux does). */
void reserve_highatomic_pageblock(struct pglist_data *p, struct zone *z,
				  uint64_t pfn, unsigned int order);
bool unreserve_highatomic_pageblocks(struct pglist_data *p, int highest,
				     int type);

/* The migrate type a request's pages belong to (Linux's gfp_migratetype):
 * MIGRATE_UNMOVABLE, _MOVABLE or _RECLAIMABLE, or MIGRATE_PCPTYPES for
 * the contradictory __GFP_MOVABLE | __GFP_RECLAIMABLE (refused). With
 * page_grouping=off the node's mask is 0: everything is unmovable. */
_Static_assert(__GFP_MOVABLE >> 3 == MIGRATE_MOVABLE &&
		   __GFP_RECLAIMABLE >> 3 == MIGRATE_RECLAIMABLE,
	       "the mobility GFP bits read as a migrate type");
#define GFP_MOVABLE_MASK (__GFP_MOVABLE | __GFP_RECLAIMABLE)
static inline int gfp_migratetype(const struct pglist_data *p, gfp_t gfp)
{
	return (int)((gfp & p->migratetype_gfp_mask) >> 3);
}

/* migratetype.c: the second half of __rmqueue, for when `type`'s lists
 * have nothing (get_page_from_freelist inlines the first half and calls
 * this). Zone lock held; a pfn or 0. */
uint64_t rmqueue_fallback(struct pglist_data *p, struct zone *z,
			  unsigned int order, int type);
/* page_alloc.c: the smallest free block of `order` or more on `type`'s
 * lists, split down to `order` (its halves stay on `type`'s lists).
 * migratetype.c: the same with fallback to the other types' lists, as
 * every allocation takes blocks. Zone lock held; a pfn or 0. */
uint64_t rmqueue_smallest(struct pglist_data *p, struct zone *z,
			  unsigned int order, int type);
uint64_t __rmqueue(struct pglist_data *p, struct zone *z, unsigned int order,
		   int type);
/* migratetype.c: moves the free blocks of the pageblock at `start` to
 * `type`'s lists and returns the pages moved; sets every pageblock of
 * the block of `order` at pfn (one, if order <= PAGEBLOCK_ORDER) to type.
 * Zone lock held. */
uint64_t move_freepages_block(struct pglist_data *p, struct zone *z,
			      struct mem_section *sec, uint64_t start,
			      int type);
void change_pageblock_range(struct mem_section *sec, uint64_t pfn,
			    unsigned int order, int type);
extern const char *const migratetype_names[MIGRATE_TYPES];
/* Pageblocks of zone z per type into out[], and how many are mixed
 * (hold an allocation of another type: needs page_owner, else -1). */
long zone_pageblock_counts(struct pglist_data *p, struct zone *z,
			   uint64_t out[MIGRATE_TYPES]);

#endif
