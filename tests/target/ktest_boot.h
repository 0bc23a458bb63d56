/*
 * Running the ktest suites on target: `ktest=all` or `ktest=a,b` on the
 * cmdline runs them after boot, prints KTAP on COM1, then leaves QEMU with
 * the pass or fail code (kernel/debug/panic.h). ktest_run_now() runs a
 * filter at any later time from a thread (the allocator shell's `ktest`,
 * kernel/shell/) and returns the number of failed cases, or -1 when the
 * filter is wrong (its "ktest: ..." lines printed, nothing run).
 */
#ifndef LABYRINTH_TESTS_TARGET_KTEST_BOOT_H
#define LABYRINTH_TESTS_TARGET_KTEST_BOOT_H

#include <stdbool.h>

bool ktest_requested(void);
void ktest_boot_run(void) __attribute__((noreturn));
int ktest_run_now(const char *filter);

#endif
