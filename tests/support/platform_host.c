/*
 * The host's implementation of mm/platform.h: what the kernel provides on
 * target, played by a process so that the same mm/ sources run under the
 * host tests, the fuzzers, memmap-tool and the benchmarks. A per-thread
 * flag stands in for RFLAGS.IF, and a signal may play an interrupt (only
 * the stress test sends one: docs/07b-soak-stress-and-fuzzing.md, "Stress
 * on the host"); each thread is a "CPU", nothing can sleep in the
 * allocator, and a warning is printed to stderr.
 * docs/03-buddy-and-gfp.md ("Tests").
 */
#include <execinfo.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "mm/platform.h"

/* Interrupts "enabled" on every thread until it disables them. */
_Thread_local unsigned long host_irq_flags = X86_EFLAGS_IF;

/* ---------------------------------------------------------------- interrupts
 * Signals playing interrupts (kernel/arch/x86/irqflags.h): the stress test
 * (tests/stress/) delivers its timer signal here. Nothing else registers a
 * handler, so for every other host program this is idle. */
_Thread_local unsigned int host_preempt_count;
_Thread_local volatile int host_irq_pending;
_Thread_local unsigned long host_irqs_run, host_irqs_deferred;
static void (*host_irq_handler)(void);

void host_irq_set_handler(void (*handler)(void))
{
	__atomic_store_n(&host_irq_handler, handler, __ATOMIC_RELEASE);
}

/* Interrupt entry as a CPU makes it: IF off and hard-interrupt context
 * while the handler runs, the interrupted state back afterwards (raw: the
 * caller replays what arrived meanwhile). */
static void host_irq_run(void)
{
	void (*handler)(void) =
	    __atomic_load_n(&host_irq_handler, __ATOMIC_ACQUIRE);
	unsigned long flags = host_irq_flags;
	host_irq_flags = flags & ~X86_EFLAGS_IF;
	host_preempt_count += HARDIRQ_OFFSET;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	host_irqs_run++;
	if (handler)
		handler();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	host_preempt_count -= HARDIRQ_OFFSET;
	host_irq_flags = flags;
}

/* Called from a signal handler: the signal is this thread's interrupt. */
void host_irq_deliver(void)
{
	if (!(host_irq_flags & X86_EFLAGS_IF)) {
		host_irq_pending = 1; /* IF off: held until it comes back on */
		host_irqs_deferred++;
		return;
	}
	host_irq_run();
}

/* IF just came back on with an interrupt pending (irqflags.h). */
void host_irq_replay(void)
{
	while (host_irq_pending && (host_irq_flags & X86_EFLAGS_IF)) {
		host_irq_pending = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		host_irq_run();
	}
}

/* kernel/core/spinlock.h: a waiter that holds the lock itself, or is
 * queued for it in the context this interrupt cut into. */
_Thread_local const spinlock_t *volatile host_spin_waiting;
/* Host threads take tickets (and yield while they wait) unless a test
 * switches: kernel/core/spinlock.h. */
enum spin_lock_mode spin_lock_mode = SPIN_TICKET;

void host_spin_self_deadlock(const spinlock_t *lock)
{
	printk(KERN_EMERG
	       "BUG: spinlock self-deadlock on CPU %u: waiting for lock %p, which this CPU holds or waits for (%s; an interrupt wants a lock its CPU took with interrupts on: a missing irqsave)\n",
	       mm_this_cpu(), (const void *)lock,
	       host_preempt_count & HARDIRQ_MASK ? "in an interrupt"
						 : "in process context");
	void *frames[16];
	int n = backtrace(frames, 16);
	backtrace_symbols_fd(frames, n, 2);
	abort();
}

void host_spin_corrupt(const spinlock_t *lock)
{
	printk(KERN_EMERG
	       "BUG: spinlock %p corrupt: serving %u is past next %u (two holders at once, or an unlock too many): nobody can take it again\n",
	       (const void *)lock, lock->serving, lock->next);
	void *frames[16];
	int n = backtrace(frames, 16);
	backtrace_symbols_fd(frames, n, 2);
	abort();
}

uint64_t mm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t mm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Per-CPU lists on the host: each thread is a "CPU", numbered in the order
 * threads first allocate; past MM_MAX_CPUS a thread uses no list. There are
 * no IPIs: running on "every CPU" runs on this thread only, so host tests
 * that use lists from several threads drain each thread's lists on that
 * thread.
 */
static unsigned int next_cpu;
_Thread_local unsigned int host_this_cpu_plus_one;

/* mm_this_cpu (mm/platform.h) asks here the first time a thread asks. */
unsigned int host_assign_cpu(void)
{
	if (!host_this_cpu_plus_one)
		host_this_cpu_plus_one =
		    __atomic_add_fetch(&next_cpu, 1, __ATOMIC_RELAXED);
	return host_this_cpu_plus_one - 1;
}

/* A host thread's node: 0 unless a test said otherwise
 * (host_set_numa_node, tests/support/test_arena.h). */
static _Thread_local unsigned int host_numa_node;

unsigned int mm_numa_node_id(void)
{
	return host_numa_node;
}

void host_set_numa_node(unsigned int nid)
{
	host_numa_node = nid;
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

/* No symbol table of our own: page_owner prints bare addresses. */
bool mm_symbolize(uint64_t addr, char *buf, size_t size)
{
	(void)addr;
	(void)buf;
	(void)size;
	return false;
}

/* No threads to wait with: a request that may sleep fails instead. */
bool mm_can_wait(struct pglist_data *p)
{
	(void)p;
	return false;
}

void mm_wait_for_free(struct pglist_data *p, unsigned int order,
		      unsigned int alloc_flags, int highest,
		      unsigned int timeout_ms)
{
	(void)p;
	(void)order;
	(void)alloc_flags;
	(void)highest;
	(void)timeout_ms;
}

void mm_wake_free_waiters(struct pglist_data *p)
{
	(void)p;
}

void mm_wakeup_kswapd(struct pglist_data *p)
{
	(void)p;
}

/* Host threads may sleep on a variable (the mempool tests do): one mutex
 * and condition variable for every variable; a wake wakes every waiter,
 * and each checks its own condition. The condition is read under the
 * mutex and the waker broadcasts under it, so no wake-up is lost. */
static pthread_mutex_t var_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t var_cond = PTHREAD_COND_INITIALIZER;

bool mm_wait_var_event_timeout(void *var, bool (*cond)(void *arg), void *arg,
			       unsigned int timeout_ms)
{
	struct timespec until;
	bool ok;
	(void)var;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&var_lock);
	while (!(ok = cond(arg)))
		if (pthread_cond_timedwait(&var_cond, &var_lock, &until)) {
			ok = cond(arg);
			break;
		}
	pthread_mutex_unlock(&var_lock);
	return ok;
}

void mm_wake_up_var(void *var)
{
	(void)var;
	pthread_mutex_lock(&var_lock);
	pthread_cond_broadcast(&var_cond);
	pthread_mutex_unlock(&var_lock);
}

/* Each thread plays a task with its own flags word. */
static _Thread_local unsigned int host_task_flags;

unsigned int *mm_current_flags(void)
{
	return &host_task_flags;
}

/* ---------------------------------------------------------------- bug.h */

unsigned long warn_count, warn_once_hits;

void __warn(const char *file, int line, const char *cond)
{
	void *frames[16];
	__atomic_fetch_add(&warn_count, 1, __ATOMIC_RELAXED);
	/* Through printk, like the kernel, so tests can capture it. */
	printk(KERN_WARNING "WARNING: at %s:%d: %s\n", file, line, cond);
	int n = backtrace(frames, 16);
	backtrace_symbols_fd(frames, n, 2);
}

void __bug(const char *file, int line, const char *cond)
{
	printk(KERN_EMERG "kernel BUG at %s:%d: BUG_ON(%s)\n", file, line,
	       cond);
	abort();
}
