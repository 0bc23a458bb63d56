/*
 * The kernel's implementation of mm/platform.h, all in one place: the CPU
 * number and IPIs for the per-CPU lists (kernel/arch/x86/smp.c), the tick
 * as mm's clock, the symbol table for page_owner, and sleeping: requests
 * that may sleep on the kernel's node wait on one wait queue for frees,
 * and kswapd (kernel/mm/kswapd.c) is woken when a zone runs low. Test
 * nodes cannot sleep: the hooks say so for any node but contig_page_data.
 * docs/01-boot.md ("The tree"), docs/06-sleeping-allocations-and-reclaim.md.
 */
#include "mm/platform.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/wait.h"
#include "kernel/debug/ksyms.h"
#include "kernel/mm/kswapd.h"
#include "mm/page_alloc.h"
#include "mm/vmscan.h"

/* ---------------------------------------------------------------- CPUs */

/* Every CPU the kernel brings up has per-CPU page lists of its own. */
_Static_assert(MAX_CPUS == MM_MAX_CPUS, "the kernel and mm agree on CPUs");

unsigned int mm_this_cpu(void)
{
	return smp_processor_id();
}

void mm_run_on_each_cpu(void (*fn)(void *arg), void *arg)
{
	unsigned long flags;
	local_irq_save(flags);
	fn(arg);
	local_irq_restore(flags);
	smp_call_function(fn, arg);
}

void mm_run_on_each_cpu_cond(bool (*cond)(unsigned int cpu, void *arg),
			     void (*fn)(void *arg), void *arg)
{
	unsigned int self = smp_processor_id();
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!cpus[cpu].online || !cond(cpu, arg))
			continue;
		if (cpu == self) {
			unsigned long flags;
			local_irq_save(flags);
			fn(arg);
			local_irq_restore(flags);
		} else {
			smp_call_function_single(cpu, fn, arg);
		}
	}
}

/* ---------------------------------------------------------------- time */

/* The tick: good enough for reports rate-limited to one per 10 s. */
uint64_t mm_now_ms(void)
{
	return jiffies_to_msecs(jiffies);
}

/* ---------------------------------------------------------------- symbols */

bool mm_symbolize(uint64_t addr, char *buf, size_t size)
{
	ksym_format(addr, buf, size);
	return true;
}

/* ---------------------------------------------------------------- sleeping */

static struct wait_queue_head free_wait; /* requests waiting for pages */

void mm_platform_init(void)
{
	init_waitqueue_head(&free_wait);
}

bool mm_can_wait(struct pglist_data *p)
{
	return p == &contig_page_data && kswapd_started();
}

void mm_wait_for_free(struct pglist_data *p, unsigned int order,
		      unsigned int alloc_flags, int highest,
		      unsigned int timeout_ms)
{
	wait_event_timeout(free_wait,
			   pgdat_could_allocate(p, order, alloc_flags, highest),
			   (long)msecs_to_jiffies(timeout_ms));
}

void mm_wake_free_waiters(struct pglist_data *p)
{
	if (p == &contig_page_data && kswapd_started())
		wake_up(&free_wait);
}

void mm_wakeup_kswapd(struct pglist_data *p)
{
	if (p == &contig_page_data)
		kswapd_wake();
}
