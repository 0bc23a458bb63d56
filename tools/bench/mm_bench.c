/*
 * `make bench`: the page allocator measured on the host, built with -O2 and
 * no sanitizers (mm/host.mk). Prints a table and writes one
 * "name<TAB>value<TAB>unit" line per figure to the file named on the command
 * line (build/bench/results.tsv). docs/03-buddy-and-gfp.md ("How fast").
 * Usage: mm-bench [RESULTS.tsv [--quick]]
 *
 *   order0_pair  alloc + free of one page whose buddy is in use (no merge)
 *   mixed_0_4    random orders 0..4 at ~50% occupancy; per operation, an
 *                operation being one alloc or one free
 *   split10_pair one page from a lone free 4 MiB block and back: ten splits
 *                and ten merges per pair
 *   init         pgdat_init over simulated 1, 16 and 64 GiB maps (cold: the
 *                host faults the metadata in; warm: the same memory again)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel/irqflags.h"
#include "mm/page_alloc.h"

_Thread_local unsigned long host_irq_flags = X86_EFLAGS_IF;

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}

static struct pglist_data node;
static FILE *tsv;
/* Iterations; `mm-bench FILE --quick` divides them by 1000 (for callgrind
 * instruction counts, or a smoke run). */
static int scale = 1;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void report(const char *name, double value, const char *unit,
		   const char *what)
{
	printf("  %-28s %12.4f %-3s  %s\n", name, value, unit, what);
	if (tsv)
		fprintf(tsv, "%s\t%.4f\t%s\n", name, value, unit);
}

/* Host memory playing RAM at physical `phys` (one range), watermarks 0. */
static void *make_node(uint64_t phys, uint64_t bytes)
{
	static struct memmap_range r;
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mm-bench: mmap");
		exit(1);
	}
	r = (struct memmap_range){ phys, phys + bytes, 7, 0 };
	struct pgdat_config cfg = {
		&r, 1, NULL, 0, 0, 0, (uint64_t)(uintptr_t)mem - phys, false
	};
	if (pgdat_init(&node, &cfg)) {
		fprintf(stderr, "mm-bench: pgdat_init failed\n");
		exit(1);
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int w = 0; w < NR_WMARK; w++)
			node.node_zones[z].watermark[w] = 0;
	return mem;
}

static double best_of(double (*fn)(void), int runs)
{
	if (scale > 1)
		runs = 1;
	double best = 1e30;
	for (int i = 0; i < runs; i++) {
		double v = fn();
		if (v < best)
			best = v;
	}
	return best;
}

#define PAIRS (20000000 / scale)

static double order0_pair(void)
{
	double t0 = now_ns();
	for (int i = 0; i < PAIRS; i++) {
		uint64_t p = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
		pgdat_free_pages(&node, p, 0);
	}
	return (now_ns() - t0) / PAIRS;
}

static double split10_pair(void)
{
	double t0 = now_ns();
	for (int i = 0; i < PAIRS / 10; i++) {
		uint64_t p = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
		pgdat_free_pages(&node, p, 0);
	}
	return (now_ns() - t0) / (PAIRS / 10);
}

static uint64_t rng = 0x243F6A8885A308D3ULL;
static inline uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define MIXED_SLOTS 2560 /* x 6.2 pages on average = ~48% of 128 MiB */
static struct {
	uint64_t phys;
	unsigned int order;
} slots[MIXED_SLOTS];

static double mixed_0_4(void)
{
	const int ops = 10000000 / scale;
	double t0 = now_ns();
	for (int i = 0; i < ops / 2; i++) {
		unsigned int k = rnd() % MIXED_SLOTS;
		if (slots[k].phys)
			pgdat_free_pages(&node, slots[k].phys, slots[k].order);
		slots[k].order = rnd() % 5;
		slots[k].phys =
		    pgdat_alloc_pages(&node, GFP_KERNEL, slots[k].order);
	}
	return (now_ns() - t0) / ops;
}

/* A machine-like map: RAM from 1 MiB to gib GiB with the PCI hole at
 * 3..4 GiB. Returns init time in ms (cold then warm) and metadata. */
static void init_bench(unsigned int gib, double *cold_ms, double *warm_ms,
		       uint64_t *metadata, uint64_t *pages)
{
	static struct memmap_range r[2];
	uint64_t top = (uint64_t)gib << 30;
	unsigned int n = 1;
	r[0] = (struct memmap_range){ 1 << 20,
				      top < (3ULL << 30) ? top : 3ULL << 30, 7,
				      0 };
	if (top > (3ULL << 30))
		r[n++] = (struct memmap_range){ 4ULL << 30, top + (1ULL << 30),
						7, 0 };
	uint64_t span = r[n - 1].end;
	char *base = mmap(NULL, span, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		perror("mm-bench: mmap");
		exit(1);
	}
	for (unsigned int i = 0; i < n; i++)
		mprotect(base + r[i].start, r[i].end - r[i].start,
			 PROT_READ | PROT_WRITE);
	struct pgdat_config cfg = {
		r, n, NULL, 0, 0, 0, (uint64_t)(uintptr_t)base, false
	};
	double t0 = now_ns();
	pgdat_init(&node, &cfg);
	*cold_ms = (now_ns() - t0) / 1e6;
	t0 = now_ns();
	pgdat_init(&node, &cfg);
	*warm_ms = (now_ns() - t0) / 1e6;
	*metadata = node.metadata_pages;
	*pages = 0;
	for (unsigned int i = 0; i < n; i++)
		*pages += (r[i].end - r[i].start) >> PAGE_SHIFT;
	munmap(base, span);
}

int main(int argc, char **argv)
{
	const uint64_t phys = 1ULL << 32;
	if (argc > 2 && !strcmp(argv[2], "--quick"))
		scale = 1000;
	if (argc > 1 && !(tsv = fopen(argv[1], "w"))) {
		perror(argv[1]);
		return 1;
	}
	printf(
	    "Labyrinth page allocator, host benchmark (-O2, no sanitizers)\n");

	/* order-0 pair: take pages until one came from a split, so that its
	 * buddy sits alone on the order-0 list: each pair then takes that
	 * buddy and gives it back without splitting or merging. */
	void *mem = make_node(phys, 128 << 20);
	static uint64_t held[64];
	int nheld = 0;
	do {
		held[nheld] = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
	} while (*pfn_state(&node, (held[nheld++] >> PAGE_SHIFT) ^ 1) !=
		     (PFS_FREE | 0) &&
		 nheld < 64);
	report("host.order0_pair.buddy", best_of(order0_pair, 5), "ns",
	       "alloc_pages(0) + __free_pages, buddy in use");
	while (nheld)
		pgdat_free_pages(&node, held[--nheld], 0);

	/* mixed: fill to ~50% of the 128 MiB. */
	for (int k = 0; k < MIXED_SLOTS; k++) {
		slots[k].order = rnd() % 5;
		slots[k].phys =
		    pgdat_alloc_pages(&node, GFP_KERNEL, slots[k].order);
	}
	report("host.mixed_0_4.buddy", best_of(mixed_0_4, 5), "ns",
	       "random orders 0..4 at ~50% occupancy, per alloc or free");
	if (pgdat_check(&node))
		printf("  (mm_check failed after the mixed run!)\n");
	munmap(mem, 128 << 20);

	/* split10: 8 MiB; the lower 4 MiB stays one free block, the rest is
	 * taken, so every pair splits ten times and merges ten times. */
	mem = make_node(phys, 8 << 20);
	for (int o = MAX_ORDER - 1; o >= 0; o--)
		while (node.node_zones[ZONE_NORMAL].free_area[o].nr_free)
			pgdat_alloc_pages(&node, GFP_KERNEL, (unsigned int)o);
	report("host.split10_pair.buddy", best_of(split10_pair, 5), "ns",
	       "one page from a lone 4 MiB block and back");
	munmap(mem, 8 << 20);

	static const unsigned int sizes[] = { 1, 16, 64 };
	double per_gib = 0, cold_per_gib = 0, metadata_pct = 0;
	for (int i = 0; i < 3; i++) {
		double cold, warm;
		uint64_t meta, pages;
		char name[64];
		init_bench(sizes[i], &cold, &warm, &meta, &pages);
		snprintf(name, sizeof(name), "host.init_%ugib", sizes[i]);
		report(name, warm, "ms", "pgdat_init, memory already touched");
		snprintf(name, sizeof(name), "host.init_%ugib_cold", sizes[i]);
		report(name, cold, "ms",
		       "pgdat_init, first touch (host page faults)");
		per_gib = warm / sizes[i];
		cold_per_gib = cold / sizes[i];
		metadata_pct = 100.0 * (double)meta / (double)pages;
	}
	report("host.init_per_gib", per_gib, "ms", "64 GiB map, warm");
	report("host.init_per_gib_cold", cold_per_gib, "ms",
	       "64 GiB map, cold");
	report("host.metadata_pct", metadata_pct, "%",
	       "allocator metadata / RAM, 64 GiB map");
	if (tsv)
		fclose(tsv);
	return 0;
}
