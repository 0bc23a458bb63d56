/*
 * The demonstration page cache's pages are movable: its movable_operations
 * (mm/migrate.h), which isolate a cached page, move it to a new frame and
 * put it back. docs/10-fragmentation-and-compaction.md ("Migration").
 */
#include "mm/filecache_internal.h"

#include "kernel/lib/string.h"

/* ---------------------------------------------------------------- moving
 * The cache's movable_operations (mm/migrate.h). Each runs under c->lock
 * (irqsave), which every read holds for the whole of its lookup and copy:
 * holding it, no read is under way, so every cached page may be taken. */

static struct filecache_page *page_at(struct filecache *c, uint64_t pfn)
{
	return pgdat_phys_to_virt(c->pgdat, pfn << PAGE_SHIFT);
}

/* Is p one of the cache's pages? Read under c->lock. p may be anyone's
 * allocated page: only the hash, not p's content, can say yes. */
static bool cached(struct filecache *c, struct filecache_page *p,
		   uint64_t *seed)
{
	uint64_t file = p->file, index = p->index, magic = p->magic;
	*seed = page_seed(file, index);
	return magic == (*seed ^ FILECACHE_MAGIC) &&
	       lookup(c, file, index, *seed) == p;
}

static bool filecache_isolate_page(struct movable_owner *o, uint64_t pfn)
{
	struct filecache *c = o->private;
	struct filecache_page *p = page_at(c, pfn);
	unsigned long flags;
	uint64_t seed;
	bool ok;

	spin_lock_irqsave(&c->lock, flags);
	ok = cached(c, p, &seed) && !isolated(p);
	if (ok) {
		list_del(&p->lru);
		INIT_LIST_HEAD(&p->lru); /* isolated: off the LRU */
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return ok;
}

/* Copies the page, points its hash chain at the copy (the LRU holds no
 * link to an isolated page), checks the copy, puts it on the LRU. */
static int filecache_migrate_page(struct movable_owner *o, uint64_t dst_pfn,
				  uint64_t src_pfn)
{
	struct filecache *c = o->private;
	struct filecache_page *p = page_at(c, src_pfn),
			      *q = page_at(c, dst_pfn);
	unsigned long flags;
	uint64_t seed;

	spin_lock_irqsave(&c->lock, flags);
	/* Dropped as corrupted since it was isolated: nothing to move. */
	if (!isolated(p) || !cached(c, p, &seed)) {
		spin_unlock_irqrestore(&c->lock, flags);
		return -1;
	}
	memcpy(q, p, PAGE_SIZE);
	struct filecache_page **pp = bucket(c, seed);
	while (*pp != p) /* cached() found it in this chain */
		pp = &(*pp)->hash_next;
	*pp = q;
	if (q->magic != p->magic || filecache_verify_copy(q, seed, NULL) >= 0) {
		*pp = p; /* a bad copy: the page stays where it was */
		spin_unlock_irqrestore(&c->lock, flags);
		return -1;
	}
	list_add(&q->lru, &c->lru); /* young end, as Linux's putback */
	c->migrated++;
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

static void filecache_putback_page(struct movable_owner *o, uint64_t pfn)
{
	struct filecache *c = o->private;
	struct filecache_page *p = page_at(c, pfn);
	unsigned long flags;
	uint64_t seed;

	spin_lock_irqsave(&c->lock, flags);
	/* A page dropped as corrupted while isolated stays out (leaked, as
	 * a read leaves it); one never isolated is a caller's bug. */
	if (isolated(p) && cached(c, p, &seed))
		list_add(&p->lru, &c->lru);
	else
		WARN_ON_ONCE(!isolated(p));
	spin_unlock_irqrestore(&c->lock, flags);
}

const struct movable_operations filecache_movable_ops = {
	.name = "filecache",
	.isolate_page = filecache_isolate_page,
	.migrate_page = filecache_migrate_page,
	.putback_page = filecache_putback_page,
};
