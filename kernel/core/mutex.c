/*
 * The sleeping mutex (kernel/core/mutex.h). Ownership is one compare-and-swap
 * on the owner field; the wait queue only holds the sleepers. A waiter
 * sleeps until it sees the mutex free, then tries again, so an unlock can
 * never be missed: wait_event checks after queueing itself.
 * See docs/05b-threads-and-sleeping.md ("The sleeping mutex").
 */
#include "kernel/core/mutex.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"

bool mutex_trylock(struct mutex *m)
{
	struct task_struct *expected = NULL;
	return __atomic_compare_exchange_n(&m->owner, &expected, current, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

bool mutex_is_locked(const struct mutex *m)
{
	return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) != NULL;
}

void mutex_lock(struct mutex *m)
{
	if (!might_sleep()) {
		while (!mutex_trylock(m))
			cpu_relax();
		return;
	}
	if (__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == current)
		pr_err("mutex: '%s' taken again by its owner '%s': deadlock\n",
		       m->name, current->comm);
	while (!mutex_trylock(m)) {
		__atomic_fetch_add(&m->contended, 1, __ATOMIC_RELAXED);
		wait_event(m->waiters, !mutex_is_locked(m));
	}
}

void mutex_unlock(struct mutex *m)
{
	struct task_struct *owner =
	    __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
	if (owner != current) {
		pr_err("mutex: '%s' released by '%s', but %s%s%s\n", m->name,
		       current->comm, owner ? "held by '" : "not held",
		       owner ? owner->comm : "", owner ? "'" : "");
		return;
	}
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELEASE);
	/* The store must be visible before we look for sleepers: a waiter
	 * queues itself, then reads the owner. Without the barrier each
	 * could miss the other's write, and the waiter would sleep on. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (waitqueue_active(&m->waiters))
		wake_up(&m->waiters);
}
