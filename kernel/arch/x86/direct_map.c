/*
 * Splitting the direct map into 4 KiB pages and switching single frames'
 * entries on and off, for debug_pagealloc (mm/debug_pagealloc.c decides
 * which frames). Page tables are reached through the direct map, like
 * kernel/arch/x86/ioremap.c does. docs/07-debugging-the-allocator.md.
 */
#include "kernel/arch/x86/direct_map.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/printk.h"
#include "mm/debug_pagealloc.h"
#include "mm/node.h"
#include "mm/page_alloc.h"

#define PTE_PRESENT (1ULL << 0)
#define PTE_WRITE (1ULL << 1)
#define PTE_LARGE (1ULL << 7)
#define PTE_PAT_4K (1ULL << 7)
#define PTE_PAT_LARGE (1ULL << 12)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL
#define PDE_LARGE_ADDR_MASK 0x000fffffffe00000ULL
#define SIZE_2M (2ULL << 20)

uint64_t direct_map_split_tables;

static uint64_t *table_of(uint64_t entry)
{
	return phys_to_virt(entry & PTE_ADDR_MASK);
}

/* The page-directory entry for virt, or NULL (not mapped, or 1 GiB). */
static uint64_t *pde_of(uint64_t virt)
{
	uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR_MASK);
	uint64_t e = pml4[(virt >> 39) & 511];
	if (!(e & PTE_PRESENT))
		return NULL;
	e = table_of(e)[(virt >> 30) & 511];
	if (!(e & PTE_PRESENT) || (e & PTE_LARGE))
		return NULL;
	return &table_of(e)[(virt >> 21) & 511];
}

/* Replaces the 2 MiB entry *pde with a table of 512 equal 4 KiB ones. */
static int split_pde(uint64_t *pde)
{
	uint64_t big = *pde;
	uint64_t phys = alloc_page(GFP_KERNEL | __GFP_NOWARN);
	if (!phys)
		return -1;
	uint64_t *pt = phys_to_virt(phys);
	uint64_t flags = (big & 0xfff & ~PTE_LARGE) | (big & PTE_NX) |
			 ((big & PTE_PAT_LARGE) ? PTE_PAT_4K : 0);
	uint64_t base = big & PDE_LARGE_ADDR_MASK;
	for (uint64_t i = 0; i < 512; i++)
		pt[i] = (base + (i << 12)) | flags;
	/* The leaf entries decide; the table entry only lets them. */
	__atomic_store_n(pde, phys | PTE_PRESENT | PTE_WRITE, __ATOMIC_RELEASE);
	direct_map_split_tables++;
	return 0;
}

static int split_ram(struct pglist_data *p)
{
	for (uint64_t i = 0; i < (1ULL << p->hash_bits); i++) {
		const struct mem_section *s = &p->sections[i];
		if (!s->key)
			continue;
		uint64_t start = (s->first_pfn << 12) & ~(SIZE_2M - 1);
		uint64_t end = (s->first_pfn + s->nr_frames) << 12;
		for (uint64_t a = start; a < end; a += SIZE_2M) {
			uint64_t *pde = pde_of(a + p->direct_map_offset);
			if (!pde || !(*pde & PTE_PRESENT)) {
				pr_err("debug_pagealloc: RAM at 0x%llx is not mapped by 2 MiB or 4 KiB pages\n",
				       (unsigned long long)a);
				return -1;
			}
			if ((*pde & PTE_LARGE) && split_pde(pde))
				return -1;
		}
	}
	write_cr3(read_cr3()); /* no global pages in the direct map */
	return 0;
}

void direct_map_set_present(uint64_t pfn, uint64_t nr, bool present)
{
	uint64_t *pt = NULL;
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t virt = ((pfn + i) << 12) + mm_direct_map_offset;
		if (!pt || (virt & (SIZE_2M - 1)) == 0) {
			uint64_t *pde = pde_of(virt);
			pt = pde && (*pde & PTE_PRESENT) && !(*pde & PTE_LARGE)
				 ? table_of(*pde)
				 : NULL;
			if (!pt) {
				/* Not split (not RAM at boot): skip its 2 MiB. */
				uint64_t next = (virt | (SIZE_2M - 1)) + 1;
				i += ((next - virt) >> 12) - 1;
				continue;
			}
		}
		uint64_t *pte = &pt[(virt >> 12) & 511];
		uint64_t e = *pte;
		__atomic_store_n(pte,
				 present ? e | PTE_PRESENT : e & ~PTE_PRESENT,
				 __ATOMIC_RELEASE);
		__asm__ volatile("invlpg (%0)" : : "r"(virt) : "memory");
	}
}

int debug_pagealloc_boot(void)
{
	if (split_ram(&contig_page_data) ||
	    debug_pagealloc_enable(&contig_page_data, direct_map_set_present)) {
		pr_err("debug_pagealloc: cannot turn it on; staying off\n");
		return -1;
	}
	pr_info("debug_pagealloc: on: the direct map of RAM is in 4 KiB pages (%llu page tables, %llu KiB); free frames are unmapped\n",
		(unsigned long long)direct_map_split_tables,
		(unsigned long long)K(direct_map_split_tables));
	/* It watches one node (mm/debug_pagealloc.c): say which. */
	if (mm_numa_on())
		pr_warn("debug_pagealloc: node %d only; the other nodes' free frames stay mapped\n",
			contig_page_data.node_id);
	return 0;
}
