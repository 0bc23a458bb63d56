/*
 * Building the kernel's first page tables inside the loader: 4-level x86-64
 * tables, filled from a pool of pages the loader allocated up front (so no
 * firmware call is needed while building). See docs/01-boot.md ("Page tables").
 */
#ifndef LABYRINTH_BOOT_PAGING_H
#define LABYRINTH_BOOT_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define PTE_PRESENT (1ULL << 0)
#define PTE_WRITE (1ULL << 1)
#define PTE_LARGE (1ULL << 7) /* in a PD entry: a 2 MiB page */
#define PTE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

#define SIZE_4K 0x1000ULL
#define SIZE_2M 0x200000ULL

struct pt_pool {
	uint64_t base;	/* physical (= loader-virtual) address of the pool */
	uint64_t pages; /* pages in the pool */
	uint64_t used;	/* pages handed out so far */
};

/* Maps [virt, virt+size) to [phys, phys+size) with leaf flags `flags`
 * (PTE_WRITE, PTE_NX). Uses 2 MiB pages where both sides are aligned and
 * allow_large is set. Returns false if the pool ran out or a mapping would
 * overwrite an existing one (a loader bug; never expected). */
bool map_range(struct pt_pool *pool, uint64_t *pml4, uint64_t virt,
	       uint64_t phys, uint64_t size, uint64_t flags, bool allow_large);

uint64_t *pt_alloc(struct pt_pool *pool);

#endif
