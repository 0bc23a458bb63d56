/*
 * The samples behind numa-free.png (`make plots`): with numa_trace_ms=N on
 * the cmdline, ktest_boot_run() starts a thread on CPU 0 that prints each
 * node's free pages every N ms until the run ends. The lines go straight
 * to the console (not printk): tests that capture printk's output must not
 * see them. docs/11-numa.md ("Pictures of the nodes").
 */
#include "tests/target/numa_trace.h"
#include "kernel/arch/x86/irqflags.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/debug/bug.h"
#include "kernel/core/sched.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "mm/node.h"
#include "mm/page_alloc.h"

#define NUMA_TRACE_MAX_MS 10000

static unsigned long trace_ms; /* 0: no trace */
static struct task_struct *tracer;
static volatile bool trace_stop;
static uint64_t trace_t0; /* ns */

static int set_numa_trace_ms(const char *value)
{
	unsigned long ms;
	if (cmdline_parse_ulong(value, &ms) || ms > NUMA_TRACE_MAX_MS)
		return -1;
	trace_ms = ms;
	return 0;
}
CMDLINE_PARAM(
    "numa_trace_ms", set_numa_trace_ms,
    "print free pages per node every N ms of the ktest run, 1..10000 (0: not)");

/* One line, written with interrupts off: the tick cannot switch to
 * another task of this CPU halfway through it. */
static void sample(void)
{
	char line[512];
	size_t len =
	    (size_t)ksnprintf(line, sizeof(line), "numa-free: ms=%llu",
			      (unsigned long long)((ktime_get_ns() - trace_t0) /
						   1000000));
	unsigned int nodes = mm_nodes.nr_nodes ? mm_nodes.nr_nodes : 1;
	for (unsigned int n = 0; n < nodes && len < sizeof(line) - 40; n++) {
		const struct pglist_data *p =
		    mm_numa_on() ? NODE_DATA(n) : &contig_page_data;
		if (p)
			len += (size_t)ksnprintf(line + len, sizeof(line) - len,
						 " node%u=%llu", n,
						 (unsigned long long)
						     pgdat_nr_free_pages(p));
	}
	line[len++] = '\n';
	unsigned long flags;
	local_irq_save(flags);
	console_write(line, len);
	local_irq_restore(flags);
}

static void tracer_fn(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&trace_stop, __ATOMIC_ACQUIRE)) {
		sample();
		msleep((unsigned int)trace_ms);
	}
}

void numa_trace_start(void)
{
	if (!trace_ms)
		return;
	BUG_ON(tracer != NULL);
	trace_t0 = ktime_get_ns();
	trace_stop = false;
	tracer = kthread_create_on_cpu(tracer_fn, NULL, 0, "numa-trace");
	if (!tracer)
		pr_warn("numa_trace_ms: no thread could be made; no samples\n");
}

void numa_trace_stop(void)
{
	if (!tracer)
		return;
	__atomic_store_n(&trace_stop, true, __ATOMIC_RELEASE);
	kthread_join(tracer);
	tracer = NULL;
	sample();
}
