/*
 * The lock validator (kernel/core/lockdep.h): per lock class, the first place
 * it was taken in hard interrupt context ({IN-HARDIRQ-W} in Linux's words)
 * and the first place it was taken with interrupts enabled ({HARDIRQ-ON-W}).
 * When a class has both, an interrupt can arrive on a CPU that holds the
 * lock with interrupts on, and the handler would spin on it forever; that is
 * reported once per class, with the lock's name and both call sites.
 * See docs/04-interrupts.md ("Checking the rules").
 */
#include "kernel/core/lockdep.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/core/irq.h"
#include "kernel/arch/x86/irqflags.h"
#include "kernel/debug/ksyms.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

#define LOCKDEP_MAX_CLASSES 256

struct lock_class {
	const void *key; /* the lock_class_key, or the lock for static locks */
	const char *name;
	unsigned long in_hardirq_ip; /* 0: never taken in hardirq context */
	unsigned long hardirq_on_ip; /* 0: never taken with irqs enabled */
	bool reported;
};

static struct lock_class classes[LOCKDEP_MAX_CLASSES];
static unsigned int nr_classes;
/* The validator's own lock: a bare flag, as a spinlock_t would recurse. */
static volatile char lockdep_busy;
static bool classes_full_reported;
unsigned long lockdep_reports;
static bool lockdep_off;

/* Linux turns it off with debug_locks=0 (or by not building it); here the
 * cost matters only to benchmarks. */
static int set_lockdep(const char *value)
{
	if (strcmp(value, "off") == 0)
		lockdep_off = true;
	else if (strcmp(value, "on") != 0)
		return -1;
	return 0;
}
CMDLINE_PARAM("lockdep", set_lockdep, "'on' (default) or 'off'");

/*
 * Serialises the class table; interrupts are already off. Returns false if
 * this CPU is already inside the validator (a report's printk taking a
 * lock): that acquisition goes unchecked rather than deadlocking. Another
 * CPU inside it is simply waited for.
 */
static bool lockdep_enter(void)
{
	if (this_cpu_irq()->lockdep_recursion)
		return false;
	this_cpu_irq()->lockdep_recursion = 1;
	while (__atomic_test_and_set(&lockdep_busy, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	return true;
}

static void lockdep_leave(void)
{
	__atomic_clear(&lockdep_busy, __ATOMIC_RELEASE);
	this_cpu_irq()->lockdep_recursion = 0;
}

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key)
{
	map->name = name;
	map->key = key;
	map->class_cache = NULL;
}

static struct lock_class *find_class(struct lockdep_map *map, bool create)
{
	if (map->class_cache)
		return map->class_cache;
	const void *key = map->key ? (const void *)map->key : (const void *)map;
	for (unsigned int i = 0; i < nr_classes; i++) {
		if (classes[i].key == key) {
			map->class_cache = &classes[i];
			return map->class_cache;
		}
	}
	if (!create)
		return NULL;
	if (nr_classes == LOCKDEP_MAX_CLASSES) {
		if (!classes_full_reported)
			pr_warn("lockdep: more than %d lock classes; new ones go unchecked\n",
				LOCKDEP_MAX_CLASSES);
		classes_full_reported = true;
		return NULL;
	}
	struct lock_class *c = &classes[nr_classes++];
	c->key = key;
	c->name = map->name;
	map->class_cache = c;
	return c;
}

static void print_ip(const char *state, unsigned long ip)
{
	char sym[96];
	ksym_format(ip, sym, sizeof(sym));
	printk(KERN_WARNING "%s state was registered at:\n", state);
	printk(KERN_WARNING "  %s (0x%lx)\n", sym, ip);
}

static void report_inconsistent(struct lock_class *c, struct lockdep_map *map,
				bool now_in_irq)
{
	char name[40];
	const char *lock_name = c->name;
	if (!lock_name) {
		ksnprintf(name, sizeof(name), "lock@%p", (void *)map);
		lock_name = name;
	}
	printk(KERN_WARNING "\n================================\n");
	printk(KERN_WARNING "WARNING: inconsistent lock state\n");
	printk(KERN_WARNING "--------------------------------\n");
	printk(KERN_WARNING "inconsistent %s usage.\n",
	       now_in_irq ? "{HARDIRQ-ON-W} -> {IN-HARDIRQ-W}"
			  : "{IN-HARDIRQ-W} -> {HARDIRQ-ON-W}");
	printk(KERN_WARNING "CPU0 [HC%u:HE%u] takes lock '%s':\n",
	       (preempt_count() & HARDIRQ_MASK) / HARDIRQ_OFFSET,
	       now_in_irq ? 0u : 1u, lock_name);
	print_ip("{IN-HARDIRQ-W}", c->in_hardirq_ip);
	print_ip("{HARDIRQ-ON-W}", c->hardirq_on_ip);
	printk(KERN_WARNING
	       "Possible unsafe locking scenario: '%s' is held with interrupts enabled,\n",
	       lock_name);
	printk(KERN_WARNING
	       "an interrupt arrives and its handler spins on '%s': *** DEADLOCK ***\n",
	       lock_name);
	printk(
	    KERN_WARNING
	    "Fix: take it with spin_lock_irqsave() outside interrupt context.\n");
	print_backtrace(0, (unsigned long)__builtin_frame_address(0));
	lockdep_reports++;
}

void __attribute__((noinline))
lock_acquire(struct lockdep_map *map, unsigned long ip)
{
	unsigned long flags;

	if (lockdep_off)
		return;
	if (!ip)
		ip = (unsigned long)__builtin_return_address(0);
	local_irq_save(flags);
	bool irqs_on = flags & X86_EFLAGS_IF;
	if (!lockdep_enter()) {
		local_irq_restore(flags);
		return;
	}
	struct lock_class *c = find_class(map, true);
	if (c) {
		bool hardirq = in_irq();
		bool was_in = c->in_hardirq_ip, was_on = c->hardirq_on_ip;
		if (hardirq && !c->in_hardirq_ip)
			c->in_hardirq_ip = ip;
		if (irqs_on && !c->hardirq_on_ip)
			c->hardirq_on_ip = ip;
		/* Report on the acquisition that completes the pair. */
		if (c->in_hardirq_ip && c->hardirq_on_ip && !c->reported &&
		    (was_in != (bool)c->in_hardirq_ip ||
		     was_on != (bool)c->hardirq_on_ip)) {
			c->reported = true;
			report_inconsistent(c, map, hardirq);
		}
	}
	lockdep_leave();
	local_irq_restore(flags);
}

void lock_release(struct lockdep_map *map, unsigned long ip)
{
	/* Nothing to check yet: held-lock stacks (and the ordering checks
	 * they allow) are left for when SMP makes them worth it. */
	(void)map;
	(void)ip;
}

void lockdep_get_usage(struct lockdep_map *map, struct lockdep_usage *out)
{
	unsigned long flags;
	*out = (struct lockdep_usage){ 0 };
	local_irq_save(flags);
	if (lockdep_enter()) {
		struct lock_class *c = find_class(map, false);
		if (c) {
			out->known = true;
			out->in_hardirq = c->in_hardirq_ip != 0;
			out->hardirq_on = c->hardirq_on_ip != 0;
			out->reported = c->reported;
			out->in_hardirq_ip = c->in_hardirq_ip;
			out->hardirq_on_ip = c->hardirq_on_ip;
		}
		lockdep_leave();
	}
	local_irq_restore(flags);
}
