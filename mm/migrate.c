/*
 * Page migration (mm/migrate.h): the node's list of movable-page owners,
 * isolation, and migrate_pages(), which moves a batch of isolated pages to
 * frames a caller supplies. Linux's mm/migrate.c does this for folios
 * through their mapping's movable_operations; here the owners are asked
 * in turn, because a frame's one state byte cannot name its owner.
 * docs/10-fragmentation-and-compaction.md ("Migration").
 *
 * Locking: movable_lock (irqsave) guards the owner list; isolation takes
 * it, then the zone lock of the frame, then (in the owner's callback) the
 * owner's lock. The zone lock is what makes asking safe: an owner reads the
 * frame to recognise its page, and with the zone lock held no allocated
 * frame can be freed into a larger free block, whose tail frames
 * debug_pagealloc unmaps. Moving a page takes only the owner's lock, held
 * across the copy and the repointing, so nobody sees it half-copied.
 */
#include "mm/migrate.h"

#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "mm/internal.h"

static const char *const reason_names[MR_TYPES] = {
	[MR_COMPACTION] = "compaction",
	[MR_CONTIG_RANGE] = "contig_range",
	[MR_SYSCALL] = "syscall",
};

const char *migrate_reason_name(enum migrate_reason reason)
{
	return (unsigned int)reason < MR_TYPES ? reason_names[reason] : "?";
}

/* ---------------------------------------------------------------- owners */

int movable_owner_register(struct pglist_data *p, struct movable_owner *owner)
{
	unsigned long flags;
	int ret = 0;

	if (!owner || !owner->ops || !owner->ops->isolate_page ||
	    !owner->ops->migrate_page || !owner->ops->putback_page) {
		pr_err("migrate: owner %p has no movable_operations (or misses one); not registered\n",
		       (void *)owner);
		return -1;
	}
	spin_lock_irqsave(&p->movable_lock, flags);
	for (struct movable_owner *o = p->movable_owners; o; o = o->next)
		if (o == owner)
			ret = -1;
	if (!ret && owner->pgdat)
		ret = -1; /* on another node's list */
	if (!ret) {
		owner->pgdat = p;
		owner->nr_isolated = 0;
		owner->unregistering = false;
		owner->next = p->movable_owners;
		p->movable_owners = owner;
	}
	spin_unlock_irqrestore(&p->movable_lock, flags);
	if (ret)
		pr_err("migrate: owner '%s' is registered already; nothing changed\n",
		       owner->ops->name);
	return ret;
}

static bool none_isolated(void *arg)
{
	struct movable_owner *o = arg;
	return __atomic_load_n(&o->nr_isolated, __ATOMIC_SEQ_CST) == 0;
}

void movable_owner_unregister(struct movable_owner *owner)
{
	struct pglist_data *p = owner->pgdat;
	unsigned long flags;

	if (!p)
		return;
	/* Flagged, still listed: nothing new is isolated, and pages a
	 * migrate_pages call holds now still find their owner, so they are
	 * moved or put back (taken off the list first, they were refused as
	 * an unknown owner's and never came back: min-q35-48m hung in CI,
	 * kcompactd against the compaction case's teardown). */
	spin_lock_irqsave(&p->movable_lock, flags);
	owner->unregistering = true;
	spin_unlock_irqrestore(&p->movable_lock, flags);
	bool warned = false;
	while (!none_isolated(owner) &&
	       !mm_wait_var_event_timeout(owner, none_isolated, owner, 1000))
		if (!warned) {
			warned = true;
			pr_warn("migrate: owner '%s' unregistering waits for %u isolated pages\n",
				owner->ops->name,
				__atomic_load_n(&owner->nr_isolated,
						__ATOMIC_RELAXED));
		}
	/* Off the list under the lock: the last owner_release may still be
	 * inside its locked section, about to wake us; once we have had the
	 * lock it no longer touches the owner, which its caller may free
	 * when we return. */
	spin_lock_irqsave(&p->movable_lock, flags);
	for (struct movable_owner **pp = &p->movable_owners; *pp;
	     pp = &(*pp)->next)
		if (*pp == owner) {
			*pp = owner->next;
			break;
		}
	spin_unlock_irqrestore(&p->movable_lock, flags);
	owner->next = NULL;
	owner->pgdat = NULL;
}

/* One of the owner's isolated pages is back in use (moved or not). Under
 * the list lock, so that unregistering sees the flag and the count change
 * together, and can wait for this to be over before the owner goes. */
static void owner_release(struct pglist_data *p, struct movable_owner *o)
{
	unsigned long flags;
	spin_lock_irqsave(&p->movable_lock, flags);
	if (__atomic_sub_fetch(&o->nr_isolated, 1, __ATOMIC_SEQ_CST) == 0 &&
	    o->unregistering)
		mm_wake_up_var(o);
	spin_unlock_irqrestore(&p->movable_lock, flags);
}

void putback_movable_pages(struct pglist_data *p, struct migrate_list *l)
{
	for (unsigned int i = 0; i < l->nr; i++) {
		l->owner[i]->ops->putback_page(l->owner[i], l->pfn[i]);
		owner_release(p, l->owner[i]);
	}
	l->nr = 0;
}

static bool owner_registered(struct pglist_data *p, struct movable_owner *o)
{
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&p->movable_lock, flags);
	for (struct movable_owner *it = p->movable_owners; it && !found;
	     it = it->next)
		found = it == o;
	spin_unlock_irqrestore(&p->movable_lock, flags);
	return found;
}

/* ---------------------------------------------------------------- isolating */

struct movable_owner *isolate_movable_page(struct pglist_data *p, uint64_t pfn)
{
	uint8_t *st = pfn_state(p, pfn);
	struct movable_owner *found = NULL;
	unsigned long flags;

	if (!st || !(frame_state_read(st) & PFS_ALLOC))
		return NULL; /* the cheap answer for free and reserved frames */
	struct zone *z = pfn_to_zone(p, pfn);
	spin_lock_irqsave(&p->movable_lock, flags);
	if (p->movable_owners) {
		spin_lock(&z->lock);
		/* Again under the lock: still an allocated block's head. */
		if (frame_state_read(st) & PFS_ALLOC)
			for (struct movable_owner *o = p->movable_owners; o;
			     o = o->next)
				if (!o->unregistering &&
				    o->ops->isolate_page(o, pfn)) {
					found = o;
					__atomic_add_fetch(&o->nr_isolated, 1,
							   __ATOMIC_SEQ_CST);
					break;
				}
		spin_unlock(&z->lock);
	}
	spin_unlock_irqrestore(&p->movable_lock, flags);
	return found;
}

bool migrate_list_isolate(struct pglist_data *p, struct migrate_list *l,
			  uint64_t pfn)
{
	if (l->nr >= MIGRATE_BATCH_MAX)
		return false;
	struct movable_owner *o = isolate_movable_page(p, pfn);
	if (!o)
		return false;
	/* Isolated: its owner keeps it allocated, so the byte holds. */
	l->pfn[l->nr] = pfn;
	l->order[l->nr] = frame_state_read(pfn_state(p, pfn)) & PFS_ORDER_MASK;
	l->owner[l->nr] = o;
	l->nr++;
	return true;
}

/* ---------------------------------------------------------------- moving */

/* One line per bad entry, rate-limited with the bad frees: the same kind
 * of mistake (a frame handed to the allocator that is not what the caller
 * says). */
static __attribute__((cold, noinline)) void
bad_migration(struct pglist_data *p, uint64_t pfn, unsigned int order,
	      enum migrate_reason reason, const char *problem,
	      const char *expected, void *caller)
{
	__atomic_fetch_add(&p->migrate.pgmigrate_refused, 1, __ATOMIC_RELAXED);
	if (!__ratelimit(&p->bad_free_rs))
		return;
	pr_err("BUG: bad page migration: frame 0x%llx order %u (%s), caller %p: %s; expected %s; not moved\n",
	       (unsigned long long)pfn, order, migrate_reason_name(reason),
	       caller, problem, expected);
}

/* Is tail frame pfn inside a free block (rather than an allocated one)?
 * (A block boot has not linked yet is a free one: pfs_as_listed.) */
static bool in_free_block(struct pglist_data *p, uint64_t pfn)
{
	for (unsigned int o = 1; o <= MAX_ORDER; o++) {
		uint8_t *st = pfn_state(p, pfn & ~((1ULL << o) - 1));
		uint8_t s = st ? pfs_as_listed(frame_state_read(st)) : 0;
		if ((s & PFS_HEAD) && (s & PFS_ORDER_MASK) >= o)
			return s & (PFS_FREE | PFS_PCP); /* parked is free */
	}
	return false;
}

/*
 * What is wrong with entry (pfn, order, owner), or NULL if it is an
 * isolated page of a registered owner. *put_back: the owner should have it
 * back all the same (a real block of a real owner, only the order wrong).
 */
static const char *check_entry(struct pglist_data *p, uint64_t pfn,
			       unsigned int order, struct movable_owner *o,
			       char *buf, unsigned long size, bool *put_back)
{
	*put_back = false;
	if (order > MAX_ORDER)
		return "order above MAX_ORDER";
	if (pfn & ((1ULL << order) - 1))
		return "frame unaligned for its order";
	uint8_t *st = pfn_state(p, pfn);
	uint8_t s = st ? pfs_as_listed(frame_state_read(st)) : PFS_RESERVED;
	if (s == PFS_RESERVED)
		return "not usable RAM";
	if (pfs_parked(s) || (s & PFS_FREE))
		return "a free frame";
	if (s == PFS_TAIL)
		return in_free_block(p, pfn)
			   ? "a free frame, inside a free block"
			   : "a tail frame, inside a block";
	if (!(s & PFS_ALLOC)) /* none of the states above: corrupt */
		return "not the head of an allocated block";
	bool registered = o && owner_registered(p, o);
	if ((s & PFS_ORDER_MASK) != order) {
		*put_back = registered;
		ksnprintf(buf, size, "the block is order %u, not %u",
			  s & PFS_ORDER_MASK, order);
		return buf;
	}
	if (!o)
		return "no owner: not isolated";
	if (!registered)
		return "its owner is not registered on this node";
	return NULL;
}

/* The frame get_new_page gave: an allocated block of `order`, not src. */
static bool new_frame_ok(struct pglist_data *p, uint64_t dst, uint64_t src,
			 unsigned int order)
{
	uint8_t *st = pfn_state(p, dst);
	return st && dst != src && !(dst & ((1ULL << order) - 1)) &&
	       frame_state_read(st) == (PFS_ALLOC | order);
}

static void give_back_new(struct pglist_data *p, free_page_t put_new_page,
			  void *private, uint64_t dst, unsigned int order)
{
	if (put_new_page)
		put_new_page(private, dst, order);
	else
		pgdat_free_pages(p, dst << PAGE_SHIFT, order);
}

/* Moves one valid entry; true if it moved. */
static bool migrate_one(struct pglist_data *p, uint64_t src, unsigned int order,
			struct movable_owner *o, new_page_t get_new_page,
			free_page_t put_new_page, void *private,
			enum migrate_reason reason, void *caller)
{
	uint64_t dst = get_new_page ? get_new_page(private, src, order) : 0;
	bool moved = false;

	if (dst && !new_frame_ok(p, dst, src, order)) {
		bad_migration(
		    p, dst, order, reason,
		    "get_new_page gave a frame that is not a new allocated block of this order",
		    "a block from the allocator; frame left alone", caller);
		dst = 0;
	}
	if (dst && o->ops->migrate_page(o, dst, src) == 0) {
		/* The owner uses dst now; src is ours to free. */
		moved = true;
		if (pgdat_free_pages(p, src << PAGE_SHIFT, order))
			WARN_ON_ONCE(1); /* the owner let go of src itself */
	} else {
		if (dst)
			give_back_new(p, put_new_page, private, dst, order);
		o->ops->putback_page(o, src);
	}
	owner_release(p, o);
	__atomic_fetch_add(moved ? &p->migrate.pgmigrate_success
				 : &p->migrate.pgmigrate_fail,
			   1, __ATOMIC_RELAXED);
	return moved;
}

int migrate_pages(struct pglist_data *p, struct migrate_list *from,
		  new_page_t get_new_page, free_page_t put_new_page,
		  void *private, enum migrate_reason reason,
		  unsigned int *nr_succeeded)
{
	void *caller = __builtin_return_address(0);
	unsigned int moved = 0, failed = 0;
	char detail[64];

	might_sleep(); /* process context: owners and the allocator run */
	if (nr_succeeded)
		*nr_succeeded = 0;
	if (!from || from->nr > MIGRATE_BATCH_MAX) {
		pr_err("BUG: migrate_pages: %s (caller %p); nothing moved\n",
		       from ? "more entries than MIGRATE_BATCH_MAX" : "no list",
		       caller);
		return from ? (int)from->nr : 0;
	}
	if (!get_new_page)
		pr_err("BUG: migrate_pages: no get_new_page (caller %p); every page is put back\n",
		       caller);
	for (unsigned int i = 0; i < from->nr; i++) {
		uint64_t pfn = from->pfn[i];
		unsigned int order = from->order[i];
		struct movable_owner *o = from->owner[i];
		bool put_back;
		const char *bad = check_entry(p, pfn, order, o, detail,
					      sizeof(detail), &put_back);
		if (bad) {
			bad_migration(p, pfn, order, reason, bad,
				      "an isolated page of a registered owner",
				      caller);
			if (put_back) {
				o->ops->putback_page(o, pfn);
				owner_release(p, o);
			}
			failed++;
			continue;
		}
		if (migrate_one(p, pfn, order, o, get_new_page, put_new_page,
				private, reason, caller))
			moved++;
		else
			failed++;
	}
	from->nr = 0;
	if (nr_succeeded)
		*nr_succeeded = moved;
	return (int)failed;
}
