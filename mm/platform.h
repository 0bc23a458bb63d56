/*
 * mm/platform.h: everything the allocator needs from whoever hosts it, in
 * one place. mm/ includes nothing else from outside itself but the shared
 * library (kernel/lib/: printk, format, string, cmdline), so the same mm/
 * sources build into the kernel, the host test binary, the fuzzers and the
 * benchmarks (tools/check-layout.sh enforces the rule).
 *
 * Two hosts implement it: the kernel in kernel/mm/platform.c, the host
 * build in tests/support/platform_host.c. The primitives that must be
 * inline to be cheap (interrupt state, locks, "may I sleep here?") come
 * from headers that carry both versions, selected by LABYRINTH_HOST.
 * docs/01-boot.md ("The tree") explains the rule; docs/03-buddy-and-gfp.md
 * how the host build plays a machine.
 */
#ifndef LABYRINTH_MM_PLATFORM_H
#define LABYRINTH_MM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Printing: printk/pr_err... (kernel: the serial console; host: stderr). */
#include "kernel/lib/printk.h"

/* Interrupt state of this CPU: local_irq_save/restore, irqs_disabled().
 * Kernel: RFLAGS.IF; host: a per-thread flag (host_irq_flags). */
#include "kernel/arch/x86/irqflags.h"

/* Locks: spinlock_t, spin_lock_irqsave/spin_unlock_irqrestore, and
 * lockdep_assert_held(). Kernel: ticket lock, preemption off while held,
 * the lock validator watching; host: the same ticket lock, no validator. */
#include "kernel/core/spinlock.h"

/* Context: in_interrupt(), in_atomic(), may_sleep() (no interrupt
 * context, no atomic section, interrupts on) and might_sleep(), which
 * reports a sleeping call from a context that forbids it. */
#include "kernel/core/might_sleep.h"

/* Assertions: WARN_ON/WARN_ON_ONCE (report with a backtrace, go on) and
 * BUG_ON (panic naming the condition). */
#include "kernel/debug/bug.h"

struct pglist_data;

/* ---------------------------------------------------------------- CPUs */

/* This CPU's number, below the host's CPU count; MM_MAX_CPUS or more means
 * "use no per-CPU list". Inline, because the per-CPU page lists ask on
 * every order-0 allocation and free (docs/08-measuring.md): kernel,
 * smp_processor_id() (one load through GS); host, threads numbered in the
 * order they first ask (a thread-local number, assigned out of line once).
 * Stable only while interrupts are off: read it after local_irq_save.
 * mm_this_cpu_numbered() is the same without the host's first-time
 * numbering (MM_MAX_CPUS or more until mm_this_cpu numbered the thread):
 * the fast paths use it, because a call, even one never made, costs them
 * the registers it clobbers; their fallback asks mm_this_cpu. */
#ifdef LABYRINTH_HOST
extern _Thread_local unsigned int host_this_cpu_plus_one;
unsigned int host_assign_cpu(void);
static inline unsigned int mm_this_cpu(void)
{
	unsigned int c = host_this_cpu_plus_one;
	return c ? c - 1 : host_assign_cpu();
}
static inline unsigned int mm_this_cpu_numbered(void)
{
	return host_this_cpu_plus_one - 1; /* unnumbered: UINT_MAX */
}
#else
#include "kernel/arch/x86/smp.h"
static inline unsigned int mm_this_cpu(void)
{
	return smp_processor_id();
}
static inline unsigned int mm_this_cpu_numbered(void)
{
	return smp_processor_id();
}
#endif

/* The node of the CPU this runs on (Linux's numa_node_id(); mm/node.c's
 * alloc_pages_node(NUMA_NO_NODE, ...) starts there). Kernel: the SRAT's
 * answer; host: 0, or what a test set for this thread. */
unsigned int mm_numa_node_id(void);

/* Runs fn(arg) on every online CPU, this one included, and waits for all
 * (kernel: call-function IPIs; host: this thread only). */
void mm_run_on_each_cpu(void (*fn)(void *arg), void *arg);

/* The same on the CPUs for which cond(cpu, arg) is true (Linux's
 * on_each_cpu_cond), to drain only the lists that hold something. */
void mm_run_on_each_cpu_cond(bool (*cond)(unsigned int cpu, void *arg),
			     void (*fn)(void *arg), void *arg);

/* ---------------------------------------------------------------- time */

/* Milliseconds since boot, for rate-limited reports and sleeping requests'
 * patience. Kernel: the tick; host: CLOCK_MONOTONIC. */
uint64_t mm_now_ms(void);
/* Nanoseconds, as finely as the host can (kernel: the calibrated TSC;
 * host: CLOCK_MONOTONIC), for timing short sections such as compaction's
 * interrupts-off ones. 0 where no such clock runs yet. */
uint64_t mm_now_ns(void);

/* ---------------------------------------------------------------- symbols */

/* Writes "function+0xoff" for a code address into buf and returns true,
 * or returns false where the host has no symbol table. page_owner uses it
 * to name allocation sites. */
bool mm_symbolize(uint64_t addr, char *buf, size_t size);

/* ---------------------------------------------------------------- phys<->virt
 * Memory is reached through a direct map: physical address P is at virtual
 * P + offset, where the host passes the offset to mm_init()/pgdat_init()
 * (mm/page_alloc.h: phys_to_virt, pgdat_phys_to_virt). */

/* For debug_pagealloc=on: maps (present) or unmaps nr frames from pfn in
 * the direct map. The host hands one to debug_pagealloc_enable()
 * (kernel: kernel/arch/x86/direct_map.c; tests: a recorder). */
typedef void (*set_direct_map_fn)(uint64_t pfn, uint64_t nr, bool present);

/* ---------------------------------------------------------------- sleeping
 * Requests that may sleep wait for frees, and reclaim runs in the
 * background, only where the host has threads: the kernel does it for its
 * own node (kernel/mm/platform.c, kswapd in kernel/mm/kswapd.c); the host
 * build and every test node cannot wait, so a request fails instead. */

/* May a request on p sleep here, waiting for pages to be freed? */
bool mm_can_wait(struct pglist_data *p);

/* Sleeps until pages may have been freed on p (pgdat_could_allocate() says
 * so), at most timeout_ms. */
void mm_wait_for_free(struct pglist_data *p, unsigned int order,
		      unsigned int alloc_flags, int highest,
		      unsigned int timeout_ms);

/* Pages were freed on p and someone is waiting (p->free_waiters). */
void mm_wake_free_waiters(struct pglist_data *p);

/* A zone of p fell below `low`: start background reclaim (Linux's
 * wakeup_kswapd). Safe from any context, interrupt handlers included. */
void mm_wakeup_kswapd(struct pglist_data *p);

/* Waiting on any variable (Linux's wait_var_event/wake_up_var), for mm
 * objects that have no wait queue of their own, such as a mempool: sleeps
 * until cond(arg) is true or timeout_ms passes; returns cond's last value.
 * The waker changes what cond reads, then calls mm_wake_up_var(var).
 * Kernel: hashed wait queues; host: one condition variable. */
bool mm_wait_var_event_timeout(void *var, bool (*cond)(void *arg), void *arg,
			       unsigned int timeout_ms);
void mm_wake_up_var(void *var);

/* ---------------------------------------------------------------- tasks */

/* The running task's flags word (PF_MEMALLOC and friends: mm/memalloc.h).
 * Kernel: current->flags (before the scheduler starts, when only the boot
 * CPU runs, one word for it);
 * host: one per thread. An interrupt handler gets the interrupted task's
 * word, as in Linux: whoever reads it must ask in_interrupt() first. */
unsigned int *mm_current_flags(void);

#endif
