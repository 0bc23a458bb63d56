/*
 * The might_sleep() report (kernel/core/might_sleep.h), in the words Linux uses
 * so that what students find about it applies here too. The first reports
 * are printed in full with a backtrace; after MAX_REPORTS they are only
 * counted, so a check inside a tick handler cannot flood the console.
 * See docs/04-interrupts.md ("Checking the rules").
 */
#include "kernel/core/might_sleep.h"
#include "kernel/debug/ksyms.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"

#define MAX_REPORTS 10

unsigned long might_sleep_reports, might_sleep_suppressed;

bool __attribute__((noinline)) __might_sleep(const char *file, int line)
{
	if (may_sleep())
		return true;
	if (might_sleep_reports >= MAX_REPORTS) {
		if (might_sleep_suppressed++ == 0)
			pr_err(
			    "BUG: sleeping function called from invalid context: further reports suppressed (counted)\n");
		return false;
	}
	might_sleep_reports++;

	char caller[96];
	unsigned int pc = preempt_count();
	ksym_format((unsigned long)__builtin_return_address(0), caller,
		    sizeof(caller));
	pr_err("BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	pr_err("in_atomic(): %d, irqs_disabled(): %d, in_irq(): %d, preempt_count: 0x%x, caller: %s\n",
	       in_atomic(), irqs_disabled(), in_irq(), pc, caller);
	print_backtrace(0, (unsigned long)__builtin_frame_address(0));
	return false;
}
