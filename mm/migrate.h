/*
 * Page migration: moving an allocated page to another frame while its
 * owner keeps using it, in the spirit of Linux's mm/migrate.c and its
 * movable_operations. Labyrinth has no struct page: a frame's metadata is
 * one state byte, so nothing on the frame says whose it is. Migration asks
 * the owners registered on the node instead ("is pfn yours? then take it
 * out of use"), and the owner that says yes copies the page and repoints
 * its own references. The allocator learns nothing of what the page holds.
 * docs/10-fragmentation-and-compaction.md ("Migration").
 */
#ifndef LABYRINTH_MM_MIGRATE_H
#define LABYRINTH_MM_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mmzone.h"
#include "mm/vmscan.h"

struct movable_owner;

/*
 * What an owner of movable pages implements. Every callback runs in
 * process or interrupt context without sleeping, and takes only the
 * owner's own lock, which must be a leaf: isolate_page is called with the
 * zone lock held (mm/migrate.c says why), so an owner never calls the
 * allocator under its lock.
 *
 * isolate_page: if pfn is one of the owner's pages and not busy (locked,
 *   being read, ...), take it out of use so that nobody frees it or moves
 *   it meanwhile (off its LRU, say), and return true. Otherwise false, at
 *   once: a busy page is skipped, never waited for. pfn may be anyone's
 *   allocated block: recognise your own pages by what you know, not by
 *   trusting the page's content.
 * migrate_page: the page at src_pfn, which this owner isolated, goes to
 *   dst_pfn (an allocated block of the same order): copy it, repoint every
 *   reference to it, check the copy, and return 0; the page is in use
 *   again, at dst. Or return a negative value and change nothing: the page
 *   stays isolated at src (busy since, say).
 * putback_page: give an isolated page back to use, unmoved.
 */
struct movable_operations {
	const char *name;
	bool (*isolate_page)(struct movable_owner *, uint64_t pfn);
	int (*migrate_page)(struct movable_owner *, uint64_t dst_pfn,
			    uint64_t src_pfn);
	void (*putback_page)(struct movable_owner *, uint64_t pfn);
};

/* One owner of movable pages on one node, embedded in the owner's own
 * structure (private: for its callbacks). The rest belongs to migrate.c. */
struct movable_owner {
	const struct movable_operations *ops;
	void *private;
	struct pglist_data *pgdat;  /* set while registered */
	struct movable_owner *next; /* the node's list (movable_lock) */
	unsigned int nr_isolated;   /* its pages isolated now (atomic) */
	bool unregistering;	    /* unregister waits for nr_isolated 0 */
};

/* Makes owner's pages movable on pgdat. 0, or -1 (no ops, or registered
 * already: reported, nothing changed). */
int movable_owner_register(struct pglist_data *pgdat,
			   struct movable_owner *owner);
/* Takes it off its node's list; then waits (sleeping where the host can)
 * until none of its pages is isolated any more, so that the owner may free
 * its pages afterwards. A page stays isolated only for one migrate_pages
 * batch. Not registered: does nothing. */
void movable_owner_unregister(struct movable_owner *owner);

/*
 * Asks the owners on pgdat, one after the other, to isolate the allocated
 * block whose first frame is pfn. Returns the one that did, or NULL: the
 * frame is free, not a block's head, nobody's movable page, or busy. Takes
 * the node's owner list lock and pfn's zone lock (call it without either).
 * Quiet: compaction calls it on every frame it scans.
 */
struct movable_owner *isolate_movable_page(struct pglist_data *pgdat,
					   uint64_t pfn);

/* At most SWAP_CLUSTER_MAX (mm/vmscan.h) pages are isolated at a time, as
 * in Linux: compaction's interrupts-off sections stay short. */
#define MIGRATE_BATCH_MAX SWAP_CLUSTER_MAX

/* Isolated pages waiting to move: the block at pfn[i] of order[i],
 * isolated by owner[i]. */
struct migrate_list {
	unsigned int nr;
	uint64_t pfn[MIGRATE_BATCH_MAX];
	uint8_t order[MIGRATE_BATCH_MAX];
	struct movable_owner *owner[MIGRATE_BATCH_MAX];
};

static inline void migrate_list_init(struct migrate_list *l)
{
	l->nr = 0;
}

/* isolate_movable_page, and on success appends the block (with the order
 * its state byte says) to l. False: not isolated, or l is full (nothing
 * isolated then). */
bool migrate_list_isolate(struct pglist_data *pgdat, struct migrate_list *l,
			  uint64_t pfn);

/* Gives every page of l back to its owner unmoved, and empties l
 * (Linux's putback_movable_pages): for a caller that isolated pages and
 * then decided not to move them. */
void putback_movable_pages(struct pglist_data *pgdat, struct migrate_list *l);

/* Why pages move (Linux's enum migrate_reason, the reasons we have). */
enum migrate_reason {
	MR_COMPACTION,	 /* compact_zone(): making high-order blocks */
	MR_CONTIG_RANGE, /* alloc_contig_pages(): emptying a range */
	MR_SYSCALL,	 /* asked for directly (tests, the shell) */
	MR_TYPES
};

/* The frame for a page of `order` leaving src_pfn: an allocated block, or
 * 0 for none (Linux's new_folio_t). */
typedef uint64_t (*new_page_t)(void *private, uint64_t src_pfn,
			       unsigned int order);
/* Takes back a frame new_page_t gave that was not used (free_folio_t). */
typedef void (*free_page_t)(void *private, uint64_t pfn, unsigned int order);

/*
 * Moves every page of `from`, which must be isolated (isolate_movable_page),
 * each to a frame from get_new_page; a moved page's old frame is freed.
 * A page that cannot move (no new frame, or its owner says no) is put back
 * with its owner and its new frame, if any, given to put_new_page (which
 * may be NULL: then it is freed). Counted in pgdat->migrate as
 * pgmigrate_success and pgmigrate_fail. An entry that is not an isolated
 * page of a registered owner (a free frame, a tail frame, not RAM, an
 * order other than the block's) is bad input: reported in one line,
 * counted as refused, and left alone (put back to its owner only when that
 * is a registered owner and the frame an allocated block). Empties `from`.
 * Returns the entries that did not move (failed and refused);
 * *nr_succeeded (if not NULL) gets the moved ones. Process context (the
 * owner callbacks and the allocator may be called; it does not sleep).
 */
int migrate_pages(struct pglist_data *pgdat, struct migrate_list *from,
		  new_page_t get_new_page, free_page_t put_new_page,
		  void *private, enum migrate_reason reason,
		  unsigned int *nr_succeeded);

/* The reason's name, for reports ("compaction", ...). */
const char *migrate_reason_name(enum migrate_reason reason);

#endif
