/*
 * A demonstration page cache: page `index` of synthetic file `file` is 4096
 * bytes computed from (file, index), so a cached copy is always clean and
 * dropping it loses nothing. Pages are kept on an LRU list and a hash,
 * both threaded through the cached pages themselves, and a shrinker lets
 * reclaim drop the oldest. Every hit checks the page's content: a
 * mismatch means someone wrote to a page the cache owns (an allocator bug).
 * docs/06-sleeping-allocations-and-reclaim.md ("A cache to reclaim").
 */
#ifndef LABYRINTH_MM_FILECACHE_H
#define LABYRINTH_MM_FILECACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/platform.h"
#include "mm/gfp.h"
#include "mm/migrate.h"
#include "mm/mmzone.h"
#include "mm/shrinker.h"

#define FILECACHE_HASH_BITS 9 /* at least 512 buckets: a page of pointers */

struct filecache_page;

struct filecache {
	struct pglist_data *pgdat; /* where its pages come from */
	spinlock_t lock;	   /* taken with spin_lock_irqsave */
	struct list_head lru;	   /* cached pages, most recently used first */
	struct filecache_page **hash; /* 2^hash_bits chains, in a block of
					 their own */
	unsigned int hash_bits;
	uint64_t nr_pages; /* pages cached now */
	uint64_t hits, misses, reclaimed;
	/* Pages found corrupted. Each is taken out of the cache and leaked
	 * (as Linux's bad_page() does): it may be someone else's page now. */
	uint64_t verify_failures;
	struct shrinker shrinker; /* "filecache" */
	/* Its pages are movable (mm/migrate.h): an isolated page is off the
	 * LRU (links pointing at itself) but still in the hash, so reads
	 * still hit it. Registered from init to destroy. */
	struct movable_owner mover;
	uint64_t migrated; /* pages moved to another frame */
};

/* Takes a block for the hash from pgdat (one page for a small node; up to
 * 4 MiB for a large one, smaller if none is free), unmovable: it lives as
 * long as the cache. Registers the shrinker and the movable owner. 0, or
 * -1 (no page, or the shrinker or owner was refused). Callers read pages
 * with __GFP_MOVABLE: migration can move every cached page. */
int filecache_init(struct filecache *c, struct pglist_data *pgdat);
/* Unregisters the shrinker and the movable owner (waiting for pages being
 * migrated to come back), then frees every page, the hash's too. No read
 * may be running or start. Calling it again does nothing. */
void filecache_destroy(struct filecache *c);

/*
 * Reads page `index` of `file` into buf (4096 bytes, 8-byte aligned; NULL:
 * just make sure it is cached). A hit copies the cached page and checks
 * it; a page found corrupted is counted, reported and taken out of the
 * cache (leaked), and buf gets the true content. A miss allocates a page
 * with `gfp` (never holding the cache's lock: the allocation may reclaim
 * from this very cache), fills it and inserts it. Returns 0 (hit or
 * filled), or -1 if no page could be had (buf is filled all the same).
 */
int filecache_read(struct filecache *c, uint64_t file, uint64_t index,
		   void *buf, gfp_t gfp);

/* Drops page `index` of `file` if it is cached and not being moved (as
 * truncating a file would); true if it was. */
bool filecache_drop(struct filecache *c, uint64_t file, uint64_t index);
/* Frees up to nr pages, least recently used first; returns pages freed.
 * Isolated pages (being migrated) are not on the LRU: never freed here. */
unsigned long filecache_shrink(struct filecache *c, unsigned long nr);
/* The same for pages in the zones of zone_mask (bit z: zone z; 0: any);
 * other pages met on the way move to the young end. */
unsigned long filecache_shrink_zones(struct filecache *c, unsigned long nr,
				     unsigned int zone_mask);

/* Checks that list, hash and count agree (an isolated page is in the hash
 * and not on the list) and every cached page is an
 * allocated page of pgdat with the right header (one hold of the lock,
 * pointers only), then every page's content (a hash chain per hold).
 * Corrupted content is handled as a read would. Returns problems found,
 * each printed. A debugging aid: it reads the whole cache. */
int filecache_check(struct filecache *c);

/* The true content of page `index` of `file` (4096 bytes, 8-aligned). */
void filecache_fill(uint64_t file, uint64_t index, void *buf);

#endif
