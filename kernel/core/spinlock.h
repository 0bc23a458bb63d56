/*
 * Spinlocks: a ticket lock (fair: CPUs get the lock in the order they asked)
 * plus the IRQ-safe variants that the allocator uses, so an interrupt on the
 * same CPU can never spin on a lock its own CPU holds. Header-only, built on
 * compiler atomics, so the host tests use the very same lock.
 * In the kernel each lock also carries a lockdep_map: the lock validator
 * (kernel/core/lockdep.h) sees every acquisition, and holding a lock disables
 * preemption (kernel/core/preempt.h): a task switched away while holding one
 * would leave every other task on its CPU spinning on it, and
 * might_sleep() can then see that sleeping is forbidden. The host build has
 * neither.
 */
#ifndef LABYRINTH_KERNEL_CORE_SPINLOCK_H
#define LABYRINTH_KERNEL_CORE_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86/irqflags.h"
#include "kernel/debug/bug.h"
#ifndef LABYRINTH_HOST
#include "kernel/core/lockdep.h"
#include "kernel/core/preempt.h"
#endif

typedef struct {
	unsigned int next;    /* ticket handed to the next arrival */
	unsigned int serving; /* ticket now allowed in */
	uintptr_t owner;      /* spin_owner_self() of the holder, 0: free */
#ifndef LABYRINTH_HOST
	struct lockdep_map dep_map;
#endif
} spinlock_t;

/* An unnamed static lock: the validator names it by its address. */
#define SPINLOCK_INIT   \
	{               \
		0, 0, 0 \
	}
/* A named static lock (Linux's DEFINE_SPINLOCK): reports say its name. */
#ifndef LABYRINTH_HOST
#define DEFINE_SPINLOCK(x) spinlock_t x = { 0, 0, 0, LOCKDEP_MAP_INIT(#x) }
#else
#define DEFINE_SPINLOCK(x) spinlock_t x = { 0, 0, 0 }
#endif

/*
 * Who holds a lock, so that lockdep_assert_held() can tell "held by me"
 * from "held by someone": the kernel's CPU number plus one (a spinlock is
 * held with preemption off, so it never changes CPU), a host thread's
 * address of its own host_irq_flags.
 */
#ifndef LABYRINTH_HOST
static inline uintptr_t spin_owner_self(void)
{
	return (uintptr_t)smp_processor_id() + 1;
}
#else
static inline uintptr_t spin_owner_self(void)
{
	return (uintptr_t)&host_irq_flags;
}
#endif

#ifndef LABYRINTH_HOST
#define spin_acquire(lock) lock_acquire(&(lock)->dep_map, 0)
#define spin_release(lock) lock_release(&(lock)->dep_map, 0)
#define spin_preempt_disable() preempt_disable()
#define spin_preempt_enable() preempt_enable()
#else
#define spin_acquire(lock) ((void)(lock))
#define spin_release(lock) ((void)(lock))
#define spin_preempt_disable() ((void)0)
#define spin_preempt_enable() ((void)0)
#endif

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void __spin_lock_init(spinlock_t *lock, const char *name,
				    const void *key)
{
	lock->next = 0;
	lock->serving = 0;
	lock->owner = 0;
#ifndef LABYRINTH_HOST
	lockdep_init_map(&lock->dep_map, name, key);
#else
	(void)name;
	(void)key;
#endif
}

/* Every lock initialised at one call site is one class for the validator
 * (Linux does the same), named after the expression: "&zone->lock". */
#define spin_lock_init(lock)                                      \
	do {                                                      \
		static const struct {                             \
			char c;                                   \
		} spin_lock_key_;                                 \
		__spin_lock_init((lock), #lock, &spin_lock_key_); \
	} while (0)

#ifdef LABYRINTH_HOST
/* A host thread can lose its core while it holds a lock or waits its turn
 * (the kernel holds spinlocks with preemption off): with more threads than
 * cores, a ticket lock then convoys for seconds. Waiters yield now and then,
 * and check that this thread is not already in the lock's queue: a signal
 * playing an interrupt (tests/stress/) that waits for a lock its own thread
 * holds, or is queued for, with interrupts on (a missing irqsave) would
 * spin for ever. It is reported and the run stops
 * (tests/support/platform_host.c); the kernel's lock validator finds the
 * same mistake by its rules. host_spin_waiting: the lock this thread is
 * queued for, so that an interrupt of the wait can see it. */
int sched_yield(void);
void host_spin_self_deadlock(const spinlock_t *lock);
extern _Thread_local const spinlock_t *volatile host_spin_waiting;
static inline const spinlock_t *spin_wait_begin(const spinlock_t *lock)
{
	const spinlock_t *outer = host_spin_waiting;
	host_spin_waiting = lock;
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* before taking a ticket */
	return outer;
}
static inline void spin_wait_end(const spinlock_t *outer)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* after owner is set */
	host_spin_waiting = outer;
}
static inline void spin_wait_relax(const spinlock_t *lock,
				   const spinlock_t *outer, unsigned int *spins)
{
	if ((++*spins & 63) == 0) {
		if (outer == lock ||
		    __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) ==
			spin_owner_self())
			host_spin_self_deadlock(lock);
		sched_yield();
	} else
		cpu_relax();
}
#else
static inline const spinlock_t *spin_wait_begin(const spinlock_t *lock)
{
	(void)lock;
	return 0;
}
static inline void spin_wait_end(const spinlock_t *outer)
{
	(void)outer;
}
static inline void spin_wait_relax(const spinlock_t *lock,
				   const spinlock_t *outer, unsigned int *spins)
{
	(void)lock;
	(void)outer;
	(void)spins;
	cpu_relax();
}
#endif

static inline void spin_lock(spinlock_t *lock)
{
	unsigned int spins = 0;
	spin_preempt_disable();
	spin_acquire(lock); /* before spinning: a report beats a silent hang */
	const spinlock_t *outer = spin_wait_begin(lock);
	unsigned int ticket =
	    __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE) != ticket)
		spin_wait_relax(lock, outer, &spins);
	__atomic_store_n(&lock->owner, spin_owner_self(), __ATOMIC_RELAXED);
	spin_wait_end(outer);
}

static inline bool spin_trylock(spinlock_t *lock)
{
	unsigned int serving =
	    __atomic_load_n(&lock->serving, __ATOMIC_RELAXED);
	unsigned int expected = serving;
	spin_preempt_disable();
	bool taken =
	    __atomic_compare_exchange_n(&lock->next, &expected, serving + 1,
					false, __ATOMIC_ACQUIRE,
					__ATOMIC_RELAXED);
	if (taken) {
		spin_acquire(lock);
		__atomic_store_n(&lock->owner, spin_owner_self(),
				 __ATOMIC_RELAXED);
	} else
		spin_preempt_enable();
	return taken;
}

static inline void spin_unlock(spinlock_t *lock)
{
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	spin_release(lock);
	__atomic_store_n(&lock->serving, lock->serving + 1, __ATOMIC_RELEASE);
	spin_preempt_enable();
}

static inline bool spin_is_locked(spinlock_t *lock)
{
	return __atomic_load_n(&lock->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&lock->serving, __ATOMIC_RELAXED);
}

/* Does this CPU (host: this thread) hold the lock? */
static inline bool spin_is_held_by_me(spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) ==
	       spin_owner_self();
}

/*
 * Say a locking rule in code (Linux's lockdep_assert_held): a function
 * that must be called with `lock` held, or with interrupts off, checks it
 * on entry, on target and on the host alike, and warns with a backtrace
 * when a caller broke the rule.
 */
#define lockdep_assert_held(lock) WARN_ON_ONCE(!spin_is_held_by_me(lock))
#define lockdep_assert_irqs_disabled() WARN_ON_ONCE(!irqs_disabled())

#define spin_lock_irqsave(lock, flags) \
	do {                           \
		local_irq_save(flags); \
		spin_lock(lock);       \
	} while (0)

static inline void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	spin_release(lock);
	__atomic_store_n(&lock->serving, lock->serving + 1, __ATOMIC_RELEASE);
	local_irq_restore(flags);
	/* After interrupts are back on, so a switch held off meanwhile can
	 * happen now rather than at the next tick. */
	spin_preempt_enable();
}

#endif
