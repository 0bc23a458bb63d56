/*
 * Squeezing the kernel's node, for the boot demonstrations (kernel/demo/)
 * and the target suites that need memory short:
 * mm_hoard() takes every block `gfp` will give, largest orders first,
 * chained through their own first words (no memory spent on bookkeeping);
 * *pages (if not NULL) gets their total. It returns the chain's first
 * block, 0 if none. A gfp that may sleep gets __GFP_NORETRY: one round of
 * reclaim per failure, no waiting. mm_hoard_release() frees such a chain
 * and returns the pages it gave back. mm_hoard_max() stops at max_pages
 * (the allocator shell's `hoard N`, kernel/shell/).
 * docs/04b-interrupts-and-the-atomic-reserve.md.
 */
#ifndef LABYRINTH_KERNEL_DEMO_HOARD_H
#define LABYRINTH_KERNEL_DEMO_HOARD_H

#include <stdint.h>

#include "mm/gfp.h"

uint64_t mm_hoard(gfp_t gfp, uint64_t *pages);
uint64_t mm_hoard_max(gfp_t gfp, uint64_t max_pages, uint64_t *pages);
uint64_t mm_hoard_release(uint64_t head);

#endif
