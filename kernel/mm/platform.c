/*
 * The kernel's implementation of mm/platform.h, all in one place: the CPU
 * number and IPIs for the per-CPU lists (kernel/arch/x86/smp.c), the tick
 * as mm's clock, the symbol table for page_owner, and sleeping: requests
 * that may sleep on a memory node wait on one wait queue for frees, and
 * the node's kswapd (kernel/mm/kswapd.c) is woken when a zone runs low.
 * Test nodes have no kswapd and cannot sleep: the hooks say so.
 * docs/01-boot.md ("The tree"), docs/06-sleeping-allocations-and-reclaim.md.
 */
#include "mm/platform.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/sched.h"
#include "kernel/core/wait.h"
#include "kernel/debug/ksyms.h"
#include "kernel/mm/kswapd.h"
#include "kernel/numa/numa.h"
#include "mm/page_alloc.h"
#include "mm/vmscan.h"

/* ---------------------------------------------------------------- CPUs */

/* Every CPU the kernel brings up has per-CPU page lists of its own. */
_Static_assert(MAX_CPUS == MM_MAX_CPUS, "the kernel and mm agree on CPUs");

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
/* The calibrated TSC, not jiffies: under a busy host QEMU delivers ticks
 * in bursts, and jiffies ran 6 % ahead of real time (319 ticks in 300 ms),
 * so a sleeping request with 300 ms of patience gave up after 284 ms
 * (reclaim.test_wait_times_out_with_a_report on q35-8g). Jiffies only
 * until the TSC is calibrated. */
uint64_t mm_now_ms(void)
{
	uint64_t ns = ktime_get_ns();
	return ns ? ns / 1000000 : jiffies_to_msecs(jiffies);
}

uint64_t mm_now_ns(void)
{
	return ktime_get_ns();
}

/* ---------------------------------------------------------------- symbols */

bool mm_symbolize(uint64_t addr, char *buf, size_t size)
{
	ksym_format(addr, buf, size);
	return true;
}

/* ---------------------------------------------------------------- sleeping */

static struct wait_queue_head free_wait; /* requests waiting for pages */

/* mm_wait_var_event_timeout's queues, hashed by the variable's address
 * (Linux's wait_var_event table): a wake wakes a whole bucket and every
 * waiter checks its own condition again. */
#define VAR_WAIT_BITS 5
static struct wait_queue_head var_wait[1u << VAR_WAIT_BITS];

static struct wait_queue_head *var_waitqueue(void *var)
{
	uint64_t key = (uint64_t)(uintptr_t)var * 0x9E3779B97F4A7C15ULL;
	return &var_wait[key >> (64 - VAR_WAIT_BITS)];
}

void mm_platform_init(void)
{
	init_waitqueue_head(&free_wait);
	for (unsigned int i = 0; i < (1u << VAR_WAIT_BITS); i++)
		init_waitqueue_head(&var_wait[i]);
}

bool mm_wait_var_event_timeout(void *var, bool (*cond)(void *arg), void *arg,
			       unsigned int timeout_ms)
{
	return wait_event_timeout(*var_waitqueue(var), cond(arg),
				  (long)msecs_to_jiffies(timeout_ms)) != 0;
}

void mm_wake_up_var(void *var)
{
	struct wait_queue_head *wq = var_waitqueue(var);
	/* The caller's change to what cond reads, before the peek. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (waitqueue_active(wq))
		wake_up(wq);
}

/* ---------------------------------------------------------------- tasks */

/* Before the scheduler runs, the boot CPU's code has no task. */
static unsigned int boot_task_flags;

unsigned int *mm_current_flags(void)
{
	return sched_running ? &current->flags : &boot_task_flags;
}

bool mm_can_wait(struct pglist_data *p)
{
	return kswapd_node_started(p);
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
	if (kswapd_node_started(p))
		wake_up(&free_wait);
}

unsigned int mm_numa_node_id(void)
{
	return numa_node_id();
}

void mm_wakeup_kswapd(struct pglist_data *p)
{
	kswapd_wake_node(p);
}
