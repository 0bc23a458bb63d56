/*
 * The 16550 UART on COM1: the kernel's console (printk writes here).
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_SERIAL_H
#define LABYRINTH_KERNEL_ARCH_X86_SERIAL_H

#include <stddef.h>

void serial_init(void);
void serial_write(const char *s, size_t n);

#endif
