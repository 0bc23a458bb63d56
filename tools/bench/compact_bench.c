/*
 * `make bench`: compacting 1 GiB of fragmented memory (issue 11). A node
 * over a 1 GiB arena is filled with movable pages of the test owner
 * (tests/support/movable_test_owner.h, light stamps), every other page is
 * freed, and compact_node() runs over it: ms per GiB and pages moved, the
 * median of the runs. docs/08-measuring.md and
 * docs/10-fragmentation-and-compaction.md ("The worst case, measured").
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mm/compaction.h"
#include "mm/page_alloc.h"
#include "tests/support/movable_test_owner.h"
#include "tests/support/test_arena.h"
#include "tools/bench/bench.h"

#define COMPACT_PHYS (1ULL << 34) /* the arena plays RAM at 16 GiB */

static struct pglist_data node;
static struct movable_test_owner owner;

void bench_compact(void)
{
	uint64_t bytes = (1ULL << 30) / (bench_scale > 1 ? 16 : 1);
	uint64_t frames = bytes >> PAGE_SHIFT;
	double ms[BENCH_MAX_RUNS], moved[BENCH_MAX_RUNS], score = 0;
	void *arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct mto_slot *slots = calloc(frames, sizeof(*slots));
	if (arena == MAP_FAILED || !slots) {
		bench_note(
		    "compaction: no 1 GiB arena on this machine: skipped");
		return;
	}
	static struct memmap_range r;
	r = (struct memmap_range){ COMPACT_PHYS, COMPACT_PHYS + bytes, 7, 0 };
	struct pgdat_config cfg = {
		.usable = &r,
		.nr_usable = 1,
		.direct_map_offset = (uint64_t)(uintptr_t)arena - COMPACT_PHYS,
	};
	for (int run = 0; run < bench_runs; run++) {
		if (pgdat_init(&node, &cfg)) {
			bench_note("compaction: pgdat_init failed: skipped");
			break;
		}
		mm_test_zero_watermarks(&node);
		for (uint64_t i = 0; i < frames; i++)
			slots[i] = (struct mto_slot){ 0 };
		mto_init_table(&owner, &node, 0xbe4c, slots, (int)frames, true);
		int n = 0;
		while (n < (int)frames &&
		       mto_alloc_handle(&owner, n, GFP_NOWAIT | __GFP_NOWARN) >=
			   0)
			n++;
		for (int h = 0; h < n; h += 2)
			mto_free(&owner, h);
		double t0 = bench_now_ns();
		compact_node(&node);
		ms[run] = (bench_now_ns() - t0) / 1e6 * ((1ULL << 30) / bytes);
		moved[run] = (double)node.migrate.pgmigrate_success;
		score = fragmentation_score_node(&node);
		if (mto_destroy(&owner))
			bench_note("compaction: bad stamps after the moves");
	}
	bench_section("Compaction",
		      "1 GiB (1/16 of it with --quick, scaled up) filled with "
		      "movable single pages, every other one freed, then "
		      "compact_node(): time per GiB and pages moved.");
	bench_report("host.compact_1g.ms_per_gib", "ms",
		     "compact_node over fragmented memory, per GiB", ms,
		     bench_runs);
	bench_report("host.compact_1g.pages_moved", "pages",
		     "pages migrate_pages moved in that run", moved,
		     bench_runs);
	bench_note("fragmentation score after compaction: %.0f", score);
	free(slots);
	munmap(arena, bytes);
}
