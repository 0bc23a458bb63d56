/*
 * The demonstration page cache (mm/filecache.h): synthetic file pages kept
 * on an LRU list and in a hash, given back to reclaim by a shrinker.
 * docs/06-sleeping-allocations-and-reclaim.md ("A cache to reclaim").
 *
 * Metadata costs nothing outside the cached pages: each page starts with a
 * 48-byte header (LRU links, hash chain, file, index, a check word) and
 * holds the rest of its file data, bytes 48 to 4095, at their own offsets;
 * bytes 0 to 47 are recomputed on a hit (they are a function of (file,
 * index) like the rest). The hash's buckets are one block taken at init,
 * sized to the node (chains of about 8 if the cache filled all of it).
 *
 * Locking: c->lock (irqsave, so the cache could be used anywhere) guards
 * the list, the hash, the counts and every cached page's content. It is a
 * leaf: no other lock is taken and the allocator is never called with it
 * held, because an allocation may reclaim, and reclaim comes back here
 * through the shrinker (shrink_slab -> filecache_shrink -> c->lock).
 * Migration (mm/migrate.h) is the one caller that holds a lock when it
 * takes c->lock: the zone lock, to isolate a page; still no allocator
 * call under c->lock, so the order zone lock -> c->lock never reverses.
 * Moving a page holds c->lock across the copy and the repointing, so a
 * reader sees the page at its old frame or whole at its new one.
 * docs/10-fragmentation-and-compaction.md ("Migration").
 */
#include "mm/filecache.h"
#include "mm/filecache_internal.h"

#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/page_alloc.h"

void filecache_fill(uint64_t file, uint64_t index, void *buf)
{
	uint64_t seed = page_seed(file, index), *w = buf;
	for (unsigned long i = 0; i < PAGE_WORDS; i++)
		w[i] = page_word(seed, i);
}

/* Takes p off the list and out of the hash. Lock held. */
static void unlink_page(struct filecache *c, struct filecache_page *p)
{
	lockdep_assert_held(&c->lock);
	struct filecache_page **pp = bucket(c, page_seed(p->file, p->index));
	while (*pp && *pp != p)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = p->hash_next;
	list_del(&p->lru);
	c->nr_pages--;
}

/*
 * Compares the page's data with what it should be, copying the data to buf
 * (if not NULL) on the way. Returns the first wrong word, or -1. Lock held:
 * the page cannot be freed meanwhile.
 */
long filecache_verify_copy(const struct filecache_page *p, uint64_t seed,
			   uint64_t *buf)
{
	const uint64_t *w = (const uint64_t *)p;
	long bad = -1;
	for (unsigned long i = 0; i < PAGE_WORDS; i++) {
		uint64_t want = page_word(seed, i);
		uint64_t got = i < HDR_WORDS ? want : w[i];
		if (got != want && bad < 0)
			bad = (long)i;
		if (buf)
			buf[i] = got;
	}
	return bad;
}

static void report_corruption(struct filecache *c, uint64_t phys, uint64_t file,
			      uint64_t index, long word, uint64_t got)
{
	pr_err("filecache: file %llu page %llu (phys 0x%llx) written to while cached: byte %ld is 0x%llx, expected 0x%llx; page leaked (%llu so far)\n",
	       (unsigned long long)file, (unsigned long long)index,
	       (unsigned long long)phys, word * 8, (unsigned long long)got,
	       (unsigned long long)page_word(page_seed(file, index),
					     (unsigned long)word),
	       (unsigned long long)c->verify_failures);
}

int filecache_read(struct filecache *c, uint64_t file, uint64_t index,
		   void *buf, gfp_t gfp)
{
	uint64_t seed = page_seed(file, index);
	struct filecache_page *p;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	p = lookup(c, file, index, seed);
	if (p) {
		long bad = filecache_verify_copy(p, seed, buf);
		if (bad < 0) {
			if (!isolated(p)) { /* migration puts it back */
				list_del(&p->lru);
				list_add(&p->lru, &c->lru);
			}
			c->hits++;
			spin_unlock_irqrestore(&c->lock, flags);
			return 0;
		}
		/* Dropped without being freed: whoever wrote to it may own
		 * it now, and a second free would hand it out again. */
		uint64_t got = ((const uint64_t *)p)[bad];
		c->verify_failures++;
		unlink_page(c, p);
		spin_unlock_irqrestore(&c->lock, flags);
		report_corruption(c, pgdat_virt_to_phys(c->pgdat, p), file,
				  index, bad, got);
		if (buf)
			filecache_fill(file, index, buf);
		return 0;
	}
	c->misses++;
	spin_unlock_irqrestore(&c->lock, flags);

	/* Lock dropped: the allocation may reclaim from this cache. */
	uint64_t phys = pgdat_alloc_pages(c->pgdat, gfp, 0);
	if (buf)
		filecache_fill(file, index, buf);
	if (!phys)
		return -1;
	p = pgdat_phys_to_virt(c->pgdat, phys);
	for (unsigned long i = HDR_WORDS; i < PAGE_WORDS; i++)
		((uint64_t *)p)[i] = page_word(seed, i);
	p->file = file;
	p->index = index;
	p->magic = seed ^ FILECACHE_MAGIC;

	spin_lock_irqsave(&c->lock, flags);
	if (lookup(c, file, index, seed)) {
		/* Another reader filled it meanwhile: keep theirs. */
		spin_unlock_irqrestore(&c->lock, flags);
		pgdat_free_pages(c->pgdat, phys, 0);
		return 0;
	}
	struct filecache_page **b = bucket(c, seed);
	p->hash_next = *b;
	*b = p;
	list_add(&p->lru, &c->lru);
	c->nr_pages++;
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

/*
 * Pages are unlinked under the lock and freed after it is dropped: the
 * interrupts-off section stays a few pointer updates per page, and the
 * cache's lock never nests the zone lock or the per-CPU lists (it stays a
 * leaf, whatever the free path does later). At most DROP_BATCH pages per
 * hold, so dropping a cache that filled memory keeps interrupts and other
 * readers waiting no longer than a batch. Chained through hash_next,
 * which nobody else can reach once the page is unlinked.
 */
#define DROP_BATCH 64

/* Is the page in one of the zones of zone_mask (0: any)? */
static bool in_zones(struct filecache *c, struct filecache_page *p,
		     unsigned int zone_mask)
{
	if (!zone_mask)
		return true;
	uint64_t pfn = pgdat_virt_to_phys(c->pgdat, p) >> PAGE_SHIFT;
	struct zone *z = pfn_to_zone(c->pgdat, pfn);
	return zone_mask & (1u << (z - c->pgdat->node_zones));
}

/*
 * Oldest first, in the zones of zone_mask. A page of another zone is
 * moved to the young end instead (Linux skips such pages too); one call
 * looks at each cached page at most once, DROP_BATCH per hold of the lock.
 */
static unsigned long drop_oldest(struct filecache *c, unsigned long nr,
				 bool reclaim, unsigned int zone_mask)
{
	unsigned long n = 0, flags;
	uint64_t budget = __atomic_load_n(&c->nr_pages, __ATOMIC_RELAXED);
	bool empty = false;

	while (n < nr && !empty && budget) {
		struct filecache_page *chain = NULL;
		unsigned long k = 0, looked = 0;
		spin_lock_irqsave(&c->lock, flags);
		while (looked < DROP_BATCH && n + k < nr && budget &&
		       !(empty = list_empty(&c->lru))) {
			struct filecache_page *p =
			    container_of(c->lru.prev, struct filecache_page,
					 lru);
			looked++;
			budget--;
			if (!in_zones(c, p, zone_mask)) {
				list_del(&p->lru);
				list_add(&p->lru, &c->lru);
				continue;
			}
			unlink_page(c, p);
			p->hash_next = chain;
			chain = p;
			k++;
		}
		if (reclaim)
			c->reclaimed += k;
		spin_unlock_irqrestore(&c->lock, flags);
		n += k;
		while (chain) {
			struct filecache_page *next = chain->hash_next;
			pgdat_free_pages(c->pgdat,
					 pgdat_virt_to_phys(c->pgdat, chain),
					 0);
			chain = next;
		}
	}
	return n;
}

bool filecache_drop(struct filecache *c, uint64_t file, uint64_t index)
{
	unsigned long flags;
	spin_lock_irqsave(&c->lock, flags);
	struct filecache_page *p =
	    lookup(c, file, index, page_seed(file, index));
	if (p && !isolated(p))
		unlink_page(c, p);
	else
		p = NULL;
	spin_unlock_irqrestore(&c->lock, flags);
	if (p)
		pgdat_free_pages(c->pgdat, pgdat_virt_to_phys(c->pgdat, p), 0);
	return p != NULL;
}

unsigned long filecache_shrink(struct filecache *c, unsigned long nr)
{
	return drop_oldest(c, nr, true, 0);
}

unsigned long filecache_shrink_zones(struct filecache *c, unsigned long nr,
				     unsigned int zone_mask)
{
	return drop_oldest(c, nr, true, zone_mask);
}

static unsigned long filecache_count_objects(struct shrinker *s,
					     struct shrink_control *sc)
{
	struct filecache *c = s->private_data;
	(void)sc;
	uint64_t n = __atomic_load_n(&c->nr_pages, __ATOMIC_RELAXED);
	return n ? (unsigned long)n : SHRINK_EMPTY;
}

static unsigned long filecache_scan_objects(struct shrinker *s,
					    struct shrink_control *sc)
{
	unsigned long freed =
	    filecache_shrink_zones(s->private_data, sc->nr_to_scan,
				   sc->zone_mask);
	sc->nr_scanned = freed;
	return freed;
}

/* 2^(bits - 9) pages of bucket pointers. */
static unsigned int hash_order(unsigned int bits)
{
	return bits - (PAGE_SHIFT - 3);
}

int filecache_init(struct filecache *c, struct pglist_data *pgdat)
{
	unsigned int bits = FILECACHE_HASH_BITS,
		     max = PAGE_SHIFT - 3 + MAX_ORDER;
	uint64_t phys = 0;

	memset(c, 0, sizeof(*c));
	c->pgdat = pgdat;
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->lru);
	while (bits < max && (8ULL << bits) < pgdat->totalram_pages)
		bits++;
	/* Smaller (longer chains) rather than nothing; no waiting for a
	 * large block. */
	while (bits > FILECACHE_HASH_BITS &&
	       !(phys = pgdat_alloc_pages(pgdat,
					  GFP_KERNEL | __GFP_NORETRY |
					      __GFP_NOWARN,
					  hash_order(bits))))
		bits--;
	if (!phys)
		phys = pgdat_alloc_pages(pgdat, GFP_KERNEL, 0);
	if (!phys) {
		pr_err("filecache: no page for the hash\n");
		return -1;
	}
	c->hash_bits = bits;
	c->hash = pgdat_phys_to_virt(pgdat, phys);
	memset(c->hash, 0, PAGE_SIZE << hash_order(bits));
	c->shrinker.count_objects = filecache_count_objects;
	c->shrinker.scan_objects = filecache_scan_objects;
	c->shrinker.name = "filecache";
	c->shrinker.private_data = c;
	c->shrinker.pgdat = pgdat;
	if (register_shrinker(&c->shrinker)) {
		pgdat_free_pages(pgdat, phys, hash_order(bits));
		c->hash = NULL;
		return -1;
	}
	c->mover.ops = &filecache_movable_ops;
	c->mover.private = c;
	if (movable_owner_register(pgdat, &c->mover)) {
		unregister_shrinker(&c->shrinker);
		pgdat_free_pages(pgdat, phys, hash_order(bits));
		c->hash = NULL;
		return -1;
	}
	return 0;
}

void filecache_destroy(struct filecache *c)
{
	/* First: once they return, neither reclaim nor migration can reach
	 * the cache, and no page is isolated (all are on the LRU). */
	unregister_shrinker(&c->shrinker);
	movable_owner_unregister(&c->mover);
	drop_oldest(c, ~0UL, false, 0);
	WARN_ON_ONCE(c->hash && c->nr_pages);
	if (c->hash)
		pgdat_free_pages(c->pgdat,
				 pgdat_virt_to_phys(c->pgdat, c->hash),
				 hash_order(c->hash_bits));
	c->hash = NULL;
}

/* Does v point at a page of pgdat that is allocated (as every cached page
 * is)? Checked before a link found in the cache is followed. */
static bool cache_owns(const struct filecache *c, const void *v)
{
	uint64_t phys = pgdat_virt_to_phys(c->pgdat, v);
	const uint8_t *st;
	if (!v || (phys & (PAGE_SIZE - 1)))
		return false;
	st = pfn_state(c->pgdat, phys >> PAGE_SHIFT);
	return st && __atomic_load_n(st, __ATOMIC_RELAXED) == (PFS_ALLOC | 0);
}

/*
 * The structure, in one hold of the lock (pointers and headers only):
 * every chain and the LRU link valid pages, each page's header is right
 * and in its bucket, both hold nr_pages pages, and the same ones (a sum
 * of their scrambled addresses). Returns problems; *bad: not safe to walk.
 */
static int check_structure(struct filecache *c, bool *bad)
{
	uint64_t in_hash = 0, on_lru = 0, hash_sum = 0, lru_sum = 0;
	uint64_t nr_isolated = 0, isolated_sum = 0;
	struct list_head *e, *prev = &c->lru;
	int problems = 0;

	*bad = false;
	for (unsigned long b = 0; b < (1UL << c->hash_bits) && !*bad; b++) {
		for (struct filecache_page *p = c->hash[b]; p;
		     p = p->hash_next) {
			if (!cache_owns(c, p) || ++in_hash > c->nr_pages) {
				pr_err("filecache: hash bucket %lu: %p is not a page the cache holds, or one too many\n",
				       b, (void *)p);
				*bad = true;
				problems++;
				break;
			}
			hash_sum += mix64((uintptr_t)p);
			if (isolated(p)) { /* in the hash, not on the LRU */
				nr_isolated++;
				isolated_sum += mix64((uintptr_t)p);
			}
			uint64_t seed = page_seed(p->file, p->index);
			if (p->magic != (seed ^ FILECACHE_MAGIC) ||
			    bucket(c, seed) != &c->hash[b]) {
				pr_err("filecache: page %p (file %llu page %llu) has a bad header or is in the wrong bucket (%lu)\n",
				       (void *)p, (unsigned long long)p->file,
				       (unsigned long long)p->index, b);
				problems++;
			}
		}
	}
	for (e = c->lru.next; e != &c->lru; prev = e, e = e->next) {
		if (!cache_owns(c, e) || e->prev != prev ||
		    ++on_lru > c->nr_pages) {
			pr_err("filecache: LRU broken after %p: %p is not a page the cache holds, does not link back, or is one too many\n",
			       (void *)prev, (void *)e);
			return problems + 1;
		}
		lru_sum += mix64((uintptr_t)e);
	}
	if (!*bad &&
	    (in_hash != c->nr_pages || on_lru + nr_isolated != c->nr_pages ||
	     hash_sum != lru_sum + isolated_sum)) {
		pr_err("filecache: hash holds %llu pages, LRU %llu and %llu isolated (%s), nr_pages says %llu\n",
		       (unsigned long long)in_hash, (unsigned long long)on_lru,
		       (unsigned long long)nr_isolated,
		       hash_sum == lru_sum + isolated_sum ? "the same"
							  : "not the same",
		       (unsigned long long)c->nr_pages);
		problems++;
	}
	return problems;
}

int filecache_check(struct filecache *c)
{
	unsigned long flags;
	bool bad;

	spin_lock_irqsave(&c->lock, flags);
	int problems = check_structure(c, &bad);
	spin_unlock_irqrestore(&c->lock, flags);
	if (bad)
		return problems;
	/* Contents, one bucket per hold: a cache that filled memory is
	 * gigabytes to compare. Corrupted pages are handled as a read
	 * would: counted, reported, out of the cache, leaked. */
	for (unsigned long b = 0; b < (1UL << c->hash_bits); b++) {
		struct filecache_page **pp, *p;
		spin_lock_irqsave(&c->lock, flags);
		for (pp = &c->hash[b]; (p = *pp);) {
			if (!cache_owns(c, p))
				break; /* corrupted since: next check says */
			uint64_t seed = page_seed(p->file, p->index);
			if (p->magic != (seed ^ FILECACHE_MAGIC)) {
				pp = &p->hash_next; /* reported above */
				continue;
			}
			if (lookup(c, p->file, p->index, seed) != p) {
				pr_err("filecache: file %llu page %llu is cached twice\n",
				       (unsigned long long)p->file,
				       (unsigned long long)p->index);
				problems++;
			}
			long w = filecache_verify_copy(p, seed, NULL);
			if (w < 0) {
				pp = &p->hash_next;
				continue;
			}
			c->verify_failures++;
			problems++;
			report_corruption(c, pgdat_virt_to_phys(c->pgdat, p),
					  p->file, p->index, w,
					  ((const uint64_t *)p)[w]);
			unlink_page(c, p); /* *pp moves on to the next */
		}
		spin_unlock_irqrestore(&c->lock, flags);
	}
	return problems;
}
