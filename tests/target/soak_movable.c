/*
 * The soak's movable pages (issue 11): a movable test owner
 * (tests/support/movable_test_owner.h) whose handles every CPU uses from
 * its tick (GFP_ATOMIC) and its process loop (GFP_MOVABLE), each page
 * stamped and checked on every visit, while compaction moves them: direct
 * compaction from the order-9 requests below, kcompactd when kswapd wakes
 * it, and the page cache's movable pages beside them. Each CPU has its own
 * range of handles, half for its tick and half for its process loop, so no
 * two contexts race for one handle (the owner's lock guards the rest).
 * docs/07b-soak-stress-and-fuzzing.md ("Soak").
 */
#include "tests/target/soak_movable.h"

#include "kernel/arch/x86/smp.h"
#include "mm/page_alloc.h"
#include "tests/support/movable_test_owner.h"
#include "tests/target/stamp.h"

static struct movable_test_owner *owner;
static uint64_t owner_phys;
static unsigned int owner_order, per_cpu;
static uint64_t ops, alloc_failed, order9_asked, order9_got, order9_bad;
static struct compact_stats compact_before;
static struct migrate_stats migrate_before;

int soak_movable_start(unsigned int ncpus)
{
	owner_order = 0;
	while ((PAGE_SIZE << owner_order) < sizeof(*owner))
		owner_order++;
	owner_phys = alloc_pages(GFP_KERNEL | __GFP_ZERO, owner_order);
	if (!owner_phys)
		return -1;
	owner = phys_to_virt(owner_phys);
	if (mto_init(owner, &contig_page_data, 0x536f616b4d6f76ULL)) {
		__free_pages(owner_phys, owner_order);
		return -1;
	}
	per_cpu = MTO_MAX_PAGES / ncpus;
	ops = alloc_failed = order9_asked = order9_got = order9_bad = 0;
	compact_before = contig_page_data.compact;
	migrate_before = contig_page_data.migrate;
	return 0;
}

void soak_movable_op(unsigned int cpu, bool in_tick, uint64_t r)
{
	unsigned int half = per_cpu / 2;
	if (!owner || !half)
		return;
	int h = (int)(cpu * per_cpu + (in_tick ? 0 : half) + r % half);
	__atomic_fetch_add(&ops, 1, __ATOMIC_RELAXED);
	if (mto_slot_state(owner, h) == MTO_FREE) {
		gfp_t gfp = in_tick ? GFP_ATOMIC : GFP_MOVABLE | __GFP_NORETRY;
		if (mto_alloc_handle(owner, h, gfp | __GFP_NOWARN) < 0)
			__atomic_fetch_add(&alloc_failed, 1, __ATOMIC_RELAXED);
		return;
	}
	/* A page being moved right now cannot be freed: a later visit
	 * frees it. Its stamp may be checked and renewed all the same. */
	if ((r >> 20) % 4 == 0 && mto_free(owner, h) == 0)
		return;
	mto_stamp(owner, h); /* a bad stamp is counted by the owner */
}

void soak_movable_order9(void)
{
	__atomic_fetch_add(&order9_asked, 1, __ATOMIC_RELAXED);
	uint64_t p = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 9);
	if (!p)
		return;
	__atomic_fetch_add(&order9_got, 1, __ATOMIC_RELAXED);
	uint64_t tag = p ^ 0x6f72646572397eULL;
	stamp_block(p, 9, tag);
	if (!stamp_block_ok(p, 9, tag)) /* someone else has it too */
		__atomic_fetch_add(&order9_bad, 1, __ATOMIC_RELAXED);
	__free_pages(p, 9);
}

void soak_movable_stop(struct soak_movable_totals *out)
{
	const struct pglist_data *p = &contig_page_data;
	out->ops = ops;
	out->alloc_failed = alloc_failed;
	out->order9_asked = order9_asked;
	out->order9_got = order9_got;
	out->moved = owner ? owner->moved : 0;
	out->bad_stamps = order9_bad + (owner ? mto_destroy(owner) : 0);
	out->compaction_on = !p->compaction_off;
	out->compact = p->compact;
	out->compact.compact_stall -= compact_before.compact_stall;
	out->compact.compact_success -= compact_before.compact_success;
	out->compact.compact_fail -= compact_before.compact_fail;
	out->compact.compact_isolated -= compact_before.compact_isolated;
	out->compact.kcompactd_wake -= compact_before.kcompactd_wake;
	out->migrate = p->migrate;
	out->migrate.pgmigrate_success -= migrate_before.pgmigrate_success;
	out->migrate.pgmigrate_fail -= migrate_before.pgmigrate_fail;
}

void soak_movable_free(void)
{
	if (owner)
		__free_pages(owner_phys, owner_order);
	owner = NULL;
}
