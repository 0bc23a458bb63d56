/*
 * The boot demonstrations: interrupt-context allocation (kernel/demo/demo.c),
 * then sleeping allocations and reclaim (kernel/demo/demo_reclaim.c).
 */
#ifndef LABYRINTH_KERNEL_DEMO_DEMO_H
#define LABYRINTH_KERNEL_DEMO_DEMO_H

/* Runs for demo_seconds= seconds (default 6); returns at once if 0. */
void demo_run(void);
/* Runs after demo_run() when the demo is on (a few seconds). */
void demo_reclaim_run(void);
void demo_compaction_run(void);

#endif
