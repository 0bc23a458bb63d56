/*
 * The kernel's WARN_ON and BUG_ON reports (kernel/debug/bug.h), in Linux's
 * words: "WARNING: CPU: n at file:line" and "kernel BUG at file:line".
 * docs/07-debugging-the-allocator.md ("Assertions").
 */
#include "kernel/debug/bug.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"

unsigned long warn_count, warn_once_hits;

void __warn(const char *file, int line, const char *cond)
{
	__atomic_fetch_add(&warn_count, 1, __ATOMIC_RELAXED);
	printk(KERN_WARNING "------------[ cut here ]------------\n");
	printk(KERN_WARNING "WARNING: CPU: %u at %s:%d: %s\n",
	       smp_processor_id(), file, line, cond);
	/* From this frame: the first line is the function that warned. */
	print_backtrace(0, (unsigned long)__builtin_frame_address(0));
	printk(KERN_WARNING "---[ end trace ]---\n");
}

void __bug(const char *file, int line, const char *cond)
{
	printk(KERN_EMERG "kernel BUG at %s:%d!\n", file, line);
	panic("BUG_ON(%s)", cond);
}
