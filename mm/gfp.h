/*
 * GFP ("get free pages") flags: how a caller asks for memory. The names and
 * meanings are Linux's (include/linux/gfp_types.h); the bit values are ours.
 * A request says which zones it can use, whether it may sleep, whether it
 * may dip into the reserve kept for atomic callers, and what to do on
 * failure. docs/03-buddy-and-gfp.md ("GFP flags") explains each.
 */
#ifndef LABYRINTH_MM_GFP_H
#define LABYRINTH_MM_GFP_H

typedef unsigned int gfp_t;

/* Zone modifiers: without one, any zone will do (Normal first). */
#define __GFP_DMA 0x01u	  /* only ZONE_DMA (< 16 MiB, ISA DMA) */
#define __GFP_DMA32 0x04u /* only ZONE_DMA32 or below (< 4 GiB devices) */

/* Watermark and reserve modifiers. */
#define __GFP_HIGH 0x20u /* important: may use half of the min reserve */

/* I/O and filesystem may be entered while reclaiming (no meaning yet:
 * Labyrinth has no block layer; kept so GFP_KERNEL means what it says). */
#define __GFP_IO 0x40u
#define __GFP_FS 0x80u

/* Action modifiers. */
#define __GFP_ZERO 0x100u	    /* the returned block is zero-filled */
#define __GFP_DIRECT_RECLAIM 0x400u /* caller may sleep to reclaim */
#define __GFP_KSWAPD_RECLAIM 0x800u /* may wake the background reclaimer */
#define __GFP_NORETRY 0x1000u	    /* one round of reclaim, then fail */
#define __GFP_NOWARN 0x2000u	    /* failure is expected: do not report */
#define __GFP_NOFAIL 0x8000u	    /* never fails: waits as long as it takes */
/* Try hard (reclaim and retry, costly orders too) but fail rather than
 * wait forever; __GFP_NORETRY and __GFP_NOFAIL override it. */
#define __GFP_RETRY_MAYFAIL 0x4000u

/* Emergency reserves (docs/09-emergency-memory.md). __GFP_MEMALLOC: this
 * request frees memory, let it ignore every watermark (Linux's
 * ALLOC_NO_WATERMARKS); never granted in interrupt context. __GFP_NOMEMALLOC:
 * never, even inside a PF_MEMALLOC scope (mempools use it: they have their
 * own reserve). NOMEMALLOC wins when both are given. */
#define __GFP_MEMALLOC 0x200u
#define __GFP_NOMEMALLOC 0x02u
/* Mobility (docs/10-fragmentation-and-compaction.md): what the caller will
 * let the kernel do with the page later. __GFP_MOVABLE: its owner can move
 * it to another frame (the page cache's pages); __GFP_RECLAIMABLE: it can
 * be freed on demand through a shrinker (a cache's own metadata). Neither:
 * unmovable (page tables, stacks, the kernel's tables). The allocator
 * groups each kind in pageblocks of its own. Giving both is a bad request.
 * All flags fit 16 bits (page_owner records them in a uint16_t). */
#define __GFP_MOVABLE 0x08u
#define __GFP_RECLAIMABLE 0x10u

/* Only the node asked for (alloc_pages_node, mm/node.h): fail rather
 * than fall back to another node. */
#define __GFP_THISNODE 0x10000u

#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_BITS_MASK                                               \
	(__GFP_DMA | __GFP_DMA32 | __GFP_HIGH | __GFP_IO | __GFP_FS | \
	 __GFP_ZERO | __GFP_RECLAIM | __GFP_NORETRY | __GFP_NOWARN |  \
	 __GFP_NOFAIL | __GFP_RETRY_MAYFAIL | __GFP_MEMALLOC |        \
	 __GFP_NOMEMALLOC | __GFP_MOVABLE | __GFP_RECLAIMABLE |       \
	 __GFP_THISNODE)

/*
 * The combinations callers actually use.
 * GFP_KERNEL: process context; may sleep and reclaim; no access to reserves.
 * GFP_ATOMIC: cannot sleep (interrupt handlers, spinlocks held) and is
 *             important: may go below min, down to 3/8 of it.
 * GFP_NOWAIT: cannot sleep, but not important: no reserve, fails early.
 */
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
/* GFP_MOVABLE: a GFP_KERNEL page whose owner can move it (Linux's
 * GFP_HIGHUSER_MOVABLE without highmem, which x86-64 does not have). */
#define GFP_MOVABLE (GFP_KERNEL | __GFP_MOVABLE)
#define GFP_DMA __GFP_DMA
#define GFP_DMA32 __GFP_DMA32

static inline int gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

#endif
