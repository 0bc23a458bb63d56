/*
 * The kernel's demonstration page cache (kernel/mm/page_cache.c): one
 * filecache over the kernel's node, and the thread that grows it into idle
 * memory. See docs/06-sleeping-allocations-and-reclaim.md.
 */
#ifndef LABYRINTH_KERNEL_MM_PAGE_CACHE_H
#define LABYRINTH_KERNEL_MM_PAGE_CACHE_H

#include <stdint.h>

#include "mm/filecache.h"

extern struct filecache page_cache;

/* At boot, after mm_init: the cache (empty) and its shrinker. */
int page_cache_init(void);
/* The "cachegrow" thread: reads pages into the cache while some zone
 * is above its high watermark. Stop joins it. */
void page_cache_start_growing(void);
void page_cache_stop_growing(void);
/* Grows the cache until no zone has room, now; returns pages added. */
uint64_t page_cache_fill_now(void);
/* Drops every cached page. */
void page_cache_drop(void);

#endif
