/*
 * memmap-tool: runs Labyrinth's memory map policy (mm/memmap.c) and, with
 * --simulate, the whole page allocator, on a map in the fixture format
 * (tests/fixtures/NAME.map: "TYPE PHYS_START_HEX NUM_PAGES_HEX ATTR_HEX", '#'
 * comments). Host only. docs/02-memory-map.md ("Trying it") shows its use.
 *
 *   memmap-tool [--maxphyaddr=N] FILE.map       sanitised ranges + totals
 *   memmap-tool --simulate [--show] FILE.map    also boot the allocator over
 *                                               host memory and drain it
 * Exit status: 0 ok, 1 simulation lost pages or broke an invariant,
 * 2 bad input or usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/printk.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "tests/support/simulate_host.h"

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}

static struct memmap map;

static void print_ranges(void)
{
	for (unsigned int i = 0; i < map.nr_low; i++)
		printf("held   0x%016llx-0x%016llx %10llu pages (below 1 MiB)\n",
		       (unsigned long long)map.low[i].start,
		       (unsigned long long)map.low[i].end - 1,
		       (unsigned long long)(map.low[i].end - map.low[i].start) /
			   4096);
	for (unsigned int i = 0; i < map.nr_usable; i++)
		printf("%-6s 0x%016llx-0x%016llx %10llu pages\n",
		       memmap_zone_name(map.usable[i].zone),
		       (unsigned long long)map.usable[i].start,
		       (unsigned long long)map.usable[i].end - 1,
		       (unsigned long long)(map.usable[i].end -
					    map.usable[i].start) /
			   4096);
}

int main(int argc, char **argv)
{
	bool do_simulate = false, show = false;
	unsigned int maxphyaddr = 52;
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--simulate"))
			do_simulate = true;
		else if (!strcmp(argv[i], "--show"))
			show = do_simulate = true;
		else if (!strncmp(argv[i], "--maxphyaddr=", 13))
			maxphyaddr = (unsigned int)atoi(argv[i] + 13);
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			path = NULL, argc = 0;
	}
	if (!path || maxphyaddr < 20 || maxphyaddr > 63) {
		fprintf(
		    stderr,
		    "usage: memmap-tool [--simulate [--show]] [--maxphyaddr=N] FILE.map\n");
		return 2;
	}
	char err[512];
	if (mm_read_map_file(path, &map, maxphyaddr, err, sizeof(err))) {
		fprintf(stderr, "memmap-tool: %s\n", err);
		return 2;
	}
	printf("# %s: %u entries, %u dropped, MAXPHYADDR %u\n", path,
	       map.nr_entries, map.nr_dropped, maxphyaddr);
	print_ranges();
	printf("usable_pages=%llu dma=%llu dma32=%llu normal=%llu\n",
	       (unsigned long long)map.usable_pages,
	       (unsigned long long)map.zone_pages[MEMMAP_ZONE_DMA],
	       (unsigned long long)map.zone_pages[MEMMAP_ZONE_DMA32],
	       (unsigned long long)map.zone_pages[MEMMAP_ZONE_NORMAL]);
	fflush(stdout);
	if (!do_simulate)
		return 0;
	/* --simulate's report comes last: "allocated_pages=N metadata_pages=M". */
	struct mm_sim_result r;
	int status = mm_simulate(&map, &r, show);
	printf("# simulated %u sections over a %llu MiB span: %llu allocations, init %.2f ms, %d problems\n",
	       r.sections, (unsigned long long)(r.span_bytes >> 20),
	       (unsigned long long)r.allocations, r.init_ms, r.problems);
	printf("allocated_pages=%llu metadata_pages=%llu\n",
	       (unsigned long long)r.allocated_pages,
	       (unsigned long long)r.metadata_pages);
	return status;
}
