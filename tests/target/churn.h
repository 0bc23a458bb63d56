/*
 * The reclaim suite's background load and its squeeze
 * (tests/target/churn.c). docs/06-sleeping-allocations-and-reclaim.md.
 */
#ifndef LABYRINTH_TESTS_TARGET_CHURN_H
#define LABYRINTH_TESTS_TARGET_CHURN_H

#include <stdint.h>

#include "mm/gfp.h"
#include "tests/ktest.h"

/* Starts the tick churn on every CPU and waits until every ring is full. */
void churn_start(void);
/* Waits until every CPU's tick has replaced each block of its ring. */
void churn_turn_over(void);
/* Stops the churn, frees its blocks and checks it: no failure, no bad
 * stamp, no might_sleep report since churn_start(). */
void churn_stop_and_check(struct ktest *t);
/* GFP_ATOMIC requests of the churn that failed so far, all CPUs. */
uint64_t churn_failures(void);
/* Holds what gfp gives (a mm_hoard chain; *pages its size). */
uint64_t squeeze_with(gfp_t gfp, uint64_t *pages);
/* The same down to half of min: GFP_KERNEL | __GFP_HIGH. */
uint64_t squeeze(uint64_t *pages);

#endif
