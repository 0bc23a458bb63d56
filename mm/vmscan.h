/*
 * Reclaim: getting pages back from caches that can give them up (through
 * the shrinkers, mm/shrinker.h), either in the background (kswapd, woken
 * when a zone falls below `low`, working until every zone is above `high`)
 * or directly, by a request that may sleep and found no free page (direct
 * reclaim). The sleeping and waking themselves are the platform's
 * (mm/platform.h: mm_wait_for_free, mm_wakeup_kswapd). Linux's mm/vmscan.c.
 * See docs/06-sleeping-allocations-and-reclaim.md.
 */
#ifndef LABYRINTH_MM_VMSCAN_H
#define LABYRINTH_MM_VMSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"

#define SWAP_CLUSTER_MAX 32UL	   /* pages reclaimed per round (Linux) */
#define MAX_RECLAIM_RETRIES 16	   /* rounds with progress before waiting */
#define PAGE_ALLOC_COSTLY_ORDER 3  /* above it: no waiting, no retries */
#define ALLOC_WAIT_MS_DEFAULT 1000 /* a sleeping request's patience */
#define NOFAIL_WARN_MS 10000	   /* __GFP_NOFAIL: "still waiting" period */

/* Direct reclaim for a request of `order`: asks the shrinkers for at
 * least SWAP_CLUSTER_MAX pages and counts it. Returns pages freed. */
unsigned long try_to_free_pages(struct pglist_data *p, gfp_t gfp,
				unsigned int order);

/* Is every populated zone at or above its `high` watermark? */
bool pgdat_balanced(struct pglist_data *p);

/* kswapd's work once woken: reclaim until pgdat_balanced(), or until a
 * round frees nothing. Returns pages freed. */
unsigned long balance_pgdat(struct pglist_data *p);

/* The cmdline's alloc_wait_ms= for the kernel's node. */
void mm_set_alloc_wait_ms(unsigned int ms);

/* For mm_wait_for_free's condition: could a request with these flags be
 * served now? Takes each zone's lock, so a free that raced with the
 * waiter's queueing is seen here (docs/06 explains the ordering). */
bool pgdat_could_allocate(struct pglist_data *p, unsigned int order,
			  unsigned int alloc_flags, int highest);

#endif
