/*
 * COM1 at I/O port 0x3f8, 115200 baud 8N1. Sending is polled (no interrupts
 * needed, so it works from the first instruction to the last exception
 * report); printk's console_write() lands here. Receiving, which only the
 * allocator shell (kernel/shell/) asks for, is interrupt-driven into a small
 * ring buffer. See docs/01-boot.md ("The console") and
 * docs/07-debugging-the-allocator.md ("The allocator shell").
 */
#include "kernel/arch/x86/serial.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/core/irq.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/printk.h"

#define COM1 0x3f8
#define COM1_IRQ 4
#define REG_DATA 0
#define REG_IER 1
#define REG_IIR 2 /* read; the same port written is the FCR */
#define REG_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define IER_RX_DATA 0x01 /* interrupt when data is waiting */
#define IER_RX_LINE 0x04 /* ... and on a receive error (overrun) */
#define IIR_NONE 0x01	 /* no interrupt pending */
#define IIR_ID 0x0e	 /* which one, highest priority first: */
#define IIR_LINE 0x06	 /*   receive error: LSR says which */
#define IIR_DATA 0x04	 /*   FIFO reached its trigger level */
#define IIR_TIMEOUT 0x0c /*   data waited 4 characters' time */
#define IIR_MODEM 0x00	 /*   modem lines changed: MSR clears it */
#define MCR_DTR_RTS 0x03
#define MCR_OUT2 0x08 /* on a PC, gates the UART's line to the IRQ */
#define LSR_DATA_READY 0x01
#define LSR_OVERRUN 0x02
#define LSR_THR_EMPTY 0x20

void serial_init(void)
{
	outb(COM1 + REG_IER, 0x00); /* no interrupts: we poll */
	outb(COM1 + REG_LCR, 0x80); /* DLAB on to set the divisor */
	outb(COM1 + REG_DATA, 1);   /* 115200 / 1 */
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x03); /* 8 data bits, no parity, 1 stop bit */
	outb(COM1 + REG_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
	outb(COM1 + REG_MCR, MCR_DTR_RTS);
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

/* ---------------------------------------------------------------- receive */

/*
 * Why an interrupt and not a thread that polls: the UART holds only 16
 * bytes, which at 115200 baud arrive in 1.4 ms. A polling thread would have
 * to run every millisecond on some CPU whether anyone types or not, and a
 * thread kept off its CPU for one time slice (10 ms) would lose input on
 * real hardware. The interrupt comes when there is data, on the CPU the I/O
 * APIC sends it to (the one that called serial_rx_start), whatever runs.
 *
 * The ring has one producer (the handler) and one consumer (the shell's
 * thread), possibly on different CPUs. One spinlock, taken with interrupts
 * off, covers the ring *and* the receive-interrupt enable bit: when the
 * ring is full the handler turns receive interrupts off (throttles) instead
 * of dropping bytes, and the reader turns them back on once it has made
 * room. Both decisions depend on the ring's fill level, so they must not
 * interleave. While throttled, bytes wait in the UART's FIFO; QEMU's UART
 * then stops taking bytes from its backend, so a scripted input (run-qemu.sh
 * --input) is paced, never lost. Real hardware without flow control would
 * overrun the FIFO instead; overruns are counted.
 *
 * The I/O APIC pin is edge-triggered: the UART's line must go low and high
 * again for the next interrupt. So the handler loops until the UART says
 * nothing is pending; a condition left set would keep the line high and
 * silence the port for good.
 */
#define RX_RING_SIZE 256
_Static_assert((RX_RING_SIZE & (RX_RING_SIZE - 1)) == 0,
	       "the ring's indexes wrap by masking");

static DEFINE_SPINLOCK(rx_lock);
static struct {
	char ring[RX_RING_SIZE];
	unsigned int head, tail; /* free-running; head - tail bytes held */
	uint8_t ier;		 /* what IER holds now */
	bool started;
	struct serial_rx_stats stats;
} rx;

struct wait_queue_head serial_rx_wait;

/* Moves waiting bytes from the UART into the ring; lock held. Returns how
 * many it moved. */
static unsigned int rx_drain_locked(void)
{
	unsigned int moved = 0;
	lockdep_assert_held(&rx_lock);
	for (;;) {
		uint8_t lsr = inb(COM1 + REG_LSR);
		if (lsr & LSR_OVERRUN)
			rx.stats.overruns++;
		if (!(lsr & LSR_DATA_READY) || lsr == 0xff)
			break;
		if (rx.head - rx.tail == RX_RING_SIZE) {
			/* Full: leave the byte in the FIFO, stop asking. */
			rx.ier &= (uint8_t)~IER_RX_DATA;
			outb(COM1 + REG_IER, rx.ier);
			rx.stats.throttled++;
			break;
		}
		rx.ring[rx.head++ % RX_RING_SIZE] = (char)inb(COM1 + REG_DATA);
		rx.stats.bytes++;
		moved++;
	}
	return moved;
}

static irqreturn_t serial_interrupt(unsigned int irq, void *dev_id)
{
	unsigned int moved = 0;
	(void)irq;
	(void)dev_id;
	spin_lock(&rx_lock); /* interrupts are off in a handler */
	rx.stats.interrupts++;
	/* Bounded: a UART that never clears must not hang the CPU. */
	for (int round = 0; round < 32; round++) {
		uint8_t iir = inb(COM1 + REG_IIR);
		if (iir & IIR_NONE)
			break;
		switch (iir & IIR_ID) {
		case IIR_LINE:
		case IIR_DATA:
		case IIR_TIMEOUT:
			moved += rx_drain_locked(); /* reads LSR too */
			break;
		case IIR_MODEM:
			(void)inb(COM1 + REG_MSR);
			break;
		default: /* transmit interrupts are never enabled */
			break;
		}
	}
	spin_unlock(&rx_lock);
	if (moved)
		wake_up(&serial_rx_wait);
	return IRQ_HANDLED;
}

int serial_rx_start(void)
{
	unsigned long flags;
	if (rx.started)
		return 0;
	init_waitqueue_head(&serial_rx_wait);
	if (request_irq(COM1_IRQ, serial_interrupt, "com1", &rx))
		return -1;
	spin_lock_irqsave(&rx_lock, flags);
	rx.ier = IER_RX_DATA | IER_RX_LINE;
	outb(COM1 + REG_MCR, MCR_DTR_RTS | MCR_OUT2);
	outb(COM1 + REG_IER, rx.ier);
	rx.started = true;
	/* Bytes typed before now are still in the FIFO: take them, so the
	 * line goes low and the next byte makes an edge. */
	if (rx_drain_locked())
		wake_up(&serial_rx_wait);
	spin_unlock_irqrestore(&rx_lock, flags);
	return 0;
}

bool serial_rx_pending(void)
{
	return __atomic_load_n(&rx.head, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&rx.tail, __ATOMIC_RELAXED);
}

size_t serial_rx_read(char *buf, size_t size)
{
	unsigned long flags;
	size_t n = 0;
	spin_lock_irqsave(&rx_lock, flags);
	while (n < size && rx.tail != rx.head)
		buf[n++] = rx.ring[rx.tail++ % RX_RING_SIZE];
	if (n && rx.started && !(rx.ier & IER_RX_DATA)) {
		/* Room again: take what waited in the FIFO, and ask again. A
		 * byte still waiting raises the line: a fresh edge. */
		rx_drain_locked();
		if (rx.head - rx.tail < RX_RING_SIZE) {
			rx.ier |= IER_RX_DATA;
			outb(COM1 + REG_IER, rx.ier);
		}
	}
	spin_unlock_irqrestore(&rx_lock, flags);
	return n;
}

void serial_rx_get_stats(struct serial_rx_stats *out)
{
	unsigned long flags;
	spin_lock_irqsave(&rx_lock, flags);
	*out = rx.stats;
	spin_unlock_irqrestore(&rx_lock, flags);
}
