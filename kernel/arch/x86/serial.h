/*
 * The 16550 UART on COM1: the kernel's console (printk writes here) and,
 * for the allocator shell, a receive path: the COM1 interrupt fills a ring
 * buffer that a thread reads, sleeping on serial_rx_wait while it is empty.
 * docs/07-debugging-the-allocator.md ("The allocator shell").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_SERIAL_H
#define LABYRINTH_KERNEL_ARCH_X86_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/core/wait.h"

void serial_init(void);
void serial_write(const char *s, size_t n);

/* What receiving has seen since serial_rx_start. */
struct serial_rx_stats {
	uint64_t bytes;	     /* moved into the ring */
	uint64_t interrupts; /* COM1 interrupts handled */
	uint64_t throttled;  /* times the ring was full and receive paused */
	uint64_t overruns;   /* bytes the UART itself lost (FIFO overrun) */
};

/* Turns receiving on: COM1's IRQ 4 routed to this CPU, receive interrupts
 * enabled. After init_IRQ(), in process context. 0, or -1 (reported). */
int serial_rx_start(void);
/* Woken when bytes arrive; wait for serial_rx_pending() on it. */
extern struct wait_queue_head serial_rx_wait;
bool serial_rx_pending(void);
/* Takes up to `size` received bytes; returns how many (0: none yet). */
size_t serial_rx_read(char *buf, size_t size);
void serial_rx_get_stats(struct serial_rx_stats *out);

#endif
