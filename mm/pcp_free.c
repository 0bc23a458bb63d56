/*
 * Per-CPU page caches, the free side: parking a freed block of order 0-4
 * on this CPU's cache (pcp_free, pcp_free_block), and giving pages back to
 * the zone when a cache passes `high` (pcp_free_bulk) or is emptied
 * (pcp_drain_local). The rules that keep the reserve, and why a parked
 * frame's state byte is claimed with a compare-and-swap, are in
 * docs/05-smp-and-per-cpu-lists.md; which list a drain takes from is in
 * docs/08c-per-cpu-caches.md, "Which list to drain". mm/pcp.c takes
 * frames from the caches.
 */
#include "mm/internal.h"
#include "mm/pcp.h"
#include "mm/debug_pagealloc.h"
#include "mm/page_owner.h"
#include "mm/vmscan.h"
#include "mm/platform.h"

/* Gives up to n single frames of `type` back to the buddy lists, the
 * coldest (the bottom of the slots) first; returns how many. Zone lock
 * held, interrupts off, on the cache's CPU. */
static unsigned int drain_frames_locked(struct pglist_data *p, struct zone *z,
					struct per_cpu_pages *pcp, int type,
					unsigned int n)
{
	lockdep_assert_held(&z->lock);
	/* LAB pcp: begin drain */
	unsigned int k = pcp->nr[type] < n ? pcp->nr[type] : n;
	for (unsigned int i = 0; i < k; i++) {
		uint64_t pfn = slot_pfn(pcp, pcp->slots[type][i]);
		struct mem_section *sec = pfn_to_section(p, pfn);
		/* Never PFS_ALLOC in between: a stray free elsewhere must
		 * not be able to claim the frame on its way back. */
		sec->frame_state[pfn - sec->first_pfn] = PFS_TAIL;
		__free_one_page(p, z, sec, pfn, 0);
	}
	pcp->nr[type] = (uint16_t)(pcp->nr[type] - k);
	memmove(pcp->slots[type], pcp->slots[type] + k,
		pcp->nr[type] * sizeof(pcp->slots[type][0]));
	pcp_count_set(pcp, pcp->count - k);
	return k;
	/* LAB pcp: end drain */
}

/* The list (order and type) that holds the most pages; ties go to the
 * bigger blocks. false if the cache is empty. */
static bool fullest_list(const struct per_cpu_pages *pcp, unsigned int *order,
			 int *type)
{
	unsigned int most = 0;
	for (unsigned int o = PCP_MAX_ORDER + 1; o-- > 0;)
		for (int t = 0; t < MIGRATE_PCPTYPES; t++) {
			unsigned int pages =
			    o ? (unsigned int)pcp->hnr[o - 1][t] << o
			      : pcp->nr[t];
			if (pages > most)
				most = pages, *order = o, *type = t;
		}
	return most != 0;
}

/* Gives up to n pages (at least n if there are) from the caches back to
 * the buddy lists, from the list that holds the most pages first. A list
 * about to run dry is the one a drain should spare: the next request of
 * its order would refill it at once. Draining blocks first, as this did
 * before, emptied the order-3 list whenever single frames piled up, and
 * the random 0..4 workload took the zone lock several times as often
 * (docs/08c, "Which list to drain"). The caller runs on the cache's CPU
 * with interrupts off. Out of line and cold: the free fast path calls it
 * once per `batch` frees at most. */
__attribute__((cold, noinline)) void pcp_free_bulk(struct pglist_data *p,
						   struct zone *z,
						   struct per_cpu_pages *pcp,
						   unsigned int n)
{
	unsigned int order = 0;
	int type = 0;
	lockdep_assert_irqs_disabled();
	spin_lock(&z->lock);
	while (n && fullest_list(pcp, &order, &type)) {
		unsigned int given =
		    order ? pcp_drain_blocks_locked(p, z, pcp, order, type, n)
			  : drain_frames_locked(p, z, pcp, type, n);
		/* A list that holds pages but gives none (the pcp lab's
		 * skeleton drain) would be picked again for ever. */
		if (!given)
			break;
		n = given >= n ? 0 : n - given;
	}
	pcp->drains++;
	bool wake = p->free_waiters; /* under the lock: mm/vmscan.h */
	spin_unlock(&z->lock);
	if (wake)
		mm_wake_free_waiters(p);
}

/* The end of a per-CPU free, when poison or page_owner is on or the cache
 * is over `high`: out of line, it also turns interrupts back on. Only this
 * CPU takes from its cache, so poisoning the block after parking it is
 * safe. The drain brings the cache back to high at least. */
static __attribute__((cold, noinline)) int
pcp_free_finish(struct pglist_data *p, struct zone *z,
		struct per_cpu_pages *pcp, uint64_t pfn, unsigned int order,
		unsigned long flags)
{
	if (p->page_poison)
		memset(pgdat_phys_to_virt(p, pfn << PAGE_SHIFT), PAGE_POISON,
		       PAGE_SIZE << order);
	reset_page_owner(p, pfn, order);
	if (pcp->count > pcp->high) {
		unsigned int over = pcp->count - pcp->high;
		pcp_free_bulk(p, z, pcp, over > pcp->batch ? over : pcp->batch);
		/* What keeps every type's slots from overflowing. */
		WARN_ON_ONCE(pcp->count > pcp->high);
	}
	local_irq_restore(flags);
	return 0;
}

/* A thread the host has not numbered yet (mm/platform.h), or a CPU past
 * those the caches were sized for: interrupts back as flags had them,
 * number it, and free again or take the locked path. Out of line: the
 * call would cost the free registers. */
static __attribute__((cold, noinline)) int
pcp_free_unnumbered(struct pglist_data *p, uint64_t phys, unsigned int order,
		    void *caller, unsigned long flags)
{
	local_irq_restore(flags);
	if (mm_this_cpu() < p->pcp_nr_cpus) /* numbered now: no loop */
		return order ? pcp_free_block(p, phys, order, caller)
			     : pcp_free(p, phys, caller);
	return free_pages_locked(p, phys, order, caller);
}

/* A block the cache does not take: interrupts back as flags had them, then
 * the locked path, which checks and reports. */
static __attribute__((cold, noinline)) int
pcp_free_refused(struct pglist_data *p, uint64_t phys, unsigned int order,
		 void *caller, unsigned long flags)
{
	local_irq_restore(flags);
	return free_pages_locked(p, phys, order, caller);
}

/*
 * The per-CPU free of a block of `order` (0 .. PCP_MAX_ORDER), in three
 * copies: order 0 with every debug option off (the fast path, order and
 * debug constants), blocks of orders 1-4 with them off, and any order with
 * one on (out of line). The block's section is found before interrupts go
 * off (sections never change); its pageblock's type is read with them
 * off, so that an isolation's drain (an IPI) cannot slip between reading
 * it and parking.
 */
static inline __attribute__((always_inline)) int
pcp_free_one(struct pglist_data *p, uint64_t phys, unsigned int order,
	     void *caller, bool debug)
{
	uint64_t pfn = phys >> PAGE_SHIFT;
	unsigned long flags;

	/* With debug_pagealloc every freed block must leave the direct map
	 * at once, which the buddy path does: park nothing. */
	if (debug && debug_pagealloc_on(p))
		goto locked;
	struct zone *z = pfn_to_zone(p, pfn);
	struct per_cpu_pages *caches = z->pcp;
	/* A zone too small for caches, or one that caches no blocks of this
	 * order (batch is the same on every CPU). */
	if (__builtin_expect(!caches, 0) ||
	    (order && !pcp_caches_order(&caches[0], order)))
		goto locked;
	/* The direct map (the lists are on: it exists). Unsigned tests: a
	 * pfn below the map or below the section wraps past their ends. */
	if (__builtin_expect((pfn >> PFN_SECTION_SHIFT) -
				     p->section_map_first >=
				 p->section_map_nr,
			     0))
		goto locked;
	struct mem_section *sec = pfn_to_section_mapped(p, pfn);
	/* The whole block in its section (cached blocks never cross
	 * one): its head byte says what the frames are. */
	if (__builtin_expect(!sec || pfn - sec->first_pfn >= sec->nr_frames ||
				 (order &&
				  sec->nr_frames - (pfn - sec->first_pfn) <
				      (1ULL << order)),
			     0))
		goto locked;
	uint8_t *st = &sec->frame_state[pfn - sec->first_pfn];
	local_irq_save(flags);
	unsigned int cpu = mm_this_cpu_numbered(); /* interrupts off */
	if (__builtin_expect(cpu >= p->pcp_nr_cpus, 0))
		return pcp_free_unnumbered(p, phys, order, caller, flags);
	struct per_cpu_pages *pcp = &caches[cpu];
	/* To the cache of its pageblock's type; highatomic and isolated
	 * pageblocks take their blocks back at once. When the zone is below
	 * `low`, a parked block would be memory that an interrupt on another
	 * CPU cannot reach (it may only drain its own cache): give it
	 * straight back to the zone. So too while a request sleeps waiting
	 * for memory: only a zone free wakes it. (A branch each: never
	 * taken, they cost less than combining them, which needs registers.) */
	unsigned int type = (unsigned int)pageblock_migratetype(sec, pfn);
	if (__builtin_expect(type >= MIGRATE_PCPTYPES, 0) ||
	    __builtin_expect(__atomic_load_n(&z->free_pages, __ATOMIC_RELAXED) <
				 z->watermark[WMARK_LOW],
			     0) ||
	    __builtin_expect(__atomic_load_n(&p->free_waiters,
					     __ATOMIC_RELAXED),
			     0))
		goto refuse;
	/* A block's slots may be full: single frames' never are (below). */
	if (order && pcp->hnr[order - 1][type] >= PCP_HSLOTS)
		goto refuse;
	/* Only a block its owner holds, at its head, of this order, can be
	 * parked, and the state byte is claimed with a compare-and-swap: of
	 * two CPUs freeing the same block at once, one wins and the other
	 * takes the locked path, which reports a double free (so does a
	 * wrong order, or a tail). */
	uint8_t expected = (uint8_t)(PFS_ALLOC | order);
	if (!__atomic_compare_exchange_n(st, &expected,
					 (uint8_t)(PFS_PCP | order), false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		goto refuse;
	/* A free slot for a single frame: after every free the count is at
	 * most high (the drain takes what is over it), and a type's slots
	 * grow between frees only when empty, by a batch or a group:
	 * nr[type] <= max(high, batch, group) < PCP_SLOTS (docs/05, "Frame
	 * numbers, not links"). */
	if (order == 0) {
		unsigned int n = pcp->nr[type];
		pcp->slots[type][n] = pfn_slot(pcp, pfn);
		pcp->nr[type] = (uint16_t)(n + 1);
	} else {
		unsigned int n = pcp->hnr[order - 1][type];
		pcp->hslots[order - 1][type][n] = pfn_slot(pcp, pfn);
		pcp->hnr[order - 1][type] = (uint16_t)(n + 1);
	}
	unsigned int count = pcp->count + (1u << order);
	pcp_count_set(pcp, count);
	if (__builtin_expect(debug || count > pcp->high, 0))
		return pcp_free_finish(p, z, pcp, pfn, order, flags);
	if (local_irq_restore_nocall(flags))
		return (int)pcp_replay_then(0);
	return 0;
refuse:
	return pcp_free_refused(p, phys, order, caller, flags);
locked:
	return free_pages_locked(p, phys, order, caller);
}

/* Any debug option on: poison, page_owner, debug_pagealloc, as they ask. */
static __attribute__((cold, noinline)) int pcp_free_debug(struct pglist_data *p,
							  uint64_t phys,
							  unsigned int order,
							  void *caller)
{
	return pcp_free_one(p, phys, order, caller, true);
}

int pcp_free(struct pglist_data *p, uint64_t phys, void *caller)
{
	if (__builtin_expect(mm_debug_hooks_on(p) != 0, 0))
		return pcp_free_debug(p, phys, 0, caller);
	return pcp_free_one(p, phys, 0, caller, false);
}

int pcp_free_block(struct pglist_data *p, uint64_t phys, unsigned int order,
		   void *caller)
{
	/* Blocks only, as pcp_alloc_block_fast. */
	if (__builtin_expect(order - 1u >= PCP_MAX_ORDER, 0))
		return free_pages_caller(p, phys, order, caller);
	if (__builtin_expect(mm_debug_hooks_on(p) != 0, 0))
		return pcp_free_debug(p, phys, order, caller);
	return pcp_free_one(p, phys, order, caller, false);
}

unsigned int pcp_drain_local_some(struct pglist_data *p, unsigned int max)
{
	unsigned int cpu = mm_this_cpu(), left = 0;
	lockdep_assert_irqs_disabled();
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		struct per_cpu_pages *pcp = zone_pcp(z, cpu);
		if (!pcp || !pcp->count)
			continue;
		if (max) {
			unsigned int before = pcp->count;
			pcp_free_bulk(p, z, pcp, before < max ? before : max);
			/* A block is given whole: count what went. */
			unsigned int given = before - pcp->count;
			max = given >= max ? 0 : max - given;
		}
		left += pcp->count;
	}
	return left;
}

void pcp_drain_local_timed(struct pglist_data *p,
			   void (*note)(struct pglist_data *p, uint64_t ns))
{
	unsigned long flags;
	unsigned int left, rounds = 0, most = 0;
	if (!p->pcp_enabled)
		return;
	/* Interrupts come back on between chunks (where they were on);
	 * pages an interrupt parks meanwhile count toward no more than
	 * twice the rounds the first count needed. A stretch is timed
	 * inside, where no interrupt or preemption can land. */
	do {
		uint64_t t0 = 0, held = 0;
		local_irq_save(flags);
		if (note)
			t0 = mm_now_ns();
		left = pcp_drain_local_some(p, PCP_DRAIN_CHUNK);
		if (note)
			held = mm_now_ns() - t0;
		local_irq_restore(flags);
		if (note)
			note(p, held);
		if (!rounds++)
			most = 2 * (left / PCP_DRAIN_CHUNK + 1);
	} while (left && rounds <= most);
}

void pcp_drain_local(struct pglist_data *p)
{
	pcp_drain_local_timed(p, NULL);
}
