/*
 * Per-CPU page lists (mm/pcp.c), used by mm/page_alloc.c for order-0
 * requests. The platform gives them the CPU number and IPIs
 * (mm/platform.h).
 * docs/05-smp-and-per-cpu-lists.md explains them.
 */
#ifndef LABYRINTH_MM_PCP_H
#define LABYRINTH_MM_PCP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mmzone.h"
#include "mm/platform.h"

/* The kernel's node: turn the lists on once the CPUs are known. */
void mm_pcp_enable(unsigned int nr_cpus);
/* Sizes and empties every CPU's lists and turns them on for this node. */
void pgdat_pcp_enable(struct pglist_data *p, unsigned int nr_cpus);

/* A frame for an order-0 request that passed its watermark test, refilling
 * the list without taking the zone below `floor`. 0 if none. */
uint64_t pcp_alloc(struct pglist_data *p, struct zone *z, unsigned int cpu,
		   uint64_t floor);
/* Parks a frame its owner frees; false if it must take the locked path
 * (no list here, or the frame is not an allocated order-0 block). */
bool pcp_free(struct pglist_data *p, uint64_t pfn, unsigned int cpu);

/* Gives this CPU's lists back to the zones. */
void pcp_drain_local(struct pglist_data *p);
/* Every CPU's lists, when the caller may wait for the IPIs; else this
 * CPU's only. Linux's drain_all_pages. */
void drain_all_pages(struct pglist_data *p);
/* Frames parked on all lists of the node (a snapshot). */
uint64_t pcp_parked_pages(const struct pglist_data *p);

/* page_alloc.c: one order-0 frame from the buddy lists. Zone lock held. */
uint64_t rmqueue_order0(struct pglist_data *p, struct zone *z);

#endif
