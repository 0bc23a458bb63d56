/*
 * The out-of-line half of the spinlocks (kernel/core/spinlock.h): which way
 * spin_lock() waits (ticket or test-and-set, chosen at boot), and the
 * lockup report of a CPU that has waited far too long for one lock.
 * docs/05-smp-and-per-cpu-lists.md ("Ticket or test-and-set").
 */
#include "kernel/core/spinlock.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/core/irq.h"
#include "kernel/debug/ksyms.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

/* Tickets until spin_lock_mode_init() has read the CPU and the cmdline:
 * only the boot CPU runs before, so nobody waits. */
enum spin_lock_mode spin_lock_mode = SPIN_TICKET;

static enum { MODE_AUTO, MODE_TICKET, MODE_TAS } requested_mode;

static int set_spinlock_mode(const char *value)
{
	if (!strcmp(value, "auto"))
		requested_mode = MODE_AUTO;
	else if (!strcmp(value, "ticket"))
		requested_mode = MODE_TICKET;
	else if (!strcmp(value, "tas"))
		requested_mode = MODE_TAS;
	else
		return -1;
	return 0;
}
CMDLINE_PARAM(
    "spinlock", set_spinlock_mode,
    "auto (default: test-and-set in a virtual machine, else ticket), ticket or tas");

const char *spin_lock_mode_name(void)
{
	return spin_lock_mode == SPIN_TICKET ? "ticket" : "test-and-set";
}

void spin_lock_mode_init(bool hypervisor)
{
	bool tas = requested_mode == MODE_TAS ||
		   (requested_mode == MODE_AUTO && hypervisor);
	spin_lock_mode = tas ? SPIN_TEST_AND_SET : SPIN_TICKET;
	pr_info("spinlock: %s locks (%s)\n", spin_lock_mode_name(),
		requested_mode != MODE_AUTO ? "spinlock= on the cmdline"
		: hypervisor
		    ? "running under a hypervisor: a descheduled vCPU must not hold up the queue"
		    : "bare metal: fair queueing");
}

unsigned long spin_lockups; /* reports printed, all CPUs */
unsigned int spin_lockup_spins = SPIN_LOCKUP_SPINS;
const spinlock_t *spin_lockup_test_lock;
static bool reported[MAX_CPUS];

void spin_lockup_rearm(unsigned int cpu)
{
	if (cpu < MAX_CPUS)
		__atomic_store_n(&reported[cpu], false, __ATOMIC_RELAXED);
}

void spin_lockup_report(const spinlock_t *lock, unsigned int ticket)
{
	unsigned int cpu = smp_processor_id();
	if (cpu >= MAX_CPUS || reported[cpu])
		return;
	reported[cpu] = true;
	/* The words first: they may change while the report prints. */
	unsigned int next = __atomic_load_n(&lock->next, __ATOMIC_RELAXED);
	unsigned int serving =
	    __atomic_load_n(&lock->serving, __ATOMIC_RELAXED);
	uintptr_t owner = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);
	char where[80], holder[24];
	ksym_format(lock->owner_ip, where, sizeof(where));
	if (owner)
		ksnprintf(holder, sizeof(holder), "CPU %lu",
			  (unsigned long)(owner - 1));
	else
		ksnprintf(holder, sizeof(holder), "none");
	printk(KERN_EMERG
	       "BUG: spinlock lockup suspected on CPU %u: lock %s (%p) next=0x%x serving=0x%x, %s 0x%x, holder %s, last taken at %s; %s, %s\n",
	       cpu, lock->dep_map.name ? lock->dep_map.name : "(unnamed)",
	       (const void *)lock, next, serving,
	       spin_lock_mode == SPIN_TICKET ? "my ticket"
					     : "last seen free at",
	       ticket, holder, where,
	       irqs_disabled() ? "interrupts off" : "INTERRUPTS ON",
	       in_irq() ? "in an interrupt" : "in process context");
	print_backtrace(0, (unsigned long)__builtin_frame_address(0));
	/* Counted once printed: a test waits for the count. */
	__atomic_fetch_add(&spin_lockups, 1, __ATOMIC_RELAXED);
}
