/*
 * Wait queues: how a task sleeps until something happens, and how whoever
 * makes it happen wakes it. The sleeper puts itself on the queue and marks
 * itself asleep *before* it checks its condition, the waker makes the
 * condition true *before* it wakes the queue; so a wakeup between the check
 * and the sleep finds the task already marked and makes it runnable again,
 * and schedule() returns at once. Nothing is lost. Linux's wait_event().
 * See docs/05b-threads-and-sleeping.md ("Sleeping and waking").
 */
#ifndef LABYRINTH_KERNEL_CORE_WAIT_H
#define LABYRINTH_KERNEL_CORE_WAIT_H

#include <stdbool.h>

#include "kernel/core/might_sleep.h"
#include "kernel/core/spinlock.h"
#include "mm/mmzone.h" /* struct list_head */

struct task_struct;

/* Task states (Linux's names; there are no signals, so every sleep is
 * uninterruptible). */
#define TASK_RUNNING 0x0000	    /* on a CPU or on its run queue */
#define TASK_UNINTERRUPTIBLE 0x0002 /* blocked until woken (or timed out) */
#define TASK_DEAD 0x0080	    /* exited, waiting to be joined */
#define TASK_NOLOAD 0x0400	    /* with the above: idle, not stuck */
/* A kernel thread waiting for work (kswapd between runs): asleep like
 * TASK_UNINTERRUPTIBLE, but never reported as a hung task. Linux's name. */
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)

struct wait_queue_head {
	spinlock_t lock; /* taken with interrupts off: wakers may be IRQs */
	struct list_head head;
};

struct wait_queue_entry {
	struct task_struct *task;
	struct list_head entry;
	bool queued;
};

#define init_waitqueue_head(wq)              \
	do {                                 \
		spin_lock_init(&(wq)->lock); \
		INIT_LIST_HEAD(&(wq)->head); \
	} while (0)

void init_wait_entry(struct wait_queue_entry *wqe);
/* Queues wqe (once) and sets the task's state; then check, then sleep. */
void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *wqe,
		     long state);
/* Back to running and off the queue. */
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *wqe);
/* Wakes every task on the queue; returns how many were asleep. Safe from
 * interrupt handlers. */
unsigned int wake_up(struct wait_queue_head *wq);
#define wake_up_all(wq) wake_up(wq)
/* Is anyone waiting? A waker may skip wake_up() when not, but only after
 * a full barrier (__atomic_thread_fence) following its condition store. */
static inline bool waitqueue_active(struct wait_queue_head *wq)
{
	return !list_empty(&wq->head);
}

/* kernel/core/sched.h, declared here to keep the macros self-contained. */
long schedule_timeout(long timeout);
void schedule(void);

/*
 * Sleeps until cond is true. Where sleeping is forbidden (an interrupt
 * handler, interrupts off, a spinlock held) it reports, like Linux, and
 * returns without waiting. wait_event_idle sleeps as TASK_IDLE.
 */
#define __wait_event(wq, cond, state)                            \
	do {                                                     \
		struct wait_queue_entry __wqe;                   \
		if (!might_sleep())                              \
			break;                                   \
		init_wait_entry(&__wqe);                         \
		for (;;) {                                       \
			prepare_to_wait(&(wq), &__wqe, (state)); \
			if (cond)                                \
				break;                           \
			schedule();                              \
		}                                                \
		finish_wait(&(wq), &__wqe);                      \
	} while (0)
#define wait_event(wq, cond) __wait_event(wq, cond, TASK_UNINTERRUPTIBLE)
#define wait_event_idle(wq, cond) __wait_event(wq, cond, TASK_IDLE)

/*
 * Sleeps until cond is true or `timeout` jiffies have passed. Returns 0 if
 * the time ran out with cond false, else the jiffies left (at least 1).
 * Where sleeping is forbidden it reports and returns whether cond holds.
 */
#define wait_event_timeout(wq, cond, timeout)                          \
	({                                                             \
		long __left = (long)(timeout);                         \
		struct wait_queue_entry __wqe;                         \
		if (!might_sleep()) {                                  \
			__left = (cond) ? 1 : 0;                       \
		} else {                                               \
			init_wait_entry(&__wqe);                       \
			for (;;) {                                     \
				prepare_to_wait(&(wq), &__wqe,         \
						TASK_UNINTERRUPTIBLE); \
				if (cond) {                            \
					if (!__left)                   \
						__left = 1;            \
					break;                         \
				}                                      \
				if (__left <= 0) {                     \
					__left = 0;                    \
					break;                         \
				}                                      \
				__left = schedule_timeout(__left);     \
			}                                              \
			finish_wait(&(wq), &__wqe);                    \
		}                                                      \
		__left;                                                \
	})

#endif
