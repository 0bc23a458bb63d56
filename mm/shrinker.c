/*
 * The shrinker registry and shrink_slab() (Linux's mm/shrinker.c, reduced):
 * reclaim's one way to get pages back, since everything reclaimable here
 * is a cache behind a shrinker.
 * docs/06-sleeping-allocations-and-reclaim.md ("Shrinkers").
 *
 * One spinlock guards the registry and is held across the callbacks.
 * Linux avoids that (SRCU, per-shrinker references) so that shrinkers may
 * block; ours never sleep, and holding the lock makes unregistering
 * trivially safe: once unregister_shrinker() has the lock, no callback of
 * that shrinker is running, and none will after. The price is that
 * concurrent reclaimers (kswapd, direct reclaim on other CPUs) take turns;
 * each turn is short, as freeing a page is. The lock is never taken in
 * interrupt context, so plain spin_lock() is enough: interrupts stay on.
 */
#include "mm/shrinker.h"

#include "kernel/lib/printk.h"

static DEFINE_SPINLOCK(shrinker_lock);
static struct list_head shrinker_list = { &shrinker_list, &shrinker_list };

static struct shrinker *to_shrinker(struct list_head *l)
{
	return container_of(l, struct shrinker, list);
}

static const char *shrinker_name(const struct shrinker *s)
{
	return s->name ? s->name : "(unnamed)";
}

/* Under shrinker_lock. A walk rather than a flag in the struct: a caller's
 * uninitialised struct cannot pass for a registered one. */
static bool shrinker_registered(const struct shrinker *s)
{
	for (struct list_head *l = shrinker_list.next; l != &shrinker_list;
	     l = l->next)
		if (to_shrinker(l) == s)
			return true;
	return false;
}

int register_shrinker(struct shrinker *s)
{
	if (!s) {
		pr_err("shrinker: register_shrinker(NULL) from %p\n",
		       __builtin_return_address(0));
		return -1;
	}
	if (!s->count_objects || !s->scan_objects) {
		pr_err("shrinker: \"%s\" refused: count_objects and scan_objects are both required\n",
		       shrinker_name(s));
		return -1;
	}
	spin_lock(&shrinker_lock);
	if (shrinker_registered(s)) {
		spin_unlock(&shrinker_lock);
		pr_err("shrinker: \"%s\" refused: already registered\n",
		       shrinker_name(s));
		return -1;
	}
	s->nr_scanned_total = 0;
	s->nr_freed_total = 0;
	s->stopped = false;
	list_add_tail(&s->list, &shrinker_list);
	spin_unlock(&shrinker_lock);
	return 0;
}

void unregister_shrinker(struct shrinker *s)
{
	if (!s)
		return;
	spin_lock(&shrinker_lock);
	if (shrinker_registered(s)) {
		list_del(&s->list);
		INIT_LIST_HEAD(&s->list);
	}
	spin_unlock(&shrinker_lock);
}

static bool shrinker_serves(const struct shrinker *s,
			    const struct pglist_data *pgdat)
{
	return !pgdat || !s->pgdat || s->pgdat == pgdat;
}

/* count_objects() with SHRINK_EMPTY as 0. */
static unsigned long shrinker_count(struct shrinker *s,
				    struct shrink_control *sc)
{
	unsigned long n = s->count_objects(s, sc);
	return n == SHRINK_EMPTY ? 0 : n;
}

/* a * b / c rounded up, for b <= c, without overflowing (Linux's
 * mult_frac, rounding up so every shrinker with pages is asked). */
static unsigned long share_of(unsigned long a, unsigned long b, unsigned long c)
{
	while (c >> 32) {
		b >>= 1;
		c >>= 1;
	}
	if (!c)
		return a;
	return (a / c) * b + ((a % c) * b + c - 1) / c;
}

/* Asks s for up to `want` pages in batches; stops early on SHRINK_STOP. */
static unsigned long do_shrink_slab(struct shrinker *s,
				    struct shrink_control *sc,
				    unsigned long want)
{
	/* LAB reclaim: begin batches */
	unsigned long freed = 0;
	while (want) {
		unsigned long batch = want < SHRINK_BATCH ? want : SHRINK_BATCH;
		sc->nr_to_scan = batch;
		sc->nr_scanned = batch;
		unsigned long ret = s->scan_objects(s, sc);
		s->nr_scanned_total += sc->nr_scanned;
		if (ret == SHRINK_STOP) {
			s->stopped = true;
			break;
		}
		s->nr_freed_total += ret;
		freed += ret;
		/* Counted by what was asked, not by what the callback says it
		 * scanned: a callback reporting 0 cannot make us loop. */
		want -= batch;
		/* Asked for a batch, freed less: it has no more to give. */
		if (ret < batch)
			break;
	}
	return freed;
	/* LAB reclaim: end batches */
}

unsigned long shrink_slab_node(struct pglist_data *pgdat, gfp_t gfp,
			       unsigned long nr_to_reclaim)
{
	return shrink_slab_zones(pgdat, gfp, nr_to_reclaim, 0);
}

unsigned long shrink_slab_zones(struct pglist_data *pgdat, gfp_t gfp,
				unsigned long nr_to_reclaim,
				unsigned int zone_mask)
{
	struct shrink_control sc = { .gfp_mask = gfp,
				     .pgdat = pgdat,
				     .zone_mask = zone_mask };
	unsigned long freed = 0;
	struct list_head *l;

	spin_lock(&shrinker_lock);
	for (l = shrinker_list.next; l != &shrinker_list; l = l->next)
		to_shrinker(l)->stopped = false;
	while (freed < nr_to_reclaim) {
		unsigned long total = 0, round = 0;
		unsigned long want = nr_to_reclaim - freed;
		/* Count first, so that each share is proportional to what
		 * every asked shrinker holds at the start of the round. */
		for (l = shrinker_list.next; l != &shrinker_list; l = l->next) {
			struct shrinker *s = to_shrinker(l);
			s->nr_freeable = 0;
			if (s->stopped || !shrinker_serves(s, pgdat))
				continue;
			s->nr_freeable = shrinker_count(s, &sc);
			total += s->nr_freeable;
			if (total < s->nr_freeable)
				total = ~0UL; /* saturate */
		}
		if (!total)
			break;
		for (l = shrinker_list.next; l != &shrinker_list; l = l->next) {
			struct shrinker *s = to_shrinker(l);
			if (!s->nr_freeable || freed >= nr_to_reclaim)
				continue;
			unsigned long share =
			    share_of(want, s->nr_freeable, total);
			if (share > s->nr_freeable)
				share = s->nr_freeable;
			if (share > nr_to_reclaim - freed)
				share = nr_to_reclaim - freed;
			unsigned long got = do_shrink_slab(s, &sc, share);
			round += got;
			freed += got;
		}
		/* Counted pages that nobody gives up: do not spin on them. */
		if (!round)
			break;
	}
	spin_unlock(&shrinker_lock);
	return freed;
}

unsigned long shrink_slab(gfp_t gfp, unsigned long nr_to_reclaim)
{
	return shrink_slab_node(NULL, gfp, nr_to_reclaim);
}

unsigned long shrinker_node_reclaimable_pages(struct pglist_data *pgdat)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL, .pgdat = pgdat };
	unsigned long total = 0;

	spin_lock(&shrinker_lock);
	for (struct list_head *l = shrinker_list.next; l != &shrinker_list;
	     l = l->next)
		if (shrinker_serves(to_shrinker(l), pgdat))
			total += shrinker_count(to_shrinker(l), &sc);
	spin_unlock(&shrinker_lock);
	return total;
}

unsigned long shrinker_reclaimable_pages(void)
{
	return shrinker_node_reclaimable_pages(NULL);
}
