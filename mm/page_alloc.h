/*
 * The physical page allocator's interface: Linux-shaped (alloc_pages,
 * __free_pages, __get_free_pages ...) but in physical addresses instead of
 * struct page pointers. Everything works on a node (struct pglist_data): the
 * kernel has one, contig_page_data, set up by mm_init(); tests build their own
 * small nodes over memory they own. docs/03-buddy-and-gfp.md explains it.
 */
#ifndef LABYRINTH_MM_PAGE_ALLOC_H
#define LABYRINTH_MM_PAGE_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/memmap.h"
#include "mm/mmzone.h"

/* ---------------------------------------------------------------- kernel */

/* The kernel's node, and the direct map offset phys_to_virt() uses. */
extern struct pglist_data contig_page_data;
extern uint64_t mm_direct_map_offset;

/*
 * Boot entry point. map/map_size/desc_size/desc_version: the raw UEFI map
 * exactly as GetMemoryMap() returned it (read with desc_size, never sizeof).
 * maxphyaddr: the CPU's physical address width (CPUID 0x80000008 EAX[7:0]).
 * direct_map_offset: the HHDM; every usable frame P must be mapped writable
 * at P + direct_map_offset before this is called. The map is copied, so its
 * buffer may be released afterwards. Prints the sanitised map and the dumps.
 * Returns 0, or a negative value after printing why the boot cannot go on
 * (empty map, no usable RAM above 1 MiB, map too large, no room for metadata).
 */
int mm_init(const void *map, uint64_t map_size, uint64_t desc_size,
	    uint32_t desc_version, unsigned int maxphyaddr,
	    uint64_t direct_map_offset);

/* The sanitised boot map (ranges below 1 MiB are in ->low, e.g. for the SMP
 * trampoline). Valid after mm_init(). */
const struct memmap *mm_boot_memmap(void);

/* The kernel no longer needs the memory our loader marked with OS-defined
 * type `type` (>= 0x80000000): hand it to the allocator. Returns the number
 * of pages added, or a negative value. */
long mm_release_os_type(uint32_t type);

/* Cmdline knobs (min_free_kbytes=, watermark_scale_factor=, page_poison=1);
 * may be called before or after mm_init(). */
void mm_set_min_free_kbytes(uint64_t kbytes);
void mm_set_watermark_scale_factor(unsigned int factor);
void mm_set_page_poison(bool on);
/* page_grouping=off: no grouping by mobility on the kernel's node. */
void mm_set_page_grouping(bool on);
/* free_lists=eager: link every free block at boot (pgdat_config). */
void mm_set_eager_free_lists(bool eager);
/* compaction=off, extfrag_threshold=, compaction_proactiveness= for the
 * kernel's node (docs/10); call before mm_init(). */
void mm_set_compaction(bool on, unsigned int extfrag_threshold,
		       unsigned int proactiveness);
/* compaction_spill=off: compaction never moves pages into a zone below the
 * one it compacts (docs/10b, "Spilling into the zone below"). */
void mm_set_compaction_spill(bool on);

/* Returns the physical address of a naturally aligned block of 2^order
 * frames, or 0 on failure (frame 0 is never handed out). */
uint64_t alloc_pages(gfp_t gfp, unsigned int order);
static inline uint64_t alloc_page(gfp_t gfp)
{
	return alloc_pages(gfp, 0);
}

/* Frees a block from alloc_pages. A bad free is reported and ignored. */
void __free_pages(uint64_t phys, unsigned int order);
/* The node whose frame phys is (the kernel's node when there is one, or
 * when no node has it, so that the bad free is reported there). */
struct pglist_data *kernel_pgdat_of(uint64_t phys);

/* The same on direct-map (virtual) addresses; 0 means failure. */
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp);
void free_pages(unsigned long addr, unsigned int order);
#define __get_free_page(gfp) __get_free_pages((gfp), 0)
#define free_page(addr) free_pages((addr), 0)

static inline void *phys_to_virt(uint64_t phys)
{
	return (void *)(uintptr_t)(phys + mm_direct_map_offset);
}
static inline uint64_t virt_to_phys(const void *virt)
{
	return (uint64_t)(uintptr_t)virt - mm_direct_map_offset;
}

/*
 * The rest of the API (mm/page_alloc_api.c). alloc_pages_bulk fills the
 * empty (0) slots of array[0..nr) with order-0 pages, one zone-lock round
 * trip per batch of up to 64, above `low` only; if it finds none there, one
 * page the usual way (slow path). Returns the filled slots, which may be
 * fewer than nr. alloc_pages_exact: PAGE_ALIGN(size) bytes of contiguous
 * pages (each frame its own order-0 allocation), the rest of the
 * power-of-two block freed at once; free_pages_exact gives them back.
 * Bad input (no array, nr 0 or above memory, size 0 or above 4 MiB) is
 * reported and allocates nothing.
 */
unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr, uint64_t *array);
void *alloc_pages_exact(uint64_t size, gfp_t gfp);
void free_pages_exact(void *virt, uint64_t size);

/* Free pages of the kernel's node (buddy lists only: frames parked on
 * per-CPU lists count as in use, as in Linux's NR_FREE_PAGES). */
uint64_t nr_free_pages(void);
/* Linux's si_meminfo, in pages of mem_unit bytes. */
struct sysinfo {
	uint64_t totalram;    /* pages the allocator manages */
	uint64_t freeram;     /* free on the buddy lists */
	uint64_t pcpram;      /* free but parked on per-CPU lists */
	uint64_t metadataram; /* the allocator's own state bytes and hash */
	unsigned int mem_unit;
};
void si_meminfo(struct sysinfo *info);

/* Verifies every allocator invariant of the kernel's node; returns the number
 * of problems found (each printed), 0 when all is well. */
int mm_check(void);

/* ---------------------------------------------------------------- nodes */

struct pgdat_config {
	/* Sorted, disjoint, page-aligned ranges of RAM free for use now. */
	const struct memmap_range *usable;
	unsigned int nr_usable;
	/* Optional superset of `usable`: RAM that may be released later
	 * (pgdat_release_range); metadata is created for it up front. */
	const struct memmap_range *ram;
	unsigned int nr_ram;
	/* Zone address limits; 0 means Linux's 16 MiB and 4 GiB. Tests move
	 * them to get three zones out of a few MiB. */
	uint64_t dma_limit, dma32_limit;
	uint64_t direct_map_offset;
	bool page_poison;
	/* Every request unmovable, every pageblock one kind (page_grouping=off,
	 * for experiments; docs/10). */
	bool page_grouping_off;
	/* Link every free block at init, writing into each free 4 MiB block
	 * (free_lists=eager); by default the MAX_ORDER ones wait until a
	 * request needs them, so boot touches no free memory. */
	bool eager_free_lists;
};

enum pgdat_error {
	PGDAT_ERR_BAD_RANGES = -10,  /* unsorted, overlapping or unaligned */
	PGDAT_ERR_NO_METADATA = -11, /* no range large enough for metadata */
	PGDAT_ERR_NO_RAM = -12,
};

/* Builds a node: sections, metadata (carved from the usable ranges and
 * counted), free lists, watermarks. Returns 0 or a negative pgdat_error. */
int pgdat_init(struct pglist_data *pgdat, const struct pgdat_config *cfg);

/* Gives [start, end) (page-aligned, inside cfg->ram) to the allocator. */
long pgdat_release_range(struct pglist_data *pgdat, uint64_t start,
			 uint64_t end);

uint64_t pgdat_alloc_pages(struct pglist_data *pgdat, gfp_t gfp,
			   unsigned int order);
/* Returns 0, or -1 for a bad free (reported; nothing changed). */
int pgdat_free_pages(struct pglist_data *pgdat, uint64_t phys,
		     unsigned int order);
int pgdat_check(struct pglist_data *pgdat);
/* The API above on any node; caller is what reports and page_owner name. */
unsigned long pgdat_alloc_pages_bulk(struct pglist_data *pgdat, gfp_t gfp,
				     unsigned long nr, uint64_t *array,
				     void *caller);
uint64_t pgdat_alloc_pages_exact(struct pglist_data *pgdat, uint64_t size,
				 gfp_t gfp, void *caller);
int pgdat_free_pages_exact(struct pglist_data *pgdat, uint64_t phys,
			   uint64_t size, void *caller);
uint64_t pgdat_nr_free_pages(const struct pglist_data *pgdat);
void pgdat_si_meminfo(const struct pglist_data *pgdat, struct sysinfo *info);
void pgdat_set_page_poison(struct pglist_data *pgdat, bool on);

/* Watermarks, Linux's formulas (see mm_init.c); recomputed on every call,
 * and the zones' protection with them (setup_per_zone_lowmem_reserve). */
void setup_per_zone_wmarks(struct pglist_data *pgdat);
void setup_per_zone_lowmem_reserve(struct pglist_data *pgdat);
/* lowmem_reserve_ratio for DMA, DMA32 and Normal (Linux: 256 256 32); 0
 * turns a zone's protection off. The kernel's node takes the cmdline's
 * lowmem_reserve_ratio=A,B,C (mm_set_lowmem_reserve_ratio, -1: bad list,
 * reported). */
#define LOWMEM_RESERVE_RATIO_DEFAULT \
	{                            \
		256, 256, 32         \
	}
void pgdat_set_lowmem_reserve_ratio(struct pglist_data *pgdat,
				    const unsigned int ratio[MAX_NR_ZONES]);
int mm_set_lowmem_reserve_ratio(const char *list);
uint64_t int_sqrt64(uint64_t x);

/* Linux's __zone_watermark_ok: may `order` be taken from a zone holding
 * free_pages, against `mark` with these ALLOC_ flags, for a request whose
 * highest usable zone is `highest` (whose protection, z->lowmem_reserve,
 * must stay too)? */
#define ALLOC_WMARK_MIN 0x00
#define ALLOC_WMARK_LOW 0x01
#define ALLOC_WMARK_HIGH 0x02
#define ALLOC_WMARK_MASK 0x03
#define ALLOC_NO_WATERMARKS 0x04 /* PF_MEMALLOC, __GFP_MEMALLOC: no check */
#define ALLOC_MIN_RESERVE 0x10	 /* __GFP_HIGH: min/2 */
#define ALLOC_NON_BLOCK 0x20	 /* cannot sleep: another quarter off */
bool zone_watermark_ok(const struct zone *z, unsigned int order, uint64_t mark,
		       int highest, unsigned int alloc_flags,
		       uint64_t free_pages);
/* The lowest free count a request with alloc_flags may leave behind. */
uint64_t zone_reserve_floor(uint64_t min, unsigned int alloc_flags);

/* Dumps in Linux's /proc formats, through printk at KERN_INFO. */
void buddyinfo_show(struct pglist_data *pgdat);
/* Free blocks per order and migrate type, pageblocks per type and the
 * mixed ones (Linux's /proc/pagetypeinfo; mm/migratetype.c). */
void pagetypeinfo_show(struct pglist_data *pgdat);
void zoneinfo_show(struct pglist_data *pgdat);
/* The pageblock map (mm/migratetype.c; tools/plots/pageblocks.sh draws
 * it): row `row` of zone z, PAGEBLOCK_MAP_ROW pageblocks from the zone's
 * first, one character each in types[] (the migrate type's letter U M R
 * H I, lowercase when part of the pageblock is not the zone's RAM, '.'
 * when none is) and in fills[] (used frames in eighths of those that are:
 * '0' all free, '8' none free, '1'..'7' between; frames on per-CPU lists
 * count as free). Returns the pageblocks in the row, 0 past the last. The
 * zone lock is held (irqsave) for the row. */
#define PAGEBLOCK_MAP_ROW 64
unsigned int zone_pageblock_map_row(struct pglist_data *pgdat, struct zone *z,
				    unsigned int row,
				    char types[PAGEBLOCK_MAP_ROW + 1],
				    char fills[PAGEBLOCK_MAP_ROW + 1]);
/* Prints every populated zone's map, a header line and then a line per
 * row: "pageblocks: LABEL ZONE 0xPFN TYPES FILLS" (label: one word). */
void pageblock_map_show(struct pglist_data *pgdat, const char *label);
void meminfo_show(struct pglist_data *pgdat);

/* Writes "GFP_ATOMIC|__GFP_ZERO"-style names of gfp into buf. */
void gfp_flags_name(gfp_t gfp, char *buf, unsigned long size);
/* The reverse for one name of len characters ("GFP_KERNEL", "__GFP_ZERO"):
 * 0 and its bits in *out, or -1 if no flag has that name. */
int gfp_flag_from_name(const char *name, unsigned long len, gfp_t *out);

#endif
