/*
 * Spinlocks: a ticket lock (fair: CPUs get the lock in the order they asked)
 * plus the IRQ-safe variants that the allocator uses, so an interrupt on the
 * same CPU can never spin on a lock its own CPU holds. Header-only, built on
 * compiler atomics, so the host tests use the very same lock.
 */
#ifndef LABYRINTH_KERNEL_SPINLOCK_H
#define LABYRINTH_KERNEL_SPINLOCK_H

#include "kernel/irqflags.h"

typedef struct {
	unsigned int next;    /* ticket handed to the next arrival */
	unsigned int serving; /* ticket now allowed in */
} spinlock_t;

#define SPINLOCK_INIT {0, 0}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void spin_lock_init(spinlock_t *lock)
{
	lock->next = 0;
	lock->serving = 0;
}

static inline void spin_lock(spinlock_t *lock)
{
	unsigned int ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE) != ticket)
		cpu_relax();
}

static inline bool spin_trylock(spinlock_t *lock)
{
	unsigned int serving = __atomic_load_n(&lock->serving, __ATOMIC_RELAXED);
	unsigned int expected = serving;
	return __atomic_compare_exchange_n(&lock->next, &expected, serving + 1,
					   false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *lock)
{
	__atomic_store_n(&lock->serving, lock->serving + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(spinlock_t *lock)
{
	return __atomic_load_n(&lock->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&lock->serving, __ATOMIC_RELAXED);
}

#define spin_lock_irqsave(lock, flags)                                         \
	do {                                                                   \
		local_irq_save(flags);                                         \
		spin_lock(lock);                                               \
	} while (0)

static inline void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock(lock);
	local_irq_restore(flags);
}

#endif
