/*
 * Assertions that say an invariant in code (Linux's include/asm-generic/bug.h):
 *
 *   WARN_ON(cond)       cond true: print "WARNING: ... at file:line: cond"
 *                       with a backtrace, count it, and go on. Returns cond,
 *                       so `if (WARN_ON(x)) return -1;` reads naturally.
 *   WARN_ON_ONCE(cond)  the same, printed only the first time at that spot.
 *   BUG_ON(cond)        cond true: the kernel cannot go on. Panics naming
 *                       the condition (the host aborts).
 *
 * The kernel implements the reports in kernel/debug/bug.c, the host build
 * in tests/support/platform_host.c. docs/07-debugging-the-allocator.md
 * ("Assertions").
 */
#ifndef LABYRINTH_KERNEL_DEBUG_BUG_H
#define LABYRINTH_KERNEL_DEBUG_BUG_H

#include <stdbool.h>

/* Prints the warning report for a failed condition at file:line. */
void __warn(const char *file, int line, const char *cond);
/* Reports a BUG at file:line and stops. */
void __bug(const char *file, int line, const char *cond)
    __attribute__((noreturn));

/* Warnings printed so far, and times a WARN_ON_ONCE condition held,
 * printed or not (tests read them to see an assertion fire, even at a
 * spot that has already printed its one report). */
extern unsigned long warn_count, warn_once_hits;

#define WARN_ON(cond)                                      \
	({                                                 \
		bool warn_on_ = !!(cond);                  \
		if (__builtin_expect(warn_on_, 0))         \
			__warn(__FILE__, __LINE__, #cond); \
		warn_on_;                                  \
	})

#define WARN_ON_ONCE(cond)                                            \
	({                                                            \
		static bool warned_once_;                             \
		bool warn_on_ = !!(cond);                             \
		if (__builtin_expect(warn_on_, 0)) {                  \
			__atomic_fetch_add(&warn_once_hits, 1,        \
					   __ATOMIC_RELAXED);         \
			if (!__atomic_exchange_n(&warned_once_, true, \
						 __ATOMIC_RELAXED))   \
				__warn(__FILE__, __LINE__, #cond);    \
		}                                                     \
		warn_on_;                                             \
	})

#define BUG_ON(cond)                                      \
	do {                                              \
		if (__builtin_expect(!!(cond), 0))        \
			__bug(__FILE__, __LINE__, #cond); \
	} while (0)

#define BUG() __bug(__FILE__, __LINE__, "BUG()")

#endif
