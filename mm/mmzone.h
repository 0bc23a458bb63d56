/*
 * The allocator's data structures: a node (Linux's pglist_data) holds zones;
 * each zone has one buddy free list per order and its watermarks; per-frame
 * state is one byte, kept in sparse 128 MiB sections found through a small
 * hash table, so holes in the physical address space cost nothing.
 * docs/03-buddy-and-gfp.md ("Data structures") draws the picture.
 */
#ifndef LABYRINTH_MM_MMZONE_H
#define LABYRINTH_MM_MMZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/config.h"
#include "mm/platform.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
/* Pages to KiB, for reports (Linux's K()). */
#define K(pages) ((uint64_t)(pages) << (PAGE_SHIFT - 10))
/* The byte free pages hold with page_poison=1 (Linux's PAGE_POISON). */
#define PAGE_POISON 0xaa
#define MAX_ORDER 10 /* largest block: 2^10 frames = 4 MiB */
#define NR_PAGE_ORDERS (MAX_ORDER + 1)
#define SECTION_SHIFT 27 /* 128 MiB, as Linux's x86-64 SPARSEMEM */
#define PFN_SECTION_SHIFT (SECTION_SHIFT - PAGE_SHIFT)
#define PAGEBLOCK_ORDER 9 /* 2 MiB: the unit of grouping by mobility */
#define PAGEBLOCK_PAGES (1ULL << PAGEBLOCK_ORDER)
#define PAGEBLOCKS_PER_SECTION (1U << (PFN_SECTION_SHIFT - PAGEBLOCK_ORDER))
/* A pageblock's flags byte: its migrate type, and compaction's hint that
 * a scan found nothing to do there (Linux's PB_migrate_skip). */
#define PB_MIGRATETYPE_MASK 0x07
#define PB_COMPACT_SKIP 0x08

/*
 * Migrate types (docs/10-fragmentation-and-compaction.md): every 2 MiB
 * pageblock has one, saying what kind of allocation its free blocks serve,
 * so that pages that can never move stay together instead of pinning one
 * page in every pageblock. The first MIGRATE_PCPTYPES have per-CPU lists;
 * HIGHATOMIC pageblocks are held for high-order atomic requests
 * (mm/highatomic.c); ISOLATE ones are being emptied (contiguous runs,
 * mm/migratetype.c) and serve nobody. Linux's names and roles.
 */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES, /* the three above */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};

enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, MAX_NR_ZONES };
enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

/*
 * Frame state byte. Only the first frame of a block (its head) says what the
 * block is; every other frame of a free or allocated block is a TAIL. A split
 * or a merge therefore changes one byte, not 2^order of them.
 */
#define PFS_RESERVED \
	0x00	      /* not RAM for the allocator (hole, firmware,
			      metadata, below 1 MiB, not yet released) */
#define PFS_TAIL 0x01 /* inside a block, not its head */
#define PFS_PCP \
	0x20	       /* head of a free block parked in a per-CPU cache;
			  low bits: order (0 .. PCP_MAX_ORDER) */
#define PFS_ALLOC 0x40 /* head of an allocated block; low bits: order */
#define PFS_FREE 0x80  /* head of a free block; low bits: order */
/* Head of a free MAX_ORDER block that is not on a free list yet: boot put
 * it off so as not to write into free memory (release_deferred_block).
 * Counted free (nr_free, free_pages); walkers that look for PFS_FREE pass
 * it by. docs/03b-free-memory-untouched-at-boot.md. */
#define PFS_DEFERRED 0x10
/* A head byte as a reader of block sizes sees it: an unlinked free block
 * is a free block of MAX_ORDER (only the lists tell them apart). */
#define pfs_as_listed(s)                                                    \
	((uint8_t)((s) == (PFS_DEFERRED | MAX_ORDER) ? PFS_FREE | MAX_ORDER \
						     : (s)))
#define PFS_ORDER_MASK 0x0f
/* The head of a block parked in a per-CPU cache (any order). */
#define pfs_parked(s) (((s) & ~PFS_ORDER_MASK) == PFS_PCP)
/* The head of a block: free, allocated or parked; its order in the low
 * bits, its other frames PFS_TAIL. */
#define PFS_HEAD (PFS_FREE | PFS_ALLOC | PFS_PCP)
/* Every order fits the order bits, and the head flags stay clear of them
 * (a split or merge rewrites the byte as flag | order). */
_Static_assert(MAX_ORDER <= PFS_ORDER_MASK, "orders fit the state byte");
_Static_assert(((PFS_PCP | PFS_ALLOC | PFS_FREE | PFS_DEFERRED) &
		PFS_ORDER_MASK) == 0 &&
		   (PFS_DEFERRED & (PFS_PCP | PFS_ALLOC | PFS_FREE)) == 0 &&
		   (PFS_PCP & PFS_ALLOC) == 0 && (PFS_PCP & PFS_FREE) == 0 &&
		   (PFS_ALLOC & PFS_FREE) == 0,
	       "state byte flags are distinct bits above the order");
/* A pageblock is a buddy block: the highatomic reserve moves whole ones. */
_Static_assert(PAGEBLOCK_ORDER <= MAX_ORDER, "pageblocks are buddy blocks");

struct list_head {
	struct list_head *next, *prev;
};

struct free_area {
	/* free blocks of this order, kept in the pages themselves, on the
	 * list of their pageblock's migrate type */
	struct list_head free_list[MIGRATE_TYPES];
	uint64_t nr_free; /* blocks on all the lists */
};

struct pglist_data;

/* Per-CPU page caches (mm/pcp.c): free order-0 frames kept by one CPU so
 * that most order-0 requests never take the zone lock. Only its CPU
 * touches a cache, with interrupts off; other CPUs drain it by asking that
 * CPU (an IPI), never directly. Linux's struct per_cpu_pages, with one
 * difference: the frames are kept as numbers in arrays, not linked through
 * the free frames themselves, so that taking or parking a frame never
 * touches the frame (docs/05, "Frame numbers, not links"). */
#define MM_MAX_CPUS CONFIG_NR_CPUS /* kernel/lib/config.h */
/* Slots per migrate type for single frames: with the 64-byte header, the
 * first 10 KiB of a CPU's cache. high stays at most PCP_SLOTS - 1 - batch
 * (pcp_sizes): room for twelve of the largest batches (docs/08c, "Order 4
 * too"). */
#define PCP_SLOTS 832
/* Blocks of orders 1 .. PCP_MAX_ORDER are cached too: Linux stops at
 * PAGE_ALLOC_COSTLY_ORDER (3); order 4 is cached here where high is large,
 * which boot makes it only where refills take groups (pcp_caches_order,
 * docs/08c "Order 4 too").
 * PCP_HSLOTS blocks per order and type, after the single frames. */
#define PCP_MAX_ORDER 4
#define PCP_HSLOTS 128
/* high, in batches of the largest size (63), where a zone can spare it
 * (pcp_sizes): order 4 is cached where high is at least PCP_ORDER4_HIGH. */
#define PCP_HIGH_BATCHES 12
#define PCP_ORDER4_HIGH (PCP_HIGH_BATCHES * 63)
/* Where caches are big enough (pcp_sizes), a refill takes an aligned block
 * of 2^PCP_GROUP_ORDER frames whole: 64 frames, whose state bytes are one
 * cache line that no other CPU's refill shares (docs/08c, "Two CPUs, one
 * cache line"). */
#define PCP_GROUP_ORDER 6
#define PCP_GROUP_PAGES (1U << PCP_GROUP_ORDER)
_Static_assert(PCP_GROUP_ORDER < PAGEBLOCK_ORDER,
	       "a group lies in one pageblock: it has one migrate type");
struct per_cpu_pages {
	/* 16 bits are plenty: batch <= 63, high <= PCP_SLOTS, and count
	 * passes high at most by a refill (a batch or a group) for each
	 * order and type whose slots emptied. */
	uint16_t count; /* pages held, all orders and types (read by other
			   CPUs) */
	uint16_t high;	/* above this, pages go back to the zone */
	uint16_t batch; /* pages moved per zone-lock hold */
	/* Frames held per migrate type that order-0 requests use, so a page
	 * freed in a movable pageblock goes to the next movable request
	 * (Linux's MIGRATE_PCPTYPES lists); then blocks held per order
	 * (1 .. PCP_MAX_ORDER) and type. */
	uint16_t nr[MIGRATE_PCPTYPES];
	uint16_t hnr[PCP_MAX_ORDER][MIGRATE_PCPTYPES];
	bool group_refill;     /* refills take PCP_GROUP_PAGES frames at once */
	uint8_t cached_orders; /* bit k: blocks of order k are cached here */
	uint32_t refills, drains; /* batches taken from / given to the zone
				     (statistics: they wrap after 4e9) */
	uint64_t base_pfn;	  /* a slot holds pfn - base_pfn */
	/* slots[t][0] is the coldest frame, slots[t][nr[t] - 1] the hottest;
	 * hslots[order - 1][t] likewise for blocks (their head frames). */
	uint32_t slots[MIGRATE_PCPTYPES][PCP_SLOTS]
	    __attribute__((aligned(64)));
	uint32_t hslots[PCP_MAX_ORDER][MIGRATE_PCPTYPES][PCP_HSLOTS];
} __attribute__((aligned(4096))); /* pages of its own: no false sharing */
_Static_assert(sizeof(struct per_cpu_pages) == 16384,
	       "a CPU's cache is four pages of its own (docs/05)");
_Static_assert(PCP_MAX_ORDER < PCP_GROUP_ORDER && PCP_MAX_ORDER < 8,
	       "a group holds several blocks of every cached order, and "
	       "cached_orders has a bit for each");
_Static_assert(MAX_ORDER < 16, "pcp sizes fit 16 bits");
_Static_assert(__builtin_offsetof(struct per_cpu_pages, slots) == 64,
	       "the header is one cache line");

struct zone {
	spinlock_t lock;
	const char *name;
	struct pglist_data *zone_pgdat;
	uint64_t window_start_pfn,
	    window_end_pfn;	 /* address limits of the zone */
	uint64_t zone_start_pfn; /* first RAM frame (0 if none) */
	uint64_t spanned_pages;	 /* first to last RAM frame, holes included */
	uint64_t present_pages;	 /* RAM frames, metadata included */
	uint64_t managed_pages;	 /* frames the buddy allocator owns */
	uint64_t free_pages;
	uint64_t watermark[NR_WMARK];
	/* Pages a request whose highest usable zone is j must leave in this
	 * zone on top of the watermark (Linux's lowmem_reserve, set from
	 * lowmem_reserve_ratio by mm/lowmem_reserve.c): 0 for this zone and
	 * below, so requests that need low memory still find it. */
	uint64_t lowmem_reserve[MAX_NR_ZONES];
	struct free_area free_area[NR_PAGE_ORDERS];
	/* Free MAX_ORDER blocks boot has not linked yet (PFS_DEFERRED heads,
	 * all below deferred_cursor; counted in free_area[MAX_ORDER] and
	 * free_pages): a free list is written only when a block is needed. */
	uint64_t deferred_blocks, deferred_cursor;
	/* Atomic reserve accounting (shown in meminfo). */
	uint64_t reserve_dips;	   /* successes that went below min */
	uint64_t reserve_failures; /* reserve-eligible requests that failed */
	uint64_t nr_reserved_highatomic; /* pages in highatomic pageblocks */
	/* Compaction (mm/compaction.c): where the two scanners stopped, so
	 * the next run goes on from there, and Linux's deferral after
	 * failures (compaction_deferred). Under the zone lock. */
	uint64_t compact_cached_migrate_pfn, compact_cached_free_pfn;
	/* ... and the pageblock the search for pageblocks that can never be
	 * a block looks at next (compaction's first free frames). */
	uint64_t compact_cached_hopeless_pfn;
	unsigned int compact_considered, compact_defer_shift;
	int compact_order_failed;
	bool compact_blockskip_flush; /* a run met the other scanner */
	/* Runs in this zone now: for a request (the slow path), and in the
	 * background (kcompactd, proactive, compact_memory). A background run
	 * gives the zone up to a request's run (compaction_enter); atomic. */
	unsigned int compact_direct_runs, compact_background_runs;
	/* pgdat->pcp_nr_cpus caches, four pages each, from the node's own
	 * memory (pgdat_pcp_enable); NULL: this zone keeps none. */
	struct per_cpu_pages *pcp;
};

/* One 128 MiB section that contains RAM: its frames' state bytes, covering
 * only the span from its first to its last RAM frame. */
struct mem_section {
	uint64_t key;	    /* section number + 1; 0 marks an empty slot */
	uint64_t first_pfn; /* frame of frame_state[0] */
	uint64_t nr_frames;
	uint8_t *frame_state;
	/* One byte per pageblock of the section (64 bytes per 128 MiB: the
	 * per-frame cost stays one byte): migrate type and skip hint. Bytes
	 * are read without the zone lock and so written whole (atomics); a
	 * section's bytes may belong to two zones. */
	uint8_t pageblock_flags[PAGEBLOCKS_PER_SECTION];
};
/* The direct map of sections follows the hash in the metadata: whole
 * mem_sections keep it 8-byte aligned (mm_init.c). */
_Static_assert(sizeof(struct mem_section) % sizeof(void *) == 0,
	       "the section map after the hash is pointer-aligned");
_Static_assert(MIGRATE_TYPES - 1 <= PB_MIGRATETYPE_MASK,
	       "every migrate type fits a pageblock's type bits");
_Static_assert((PB_COMPACT_SKIP & PB_MIGRATETYPE_MASK) == 0,
	       "the skip hint is a bit of its own");

struct ratelimit_state {
	spinlock_t lock; /* only ever tried, never waited for */
	uint64_t interval_ms;
	uint64_t last_ms;
	bool printed;
	unsigned int missed;
};

/* Reclaim's counters (Linux's vmstat names where it has them). */
struct reclaim_stats {
	uint64_t allocstall;	 /* entries into direct reclaim */
	uint64_t pgsteal_direct; /* pages freed by direct reclaim */
	uint64_t pgsteal_kswapd; /* pages freed by kswapd */
	uint64_t kswapd_wakeups; /* times kswapd left its sleep */
	uint64_t kswapd_gave_up; /* runs that ended short of `high` */
	uint64_t alloc_waits;	 /* sleeps waiting for pages to be freed */
	uint64_t alloc_timeouts; /* sleeping requests failed after waiting */
};

/* Page migration's counters (mm/migrate.c; Linux's vmstat names where it
 * has them). */
struct migrate_stats {
	uint64_t pgmigrate_success; /* pages moved to a new frame */
	uint64_t pgmigrate_fail;    /* isolated pages that could not move */
	uint64_t pgmigrate_refused; /* bad entries handed to migrate_pages */
};

/* Compaction's counters, Linux's vmstat names (mm/compaction.c). */
struct compact_stats {
	uint64_t compact_stall;		  /* direct compaction runs */
	uint64_t compact_success;	  /* ... after which the request got
					     its block */
	uint64_t compact_fail;		  /* ... after which it did not */
	uint64_t compact_migrate_scanned; /* frames the migrate scanner saw */
	uint64_t compact_free_scanned;	  /* frames the free scanner saw */
	uint64_t compact_isolated;	  /* pages isolated, both scanners */
	uint64_t compact_deferred;	  /* runs skipped by deferral */
	uint64_t kcompactd_wake;	  /* times kcompactd woke to work */
	uint64_t proactive_runs;	  /* kcompactd runs for the score */
	uint64_t compact_yields; /* background runs that stopped (or did not
				    start) for a request's run */
	uint64_t compact_spills; /* runs that moved pages to a zone below */
	uint64_t compact_spill_moved; /* ... and the pages they moved there */
	/* Interrupts-off stretches compaction itself made (zone-lock holds
	 * of the free scanner, and the per-CPU drain after each batch), in
	 * ns: the longest, and a histogram by
	 * powers of two (bucket i: 2^i to 2^(i+1) - 1 ns), whose median a
	 * vCPU preempted by its host does not move. */
	uint64_t max_irqoff_ns;
	uint64_t irqoff_hist[40];
};

struct movable_owner;

struct pglist_data {
	int node_id;
	bool initialised;
	bool page_poison;      /* fill freed pages, check them on allocation */
	bool eager_free_lists; /* link every free block at init (no deferral) */
	uint64_t direct_map_offset; /* virtual = physical + this */
	struct zone node_zones[MAX_NR_ZONES];

	struct mem_section *sections; /* open-addressing hash, 2^hash_bits */
	unsigned int hash_bits;
	unsigned int nr_sections;
	/* The same sections by number (pfn_to_section): section_map[i] is
	 * section section_map_first + i, NULL in a hole. A load instead of a
	 * hash probe on every allocation and free; section_map_nr is 0 where
	 * the sections are too far apart for it to pay (the hash answers). */
	struct mem_section **section_map;
	uint64_t section_map_first, section_map_nr;
	uint64_t metadata_start, metadata_pages; /* carved out of RAM */
	uint64_t totalram_pages; /* managed pages of all zones */

	/* Watermark tuning (Linux's sysctls of the same names). */
	uint64_t min_free_kbytes;
	uint64_t user_min_free_kbytes;	     /* 0: computed from RAM size */
	uint64_t min_free_kbytes_clamped;    /* user value already warned of */
	unsigned int watermark_scale_factor; /* in 1/10000 of the zone */
	/* Zone i keeps 1/ratio[i] of the zones above it from their requests
	 * (Linux's sysctl); 0: no protection for zone i. */
	unsigned int lowmem_reserve_ratio[MAX_NR_ZONES];
	/* Pages handed out below every watermark (ALLOC_NO_WATERMARKS). */
	uint64_t memalloc_allocs;

	struct ratelimit_state alloc_fail_rs;
	struct ratelimit_state bad_free_rs;
	struct ratelimit_state sleep_bug_rs; /* sleeping request, irqs off */
	uint64_t bad_frees;
	uint64_t poison_errors;

	/* The sleeping slow path (mm/slowpath.c): how long a request that may
	 * sleep waits for memory in all before failing, how many wait now. */
	unsigned int alloc_wait_ms;
	unsigned int free_waiters;
	/* kswapd runs in a row that could not balance the node; from
	 * MAX_RECLAIM_RETRIES on it is not woken until reclaim can work
	 * again (Linux's kswapd_failures). */
	unsigned int kswapd_failures;
	struct reclaim_stats reclaim;

	/* Grouping by mobility (mm/migratetype.c): the GFP bits that pick a
	 * request's migrate type; 0 with page_grouping=off, which makes
	 * every request unmovable (Linux's page_group_by_mobility_disabled). */
	unsigned int migratetype_gfp_mask;
	/* Allocations served from another type's pageblock (Linux's extfrag
	 * events), and how many of those claimed the whole pageblock. */
	uint64_t extfrag_events, pageblock_claims;

	bool pcp_enabled; /* per-CPU caches in use (mm_pcp_enable,
			     pgdat_pcp_switch) */
	/* Bit k (1 .. PCP_MAX_ORDER): some zone's caches take blocks of
	 * order k; 0 while the caches are off. The entry points test it, so
	 * that a block no cache takes goes straight to the zone path
	 * (pgdat_pcp_orders_update, mm/pcp_setup.c). */
	uint8_t pcp_block_orders;
	unsigned int pcp_nr_cpus;   /* CPUs 0..n-1 have a cache per zone */
	uint64_t pcp_storage_pages; /* pages the caches take (meminfo) */
	uint64_t pcp_drain_retries; /* allocations retried after draining */

	/* Page migration (mm/migrate.c): the owners of movable pages on
	 * this node, a list under movable_lock, and what moved. */
	spinlock_t movable_lock;
	struct movable_owner *movable_owners;
	struct migrate_stats migrate;

	/* Compaction (docs/10): off with compaction=off; compact only when
	 * the fragmentation index of the failed order is above
	 * extfrag_threshold (Linux's 500); proactive compaction keeps the
	 * fragmentation score below 100 - compaction_proactiveness (0: off).
	 * kcompactd's wish list: the largest order and highest zone asked. */
	bool compaction_off;
	bool compaction_spill_off; /* compaction_spill=off: no spills */
	unsigned int extfrag_threshold;
	unsigned int compaction_proactiveness;
	unsigned int kcompactd_max_order;
	int kcompactd_highest_zoneidx;
	struct compact_stats compact;

	/* NUMA (mm/node.c; Linux's counters): pages given on this node for
	 * requests that preferred it (hit) or another (miss), pages a request
	 * that preferred this node got elsewhere (foreign), and pages given
	 * here to a CPU of this node (local) or of another (other). Only
	 * counted with more than one node. */
	struct numa_stats {
		uint64_t numa_hit, numa_miss, numa_foreign;
		uint64_t local_node, other_node;
	} numa;
	/* All nodes' managed pages (0: this node's alone): the watermarks
	 * share Linux's machine-wide min_free_kbytes out by size. */
	uint64_t machine_pages;
};

/* The structure that embeds member at ptr (Linux's container_of). */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline void list_add(struct list_head *n, struct list_head *head)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	list_add(n, head->prev);
}

static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

/* Where the search for a section's key starts in the open-addressing
 * table; Fibonacci hashing spreads adjacent section numbers. Keys are the
 * section number plus one, so 0 marks an empty slot. */
static inline uint64_t section_hash_slot(const struct pglist_data *p,
					 uint64_t key)
{
	return (key * 0x9E3779B97F4A7C15ULL) >> (64 - p->hash_bits);
}

/* The section holding pfn by the hash (pfn_to_section asks it for
 * nodes without a direct map). NULL if the node has no RAM there. */
static inline struct mem_section *
pfn_to_section_hashed(const struct pglist_data *p, uint64_t pfn)
{
	uint64_t key = (pfn >> PFN_SECTION_SHIFT) + 1;
	uint64_t mask = (1ULL << p->hash_bits) - 1;
	uint64_t i = section_hash_slot(p, key);

	for (;;) {
		struct mem_section *s = &p->sections[i];
		if (s->key == key)
			return s;
		if (s->key == 0)
			return NULL;
		i = (i + 1) & mask;
	}
}

/* The section holding pfn, or NULL if the node has no RAM there: one
 * load from the direct map, the hash only past its ends (or without
 * one). Unsigned subtraction: a pfn below the map wraps to a huge i. */
static inline struct mem_section *pfn_to_section(const struct pglist_data *p,
						 uint64_t pfn)
{
	uint64_t i = (pfn >> PFN_SECTION_SHIFT) - p->section_map_first;
	if (__builtin_expect(i < p->section_map_nr, 1))
		return p->section_map[i];
	return pfn_to_section_hashed(p, pfn);
}

/* The section of a frame the node manages, on a node with a direct map
 * (every node whose per-CPU lists are on: pgdat_pcp_enable): one load,
 * no bounds test, no hash. The per-CPU fast paths use it. */
static inline struct mem_section *
pfn_to_section_mapped(const struct pglist_data *p, uint64_t pfn)
{
	return p->section_map[(pfn >> PFN_SECTION_SHIFT) - p->section_map_first];
}

/* The state byte of pfn, or NULL if the allocator knows no RAM there. */
static inline uint8_t *pfn_state(const struct pglist_data *p, uint64_t pfn)
{
	struct mem_section *s;
	if (!p->sections)
		return NULL;
	s = pfn_to_section(p, pfn);
	if (!s || pfn - s->first_pfn >= s->nr_frames || pfn < s->first_pfn)
		return NULL;
	return &s->frame_state[pfn - s->first_pfn];
}

/* The state byte of a frame known to be RAM the allocator manages (one on
 * its own lists): the section lookup without pfn_state's checks. */
static inline uint8_t *pfn_state_managed(const struct pglist_data *p,
					 uint64_t pfn)
{
	struct mem_section *s = pfn_to_section(p, pfn);
	return &s->frame_state[pfn - s->first_pfn];
}

static inline void *pgdat_phys_to_virt(const struct pglist_data *p,
				       uint64_t phys)
{
	return (void *)(uintptr_t)(phys + p->direct_map_offset);
}

static inline uint64_t pgdat_virt_to_phys(const struct pglist_data *p,
					  const void *virt)
{
	return (uint64_t)(uintptr_t)virt - p->direct_map_offset;
}

static inline uint8_t *pageblock_flags_byte(struct mem_section *s, uint64_t pfn)
{
	return &s->pageblock_flags[(pfn >> PAGEBLOCK_ORDER) &
				   (PAGEBLOCKS_PER_SECTION - 1)];
}

/* The migrate type of the pageblock holding pfn (sec holds pfn). */
static inline int pageblock_migratetype(const struct mem_section *s,
					uint64_t pfn)
{
	return __atomic_load_n(&s->pageblock_flags[(pfn >> PAGEBLOCK_ORDER) &
						   (PAGEBLOCKS_PER_SECTION - 1)],
			       __ATOMIC_RELAXED) &
	       PB_MIGRATETYPE_MASK;
}

/* Sets the type, keeping the other bits (zone lock held; the skip hint
 * is set without it, hence the compare-and-swap). */
static inline void set_pageblock_migratetype(struct mem_section *s,
					     uint64_t pfn, int type)
{
	uint8_t *b = pageblock_flags_byte(s, pfn);
	uint8_t old = __atomic_load_n(b, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(b, &old,
					    (uint8_t)((old &
						       ~PB_MIGRATETYPE_MASK) |
						      type),
					    false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

/* The zone whose address window holds pfn (every pfn has one). */
static inline struct zone *pfn_to_zone(struct pglist_data *p, uint64_t pfn)
{
	if (pfn < p->node_zones[ZONE_DMA].window_end_pfn)
		return &p->node_zones[ZONE_DMA];
	if (pfn < p->node_zones[ZONE_DMA32].window_end_pfn)
		return &p->node_zones[ZONE_DMA32];
	return &p->node_zones[ZONE_NORMAL];
}

/* cpu's per-CPU cache in zone z, or NULL when the zone keeps none or the
 * caches were sized for fewer CPUs (that CPU then takes the zone path). */
static inline struct per_cpu_pages *zone_pcp(const struct zone *z,
					     unsigned int cpu)
{
	if (!z->pcp || cpu >= z->zone_pgdat->pcp_nr_cpus)
		return NULL;
	return &z->pcp[cpu];
}

#endif
