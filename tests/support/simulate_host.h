/*
 * Host-only helpers shared by tools/memmap-tool.c and the host-only fixture
 * suite: reading a map in the fixture text format, and running the whole
 * allocator over host memory laid out like that map ("simulation").
 * docs/02-memory-map.md ("Trying it") and docs/03-buddy-and-gfp.md.
 */
#ifndef LABYRINTH_TESTS_SUPPORT_SIMULATE_HOST_H
#define LABYRINTH_TESTS_SUPPORT_SIMULATE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/memmap.h"

/*
 * Reads "TYPE PHYS_START_HEX NUM_PAGES_HEX ATTR_HEX" lines ('#' comments)
 * into *map (reset with maxphyaddr) and builds it. Returns 0; or the number
 * of the first bad line (> 0) with a message in err; or -1 (cannot open,
 * map too large, nothing usable: message in err).
 */
int mm_read_map_file(const char *path, struct memmap *map,
		     unsigned int maxphyaddr, char *err, size_t err_size);

struct mm_sim_result {
	uint64_t allocated_pages; /* everything that could be taken */
	uint64_t metadata_pages;
	uint64_t allocations;
	uint64_t span_bytes; /* address space reserved (not committed) */
	unsigned int sections;
	int problems;	/* misaligned, overlapping, lost, mm_check */
	double init_ms; /* pgdat_init wall time */
};

/*
 * Reserves the map's physical span as PROT_NONE host memory, commits only
 * its RAM, builds a node over it, takes every page at a mix of orders, frees
 * them all, and checks everything on the way. Returns 0 when nothing was
 * lost and no invariant broke (allocated + metadata == usable pages).
 * With show, prints buddyinfo, zoneinfo and meminfo (via printk) right
 * after init, with the real watermarks.
 */
int mm_simulate(struct memmap *map, struct mm_sim_result *res, bool show);

#endif
