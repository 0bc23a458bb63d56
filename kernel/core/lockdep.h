/*
 * A small lock validator in the spirit of Linux's lockdep. Locks are
 * grouped into classes (all locks initialised at one spin_lock_init() call
 * site, or one statically defined lock, form a class); for each class it
 * remembers where it was first taken in hard interrupt context and where it
 * was first taken with interrupts enabled. Having both means an interrupt
 * can arrive while the lock is held and spin on it forever: the validator
 * reports that "inconsistent lock state" once per class, naming the lock
 * and both places. See docs/04-interrupts.md ("Checking the rules").
 *
 * Kernel only: the host build (LABYRINTH_HOST) has no interrupts and no
 * validator; spinlock.h leaves the hooks out there.
 */
#ifndef LABYRINTH_KERNEL_CORE_LOCKDEP_H
#define LABYRINTH_KERNEL_CORE_LOCKDEP_H

#include <stdbool.h>
#include <stdint.h>

/* Only its address matters: one static key per class. */
struct lock_class_key {
	char unused;
};

struct lock_class;

/* Embedded in each lock. All zero is valid: the class is then keyed by the
 * lock's own address and named after it. */
struct lockdep_map {
	const char *name;
	const struct lock_class_key *key;
	struct lock_class *class_cache; /* found on first use */
};

#define LOCKDEP_MAP_INIT(lockname) \
	{                          \
		lockname, 0, 0     \
	}

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key);

/*
 * Called around taking and releasing a lock. ip is the caller to remember;
 * 0 means "my caller" (for spin_lock(), inlined, that is the function that
 * took the lock).
 */
void lock_acquire(struct lockdep_map *map, unsigned long ip);
void lock_release(struct lockdep_map *map, unsigned long ip);

/* Inconsistent-lock-state reports printed so far. */
extern unsigned long lockdep_reports;

/* For tests: what the validator knows about a lock's class. */
struct lockdep_usage {
	bool known, in_hardirq, hardirq_on, reported;
	unsigned long in_hardirq_ip, hardirq_on_ip;
};
void lockdep_get_usage(struct lockdep_map *map, struct lockdep_usage *out);

#endif
