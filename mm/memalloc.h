/*
 * Task flags that change how the allocator treats the running task, and
 * their scoped API (Linux's include/linux/sched/mm.h):
 *
 * PF_MEMALLOC: the task is freeing memory (kswapd, direct reclaim while it
 *   runs). Its allocations ignore every watermark (ALLOC_NO_WATERMARKS),
 *   because a reclaimer that cannot get the one page it needs to free a
 *   hundred makes things worse, not better; and it never enters direct
 *   reclaim itself (no recursion). Never honoured in interrupt context: the
 *   flags there belong to the interrupted task, not to the handler.
 * PF_MEMALLOC_NOIO / PF_MEMALLOC_NOFS: inside the scope, every request
 *   loses __GFP_IO (and __GFP_FS) as current_gfp_context() says, so code
 *   deep down cannot recurse into I/O or a filesystem that holds a lock.
 *
 * Scopes nest: *_save returns the flag's old state, *_restore puts it back.
 * docs/09-emergency-memory.md ("PF_MEMALLOC") walks through them.
 */
#ifndef LABYRINTH_MM_MEMALLOC_H
#define LABYRINTH_MM_MEMALLOC_H

#include "mm/gfp.h"
#include "mm/platform.h"

/* Linux's values. */
#define PF_MEMALLOC 0x00000800u
#define PF_KSWAPD 0x00020000u
#define PF_MEMALLOC_NOFS 0x00040000u
#define PF_MEMALLOC_NOIO 0x00080000u

static inline unsigned int memalloc_flags_save(unsigned int flags)
{
	unsigned int *word = mm_current_flags();
	unsigned int old = *word & flags;
	*word |= flags;
	return old;
}

static inline void memalloc_flags_restore(unsigned int flags, unsigned int old)
{
	unsigned int *word = mm_current_flags();
	*word = (*word & ~flags) | old;
}

/* Allocations in the scope may use every free page (and the scope's
 * owner must be freeing memory). */
static inline unsigned int memalloc_noreclaim_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC);
}
static inline void memalloc_noreclaim_restore(unsigned int old)
{
	memalloc_flags_restore(PF_MEMALLOC, old);
}

static inline unsigned int memalloc_noio_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC_NOIO);
}
static inline void memalloc_noio_restore(unsigned int old)
{
	memalloc_flags_restore(PF_MEMALLOC_NOIO, old);
}

static inline unsigned int memalloc_nofs_save(void)
{
	return memalloc_flags_save(PF_MEMALLOC_NOFS);
}
static inline void memalloc_nofs_restore(unsigned int old)
{
	memalloc_flags_restore(PF_MEMALLOC_NOFS, old);
}

/* gfp narrowed by the scopes the running task is in. */
static inline gfp_t current_gfp_context(gfp_t gfp)
{
	unsigned int flags = *mm_current_flags();
	if (flags & PF_MEMALLOC_NOIO)
		gfp &= ~(__GFP_IO | __GFP_FS);
	else if (flags & PF_MEMALLOC_NOFS)
		gfp &= ~__GFP_FS;
	return gfp;
}

/* Is the running task (not an interrupt handler) in a PF_MEMALLOC scope? */
static inline bool current_is_memalloc(void)
{
	return !in_interrupt() && (*mm_current_flags() & PF_MEMALLOC);
}

#endif
