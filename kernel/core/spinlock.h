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
	unsigned long owner_ip; /* where the holder took it (lockup reports) */
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
#define DEFINE_SPINLOCK(x) spinlock_t x = { 0, 0, 0, 0, LOCKDEP_MAP_INIT(#x) }
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
	lock->owner_ip = 0;
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
void host_spin_corrupt(const spinlock_t *lock);
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
				   const spinlock_t *outer, unsigned int ticket,
				   unsigned int *spins)
{
	(void)ticket;
	if ((++*spins & 63) == 0) {
		if (outer == lock ||
		    __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) ==
			spin_owner_self())
			host_spin_self_deadlock(lock);
		/* serving first: it never passes the `next` read after it,
		 * unless two CPUs held the lock at once. */
		unsigned int serving =
		    __atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE);
		if ((int)(__atomic_load_n(&lock->next, __ATOMIC_RELAXED) -
			  serving) < 0)
			host_spin_corrupt(lock);
		sched_yield();
	} else
		cpu_relax();
}
#define spin_note_owner_ip(lock) ((void)(lock))
#else
/*
 * A wait that lasts far longer than any critical section (2^28 pauses: tens
 * of seconds under TCG, a fraction of that on hardware) is a lockup, not a
 * convoy: report it once per CPU, with the lock word, the holder and where
 * it took the lock, this CPU's ticket and interrupt state, and a backtrace,
 * then keep waiting (Linux's old "spinlock lockup suspected"). Every stuck
 * CPU reports, so one log shows the whole knot. kernel/core/spinlock.c.
 */
#define SPIN_LOCKUP_SPINS (1u << 28)
/* Tests lower the threshold for one lock only (the rest keep 2^28). */
extern unsigned int spin_lockup_spins;
extern const spinlock_t *spin_lockup_test_lock;
void spin_lockup_report(const spinlock_t *lock, unsigned int ticket);
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
				   const spinlock_t *outer, unsigned int ticket,
				   unsigned int *spins)
{
	(void)outer;
	if (__builtin_expect(++*spins == spin_lockup_spins, 0) &&
	    (spin_lockup_spins >= SPIN_LOCKUP_SPINS ||
	     lock == spin_lockup_test_lock))
		spin_lockup_report(lock, ticket);
	cpu_relax();
}
/* The address of the code taking the lock (Linux's _THIS_IP_). */
#define spin_note_owner_ip(lock)                                    \
	do {                                                        \
		unsigned long here_;                                \
		__asm__ volatile("lea 0(%%rip), %0" : "=r"(here_)); \
		(lock)->owner_ip = here_;                           \
	} while (0)
#endif

/*
 * How spin_lock() waits. SPIN_TICKET queues: fair, and the right lock on
 * real CPUs. But in a virtual machine with more busy vCPUs than host cores
 * (QEMU's TCG here: 4 vCPUs on 2 cores), the host deschedules vCPUs for
 * milliseconds, and a ticket lock hands itself to the next in line whether
 * or not that vCPU runs: every CPU behind it waits, interrupts off, and a
 * busy lock convoys for good (the 4-CPU soak did 30x fewer operations and
 * seemed to hang). SPIN_TEST_AND_SET takes the lock only when it is free
 * (one compare-and-swap of `next` from `serving` to `serving + 1`): any
 * running CPU may take it, unfair but never waiting on a vCPU that is not
 * running. Linux makes the same choice as a guest without paravirtual
 * spinlocks (virt_spin_lock()). Both ways use the same two words and the
 * same unlock, so CPUs may even mix them: mutual exclusion holds either
 * way. The kernel picks at boot (spinlock=auto|ticket|tas, auto: test-and-
 * set under a hypervisor); the host tests default to tickets.
 * docs/05-smp-and-per-cpu-lists.md ("Ticket or test-and-set").
 */
enum spin_lock_mode { SPIN_TICKET, SPIN_TEST_AND_SET };
extern enum spin_lock_mode spin_lock_mode;
#ifndef LABYRINTH_HOST
/* Chooses the mode once, on the boot CPU before any other CPU runs. */
void spin_lock_mode_init(bool hypervisor);
const char *spin_lock_mode_name(void);
extern unsigned long spin_lockups;
/* For tests: the next lockup on cpu is reported again. */
void spin_lockup_rearm(unsigned int cpu);
#endif

/* Waits until the lock is free and takes it then (SPIN_TEST_AND_SET). The
 * load of `serving` acquires: it reads the last holder's release store, so
 * its critical section comes before ours (C11; x86 orders loads anyway). */
static inline void spin_lock_test_and_set(spinlock_t *lock,
					  const spinlock_t *outer,
					  unsigned int *spins)
{
	for (;;) {
		unsigned int serving =
		    __atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE);
		unsigned int expected = serving;
		if (__atomic_load_n(&lock->next, __ATOMIC_RELAXED) == serving &&
		    __atomic_compare_exchange_n(&lock->next, &expected,
						serving + 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		spin_wait_relax(lock, outer, serving, spins);
	}
}

static inline void spin_lock(spinlock_t *lock)
{
	unsigned int spins = 0;
	spin_preempt_disable();
	spin_acquire(lock); /* before spinning: a report beats a silent hang */
	const spinlock_t *outer = spin_wait_begin(lock);
	if (__atomic_load_n(&spin_lock_mode, __ATOMIC_RELAXED) ==
	    SPIN_TEST_AND_SET) {
		spin_lock_test_and_set(lock, outer, &spins);
	} else {
		unsigned int ticket =
		    __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE) !=
		       ticket)
			spin_wait_relax(lock, outer, ticket, &spins);
	}
	__atomic_store_n(&lock->owner, spin_owner_self(), __ATOMIC_RELAXED);
	spin_note_owner_ip(lock);
	spin_wait_end(outer);
}

static inline bool spin_trylock(spinlock_t *lock)
{
	unsigned int serving = /* acquire: as spin_lock_test_and_set */
	    __atomic_load_n(&lock->serving, __ATOMIC_ACQUIRE);
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
		spin_note_owner_ip(lock);
	} else
		spin_preempt_enable();
	return taken;
}

/* An unlock of a lock nobody holds (next == serving) would let a later one
 * in twice, or, past `next`, nobody ever again: it is reported and refused
 * before it changes anything: not the lock, not the validator's view, not
 * the preemption count, not the interrupt flag (Linux's "already
 * unlocked"). */
static inline bool spin_unlock_refused(spinlock_t *lock)
{
	return WARN_ON_ONCE(__atomic_load_n(&lock->serving, __ATOMIC_RELAXED) ==
			    __atomic_load_n(&lock->next, __ATOMIC_RELAXED));
}

/* Lets the next CPU in (only the holder writes `serving`). */
static inline void spin_hand_on(spinlock_t *lock)
{
	__atomic_store_n(&lock->serving, lock->serving + 1, __ATOMIC_RELEASE);
}

static inline void spin_unlock(spinlock_t *lock)
{
	if (spin_unlock_refused(lock))
		return;
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	spin_release(lock);
	spin_hand_on(lock);
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
	if (spin_unlock_refused(lock))
		return;
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELAXED);
	spin_release(lock);
	spin_hand_on(lock);
	local_irq_restore(flags);
	/* After interrupts are back on, so a switch held off meanwhile can
	 * happen now rather than at the next tick. */
	spin_preempt_enable();
}

#endif
