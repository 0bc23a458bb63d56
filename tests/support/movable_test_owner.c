/*
 * The test owner of movable pages (tests/support/movable_test_owner.h):
 * a handle table of stamped order-0 pages and its movable_operations.
 * docs/10-fragmentation-and-compaction.md ("Migration").
 *
 * A page's word 0 holds MTO_MAGIC ^ handle, word 1 its generation, the
 * other 510 words a stream from (seed, handle, generation). Isolation finds
 * the handle in word 0, then believes it only if the table agrees (slot
 * h's page is this frame): the frame may be anyone's page.
 */
#include "tests/support/movable_test_owner.h"

#include "kernel/lib/string.h"
#include "mm/page_alloc.h"

/* Handle h's slot (an lvalue). */
#define SLOT(o, h)                           \
	((o)->chunk[(h) >> (o)->chunk_shift] \
		   [(h) & ((1 << (o)->chunk_shift) - 1)])

#define MTO_MAGIC 0x4d4f5641424c4500ULL /* "MOVABLE\0" */
#define WORDS (PAGE_SIZE / sizeof(uint64_t))

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t *page_words(struct movable_test_owner *o, uint64_t pfn)
{
	return pgdat_phys_to_virt(o->pgdat, pfn << PAGE_SHIFT);
}

static uint64_t word_of(struct movable_test_owner *o, int h, uint32_t gen,
			unsigned long i)
{
	if (i == 0)
		return MTO_MAGIC ^ (uint64_t)h;
	if (i == 1)
		return gen;
	return mix64(o->seed ^ ((uint64_t)h << 32) ^ gen ^ (i << 48));
}

/* Every word, or with light stamps words 0, 1 and every 64th. */
static unsigned long next_word(const struct movable_test_owner *o,
			       unsigned long i)
{
	return !o->light || i < 2 ? i + 1 : (i | 63) + 1;
}

static void write_stamp(struct movable_test_owner *o, int h, uint64_t pfn,
			uint32_t gen)
{
	uint64_t *w = page_words(o, pfn);
	for (unsigned long i = 0; i < WORDS; i = next_word(o, i))
		w[i] = word_of(o, h, gen, i);
}

static bool stamp_ok(struct movable_test_owner *o, int h, uint64_t pfn,
		     uint32_t gen)
{
	const uint64_t *w = page_words(o, pfn);
	for (unsigned long i = 0; i < WORDS; i = next_word(o, i))
		if (w[i] != word_of(o, h, gen, i))
			return false;
	return true;
}

#define valid(h) valid_handle(o, h)
static bool valid_handle(const struct movable_test_owner *o, int h)
{
	return h >= 0 && h < o->nr_slots;
}

static bool has_page(const struct mto_slot *s)
{
	return s->state == MTO_USED || s->state == MTO_ISOLATED;
}

/* ---------------------------------------------------------------- handles */

int mto_alloc_handle(struct movable_test_owner *o, int h, gfp_t gfp)
{
	unsigned long flags;
	if (!valid(h))
		return -1;
	spin_lock_irqsave(&o->lock, flags);
	bool mine = SLOT(o, h).state == MTO_FREE;
	if (mine)
		SLOT(o, h).state = MTO_FILLING; /* reserved, no page yet */
	spin_unlock_irqrestore(&o->lock, flags);
	if (!mine)
		return -1;
	/* Outside the lock: an owner never calls the allocator under it. */
	uint64_t phys = pgdat_alloc_pages(o->pgdat, gfp | __GFP_MOVABLE, 0);
	uint32_t gen = SLOT(o, h).gen + 1;
	if (phys) /* nobody else sees the page yet */
		write_stamp(o, h, phys >> PAGE_SHIFT, gen);
	spin_lock_irqsave(&o->lock, flags);
	SLOT(o, h).pfn = phys >> PAGE_SHIFT;
	SLOT(o, h).gen = gen;
	SLOT(o, h).busy = false;
	SLOT(o, h).state = phys ? MTO_USED : MTO_FREE;
	spin_unlock_irqrestore(&o->lock, flags);
	return phys ? h : -1;
}

int mto_alloc(struct movable_test_owner *o, gfp_t gfp)
{
	for (int h = 0; h < o->nr_slots; h++)
		if (__atomic_load_n(&SLOT(o, h).state, __ATOMIC_RELAXED) ==
		    MTO_FREE) {
			int got = mto_alloc_handle(o, h, gfp);
			if (got >= 0)
				return got;
			if (SLOT(o, h).state == MTO_FREE)
				return -1; /* the allocator said no */
		}
	return -1;
}

int mto_free(struct movable_test_owner *o, int h)
{
	unsigned long flags;
	uint64_t pfn = 0;
	if (!valid(h))
		return -1;
	spin_lock_irqsave(&o->lock, flags);
	struct mto_slot *s = &SLOT(o, h);
	if (s->state == MTO_USED) {
		if (!stamp_ok(o, h, s->pfn, s->gen))
			o->bad_stamps++;
		pfn = s->pfn;
		s->pfn = 0;
		s->state = MTO_FREE;
	}
	spin_unlock_irqrestore(&o->lock, flags);
	if (!pfn)
		return -1;
	pgdat_free_pages(o->pgdat, pfn << PAGE_SHIFT, 0);
	return 0;
}

static bool check_and_stamp(struct movable_test_owner *o, int h, bool stamp)
{
	unsigned long flags;
	bool ok = false;
	if (!valid(h))
		return false;
	spin_lock_irqsave(&o->lock, flags);
	struct mto_slot *s = &SLOT(o, h);
	if (has_page(s)) {
		ok = stamp_ok(o, h, s->pfn, s->gen);
		if (!ok)
			o->bad_stamps++;
		else if (stamp)
			write_stamp(o, h, s->pfn, ++s->gen);
	}
	spin_unlock_irqrestore(&o->lock, flags);
	return ok;
}

bool mto_stamp(struct movable_test_owner *o, int h)
{
	return check_and_stamp(o, h, true);
}

bool mto_verify(struct movable_test_owner *o, int h)
{
	return check_and_stamp(o, h, false);
}

void mto_set_busy(struct movable_test_owner *o, int h, bool busy)
{
	unsigned long flags;
	if (!valid(h))
		return;
	spin_lock_irqsave(&o->lock, flags);
	SLOT(o, h).busy = busy;
	spin_unlock_irqrestore(&o->lock, flags);
}

uint64_t mto_pfn(struct movable_test_owner *o, int h)
{
	return valid(h) && has_page(&SLOT(o, h))
		   ? __atomic_load_n(&SLOT(o, h).pfn, __ATOMIC_RELAXED)
		   : 0;
}

enum mto_state mto_slot_state(struct movable_test_owner *o, int h)
{
	return valid(h) ? (enum mto_state)SLOT(o, h).state : MTO_FREE;
}

/* ---------------------------------------------------------------- moving */

/* The slot whose page is at pfn, or NULL. Lock held. */
static struct mto_slot *slot_of(struct movable_test_owner *o, uint64_t pfn,
				int *h)
{
	uint64_t word0 = page_words(o, pfn)[0];
	*h = (int)(word0 ^ MTO_MAGIC);
	if ((word0 ^ MTO_MAGIC) >= (uint64_t)o->nr_slots)
		return NULL;
	struct mto_slot *s = &SLOT(o, *h);
	return has_page(s) && s->pfn == pfn ? s : NULL;
}

static bool mto_isolate_page(struct movable_owner *mo, uint64_t pfn)
{
	struct movable_test_owner *o = mo->private;
	unsigned long flags;
	int h;
	spin_lock_irqsave(&o->lock, flags);
	struct mto_slot *s = slot_of(o, pfn, &h);
	bool ok = s && s->state == MTO_USED && !s->busy;
	if (ok)
		s->state = MTO_ISOLATED;
	spin_unlock_irqrestore(&o->lock, flags);
	return ok;
}

static int mto_migrate_page(struct movable_owner *mo, uint64_t dst_pfn,
			    uint64_t src_pfn)
{
	struct movable_test_owner *o = mo->private;
	unsigned long flags;
	int h, ret = -1;
	spin_lock_irqsave(&o->lock, flags);
	uint64_t t0 = __builtin_ia32_rdtsc();
	struct mto_slot *s = slot_of(o, src_pfn, &h);
	if (s && s->state == MTO_ISOLATED && !s->busy) {
		memcpy(page_words(o, dst_pfn), page_words(o, src_pfn),
		       PAGE_SIZE);
		s->pfn = dst_pfn; /* the one reference: the table */
		if (stamp_ok(o, h, dst_pfn, s->gen)) {
			s->state = MTO_USED;
			o->moved++;
			ret = 0;
		} else {
			s->pfn = src_pfn; /* a bad copy: stay where it was */
		}
	}
	uint64_t cycles = __builtin_ia32_rdtsc() - t0;
	if (cycles > o->max_move_cycles)
		o->max_move_cycles = cycles;
	if (ret == 0)
		o->move_hist[63 - __builtin_clzll(cycles | 1)]++;
	spin_unlock_irqrestore(&o->lock, flags);
	return ret;
}

static void mto_putback_page(struct movable_owner *mo, uint64_t pfn)
{
	struct movable_test_owner *o = mo->private;
	unsigned long flags;
	int h;
	spin_lock_irqsave(&o->lock, flags);
	struct mto_slot *s = slot_of(o, pfn, &h);
	if (s && s->state == MTO_ISOLATED)
		s->state = MTO_USED;
	else
		WARN_ON_ONCE(1); /* put back what was never isolated */
	spin_unlock_irqrestore(&o->lock, flags);
}

static const struct movable_operations mto_ops = {
	.name = "movable_test_owner",
	.isolate_page = mto_isolate_page,
	.migrate_page = mto_migrate_page,
	.putback_page = mto_putback_page,
};

int mto_init(struct movable_test_owner *o, struct pglist_data *pgdat,
	     uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	return mto_init_table(o, pgdat, seed, o->slot_storage, MTO_MAX_PAGES,
			      false);
}

int mto_init_table(struct movable_test_owner *o, struct pglist_data *pgdat,
		   uint64_t seed, struct mto_slot *slots, int nr, bool light)
{
	/* One chunk as large as the table (a power of two at least). */
	unsigned int shift = 0;
	while ((1 << shift) < nr)
		shift++;
	int ret = mto_init_chunks(o, pgdat, seed, &slots, 1, shift, light);
	o->nr_slots = nr;
	return ret;
}

int mto_init_chunks(struct movable_test_owner *o, struct pglist_data *pgdat,
		    uint64_t seed, struct mto_slot *const *chunks,
		    unsigned int nr_chunks, unsigned int shift, bool light)
{
	if (chunks[0] != o->slot_storage)
		memset(o, 0, sizeof(*o));
	if (nr_chunks > MTO_MAX_CHUNKS || shift > 24)
		return -1;
	for (unsigned int i = 0; i < nr_chunks; i++)
		o->chunk[i] = chunks[i];
	o->chunk_shift = shift;
	o->nr_slots = (int)(nr_chunks << shift);
	o->light = light;
	spin_lock_init(&o->lock);
	o->pgdat = pgdat;
	o->seed = seed;
	o->owner.ops = &mto_ops;
	o->owner.private = o;
	return movable_owner_register(pgdat, &o->owner);
}

uint64_t mto_destroy(struct movable_test_owner *o)
{
	movable_owner_unregister(&o->owner);
	for (int h = 0; h < o->nr_slots; h++)
		mto_free(o, h);
	return o->bad_stamps;
}
