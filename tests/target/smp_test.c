/*
 * SMP bring-up on target: every enabled CPU the MADT lists came online
 * through the trampoline, each with its own APIC ID, stack and per-CPU data
 * (GS points at the right struct cpu on the boot CPU). Runs in every matrix
 * configuration; with -smp 1 it checks that nothing was started.
 */
#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/core/irq.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/printk.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tests/ktest.h"

static void test_all_listed_cpus_online(struct ktest *t)
{
	/* Every enabled CPU the firmware listed, not only those the MADT
	 * parse kept (a test counting the kept ones would pass with 64
	 * online when 128 were listed). */
	unsigned int listed = acpi.ncpus_listed;
	unsigned int over = listed > MAX_CPUS ? listed - MAX_CPUS : 0;
	ktest_diag(
	    t,
	    "madt_cpus=%u online=%u refused=%u (beyond the limit of %u) unaddressable=%u failed=%u",
	    listed, nr_cpus_online, nr_cpus_over_limit, MAX_CPUS,
	    nr_cpus_unaddressable, nr_cpus_failed);
	/* Every listed CPU is online, or refused for a reason said here. */
	KTEST_EXPECT_EQ(t, nr_cpus_failed, 0);
	KTEST_EXPECT_EQ(t, nr_cpus_over_limit, over);
	KTEST_EXPECT_EQ(t, acpi.ncpus + acpi.ncpus_refused, listed);
	KTEST_EXPECT_EQ(t,
			nr_cpus_online + nr_cpus_over_limit +
			    nr_cpus_unaddressable,
			listed);
	for (unsigned int i = 0; i < nr_cpus_online; i++)
		KTEST_EXPECT_TRUE(t, cpus[i].online);
}

static void test_boot_cpu_per_cpu_data(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, this_cpu(), &cpus[0]);
	KTEST_EXPECT_EQ(t, smp_processor_id(), 0);
	KTEST_EXPECT_EQ(t, cpus[0].apic_id, read_apic_id());
}

static void test_each_cpu_distinct(struct ktest *t)
{
	for (unsigned int i = 0; i < nr_cpus_online; i++) {
		const struct cpu *c = &cpus[i];
		KTEST_EXPECT_EQ(t, c->id, i);
		KTEST_EXPECT_EQ(t, c->self, c);
		KTEST_EXPECT_GT(t, c->stack_top, c->stack_bottom);
		/* An AP's stack has an unmapped guard page below it. */
		if (i > 0) {
			KTEST_EXPECT_NE(t,
					kernel_pte_of((void *)c->stack_bottom),
					0);
			KTEST_EXPECT_EQ(t,
					kernel_pte_of(
					    (void *)(c->stack_bottom - 4096)),
					0);
		}
		bool listed = false;
		for (unsigned int k = 0; k < acpi.ncpus; k++)
			if (acpi.cpus[k].enabled &&
			    acpi.cpus[k].apic_id == c->apic_id)
				listed = true;
		KTEST_EXPECT_TRUE(t, listed);
		for (unsigned int j = 0; j < i; j++) {
			KTEST_EXPECT_NE(t, cpus[j].apic_id, c->apic_id);
			/* stacks never overlap */
			KTEST_EXPECT_TRUE(t, cpus[j].stack_top <=
						     c->stack_bottom ||
						 c->stack_top <=
						     cpus[j].stack_bottom);
		}
	}
}

/* What a called function saw, per CPU. */
static struct {
	volatile unsigned int cpu;
	volatile bool in_irq;
	volatile uint64_t page; /* allocated there, freed elsewhere */
	volatile bool stamp_ok;
} seen[MAX_CPUS];

static void record_cpu(void *arg)
{
	unsigned int slot = (unsigned int)(uintptr_t)arg;
	seen[slot].cpu = smp_processor_id();
	seen[slot].in_irq = in_irq();
}

static void test_call_function_on_each_cpu(struct ktest *t)
{
	uint64_t before = smp_call_function_count();
	for (unsigned int i = 1; i < nr_cpus_online; i++) {
		seen[i].cpu = ~0u;
		KTEST_EXPECT_EQ(t,
				smp_call_function_single(i, record_cpu,
							 (void *)(uintptr_t)i),
				0);
		KTEST_EXPECT_EQ(t, seen[i].cpu, i);
		KTEST_EXPECT_TRUE(t, seen[i].in_irq);
	}
	KTEST_EXPECT_EQ(t, smp_call_function_count() - before,
			nr_cpus_online - 1);
	KTEST_EXPECT_EQ(t, smp_call_function_single(MAX_CPUS, record_cpu, NULL),
			-1);
}

/* In the target CPU's interrupt context: take a page and stamp it. */
static void alloc_there(void *arg)
{
	unsigned int slot = (unsigned int)(uintptr_t)arg;
	uint64_t p = alloc_pages(GFP_ATOMIC, 0);
	if (p) {
		uint64_t *w = phys_to_virt(p);
		w[0] = p;
		w[1] = slot;
	}
	seen[slot].page = p;
}

/* ... or check a page another CPU stamped, and free it. */
static void free_there(void *arg)
{
	unsigned int slot = (unsigned int)(uintptr_t)arg;
	uint64_t p = seen[slot].page;
	const uint64_t *w = phys_to_virt(p);
	seen[slot].stamp_ok = w[0] == p && w[1] == slot + 100;
	__free_pages(p, 0);
	seen[slot].page = 0;
}

/* Pages cross CPUs both ways: allocated in one CPU's interrupt handler and
 * freed by another in process context, and the reverse. */
static void test_cross_cpu_frees(struct ktest *t)
{
	uint64_t free_before = 0, free_after = 0;
	drain_all_pages(&contig_page_data);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		free_before += contig_page_data.node_zones[z].free_pages;
	for (unsigned int i = 1; i < nr_cpus_online; i++) {
		KTEST_ASSERT_TRUE(t,
				  smp_call_function_single(i, alloc_there,
							   (void *)(uintptr_t)
							       i) == 0);
		uint64_t p = seen[i].page;
		KTEST_ASSERT_TRUE(t, p != 0);
		const uint64_t *w = phys_to_virt(p);
		KTEST_EXPECT_EQ(t, w[0], p);
		KTEST_EXPECT_EQ(t, w[1], i);
		__free_pages(p, 0);

		p = alloc_pages(GFP_KERNEL, 0);
		KTEST_ASSERT_TRUE(t, p != 0);
		uint64_t *v = phys_to_virt(p);
		v[0] = p;
		v[1] = i + 100;
		seen[i].page = p;
		seen[i].stamp_ok = false;
		KTEST_ASSERT_TRUE(t,
				  smp_call_function_single(i, free_there,
							   (void *)(uintptr_t)
							       i) == 0);
		KTEST_EXPECT_TRUE(t, seen[i].stamp_ok);
		KTEST_EXPECT_EQ(t, seen[i].page, 0);
	}
	drain_all_pages(&contig_page_data);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		free_after += contig_page_data.node_zones[z].free_pages;
	KTEST_EXPECT_EQ(t, free_after, free_before);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* Every CPU's local APIC timer ticks, not only the boot CPU's. */
static volatile uint64_t ticks_on[MAX_CPUS];
static void count_tick(void *data)
{
	(void)data;
	__atomic_fetch_add(&ticks_on[smp_processor_id()], 1, __ATOMIC_RELAXED);
}

static bool all_cpus_ticked(unsigned int at_least)
{
	for (unsigned int i = 0; i < nr_cpus_online; i++)
		if (ticks_on[i] < at_least)
			return false;
	return true;
}

/* Every online CPU's tick runs the hooks: wait (up to 5 s of TSC time, as
 * vCPUs may be starved on a busy host) until each has ticked 10 times. */
static void test_every_cpu_ticks(struct ktest *t)
{
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		ticks_on[i] = 0;
	KTEST_ASSERT_TRUE(t, register_tick_hook(count_tick, NULL) == 0);
	uint64_t deadline = ktime_get_ns() + 5000000000ULL;
	while (!all_cpus_ticked(10) && ktime_get_ns() < deadline)
		cpu_relax();
	unregister_tick_hook(count_tick, NULL);
	for (unsigned int i = 0; i < nr_cpus_online; i++) {
		ktest_diag(t, "cpu%u ticks=%lu", i, ticks_on[i]);
		KTEST_EXPECT_GE(t, ticks_on[i], 10);
	}
	for (unsigned int i = nr_cpus_online; i < MAX_CPUS; i++)
		KTEST_EXPECT_EQ(t, ticks_on[i], 0);
}

/*
 * Both ways of waiting for a spinlock, on every CPU at once, interrupts off
 * (as the zone locks are taken): each CPU adds to a counter only the lock
 * guards, reading and writing it apart, for 200 ms of each mode and 200 ms
 * with the boot CPU switching modes every millisecond. The total must be
 * what the CPUs counted themselves. The diagnostics show what a ticket lock
 * costs in a VM with more vCPUs than host cores (docs/05, "Ticket or
 * test-and-set"): the rate is printed, not asserted (a timed figure).
 */
static DEFINE_SPINLOCK(modes_lock);
static volatile unsigned long modes_counter, modes_done[MAX_CPUS];
static volatile uint64_t modes_until;

static void modes_adder(void *arg)
{
	(void)arg;
	unsigned long mine = 0;
	/* At least once: a CPU whose thread started after the deadline (16
	 * vCPUs on a busy host) still shows it can get the lock. */
	do {
		unsigned long flags;
		spin_lock_irqsave(&modes_lock, flags);
		unsigned long seen = modes_counter;
		for (volatile int d = 0; d < 10; d++)
			;
		modes_counter = seen + 1;
		spin_unlock_irqrestore(&modes_lock, flags);
		mine++;
	} while (ktime_get_ns() < modes_until);
	modes_done[smp_processor_id()] = mine;
}

static void test_spinlock_modes(struct ktest *t)
{
	static const char *const names[] = { "ticket", "test-and-set",
					     "switching" };
	enum spin_lock_mode boot_mode = spin_lock_mode;
	for (int run = 0; run < 3; run++) {
		spin_lock_mode = run == 0 ? SPIN_TICKET : SPIN_TEST_AND_SET;
		modes_counter = 0;
		for (unsigned int i = 0; i < MAX_CPUS; i++)
			modes_done[i] = 0;
		uint64_t start = ktime_get_ns();
		modes_until = start + 200000000ULL;
		for (unsigned int cpu = 1; cpu < nr_cpus_online; cpu++)
			KTEST_EXPECT_EQ(t,
					smp_run_on_cpu_async(cpu, modes_adder,
							     NULL),
					0);
		if (run == 2) {
			while (ktime_get_ns() < modes_until) {
				mdelay(1);
				spin_lock_mode = spin_lock_mode == SPIN_TICKET
						     ? SPIN_TEST_AND_SET
						     : SPIN_TICKET;
			}
			modes_until = ktime_get_ns() + 50000000ULL;
		}
		modes_adder(NULL);
		for (unsigned int cpu = 1; cpu < nr_cpus_online; cpu++)
			smp_wait_work(cpu);
		uint64_t ns = ktime_get_ns() - start;
		unsigned long sum = 0, fewest = ~0UL;
		for (unsigned int i = 0; i < nr_cpus_online; i++) {
			sum += modes_done[i];
			if (modes_done[i] < fewest)
				fewest = modes_done[i];
		}
		ktest_diag(
		    t,
		    "%s: %u CPUs, %lu acquisitions in %lu ms (%lu per ms), fewest on one CPU %lu",
		    names[run], nr_cpus_online, sum,
		    (unsigned long)(ns / 1000000),
		    (unsigned long)(sum * 1000000 / (ns ? ns : 1)), fewest);
		KTEST_EXPECT_EQ(t, modes_counter, sum);
		/* Every CPU got in (test-and-set is unfair, not deadly). */
		KTEST_EXPECT_GT(t, fewest, 0);
		KTEST_EXPECT_FALSE(t, spin_is_locked(&modes_lock));
	}
	spin_lock_mode = boot_mode;
}

/*
 * The lockup report (kernel/core/spinlock.c): CPU 1 waits for a lock CPU 0
 * holds, with the threshold lowered to 2^16 pauses; it must say so once,
 * naming the lock and its holder, and then get the lock when CPU 0 lets go.
 */
static DEFINE_SPINLOCK(stuck_lock);
static volatile bool waiter_got, waiter_go;

static void stuck_waiter(void *arg)
{
	(void)arg;
	unsigned long flags;
	while (!waiter_go) /* until CPU 0 holds the lock */
		cpu_relax();
	spin_lock_irqsave(&stuck_lock, flags);
	waiter_got = true;
	spin_unlock_irqrestore(&stuck_lock, flags);
}

static void test_spinlock_lockup_report(struct ktest *t)
{
	static char log[2048];
	if (nr_cpus_online < 2) {
		ktest_skip(t, "needs a second CPU");
		return;
	}
	unsigned long before = spin_lockups;
	unsigned int saved = spin_lockup_spins;
	waiter_got = waiter_go = false;
	spin_lockup_rearm(1);
	/* Only for this lock: another CPU 1 waits for meanwhile (its run
	 * queue's, in CI) must not use up its one report. */
	spin_lockup_test_lock = &stuck_lock;
	spin_lockup_spins = 1u << 16;
	printk_capture_start(log, sizeof(log));
	/* The thread first: creating it may sleep, holding a lock may not. */
	KTEST_ASSERT_TRUE(t, smp_run_on_cpu_async(1, stuck_waiter, NULL) == 0);
	spin_lock(&stuck_lock);
	waiter_go = true;
	uint64_t deadline = ktime_get_ns() + 20000000000ULL;
	while (__atomic_load_n(&spin_lockups, __ATOMIC_RELAXED) == before &&
	       ktime_get_ns() < deadline)
		cpu_relax();
	spin_unlock(&stuck_lock);
	smp_wait_work(1);
	printk_capture_stop();
	spin_lockup_spins = saved;
	spin_lockup_test_lock = NULL;
	KTEST_EXPECT_EQ(t, spin_lockups, before + 1);
	KTEST_EXPECT_TRUE(t, waiter_got);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log,
					 "spinlock lockup suspected on CPU 1: lock "
					 "stuck_lock"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "holder CPU 0"));
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log, "test_spinlock_lockup_report"));
	KTEST_EXPECT_FALSE(t, spin_is_locked(&stuck_lock));
}

/*
 * An unlock of a lock nobody holds (kernel/core/spinlock.h) is reported
 * and refused before it changes anything: the lock stays free and usable,
 * this CPU's preemption count stays as it was (it went one below before),
 * and the irqrestore form leaves the interrupt flag alone.
 */
static DEFINE_SPINLOCK(free_lock);

static void test_refused_unlock_changes_nothing(struct ktest *t)
{
	unsigned long hits = warn_once_hits, flags;
	int saved = console_loglevel;
	preempt_disable(); /* room below: a wrong count stays above 0 */
	preempt_disable();
	unsigned int count = preempt_count();
	console_loglevel = 0;
	spin_unlock(&free_lock); /* the bug */
	unsigned int after_unlock = preempt_count();
	local_irq_save(flags);			   /* flags: on; now off */
	spin_unlock_irqrestore(&free_lock, flags); /* the bug again */
	bool still_off = irqs_disabled();
	unsigned int after_restore = preempt_count();
	local_irq_restore(flags);
	console_loglevel = saved;
	/* whatever the unlocks did, the count goes back for later cases */
	preempt_count_add(count - preempt_count());
	preempt_enable();
	preempt_enable();
	KTEST_EXPECT_EQ(t, after_unlock, count);
	KTEST_EXPECT_EQ(t, after_restore, count);
	KTEST_EXPECT_TRUE(t, still_off);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits + 2);
	KTEST_EXPECT_EQ(t, free_lock.next, free_lock.serving);
	spin_lock(&free_lock);
	KTEST_EXPECT_FALSE(t, spin_trylock(&free_lock));
	spin_unlock(&free_lock);
	KTEST_EXPECT_FALSE(t, spin_is_locked(&free_lock));
	KTEST_EXPECT_EQ(t, preempt_count(), count - 2 * PREEMPT_OFFSET);
}

static const struct ktest_case smp_cases[] = {
	KTEST_CASE(test_all_listed_cpus_online),
	KTEST_CASE(test_boot_cpu_per_cpu_data),
	KTEST_CASE(test_each_cpu_distinct),
	KTEST_CASE(test_call_function_on_each_cpu),
	KTEST_CASE(test_cross_cpu_frees),
	KTEST_CASE(test_every_cpu_ticks),
	KTEST_CASE(test_spinlock_modes),
	KTEST_CASE(test_spinlock_lockup_report),
	KTEST_CASE(test_refused_unlock_changes_nothing),
	{ 0 },
};
KTEST_SUITE_WHERE(smp, smp_cases, KTEST_TARGET_ONLY);
