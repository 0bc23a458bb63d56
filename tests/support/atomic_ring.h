/*
 * What the target's tick churn does on every CPU (tests/target/churn.c),
 * for a suite that runs on a test node with no tick of its own: called
 * between the suite's requests, each step takes a GFP_ATOMIC block of
 * order 0..2 into a ring of 16, stamped, and frees the oldest after
 * checking its stamp. docs/10b-compaction-measured.md ("The worst case").
 */
#ifndef LABYRINTH_TESTS_SUPPORT_ATOMIC_RING_H
#define LABYRINTH_TESTS_SUPPORT_ATOMIC_RING_H

#include <stdint.h>

#include "mm/mmzone.h"

#define ATOMIC_RING 16

struct atomic_ring {
	uint64_t phys[ATOMIC_RING];
	unsigned int order[ATOMIC_RING], next;
	uint64_t allocs, failed, bad;
};

/* One step: the oldest block checked and freed, a new one taken. */
void atomic_ring_step(struct atomic_ring *r, struct pglist_data *p);
/* Every block checked and freed; the counts stay. */
void atomic_ring_empty(struct atomic_ring *r, struct pglist_data *p);

#endif
