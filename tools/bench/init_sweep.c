/*
 * `make bench`, second half: how the allocator's start-up time and metadata
 * grow with memory, 1 GiB to 256 GiB. Each size is a synthetic machine-like
 * map (640 KiB low memory, RAM from 1 MiB, the PCI hole at 3..4 GiB, the rest
 * above 4 GiB) run through the real map policy (mm/memmap.c). Then:
 *
 *   cold  mm_simulate() (tests/support/simulate_host.c): the span reserved PROT_NONE,
 *         only RAM committed, lazily, so 256 GiB costs address space and
 *         the pages actually written, not 256 GiB of host RAM. Its init
 *         time includes the host's first-touch page faults. It also drains
 *         and refills the allocator and checks that no page was lost.
 *   warm  pgdat_init() again over memory it has already touched: the cost
 *         of the work itself, closer to a real boot (no page faults there).
 *
 * Plus the baselines' init over 1 GiB for comparison. Writes init.tsv.
 * docs/08-measuring.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/page_alloc.h"
#include "tests/support/simulate_host.h"
#include "tools/bench/baselines.h"
#include "tools/bench/bench.h"

static struct memmap map;
static struct memmap_range ram[MEMMAP_MAX_RANGES];
static struct pglist_data node;

static const unsigned int sizes[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

static void build_map(unsigned int gib)
{
	const uint64_t attr = 0xf; /* UC WC WT WB */
	uint64_t top = (uint64_t)gib << 30, hole = 3ULL << 30;
	memmap_reset(&map, 52);
	memmap_add(&map, 7, 0, 0xa0, attr);
	memmap_add(&map, 7, 1 << 20,
		   ((top < hole ? top : hole) - (1 << 20)) >> 12, attr);
	if (top > hole)
		memmap_add(&map, 7, 4ULL << 30, (top - hole) >> 12, attr);
	if (memmap_build(&map)) {
		fprintf(stderr, "mm-bench: synthetic %u GiB map refused\n",
			gib);
		exit(1);
	}
}

/* Warm init: reserve the span, commit RAM, init once to touch it, then time
 * bench_runs more inits. */
static void warm_init(double *samples)
{
	int n = memmap_potential_ranges(&map, ram, MEMMAP_MAX_RANGES);
	uint64_t lo = ram[0].start, hi = ram[n - 1].end;
	char *base = mmap(NULL, hi - lo, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		perror("mm-bench: reserving the span");
		exit(1);
	}
	for (int i = 0; i < n; i++)
		mprotect(base + (ram[i].start - lo), ram[i].end - ram[i].start,
			 PROT_READ | PROT_WRITE);
	struct pgdat_config cfg = {
		.usable = map.usable,
		.nr_usable = map.nr_usable,
		.ram = ram,
		.nr_ram = (unsigned int)n,
		.direct_map_offset = (uint64_t)(uintptr_t)base - lo,
	};
	pgdat_init(&node, &cfg);
	for (int r = 0; r < bench_runs; r++) {
		double t0 = bench_now_ns();
		pgdat_init(&node, &cfg);
		samples[r] = (bench_now_ns() - t0) / 1e6;
	}
	munmap(base, hi - lo);
}

static double median(double *s, int n)
{
	for (int i = 1; i < n; i++) /* insertion sort: n <= 15 */
		for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
			double t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The baselines' start-up over 1 GiB that is already touched: the free list
 * writes into every page, the bitmap clears 32 KiB. */
static void baseline_init(void)
{
	const uint64_t bytes = 1ULL << 30;
	double fs[BENCH_MAX_RUNS], bs[BENCH_MAX_RUNS];
	char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mm-bench: mmap");
		exit(1);
	}
	static struct freelist fl;
	static struct bitmap_alloc bm;
	freelist_init(&fl, mem, bytes); /* first touch, not timed */
	for (int r = 0; r < bench_runs; r++) {
		double t0 = bench_now_ns();
		freelist_init(&fl, mem, bytes);
		fs[r] = (bench_now_ns() - t0) / 1e6;
		t0 = bench_now_ns();
		bitmap_init(&bm, mem, 1ULL << 32, bytes);
		bs[r] = (bench_now_ns() - t0) / 1e6;
	}
	munmap(mem, bytes);
	bench_report("host.init_per_gib.freelist", "ms",
		     "xv6 free list: push every page of 1 GiB (warm)", fs,
		     bench_runs);
	bench_report("host.init_per_gib.bitmap", "ms",
		     "bitmap: clear one bit per frame of 1 GiB (warm)", bs,
		     bench_runs);
}

void bench_init_sweep(const char *dir)
{
	FILE *tsv = NULL;
	if (dir && strcmp(dir, "/dev/null")) {
		char path[512];
		snprintf(path, sizeof(path), "%s/init.tsv", dir);
		if (!(tsv = fopen(path, "w")))
			perror(path);
		else
			fprintf(tsv,
				"# gib\twarm_ms\twarm_min\twarm_max\tcold_ms"
				"\tcold_min\tcold_max\tmetadata_pages"
				"\tusable_pages\tmetadata_pct\n");
	}
	static double warm[NR_SIZES][BENCH_MAX_RUNS],
	    cold[NR_SIZES][BENCH_MAX_RUNS];
	int cold_runs[NR_SIZES];
	uint64_t meta[NR_SIZES], usable[NR_SIZES];
	double pct64 = 0;
	double warm64[BENCH_MAX_RUNS] = { 0 }, cold64[BENCH_MAX_RUNS] = { 0 };

	printf("\n(init sweep: 1 to 256 GiB ...)\n");
	for (unsigned int i = 0; i < NR_SIZES; i++) {
		struct mm_sim_result res = { 0 };
		build_map(sizes[i]);
		/* the big sizes cost seconds per cold run: fewer of them */
		cold_runs[i] =
		    sizes[i] >= 64 && bench_runs > 3 ? 3 : bench_runs;
		for (int r = 0; r < cold_runs[i]; r++) {
			if (mm_simulate(&map, &res, false))
				bench_note("%u GiB: the simulation lost pages or "
					   "broke an invariant!",
					   sizes[i]);
			cold[i][r] = res.init_ms;
		}
		warm_init(warm[i]);
		meta[i] = res.metadata_pages;
		usable[i] = map.usable_pages;
	}

	bench_md("\n## Start-up time and metadata against memory size\n\n"
		 "Synthetic maps (RAM from 1 MiB, PCI hole at 3..4 GiB). "
		 "warm: pgdat_init() over memory it already touched (median "
		 "of %d); cold: the first pgdat_init() in mm_simulate(), host "
		 "page faults included (median of %d, 3 from 64 GiB up). "
		 "Metadata is exact, not timed.\n\n"
		 "| RAM | init warm (min..max) | init cold (min..max) | "
		 "metadata | of RAM |\n|---:|---:|---:|---:|---:|\n",
		 bench_runs, bench_runs);
	for (unsigned int i = 0; i < NR_SIZES; i++) {
		double w[BENCH_MAX_RUNS], c[BENCH_MAX_RUNS];
		int nc = cold_runs[i];
		memcpy(w, warm[i], sizeof(w));
		memcpy(c, cold[i], sizeof(c));
		double wmed = median(w, bench_runs), cmed = median(c, nc);
		double pct = 100.0 * (double)meta[i] / (double)usable[i];
		bench_md("| %u GiB | %.3g ms (%.3g..%.3g) | %.3g ms (%.3g..%.3g) "
			 "| %llu KiB | %.4f %% |\n",
			 sizes[i], wmed, w[0], w[bench_runs - 1], cmed, c[0],
			 c[nc - 1], (unsigned long long)K(meta[i]), pct);
		if (tsv)
			fprintf(tsv,
				"%u\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%llu"
				"\t%llu\t%.5f\n",
				sizes[i], wmed, w[0], w[bench_runs - 1], cmed,
				c[0], c[nc - 1], (unsigned long long)meta[i],
				(unsigned long long)usable[i], pct);
		if (sizes[i] == 64) {
			memcpy(warm64, warm[i], sizeof(warm64));
			memcpy(cold64, cold[i], sizeof(cold64));
			pct64 = pct;
		}
	}
	bench_section("Start-up figures by name", NULL);
	for (unsigned int i = 0; i < NR_SIZES; i++) {
		char name[64];
		snprintf(name, sizeof(name), "host.init_%ugib", sizes[i]);
		bench_report(name, "ms", "pgdat_init, memory already touched",
			     warm[i], bench_runs);
		snprintf(name, sizeof(name), "host.init_%ugib_cold", sizes[i]);
		bench_report(name, "ms",
			     "pgdat_init, first touch (host faults)", cold[i],
			     cold_runs[i]);
	}
	for (int r = 0; r < bench_runs; r++)
		warm64[r] /= 64, cold64[r] /= 64;
	bench_section("Per GiB, and the baselines", NULL);
	bench_report("host.init_per_gib", "ms", "64 GiB map, warm, per GiB",
		     warm64, bench_runs);
	bench_report("host.init_per_gib_cold", "ms",
		     "64 GiB map, cold, per GiB", cold64,
		     bench_runs >= 3 ? 3 : bench_runs);
	baseline_init();
	bench_report_exact("host.metadata_pct", "%",
			   "Labyrinth: metadata / RAM, 64 GiB map", pct64);
	bench_report_exact("host.metadata_pct.bitmap", "%",
			   "bitmap: 1 bit per 4 KiB frame", 100.0 / 32768);
	bench_report_exact("host.metadata_pct.linux", "%",
			   "Linux: 64-byte struct page per 4 KiB frame",
			   100.0 * 64 / 4096);
	if (tsv)
		fclose(tsv);
	bench_numa_12tib();
}
