/*
 * The kernel's kswapd (kernel/mm/kswapd.c) and the one hook of
 * kernel/mm/platform.c that the boot calls. See
 * docs/06-sleeping-allocations-and-reclaim.md ("kswapd").
 */
#ifndef LABYRINTH_KERNEL_MM_KSWAPD_H
#define LABYRINTH_KERNEL_MM_KSWAPD_H

#include <stdbool.h>

/* Starts kswapd for the kernel's node, after sched_init(). */
void kswapd_init(void);
/* Is it started (so requests that may sleep can wait for reclaim)? */
bool kswapd_started(void);
/* Is it awake now, or about to be? */
bool kswapd_is_running(void);
/* Wakes it if it is asleep and not hopeless; safe from any context. */
void kswapd_wake(void);

/* kernel/mm/platform.c: the wait queue of requests waiting for free pages. */
void mm_platform_init(void);

#endif
