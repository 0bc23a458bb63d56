/*
 * A GFP_ATOMIC churn in line (tests/support/atomic_ring.h).
 * docs/10b-compaction-measured.md ("The worst case").
 */
#include "tests/support/atomic_ring.h"

#include "mm/page_alloc.h"

static void give_back(struct atomic_ring *r, struct pglist_data *p,
		      unsigned int i)
{
	if (!r->phys[i])
		return;
	const uint64_t *w = pgdat_phys_to_virt(p, r->phys[i]);
	r->bad += w[0] != r->phys[i];
	pgdat_free_pages(p, r->phys[i], r->order[i]);
	r->phys[i] = 0;
}

void atomic_ring_step(struct atomic_ring *r, struct pglist_data *p)
{
	unsigned int i = r->next++ % ATOMIC_RING, o = r->next % 3;
	give_back(r, p, i);
	r->phys[i] = pgdat_alloc_pages(p, GFP_ATOMIC | __GFP_NOWARN, o);
	r->order[i] = o;
	r->allocs++;
	if (!r->phys[i]) {
		r->failed++;
		return;
	}
	*(uint64_t *)pgdat_phys_to_virt(p, r->phys[i]) = r->phys[i];
}

void atomic_ring_empty(struct atomic_ring *r, struct pglist_data *p)
{
	for (unsigned int i = 0; i < ATOMIC_RING; i++)
		give_back(r, p, i);
}
