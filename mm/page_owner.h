/*
 * page_owner: who allocated each block that is still allocated, in the
 * spirit of Linux's mm/page_owner.c. When it is on for a node, every
 * allocation records its caller (a return address), order, GFP flags, time
 * (mm_now_ms) and a sequence number in a table beside the node, never in
 * the per-frame state byte; every free clears the record. From that: a dump
 * of the top allocation sites, and leak reports ("what is still allocated
 * that was allocated after this point?"). docs/07-debugging-the-allocator.md.
 */
#ifndef LABYRINTH_MM_PAGE_OWNER_H
#define LABYRINTH_MM_PAGE_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"

/* One record per frame; only a block's first frame's record is used. */
struct page_owner {
	uint64_t caller; /* return address of the allocation call */
	uint64_t seq;	 /* allocation number, 1, 2, ... (all nodes) */
	uint32_t ts_ms;	 /* mm_now_ms() when allocated */
	uint16_t gfp;
	uint8_t order;
	uint8_t flags; /* PAGE_OWNER_ALLOCATED while the block is out */
};
#define PAGE_OWNER_ALLOCATED 0x01
#define PAGE_OWNER_FREED 0x02 /* was allocated, has been freed */

/* At most this many nodes at once (the kernel's and a test's). */
#define PAGE_OWNER_MAX_NODES 4

/*
 * Turns page_owner on for a node: its table (one record per frame of every
 * section, 24 bytes per 4 KiB frame) is allocated from the node itself,
 * before recording starts, and counted by page_owner_table_pages(). Blocks
 * allocated before are not known. Returns 0, or -1 (no memory, too many
 * nodes; reported). page_owner_exit() frees the table (tests).
 */
int page_owner_init(struct pglist_data *p);
void page_owner_exit(struct pglist_data *p);
uint64_t page_owner_table_pages(const struct pglist_data *p);

/* page_owner=on for the kernel's node: call before mm_init(). */
void mm_set_page_owner(bool on);

/* Nodes with page_owner on; the allocator's hooks test it first. */
extern int page_owner_nodes;

void __set_page_owner(struct pglist_data *p, uint64_t pfn, unsigned int order,
		      gfp_t gfp, void *caller);
void __reset_page_owner(struct pglist_data *p, uint64_t pfn,
			unsigned int order);

/* page_alloc.c: after a block is handed out, and before it goes back. */
static inline void set_page_owner(struct pglist_data *p, uint64_t pfn,
				  unsigned int order, gfp_t gfp, void *caller)
{
	if (__atomic_load_n(&page_owner_nodes, __ATOMIC_RELAXED))
		__set_page_owner(p, pfn, order, gfp, caller);
}
static inline void reset_page_owner(struct pglist_data *p, uint64_t pfn,
				    unsigned int order)
{
	if (__atomic_load_n(&page_owner_nodes, __ATOMIC_RELAXED))
		__reset_page_owner(p, pfn, order);
}

/* What is known about the allocated block holding pfn: true and *out
 * filled in, or false (free, reserved, allocated before page_owner was on,
 * or page_owner off). */
bool page_owner_lookup(struct pglist_data *p, uint64_t pfn,
		       struct page_owner *out, uint64_t *head_pfn);

/* The last block allocated over pfn, freed or not (for use-after-free
 * reports): true with its record and first frame, or false. */
bool page_owner_last_owner(struct pglist_data *p, uint64_t pfn,
			   struct page_owner *out, uint64_t *head_pfn);

/* Allocation sites, by caller, of the blocks allocated now. */
struct page_owner_site {
	uint64_t caller;
	uint64_t blocks, pages;
};
/* Fills out[0..max) with the sites holding most pages, most first; returns
 * how many. Blocks of sites beyond the table's capacity are not counted. */
unsigned int page_owner_top_sites(struct pglist_data *p,
				  struct page_owner_site *out,
				  unsigned int max);
/* Prints the top `max` sites (names in the kernel, addresses on the host). */
void page_owner_dump_top(struct pglist_data *p, unsigned int max);

/* A point in time for leak reports: allocations after it have seq > token. */
uint64_t page_owner_token(void);
/*
 * Blocks still allocated on p that were allocated after token: prints the
 * first max_print (caller, order, flags, age) and returns how many there
 * are; *pages (if not NULL) gets their size in pages.
 */
unsigned long pgdat_page_owner_leaks(struct pglist_data *p, uint64_t token,
				     unsigned int max_print, uint64_t *pages);
/* The same for the kernel's node, printing up to 8. */
unsigned long page_owner_leaks_since(uint64_t token);
/* Is page_owner on for the kernel's node? */
bool page_owner_enabled(void);

/* Formats a caller: "name+0xoff" in the kernel, the address on the host. */
void page_owner_format_caller(uint64_t caller, char *buf, unsigned long size);

#endif
