/*
 * panic: report, backtrace, and stop (or leave QEMU under tests).
 */
#include "kernel/debug/panic.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"

/* About a microsecond per write to the POST port, without the TSC. */
static void udelay_ports(unsigned int us)
{
	for (unsigned int i = 0; i < us; i++)
		outb(0x80, 0);
}

void qemu_exit(int value)
{
	/* isa-debug-exit on port 0xf4 (run-qemu.sh adds the device). */
	outl(0xf4, (uint32_t)value);
	/* Without the device (real hardware), stop here. */
	halt_forever();
	__builtin_unreachable();
}

void machine_restart(void)
{
	__asm__ volatile("cli");
	/* The chipset's reset control register (q35's ICH9 and pc's PIIX
	 * both have it): "hard reset" after setting the reset type. */
	outb(0xcf9, 0x02);
	udelay_ports(100);
	outb(0xcf9, 0x06);
	udelay_ports(10000);
	/* The keyboard controller's reset line, the PC/AT way. */
	for (int i = 0; i < 10000 && (inb(0x64) & 0x02); i++)
		;
	outb(0x64, 0xfe);
	udelay_ports(10000);
	/* Last resort: an empty IDT turns the next exception into a triple
	 * fault, which resets the CPU. */
	static const struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) no_idt = { 0, 0 };
	__asm__ volatile("lidt %0; int3" : : "m"(no_idt));
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
