/*
 * The soak's movable half (tests/target/soak_movable.c): pages compaction
 * may move under every CPU's feet, and requests that make it run.
 * docs/07b-soak-stress-and-fuzzing.md ("Soak").
 */
#ifndef LABYRINTH_TESTS_TARGET_SOAK_MOVABLE_H
#define LABYRINTH_TESTS_TARGET_SOAK_MOVABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mmzone.h"

struct soak_movable_totals {
	uint64_t ops, alloc_failed, bad_stamps, moved;
	uint64_t order9_asked, order9_got;
	struct compact_stats compact; /* what compaction did meanwhile */
	struct migrate_stats migrate;
	bool compaction_on;
};

/* Sets up the owner for ncpus CPUs: 0, or -1 (no memory for its table). */
int soak_movable_start(unsigned int ncpus);
/* One operation on this CPU's handles: a new movable page, a check and
 * restamp, or a free. In the tick (GFP_ATOMIC) or process context. */
void soak_movable_op(unsigned int cpu, bool in_tick, uint64_t r);
/* One order-9 GFP_KERNEL request that may compact directly (sleeps). */
void soak_movable_order9(void);
/* Checks and frees every movable page (the owner is gone after it);
 * the totals since start. Then soak_movable_free gives back the table. */
void soak_movable_stop(struct soak_movable_totals *out);
void soak_movable_free(void);

#endif
