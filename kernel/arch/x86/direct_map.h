/*
 * The direct map in 4 KiB pages, for debug_pagealloc=on: the loader maps
 * RAM with 2 MiB pages; to unmap single free frames the kernel splits
 * those covering RAM into page tables taken from the page allocator.
 * docs/07-debugging-the-allocator.md ("debug_pagealloc").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_DIRECT_MAP_H
#define LABYRINTH_KERNEL_ARCH_X86_DIRECT_MAP_H

#include <stdbool.h>
#include <stdint.h>

/* Splits the direct map of the kernel node's RAM into 4 KiB pages and
 * turns debug_pagealloc on for it. Returns 0, or -1 (reported). Call
 * before other CPUs start (no TLB shootdown for the split). */
int debug_pagealloc_boot(void);

/* Sets or clears the present bit of nr frames' direct-map entries. */
void direct_map_set_present(uint64_t pfn, uint64_t nr, bool present);

/* Page tables made by the split. */
extern uint64_t direct_map_split_tables;

#endif
