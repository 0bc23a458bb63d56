/*
 * panic() and leaving QEMU. A panic or an unexpected exception always ends
 * the QEMU run with the failure code (on real hardware, without QEMU's
 * exit device, the CPU halts), so neither a user nor the boot matrix waits
 * for a timeout to learn that the kernel died.
 */
#ifndef LABYRINTH_KERNEL_DEBUG_PANIC_H
#define LABYRINTH_KERNEL_DEBUG_PANIC_H

#include <stdbool.h>

/* Values written to QEMU's isa-debug-exit port; QEMU exits with
 * (value << 1) | 1, so 33 means pass and 35 fail (run-qemu.sh maps
 * them to exit statuses 0 and 1 for tests/run-tests.sh). */
#define QEMU_EXIT_PASS 0x10
#define QEMU_EXIT_FAIL 0x11

void qemu_exit(int value) __attribute__((noreturn));
/* Resets the machine (the chipset's reset register, the keyboard
 * controller, then a triple fault). Under run-qemu.sh's -no-reboot QEMU
 * exits instead; with --shell the machine boots again. */
void machine_restart(void) __attribute__((noreturn));
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Prints a frame-pointer backtrace: `rip` (if non-zero) is where the CPU
 * is, `rbp` the frame of the function containing it; the callers follow. */
void print_backtrace(unsigned long rip, unsigned long rbp);

#endif
