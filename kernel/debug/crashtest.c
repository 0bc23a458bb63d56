/*
 * crashtest=<kind>: crash on purpose once the boot log is printed, so the
 * boot matrix can prove that every kind of crash is reported on the serial
 * console (registers, backtrace) and ends a test run with a failure code,
 * never a silent triple fault. Kinds: ud2, pagefault, stack-overflow, panic,
 * irq-pagefault (a fault inside an interrupt handler).
 */
#include "kernel/debug/crashtest.h"
#include "kernel/arch/x86/apic.h"
#include "kernel/lib/cmdline.h"
#include "kernel/core/irq.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/core/sched.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/debug/bug.h"
#include "mm/mmzone.h"

#define CRASHTEST_VECTOR 0x41

static const char *const kinds[] = {
	"ud2",	 "pagefault",	  "stack-overflow",
	"panic", "irq-pagefault", "thread-stack-overflow",
	"bug"
};
static int crash_kind = -1;

static int set_crashtest(const char *value)
{
	for (int i = 0; i < (int)(sizeof(kinds) / sizeof(kinds[0])); i++) {
		if (strcmp(value, kinds[i]) == 0) {
			crash_kind = i;
			return 0;
		}
	}
	return -1;
}
CMDLINE_PARAM(
    "crashtest", set_crashtest,
    "one of ud2, pagefault, stack-overflow, panic, irq-pagefault, thread-stack-overflow");

/* Each frame keeps a page of stack alive until the guard page is hit. The
 * depth limit is far beyond the 64 KiB stack; it only tells gcc the
 * recursion is not infinite. */
static unsigned long __attribute__((noinline))
recurse(volatile char *prev, unsigned long depth)
{
	volatile char page[4096];
	page[0] = prev ? prev[0] + 1 : 0;
	if (depth == 0)
		return page[0];
	return recurse(page, depth - 1) + page[4095];
}

/* A handler that faults: the report must walk from the handler back into
 * the interrupted code. */
static irqreturn_t faulting_irq_handler(unsigned int vector, void *dev_id)
{
	(void)vector;
	(void)dev_id;
	*(volatile unsigned long *)0xdead000 = 2;
	return IRQ_HANDLED;
}

/* A kernel thread (16 KiB stack) that recurses into its guard page. */
static void overflowing_thread(void *arg)
{
	(void)arg;
	recurse(0, 1UL << 20);
}

void crashtest_run(void)
{
	if (crash_kind < 0)
		return;
	pr_info("crashtest: crashing on purpose (%s)\n", kinds[crash_kind]);
	switch (crash_kind) {
	case 0:
		__asm__ volatile("ud2");
		break;
	case 1:
		*(volatile unsigned long *)0xdead000 = 1;
		break;
	case 2:
		recurse(0, 1UL << 20);
		break;
	case 3:
		panic("crashtest: panic requested on the cmdline");
	case 4:
		if (request_vector(CRASHTEST_VECTOR, faulting_irq_handler,
				   "crashtest", NULL) == 0) {
			apic_send_self_ipi(CRASHTEST_VECTOR);
			mdelay(
			    100); /* the IPI arrives at once; this is slack */
		}
		break;
	case 5: {
		struct task_struct *t =
		    kthread_create_on_cpu(overflowing_thread, NULL, 0,
					  "overflow");
		if (t)
			kthread_join(t);
		break;
	}
	case 6: {
		/* An invariant that does not hold: BUG_ON must stop the
		 * kernel naming the condition and the spot. */
		volatile int zones_checked = 0;
		BUG_ON(zones_checked != MAX_NR_ZONES);
		break;
	}
	}
	panic("crashtest: survived a %s", kinds[crash_kind]);
}
