/*
 * libFuzzer target: bytes become allocator operations on a small node,
 * each result checked against the reference model of fuzz_alloc_model.c.
 * Three header bytes set the node up: per-CPU lists (and their batch),
 * Linux's watermarks or none, a mempool over the node, fault injection
 * aimed at it, page_poison (on a 4 MiB node: poisoning all free memory
 * of the 12 MiB one cost more than the rest of an input). Then every
 * three bytes are one operation:
 *   alloc(order, flags)  GFP_KERNEL/ATOMIC/NOWAIT, __GFP_HIGH, _MEMALLOC,
 *                        _ZERO, DMA zones: a block passes fz_check_block,
 *                        a failure fz_check_failure (no zone could serve
 *                        it, nothing left parked), a failure injected by
 *                        fail_page_alloc changes nothing;
 *   free(i)              a held block (or an exact run, whole or its last
 *                        frame; or a mempool element) is accepted;
 *   bad free, bad call   double, wrong order, unaligned, outside, tail;
 *                        bulk/exact/mempool misuse: refused, no change;
 *   bulk, exact          alloc_pages_bulk fills only empty slots and stops
 *                        only at `low`; alloc_pages_exact leaves no tail;
 *   pool alloc/bad free  the reserve is used only when the node says no;
 *                        a free refills it first; bad frees change nothing;
 *   drain, watermarks, lowmem_reserve_ratio, scribble (a use after free
 *                        that page_poison must report on reuse);
 *   migrate              held __GFP_MOVABLE blocks (alloc's bit 6) are
 *                        isolated by the fuzzer's owner and moved, content
 *                        kept, busy or frameless ones put back and counted
 *                        (fuzz_alloc_migrate.c);
 *   compact              compact_zone_order (async, sync light, sync full,
 *                        an order or the whole zone), compact_node, and
 *                        alloc_contig_pages runs held until a free gives
 *                        them back with free_contig_range: moved blocks
 *                        read the same at their new frames, frames and
 *                        per-zone free counts agree with the model
 *                        (fuzz_alloc_compact.c).
 * free + parked + taken == managed after every operation; pgdat_check()
 * every FZ_CHECK_EVERY operations and at the end, after everything is
 * given back. The rates, and what the time went on before and after:
 * docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the allocator").
 */
#include <string.h>

#include "kernel/lib/printk.h"
#include "mm/fault_inject.h"
#include "mm/pcp.h"
#include "tests/fuzz/fuzz_alloc_bad.h"
#include "tests/fuzz/fuzz_alloc_compact.h"
#include "tests/fuzz/fuzz_alloc_migrate.h"
#include "tests/fuzz/fuzz_alloc_model.h"

#define FZ_CHECK_EVERY 256
#define BULK_MAX 24

static struct mm_test_node big, small; /* 12 MiB; 4 MiB for page_poison */

static gfp_t alloc_gfp(unsigned int b, unsigned int order)
{
	static const gfp_t bases[8] = {
		GFP_KERNEL,
		GFP_ATOMIC,
		GFP_NOWAIT,
		GFP_KERNEL | __GFP_HIGH,
		GFP_KERNEL,
		GFP_KERNEL | __GFP_MEMALLOC,
		GFP_KERNEL | __GFP_NORETRY,
		GFP_ATOMIC | __GFP_NOMEMALLOC,
	};
	gfp_t gfp = bases[b & 7] | __GFP_NOWARN;
	if ((b & 8) && order <= 3) /* zeroing 4 MiB blocks cost the time */
		gfp |= __GFP_ZERO;
	if (b & 0x40) /* the fuzzer's owner may move it (fz_migrate) */
		gfp |= __GFP_MOVABLE;
	if ((b >> 4) % 4 == 1)
		gfp |= __GFP_DMA32;
	else if ((b >> 4) % 4 == 2)
		gfp |= __GFP_DMA;
	return gfp;
}

/* Runs one allocation through the model; returns the block or 0. */
static uint64_t model_alloc(gfp_t gfp, unsigned int order)
{
	uint64_t inj = fail_page_alloc.injected, poison = fz.pg->poison_errors,
		 taken = fz.taken_dirty;
	struct fz_snap before;
	fz_snap(&before);
	uint64_t p = pgdat_alloc_pages(fz.pg, gfp, order);
	if (fail_page_alloc.injected != inj) {
		if (p)
			fz_fail("an injected failure returned a block", p,
				order);
		if (order < fail_page_alloc.min_order ||
		    (fail_page_alloc.ignore_gfp_reclaim &&
		     (gfp & __GFP_DIRECT_RECLAIM)))
			fz_fail("fail_page_alloc failed a request it must not",
				gfp, order);
		fz_same(&before, "an injected failure changed the node", order);
		return 0;
	}
	if (!p) {
		fz_check_failure(gfp, order);
		/* A failed request may still have compacted. */
		if (fz.pg->poison_errors - poison != fz.taken_dirty - taken)
			fz_fail("page_poison reports differ from the scribbled "
				"frames a failed request's compaction took",
				fz.pg->poison_errors - poison,
				fz.taken_dirty - taken);
		return 0;
	}
	unsigned int dirty = fz_check_block(p, order, gfp);
	if (fz.pg->poison_errors - poison != dirty + (fz.taken_dirty - taken))
		fz_fail("page_poison reports differ from the scribbles", p,
			fz.pg->poison_errors - poison);
	memset((uint8_t *)fz.tn->arena + (p - fz.tn->phys_base), 0xa5, 64);
	if (fz.nheld < FZ_MAX_HELD) {
		fz_hold(p, 1U << order, order, FZ_PAGES);
		fz.held[fz.nheld - 1].movable = !!(gfp & __GFP_MOVABLE);
	} else if (pgdat_free_pages(fz.pg, p, order)) {
		fz_fail("a good free was refused", p, order);
	}
	return p;
}

static void pool_free(unsigned int idx)
{
	const struct fz_held h = fz.held[idx];
	int curr = fz.pool->curr_nr;
	uint64_t out = fz.pool->out, node = fz_node_free();
	mempool_free((uint8_t *)fz.tn->arena + (h.phys - fz.tn->phys_base),
		     fz.pool);
	fz_unhold(idx);
	if (fz.pool->out != out - 1)
		fz_fail("mempool_free did not count the element back", out,
			fz.pool->out);
	if (curr < fz.pool->min_nr) { /* refills the reserve first */
		if (fz.pool->curr_nr != curr + 1 || fz_node_free() != node)
			fz_fail("mempool_free did not refill the reserve",
				(uint64_t)curr, fz.pool->curr_nr);
		fz_mark(h.phys, h.pages, FZ_POOL);
	} else {
		if (fz.pool->curr_nr != curr ||
		    fz_node_free() != node + h.pages)
			fz_fail("mempool_free of a full pool kept the element",
				(uint64_t)curr, fz_node_free() - node);
		fz_mark(h.phys, h.pages, FZ_FREE);
	}
}

void fz_free_held(unsigned int idx, unsigned int how)
{
	if (!fz.nheld)
		return;
	idx %= fz.nheld;
	struct fz_held *h = &fz.held[idx];
	int bad = 0;
	if (h->kind == FZ_ELEMENT) {
		pool_free(idx);
		return;
	}
	if (h->kind == FZ_CONTIG) {
		fz_contig_free(idx);
		return;
	}
	if (h->kind == FZ_EXACT && (how & 1) && h->pages > 1) {
		/* Each frame is its own allocation: the last one alone. */
		uint64_t last = h->phys + ((uint64_t)(h->pages - 1) << 12);
		bad = pgdat_free_pages(fz.pg, last, 0);
		fz_mark(last, 1, FZ_FREE);
		h->pages--;
	} else {
		if (h->kind == FZ_EXACT) /* any size that rounds up to it */
			bad =
			    pgdat_free_pages_exact(fz.pg, h->phys,
						   ((uint64_t)h->pages << 12) -
						       how % 4096,
						   NULL);
		else
			bad = pgdat_free_pages(fz.pg, h->phys, h->order);
		fz_mark(h->phys, h->pages, FZ_FREE);
		fz_unhold(idx);
	}
	if (bad)
		fz_fail("a good free was refused", idx, how);
}

/* Slots alloc_pages_bulk finds filled and must leave alone. */
static bool prefilled(unsigned long i, unsigned int a, unsigned int b)
{
	return i < 8 && (b & 0x80) && ((a >> 5) & (1u << (i % 3)));
}

static void do_bulk(unsigned int a, unsigned int b)
{
	uint64_t array[BULK_MAX];
	unsigned long nr = 1 + a % BULK_MAX, pre = 0, want;
	gfp_t gfp = alloc_gfp(b & 0x37, 0) & ~__GFP_MEMALLOC;
	for (unsigned long i = 0; i < nr; i++) {
		array[i] = prefilled(i, a, b) ? 0xdead000 + i : 0;
		pre += array[i] != 0;
	}
	want = nr - pre;
	uint64_t inj = fail_page_alloc.injected, poison = fz.pg->poison_errors,
		 taken = fz.taken_dirty;
	uint64_t parked = fz.pg->pcp_enabled ? pcp_parked_pages(fz.pg) : 0;
	bool atomic_blocks[MAX_NR_ZONES];
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		atomic_blocks[zi] =
		    fz.pg->node_zones[zi].nr_reserved_highatomic;
	unsigned long n = pgdat_alloc_pages_bulk(fz.pg, gfp, nr, array, NULL);
	unsigned long got = 0, dirty = 0;
	for (unsigned long i = 0; i < nr; i++) {
		if (prefilled(i, a, b) && array[i] != 0xdead000 + i)
			fz_fail("bulk overwrote a filled slot", i, array[i]);
		if (!prefilled(i, a, b) && array[i]) {
			got++;
			dirty += fz_check_block(array[i], 0, gfp);
			fz_mark(array[i], 1, FZ_OURS);
		}
	}
	if (n != pre + got || got > want)
		fz_fail("bulk's count is not the filled slots", n, pre + got);
	if (fz.pg->poison_errors - poison != dirty + (fz.taken_dirty - taken))
		fz_fail("page_poison reports differ from the scribbles (bulk)",
			dirty, fz.pg->poison_errors - poison);
	if (fail_page_alloc.injected == inj && want && !got)
		fz_check_failure(gfp, 0); /* the one page the usual way too */
	/* Short of what was asked, not on purpose: every zone is at `low`
	 * (unless the one page came the usual way, which drains lists), or
	 * its free pages were in highatomic pageblocks, not for bulk (the
	 * usual way may have given them back since). */
	for (int zi = 0; fail_page_alloc.injected == inj && got && got < want &&
			 (got > 1 || !parked) && zi <= fz_highest(gfp);
	     zi++) {
		const struct zone *z = &fz.pg->node_zones[zi];
		if (!atomic_blocks[zi] &&
		    z->free_pages > z->watermark[WMARK_LOW] +
					z->lowmem_reserve[fz_highest(gfp)])
			fz_fail("bulk stopped early with a zone above low", zi,
				got);
	}
	for (unsigned long i = 0; i < nr; i++) {
		if (prefilled(i, a, b) || !array[i])
			continue;
		fz_mark(array[i], 1, FZ_FREE);
		if (fz.nheld < FZ_MAX_HELD)
			fz_hold(array[i], 1, 0, FZ_PAGES);
		else if (pgdat_free_pages(fz.pg, array[i], 0))
			fz_fail("a good free was refused", array[i], 0);
	}
}

static void do_exact(unsigned int a, unsigned int b)
{
	uint32_t pages = 1 + a % 40;
	uint64_t size = ((uint64_t)pages << 12) - (b & 0x3f) * 64;
	unsigned int order = 0;
	while ((1U << order) < pages)
		order++;
	gfp_t gfp = alloc_gfp(b >> 6 == 3 ? 1 : b >> 6, order);
	uint64_t inj = fail_page_alloc.injected, poison = fz.pg->poison_errors,
		 taken = fz.taken_dirty;
	struct fz_snap before;
	fz_snap(&before);
	uint64_t p = pgdat_alloc_pages_exact(fz.pg, size, gfp, NULL);
	if (fail_page_alloc.injected != inj) {
		if (p)
			fz_fail("an injected failure returned a block", p,
				order);
		fz_same(&before, "an injected failure changed the node", order);
		return;
	}
	if (!p) {
		fz_check_failure(gfp, order);
		return;
	}
	unsigned int dirty = fz_check_block(p, order, gfp);
	if (fz.pg->poison_errors - poison != dirty + (fz.taken_dirty - taken))
		fz_fail("page_poison reports differ from the scribbles (exact)",
			p, dirty);
	if (fz.nheld < FZ_MAX_HELD)
		fz_hold(p, pages, order, FZ_EXACT);
	else if (pgdat_free_pages_exact(fz.pg, p, size, NULL))
		fz_fail("a good free was refused", p, size);
}

static void do_pool_alloc(unsigned int b)
{
	static const gfp_t g[4] = { GFP_ATOMIC, GFP_NOWAIT,
				    GFP_NOWAIT | __GFP_HIGH, GFP_ATOMIC };
	if (!fz.pool || fz.nheld == FZ_MAX_HELD)
		return;
	/* What mempool_alloc asks the allocator first (mm/mempool.h). */
	gfp_t gfp = g[b & 3],
	      first = (gfp | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN) &
		      ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
	int curr = fz.pool->curr_nr;
	void *top = curr ? fz.pool->elements[curr - 1] : NULL;
	uint64_t node = fz_node_free(), inj = fail_page_alloc.injected;
	uint64_t poison = fz.pg->poison_errors, taken = fz.taken_dirty;
	unsigned int order = fz.pool_order;
	uint8_t *e = mempool_alloc(fz.pool, gfp);
	bool injected = fail_page_alloc.injected != inj;
	if (!e) {
		if (curr)
			fz_fail("mempool_alloc failed with a reserve", curr,
				gfp);
		if (!injected)
			fz_check_failure(first, order);
		return;
	}
	uint64_t p = fz.tn->phys_base + (uint64_t)(e - (uint8_t *)fz.tn->arena);
	if (fz.pool->curr_nr == curr - 1) {
		if (e != top || fz_node_free() != node)
			fz_fail("a reserve take was not the reserve's element",
				p, fz_node_free() - node);
		if (!injected) /* only when the node said no */
			fz_check_failure(first, order);
	} else if (fz.pool->curr_nr == curr) {
		if (fz_check_block(p, order, first) +
			(fz.taken_dirty - taken) !=
		    fz.pg->poison_errors - poison)
			fz_fail("page_poison reports differ (mempool)", p,
				order);
	} else {
		fz_fail("mempool_alloc changed the reserve by more than one",
			curr, fz.pool->curr_nr);
	}
	fz_hold(p, 1U << order, order, FZ_ELEMENT);
}

/* Watermarks of one zone, up to half of it; or its protection ratios. */
static void do_tune(unsigned int which, unsigned int a, unsigned int b)
{
	if (which & 1) {
		unsigned int ratio[MAX_NR_ZONES] = { a, b, a ^ b };
		pgdat_set_lowmem_reserve_ratio(fz.pg, ratio);
		return;
	}
	struct zone *z = &fz.pg->node_zones[a % MAX_NR_ZONES];
	uint64_t min = (uint64_t)b * z->managed_pages / 512;
	z->watermark[WMARK_MIN] = min;
	z->watermark[WMARK_LOW] = min + min / 4;
	z->watermark[WMARK_HIGH] = min + min / 2;
}

static void do_drain(unsigned int a)
{
	if (!fz.pg->pcp_enabled)
		return;
	if (a & 1)
		pcp_drain_local(fz.pg);
	else
		drain_all_pages(fz.pg);
	if (pcp_parked_pages(fz.pg))
		fz_fail("frames still parked after a drain",
			pcp_parked_pages(fz.pg), a);
}

static void setup(unsigned int h0, unsigned int h1, unsigned int h2)
{
	static bool ready[2];
	/* 1 input in 32 (and not the 0xff libFuzzer likes): it costs most. */
	bool poison = (h2 & 0x1f) == 0x11;
	struct mm_test_node *tn = poison ? &small : &big;
	uint64_t dma = (poison ? 1UL : 2UL) << 20, dma32 = 2 * dma;
	if (!ready[poison]) {
		if (mm_test_node_init(tn, poison ? 4UL << 20 : FZ_MAX_BYTES,
				      dma, dma32, !(h0 & 0x20)))
			fz_fail("no arena", 0, 0);
		ready[poison] = true;
	} else if (mm_test_node_reinit(tn, dma, dma32, !(h0 & 0x20))) {
		fz_fail("cannot build the node again", 0, 0);
	}
	if (poison)
		pgdat_set_page_poison(&tn->pgdat, true);
	fz_reset(tn, dma, dma32);
	fz_migrate_setup();
	if (h0 & 1) { /* one CPU's caches, batch 1-63, high 2-4 or 12
		       * batches (63 x 12 caches order 4 too) */
		static const unsigned int batches[4] = { 1, 7, 31, 63 };
		static const unsigned int highs[4] = { 2, 3, 4,
						       PCP_HIGH_BATCHES };
		unsigned int batch = batches[(h0 >> 1) & 3];
		unsigned int high = batch * highs[(h0 >> 3) & 3];
		if (high > PCP_SLOTS - 1 - batch)
			high = PCP_SLOTS - 1 - batch;
		pgdat_pcp_enable(fz.pg, 1);
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (fz.pg->node_zones[z].managed_pages &&
			    pgdat_pcp_resize(fz.pg, z, batch, high))
				fz_fail("pgdat_pcp_resize refused", z, batch);
		fz_note_pcp_storage();
	}
	if (h0 & 0x40) {
		fz.pool_order = (h1 >> 4) % 4;
		fz.pool = mempool_create_page_pool_node(fz.pg, 1 + h1 % 16,
							fz.pool_order);
		if (!fz.pool)
			fz_fail("no mempool on a fresh node", h1, 0);
		for (int i = 0; i < fz.pool->curr_nr; i++) {
			uint64_t p =
			    fz.tn->phys_base +
			    (uint64_t)((uint8_t *)fz.pool->elements[i] -
				       (uint8_t *)fz.tn->arena);
			fz_check_block(p, fz.pool_order, GFP_KERNEL);
			fz_mark(p, 1ULL << fz.pool_order, FZ_POOL);
		}
		fz_mark(fz.pool->self_phys, 1, FZ_POOL);
	}
	if (h0 & 0x80) { /* after the pool: its creation may not fail */
		fault_attr_init(&fail_page_alloc);
		fail_page_alloc.interval = 1 + h2 % 4;
		fail_page_alloc.probability = 25 * (1 + (h2 >> 2) % 4);
		fail_page_alloc.min_order = (h2 >> 4) & 1;
		fail_page_alloc.ignore_gfp_reclaim = (h2 >> 5) & 1;
		fail_page_alloc.node = fz.pg;
		fail_page_alloc.seed = h1 + 1;
		fail_page_alloc_enable(true);
	}
}

/* Everything back, the pool destroyed, the lists drained: the node must
 * be whole again. */
static void teardown(void)
{
	fail_page_alloc_enable(false);
	while (fz.nheld)
		fz_free_held(0, 0);
	fz_check_counts();
	if (fz.pool) {
		mempool_destroy(fz.pool);
		fz.pool = NULL;
		for (uint64_t k = 0; k < fz.bytes >> 12; k++)
			if (fz.owner[k] == FZ_POOL)
				fz_mark(fz.tn->phys_base + (k << 12), 1,
					FZ_FREE);
	}
	if (fz.pg->pcp_enabled)
		drain_all_pages(fz.pg);
	if (fz.taken || fz_node_free() != fz.managed)
		fz_fail("pages lost after giving everything back", fz.taken,
			fz_node_free());
	if (pgdat_check(fz.pg))
		fz_fail("pgdat_check found a problem at the end", 0, 0);
	fz_migrate_teardown();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	console_loglevel = 0; /* bad-free reports are the point here */
	if (size < 3)
		return 0;
	setup(data[0], data[1], data[2]);
	unsigned int ops = 0;
	for (size_t i = 3; i + 2 < size; i += 3) {
		unsigned int op = data[i] % 32, a = data[i + 1],
			     b = data[i + 2];
		/* Mostly orders 0-3; one in eight the largest cached order
		 * (4: cached where high is 12 batches) or any order. */
		unsigned int order = a % 8 ? (a >> 3) % 4
				     : (a >> 3) & 1
					 ? PCP_MAX_ORDER
					 : (a >> 4) % (MAX_ORDER + 1);
		if (op < 12 || (op < 24 && op >= 22 && !fz.pool))
			model_alloc(alloc_gfp(b, order), order);
		else if (op < 18 || op >= 30)
			fz_free_held(a | b << 8, b);
		else if (op < 20)
			fz_bad_free(a, b);
		else if (op == 20)
			do_bulk(a, b);
		else if (op == 21)
			do_exact(a, b);
		else if (op < 24)
			do_pool_alloc(b);
		else if (op == 24)
			fz_pool_bad_free(a, b);
		else if (op == 25)
			do_drain(a);
		else if (op < 28)
			do_tune(op, a, b);
		else if (op == 28)
			fz_scribble(a, b);
		else if ((a & 0xc0) == 0x80) /* a quarter of op 29 each */
			fz_migrate(a, b);
		else if (a & 0x80)
			fz_compact(a, b);
		else
			fz_bad_call(a, b);
		fz_check_counts();
		if (++ops % FZ_CHECK_EVERY == 0 && pgdat_check(fz.pg))
			fz_fail("pgdat_check found a problem", i, 0);
	}
	teardown();
	return 0;
}
