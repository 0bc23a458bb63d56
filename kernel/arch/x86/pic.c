/*
 * The 8259A pair, initialised only to be silenced. Firmware may leave them
 * mapped onto vectors 0x08-0x0f, where a timer tick would look like a double
 * fault; the ICW sequence below moves them to 0x20-0x2f, then OCW1 masks all
 * sixteen lines. A masked 8259 can still raise a spurious IRQ 7 or 15 (see
 * irq.c for how those are recognised). See docs/04-interrupts.md.
 */
#include "kernel/arch/x86/pic.h"
#include "kernel/arch/x86/cpu.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT 0x10 /* start the initialisation sequence */
#define ICW1_ICW4 0x01 /* ICW4 follows */
#define ICW4_8086 0x01 /* 8086 mode, not 8080 */

/* Old PICs need a moment between writes; port 0x80 (POST codes) is a safe
 * place to write for that delay, as Linux does. */
static void io_wait(void)
{
	outb(0x80, 0);
}

void pic_init_masked(void)
{
	outb(PIC1_DATA, 0xff); /* mask first: nothing fires mid-sequence */
	outb(PIC2_DATA, 0xff);

	outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
	io_wait();
	outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
	io_wait();
	outb(PIC1_DATA, PIC_VECTOR_BASE); /* ICW2: vector offset */
	io_wait();
	outb(PIC2_DATA, PIC_VECTOR_BASE + 8);
	io_wait();
	outb(PIC1_DATA, 1 << 2); /* ICW3: the slave hangs on master line 2 */
	io_wait();
	outb(PIC2_DATA, 2); /* ICW3: the slave's cascade identity */
	io_wait();
	outb(PIC1_DATA, ICW4_8086);
	io_wait();
	outb(PIC2_DATA, ICW4_8086);
	io_wait();

	outb(PIC1_DATA, 0xff); /* OCW1: every line masked */
	outb(PIC2_DATA, 0xff);
}

void pic_master_eoi(void)
{
	outb(PIC1_CMD, 0x20); /* OCW2: non-specific EOI */
}

uint16_t pic_read_masks(void)
{
	return inb(PIC1_DATA) | (uint16_t)inb(PIC2_DATA) << 8;
}
