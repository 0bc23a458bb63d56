/*
 * Memory pools: the guaranteed reserve of mm/mempool.h, with Linux's
 * semantics (mm/mempool.c there). The order of attempts in mempool_alloc
 * is the whole idea: the allocator first (no waiting, no reserves, no
 * warning), the pool second, the allocator again with reclaim allowed,
 * and only then, if the caller may sleep, a wait for an element to come
 * back. docs/09-emergency-memory.md ("Memory pools") walks through it.
 */
#include "mm/mempool.h"

#include "mm/internal.h"
#include "mm/platform.h"
#include "kernel/lib/printk.h"

#define MEMPOOL_MAGIC 0x6d706f6fu /* "mpoo" */
#define MEMPOOL_WAIT_MS 5000	  /* a sleeper looks at the allocator again */
#define DUP_CHECK_MAX 256 /* reserves up to this size are searched on free */

/* The array fits in the struct's own page up to this many elements. */
#define INLINE_NR ((int)((PAGE_SIZE - sizeof(mempool_t)) / sizeof(void *)))
_Static_assert(sizeof(mempool_t) < PAGE_SIZE / 2, "a pool fits one page");

static struct ratelimit_state mempool_rs = { .interval_ms = 0 };

static unsigned int order_for(uint64_t bytes)
{
	unsigned int o = 0;
	while ((PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

static __attribute__((cold, noinline)) void
mempool_report(const mempool_t *pool, const char *what, const void *element,
	       void *caller)
{
	if (__ratelimit(&mempool_rs))
		pr_err("mempool: %s (pool %p, element %p, caller %p); nothing changed\n",
		       what, (const void *)pool, element, caller);
}

/* ---------------------------------------------------------------- pages */

void *mempool_alloc_pages(gfp_t gfp, void *pool_data)
{
	struct mempool_pages *pp = pool_data;
	uint64_t phys = pgdat_alloc_pages(pp->pgdat, gfp, pp->order);
	return phys ? pgdat_phys_to_virt(pp->pgdat, phys) : NULL;
}

void mempool_free_pages(void *element, void *pool_data)
{
	struct mempool_pages *pp = pool_data;
	pgdat_free_pages(pp->pgdat, pgdat_virt_to_phys(pp->pgdat, element),
			 pp->order);
}

/* A page pool's element must be an allocated block of the pool's order on
 * its node; NULL if it is, else what is wrong. */
static const char *bad_page_element(const mempool_t *pool, const void *e)
{
	struct pglist_data *p = pool->pages.pgdat;
	uint64_t phys = pgdat_virt_to_phys(p, e);
	uint8_t *st;
	if (phys & ((PAGE_SIZE << pool->pages.order) - 1))
		return "bad free: not aligned to the pool's block size";
	st = pfn_state(p, phys >> PAGE_SHIFT);
	if (!st)
		return "bad free: not memory of the pool's node";
	if (*st != (PFS_ALLOC | pool->pages.order))
		return "bad free: not an allocated block of the pool's order";
	return NULL;
}

/* ---------------------------------------------------------------- create */

static void free_meta(struct pglist_data *meta, uint64_t phys,
		      unsigned int order)
{
	if (phys)
		pgdat_free_pages(meta, phys, order);
}

static void remove_all_elements(mempool_t *pool)
{
	while (pool->curr_nr)
		pool->free(pool->elements[--pool->curr_nr], pool->pool_data);
}

static mempool_t *pool_create(int min_nr, mempool_alloc_t *alloc_fn,
			      mempool_free_t *free_fn, void *pool_data,
			      gfp_t gfp, struct pglist_data *meta,
			      const struct mempool_pages *pages, void *caller)
{
	if (!meta)
		meta = &contig_page_data;
	if (min_nr < 1 || min_nr > MEMPOOL_MAX_NR || !alloc_fn || !free_fn) {
		pr_err("mempool: refusing to create a pool of %d elements (1..%d, both callbacks needed), caller %p\n",
		       min_nr, MEMPOOL_MAX_NR, caller);
		return NULL;
	}
	uint64_t self = pgdat_alloc_pages(meta, gfp | __GFP_ZERO, 0);
	if (!self)
		return NULL;
	mempool_t *pool = pgdat_phys_to_virt(meta, self);
	spin_lock_init(&pool->lock);
	pool->meta_node = meta;
	pool->self_phys = self;
	if (min_nr <= INLINE_NR) {
		pool->elements = (void **)(pool + 1);
	} else {
		pool->array_order =
		    order_for((uint64_t)min_nr * sizeof(void *));
		pool->array_phys =
		    pgdat_alloc_pages(meta, gfp, pool->array_order);
		if (!pool->array_phys) {
			free_meta(meta, self, 0);
			return NULL;
		}
		pool->elements = pgdat_phys_to_virt(meta, pool->array_phys);
	}
	pool->min_nr = min_nr;
	pool->alloc = alloc_fn;
	pool->free = free_fn;
	pool->pool_data = pool_data;
	if (pages) {
		pool->pages = *pages;
		pool->pool_data = &pool->pages;
		pool->is_page_pool = true;
	}
	/* The reserve is filled now, with the caller's flags (it may sleep):
	 * a pool that cannot have its minimum is no pool. */
	while (pool->curr_nr < min_nr) {
		void *e = pool->alloc(gfp, pool->pool_data);
		if (!e) {
			remove_all_elements(pool);
			free_meta(meta, pool->array_phys, pool->array_order);
			free_meta(meta, self, 0);
			return NULL;
		}
		pool->elements[pool->curr_nr++] = e;
	}
	pool->stats.min_curr_nr = min_nr;
	pool->magic = MEMPOOL_MAGIC;
	return pool;
}

mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn,
			       mempool_free_t *free_fn, void *pool_data,
			       gfp_t gfp, struct pglist_data *meta)
{
	return pool_create(min_nr, alloc_fn, free_fn, pool_data, gfp, meta,
			   NULL, __builtin_return_address(0));
}

mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn,
			  mempool_free_t *free_fn, void *pool_data)
{
	return pool_create(min_nr, alloc_fn, free_fn, pool_data, GFP_KERNEL,
			   NULL, NULL, __builtin_return_address(0));
}

mempool_t *mempool_create_page_pool_node(struct pglist_data *pgdat, int min_nr,
					 unsigned int order)
{
	struct mempool_pages pages = { pgdat, order };
	if (!pgdat || order > MAX_ORDER) {
		pr_err("mempool: refusing a page pool of order %u on node %p (orders 0..%d)\n",
		       order, (void *)pgdat, MAX_ORDER);
		return NULL;
	}
	return pool_create(min_nr, mempool_alloc_pages, mempool_free_pages,
			   NULL, GFP_KERNEL, pgdat, &pages,
			   __builtin_return_address(0));
}

mempool_t *mempool_create_page_pool(int min_nr, unsigned int order)
{
	return mempool_create_page_pool_node(&contig_page_data, min_nr, order);
}

/* ---------------------------------------------------------------- alloc */

static bool pool_usable(const mempool_t *pool, const char *op, void *caller)
{
	if (pool && pool->magic == MEMPOOL_MAGIC)
		return true;
	if (__ratelimit(&mempool_rs))
		pr_err("mempool: %s on %s pool %p (caller %p); nothing done\n",
		       op, pool ? "a destroyed or corrupt" : "a NULL",
		       (const void *)pool, caller);
	return false;
}

static bool pool_has_element(void *arg)
{
	mempool_t *pool = arg;
	return __atomic_load_n(&pool->curr_nr, __ATOMIC_ACQUIRE) > 0;
}

void *mempool_alloc(mempool_t *pool, gfp_t gfp)
{
	void *caller = __builtin_return_address(0);
	unsigned long flags;
	void *e;

	if (!pool_usable(pool, "mempool_alloc", caller))
		return NULL;
	if ((gfp & ~__GFP_BITS_MASK) ||
	    (gfp & (__GFP_DMA | __GFP_DMA32)) == (__GFP_DMA | __GFP_DMA32)) {
		mempool_report(pool,
			       "mempool_alloc with contradictory or unknown flags",
			       NULL, caller);
		return NULL;
	}
	/* The reserve's elements are not zeroed: a caller who needs that
	 * zeroes what it gets (Linux warns about this flag too). */
	if (gfp & __GFP_ZERO) {
		mempool_report(
		    pool,
		    "mempool_alloc ignores __GFP_ZERO (reserve elements are not zeroed)",
		    NULL, caller);
		gfp &= ~__GFP_ZERO;
	}
	/* A sleeping request where nothing may sleep is a caller's bug:
	 * said once in a while, and served as one that cannot wait. */
	if (gfpflags_allow_blocking(gfp) && !may_sleep()) {
		mempool_report(pool,
			       "sleeping mempool_alloc from atomic context",
			       NULL, caller);
		gfp &= ~__GFP_DIRECT_RECLAIM;
	}
	/* The pool is the reserve: the allocator must not dip into its own
	 * for us, nor retry or complain when it has nothing. */
	gfp |= __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
	gfp &= ~__GFP_NOFAIL;
	gfp_t gfp_temp = gfp & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);

	for (;;) {
		e = pool->alloc(gfp_temp, pool->pool_data);
		if (e) {
			__atomic_fetch_add(&pool->out, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&pool->stats.alloc_hits, 1,
					   __ATOMIC_RELAXED);
			return e;
		}
		spin_lock_irqsave(&pool->lock, flags);
		if (pool->curr_nr) {
			e = pool->elements[--pool->curr_nr];
			if (pool->curr_nr < pool->stats.min_curr_nr)
				pool->stats.min_curr_nr = pool->curr_nr;
			pool->stats.reserve_takes++; /* only under the lock */
			/* Atomic even under the lock: the allocator's hits
			 * count outside it, on other CPUs. */
			__atomic_fetch_add(&pool->out, 1, __ATOMIC_RELAXED);
			spin_unlock_irqrestore(&pool->lock, flags);
			return e;
		}
		/* Empty: once more with reclaim allowed, if it was not. */
		if (gfp_temp != gfp) {
			spin_unlock_irqrestore(&pool->lock, flags);
			gfp_temp = gfp;
			continue;
		}
		if (!gfpflags_allow_blocking(gfp)) {
			pool->stats.failures++;
			spin_unlock_irqrestore(&pool->lock, flags);
			return NULL;
		}
		pool->waiters++;
		pool->stats.waits++;
		spin_unlock_irqrestore(&pool->lock, flags);
		/* Until a free refills the reserve; then the allocator may
		 * have memory again too, so both are tried. */
		bool woken = mm_wait_var_event_timeout(pool, pool_has_element,
						       pool, MEMPOOL_WAIT_MS);
		spin_lock_irqsave(&pool->lock, flags);
		pool->waiters--;
		if (!woken)
			pool->stats.wait_timeouts++;
		spin_unlock_irqrestore(&pool->lock, flags);
		gfp_temp = gfp; /* as Linux: after a wait, reclaim at once */
	}
}

/* ---------------------------------------------------------------- free */

/* out-- unless it is already 0 (then the free is one too many). */
static bool take_out_count(mempool_t *pool)
{
	uint64_t out = __atomic_load_n(&pool->out, __ATOMIC_RELAXED);
	do {
		if (!out)
			return false;
	} while (!__atomic_compare_exchange_n(&pool->out, &out, out - 1, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static bool in_reserve(const mempool_t *pool, const void *element)
{
	for (int i = 0; i < pool->curr_nr; i++)
		if (pool->elements[i] == element)
			return true;
	return false;
}

static void refuse_free(mempool_t *pool, const char *why, void *element,
			void *caller)
{
	__atomic_fetch_add(&pool->stats.bad_frees, 1, __ATOMIC_RELAXED);
	mempool_report(pool, why, element, caller);
}

void mempool_free(void *element, mempool_t *pool)
{
	void *caller = __builtin_return_address(0);
	const char *bad = NULL;
	unsigned long flags;

	if (!element)
		return;
	if (!pool_usable(pool, "mempool_free", caller))
		return;
	if (pool->is_page_pool)
		bad = bad_page_element(pool, element);
	if (bad) {
		refuse_free(pool, bad, element, caller);
		return;
	}
	/* The lock on every free, so that an element already in the reserve
	 * is found before it is counted (a reserve element is an allocated
	 * block: the page check cannot tell it from one that is out). Large
	 * reserves are not searched: the check would hold the lock too long
	 * for an interrupt handler. */
	spin_lock_irqsave(&pool->lock, flags);
	if (pool->curr_nr <= DUP_CHECK_MAX && in_reserve(pool, element))
		bad = "bad free: the element is in the reserve already";
	else if (!take_out_count(pool))
		bad = "bad free: the pool has no element out";
	if (bad) {
		spin_unlock_irqrestore(&pool->lock, flags);
		refuse_free(pool, bad, element, caller);
		return;
	}
	if (pool->curr_nr < pool->min_nr) {
		pool->elements[pool->curr_nr++] = element;
		pool->stats.refills++;
		bool wake = pool->waiters;
		spin_unlock_irqrestore(&pool->lock, flags);
		if (wake)
			mm_wake_up_var(pool);
		return;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	pool->free(element, pool->pool_data);
}

/* ---------------------------------------------------------------- resize */

int mempool_resize(mempool_t *pool, int new_min_nr)
{
	void *caller = __builtin_return_address(0);
	unsigned long flags;

	if (!pool_usable(pool, "mempool_resize", caller))
		return -1;
	if (new_min_nr < 1 || new_min_nr > MEMPOOL_MAX_NR || !may_sleep()) {
		pr_err("mempool: refusing to resize pool %p to %d elements (1..%d, from a context that may sleep), caller %p\n",
		       (void *)pool, new_min_nr, MEMPOOL_MAX_NR, caller);
		return -1;
	}
	spin_lock_irqsave(&pool->lock, flags);
	if (new_min_nr <= pool->min_nr) {
		while (pool->curr_nr > new_min_nr) {
			void *e = pool->elements[--pool->curr_nr];
			spin_unlock_irqrestore(&pool->lock, flags);
			pool->free(e, pool->pool_data);
			spin_lock_irqsave(&pool->lock, flags);
		}
		pool->min_nr = new_min_nr;
		spin_unlock_irqrestore(&pool->lock, flags);
		return 0;
	}
	spin_unlock_irqrestore(&pool->lock, flags);

	/* A bigger array, unless the one we have has room. */
	struct pglist_data *meta = pool->meta_node;
	uint64_t capacity =
	    pool->array_phys ? (PAGE_SIZE << pool->array_order) / sizeof(void *)
			     : (uint64_t)INLINE_NR;
	if ((uint64_t)new_min_nr > capacity) {
		unsigned int order =
		    order_for((uint64_t)new_min_nr * sizeof(void *));
		uint64_t phys = pgdat_alloc_pages(meta, GFP_KERNEL, order);
		if (!phys) {
			pr_err("mempool: no memory to resize pool %p to %d elements\n",
			       (void *)pool, new_min_nr);
			return -1;
		}
		void **array = pgdat_phys_to_virt(meta, phys);
		spin_lock_irqsave(&pool->lock, flags);
		/* Another resize ran meanwhile: it did our work, or more (as
		 * Linux, the later one wins; never shrink what it grew). */
		if (new_min_nr <= pool->min_nr || pool->curr_nr > new_min_nr) {
			spin_unlock_irqrestore(&pool->lock, flags);
			free_meta(meta, phys, order);
			return 0;
		}
		for (int i = 0; i < pool->curr_nr; i++)
			array[i] = pool->elements[i];
		uint64_t old_phys = pool->array_phys;
		unsigned int old_order = pool->array_order;
		pool->elements = array;
		pool->array_phys = phys;
		pool->array_order = order;
		pool->min_nr = new_min_nr;
		spin_unlock_irqrestore(&pool->lock, flags);
		free_meta(meta, old_phys, old_order);
	} else {
		spin_lock_irqsave(&pool->lock, flags);
		if (new_min_nr > pool->min_nr) /* unless one raced past us */
			pool->min_nr = new_min_nr;
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	/* Fill the new part of the reserve (frees may fill it meanwhile). */
	for (;;) {
		if (__atomic_load_n(&pool->curr_nr, __ATOMIC_RELAXED) >=
		    pool->min_nr)
			return 0;
		void *e = pool->alloc(GFP_KERNEL, pool->pool_data);
		if (!e) {
			pr_err("mempool: pool %p resized to %d elements but holds %d (no memory)\n",
			       (void *)pool, pool->min_nr, pool->curr_nr);
			return -1;
		}
		spin_lock_irqsave(&pool->lock, flags);
		bool fits = pool->curr_nr < pool->min_nr;
		if (fits)
			pool->elements[pool->curr_nr++] = e;
		bool wake = pool->waiters;
		spin_unlock_irqrestore(&pool->lock, flags);
		if (!fits)
			pool->free(e, pool->pool_data);
		else if (wake)
			mm_wake_up_var(pool);
	}
}

/* ---------------------------------------------------------------- destroy */

void mempool_destroy(mempool_t *pool)
{
	if (!pool)
		return; /* as Linux: destroying "no pool" is fine */
	if (!pool_usable(pool, "mempool_destroy", __builtin_return_address(0)))
		return;
	if (pool->out)
		pr_err("mempool: pool %p destroyed with %llu elements still out (leaked: they were never given back)\n",
		       (void *)pool, (unsigned long long)pool->out);
	WARN_ON_ONCE(pool->waiters);
	remove_all_elements(pool);
	pool->magic = 0;
	struct pglist_data *meta = pool->meta_node;
	uint64_t self = pool->self_phys, array = pool->array_phys;
	unsigned int array_order = pool->array_order;
	free_meta(meta, array, array_order);
	free_meta(meta, self, 0);
}
