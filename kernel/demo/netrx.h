/*
 * A simulated network receive path, the driver-shaped use of a mempool:
 * every CPU's timer tick "receives" packets, each needing one page, taken
 * with mempool_alloc(GFP_ATOMIC) from a page pool; a kernel thread (process
 * context) consumes them and frees the pages back to the pool. Three
 * phases: memory available; all memory taken by process context (the
 * atomic reserve too, inside a PF_MEMALLOC scope) with the consumer
 * stalled; memory back. The boot demo prints the phases and the emergency
 * target suite checks them. docs/09-emergency-memory.md ("The demo").
 */
#ifndef LABYRINTH_KERNEL_DEMO_NETRX_H
#define LABYRINTH_KERNEL_DEMO_NETRX_H

#include <stdbool.h>
#include <stdint.h>

#define NETRX_POOL_PAGES 64
#define NETRX_PHASES 3

struct netrx_phase {
	uint64_t packets;		 /* received and served */
	uint64_t from_allocator;	 /* served by the page allocator */
	uint64_t from_pool;		 /* served from the pool's reserve */
	uint64_t dropped;		 /* no page: dropped, counted */
	uint64_t dropped_with_pool_left; /* must stay 0 */
	int pool_low, pool_end;		 /* reserve level: lowest, at end */
};

struct netrx_result {
	struct netrx_phase phase[NETRX_PHASES];
	uint64_t hoarded_pages;	  /* phase 2's squeeze */
	uint64_t bad_stamps;	  /* packets whose content changed */
	uint64_t pool_out_at_end; /* elements never given back: must be 0 */
	unsigned int cpus_receiving;
};

/* Runs the three phases of phase_ms each; false if it could not start (no
 * pool, no tick hook, no thread: printed). */
bool netrx_run(unsigned int phase_ms, struct netrx_result *r);
/* Prints one line per phase. */
void netrx_print(const struct netrx_result *r);

#endif
