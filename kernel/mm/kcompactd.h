/*
 * kcompactd: the threads, one per memory node, that compact in the
 * background (kernel/mm/kcompactd.c), woken by their node's kswapd after
 * it balanced for an order > 0 request, and every half second for
 * proactive compaction.
 * docs/10-fragmentation-and-compaction.md ("kcompactd").
 */
#ifndef LABYRINTH_KERNEL_MM_KCOMPACTD_H
#define LABYRINTH_KERNEL_MM_KCOMPACTD_H

#include <stdbool.h>

struct pglist_data;

/* Starts them, after kswapd_init(). */
void kcompactd_init(void);
/* Wakes node p's to make blocks of the order the slow path noted
 * (pglist_data.kcompactd_max_order); safe from any context.
 * kcompactd_wake: the kernel's node's. */
void kcompactd_wake_node(struct pglist_data *p);
void kcompactd_wake(void);
/* Is node p's compacting now, or about to? kcompactd_is_running: the
 * kernel's node's. */
bool kcompactd_node_is_running(const struct pglist_data *p);
bool kcompactd_is_running(void);

#endif
