/*
 * panic: report, backtrace, and stop (or leave QEMU under tests).
 */
#include "kernel/debug/panic.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"

void qemu_exit(int value)
{
	/* isa-debug-exit on port 0xf4 (run-qemu.sh adds the device). */
	outl(0xf4, (uint32_t)value);
	/* Without the device (real hardware), stop here. */
	halt_forever();
	__builtin_unreachable();
}

void panic(const char *fmt, ...)
{
	static char reason[256];
	va_list ap;
	__asm__ volatile("cli");
	va_start(ap, fmt);
	kvsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic: %s\n", reason);
	print_backtrace(0, (unsigned long)__builtin_frame_address(0));
	printk(KERN_EMERG "---[ end Kernel panic ]---\n");
	qemu_exit(QEMU_EXIT_FAIL); /* halts where there is no QEMU */
	__builtin_unreachable();
}
