/*
 * Memory map sanitising: turns the raw UEFI memory map (whatever order,
 * overlap and alignment the firmware chose) into sorted, non-overlapping,
 * page-aligned ranges of RAM the allocator may use, split per zone.
 * Freestanding: no malloc, everything lives in a caller-provided struct.
 * docs/02-memory-map.md explains the policy and why.
 */
#ifndef LABYRINTH_MM_MEMMAP_H
#define LABYRINTH_MM_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* UEFI memory types (UEFI spec, EFI_MEMORY_TYPE). */
enum efi_memory_type {
	EFI_RESERVED_MEMORY_TYPE = 0,
	EFI_LOADER_CODE = 1,
	EFI_LOADER_DATA = 2,
	EFI_BOOT_SERVICES_CODE = 3,
	EFI_BOOT_SERVICES_DATA = 4,
	EFI_RUNTIME_SERVICES_CODE = 5,
	EFI_RUNTIME_SERVICES_DATA = 6,
	EFI_CONVENTIONAL_MEMORY = 7,
	EFI_UNUSABLE_MEMORY = 8,
	EFI_ACPI_RECLAIM_MEMORY = 9,
	EFI_ACPI_MEMORY_NVS = 10,
	EFI_MEMORY_MAPPED_IO = 11,
	EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
	EFI_PAL_CODE = 13,
	EFI_PERSISTENT_MEMORY = 14,
	EFI_UNACCEPTED_MEMORY = 15,
};
/* Types from here up belong to the OS loader (ours marks what it hands over). */
#define EFI_OS_DEFINED_FIRST 0x80000000u

#define EFI_MEMORY_WB (1ULL << 3)
#define EFI_MEMORY_SP (1ULL << 18)
#define EFI_MEMORY_RUNTIME (1ULL << 63)

/* The fields of EFI_MEMORY_DESCRIPTOR, at the offsets the spec gives. The
 * firmware's descriptor may be larger (desc_size); never step by sizeof. */
#define EFI_DESC_OFF_TYPE 0
#define EFI_DESC_OFF_PHYS_START 8
#define EFI_DESC_OFF_VIRT_START 16
#define EFI_DESC_OFF_NUM_PAGES 24
#define EFI_DESC_OFF_ATTRIBUTE 32
#define EFI_DESC_MIN_SIZE 40

#define MEMMAP_PAGE_SIZE 4096ULL
#define MEMMAP_LOW_LIMIT 0x100000ULL	  /* first 1 MiB: held back */
#define MEMMAP_DMA_LIMIT 0x1000000ULL	  /* zone DMA ends at 16 MiB */
#define MEMMAP_DMA32_LIMIT 0x100000000ULL /* zone DMA32 ends at 4 GiB */

/* Bounds of the storage in struct memmap. OVMF writes about 120 entries;
 * big servers a few hundred. More is reported as MEMMAP_ERR_TOO_MANY. */
#define MEMMAP_MAX_ENTRIES 512
/* Subtracting reserved from usable yields at most one range per entry,
 * plus the splits at 1 MiB, 16 MiB and 4 GiB. */
#define MEMMAP_MAX_RANGES (MEMMAP_MAX_ENTRIES + 8)
#define MEMMAP_MAX_RELEASED 16

enum memmap_zone {
	MEMMAP_ZONE_DMA,
	MEMMAP_ZONE_DMA32,
	MEMMAP_ZONE_NORMAL,
	MEMMAP_NR_ZONES
};

/* A half-open physical range [start, end). */
struct memmap_range {
	uint64_t start, end;
	uint32_t type; /* UEFI type of the entry it came from (entries) */
	uint32_t zone; /* enum memmap_zone (usable ranges) */
};

/* One descriptor, copied out of loader memory and checked. */
struct memmap_entry {
	uint64_t start, end; /* exact bytes, end exclusive, end > start */
	uint64_t attribute;
	uint32_t type;
	uint32_t index; /* position in the firmware's map, for messages */
};

enum memmap_error {
	MEMMAP_OK = 0,
	MEMMAP_ERR_BAD_DESC_SIZE = -1, /* descriptor smaller than the spec's */
	MEMMAP_ERR_TOO_MANY = -2,      /* more entries/ranges than storage */
	MEMMAP_ERR_EMPTY = -3,	       /* no descriptors at all */
	MEMMAP_ERR_NO_USABLE = -4,     /* no usable RAM above 1 MiB */
	MEMMAP_ERR_BAD_ARGS = -5,      /* NULL map, MAXPHYADDR out of 32..64 */
};

struct memmap {
	unsigned int maxphyaddr;
	unsigned int nr_entries; /* kept (non-empty, sane) descriptors */
	unsigned int nr_seen;	 /* every descriptor added, for numbering */
	struct memmap_entry entries[MEMMAP_MAX_ENTRIES];
	unsigned int nr_dropped;  /* overflowing or past MAXPHYADDR */
	unsigned int nr_released; /* OS-defined types given back */
	uint32_t released[MEMMAP_MAX_RELEASED];

	/* Results of memmap_build(): sorted, disjoint, page-aligned. */
	unsigned int nr_usable;
	struct memmap_range usable[MEMMAP_MAX_RANGES]; /* >= 1 MiB, per zone */
	unsigned int nr_low;
	struct memmap_range
	    low[MEMMAP_MAX_RANGES]; /* usable < 1 MiB, held back */
	uint64_t zone_pages[MEMMAP_NR_ZONES];
	uint64_t usable_pages;

	/* Scratch for building; part of the struct so nothing is allocated. */
	struct memmap_range scratch_a[MEMMAP_MAX_RANGES];
	struct memmap_range scratch_b[MEMMAP_MAX_RANGES];
	struct memmap_range merged[MEMMAP_MAX_RANGES];	 /* before splitting */
	struct memmap_range previous[MEMMAP_MAX_RANGES]; /* for release diffs */
};

/*
 * Copies and checks the raw UEFI map (map_size bytes of desc_size-byte
 * descriptors) into *mm, then builds the usable ranges. Warnings name each
 * dropped entry. Returns MEMMAP_OK or a negative enum memmap_error (also
 * printed). *mm may be large (about 90 KiB): give it static storage.
 */
int memmap_from_efi(struct memmap *mm, const void *map, uint64_t map_size,
		    uint64_t desc_size, uint32_t desc_version,
		    unsigned int maxphyaddr);

/* Adds one descriptor by value (used by memmap_from_efi and by host tools
 * reading the text format). memmap_build() must be called afterwards. */
int memmap_add(struct memmap *mm, uint32_t type, uint64_t phys_start,
	       uint64_t num_pages, uint64_t attribute);
void memmap_reset(struct memmap *mm, unsigned int maxphyaddr);

/* Recomputes usable/low/zone_pages from the entries and released types. */
int memmap_build(struct memmap *mm);

/*
 * The OS-defined type `type` (>= 0x80000000) is no longer needed: from now on
 * its entries count as usable (still subject to the attribute rule, to
 * overlapping firmware reservations and to the 1 MiB hold-back). Rebuilds the
 * ranges and writes the ranges that became usable to out[0..*nr_out).
 * Returns MEMMAP_OK or a negative error.
 */
int memmap_release_type(struct memmap *mm, uint32_t type,
			struct memmap_range *out, unsigned int max_out,
			unsigned int *nr_out);

/*
 * The ranges that would be usable if every OS-defined type were released:
 * the allocator creates its metadata for these at boot, so releasing later
 * needs no allocation. Writes up to max_out ranges; returns how many, or a
 * negative error.
 */
int memmap_potential_ranges(struct memmap *mm, struct memmap_range *out,
			    unsigned int max_out);

/* True if type/attribute would be usable RAM under the policy. */
bool memmap_type_is_usable(uint32_t type, uint64_t attribute);

const char *memmap_zone_name(unsigned int zone);
const char *memmap_error_name(int err);

/* Prints the usable ranges per zone and the totals (the boot log). */
void memmap_print(const struct memmap *mm);

#endif
