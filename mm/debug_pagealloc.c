/*
 * debug_pagealloc: which frames are unmapped, and the report when one of
 * them is touched. The rule: a frame is mapped if it is allocated or the
 * first frame of a free block (whose list links live in it); every other
 * free frame is not. page_alloc.c and page_free.c keep the rule on every
 * split, merge, allocation and free. docs/07-debugging-the-allocator.md.
 */
#include "mm/debug_pagealloc.h"

#include "mm/internal.h"
#include "mm/page_owner.h"

#include "kernel/lib/printk.h"

struct pglist_data *debug_pagealloc_node;
set_direct_map_fn debug_pagealloc_set;

/* Applies fn to the tail frames of every free block of p. Zone locks held
 * by the caller. */
static void for_each_free_tail(struct pglist_data *p, set_direct_map_fn set,
			       bool present)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		lockdep_assert_held(&p->node_zones[zi].lock);
	for (uint64_t i = 0; i < (1ULL << p->hash_bits); i++) {
		const struct mem_section *s = &p->sections[i];
		if (!s->key)
			continue;
		for (uint64_t k = 0; k < s->nr_frames;) {
			uint8_t st = s->frame_state[k];
			uint64_t n =
			    (st & PFS_HEAD) ? 1ULL << (st & PFS_ORDER_MASK) : 1;
			if ((st & PFS_FREE) && n > 1)
				set(s->first_pfn + k + 1, n - 1, present);
			k += n;
		}
	}
}

static void lock_all(struct pglist_data *p, unsigned long *flags)
{
	local_irq_save(*flags);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		spin_lock(&p->node_zones[zi].lock);
}

static void unlock_all(struct pglist_data *p, unsigned long flags)
{
	for (int zi = MAX_NR_ZONES - 1; zi >= 0; zi--)
		spin_unlock(&p->node_zones[zi].lock);
	local_irq_restore(flags);
}

int debug_pagealloc_enable(struct pglist_data *p, set_direct_map_fn set)
{
	unsigned long flags;
	if (debug_pagealloc_node || !set || !p->initialised)
		return -1;
	lock_all(p, &flags);
	/* Boot's unlinked blocks become ordinary free blocks first, whose
	 * tails the walk then unmaps. */
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		release_deferred_blocks_locked(p, &p->node_zones[zi]);
	debug_pagealloc_set = set;
	for_each_free_tail(p, set, false);
	mm_debug_hooks_add(1); /* counted before it is on */
	__atomic_store_n(&debug_pagealloc_node, p, __ATOMIC_RELEASE);
	unlock_all(p, flags);
	return 0;
}

void debug_pagealloc_disable(struct pglist_data *p)
{
	unsigned long flags;
	if (!debug_pagealloc_on(p))
		return;
	lock_all(p, &flags);
	__atomic_store_n(&debug_pagealloc_node, NULL, __ATOMIC_RELEASE);
	mm_debug_hooks_add(-1); /* and after it is off */
	for_each_free_tail(p, debug_pagealloc_set, true);
	unlock_all(p, flags);
}

/* The free block holding pfn: true with its head and order. */
static bool free_block_of(struct pglist_data *p, uint64_t pfn, uint64_t *head,
			  unsigned int *order)
{
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ULL << o) - 1);
		uint8_t *st = pfn_state(p, h);
		if (!st || !(*st & PFS_HEAD))
			continue;
		if ((*st & PFS_ORDER_MASK) < o || !(*st & PFS_FREE))
			return false;
		*head = h;
		*order = *st & PFS_ORDER_MASK;
		return true;
	}
	return false;
}

bool debug_pagealloc_report_fault(uint64_t virt)
{
	struct pglist_data *p =
	    __atomic_load_n(&debug_pagealloc_node, __ATOMIC_ACQUIRE);
	struct page_owner r;
	uint64_t head, owner_head;
	unsigned int order;
	char caller[128];

	if (!p || virt < p->direct_map_offset)
		return false;
	uint64_t pfn = (virt - p->direct_map_offset) >> PAGE_SHIFT;
	if (!free_block_of(p, pfn, &head, &order))
		return false;
	pr_emerg("BUG: debug_pagealloc: use after free: access to frame 0x%llx (virt 0x%llx), free since it is in the free order-%u block at frame 0x%llx\n",
		 (unsigned long long)pfn, (unsigned long long)virt, order,
		 (unsigned long long)head);
	if (page_owner_last_owner(p, pfn, &r, &owner_head)) {
		char names[160];
		gfp_flags_name(r.gfp, names, sizeof(names));
		page_owner_format_caller(r.caller, caller, sizeof(caller));
		pr_emerg("  last allocated as frame 0x%llx order %u mode 0x%x(%s) by %s (allocation #%llu at %u ms), then freed\n",
			 (unsigned long long)owner_head, r.order, r.gfp, names,
			 caller, (unsigned long long)r.seq, r.ts_ms);
	} else {
		pr_emerg(
		    "  last owner unknown (boot with page_owner=on to see it)\n");
	}
	return true;
}
