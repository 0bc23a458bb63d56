/*
 * The kernel's first address space, built by the loader while boot services
 * still run (docs/01-boot.md, "Page tables"):
 *   - the direct map (HHDM): all RAM at HHDM_OFFSET + phys, read/write, NX,
 *     2 MiB pages wherever both sides are aligned;
 *   - the kernel at -2 GiB, each segment with its ELF permissions (W^X);
 *   - the boot stack below BOOT_STACK_TOP with an unmapped guard page;
 *   - an identity map of the loader itself, only so that the instruction
 *     after the CR3 switch can be fetched. The kernel removes it.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/loader.h"
#include "boot/paging.h"

struct phys_range {
	uint64_t start, end;
};

/* Memory that holds RAM (as opposed to MMIO or holes) and so belongs in the
 * direct map. Unaccepted memory (15) must not be touched before it is
 * accepted, so it stays out. */
static bool is_ram(UINT32 type)
{
	switch (type) {
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:
	case EfiConventionalMemory:
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS:
	case 14: /* EfiPersistentMemory */
		return true;
	default:
		return type >= 0x80000000u; /* our own OS-defined types */
	}
}

/* Collects the RAM ranges of the map, sorted and merged, so that 2 MiB pages
 * can span descriptor boundaries. Returns the number of ranges. */
static UINTN collect_ram(const UINT8 *map, UINTN map_size, UINTN desc_size,
			 struct phys_range *out)
{
	UINTN n = 0;
	for (UINTN off = 0; off + desc_size <= map_size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		if (!is_ram(d->Type) || d->NumberOfPages == 0)
			continue;
		struct phys_range r = { d->PhysicalStart & ~0xfffULL,
					d->PhysicalStart +
					    d->NumberOfPages * EFI_PAGE_SIZE };
		UINTN i = n++;
		while (i > 0 &&
		       out[i - 1].start > r.start) { /* insertion sort */
			out[i] = out[i - 1];
			i--;
		}
		out[i] = r;
	}
	UINTN merged = 0;
	for (UINTN i = 0; i < n; i++) {
		if (merged && out[i].start <= out[merged - 1].end) {
			if (out[i].end > out[merged - 1].end)
				out[merged - 1].end = out[i].end;
		} else {
			out[merged++] = out[i];
		}
	}
	return merged;
}

/* Upper bounds on the table pages a mapping of `len` bytes may need: with
 * 2 MiB pages only the unaligned ends need page tables; with 4 KiB pages
 * every 2 MiB does. */
static UINT64 tables_for_large(UINT64 len)
{
	return (len >> 39) + 2 /* PDPTs */ + (len >> 30) + 2 /* PDs */ +
	       2 /* PTs at unaligned ends */;
}

static UINT64 tables_for_small(UINT64 len)
{
	return tables_for_large(len) + (len >> 21) + 1;
}

EFI_STATUS build_page_tables(struct boot_info *bi, const struct elf_image *img,
			     UINT64 *map_buf, UINTN *map_cap)
{
	UINTN ndesc, key, desc_size;
	UINT32 desc_version;
	EFI_MEMORY_DESCRIPTOR *snapshot =
	    LibMemoryMap(&ndesc, &key, &desc_size, &desc_version);
	if (!snapshot)
		return loader_error(EFI_OUT_OF_RESOURCES,
				    "cannot read the memory map");

	struct phys_range *ram;
	EFI_STATUS st =
	    BS->AllocatePool(EfiLoaderData, (ndesc + 1) * sizeof(*ram),
			     (void **)&ram);
	if (EFI_ERROR(st))
		return loader_error(st, "out of memory for the RAM range list");
	UINTN nram = collect_ram((const UINT8 *)snapshot, ndesc * desc_size,
				 desc_size, ram);

	UINT64 kernel_len = img->vaddr_end - img->vaddr_start;
	UINT64 pages = 1 + tables_for_small(kernel_len) + img->nsegments * 2 +
		       tables_for_small(bi->boot_stack_size) +
		       tables_for_small(bi->loader_image_size);
	for (UINTN i = 0; i < nram; i++)
		pages += tables_for_large(ram[i].end - ram[i].start);

	struct pt_pool pool = { 0, pages, 0 };
	st = alloc_pages(LABYRINTH_MEM_PAGE_TABLES, pages, &pool.base);
	if (EFI_ERROR(st))
		return st;
	uint64_t *pml4 = pt_alloc(&pool);
	bool ok = true;

	for (UINTN i = 0; ok && i < nram; i++)
		ok = map_range(&pool, pml4, HHDM_OFFSET + ram[i].start,
			       ram[i].start, ram[i].end - ram[i].start,
			       PTE_WRITE | PTE_NX, true);

	for (unsigned i = 0; ok && i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];
		uint64_t flags = (s->flags & PF_W ? PTE_WRITE : 0) |
				 (s->flags & PF_X ? 0 : PTE_NX);
		uint64_t len = (s->memsz + SIZE_4K - 1) & ~(SIZE_4K - 1);
		ok = map_range(&pool, pml4, s->vaddr,
			       bi->kernel_phys_base + s->vaddr -
				   img->vaddr_start,
			       len, flags, false);
	}

	if (ok)
		ok =
		    map_range(&pool, pml4, BOOT_STACK_TOP - bi->boot_stack_size,
			      bi->boot_stack_phys, bi->boot_stack_size,
			      PTE_WRITE | PTE_NX, false);

	uint64_t id_start = bi->loader_image_base & ~(SIZE_4K - 1);
	uint64_t id_end =
	    (bi->loader_image_base + bi->loader_image_size + SIZE_4K - 1) &
	    ~(SIZE_4K - 1);
	if (ok)
		ok = map_range(&pool, pml4, id_start, id_start,
			       id_end - id_start, 0, false);
	if (!ok)
		return loader_error(
		    EFI_OUT_OF_RESOURCES,
		    "page tables: pool of %lu pages exhausted or mapping clash",
		    pool.pages);
	bi->page_table_root = (uint64_t)(uintptr_t)pml4;

	/* The final map gets written into this buffer. Allocating it (and the
	 * frees below) adds descriptors, so leave generous slack. */
	*map_cap = (ndesc + 64) * desc_size;
	st = alloc_pages(LABYRINTH_MEM_BOOT_INFO,
			 (*map_cap + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE,
			 map_buf);
	if (EFI_ERROR(st))
		return st;
	FreePool(ram);
	FreePool(snapshot);
	return EFI_SUCCESS;
}
