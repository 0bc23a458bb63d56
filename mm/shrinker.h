/*
 * Shrinkers (Linux's include/linux/shrinker.h, reduced): a cache that can
 * give pages back registers a pair of callbacks, and reclaim (kswapd,
 * direct reclaim) asks every registered cache, in turn, to free some.
 * Pages only, no objects; no memcg; one global registry, like Linux.
 * docs/06-sleeping-allocations-and-reclaim.md ("Shrinkers").
 */
#ifndef LABYRINTH_MM_SHRINKER_H
#define LABYRINTH_MM_SHRINKER_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"

/* Pages a shrinker is asked for per call (Linux's SWAP_CLUSTER_MAX). */
#define SHRINK_BATCH 32UL

struct shrink_control {
	gfp_t gfp_mask;
	/* The node being reclaimed; NULL: any (Linux's sc->nid). */
	struct pglist_data *pgdat;
	unsigned long nr_to_scan; /* in: pages to try */
	unsigned long nr_scanned; /* out: pages looked at (preset to
				     nr_to_scan; lower it if fewer) */
	/* Bit z set: pages in zone z help (kswapd lifting the zones below
	 * high, a request that can only use some zones). 0: any zone. */
	unsigned int zone_mask;
};

/* scan_objects: "cannot make progress now, stop asking me this round". */
#define SHRINK_STOP (~0UL)
/* count_objects: "nothing cached at all" (0 also means nothing to do). */
#define SHRINK_EMPTY (~0UL - 1)

/*
 * The callbacks run with the registry's spinlock held (preemption off):
 * they must not sleep, and must not allocate with __GFP_DIRECT_RECLAIM
 * (direct reclaim would come back to shrink_slab and spin on that lock
 * forever). Freeing pages is fine. The same lock serialises shrink_slab()
 * callers, so a shrinker's callbacks never run concurrently with each
 * other; they do run concurrently with the cache's own users.
 */
struct shrinker {
	/* Reclaimable pages now, or SHRINK_EMPTY. Cheap: an estimate read
	 * without the cache's lock will do. */
	unsigned long (*count_objects)(struct shrinker *,
				       struct shrink_control *);
	/* Free up to sc->nr_to_scan pages; returns pages freed, or
	 * SHRINK_STOP. */
	unsigned long (*scan_objects)(struct shrinker *,
				      struct shrink_control *);
	const char *name;
	void *private_data;
	/* The node the pages come from: reclaim of another node skips this
	 * shrinker. NULL: asked whichever node is reclaimed. */
	struct pglist_data *pgdat;
	struct list_head list;			   /* on the registry */
	uint64_t nr_scanned_total, nr_freed_total; /* stats */
	/* shrink_slab's scratch, only touched under the registry lock. */
	unsigned long nr_freeable;
	bool stopped;
};

/* 0, or -1 (NULL callbacks, or already registered: reported by name). The
 * struct must stay put until unregister_shrinker(). */
int register_shrinker(struct shrinker *s);
/* Once it returns, no callback of s is running or will run. A shrinker
 * that is not registered is silently ignored (as Linux does), so failure
 * paths may always call it. */
void unregister_shrinker(struct shrinker *s);

/*
 * Asks the shrinkers, in rounds, until nr_to_reclaim pages were freed or
 * every one is empty, stopped or makes no progress. In a round each gets a
 * share of what is still wanted proportional to its count_objects(), asked
 * for in calls of at most SHRINK_BATCH pages. Returns pages freed (a
 * callback freeing more than asked may make it exceed nr_to_reclaim).
 * Never sleeps; never from interrupt context. shrink_slab_node() asks only
 * the shrinkers whose pages come from pgdat (or from any node): what a
 * node's reclaim wants, since freeing another node's pages does not help.
 */
unsigned long shrink_slab(gfp_t gfp, unsigned long nr_to_reclaim);
unsigned long shrink_slab_node(struct pglist_data *pgdat, gfp_t gfp,
			       unsigned long nr_to_reclaim);
/* The same, asking for pages in the zones of zone_mask only (0: any). */
unsigned long shrink_slab_zones(struct pglist_data *pgdat, gfp_t gfp,
				unsigned long nr_to_reclaim,
				unsigned int zone_mask);

/* Sum of count_objects() (reclaimable pages), over all shrinkers or over
 * those shrink_slab_node(pgdat, ...) would ask. */
unsigned long shrinker_reclaimable_pages(void);
unsigned long shrinker_node_reclaimable_pages(struct pglist_data *pgdat);

#endif
