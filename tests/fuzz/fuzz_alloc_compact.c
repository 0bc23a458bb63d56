/*
 * Compaction steps of tests/fuzz/fuzz_alloc.c (fuzz_alloc_compact.h).
 * Every held block gets a stamp and a checksum before a step; after it,
 * each must read the same at the frame the model now records for it (the
 * fuzzer's owner repoints the record when it moves a block), only the
 * owner's movable blocks may have changed frame, each frame is held once,
 * the allocator's frame states and each zone's free count agree with the
 * model, pgdat_check() is clean, and the counters only grew, as many moves
 * as the owner saw. docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the
 * allocator"); compaction itself: docs/10-fragmentation-and-compaction.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/compaction.h"
#include "mm/contig.h"
#include "mm/pcp.h"
#include "tests/fuzz/fuzz_alloc_compact.h"
#include "tests/fuzz/fuzz_alloc_migrate.h"
#include "tests/fuzz/fuzz_alloc_model.h"

#define RUN_PAGES (1ULL << MAX_ORDER) /* alloc_contig_pages' unit */
#define STAMP 0x5354414d50000000ULL   /* "STAMP", and the held index */
#define STAMP_WORD 8		      /* past the 0xa5 model_alloc writes */

/* What a step started from. */
static struct {
	uint64_t phys[FZ_MAX_HELD], sum[FZ_MAX_HELD];
	int8_t type[FZ_MAX_HELD]; /* the pageblock type each block was in */
	unsigned int nheld;
	struct compact_stats c;
	struct migrate_stats m;
	struct fz_owner_counts o;
	/* A run for a zone short of free frames may spill (docs/10b): the
	 * zone, -1 for none, and the floor each zone below must stay above
	 * for its pages. */
	int spill_from;
	/* ... or, for a zone not short, after its own run went through the
	 * whole zone without the block (its cached places then start over
	 * and its skip hints are due to be forgotten): the zone, -1 for none. */
	int met_from;
	uint64_t spill_floor[MAX_NR_ZONES];
	uint64_t poison_errors, taken_dirty;
} pre;
static uint8_t seen[FZ_MAX_BYTES >> 12];

/* Blocks the last check_after() saw in a zone below their old one. */
static uint64_t moved_down;

/* How often each step ran and what it did, printed at exit when
 * FUZZ_ALLOC_STATS is set: proof that a run reaches the steps. */
static struct {
	uint64_t runs[4], moved[4]; /* async, sync light, sync full, node */
	uint64_t spill_moved;	    /* of them, into a zone below */
	uint64_t contig, contig_failed, contig_moved, refused, freed;
} n;

static void print_stats(void)
{
	fprintf(stderr,
		"fuzz_alloc compaction steps: async %llu (moved %llu), sync "
		"light %llu (%llu), sync full %llu (%llu), compact_node %llu "
		"(%llu); alloc_contig_pages %llu held, %llu failed (moved "
		"%llu), %llu refused; free_contig_range %llu; spilled into a "
		"zone below %llu\n",
		(unsigned long long)n.runs[0], (unsigned long long)n.moved[0],
		(unsigned long long)n.runs[1], (unsigned long long)n.moved[1],
		(unsigned long long)n.runs[2], (unsigned long long)n.moved[2],
		(unsigned long long)n.runs[3], (unsigned long long)n.moved[3],
		(unsigned long long)n.contig,
		(unsigned long long)n.contig_failed,
		(unsigned long long)n.contig_moved,
		(unsigned long long)n.refused, (unsigned long long)n.freed,
		(unsigned long long)n.spill_moved);
}

/* A block the owner may move (it is copied then) is summed densely, the
 * first and last word of every 64 bytes; any other, which nothing may
 * touch, by four words a page: summing every word of every held page took
 * more than half of each input's time. */
static uint64_t block_sum(const struct fz_held *h)
{
	const uint64_t *w = fz_virt(h->phys);
	uint64_t sum = 0, step = h->kind == FZ_PAGES && h->movable ? 8 : 128;
	for (uint64_t k = 0; k < (uint64_t)h->pages * 512; k += step)
		sum = (sum ^ w[k] ^ w[k + step - 1]) * 0x100000001b3ULL;
	return sum;
}

static int type_at(uint64_t phys)
{
	struct mem_section *sec = pfn_to_section(fz.pg, phys >> 12);
	return sec ? pageblock_migratetype(sec, phys >> 12) : -1;
}

/* The zone of a frame by the model's own limits, not the allocator's. */
static int zone_at(uint64_t phys)
{
	uint64_t off = phys - fz.tn->phys_base;
	return off < fz.dma	? ZONE_DMA
	       : off < fz.dma32 ? ZONE_DMA32
				: ZONE_NORMAL;
}

static void before(void)
{
	for (unsigned int i = 0; i < fz.nheld; i++) {
		const struct fz_held *h = &fz.held[i];
		((uint64_t *)fz_virt(h->phys))[STAMP_WORD] = STAMP | i;
		pre.phys[i] = h->phys;
		pre.sum[i] = block_sum(h);
		pre.type[i] = (int8_t)type_at(h->phys);
	}
	pre.nheld = fz.nheld;
	pre.spill_from = pre.met_from = -1;
	pre.poison_errors = fz.pg->poison_errors;
	pre.taken_dirty = fz.taken_dirty;
	pre.c = fz.pg->compact;
	pre.m = fz.pg->migrate;
	fz_owner_counts(&pre.o);
}

/* The state byte a held block's frame k (from its first) must have. */
static int held_state(const struct fz_held *h, uint64_t k)
{
	switch (h->kind) {
	case FZ_EXACT:
		return PFS_ALLOC | 0; /* split: every frame its own block */
	case FZ_CONTIG:
		return k % RUN_PAGES ? PFS_TAIL : PFS_ALLOC | MAX_ORDER;
	default:
		return k ? PFS_TAIL : PFS_ALLOC | h->order;
	}
}

/* Each held frame held once and ours in the model; the model's free frames
 * the allocator's free ones (on its lists or parked), zone by zone. */
static void check_frames(void)
{
	uint64_t n = fz.bytes >> 12, first = fz.tn->phys_base >> 12;
	uint64_t ours = 0, held = 0, zfree[MAX_NR_ZONES] = { 0 };
	memset(seen, 0, n);
	for (unsigned int i = 0; i < fz.nheld; i++) {
		const struct fz_held *h = &fz.held[i];
		uint64_t k0 = (h->phys >> 12) - first;
		for (uint64_t k = 0; k < h->pages; k++) {
			if (seen[k0 + k]++)
				fz_fail("two held blocks share a frame",
					h->phys, (k0 + k) << 12);
			if (fz.owner[k0 + k] != FZ_OURS)
				fz_fail("a held frame is not ours in the model",
					h->phys, k);
			int want = held_state(h, k);
			const uint8_t *st = pfn_state(fz.pg, first + k0 + k);
			if (!st || *st != want)
				fz_fail("a held block is not allocated as held",
					h->phys + (k << 12), st ? *st : 0xff);
		}
		held += h->pages;
	}
	for (uint64_t k = 0; k < n;) {
		const uint8_t *st = pfn_state(fz.pg, first + k);
		/* boot's unlinked 4 MiB blocks are free blocks (docs/03b) */
		uint8_t s = st ? pfs_as_listed(*st) : PFS_RESERVED;
		uint64_t len = s & PFS_HEAD ? 1ULL << (s & PFS_ORDER_MASK) : 1;
		bool free = s & (PFS_FREE | PFS_PCP);
		if (s == PFS_TAIL)
			fz_fail("a tail frame where a block should start",
				(first + k) << 12, s);
		for (uint64_t j = k; j < k + len && j < n; j++) {
			if ((fz.owner[j] == FZ_FREE) != free)
				fz_fail("the allocator and the model disagree on a frame",
					(first + j) << 12, s);
			ours += fz.owner[j] == FZ_OURS;
			zfree[zone_at((first + j) << 12)] += free;
		}
		k += len;
	}
	if (ours != held)
		fz_fail("frames the model marks ours are not the held ones",
			ours, held);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &fz.pg->node_zones[zi];
		const struct per_cpu_pages *pcp =
		    fz.pg->pcp_enabled ? zone_pcp(z, 0) : NULL;
		uint64_t have = z->free_pages + (pcp ? pcp->count : 0);
		if (have != zfree[zi])
			fz_fail("a zone's free pages differ from the model's",
				(uint64_t)zi << 32 | have, zfree[zi]);
	}
}

static bool grew(uint64_t now, uint64_t was)
{
	return now >= was;
}

/*
 * After a step: what before() recorded must hold (added: runs held since,
 * at the end of the list). `zone`: moved blocks stay in theirs; `async`:
 * they came from movable pageblocks; `once`: no block moved twice.
 * Returns the moves.
 */
static uint64_t check_after(unsigned int added, bool zone, bool async,
			    bool once)
{
	const struct compact_stats *c = &fz.pg->compact;
	const struct migrate_stats *m = &fz.pg->migrate;
	struct fz_owner_counts o;
	uint64_t changed = 0;
	moved_down = 0;
	fz_owner_counts(&o);
	uint64_t moved = o.moved - pre.o.moved;
	if (fz.nheld != pre.nheld + added)
		fz_fail("a step changed the number of held blocks", fz.nheld,
			pre.nheld);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &fz.pg->node_zones[zi];
		if (z->compact_direct_runs || z->compact_background_runs)
			fz_fail("a compaction run is still counted in a zone "
				"(requests' runs, background runs)",
				z->compact_direct_runs,
				z->compact_background_runs);
	}
	for (unsigned int i = 0; i < pre.nheld; i++) {
		const struct fz_held *h = &fz.held[i];
		if (h->isolated)
			fz_fail("a block was left isolated", h->phys, i);
		if (((uint64_t *)fz_virt(h->phys))[STAMP_WORD] != (STAMP | i) ||
		    block_sum(h) != pre.sum[i])
			fz_fail("a held block reads differently at the frame "
				"the model records (now, before the step)",
				h->phys, pre.phys[i]);
		if (h->phys == pre.phys[i])
			continue;
		changed++;
		if (h->kind != FZ_PAGES || !h->movable)
			fz_fail("a block nobody may move changed frame",
				h->phys, pre.phys[i]);
		int from = zone_at(pre.phys[i]);
		const struct zone *fzn = &fz.pg->node_zones[from];
		/* (a spill after the run: counted in compact_spills) */
		bool met = from == pre.met_from &&
			   !fzn->compact_cached_migrate_pfn &&
			   fzn->compact_blockskip_flush &&
			   fz.pg->compact.compact_spills > pre.c.compact_spills;
		if (zone_at(h->phys) < from)
			moved_down++;
		if (zone && zone_at(h->phys) != from &&
		    !((from == pre.spill_from || met) &&
		      zone_at(h->phys) < from))
			fz_fail("compaction moved a block to another zone "
				"(only a run for a zone short of free frames, "
				"or one that went through its zone without the "
				"block, may move pages to a zone below)",
				h->phys, pre.phys[i]);
		if (zone && zone_at(h->phys) < zone_at(pre.phys[i]) &&
		    fz.pg->node_zones[zone_at(h->phys)].free_pages <=
			pre.spill_floor[zone_at(h->phys)])
			fz_fail("a spill took a zone below its floor", h->phys,
				fz.pg->node_zones[zone_at(h->phys)].free_pages);
		if (async && pre.type[i] != MIGRATE_MOVABLE)
			fz_fail("async compaction moved a block out of a pageblock "
				"not movable",
				pre.phys[i], pre.type[i]);
	}
	if (!grew(c->compact_migrate_scanned, pre.c.compact_migrate_scanned) ||
	    !grew(c->compact_free_scanned, pre.c.compact_free_scanned) ||
	    !grew(c->compact_isolated, pre.c.compact_isolated) ||
	    !grew(m->pgmigrate_success, pre.m.pgmigrate_success) ||
	    !grew(m->pgmigrate_fail, pre.m.pgmigrate_fail))
		fz_fail("a compaction or migration counter went down",
			c->compact_isolated, pre.c.compact_isolated);
	/* Our owner is the node's only one: every move is one it made. */
	if (o.isolated - pre.o.isolated != moved + o.put_back - pre.o.put_back)
		fz_fail("the owner's isolated pages are not all moved or put back",
			o.isolated - pre.o.isolated, moved);
	if (m->pgmigrate_success - pre.m.pgmigrate_success != moved ||
	    m->pgmigrate_fail - pre.m.pgmigrate_fail >
		o.put_back - pre.o.put_back ||
	    m->pgmigrate_refused != pre.m.pgmigrate_refused)
		fz_fail("pgmigrate counters disagree with the owner's moves",
			m->pgmigrate_success - pre.m.pgmigrate_success, moved);
	if (once ? changed != moved : changed > moved)
		fz_fail("blocks that changed frame are not the owner's moves",
			changed, moved);
	check_frames();
	/* Every scribbled free frame a run took, or a range took, is
	 * reported, and nothing else. */
	if (fz.pg->poison_errors - pre.poison_errors !=
	    fz.taken_dirty - pre.taken_dirty)
		fz_fail("page_poison reports differ from the scribbled frames "
			"compaction or alloc_contig_pages took",
			fz.pg->poison_errors - pre.poison_errors,
			fz.taken_dirty - pre.taken_dirty);
	for (uint64_t pb = 0; pb < fz.bytes; pb += PAGEBLOCK_PAGES << 12)
		if (type_at(fz.tn->phys_base + pb) == MIGRATE_ISOLATE)
			fz_fail("a pageblock was left isolated", pb, 0);
	if (pgdat_check(fz.pg))
		fz_fail("pgdat_check found a problem after a compaction step",
			moved, 0);
	return moved;
}

static void compact_step(unsigned int a, unsigned int b)
{
	static const enum compact_priority prio[3] = { COMPACT_PRIO_ASYNC,
						       COMPACT_PRIO_SYNC_LIGHT,
						       COMPACT_PRIO_SYNC_FULL };
	int zi = (int)((b & 3) % 3), order = b & 4 ? -1 : (int)((b >> 3) % 11);
	/* The request's highest zone: this one or any above it (bits 4-5
	 * of a; b is one byte, its bits all used above). */
	int highest =
	    zi + (int)(((a >> 4) & 3) % (unsigned int)(MAX_NR_ZONES - zi));
	struct zone *z = &fz.pg->node_zones[zi];
	before();
	if (order > 0 && compaction_shortfall(z, (unsigned int)order, highest))
		pre.spill_from = zi;
	else if (order > 0)
		pre.met_from = zi;
	/* docs/10b: a spill leaves the zone below its min and its
	 * protection from requests that may use every zone. */
	for (int ti = 0; ti < zi; ti++)
		pre.spill_floor[ti] =
		    fz.pg->node_zones[ti].watermark[WMARK_MIN] +
		    fz.pg->node_zones[ti].lowmem_reserve[MAX_NR_ZONES - 1];
	uint64_t spilled = fz.pg->compact.compact_spill_moved;
	enum compact_result r = compact_zone_order(fz.pg, z, order, GFP_KERNEL,
						   highest, prio[a % 8 % 3]);
	n.spill_moved += fz.pg->compact.compact_spill_moved - spilled;
	/* A spill after the zone's own run may move a page that run moved. */
	bool twice = pre.met_from >= 0 &&
		     fz.pg->compact.compact_spills > pre.c.compact_spills;
	uint64_t moved = check_after(0, true, a % 8 % 3 == 0, !twice);
	/* Every block now in a zone below its old one got there by a spill
	 * (a page may move inside its zone first, so at least as many
	 * spilled moves as such blocks). */
	if (moved_down > fz.pg->compact.compact_spill_moved - spilled)
		fz_fail("more blocks changed zone than spills moved",
			moved_down,
			fz.pg->compact.compact_spill_moved - spilled);
	n.runs[a % 8 % 3]++;
	n.moved[a % 8 % 3] += moved;
	const struct compact_stats *c = &fz.pg->compact;
	uint64_t moves =
	    moved + fz.pg->migrate.pgmigrate_fail - pre.m.pgmigrate_fail;
	/* Each page that moved or failed was scanned and isolated. */
	if (c->compact_migrate_scanned - pre.c.compact_migrate_scanned <
		moves ||
	    c->compact_isolated - pre.c.compact_isolated < moves)
		fz_fail("compaction moved more pages than it scanned", moves,
			c->compact_isolated - pre.c.compact_isolated);
	if ((r == COMPACT_SKIPPED || r == COMPACT_NOT_SUITABLE) &&
	    (moved ||
	     c->compact_migrate_scanned != pre.c.compact_migrate_scanned))
		fz_fail("compaction ran in a zone it found unsuitable", r,
			moved);
	if (r == COMPACT_SUCCESS && order > 0) {
		bool found = false;
		for (int o = order; o <= MAX_ORDER; o++)
			found |= z->free_area[o].nr_free != 0;
		if (!found)
			fz_fail("compaction succeeded without a free block of "
				"the order",
				zi, order);
	}
}

/* Is there a range alloc_contig_pages cannot miss: len frames on its
 * grid, in a zone gfp allows, all free in the model, movable pageblocks? */
static bool free_range_exists(gfp_t gfp, uint64_t len)
{
	uint64_t first = fz.tn->phys_base >> 12, n = fz.bytes >> 12;
	for (int zi = fz_highest(gfp); zi >= 0; zi--) {
		const struct zone *z = &fz.pg->node_zones[zi];
		if (!z->managed_pages)
			continue;
		uint64_t s0 = (z->zone_start_pfn + RUN_PAGES - 1) &
			      ~(RUN_PAGES - 1),
			 end = z->zone_start_pfn + z->spanned_pages;
		for (uint64_t s = s0; s + len <= end; s += len) {
			bool ok = s >= z->window_start_pfn &&
				  s + len <= z->window_end_pfn;
			for (uint64_t pfn = s; ok && pfn < s + len; pfn++)
				ok = pfn - first < n &&
				     fz.owner[pfn - first] == FZ_FREE &&
				     (pfn % PAGEBLOCK_PAGES ||
				      type_at(pfn << 12) == MIGRATE_MOVABLE);
			if (ok)
				return true;
		}
	}
	return false;
}

static void contig_step(unsigned int a, unsigned int b)
{
	uint64_t nr = 1 + (((uint64_t)(a >> 4) & 3) << PAGEBLOCK_ORDER |
			   (uint64_t)(b & 0x7f) << 2);
	uint64_t len = (nr + RUN_PAGES - 1) & ~(RUN_PAGES - 1);
	gfp_t gfp = GFP_KERNEL | (b & 0x80 ? __GFP_DMA32 : 0);
	struct contig_stats st;
	if (fz.nheld == FZ_MAX_HELD)
		return;
	bool must = free_range_exists(gfp, len);
	uint64_t node = fz_node_free();
	before();
	uint64_t p = pgdat_alloc_contig_pages(fz.pg, nr, gfp, &st);
	if (!p) {
		if (must)
			fz_fail("alloc_contig_pages failed though a free movable "
				"range was there",
				nr, gfp);
		n.contig_failed++;
		n.contig_moved += check_after(0, false, false, false);
		if (fz_node_free() != node)
			fz_fail("a failed alloc_contig_pages changed the free "
				"count",
				node, fz_node_free());
		return;
	}
	uint64_t base = fz.tn->phys_base, k0 = (p - base) >> 12;
	if (p % (RUN_PAGES << 12) || p < base ||
	    p + (len << 12) > base + fz.bytes)
		fz_fail("a contiguous run not aligned or outside the node", p,
			len);
	if (zone_at(p) != zone_at(p + (len << 12) - 1) ||
	    zone_at(p) > fz_highest(gfp))
		fz_fail("a contiguous run outside the zones gfp allows", p,
			gfp);
	for (uint64_t k = k0; k < k0 + len; k++)
		if (fz.owner[k] != FZ_FREE)
			fz_fail("a contiguous run over a frame still in use",
				base + (k << 12), fz.owner[k]);
	fz_take_free(p, len);
	fz_hold(p, (uint32_t)len, MAX_ORDER, FZ_CONTIG);
	uint64_t moved = check_after(1, false, false, false);
	n.contig++;
	n.contig_moved += moved;
	if (node - fz_node_free() != len)
		fz_fail("alloc_contig_pages took other than the run's frames",
			node - fz_node_free(), len);
	if (st.moved != moved || !st.ranges_tried)
		fz_fail("alloc_contig_pages' stats disagree with the owner",
			st.moved, moved);
}

/* Requests it must refuse: no pages, more than the node, atomic. */
static void contig_bad(unsigned int b)
{
	static const uint64_t nr[3] = { 0, 1, 1 };
	uint64_t pages = b % 3 == 2 ? fz.pg->totalram_pages + 1 + b : nr[b % 3];
	gfp_t gfp = b % 3 == 1 ? GFP_ATOMIC : GFP_KERNEL;
	struct fz_owner_counts o0, o1;
	struct fz_snap s;
	fz_owner_counts(&o0);
	fz_snap(&s);
	if (pgdat_alloc_contig_pages(fz.pg, pages, gfp, NULL))
		fz_fail("alloc_contig_pages served a request it must refuse",
			pages, gfp);
	fz_same(&s, "a refused alloc_contig_pages changed the node", b % 3);
	fz_owner_counts(&o1);
	if (memcmp(&o0, &o1, sizeof(o0)))
		fz_fail("a refused alloc_contig_pages moved pages", pages,
			o1.moved - o0.moved);
	n.refused++;
}

void fz_contig_free(unsigned int idx)
{
	const struct fz_held h = fz.held[idx];
	uint64_t node = fz_node_free();
	pgdat_free_contig_range(fz.pg, h.phys, h.pages);
	fz_mark(h.phys, h.pages, FZ_FREE);
	fz_unhold(idx);
	if (fz_node_free() != node + h.pages)
		fz_fail("free_contig_range did not give the whole run back",
			h.phys, fz_node_free() - node);
	for (uint64_t k = 0; k < h.pages; k += RUN_PAGES)
		if (!(*pfn_state(fz.pg, (h.phys >> 12) + k) & PFS_FREE))
			fz_fail("free_contig_range left a block allocated",
				h.phys + (k << 12), k);
	check_frames(); /* each zone's count is the model's again */
	n.freed++;
}

void fz_compact(unsigned int a, unsigned int b)
{
	static bool registered;
	int contig = -1;
	if (!registered && getenv("FUZZ_ALLOC_STATS"))
		atexit(print_stats);
	registered = true;
	for (unsigned int i = 0; i < fz.nheld && contig < 0; i++)
		if (fz.held[i].kind == FZ_CONTIG)
			contig = (int)i;
	if (a & 8) /* the first movable block is busy: put back, not moved */
		for (unsigned int i = 0; i < fz.nheld; i++)
			if (fz.held[i].kind == FZ_PAGES && fz.held[i].movable) {
				fz_owner_busy(fz.held[i].phys >> 12);
				break;
			}
	switch (a % 8) {
	case 3:
		before();
		compact_node(fz.pg);
		n.moved[3] += check_after(0, true, false, true);
		n.runs[3]++;
		break;
	case 4:
	case 5:
		contig_step(a, b);
		break;
	case 6:
		contig_bad(b);
		break;
	case 7:
		if (contig >= 0) {
			fz_contig_free((unsigned int)contig);
			break;
		}
		/* fall through: nothing to free, compact instead */
	default:
		compact_step(a, b);
	}
	fz_owner_busy(0);
}
