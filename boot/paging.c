/*
 * map_range: the page-table walker the loader uses to build the direct map,
 * the kernel's W^X mappings, the boot stack and the temporary identity map.
 */
#include "boot/paging.h"

uint64_t *pt_alloc(struct pt_pool *pool)
{
	if (pool->used == pool->pages)
		return 0;
	uint64_t *table =
	    (uint64_t *)(uintptr_t)(pool->base + pool->used * SIZE_4K);
	pool->used++;
	for (int i = 0; i < 512; i++)
		table[i] = 0;
	return table;
}

/* The table that entry `e` points to, creating it if absent. Intermediate
 * entries are always writable and executable: the leaf decides. */
static uint64_t *next_level(struct pt_pool *pool, uint64_t *entry)
{
	if (*entry & PTE_PRESENT) {
		if (*entry & PTE_LARGE)
			return 0; /* already a large page: refuse to split */
		return (uint64_t *)(uintptr_t)(*entry & PTE_ADDR_MASK);
	}
	uint64_t *table = pt_alloc(pool);
	if (!table)
		return 0;
	*entry = (uint64_t)(uintptr_t)table | PTE_PRESENT | PTE_WRITE;
	return table;
}

static unsigned index_at(uint64_t virt, int level)
{
	return (virt >> (12 + 9 * level)) & 511;
}

bool map_range(struct pt_pool *pool, uint64_t *pml4, uint64_t virt,
	       uint64_t phys, uint64_t size, uint64_t flags, bool allow_large)
{
	uint64_t end = virt + size;
	while (virt < end) {
		uint64_t *pdpt = next_level(pool, &pml4[index_at(virt, 3)]);
		uint64_t *pd =
		    pdpt ? next_level(pool, &pdpt[index_at(virt, 2)]) : 0;
		if (!pd)
			return false;
		uint64_t *pde = &pd[index_at(virt, 1)];
		if (allow_large && virt % SIZE_2M == 0 && phys % SIZE_2M == 0 &&
		    end - virt >= SIZE_2M && !(*pde & PTE_PRESENT)) {
			*pde = phys | flags | PTE_PRESENT | PTE_LARGE;
			virt += SIZE_2M;
			phys += SIZE_2M;
			continue;
		}
		uint64_t *pt = next_level(pool, pde);
		if (!pt)
			return false;
		uint64_t *pte = &pt[index_at(virt, 0)];
		if (*pte & PTE_PRESENT)
			return false;
		*pte = phys | flags | PTE_PRESENT;
		virt += SIZE_4K;
		phys += SIZE_4K;
	}
	return true;
}
