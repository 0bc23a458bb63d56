/*
 * The fuzzer's movable owner and its migration step
 * (tests/fuzz/fuzz_alloc_migrate.h). Isolation must take exactly the held
 * __GFP_MOVABLE blocks, a move must keep the content and repoint the
 * model's record, the old frame must come back to the node and the new one
 * be a good block; busy pages and missing frames are put back and counted.
 * docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the allocator").
 */
#include <string.h>

#include "mm/migrate.h"
#include "tests/fuzz/fuzz_alloc_migrate.h"
#include "tests/fuzz/fuzz_alloc_model.h"

#define NEW_GFP (GFP_KERNEL | __GFP_MOVABLE | __GFP_NOWARN)

static struct movable_owner mover;
static uint64_t busy_pfn;   /* its move fails (an owner's "in use now") */
static bool no_frames;	    /* get_new_page says 0 */
static unsigned int dirty;  /* scribbled frames handed out as new ones */
static unsigned int denied; /* get_new_page calls that got nothing */
static bool busy_had_frame; /* so the busy page's move was tried */
/* Every move and putback of the owner's pages, also those of migrations
 * started inside this one (an allocation of a new frame may compact). */
static uint64_t owner_isolated, owner_moved, owner_put_back;
/* The new frame get_new_page gave last, until a move into it or its
 * return: a move into any other frame is a compaction's, started inside
 * get_new_page. Which held blocks the step's own migrate_pages moved: a
 * compaction may move one of them again later in the step, even back to
 * its old frame. */
static uint64_t handed_out;
static bool moved_by_step[FZ_MAX_HELD];

/* The held block at pfn that the owner may move, or -1. */
static int held_at(uint64_t pfn)
{
	for (unsigned int i = 0; i < fz.nheld; i++)
		if (fz.held[i].kind == FZ_PAGES && fz.held[i].movable &&
		    fz.held[i].phys == pfn << 12)
			return (int)i;
	return -1;
}

static bool fzm_isolate(struct movable_owner *o, uint64_t pfn)
{
	(void)o;
	int i = held_at(pfn);
	if (i < 0 || fz.held[i].isolated)
		return false;
	fz.held[i].isolated = 1;
	owner_isolated++;
	return true;
}

static int fzm_migrate(struct movable_owner *o, uint64_t dst, uint64_t src)
{
	(void)o;
	int i = held_at(src);
	if (i < 0 || !fz.held[i].isolated)
		fz_fail("migrate_page of a block not isolated", src, dst);
	/* A frame compaction took itself, not through new_frame: handed out
	 * (page_poison checked it), whether or not the move happens. */
	uint64_t k = (dst << 12) - fz.tn->phys_base;
	bool took = fz.owner[k >> 12] == FZ_FREE;
	if (took)
		fz_take_free(dst << 12, 1ULL << fz.held[i].order);
	if (src == busy_pfn)
		return -1;
	memcpy(fz_virt(dst << 12), fz_virt(src << 12),
	       4096ULL << fz.held[i].order);
	fz.held[i].phys = dst << 12;
	fz.held[i].isolated = 0;
	owner_moved++;
	if (dst == handed_out) {
		moved_by_step[i] = true;
		handed_out = 0;
	}
	if (took) /* ours now */
		fz_mark(dst << 12, 1ULL << fz.held[i].order, FZ_OURS);
	/* migrate_pages frees src as soon as this returns: the next page's
	 * new frame may be this one. */
	fz_mark(src << 12, 1ULL << fz.held[i].order, FZ_FREE);
	return 0;
}

static void fzm_putback(struct movable_owner *o, uint64_t pfn)
{
	(void)o;
	int i = held_at(pfn);
	if (i < 0 || !fz.held[i].isolated)
		fz_fail("putback of a block not isolated", pfn, i);
	fz.held[i].isolated = 0;
	owner_put_back++;
}

static const struct movable_operations fzm_ops = {
	.name = "fuzz_alloc",
	.isolate_page = fzm_isolate,
	.migrate_page = fzm_migrate,
	.putback_page = fzm_putback,
};

void fz_migrate_setup(void)
{
	mover.ops = &fzm_ops;
	busy_pfn = 0; /* nothing of the last input's stays busy */
	owner_isolated = owner_moved = owner_put_back = 0;
	if (movable_owner_register(fz.pg, &mover))
		fz_fail("the fuzzer's owner was refused", 0, 0);
}

void fz_migrate_teardown(void)
{
	movable_owner_unregister(&mover);
}

void fz_owner_counts(struct fz_owner_counts *c)
{
	*c = (struct fz_owner_counts){ owner_isolated, owner_moved,
				       owner_put_back };
}

void fz_owner_busy(uint64_t pfn)
{
	busy_pfn = pfn;
}

static uint64_t new_frame(void *private, uint64_t src, unsigned int order)
{
	(void)private;
	uint64_t p = no_frames ? 0 : pgdat_alloc_pages(fz.pg, NEW_GFP, order);
	if (!p) {
		denied++;
		return 0;
	}
	busy_had_frame |= src == busy_pfn;
	handed_out = p >> 12;
	dirty += fz_check_block(p, order, NEW_GFP);
	fz_mark(p, 1ULL << order, FZ_OURS);
	return p >> 12;
}

static void put_frame(void *private, uint64_t pfn, unsigned int order)
{
	(void)private;
	if (pfn == handed_out)
		handed_out = 0;
	if (pgdat_free_pages(fz.pg, pfn << 12, order))
		fz_fail("a new frame given back was refused", pfn, order);
	fz_mark(pfn << 12, 1ULL << order, FZ_FREE);
}

static uint64_t checksum(uint64_t phys, unsigned int order)
{
	const uint64_t *w = fz_virt(phys);
	uint64_t sum = 0;
	for (uint64_t k = 0; k < (512ULL << order); k++)
		sum = (sum ^ w[k]) * 0x100000001b3ULL;
	return sum;
}

void fz_migrate(unsigned int a, unsigned int b)
{
	struct migrate_list l;
	unsigned int idx[MIGRATE_BATCH_MAX], want = 1 + (a >> 1) % 8;
	uint64_t old[MIGRATE_BATCH_MAX], sum[MIGRATE_BATCH_MAX];
	const struct migrate_stats before = fz.pg->migrate;
	uint64_t moved0 = owner_moved, put_back0 = owner_put_back;
	uint64_t poison = fz.pg->poison_errors, taken = fz.taken_dirty;

	migrate_list_init(&l);
	for (unsigned int k = 0; k < fz.nheld && l.nr < want; k++) {
		unsigned int i = (b + k) % fz.nheld;
		struct fz_held *h = &fz.held[i];
		bool movable = h->kind == FZ_PAGES && h->movable;
		if (migrate_list_isolate(fz.pg, &l, h->phys >> 12) != movable)
			fz_fail("isolation disagrees with the model", h->phys,
				movable);
		if (!movable)
			continue;
		if (l.order[l.nr - 1] != h->order)
			fz_fail("isolated with the wrong order", h->phys,
				l.order[l.nr - 1]);
		idx[l.nr - 1] = i;
		old[l.nr - 1] = h->phys;
		sum[l.nr - 1] = checksum(h->phys, h->order);
	}
	unsigned int n = l.nr, moved;
	busy_pfn = n && (a & 1) ? old[0] >> 12 : 0;
	no_frames = (a & 0x30) == 0x30;
	dirty = denied = 0;
	busy_had_frame = false;
	handed_out = 0;
	memset(moved_by_step, 0, sizeof(moved_by_step));
	int failed = migrate_pages(fz.pg, &l, new_frame, put_frame, NULL,
				   MR_COMPACTION, &moved);
	if (l.nr || (unsigned int)failed + moved != n)
		fz_fail("migrate_pages lost count of its list", n, moved);
	/* A page fails for want of a frame, or because it is busy. */
	if ((unsigned int)failed != denied + busy_had_frame)
		fz_fail("pages failed without a reason", failed, denied);
	if (owner_moved - moved0 < moved ||
	    owner_put_back - put_back0 < (unsigned int)failed ||
	    fz.pg->migrate.pgmigrate_success - before.pgmigrate_success !=
		owner_moved - moved0 ||
	    fz.pg->migrate.pgmigrate_fail - before.pgmigrate_fail !=
		owner_put_back - put_back0 ||
	    fz.pg->migrate.pgmigrate_refused != before.pgmigrate_refused)
		fz_fail("migration counters disagree", moved, failed);
	if (fz.pg->poison_errors - poison != dirty + (fz.taken_dirty - taken))
		fz_fail("page_poison reports differ (migration)", dirty,
			fz.pg->poison_errors - poison);
	unsigned int seen = 0;
	for (unsigned int k = 0; k < n; k++) {
		struct fz_held *h = &fz.held[idx[k]];
		if (h->isolated)
			fz_fail("a page left isolated", h->phys, k);
		if (checksum(h->phys, h->order) != sum[k])
			fz_fail("a page's content changed in the move", h->phys,
				old[k]);
		if (!moved_by_step[idx[k]])
			continue;
		if (old[k] >> 12 == busy_pfn)
			fz_fail("a busy page moved", old[k], h->phys);
		seen++;
	}
	if (seen != moved)
		fz_fail("moved pages are not the ones the step moved", seen,
			moved);
}
