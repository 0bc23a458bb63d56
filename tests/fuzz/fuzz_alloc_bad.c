/*
 * The operations of tests/fuzz/fuzz_alloc.c that must be refused or
 * reported, each checked to change nothing (or, for the scribble, to be
 * reported when the page is reused). docs/07b-soak-stress-and-fuzzing.md
 * ("Fuzzing the allocator").
 */
#include "tests/fuzz/fuzz_alloc_bad.h"

#include "mm/fault_inject.h"
#include "mm/internal.h"
#include "mm/migrate.h"
#include "tests/fuzz/fuzz_alloc_model.h"

void fz_bad_free(unsigned int kind, unsigned int idx)
{
	uint64_t p = fz.tn->phys_base + fz.bytes + 4096; /* outside */
	unsigned int order = 0;
	if (fz.nheld) {
		struct fz_held *h = &fz.held[idx % fz.nheld];
		/* A pool element freed twice may sit in the reserve, still
		 * allocated: only the pool can tell (do_pool_bad_free). */
		if (h->kind == FZ_ELEMENT && kind % 4 == 2)
			kind = 3;
		switch (kind % 4) {
		case 0: /* wrong order */
			p = h->phys;
			order = h->kind == FZ_EXACT	? 1
				: h->order == MAX_ORDER ? 0
							: h->order + 1;
			break;
		case 1: /* a tail page of a held block, or unaligned */
			p = h->phys +
			    (h->order && h->kind != FZ_EXACT ? 4096 : 16);
			order = h->order;
			break;
		case 2: /* double free: free it, then again */
			p = h->phys;
			order = h->kind == FZ_EXACT ? 0 : h->order;
			if (h->kind == FZ_EXACT && h->pages > 1)
				p += (uint64_t)(h->pages - 1) << 12;
			fz_free_held(idx % fz.nheld, 1);
			break;
		}
	}
	struct fz_snap before;
	fz_snap(&before);
	if (pgdat_free_pages(fz.pg, p, order) == 0)
		fz_fail("a bad free was accepted", p, order);
	fz_same(&before, "a refused free changed the node", p);
}

/* Frees a pool cannot accept must be refused and change nothing. */
void fz_pool_bad_free(unsigned int kind, unsigned int idx)
{
	mempool_t *pool = fz.pool;
	void *e = NULL;
	if (!pool)
		return;
	const struct fz_held *h = fz.nheld ? &fz.held[idx % fz.nheld] : NULL;
	switch (kind % 4) {
	case 0: /* an element in the reserve: a double free */
		if (pool->curr_nr)
			e = pool->elements[idx % (unsigned int)pool->curr_nr];
		break;
	case 1: /* inside a block, not its start */
		if (h)
			e = (uint8_t *)fz_virt(h->phys) + 16;
		break;
	case 2: /* someone else's block: another order, or none out */
		if (h && h->kind != FZ_ELEMENT &&
		    ((h->kind == FZ_EXACT ? 0 : h->order) != fz.pool_order ||
		     !pool->out))
			e = fz_virt(h->phys);
		break;
	case 3: /* a free page */
		for (uint64_t n = fz.bytes >> 12, k = idx % n, i = 0; i < n;
		     i++, k = (k + 1) % n)
			if (fz.owner[k] == FZ_FREE) {
				e = fz_virt(fz.tn->phys_base + (k << 12));
				break;
			}
		break;
	}
	if (!e)
		return;
	int curr = pool->curr_nr;
	uint64_t out = pool->out, bad = pool->stats.bad_frees;
	struct fz_snap before;
	fz_snap(&before);
	mempool_free(e, pool);
	if (pool->curr_nr != curr || pool->out != out ||
	    pool->stats.bad_frees != bad + 1)
		fz_fail("mempool took a free it must refuse", kind % 4,
			(uint64_t)pool->curr_nr);
	fz_same(&before, "a refused mempool free changed the node", kind);
}

/* A use after free: page_poison must report it when the page is reused. */
void fz_scribble(unsigned int a, unsigned int b)
{
	uint64_t n = fz.bytes >> 12, k = (a | b << 8) % n;
	if (!fz.pg->page_poison)
		return;
	for (uint64_t i = 0; i < n && fz.owner[k] != FZ_FREE; i++)
		k = (k + 1) % n;
	if (fz.owner[k] != FZ_FREE)
		return;
	/* Not on the list links a free block keeps in its first page
	 * (block_link_offset: a line of 64 bytes, the links its first 16). */
	uint64_t at = 2048 + (b % 128) * 16,
		 links = block_link_offset((fz.tn->phys_base >> 12) + k);
	if (at >= links && at < links + 16)
		at += 16;
	((uint8_t *)fz.tn->arena)[(k << 12) + at] = (uint8_t)~PAGE_POISON;
	fz.dirty[k] = 1;
}

/* Calls the API must refuse: nothing allocated, nothing freed. */
void fz_bad_call(unsigned int a, unsigned int b)
{
	uint64_t array[2] = { 0, 0 };
	struct fz_snap before;
	fz_snap(&before);
	switch (a % 7) {
	case 0: /* contradictory zones */
		if (pgdat_alloc_pages(fz.pg,
				      GFP_ATOMIC | __GFP_DMA | __GFP_DMA32,
				      b % 4))
			fz_fail("__GFP_DMA|__GFP_DMA32 was served", b, 0);
		break;
	case 1: /* order above MAX_ORDER */
		if (pgdat_alloc_pages(fz.pg, GFP_ATOMIC, MAX_ORDER + 1 + b % 8))
			fz_fail("an order above MAX_ORDER was served", b, 0);
		break;
	case 2: /* no array, nothing asked, __GFP_NOFAIL */
		if ((b & 1 ? pgdat_alloc_pages_bulk(fz.pg, GFP_ATOMIC, 0, array,
						    NULL)
			   : pgdat_alloc_pages_bulk(fz.pg, GFP_ATOMIC, 1, NULL,
						    NULL)) ||
		    pgdat_alloc_pages_bulk(fz.pg, GFP_KERNEL | __GFP_NOFAIL, 2,
					   array, NULL) ||
		    array[0] || array[1])
			fz_fail("a bad alloc_pages_bulk took pages", b, 0);
		break;
	case 3: /* sizes alloc_pages_exact cannot give */
		if (pgdat_alloc_pages_exact(fz.pg,
					    b & 1 ? 0 : (4ULL << 20) + 1 + b,
					    GFP_ATOMIC, NULL))
			fz_fail("a bad alloc_pages_exact was served", b, 0);
		break;
	case 4:
		if (!pgdat_free_pages_exact(fz.pg, fz.tn->phys_base,
					    b & 1 ? 0 : (4ULL << 20) + 4096,
					    NULL))
			fz_fail("a bad free_pages_exact was accepted", b, 0);
		break;
	case 5: /* a free page freed as an exact run */
		for (uint64_t k = b; k < fz.bytes >> 12; k++)
			if (fz.owner[k] == FZ_FREE) {
				if (!pgdat_free_pages_exact(fz.pg,
							    fz.tn->phys_base +
								(k << 12),
							    4096, NULL))
					fz_fail("free_pages_exact of a free page accepted",
						k, 0);
				break;
			}
		break;
	case 6: /* a free frame handed to migration */
		for (uint64_t k = b; k < fz.bytes >> 12; k++)
			if (fz.owner[k] == FZ_FREE) {
				struct migrate_list l = { .nr = 1 };
				uint64_t refused =
				    fz.pg->migrate.pgmigrate_refused;
				l.pfn[0] = (fz.tn->phys_base >> 12) + k;
				if (migrate_pages(fz.pg, &l, NULL, NULL, NULL,
						  MR_SYSCALL, NULL) != 1 ||
				    fz.pg->migrate.pgmigrate_refused !=
					refused + 1)
					fz_fail("a free frame was not refused by migrate_pages",
						k, 0);
				break;
			}
		break;
	}
	fz_same(&before, "a refused call changed the node", a % 7);
}
