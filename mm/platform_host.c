/*
 * Host side of the small platform interface mm/ needs beyond locks and
 * printk: a millisecond clock for rate-limited reports (mm/page_alloc.h).
 * The kernel provides its own from jiffies. docs/03-buddy-and-gfp.md.
 */
#include <time.h>

#include "mm/page_alloc.h"
#include "mm/pcp.h"

uint64_t mm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Per-CPU lists on the host (mm/pcp.h): each thread is a "CPU", numbered
 * in the order threads first allocate; past MM_MAX_CPUS a thread uses no
 * list. There are no IPIs: running on "every CPU" runs on this thread only,
 * so host tests that use lists from several threads drain each thread's
 * lists on that thread.
 */
static unsigned int next_cpu;
static _Thread_local unsigned int this_cpu_plus_one;

unsigned int mm_this_cpu(void)
{
	if (!this_cpu_plus_one)
		this_cpu_plus_one =
		    __atomic_add_fetch(&next_cpu, 1, __ATOMIC_RELAXED);
	return this_cpu_plus_one - 1;
}

void mm_run_on_each_cpu(void (*fn)(void *arg), void *arg)
{
	fn(arg);
}

void mm_run_on_each_cpu_cond(bool (*cond)(unsigned int cpu, void *arg),
			     void (*fn)(void *arg), void *arg)
{
	unsigned int cpu = mm_this_cpu();
	if (cpu >= MM_MAX_CPUS || cond(cpu, arg))
		fn(arg);
}
