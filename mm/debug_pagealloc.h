/*
 * debug_pagealloc: free frames are unmapped from the direct map, so that a
 * use after free faults at the faulting instruction instead of corrupting
 * whoever gets the frame next (Linux's debug_pagealloc=on). A free block's
 * first frame stays mapped: its list links live there. The platform does
 * the mapping (the kernel: kernel/arch/x86/direct_map.c, 4 KiB direct-map pages);
 * mm/ only says which frames. docs/07-debugging-the-allocator.md.
 */
#ifndef LABYRINTH_MM_DEBUG_PAGEALLOC_H
#define LABYRINTH_MM_DEBUG_PAGEALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mmzone.h"

/* The node whose free frames are unmapped (one at a time), and how. */
extern struct pglist_data *debug_pagealloc_node;
extern set_direct_map_fn debug_pagealloc_set;

/*
 * Unmaps every free frame of p but the first of each free block, then
 * keeps it so (page_alloc.c's hooks below). Turn page poisoning on before,
 * not after. Returns 0, or -1 if another node has it.
 */
int debug_pagealloc_enable(struct pglist_data *p, set_direct_map_fn set);
/* Maps everything again and stops (tests). */
void debug_pagealloc_disable(struct pglist_data *p);

static inline bool debug_pagealloc_on(const struct pglist_data *p)
{
	return __atomic_load_n(&debug_pagealloc_node, __ATOMIC_ACQUIRE) == p;
}

/* page_alloc.c: frames about to be used (handed out, or a new free head
 * whose links are written) and frames that just became free tails. */
static inline void debug_pagealloc_map_pages(const struct pglist_data *p,
					     uint64_t pfn, uint64_t nr)
{
	if (nr && debug_pagealloc_on(p))
		debug_pagealloc_set(pfn, nr, true);
}
static inline void debug_pagealloc_unmap_pages(const struct pglist_data *p,
					       uint64_t pfn, uint64_t nr)
{
	if (nr && debug_pagealloc_on(p))
		debug_pagealloc_set(pfn, nr, false);
}

/*
 * For the page fault handler: if virt is a direct-map address of a free
 * frame of the debug node, prints the use-after-free report (the frame,
 * its free block, the block's last owner from page_owner) and returns
 * true. Returns false, printing nothing, otherwise.
 */
bool debug_pagealloc_report_fault(uint64_t virt);

#endif
