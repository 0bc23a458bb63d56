/*
 * A test owner of movable pages (mm/migrate.h): a table of pages reached
 * only through handles (an index into the table), as a driver keeps
 * buffers behind handles. Each page is stamped from its handle, a
 * generation and a seed, so that its content can be checked after any
 * number of moves. Alloc, free, stamp and verify take the owner's irqsave
 * lock, so interrupt handlers may use it while process context migrates
 * its pages. Shared by the host and the kernel (tests/shared/mm_migrate_test.c,
 * tests/target/migrate_irq_test.c). docs/10-fragmentation-and-compaction.md
 * ("Migration").
 */
#ifndef LABYRINTH_TESTS_SUPPORT_MOVABLE_TEST_OWNER_H
#define LABYRINTH_TESTS_SUPPORT_MOVABLE_TEST_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/migrate.h"
#include "mm/platform.h"

#define MTO_MAX_PAGES 1024
#define MTO_MAX_CHUNKS 64

enum mto_state { MTO_FREE, MTO_FILLING, MTO_USED, MTO_ISOLATED };

struct mto_slot {
	uint64_t pfn;  /* order-0 frame, while FILLING, USED or ISOLATED */
	uint32_t gen;  /* stamped generation */
	uint8_t state; /* enum mto_state */
	bool busy;     /* "in use right now": isolation and moves refuse */
};

struct movable_test_owner {
	struct movable_owner owner;
	struct pglist_data *pgdat;
	spinlock_t lock; /* the table and every page's content; irqsave */
	uint64_t seed;
	/* The handle table: slot_storage, or a caller's bigger one in
	 * chunks of 2^chunk_shift slots (mto_init_table, mto_init_chunks),
	 * so that millions of handles need no contiguous table. */
	struct mto_slot *chunk[MTO_MAX_CHUNKS];
	unsigned int chunk_shift;
	int nr_slots;
	/* Light stamps: words 0 and 1 and every 64th word only, for tables
	 * of millions of pages under TCG (the whole page still moves). */
	bool light;
	struct mto_slot slot_storage[MTO_MAX_PAGES];
	uint64_t bad_stamps; /* checks that found a page not as stamped */
	uint64_t moved;	     /* pages migrate_page moved */
	/* Copy + repoint + check under the lock, in TSC cycles: interrupts
	 * are off that long (docs/10 gives the numbers). The longest, and a
	 * histogram by powers of two (bucket i: 2^i to 2^(i+1) - 1 cycles),
	 * whose median a vCPU preempted by its host does not move. */
	uint64_t max_move_cycles;
	uint64_t move_hist[64];
};

/* Registers the owner on pgdat; 0 or -1. */
int mto_init(struct movable_test_owner *o, struct pglist_data *pgdat,
	     uint64_t seed);
/* The same with a table of nr zeroed slots of the caller's (it stays the
 * caller's), and light stamps if asked. */
int mto_init_table(struct movable_test_owner *o, struct pglist_data *pgdat,
		   uint64_t seed, struct mto_slot *slots, int nr, bool light);
/* The same with nr_chunks zeroed chunks of 2^shift slots each. */
int mto_init_chunks(struct movable_test_owner *o, struct pglist_data *pgdat,
		    uint64_t seed, struct mto_slot *const *chunks,
		    unsigned int nr_chunks, unsigned int shift, bool light);
/* Unregisters (waiting for isolated pages to come back), then checks and
 * frees every page. Returns the bad stamps found meanwhile. */
uint64_t mto_destroy(struct movable_test_owner *o);

/* A new page in a free slot (any, or handle h), allocated with gfp and
 * stamped: the handle, or -1 (no free slot, no page). Any context that
 * gfp allows: the page is allocated outside the lock. */
int mto_alloc(struct movable_test_owner *o, gfp_t gfp);
int mto_alloc_handle(struct movable_test_owner *o, int h, gfp_t gfp);
/* Checks the stamp and frees the page: 0; -1 if it is isolated now (being
 * migrated: keep it, try later) or h holds no page. */
int mto_free(struct movable_test_owner *o, int h);
/* Checks the stamp, then stamps the next generation (isolated pages too:
 * their move copies whatever the lock saw last). False: the check failed
 * (counted in bad_stamps) or h holds no page. */
bool mto_stamp(struct movable_test_owner *o, int h);
/* Checks the stamp only. */
bool mto_verify(struct movable_test_owner *o, int h);
/* Marks h busy or not (busy: isolation skips it, a move of it fails). */
void mto_set_busy(struct movable_test_owner *o, int h, bool busy);
/* Where h's page is now (0: no page). */
uint64_t mto_pfn(struct movable_test_owner *o, int h);
enum mto_state mto_slot_state(struct movable_test_owner *o, int h);

#endif
