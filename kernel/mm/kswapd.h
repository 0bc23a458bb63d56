/*
 * The kernel's kswapd threads, one per memory node (kernel/mm/kswapd.c),
 * and the one hook of kernel/mm/platform.c that the boot calls. See
 * docs/06-sleeping-allocations-and-reclaim.md ("kswapd").
 */
#ifndef LABYRINTH_KERNEL_MM_KSWAPD_H
#define LABYRINTH_KERNEL_MM_KSWAPD_H

#include <stdbool.h>

struct pglist_data;

/* Starts a kswapd for every node with memory, after sched_init() and
 * smp_boot_aps(). */
void kswapd_init(void);
/* Is node p's started (so requests that may sleep there can wait for
 * reclaim)? kswapd_started: the kernel's node's. */
bool kswapd_node_started(const struct pglist_data *p);
bool kswapd_started(void);
/* Is node p's awake now, or about to be? kswapd_is_running: the kernel's
 * node's. */
bool kswapd_node_is_running(const struct pglist_data *p);
bool kswapd_is_running(void);
/* Wakes node p's if it is asleep and not hopeless; safe from any
 * context. kswapd_wake: the kernel's node's. */
void kswapd_wake_node(struct pglist_data *p);
void kswapd_wake(void);
/* A CPU of node nid for its threads (CPU 0 for a node without CPUs). */
unsigned int mm_thread_cpu_of_node(int nid);

/* kernel/mm/platform.c: the wait queue of requests waiting for free pages. */
void mm_platform_init(void);

#endif
