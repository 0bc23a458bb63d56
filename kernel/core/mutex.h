/*
 * The sleeping mutex, beside the spinlock: a task that finds it taken goes
 * to sleep instead of spinning, so it may be held across anything that
 * sleeps (an allocation that reclaims, a wait). Only tasks may take one:
 * never an interrupt handler, never with a spinlock held. Unlocking wakes
 * the waiters, who race for it again. Linux's struct mutex, minus the
 * optimistic spinning. See docs/05b-threads-and-sleeping.md.
 */
#ifndef LABYRINTH_KERNEL_CORE_MUTEX_H
#define LABYRINTH_KERNEL_CORE_MUTEX_H

#include <stdbool.h>

#include "kernel/core/wait.h"

struct mutex {
	struct task_struct *owner; /* NULL when free */
	const char *name;
	struct wait_queue_head waiters;
	unsigned long contended; /* times a locker had to sleep */
};

#define mutex_init(m)                               \
	do {                                        \
		(m)->owner = NULL;                  \
		(m)->name = #m;                     \
		(m)->contended = 0;                 \
		init_waitqueue_head(&(m)->waiters); \
	} while (0)

/* Sleeps until the mutex is ours. From a context that cannot sleep it is
 * reported (might_sleep) and then spun for, which can deadlock: fix the
 * caller. */
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
/* Releasing a mutex this task does not hold is reported and ignored. */
void mutex_unlock(struct mutex *m);
bool mutex_is_locked(const struct mutex *m);

#endif
