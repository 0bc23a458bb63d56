/*
 * might_sleep(): put it at the top of anything that may block (an
 * allocation that may reclaim, later a mutex or a wait). Called where
 * blocking is impossible (in an interrupt handler, with interrupts
 * disabled, with preemption disabled) it prints Linux's
 * "BUG: sleeping function called from invalid context" report naming the
 * call site and its callers, and returns false so the caller can refuse
 * instead of deadlocking:
 *
 *	if (!might_sleep_if(gfp & __GFP_DIRECT_RECLAIM))
 *		gfp &= ~__GFP_DIRECT_RECLAIM;   (or: return failure)
 *
 * See docs/04-interrupts.md ("Checking the rules") and, for the sleeping
 * primitives that call it, docs/05b-threads-and-sleeping.md.
 */
#ifndef LABYRINTH_KERNEL_CORE_MIGHT_SLEEP_H
#define LABYRINTH_KERNEL_CORE_MIGHT_SLEEP_H

#include <stdbool.h>

#include "kernel/core/irq.h"
#include "kernel/arch/x86/irqflags.h"

/* Sleeping is allowed here: no interrupt context, no atomic section,
 * interrupts on. */
static inline bool may_sleep(void)
{
	return !in_atomic() && !irqs_disabled();
}

#ifndef LABYRINTH_HOST
/* Reports and returns false if the caller may not sleep. */
bool __might_sleep(const char *file, int line);
/* Reports printed / suppressed so far (tests read them). */
extern unsigned long might_sleep_reports, might_sleep_suppressed;
#else
#include "kernel/lib/printk.h"
/* The host has no interrupt context; "interrupts disabled" is simulated. */
static inline bool __might_sleep(const char *file, int line)
{
	if (may_sleep())
		return true;
	printk(KERN_ERR
	       "BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	return false;
}
#endif

#define might_sleep() __might_sleep(__FILE__, __LINE__)
#define might_sleep_if(cond) ((cond) ? might_sleep() : true)

#endif
