/*
 * What the host stress's two halves share (tests/stress/README.md): the
 * CPUs' side in tests/stress/stress.c, the run's control (options,
 * checkpoints, watchdog, totals) in tests/stress/stress_main.c.
 * docs/07b-soak-stress-and-fuzzing.md ("Stress on the host").
 */
#ifndef LABYRINTH_TESTS_STRESS_STRESS_H
#define LABYRINTH_TESTS_STRESS_STRESS_H

#include <pthread.h>
#include <time.h>

#include "mm/page_alloc.h"
#include "tests/support/test_arena.h"

#define MAX_THREADS 7 /* CPU numbers 0..MM_MAX_CPUS-1, one spare */
#define PROC_RING 64
#define IRQ_RING 32
#define HANDOFF 256
#define HOARD_MAX 16384
#define NODE_BYTES (48UL << 20) /* DMA 4 MiB, DMA32 to 16, Normal 32 */

struct held {
	uint64_t phys, tag;
	unsigned int order;
};

struct ring {
	struct held b[PROC_RING];
	unsigned int head, count, size;
};

struct cpu {
	pthread_t thread;
	timer_t timer;
	unsigned int nr, cpu;
	struct ring proc, irq;
	uint64_t rng, irq_rng, seq;
	/* Written by this thread only; the main thread reads ops, irq_ops,
	 * bad, masking_broken and paused while it runs (atomically). */
	uint64_t ops, irq_ops, bad, masking_broken;
	uint64_t fail_kernel, fail_nowait, fail_atomic, fail_irq;
	uint64_t squeezes, lowest_free;
	unsigned long irqs_run, irqs_deferred;
	int paused;
	volatile int stopping, in_irq_off_section; /* read by its own tick */
	uint64_t hoard[HOARD_MAX];
	unsigned int hoarded;
	uint64_t hoard_until, hoard_tag;
};

extern struct mm_test_node tn;
extern struct pglist_data *node;
extern struct cpu cpus[MAX_THREADS];
extern unsigned int nr_threads, tick_us;
extern int pause_all, stop_all;
extern int setup_failed; /* a CPU could not start: no verdict */

/* What threads share outside the allocator's locks goes through these. */
#define READ(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define BUMP(x) WRITE(x, (x) + 1) /* only the owner writes x */

/* A CPU's thread; the tick's signal handler; blocks still in the queue. */
void *cpu_main(void *arg);
void on_signal(int sig);
void stress_tick(void);
bool handoff_swap(struct held *give, struct held *take);
void check_and_free(struct cpu *c, const struct held *h);
uint64_t node_free_pages(void);

#endif
