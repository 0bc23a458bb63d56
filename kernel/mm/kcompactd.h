/*
 * kcompactd: the thread that compacts the kernel's node in the background
 * (kernel/mm/kcompactd.c), woken by kswapd after it balanced for an order
 * > 0 request, and every half second for proactive compaction.
 * docs/10-fragmentation-and-compaction.md ("kcompactd").
 */
#ifndef LABYRINTH_KERNEL_MM_KCOMPACTD_H
#define LABYRINTH_KERNEL_MM_KCOMPACTD_H

#include <stdbool.h>

/* Starts it, after kswapd_init(). */
void kcompactd_init(void);
/* Wakes it to make blocks of the order the slow path noted
 * (pglist_data.kcompactd_max_order); safe from any context. */
void kcompactd_wake(void);
/* Is it compacting now, or about to? */
bool kcompactd_is_running(void);

#endif
