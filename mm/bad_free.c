/*
 * The reports of bad frees: what was wrong with the address or order, or
 * what the frame's state byte says it is instead of an allocated block's
 * head (already free, on a per-CPU list, a tail of another block, not RAM).
 * Out of line and cold, so that the free path stays short; nothing is
 * freed when one fires. Also __ratelimit, which every report of the
 * allocator asks. docs/03-buddy-and-gfp.md ("Bad frees").
 */
#include "mm/internal.h"

#include "mm/platform.h"
#include "kernel/lib/printk.h"

/* True if a report may print now. Another CPU deciding at the same moment
 * means this one stays quiet: no waiting, so interrupt handlers may call it. */
bool __ratelimit(struct ratelimit_state *rs)
{
	unsigned long flags;
	bool ok = false;
	local_irq_save(flags);
	if (!spin_trylock(&rs->lock)) {
		local_irq_restore(flags);
		return false;
	}
	uint64_t now = mm_now_ms();
	if (!rs->printed || now - rs->last_ms >= rs->interval_ms) {
		if (rs->missed)
			pr_warn("mm: %u similar messages suppressed\n",
				rs->missed);
		rs->printed = true;
		rs->last_ms = now;
		rs->missed = 0;
		ok = true;
	} else {
		rs->missed++;
	}
	spin_unlock_irqrestore(&rs->lock, flags);
	return ok;
}

/* Which block holds tail frame pfn? Returns its head and order, or false.
 * A block boot has not linked yet reads as a free one (pfs_as_listed). */
static bool find_head(struct pglist_data *p, uint64_t pfn, uint64_t *head,
		      unsigned int *order, uint8_t *state)
{
	for (unsigned int o = 1; o <= MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ULL << o) - 1);
		uint8_t *st = pfn_state(p, h);
		uint8_t s = st ? pfs_as_listed(frame_state_read(st)) : 0;
		if (!(s & PFS_HEAD)) /* free, allocated or parked */
			continue;
		if ((s & PFS_ORDER_MASK) >= o) {
			*head = h;
			*order = s & PFS_ORDER_MASK;
			*state = s;
			return true;
		}
	}
	return false;
}

/* Reports are out of line and marked cold, so the free path stays short. */
static __attribute__((cold, noinline)) int
bad_free(struct pglist_data *p, uint64_t phys, unsigned int order, void *caller,
	 const char *problem, const char *expected, unsigned long long detail1,
	 unsigned long long detail2)
{
	__atomic_fetch_add(&p->bad_frees, 1, __ATOMIC_RELAXED);
	if (!__ratelimit(&p->bad_free_rs))
		return -1;
	pr_err("BUG: bad page free: frame 0x%llx (phys 0x%llx) order %u, caller %p: ",
	       (unsigned long long)(phys >> PAGE_SHIFT),
	       (unsigned long long)phys, order, caller);
	printk(KERN_ERR "%s (0x%llx, %llu); expected %s; nothing freed\n",
	       problem, detail1, detail2, expected);
	return -1;
}

/* The free path's checks before the lock: order, alignment, frame 0. */
__attribute__((cold, noinline)) int bad_free_args(struct pglist_data *p,
						  uint64_t phys,
						  unsigned int order,
						  void *caller)
{
	uint64_t pfn = phys >> PAGE_SHIFT;
	if (order > MAX_ORDER)
		return bad_free(p, phys, order, caller, "order above MAX_ORDER",
				"an order of 0..10", order, MAX_ORDER);
	if (phys & (PAGE_SIZE - 1))
		return bad_free(p, phys, order, caller,
				"address not page aligned",
				"a block's first byte", phys & (PAGE_SIZE - 1),
				0);
	if (pfn == 0)
		return bad_free(p, phys, order, caller,
				"frame 0 is never allocated",
				"a frame from alloc_pages", 0, 0);
	return bad_free(p, phys, order, caller, "unaligned for its order",
			"a multiple of 2^order frames",
			pfn & ((1ULL << order) - 1), 1ULL << order);
}

/* The frame's state byte s is not PFS_ALLOC | order: say what it is instead.
 * Zone lock held (the state cannot change while we look). */
__attribute__((cold, noinline)) int bad_free_state(struct pglist_data *p,
						   uint64_t phys,
						   unsigned int order,
						   void *caller, uint8_t s)
{
	uint64_t pfn = phys >> PAGE_SHIFT, head;
	unsigned int head_order;
	uint8_t head_state;

	s = pfs_as_listed(s); /* an unlinked block is a free one */
	if (s == PFS_RESERVED)
		return bad_free(p, phys, order, caller, "not usable RAM",
				"a frame the allocator manages", pfn, 0);
	if (pfs_parked(s))
		return bad_free(
		    p, phys, order, caller,
		    "already free (parked in a per-CPU cache: frame, order)",
		    "an allocated block", pfn, s & PFS_ORDER_MASK);
	if (s & PFS_FREE)
		return bad_free(p, phys, order, caller,
				"already free (head of free block: frame, order)",
				"an allocated block", pfn, s & PFS_ORDER_MASK);
	if (s & PFS_ALLOC)
		return bad_free(p, phys, order, caller,
				"wrong order (frame, allocated order)",
				"the order it was allocated with", pfn,
				s & PFS_ORDER_MASK);
	if (!find_head(p, pfn, &head, &head_order, &head_state))
		return bad_free(p, phys, order, caller,
				"tail frame of no block (state corrupt?)",
				"a block's first frame", pfn, s);
	if (head_state & PFS_FREE)
		return bad_free(
		    p, phys, order, caller,
		    "already free (inside free block: head frame, order)",
		    "an allocated block", head, head_order);
	if (pfs_parked(head_state))
		return bad_free(
		    p, phys, order, caller,
		    "already free (inside a block parked in a per-CPU cache: head frame, order)",
		    "an allocated block", head, head_order);
	return bad_free(p, phys, order, caller,
			"inside an allocated block (head frame, order)",
			"the block's first frame", head, head_order);
}
