/*
 * The boot demonstration of interrupt-context allocation (kernel/demo.c).
 */
#ifndef LABYRINTH_KERNEL_DEMO_H
#define LABYRINTH_KERNEL_DEMO_H

/* Runs for demo_seconds= seconds (default 6); returns at once if 0. */
void demo_run(void);

#endif
