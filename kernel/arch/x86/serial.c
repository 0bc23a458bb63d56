/*
 * COM1 at I/O port 0x3f8, 115200 baud 8N1, polled (no interrupts needed, so
 * it works from the first instruction to the last exception report).
 * printk's console_write() lands here. See docs/01-boot.md ("The console").
 */
#include "kernel/arch/x86/serial.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/printk.h"

#define COM1 0x3f8
#define REG_DATA 0
#define REG_IER 1
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define LSR_THR_EMPTY 0x20

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00); /* no interrupts: we poll */
	outb(COM1 + REG_LCR, 0x80); /* DLAB on to set the divisor */
	outb(COM1 + REG_DATA, 1);   /* 115200 / 1 */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03); /* 8 data bits, no parity, 1 stop bit */
	outb(COM1 + REG_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(COM1 + REG_MCR, 0x03); /* DTR + RTS */
}

static void serial_putc(char c)
{
	/* Bounded wait: a missing UART must not hang the kernel. */
	for (int spins = 0; spins < 100000; spins++)
		if (inb(COM1 + REG_LSR) & LSR_THR_EMPTY)
			break;
	outb(COM1 + REG_DATA, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	serial_write(s, n);
}
