/*
 * The allocator shell: with `shell=1` on the cmdline (./run-qemu.sh
 * --shell) the kernel boots into a small command shell on the serial
 * console instead of the demonstration. It runs as a kernel thread; the
 * tick, kswapd and the other CPUs carry on around it.
 * docs/07-debugging-the-allocator.md ("The allocator shell").
 */
#ifndef LABYRINTH_KERNEL_SHELL_SHELL_H
#define LABYRINTH_KERNEL_SHELL_SHELL_H

#include <stdbool.h>

/* Was shell=1 given? */
bool shell_requested(void);
/* Starts the shell's thread on the boot CPU and waits until `exit`. */
void shell_run(void);

#endif
