/*
 * Looking inside the allocator: mm_check() proves the invariants the buddy
 * code relies on (tests call it after everything they do), and the dumps
 * print buddyinfo, zoneinfo and meminfo in the formats of Linux's /proc
 * files. docs/03-buddy-and-gfp.md ("mm_check() and the dumps").
 */
#include "mm/node.h"
#include "mm/page_alloc.h"

#include "mm/fault_inject.h"
#include "mm/internal.h"
#include "mm/page_owner.h"
#include "mm/pcp.h"

#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "mm/shrinker.h"

#define CHECK_REPORT_LIMIT 16

struct check_state {
	struct pglist_data *p;
	int problems;
};

static void problem(struct check_state *c, const char *what,
		    unsigned long long a, unsigned long long b)
{
	if (c->problems++ < CHECK_REPORT_LIMIT)
		pr_err("mm_check: %s (0x%llx, 0x%llx)\n", what, a, b);
}

/* One listed block: aligned, inside its zone, marked free with its order,
 * whole, on the list of its pageblock's type, not mergeable with its buddy. */
static void check_free_block(struct check_state *c, struct zone *z,
			     uint64_t pfn, unsigned int o, int type)
{
	struct pglist_data *p = c->p;
	uint64_t size = 1ULL << o;

	if (pfn & (size - 1))
		problem(c, "free block unaligned (frame, order)", pfn, o);
	if (pfn < z->window_start_pfn || pfn + size > z->window_end_pfn)
		problem(c, "free block outside its zone (frame, order)", pfn,
			o);
	uint8_t *st = pfn_state(p, pfn);
	if (!st || *st != (PFS_FREE | o)) {
		problem(c, "listed block not marked free (frame, state)", pfn,
			st ? *st : 0xff);
		return;
	}
	struct mem_section *sec = pfn_to_section(p, pfn);
	/* Every pageblock the block covers (order 10 spans two). */
	for (uint64_t pb = pfn; pb < pfn + size; pb += PAGEBLOCK_PAGES)
		if (pageblock_migratetype(sec, pb) != type) {
			problem(c,
				"block on the wrong list for its pageblock (frame, list)",
				pb, type);
			break;
		}
	for (uint64_t i = 1; i < size; i++) {
		uint8_t *t = pfn_state(p, pfn + i);
		if (!t || *t != PFS_TAIL) {
			problem(c,
				"free block overlaps or has holes (frame, bad frame)",
				pfn, pfn + i);
			break;
		}
	}
	uint64_t buddy = pfn ^ size;
	uint8_t *bs = pfn_state(p, buddy);
	if (o < MAX_ORDER && bs && *bs == (PFS_FREE | o) &&
	    buddy >= z->window_start_pfn && buddy < z->window_end_pfn &&
	    (o < PAGEBLOCK_ORDER || pageblock_migratetype(sec, buddy) == type))
		problem(c, "free buddies left unmerged (frame, buddy)", pfn,
			buddy);
}

/* Every list of the zone: links both ways, no loops, counts add up. */
static void check_free_lists(struct check_state *c, struct zone *z)
{
	struct pglist_data *p = c->p;
	uint64_t pages = 0;

	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t n = 0, limit = z->managed_pages + 1;
		for (int type = 0; type < MIGRATE_TYPES; type++) {
			struct list_head *h = &z->free_area[o].free_list[type];
			for (struct list_head *e = h->next; e != h;
			     e = e->next) {
				uint64_t pfn =
				    pgdat_virt_to_phys(p, e) >> PAGE_SHIFT;
				if (++n > limit) {
					problem(c,
						"free list loops (zone, order)",
						z - p->node_zones, o);
					return;
				}
				if (e->next->prev != e)
					problem(c, "broken list link at frame",
						pfn, o);
				/* The split and the merge find a block's
				 * links by its frame number alone. */
				if (e != pfn_entry(p, pfn))
					problem(c,
						"list links off their place "
						"(frame, order)",
						pfn, o);
				check_free_block(c, z, pfn, o, type);
				/* Isolated free blocks serve nobody: not
				 * counted (mm/contig.c, set_block_type). */
				if (type != MIGRATE_ISOLATE)
					pages += 1ULL << o;
			}
		}
		if (o == MAX_ORDER) { /* and boot's unlinked blocks */
			n += z->deferred_blocks;
			pages += z->deferred_blocks << MAX_ORDER;
		}
		if (n != z->free_area[o].nr_free)
			problem(c,
				"nr_free differs from the list (order, listed)",
				o, n);
	}
	if (pages != z->free_pages)
		problem(c,
			"zone free_pages differs from its lists (counted, zone)",
			pages, z->free_pages);
}

/* Walks every state byte: each head is followed by exactly its tails, no
 * tail without a head, and the per-zone totals add up. */
static void check_frames(struct check_state *c)
{
	struct pglist_data *p = c->p;
	uint64_t free_heads[MAX_NR_ZONES] = { 0 }, used[MAX_NR_ZONES] = { 0 };
	uint64_t free[MAX_NR_ZONES] = { 0 }, parked[MAX_NR_ZONES] = { 0 };
	uint64_t deferred[MAX_NR_ZONES] = { 0 };

	for (uint64_t i = 0; i < (1ULL << p->hash_bits); i++) {
		struct mem_section *s = &p->sections[i];
		uint64_t tails_left = 0;
		if (!s->key)
			continue;
		/* The direct map must lead to the same section. */
		if (pfn_to_section(p, s->first_pfn) != s)
			problem(c,
				"section map and hash disagree (section, map)",
				s->key - 1, p->section_map_nr);
		for (uint64_t k = 0; k < s->nr_frames; k++) {
			uint8_t st = s->frame_state[k];
			uint64_t pfn = s->first_pfn + k;
			int zi = (int)(pfn_to_zone(p, pfn) - p->node_zones);
			if (st == PFS_TAIL) {
				if (!tails_left)
					problem(c,
						"tail frame outside any block",
						pfn, st);
				else
					tails_left--;
				continue;
			}
			if (tails_left)
				problem(c,
					"block shorter than its order (frame, state)",
					pfn, st);
			tails_left = 0;
			if (st == PFS_RESERVED)
				continue;
			if (pfs_parked(st)) { /* in a per-CPU cache */
				unsigned int po = st & PFS_ORDER_MASK;
				if (po > PCP_MAX_ORDER ||
				    (pfn & ((1ULL << po) - 1)))
					problem(c,
						"parked block of a bad order or unaligned (frame, state)",
						pfn, st);
				parked[zi] += 1ULL << po;
				tails_left = (1ULL << po) - 1;
				continue;
			}
			if (st == (PFS_DEFERRED | MAX_ORDER)) {
				/* free, not linked yet: below the cursor */
				if (pfn + (1ULL << MAX_ORDER) >
				    p->node_zones[zi].deferred_cursor)
					problem(c,
						"unlinked free block above its zone's cursor (frame, cursor)",
						pfn,
						p->node_zones[zi]
						    .deferred_cursor);
				deferred[zi]++;
				free_heads[zi]++;
				free[zi] += 1ULL << MAX_ORDER;
				tails_left = (1ULL << MAX_ORDER) - 1;
				continue;
			}
			unsigned int o = st & PFS_ORDER_MASK;
			if (o > MAX_ORDER ||
			    ((st & (PFS_FREE | PFS_ALLOC)) != PFS_FREE &&
			     (st & (PFS_FREE | PFS_ALLOC)) != PFS_ALLOC) ||
			    (st & ~(PFS_FREE | PFS_ALLOC | PFS_ORDER_MASK))) {
				problem(c, "invalid state byte (frame, state)",
					pfn, st);
				continue;
			}
			if (pfn & ((1ULL << o) - 1))
				problem(c,
					"block head unaligned (frame, order)",
					pfn, o);
			tails_left = (1ULL << o) - 1;
			if (st & PFS_FREE) {
				free_heads[zi]++;
				free[zi] += 1ULL << o;
			} else {
				used[zi] += 1ULL << o;
			}
		}
		if (tails_left)
			problem(c,
				"block runs past its section (section, frames)",
				s->key - 1, tails_left);
	}
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		uint64_t listed = 0;
		for (int o = 0; o <= MAX_ORDER; o++)
			listed += z->free_area[o].nr_free;
		if (listed != free_heads[zi])
			problem(c, "free heads not on a list (marked, listed)",
				free_heads[zi], listed);
		if (deferred[zi] != z->deferred_blocks)
			problem(c,
				"unlinked free blocks miscounted (marked, counted)",
				deferred[zi], z->deferred_blocks);
		uint64_t on_lists = 0;
		for (unsigned int cpu = 0; z->pcp && cpu < p->pcp_nr_cpus;
		     cpu++)
			on_lists += z->pcp[cpu].count;
		if (parked[zi] != on_lists)
			problem(c,
				"per-CPU list counts differ from parked frames (marked, counted)",
				parked[zi], on_lists);
		if (free[zi] + used[zi] + parked[zi] != z->managed_pages)
			problem(c,
				"managed pages lost (free+allocated+parked, managed)",
				free[zi] + used[zi] + parked[zi],
				z->managed_pages);
	}
}

unsigned int mm_debug_hooks;

void mm_debug_hooks_add(int delta)
{
	unsigned int was =
	    __atomic_fetch_add(&mm_debug_hooks, (unsigned int)delta,
			       __ATOMIC_SEQ_CST);
	/* One taken that was never added: an option would be skipped. */
	WARN_ON_ONCE(delta < 0 && was < (unsigned int)-delta);
}

/* The options that must be counted in mm_debug_hooks (page_poison is
 * read per node beside it). */
static unsigned int debug_hooks_expected(void)
{
	return (unsigned int)__atomic_load_n(&fail_page_alloc.enabled,
					     __ATOMIC_RELAXED) +
	       (__atomic_load_n(&debug_pagealloc_node, __ATOMIC_RELAXED) !=
		NULL) +
	       (unsigned int)__atomic_load_n(&page_owner_nodes,
					     __ATOMIC_RELAXED);
}

int pgdat_check(struct pglist_data *p)
{
	struct check_state c = { p, 0 };
	if (!p->initialised)
		return 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		unsigned long flags;
		spin_lock_irqsave(&z->lock, flags);
		check_free_lists(&c, z);
		spin_unlock_irqrestore(&z->lock, flags);
	}
	/* Frames span zones; take every lock (in zone order) for the walk. */
	unsigned long flags;
	local_irq_save(flags);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		spin_lock(&p->node_zones[zi].lock);
	check_frames(&c);
	for (int zi = MAX_NR_ZONES - 1; zi >= 0; zi--)
		spin_unlock(&p->node_zones[zi].lock);
	local_irq_restore(flags);
	/* The entry points' mask of cached block orders is the zones'. */
	unsigned int orders = pgdat_pcp_zone_block_orders(p);
	if (orders != p->pcp_block_orders)
		problem(&c, "node's cached block orders stale (zones', node's)",
			orders, p->pcp_block_orders);
	/* The paths' one test of the debug options (mm/internal.h) counts
	 * the options on: fewer, and one is skipped; more, and a switch
	 * forgot to take its one back (every path then runs the slow
	 * copies). Not while an option is being switched. */
	unsigned int hooks = __atomic_load_n(&mm_debug_hooks, __ATOMIC_RELAXED),
		     on = debug_hooks_expected();
	if (hooks != on)
		problem(&c, "debug options miscounted (counted, on)", hooks,
			on);
	if (c.problems > CHECK_REPORT_LIMIT)
		pr_err("mm_check: %d more problems not shown\n",
		       c.problems - CHECK_REPORT_LIMIT);
	return c.problems;
}

int mm_check(void)
{
	int problems = pgdat_check(&contig_page_data);
	for (unsigned int nid = 0; nid < mm_nodes.nr_nodes; nid++)
		if (NODE_DATA(nid) && NODE_DATA(nid) != &contig_page_data)
			problems += pgdat_check(NODE_DATA(nid));
	return problems;
}

/* ---------------------------------------------------------------- dumps */

/* The names of the flags and their usual combinations, composites first
 * (gfp_flags_name prints them, gfp_flag_from_name reads them). */
static const struct {
	gfp_t mask;
	const char *name;
} gfp_names[] = {
	{ GFP_MOVABLE, "GFP_MOVABLE" },
	{ GFP_KERNEL, "GFP_KERNEL" },
	{ GFP_ATOMIC, "GFP_ATOMIC" },
	{ GFP_NOWAIT, "GFP_NOWAIT" },
	{ __GFP_DMA, "__GFP_DMA" },
	{ __GFP_DMA32, "__GFP_DMA32" },
	{ __GFP_HIGH, "__GFP_HIGH" },
	{ __GFP_IO, "__GFP_IO" },
	{ __GFP_FS, "__GFP_FS" },
	{ __GFP_ZERO, "__GFP_ZERO" },
	{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
	{ __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
	{ __GFP_NORETRY, "__GFP_NORETRY" },
	{ __GFP_NOWARN, "__GFP_NOWARN" },
	{ __GFP_NOFAIL, "__GFP_NOFAIL" },
	{ __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
	{ __GFP_MEMALLOC, "__GFP_MEMALLOC" },
	{ __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" },
	{ __GFP_MOVABLE, "__GFP_MOVABLE" },
	{ __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
	{ __GFP_THISNODE, "__GFP_THISNODE" },
};
#define NR_GFP_NAMES (sizeof(gfp_names) / sizeof(gfp_names[0]))

int gfp_flag_from_name(const char *name, unsigned long len, gfp_t *out)
{
	for (unsigned int i = 0; i < NR_GFP_NAMES; i++) {
		const char *n = gfp_names[i].name;
		unsigned long k = 0;
		while (k < len && n[k] && n[k] == name[k])
			k++;
		if (k == len && !n[k]) {
			*out = gfp_names[i].mask;
			return 0;
		}
	}
	return -1;
}

/* Like Linux's %pGg: composite names first, then single flags, then any
 * unknown bits in hex. */
void gfp_flags_name(gfp_t gfp, char *buf, unsigned long size)
{
	unsigned long len = 0;
	gfp_t left = gfp;

	if (!size)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; i < NR_GFP_NAMES; i++) {
		if ((left & gfp_names[i].mask) != gfp_names[i].mask)
			continue;
		left &= ~gfp_names[i].mask;
		for (const char *s = len ? "|" : ""; *s && len + 1 < size; s++)
			buf[len++] = *s;
		for (const char *s = gfp_names[i].name; *s && len + 1 < size;
		     s++)
			buf[len++] = *s;
	}
	if (left || gfp == 0) {
		static const char hex[] = "0123456789abcdef";
		char tmp[16];
		int n = 0;
		do {
			tmp[n++] = hex[left & 0xf];
			left >>= 4;
		} while (left);
		if (len && len + 1 < size)
			buf[len++] = '|';
		for (const char *s = "0x"; *s && len + 1 < size; s++)
			buf[len++] = *s;
		while (n && len + 1 < size)
			buf[len++] = tmp[--n];
	}
	buf[len] = '\0';
}

void buddyinfo_show(struct pglist_data *p)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		char line[160];
		int n;
		if (!z->present_pages)
			continue;
		n = ksnprintf(line, sizeof(line), "Node %d, zone %8s ",
			      p->node_id, z->name);
		for (int o = 0; o <= MAX_ORDER && n < (int)sizeof(line); o++)
			n += ksnprintf(line + n, sizeof(line) - n, "%6llu ",
				       (unsigned long long)z->free_area[o]
					   .nr_free);
		pr_info("%s\n", line);
	}
}

/* The node's numa counters (mm/node.c), with more than one node only:
 * "Node N<sep> numa_hit ...". */
static void numa_stats_show(const struct pglist_data *p, const char *sep)
{
	if (!mm_numa_on())
		return;
	pr_info("Node %d%s numa_hit %llu numa_miss %llu numa_foreign %llu local_node %llu other_node %llu\n",
		p->node_id, sep, (unsigned long long)p->numa.numa_hit,
		(unsigned long long)p->numa.numa_miss,
		(unsigned long long)p->numa.numa_foreign,
		(unsigned long long)p->numa.local_node,
		(unsigned long long)p->numa.other_node);
}

void zoneinfo_show(struct pglist_data *p)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		pr_info("Node %d, zone %8s\n", p->node_id, z->name);
		pr_info("  pages free     %llu\n",
			(unsigned long long)z->free_pages);
		pr_info("        boost    0\n");
		pr_info("        min      %llu\n",
			(unsigned long long)z->watermark[WMARK_MIN]);
		pr_info("        low      %llu\n",
			(unsigned long long)z->watermark[WMARK_LOW]);
		pr_info("        high     %llu\n",
			(unsigned long long)z->watermark[WMARK_HIGH]);
		pr_info("        spanned  %llu\n",
			(unsigned long long)z->spanned_pages);
		pr_info("        present  %llu\n",
			(unsigned long long)z->present_pages);
		pr_info("        managed  %llu\n",
			(unsigned long long)z->managed_pages);
		/* What requests whose highest zone is DMA, DMA32, Normal
		 * must leave here (Linux prints it the same way). */
		pr_info("        protection: (%llu, %llu, %llu)\n",
			(unsigned long long)z->lowmem_reserve[ZONE_DMA],
			(unsigned long long)z->lowmem_reserve[ZONE_DMA32],
			(unsigned long long)z->lowmem_reserve[ZONE_NORMAL]);
		pr_info("  start_pfn:           %llu\n",
			(unsigned long long)z->zone_start_pfn);
	}
	/* Linux counts these per zone; here they are per node. */
	numa_stats_show(p, ",");
}

void meminfo_show(struct pglist_data *p)
{
	uint64_t total = 0, free = 0, reserve = 0, in_use = 0, dips = 0,
		 fails = 0, highatomic = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		uint64_t min = z->watermark[WMARK_MIN];
		uint64_t floor = zone_reserve_floor(min, ALLOC_MIN_RESERVE |
							     ALLOC_NON_BLOCK);
		total += z->managed_pages;
		free += z->free_pages;
		reserve += min - floor;
		if (z->free_pages < min)
			in_use += min - (z->free_pages > floor ? z->free_pages
							       : floor);
		dips += z->reserve_dips;
		highatomic += z->nr_reserved_highatomic;
		fails += z->reserve_failures;
	}
	numa_stats_show(p, ":");
	pr_info("MemTotal:       %8llu kB\n", (unsigned long long)K(total));
	pr_info("MemFree:        %8llu kB\n", (unsigned long long)K(free));
	pr_info("MemMetadata:    %8llu kB\n",
		(unsigned long long)K(p->metadata_pages));
	pr_info("MinFree:        %8llu kB\n",
		(unsigned long long)p->min_free_kbytes);
	pr_info("AtomicReserve:  %8llu kB\n", (unsigned long long)K(reserve));
	pr_info("AtomicResUsed:  %8llu kB\n", (unsigned long long)K(in_use));
	pr_info("AtomicResDips:  %8llu\n", (unsigned long long)dips);
	pr_info("AtomicResFails: %8llu\n", (unsigned long long)fails);
	pr_info("HighAtomic:     %8llu kB\n",
		(unsigned long long)K(highatomic));
	/* Pages reclaimers took below every watermark (PF_MEMALLOC, docs/09). */
	pr_info("MemallocPages:  %8llu\n",
		(unsigned long long)p->memalloc_allocs);
	/* Per-CPU lists (mm/pcp.c): frames parked per CPU, and how often an
	 * allocation drained them all before retrying. */
	if (p->pcp_enabled) {
		for (unsigned int cpu = 0; cpu < p->pcp_nr_cpus; cpu++) {
			uint64_t parked = 0, refills = 0, drains = 0;
			for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
				const struct per_cpu_pages *pcp =
				    zone_pcp(&p->node_zones[zi], cpu);
				if (!pcp)
					continue;
				parked += pcp->count;
				refills += pcp->refills;
				drains += pcp->drains;
			}
			pr_info("PerCPU%-2u:       %8llu kB (refills %llu, drains %llu)\n",
				cpu, (unsigned long long)K(parked),
				(unsigned long long)refills,
				(unsigned long long)drains);
		}
		pr_info("PcpDrainRetry:  %8llu\n",
			(unsigned long long)p->pcp_drain_retries);
		pr_info("PcpStorage:     %8llu kB\n",
			(unsigned long long)K(p->pcp_storage_pages));
	}
	/* Reclaim (mm/vmscan.c, docs/06): Linux's vmstat names. */
	pr_info("Reclaimable:    %8lu kB\n", K(shrinker_reclaimable_pages()));
	pr_info("allocstall %llu pgsteal_direct %llu pgsteal_kswapd %llu kswapd_wakeups %llu alloc_waits %llu alloc_timeouts %llu\n",
		(unsigned long long)p->reclaim.allocstall,
		(unsigned long long)p->reclaim.pgsteal_direct,
		(unsigned long long)p->reclaim.pgsteal_kswapd,
		(unsigned long long)p->reclaim.kswapd_wakeups,
		(unsigned long long)p->reclaim.alloc_waits,
		(unsigned long long)p->reclaim.alloc_timeouts);
	/* Page migration (mm/migrate.c, docs/10): Linux's vmstat names. */
	pr_info("pgmigrate_success %llu pgmigrate_fail %llu pgmigrate_refused %llu\n",
		(unsigned long long)p->migrate.pgmigrate_success,
		(unsigned long long)p->migrate.pgmigrate_fail,
		(unsigned long long)p->migrate.pgmigrate_refused);
	const struct compact_stats *cs = &p->compact;
	pr_info("compact_stall %llu compact_success %llu compact_fail %llu compact_deferred %llu compact_migrate_scanned %llu compact_free_scanned %llu compact_isolated %llu kcompactd_wake %llu proactive_runs %llu compact_yields %llu\n",
		(unsigned long long)cs->compact_stall,
		(unsigned long long)cs->compact_success,
		(unsigned long long)cs->compact_fail,
		(unsigned long long)cs->compact_deferred,
		(unsigned long long)cs->compact_migrate_scanned,
		(unsigned long long)cs->compact_free_scanned,
		(unsigned long long)cs->compact_isolated,
		(unsigned long long)cs->kcompactd_wake,
		(unsigned long long)cs->proactive_runs,
		(unsigned long long)cs->compact_yields);
	pr_info("extfrag_events %llu pageblock_claims %llu compaction_max_irqoff_ns %llu compaction %s\n",
		(unsigned long long)p->extfrag_events,
		(unsigned long long)p->pageblock_claims,
		(unsigned long long)cs->max_irqoff_ns,
		p->compaction_off ? "off" : "on");
	/* Labyrinth's own (docs/10b): runs that moved pages down a zone. */
	pr_info("compact_spills %llu compact_spill_moved %llu compaction_spill %s\n",
		(unsigned long long)cs->compact_spills,
		(unsigned long long)cs->compact_spill_moved,
		p->compaction_spill_off ? "off" : "on");
	/* Debug options (docs/07-debugging-the-allocator.md). */
	if (page_owner_table_pages(p))
		pr_info("PageOwner:      %8llu kB\n",
			(unsigned long long)K(page_owner_table_pages(p)));
	if (fail_page_alloc.enabled &&
	    (!fail_page_alloc.node || fail_page_alloc.node == p))
		pr_info("FailPageAlloc:  %8llu of %llu\n",
			(unsigned long long)fail_page_alloc.injected,
			(unsigned long long)fail_page_alloc.eligible);
}
