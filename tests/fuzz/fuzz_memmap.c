/*
 * libFuzzer target: arbitrary bytes as a raw UEFI memory map, with an
 * arbitrary descriptor size, version and MAXPHYADDR, fed to the map
 * sanitiser (mm/memmap.c). The result is checked against the policy by an
 * oracle written from the rules, not from the implementation:
 *   usable ranges sorted, disjoint, page aligned, at or above 1 MiB, within
 *   one zone, every byte covered by usable input entries, none touching a
 *   reserved entry (rounded outward), and the page totals adding up.
 * Input: byte 0 picks the descriptor size (40..96), byte 1 the version,
 * byte 2 MAXPHYADDR (36..52); the rest is the map. docs/02-memory-map.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/printk.h"
#include "mm/memmap.h"

static struct memmap map;

struct raw {
	uint32_t type;
	uint64_t start, pages, attr;
};

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static void violation(const char *what, uint64_t a, uint64_t b)
{
	fprintf(stderr, "fuzz_memmap: policy violated: %s (0x%llx 0x%llx)\n",
		what, (unsigned long long)a, (unsigned long long)b);
	abort();
}

/* The policy's inputs, decoded independently of mm/memmap.c. Returns false
 * for an entry the policy drops (overflow or beyond MAXPHYADDR). */
static int decode(const uint8_t *d, unsigned maxphyaddr, struct raw *r,
		  uint64_t *end)
{
	uint32_t type;
	memcpy(&type, d, 4);
	r->type = type;
	r->start = rd64(d + 8);
	r->pages = rd64(d + 24);
	r->attr = rd64(d + 32);
	if (r->pages > (~0ULL >> 12))
		return 0;
	uint64_t len = r->pages << 12;
	if (r->start > ~0ULL - len)
		return 0;
	*end = r->start + len;
	if (maxphyaddr < 64 && *end > (1ULL << maxphyaddr))
		return 0;
	return 1;
}

static int usable(const struct raw *r)
{
	int t = r->type == 1 || r->type == 2 || r->type == 3 || r->type == 4 ||
		r->type == 7;
	return t && (r->attr & EFI_MEMORY_WB) &&
	       !(r->attr & EFI_MEMORY_RUNTIME) && !(r->attr & EFI_MEMORY_SP);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet) {
		console_loglevel =
		    0; /* warnings about bad entries are expected */
		quiet = 1;
	}
	if (size < 3)
		return 0;
	uint64_t desc_size = 40 + 8 * (data[0] % 8);
	uint32_t version = data[1];
	unsigned maxphyaddr = 36 + data[2] % 17;
	const uint8_t *raw = data + 3;
	uint64_t raw_size = size - 3;

	int err = memmap_from_efi(&map, raw, raw_size, desc_size, version,
				  maxphyaddr);
	if (err != MEMMAP_OK)
		return 0; /* refused cleanly: empty, too many, nothing usable */

	uint64_t n = raw_size / desc_size, total = 0, zone_total[3] = { 0 };
	for (unsigned i = 0; i < map.nr_usable; i++) {
		const struct memmap_range *u = &map.usable[i];
		if (u->start >= u->end || u->start % 4096 || u->end % 4096)
			violation("empty or unaligned range", u->start, u->end);
		if (u->start < MEMMAP_LOW_LIMIT)
			violation("usable range below 1 MiB", u->start, u->end);
		if (i && map.usable[i - 1].end > u->start)
			violation("ranges unsorted or overlapping",
				  map.usable[i - 1].end, u->start);
		unsigned zone = u->start < MEMMAP_DMA_LIMIT	? 0
				: u->start < MEMMAP_DMA32_LIMIT ? 1
								: 2;
		uint64_t zone_end = zone == 0	? MEMMAP_DMA_LIMIT
				    : zone == 1 ? MEMMAP_DMA32_LIMIT
						: ~0ULL;
		if (u->zone != zone || u->end > zone_end)
			violation("range in the wrong zone or crossing one",
				  u->start, u->end);
		total += (u->end - u->start) / 4096;
		zone_total[zone] += (u->end - u->start) / 4096;

		/* Every byte is covered by kept usable entries ... */
		uint64_t pos = u->start;
		while (pos < u->end) {
			uint64_t next = pos;
			for (uint64_t k = 0; k < n; k++) {
				struct raw r;
				uint64_t end;
				if (!decode(raw + k * desc_size, maxphyaddr, &r,
					    &end) ||
				    !usable(&r))
					continue;
				if (r.start <= pos && pos < end && end > next)
					next = end;
			}
			if (next == pos)
				violation("usable bytes from no usable entry",
					  pos, u->end);
			pos = next;
		}
		/* ... and touches no reserved entry, rounded outward. */
		for (uint64_t k = 0; k < n; k++) {
			struct raw r;
			uint64_t end;
			if (!decode(raw + k * desc_size, maxphyaddr, &r,
				    &end) ||
			    usable(&r) || r.pages == 0)
				continue;
			uint64_t rs = r.start & ~4095ULL;
			uint64_t re = end > ~0ULL - 4095
					  ? ~0ULL
					  : (end + 4095) & ~4095ULL;
			if (rs < u->end && u->start < re)
				violation("usable range overlaps a reserved entry",
					  u->start, r.start);
		}
	}
	if (total != map.usable_pages)
		violation("usable_pages is not the sum of the ranges", total,
			  map.usable_pages);
	for (int z = 0; z < 3; z++)
		if (zone_total[z] != map.zone_pages[z])
			violation("zone total wrong", (uint64_t)z,
				  zone_total[z]);
	return 0;
}
