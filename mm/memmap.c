/*
 * Memory map sanitising (see mm/memmap.h). The firmware's map is a list of
 * claims that may disagree; we turn it into one answer the allocator can
 * trust: sort, merge, let reserved win, trim, hold back low memory, split
 * per zone. docs/02-memory-map.md walks through it with examples.
 */
#include "mm/memmap.h"

#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

#define PAGE_MASK_LOW (MEMMAP_PAGE_SIZE - 1)

static uint64_t align_down(uint64_t x)
{
	return x & ~PAGE_MASK_LOW;
}

/* Callers guarantee x <= 2^63, so this cannot wrap. */
static uint64_t align_up(uint64_t x)
{
	return (x + PAGE_MASK_LOW) & ~PAGE_MASK_LOW;
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v)); /* descriptors need not be 8-byte aligned */
	return v;
}

static uint32_t load_u32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

bool memmap_type_is_usable(uint32_t type, uint64_t attribute)
{
	/* LAB memmap: begin usable */
	bool ram_type = type == EFI_LOADER_CODE || type == EFI_LOADER_DATA ||
			type == EFI_BOOT_SERVICES_CODE ||
			type == EFI_BOOT_SERVICES_DATA ||
			type == EFI_CONVENTIONAL_MEMORY;
	return ram_type && (attribute & EFI_MEMORY_WB) &&
	       !(attribute & (EFI_MEMORY_RUNTIME | EFI_MEMORY_SP));
	/* LAB memmap: end usable */
}

const char *memmap_zone_name(unsigned int zone)
{
	static const char *const names[] = { "DMA", "DMA32", "Normal" };
	return zone < MEMMAP_NR_ZONES ? names[zone] : "?";
}

const char *memmap_error_name(int err)
{
	switch (err) {
	case MEMMAP_OK:
		return "ok";
	case MEMMAP_ERR_BAD_DESC_SIZE:
		return "descriptor size below 40 bytes";
	case MEMMAP_ERR_TOO_MANY:
		return "more map entries than mm/memmap.h can hold";
	case MEMMAP_ERR_EMPTY:
		return "the memory map is empty";
	case MEMMAP_ERR_NO_USABLE:
		return "no usable memory above 1 MiB";
	case MEMMAP_ERR_BAD_ARGS:
		return "bad arguments";
	}
	return "unknown error";
}

void memmap_reset(struct memmap *mm, unsigned int maxphyaddr)
{
	mm->maxphyaddr = maxphyaddr;
	mm->nr_entries = 0;
	mm->nr_seen = 0;
	mm->nr_dropped = 0;
	mm->nr_released = 0;
	mm->nr_usable = 0;
	mm->nr_low = 0;
	mm->usable_pages = 0;
	for (int z = 0; z < MEMMAP_NR_ZONES; z++)
		mm->zone_pages[z] = 0;
}

int memmap_add(struct memmap *mm, uint32_t type, uint64_t phys_start,
	       uint64_t num_pages, uint64_t attribute)
{
	unsigned int index = mm->nr_seen++; /* the firmware's numbering */

	if (num_pages == 0)
		return MEMMAP_OK; /* nothing claimed, nothing to keep */
	if (num_pages > (UINT64_MAX >> 12) ||
	    phys_start > UINT64_MAX - (num_pages << 12)) {
		pr_warn("memmap: dropping entry %u (type %u, start 0x%llx, 0x%llx pages): end overflows 2^64\n",
			index, type, (unsigned long long)phys_start,
			(unsigned long long)num_pages);
		mm->nr_dropped++;
		return MEMMAP_OK;
	}
	uint64_t end = phys_start + (num_pages << 12);
	if (end > (1ULL << mm->maxphyaddr)) {
		pr_warn("memmap: dropping entry %u (type %u, start 0x%llx, 0x%llx pages): ends past MAXPHYADDR (%u bits)\n",
			index, type, (unsigned long long)phys_start,
			(unsigned long long)num_pages, mm->maxphyaddr);
		mm->nr_dropped++;
		return MEMMAP_OK;
	}
	if (mm->nr_entries >= MEMMAP_MAX_ENTRIES) {
		pr_err("memmap: more than %d entries; raise MEMMAP_MAX_ENTRIES\n",
		       MEMMAP_MAX_ENTRIES);
		return MEMMAP_ERR_TOO_MANY;
	}
	if (type == EFI_PERSISTENT_MEMORY || type == EFI_UNACCEPTED_MEMORY)
		pr_notice(
		    "memmap: entry %u: %s memory (type %u) at 0x%llx kept reserved\n",
		    index,
		    type == EFI_PERSISTENT_MEMORY ? "persistent" : "unaccepted",
		    type, (unsigned long long)phys_start);
	struct memmap_entry *e = &mm->entries[mm->nr_entries++];
	e->start = phys_start;
	e->end = end;
	e->attribute = attribute;
	e->type = type;
	e->index = index;
	return MEMMAP_OK;
}

/* Insertion sort by start: maps are short and often nearly sorted. */
static void sort_ranges(struct memmap_range *r, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		struct memmap_range key = r[i];
		unsigned int j = i;
		while (j > 0 && r[j - 1].start > key.start) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = key;
	}
}

/* Sorted input; joins overlapping and touching ranges. Returns new count. */
static unsigned int merge_ranges(struct memmap_range *r, unsigned int n)
{
	unsigned int out = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (out && r[i].start <= r[out - 1].end) {
			if (r[i].end > r[out - 1].end)
				r[out - 1].end = r[i].end;
		} else {
			r[out++] = r[i];
		}
	}
	return out;
}

/* out = a minus b; both sorted and disjoint. Returns count or error. */
static int subtract_ranges(const struct memmap_range *a, unsigned int na,
			   const struct memmap_range *b, unsigned int nb,
			   struct memmap_range *out, unsigned int max_out)
{
	/* LAB memmap: begin subtract */
	unsigned int n = 0, j = 0;
	for (unsigned int i = 0; i < na; i++) {
		uint64_t cur = a[i].start, end = a[i].end;
		while (j < nb && b[j].end <= cur)
			j++;
		for (unsigned int k = j; k < nb && b[k].start < end; k++) {
			if (b[k].start > cur) {
				if (n >= max_out)
					return MEMMAP_ERR_TOO_MANY;
				out[n] = a[i];
				out[n].start = cur;
				out[n++].end = b[k].start;
			}
			if (b[k].end > cur)
				cur = b[k].end;
		}
		if (cur < end) {
			if (n >= max_out)
				return MEMMAP_ERR_TOO_MANY;
			out[n] = a[i];
			out[n].start = cur;
			out[n++].end = end;
		}
	}
	return (int)n;
	/* LAB memmap: end subtract */
}

static bool type_released(const struct memmap *mm, uint32_t type)
{
	for (unsigned int i = 0; i < mm->nr_released; i++)
		if (mm->released[i] == type)
			return true;
	return false;
}

/*
 * The core of the policy. Classifies every entry, trims usable ones inward
 * and rounds reserved ones outward (so a partly reserved page is reserved),
 * merges each side, then removes everything reserved from the usable side.
 * Writes the sorted disjoint result to out; returns its length or an error.
 */
static int sanitise(struct memmap *mm, bool release_all_os,
		    struct memmap_range *out)
{
	struct memmap_range *use = mm->scratch_a, *res = mm->scratch_b;
	unsigned int nuse = 0, nres = 0;

	/* LAB memmap: begin classify */
	for (unsigned int i = 0; i < mm->nr_entries; i++) {
		const struct memmap_entry *e = &mm->entries[i];
		bool os = e->type >= EFI_OS_DEFINED_FIRST;
		uint32_t as_type = e->type;
		if (os && (release_all_os || type_released(mm, e->type)))
			as_type = EFI_CONVENTIONAL_MEMORY;
		if (memmap_type_is_usable(as_type, e->attribute)) {
			uint64_t s = align_up(e->start), t = align_down(e->end);
			if (s < t)
				use[nuse++] =
				    (struct memmap_range){ s, t, e->type, 0 };
		} else {
			res[nres++] =
			    (struct memmap_range){ align_down(e->start),
						   align_up(e->end), e->type,
						   0 };
		}
	}
	/* LAB memmap: end classify */
	sort_ranges(use, nuse);
	sort_ranges(res, nres);
	nuse = merge_ranges(use, nuse);
	nres = merge_ranges(res, nres);
	return subtract_ranges(use, nuse, res, nres, out, MEMMAP_MAX_RANGES);
}

/* Splits sorted ranges at the 1 MiB hold-back and the zone limits. */
static int split_and_count(struct memmap *mm, const struct memmap_range *in,
			   unsigned int n)
{
	static const uint64_t limits[MEMMAP_NR_ZONES] = { MEMMAP_DMA_LIMIT,
							  MEMMAP_DMA32_LIMIT,
							  UINT64_MAX };

	mm->nr_usable = mm->nr_low = 0;
	mm->usable_pages = 0;
	for (int z = 0; z < MEMMAP_NR_ZONES; z++)
		mm->zone_pages[z] = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t s = in[i].start, e = in[i].end;
		if (s < MEMMAP_LOW_LIMIT) {
			uint64_t le =
			    e < MEMMAP_LOW_LIMIT ? e : MEMMAP_LOW_LIMIT;
			/* Frame 0 is never RAM for us: 0 means "no page". */
			uint64_t ls = s ? s : MEMMAP_PAGE_SIZE;
			if (ls < le)
				mm->low[mm->nr_low++] =
				    (struct memmap_range){ ls, le, in[i].type,
							   0 };
			s = le;
		}
		for (unsigned int z = 0; z < MEMMAP_NR_ZONES && s < e; z++) {
			if (s >= limits[z])
				continue;
			uint64_t ze = e < limits[z] ? e : limits[z];
			if (mm->nr_usable >= MEMMAP_MAX_RANGES)
				return MEMMAP_ERR_TOO_MANY;
			mm->usable[mm->nr_usable++] =
			    (struct memmap_range){ s, ze, in[i].type, z };
			mm->zone_pages[z] += (ze - s) / MEMMAP_PAGE_SIZE;
			mm->usable_pages += (ze - s) / MEMMAP_PAGE_SIZE;
			s = ze;
		}
	}
	return MEMMAP_OK;
}

int memmap_build(struct memmap *mm)
{
	int n = sanitise(mm, false, mm->merged);
	if (n < 0)
		return n;
	return split_and_count(mm, mm->merged, (unsigned int)n);
}

int memmap_from_efi(struct memmap *mm, const void *map, uint64_t map_size,
		    uint64_t desc_size, uint32_t desc_version,
		    unsigned int maxphyaddr)
{
	if (!mm || (!map && map_size) || maxphyaddr < 20 || maxphyaddr > 63) {
		pr_err("memmap: bad arguments (map %p, MAXPHYADDR %u)\n", map,
		       maxphyaddr);
		return MEMMAP_ERR_BAD_ARGS;
	}
	memmap_reset(mm, maxphyaddr);
	if (desc_size < EFI_DESC_MIN_SIZE) {
		pr_err("memmap: descriptor size %llu is below the spec's %d bytes\n",
		       (unsigned long long)desc_size, EFI_DESC_MIN_SIZE);
		return MEMMAP_ERR_BAD_DESC_SIZE;
	}
	if (desc_version != 1)
		pr_warn("memmap: descriptor version %u (expected 1); reading the version 1 fields\n",
			desc_version);
	if (map_size % desc_size)
		pr_warn("memmap: map size %llu is not a multiple of the descriptor size %llu; ignoring the tail\n",
			(unsigned long long)map_size,
			(unsigned long long)desc_size);
	uint64_t count = map_size / desc_size;
	if (count == 0) {
		pr_err("memmap: the memory map is empty: nothing to run on\n");
		return MEMMAP_ERR_EMPTY;
	}
	const unsigned char *p = map;
	for (uint64_t i = 0; i < count; i++, p += desc_size) {
		int err = memmap_add(mm, load_u32(p + EFI_DESC_OFF_TYPE),
				     load_u64(p + EFI_DESC_OFF_PHYS_START),
				     load_u64(p + EFI_DESC_OFF_NUM_PAGES),
				     load_u64(p + EFI_DESC_OFF_ATTRIBUTE));
		if (err)
			return err;
	}
	int err = memmap_build(mm);
	if (err)
		return err;
	if (mm->usable_pages == 0) {
		pr_err("memmap: no usable memory above 1 MiB in a map of %llu entries: cannot boot\n",
		       (unsigned long long)count);
		return MEMMAP_ERR_NO_USABLE;
	}
	return MEMMAP_OK;
}

int memmap_release_type(struct memmap *mm, uint32_t type,
			struct memmap_range *out, unsigned int max_out,
			unsigned int *nr_out)
{
	*nr_out = 0;
	if (type < EFI_OS_DEFINED_FIRST) {
		pr_err("memmap: type 0x%x is not OS-defined; refusing to release it\n",
		       type);
		return MEMMAP_ERR_BAD_ARGS;
	}
	if (type_released(mm, type))
		return MEMMAP_OK;
	if (mm->nr_released >= MEMMAP_MAX_RELEASED)
		return MEMMAP_ERR_TOO_MANY;

	/* What this release adds = the new usable set minus the old one. */
	unsigned int nold = mm->nr_usable;
	for (unsigned int i = 0; i < nold; i++)
		mm->previous[i] = mm->usable[i];
	mm->released[mm->nr_released++] = type;
	int err = memmap_build(mm);
	if (err)
		return err;
	int n = subtract_ranges(mm->usable, mm->nr_usable, mm->previous, nold,
				out, max_out);
	if (n < 0)
		return n;
	*nr_out = (unsigned int)n;
	return MEMMAP_OK;
}

int memmap_potential_ranges(struct memmap *mm, struct memmap_range *out,
			    unsigned int max_out)
{
	int n = sanitise(mm, true, mm->previous);
	if (n < 0)
		return n;
	unsigned int k = 0;
	for (int i = 0; i < n; i++) {
		uint64_t s = mm->previous[i].start, e = mm->previous[i].end;
		if (s < MEMMAP_LOW_LIMIT)
			s = MEMMAP_LOW_LIMIT;
		if (s >= e)
			continue;
		if (k >= max_out)
			return MEMMAP_ERR_TOO_MANY;
		out[k++] =
		    (struct memmap_range){ s, e, mm->previous[i].type, 0 };
	}
	return (int)k;
}

void memmap_print(const struct memmap *mm)
{
	for (unsigned int i = 0; i < mm->nr_low; i++)
		pr_info("memmap: held back [mem 0x%016llx-0x%016llx] (below 1 MiB)\n",
			(unsigned long long)mm->low[i].start,
			(unsigned long long)mm->low[i].end - 1);
	for (unsigned int i = 0; i < mm->nr_usable; i++) {
		const struct memmap_range *r = &mm->usable[i];
		pr_info("memmap: %-6s [mem 0x%016llx-0x%016llx] %llu pages\n",
			memmap_zone_name(r->zone), (unsigned long long)r->start,
			(unsigned long long)r->end - 1,
			(unsigned long long)(r->end - r->start) /
			    MEMMAP_PAGE_SIZE);
	}
	pr_info("memmap: usable_pages=%llu dma=%llu dma32=%llu normal=%llu (%u entries, %u dropped)\n",
		(unsigned long long)mm->usable_pages,
		(unsigned long long)mm->zone_pages[MEMMAP_ZONE_DMA],
		(unsigned long long)mm->zone_pages[MEMMAP_ZONE_DMA32],
		(unsigned long long)mm->zone_pages[MEMMAP_ZONE_NORMAL],
		mm->nr_entries, mm->nr_dropped);
}
