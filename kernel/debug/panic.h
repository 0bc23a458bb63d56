/*
 * panic() and leaving QEMU. Under tests (ktest=...) a panic or an unexpected
 * exception ends the QEMU run with a failure code, so the boot matrix sees
 * the failure at once instead of waiting for its timeout.
 */
#ifndef LABYRINTH_KERNEL_DEBUG_PANIC_H
#define LABYRINTH_KERNEL_DEBUG_PANIC_H

#include <stdbool.h>

/* Values written to QEMU's isa-debug-exit port; QEMU exits with
 * (value << 1) | 1, so 33 means pass and 35 fail (run-qemu.sh maps
 * them to exit statuses 0 and 1 for tests/run-tests.sh). */
#define QEMU_EXIT_PASS 0x10
#define QEMU_EXIT_FAIL 0x11

/* True once the cmdline asked for tests: failures must end the run. */
extern bool running_tests;

void qemu_exit(int value) __attribute__((noreturn));
void panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Prints a frame-pointer backtrace: `rip` (if non-zero) is where the CPU
 * is, `rbp` the frame of the function containing it; the callers follow. */
void print_backtrace(unsigned long rip, unsigned long rbp);

#endif
