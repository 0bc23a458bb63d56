/*
 * The reference model of tests/fuzz/fuzz_alloc.c (see fuzz_alloc_model.h):
 * a byte per page saying who holds it, and the checks each result must
 * pass. The floors are written out here from the rules of chapter 06
 * rather than taken from mm/, so that a wrong floor in the allocator
 * disagrees with the model instead of agreeing with itself.
 * docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the allocator").
 */
#include "tests/fuzz/fuzz_alloc_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/pcp.h"

struct fz_model fz;

void fz_fail(const char *what, uint64_t a, uint64_t b)
{
	fprintf(stderr, "fuzz_alloc: %s (0x%llx 0x%llx)\n", what,
		(unsigned long long)a, (unsigned long long)b);
	abort();
}

void fz_reset(struct mm_test_node *tn, uint64_t dma, uint64_t dma32)
{
	fz.tn = tn;
	fz.pg = &tn->pgdat;
	fz.taken_dirty = 0;
	fz.bytes = tn->bytes;
	fz.dma = dma;
	fz.dma32 = dma32;
	fz.managed = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		fz.managed += fz.pg->node_zones[z].managed_pages;
	fz.nheld = 0;
	fz.taken = 0;
	fz.pool = NULL;
	memset(fz.owner, FZ_FREE, fz.bytes >> 12);
	memset(fz.dirty, 0, fz.bytes >> 12);
	/* The allocator's own pages: never handed out, never scribbled. */
	memset(&fz.owner[fz.pg->metadata_start - (tn->phys_base >> 12)],
	       FZ_META, fz.pg->metadata_pages);
}

void fz_note_pcp_storage(void)
{
	uint64_t first = fz.tn->phys_base >> 12;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &fz.pg->node_zones[z];
		if (!zone->pcp)
			continue;
		uint64_t k =
		    (pgdat_virt_to_phys(fz.pg, zone->pcp) >> 12) - first;
		uint64_t pages = fz.pg->pcp_nr_cpus *
				 (sizeof(struct per_cpu_pages) / PAGE_SIZE);
		memset(&fz.owner[k], FZ_META, pages);
		fz.managed -= pages;
	}
}

uint64_t fz_node_free(void)
{
	uint64_t n = fz.pg->pcp_enabled ? pcp_parked_pages(fz.pg) : 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += fz.pg->node_zones[z].free_pages;
	return n;
}

void fz_check_counts(void)
{
	if (fz_node_free() + fz.taken != fz.managed)
		fz_fail("free + parked + taken != managed", fz_node_free(),
			fz.managed - fz.taken);
	for (int z = 0; fz.pg->pcp_enabled && z < MAX_NR_ZONES; z++) {
		const struct per_cpu_pages *pcp =
		    zone_pcp(&fz.pg->node_zones[z], 0);
		if (!pcp)
			continue;
		/* A free never leaves more than high; a refill of an empty
		 * list (a type, and an order up to PCP_MAX_ORDER) adds a
		 * batch, or one block, or a group of PCP_GROUP_PAGES where
		 * the cache takes groups, without looking (as Linux), so
		 * with the other lists full the count may pass high by that
		 * much for each of them. */
		unsigned int step = pcp->batch > (1u << PCP_MAX_ORDER)
					? pcp->batch
					: 1u << PCP_MAX_ORDER;
		if (pcp->group_refill && step < PCP_GROUP_PAGES)
			step = PCP_GROUP_PAGES;
		if (pcp->count >
		    pcp->high +
			(MIGRATE_PCPTYPES * (PCP_MAX_ORDER + 1) - 1) * step)
			fz_fail("a per-CPU list is above its high mark",
				pcp->count, pcp->high);
	}
}

int fz_highest(gfp_t gfp)
{
	return gfp & __GFP_DMA	   ? ZONE_DMA
	       : gfp & __GFP_DMA32 ? ZONE_DMA32
				   : ZONE_NORMAL;
}

uint64_t fz_floor(gfp_t gfp, int zi, int highest)
{
	const struct zone *z = &fz.pg->node_zones[zi];
	if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC))
		return 0;
	uint64_t m = z->watermark[WMARK_MIN];
	if (gfp & __GFP_HIGH) {
		m -= m / 2;
		if (!(gfp & __GFP_DIRECT_RECLAIM))
			m -= m / 4;
	}
	return m + z->lowmem_reserve[highest];
}

static int zone_of(uint64_t off)
{
	return off < fz.dma	? ZONE_DMA
	       : off < fz.dma32 ? ZONE_DMA32
				: ZONE_NORMAL;
}

unsigned int fz_check_block(uint64_t p, unsigned int order, gfp_t gfp)
{
	uint64_t size = 4096ULL << order, base = fz.tn->phys_base;
	if (p % size)
		fz_fail("block not naturally aligned", p, order);
	if (p < base || p + size > base + fz.bytes)
		fz_fail("block outside the arena", p, order);
	uint64_t off = p - base;
	int zi = zone_of(off), highest = fz_highest(gfp);
	if (zi > highest || zone_of(off + size - 1) != zi)
		fz_fail("block outside the zones the flags allow", p, gfp);
	const struct zone *z = &fz.pg->node_zones[zi];
	if (z->free_pages < fz_floor(gfp, zi, highest))
		fz_fail("a request left its zone below its floor",
			z->free_pages, fz_floor(gfp, zi, highest));
	unsigned int dirty = 0;
	for (uint64_t k = 0; k < (1ULL << order); k++) {
		if (fz.owner[(off >> 12) + k] != FZ_FREE)
			fz_fail("block overlaps one already handed out", p,
				p + (k << 12));
		dirty |= fz.dirty[(off >> 12) + k];
		fz.dirty[(off >> 12) + k] = 0;
	}
	const uint8_t *v = (const uint8_t *)fz.tn->arena + off;
	if (gfp & __GFP_ZERO)
		for (uint64_t k = 0; k < size; k += 97)
			if (v[k])
				fz_fail("__GFP_ZERO block not zero", p, k);
	return dirty;
}

void fz_check_failure(gfp_t gfp, unsigned int order)
{
	int highest = fz_highest(gfp);
	if (fz.pg->pcp_enabled && pcp_parked_pages(fz.pg))
		fz_fail("a failed request left frames parked on a list",
			pcp_parked_pages(fz.pg), order);
	for (int zi = 0; zi <= highest; zi++) {
		const struct zone *z = &fz.pg->node_zones[zi];
		uint64_t need = (1ULL << order) - 1;
		if (z->free_pages <= need ||
		    z->free_pages - need <= fz_floor(gfp, zi, highest))
			continue;
		for (unsigned int o = order; o <= MAX_ORDER; o++)
			if (z->free_area[o].nr_free)
				fz_fail("a request failed though a zone could serve it",
					(uint64_t)zi << 32 | order, gfp);
	}
}

void fz_take_free(uint64_t phys, uint64_t pages)
{
	uint64_t first = (phys - fz.tn->phys_base) >> 12;
	for (uint64_t k = first; k < first + pages; k++) {
		fz.taken_dirty += fz.dirty[k];
		fz.dirty[k] = 0;
	}
}

void fz_mark(uint64_t phys, uint64_t pages, uint8_t owner)
{
	uint64_t first = (phys - fz.tn->phys_base) >> 12;
	for (uint64_t k = first; k < first + pages; k++) {
		if ((fz.owner[k] == FZ_FREE) != (owner == FZ_FREE))
			fz.taken += owner == FZ_FREE ? -1ULL : 1ULL;
		fz.owner[k] = owner;
	}
}

void fz_hold(uint64_t phys, uint32_t pages, unsigned int order, int kind)
{
	fz_mark(phys, pages, FZ_OURS);
	if (fz.nheld == FZ_MAX_HELD)
		fz_fail("model full", phys, pages); /* callers check first */
	fz.held[fz.nheld++] = (struct fz_held){
		phys, pages, (uint8_t)order, (uint8_t)kind, 0, 0
	};
}

void fz_unhold(unsigned int idx)
{
	fz.held[idx] = fz.held[--fz.nheld];
}

void *fz_virt(uint64_t phys)
{
	return (uint8_t *)fz.tn->arena + (phys - fz.tn->phys_base);
}

void fz_snap(struct fz_snap *s)
{
	s->free = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		s->free += fz.pg->node_zones[z].free_pages;
	s->parked = fz.pg->pcp_enabled ? pcp_parked_pages(fz.pg) : 0;
	mm_test_snapshot(fz.pg, s->counts);
}

void fz_same(const struct fz_snap *s, const char *what, uint64_t a)
{
	struct fz_snap now;
	fz_snap(&now);
	if (now.free != s->free || now.parked != s->parked ||
	    !mm_test_snapshot_equal(fz.pg,
				    (uint64_t(*)[NR_PAGE_ORDERS])s->counts))
		fz_fail(what, a, now.free);
}
