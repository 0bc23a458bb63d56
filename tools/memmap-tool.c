/*
 * memmap-tool: runs Labyrinth's memory map policy (mm/memmap.c) and, with
 * --simulate, the whole page allocator, on a map in the fixture format
 * (tests/fixtures/NAME.map: "TYPE PHYS_START_HEX NUM_PAGES_HEX ATTR_HEX", '#'
 * comments). Host only. docs/02-memory-map.md ("Trying it") shows its use.
 *
 *   memmap-tool [--maxphyaddr=N] FILE.map       sanitised ranges + totals
 *   memmap-tool --simulate FILE.map             also boot the allocator over
 *                                               host memory and drain it
 * Exit status: 0 ok, 1 simulation lost pages or broke an invariant,
 * 2 bad input or usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/irqflags.h"
#include "kernel/printk.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"

_Thread_local unsigned long host_irq_flags = X86_EFLAGS_IF;

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}

static struct memmap map;
static struct memmap_range ram[MEMMAP_MAX_RANGES];
static struct pglist_data node;

/* Parses one unsigned number; hex must be hex. Returns 0 on success. */
static int parse_u64(const char *tok, int base, uint64_t *out)
{
	char *end;
	if (!tok || *tok == '-' || *tok == '+')
		return -1;
	if (base == 0)
		base = (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) ? 16 : 10;
	errno = 0;
	unsigned long long v = strtoull(tok, &end, base);
	if (errno || end == tok || *end)
		return -1;
	*out = v;
	return 0;
}

static int read_map(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;

	if (!f) {
		fprintf(stderr, "memmap-tool: %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *tok[5];
		int n = 0;
		for (char *t = strtok(line, " \t\r\n"); t && n < 5;
		     t = strtok(NULL, " \t\r\n"))
			tok[n++] = t;
		if (n == 0)
			continue;
		uint64_t type, start, pages, attr;
		if (n != 4 || parse_u64(tok[0], 0, &type) || type > UINT32_MAX ||
		    parse_u64(tok[1], 16, &start) || parse_u64(tok[2], 16, &pages) ||
		    parse_u64(tok[3], 16, &attr)) {
			fprintf(stderr,
				"memmap-tool: %s:%d: bad line: expected TYPE PHYS_START_HEX NUM_PAGES_HEX ATTR_HEX\n",
				path, lineno);
			fclose(f);
			return 2;
		}
		if (memmap_add(&map, (uint32_t)type, start, pages, attr)) {
			fprintf(stderr, "memmap-tool: %s:%d: %s\n", path, lineno,
				memmap_error_name(MEMMAP_ERR_TOO_MANY));
			fclose(f);
			return 2;
		}
	}
	fclose(f);
	return 0;
}

static void print_ranges(void)
{
	for (unsigned int i = 0; i < map.nr_low; i++)
		printf("held   0x%016llx-0x%016llx %10llu pages (below 1 MiB)\n",
		       (unsigned long long)map.low[i].start,
		       (unsigned long long)map.low[i].end - 1,
		       (unsigned long long)(map.low[i].end - map.low[i].start) / 4096);
	for (unsigned int i = 0; i < map.nr_usable; i++)
		printf("%-6s 0x%016llx-0x%016llx %10llu pages\n",
		       memmap_zone_name(map.usable[i].zone),
		       (unsigned long long)map.usable[i].start,
		       (unsigned long long)map.usable[i].end - 1,
		       (unsigned long long)(map.usable[i].end - map.usable[i].start) / 4096);
}

struct block {
	uint64_t phys;
	unsigned int order;
};

static int cmp_block(const void *a, const void *b)
{
	const struct block *x = a, *y = b;
	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

/* Boots the allocator over host memory, takes every page, gives all back. */
static int simulate(void)
{
	int nr_ram = memmap_potential_ranges(&map, ram, MEMMAP_MAX_RANGES);
	if (nr_ram <= 0) {
		fprintf(stderr, "memmap-tool: no RAM to simulate\n");
		return 1;
	}
	/* Reserve the whole span without backing; make only RAM accessible,
	 * so a hole of a terabyte costs address space, not memory. */
	uint64_t lo = ram[0].start, hi = ram[nr_ram - 1].end;
	char *base = mmap(NULL, hi - lo, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		perror("memmap-tool: reserving the span");
		return 1;
	}
	for (int i = 0; i < nr_ram; i++)
		if (mprotect(base + (ram[i].start - lo), ram[i].end - ram[i].start,
			     PROT_READ | PROT_WRITE)) {
			perror("memmap-tool: committing RAM");
			return 1;
		}
	struct pgdat_config cfg = {
		.usable = map.usable, .nr_usable = map.nr_usable,
		.ram = ram, .nr_ram = (unsigned int)nr_ram,
		.direct_map_offset = (uint64_t)(uintptr_t)base - lo,
	};
	if (pgdat_init(&node, &cfg)) {
		fprintf(stderr, "memmap-tool: allocator init failed\n");
		return 1;
	}
	int bad = pgdat_check(&node);
	uint64_t initial[MAX_NR_ZONES][NR_PAGE_ORDERS];
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		for (int o = 0; o <= MAX_ORDER; o++)
			initial[z][o] = node.node_zones[z].free_area[o].nr_free;
		/* Draining everything means no reserve may stay behind. */
		for (int w = 0; w < NR_WMARK; w++)
			node.node_zones[z].watermark[w] = 0;
	}

	size_t cap = 1 << 16, n = 0;
	struct block *blocks = malloc(cap * sizeof(*blocks));
	uint64_t allocated = 0;
	static const unsigned int mix[] = {0, 10, 3, 7, 1, 9, 5, 2, 8, 4, 6};
	bool exhausted[NR_PAGE_ORDERS] = {false};
	/* A mixed phase that splits blocks of every size, then each order
	 * from the largest down until nothing at all is left. */
	for (size_t i = 0;; i++) {
		unsigned int order;
		if (i < 4096 * 11) {
			order = mix[i % 11];
		} else {
			order = MAX_ORDER + 1;
			for (int o = MAX_ORDER; o >= 0; o--)
				if (!exhausted[o]) {
					order = (unsigned int)o;
					break;
				}
			if (order > MAX_ORDER)
				break;
		}
		if (exhausted[order])
			continue;
		uint64_t phys = pgdat_alloc_pages(&node, GFP_NOWAIT | __GFP_NOWARN,
						  order);
		if (!phys) {
			exhausted[order] = true;
			continue;
		}
		if (n == cap)
			blocks = realloc(blocks, (cap *= 2) * sizeof(*blocks));
		blocks[n++] = (struct block){phys, order};
		allocated += 1ULL << order;
		if (phys & ((4096ULL << order) - 1)) {
			fprintf(stderr, "memmap-tool: block 0x%llx not aligned to order %u\n",
				(unsigned long long)phys, order);
			bad++;
		}
	}
	qsort(blocks, n, sizeof(*blocks), cmp_block);
	for (size_t i = 1; i < n; i++)
		if (blocks[i - 1].phys + (4096ULL << blocks[i - 1].order) >
		    blocks[i].phys) {
			fprintf(stderr, "memmap-tool: blocks 0x%llx and 0x%llx overlap\n",
				(unsigned long long)blocks[i - 1].phys,
				(unsigned long long)blocks[i].phys);
			bad++;
		}
	bad += pgdat_check(&node);
	for (size_t i = n; i-- > 0;)
		bad += pgdat_free_pages(&node, blocks[i].phys, blocks[i].order) != 0;
	bad += pgdat_check(&node);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o <= MAX_ORDER; o++)
			if (initial[z][o] != node.node_zones[z].free_area[o].nr_free) {
				fprintf(stderr, "memmap-tool: zone %s order %d: %llu free blocks after, %llu at init\n",
					node.node_zones[z].name, o,
					(unsigned long long)node.node_zones[z].free_area[o].nr_free,
					(unsigned long long)initial[z][o]);
				bad++;
			}
	printf("# simulated %d sections, %zu allocations, span %llu MiB\n",
	       node.nr_sections, n, (unsigned long long)(hi - lo) >> 20);
	printf("allocated_pages=%llu metadata_pages=%llu\n",
	       (unsigned long long)allocated,
	       (unsigned long long)node.metadata_pages);
	free(blocks);
	munmap(base, hi - lo);
	if (allocated + node.metadata_pages != map.usable_pages) {
		fprintf(stderr, "memmap-tool: %llu pages lost\n",
			(unsigned long long)(map.usable_pages - allocated -
					     node.metadata_pages));
		bad++;
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool do_simulate = false;
	unsigned int maxphyaddr = 52;
	const char *path = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--simulate"))
			do_simulate = true;
		else if (!strncmp(argv[i], "--maxphyaddr=", 13))
			maxphyaddr = (unsigned int)atoi(argv[i] + 13);
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			path = NULL, argc = 0;
	}
	if (!path || maxphyaddr < 20 || maxphyaddr > 63) {
		fprintf(stderr, "usage: memmap-tool [--simulate] [--maxphyaddr=N] FILE.map\n");
		return 2;
	}
	memmap_reset(&map, maxphyaddr);
	int err = read_map(path);
	if (err)
		return err;
	err = memmap_build(&map);
	if (err) {
		fprintf(stderr, "memmap-tool: %s: %s\n", path, memmap_error_name(err));
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
	/* --simulate's report comes last: "allocated_pages=N metadata_pages=M". */
	return do_simulate ? simulate() : 0;
}
