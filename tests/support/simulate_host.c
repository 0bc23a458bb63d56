/*
 * Host-only: reading fixture maps and running the allocator over host memory
 * shaped like them (see tests/support/simulate_host.h). Used by tools/memmap-tool.c and
 * tests/host/mm_fixtures_test.c. docs/02-memory-map.md ("Trying it").
 */
#include "tests/support/simulate_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mm/page_alloc.h"

/* Parses one unsigned number; base 0: decimal unless it starts with 0x. */
static int parse_u64(const char *tok, int base, uint64_t *out)
{
	char *end;
	if (*tok == '-' || *tok == '+')
		return -1;
	if (base == 0)
		base = (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) ? 16
									   : 10;
	errno = 0;
	unsigned long long v = strtoull(tok, &end, base);
	if (errno || end == tok || *end)
		return -1;
	*out = v;
	return 0;
}

int mm_read_map_file(const char *path, struct memmap *map,
		     unsigned int maxphyaddr, char *err, size_t err_size)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;

	memmap_reset(map, maxphyaddr);
	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *tok[5], *save;
		int n = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 5;
		     t = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = t;
		if (n == 0)
			continue;
		uint64_t type, start, pages, attr;
		if (n != 4 || parse_u64(tok[0], 0, &type) ||
		    type > UINT32_MAX || parse_u64(tok[1], 16, &start) ||
		    parse_u64(tok[2], 16, &pages) ||
		    parse_u64(tok[3], 16, &attr)) {
			snprintf(err, err_size,
				 "%s:%d: bad line: expected TYPE PHYS_START_HEX NUM_PAGES_HEX ATTR_HEX",
				 path, lineno);
			fclose(f);
			return lineno;
		}
		if (memmap_add(map, (uint32_t)type, start, pages, attr)) {
			snprintf(err, err_size, "%s:%d: %s", path, lineno,
				 memmap_error_name(MEMMAP_ERR_TOO_MANY));
			fclose(f);
			return lineno;
		}
	}
	fclose(f);
	int e = memmap_build(map);
	if (!e && map->usable_pages == 0)
		e = MEMMAP_ERR_NO_USABLE;
	if (e) {
		snprintf(err, err_size, "%s: %s", path, memmap_error_name(e));
		return -1;
	}
	return 0;
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

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct memmap_range ram[MEMMAP_MAX_RANGES];
static struct pglist_data node;

/* Takes every page: first a mix that splits blocks of every size, then each
 * order from the largest down until nothing is left. */
static struct block *take_everything(size_t *count, uint64_t *pages,
				     int *problems)
{
	static const unsigned int mix[] = { 0, 10, 3, 7, 1, 9, 5, 2, 8, 4, 6 };
	bool exhausted[NR_PAGE_ORDERS] = { false };
	size_t cap = 1 << 16, n = 0;
	struct block *blocks = malloc(cap * sizeof(*blocks));

	for (size_t i = 0; blocks; i++) {
		unsigned int order = MAX_ORDER + 1;
		if (i < 4096 * 11) {
			order = mix[i % 11];
		} else {
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
		uint64_t phys =
		    pgdat_alloc_pages(&node, GFP_NOWAIT | __GFP_NOWARN, order);
		if (!phys) {
			exhausted[order] = true;
			continue;
		}
		if (n == cap) {
			struct block *bigger =
			    realloc(blocks, (cap *= 2) * sizeof(*blocks));
			if (!bigger) {
				free(blocks);
				return NULL;
			}
			blocks = bigger;
		}
		blocks[n++] = (struct block){ phys, order };
		*pages += 1ULL << order;
		if (phys & ((PAGE_SIZE << order) - 1)) {
			fprintf(stderr,
				"simulate: block 0x%llx not aligned to order %u\n",
				(unsigned long long)phys, order);
			(*problems)++;
		}
	}
	*count = n;
	return blocks;
}

int mm_simulate(struct memmap *map, struct mm_sim_result *res, bool show)
{
	memset(res, 0, sizeof(*res));
	int nr_ram = memmap_potential_ranges(map, ram, MEMMAP_MAX_RANGES);
	if (nr_ram <= 0) {
		fprintf(stderr, "simulate: no RAM in the map\n");
		return res->problems = 1;
	}
	/* Reserve the whole span without backing and make only RAM
	 * accessible: a terabyte-wide hole costs address space, not memory. */
	uint64_t lo = ram[0].start, hi = ram[nr_ram - 1].end;
	res->span_bytes = hi - lo;
	char *base = mmap(NULL, hi - lo, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		perror("simulate: reserving the span");
		return res->problems = 1;
	}
	for (int i = 0; i < nr_ram; i++)
		if (mprotect(base + (ram[i].start - lo),
			     ram[i].end - ram[i].start,
			     PROT_READ | PROT_WRITE)) {
			perror("simulate: committing RAM");
			munmap(base, hi - lo);
			return res->problems = 1;
		}
	struct pgdat_config cfg = {
		.usable = map->usable,
		.nr_usable = map->nr_usable,
		.ram = ram,
		.nr_ram = (unsigned int)nr_ram,
		.direct_map_offset = (uint64_t)(uintptr_t)base - lo,
	};
	double t0 = now_ms();
	int err = pgdat_init(&node, &cfg);
	res->init_ms = now_ms() - t0;
	if (err) {
		fprintf(stderr, "simulate: allocator init failed (%d)\n", err);
		munmap(base, hi - lo);
		return res->problems = 1;
	}
	res->sections = node.nr_sections;
	res->metadata_pages = node.metadata_pages;
	res->problems += pgdat_check(&node);
	if (show) {
		buddyinfo_show(&node);
		zoneinfo_show(&node);
		meminfo_show(&node);
	}

	uint64_t initial[MAX_NR_ZONES][NR_PAGE_ORDERS];
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		for (int o = 0; o <= MAX_ORDER; o++)
			initial[z][o] = node.node_zones[z].free_area[o].nr_free;
		for (int w = 0; w < NR_WMARK; w++) /* no reserve may stay */
			node.node_zones[z].watermark[w] = 0;
	}
	static const unsigned int no_protection[MAX_NR_ZONES];
	pgdat_set_lowmem_reserve_ratio(&node, no_protection);
	size_t n = 0;
	struct block *blocks =
	    take_everything(&n, &res->allocated_pages, &res->problems);
	if (!blocks) {
		munmap(base, hi - lo);
		return res->problems = 1;
	}
	res->allocations = n;
	qsort(blocks, n, sizeof(*blocks), cmp_block);
	for (size_t i = 1; i < n; i++)
		if (blocks[i - 1].phys + (PAGE_SIZE << blocks[i - 1].order) >
		    blocks[i].phys) {
			fprintf(stderr,
				"simulate: blocks 0x%llx and 0x%llx overlap\n",
				(unsigned long long)blocks[i - 1].phys,
				(unsigned long long)blocks[i].phys);
			res->problems++;
		}
	res->problems += pgdat_check(&node);
	for (size_t i = n; i-- > 0;)
		res->problems += pgdat_free_pages(&node, blocks[i].phys,
						  blocks[i].order) != 0;
	res->problems += pgdat_check(&node);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o <= MAX_ORDER; o++)
			if (initial[z][o] !=
			    node.node_zones[z].free_area[o].nr_free) {
				fprintf(stderr,
					"simulate: zone %s order %d: %llu free blocks after, %llu at init\n",
					node.node_zones[z].name, o,
					(unsigned long long)node.node_zones[z]
					    .free_area[o]
					    .nr_free,
					(unsigned long long)initial[z][o]);
				res->problems++;
			}
	free(blocks);
	munmap(base, hi - lo);
	if (res->allocated_pages + res->metadata_pages != map->usable_pages) {
		fprintf(stderr, "simulate: %lld pages lost\n",
			(long long)(map->usable_pages - res->allocated_pages -
				    res->metadata_pages));
		res->problems++;
	}
	return res->problems ? 1 : 0;
}
