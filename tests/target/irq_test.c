/*
 * Interrupts on target: the 8259s are masked, the local APIC is enabled
 * with the spurious vector (the tick's rate: timer_test.c), handlers run in interrupt context (self-IPIs), nesting counts
 * return to zero, exceptions inside a handler are still handled, ISA IRQ 0
 * arrives through the I/O APIC pin the MADT override names, and the two
 * debug checks (lock validator, might_sleep) report what they must.
 * See docs/04-interrupts.md ("How the tests prove it").
 */
#include <stdint.h>

#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/exceptions.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/core/irq.h"
#include "kernel/core/lockdep.h"
#include "kernel/core/might_sleep.h"
#include "kernel/init/bootlog.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/pic.h"
#include "kernel/lib/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/string.h"
#include "kernel/arch/x86/timer.h"
#include "tests/ktest.h"

#define TEST_VECTOR_LOW 0x50  /* priority class 5 */
#define TEST_VECTOR_HIGH 0x60 /* class 6: may interrupt class 5 */

static char capture[4096];

/* Waits with interrupts enabled until *flag is set or ms pass (TSC). */
static bool wait_for(volatile int *flag, unsigned int ms)
{
	uint64_t start = rdtsc(), limit = tsc_hz / 1000 * ms;
	while (!*flag) {
		if (rdtsc() - start > limit)
			return false;
		__asm__ volatile("pause");
	}
	return true;
}

static void quiet_capture_start(int *saved)
{
	*saved = console_loglevel;
	console_loglevel = 0; /* keep expected reports out of the KTAP stream */
	capture[0] = '\0';
	printk_capture_start(capture, sizeof(capture));
}

static void quiet_capture_stop(int saved)
{
	printk_capture_stop();
	console_loglevel = saved;
}

static void test_pics_masked(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, pic_read_masks(), 0xffff);
}

static void test_local_apic_enabled(struct ktest *t)
{
	uint32_t spiv = apic_read(APIC_SPIV);
	KTEST_EXPECT_TRUE(t, spiv & APIC_SPIV_APIC_ENABLED);
	KTEST_EXPECT_EQ(t, spiv & 0xff, SPURIOUS_APIC_VECTOR);
	KTEST_EXPECT_TRUE(t, apic_read(APIC_LVT0) & APIC_LVT_MASKED);
	/* The boot CPU is one the MADT lists. */
	bool listed = false;
	for (unsigned int i = 0; i < acpi.ncpus; i++)
		listed |= acpi.cpus[i].apic_id == read_apic_id();
	KTEST_EXPECT_TRUE(t, listed);
	KTEST_EXPECT_EQ(t, x2apic_mode, boot_cpu.x2apic);
}

static void test_interrupts_on_after_init(struct ktest *t)
{
	KTEST_EXPECT_FALSE(t, irqs_disabled());
	KTEST_EXPECT_EQ(t, preempt_count(), 0);
	KTEST_EXPECT_FALSE(t, in_interrupt());
}

static void test_mmio_mapped_uncached(struct ktest *t)
{
	void *p = ioremap(acpi.ioapics[0].phys, 4096);
	KTEST_ASSERT_TRUE(t, p != NULL);
	uint64_t pte = kernel_pte_of(p);
	KTEST_EXPECT_EQ(t, pte & 0x18, 0x18);	  /* PCD | PWT */
	KTEST_EXPECT_TRUE(t, pte & (1ULL << 63)); /* NX */
	KTEST_EXPECT_EQ(t, pte & 0x000ffffffffff000ULL,
			acpi.ioapics[0].phys & ~0xfffULL);
	/* The I/O APIC version register reads the same through it. */
	*(volatile uint32_t *)p = 1;
	KTEST_EXPECT_EQ(t, *(volatile uint32_t *)((char *)p + 0x10) & 0xff,
			0x20);
	/* ... and MMIO is not in the direct map, which is why ioremap exists. */
	KTEST_EXPECT_FALSE(t, kernel_range_mapped(phys_to_virt_early(
						      acpi.ioapics[0].phys),
						  4));
}

/* ------------------------------------------------------------ handlers */

static struct {
	volatile int ran, inner_ran;
	bool in_irq, in_interrupt, irqs_off;
	unsigned int count, inner_count, vector;
	uint64_t fixed_before, fixed_after, fixed_vector;
	bool in_irq_after_fault;
} seen;

static irqreturn_t record_context(unsigned int vector, void *dev)
{
	seen.in_irq = in_irq();
	seen.in_interrupt = in_interrupt();
	seen.irqs_off = irqs_disabled();
	seen.count = preempt_count();
	seen.vector = vector;
	*(int *)dev = 1;
	seen.ran = 1;
	return IRQ_HANDLED;
}

static void test_handler_runs_in_irq_context(struct ktest *t)
{
	int dev = 0;
	memset(&seen, 0, sizeof(seen));
	KTEST_ASSERT_TRUE(t, request_vector(TEST_VECTOR_LOW, record_context,
					    "irq_test", &dev) == 0);
	KTEST_EXPECT_FALSE(t, in_irq());
	apic_send_self_ipi(TEST_VECTOR_LOW);
	bool ran = wait_for(&seen.ran, 500);
	free_vector(TEST_VECTOR_LOW);
	KTEST_ASSERT_TRUE(t, ran);
	KTEST_EXPECT_TRUE(t, seen.in_irq);
	KTEST_EXPECT_TRUE(t, seen.in_interrupt);
	KTEST_EXPECT_TRUE(t, seen.irqs_off); /* an interrupt gate clears IF */
	KTEST_EXPECT_EQ(t, seen.count, HARDIRQ_OFFSET);
	KTEST_EXPECT_EQ(t, seen.vector, TEST_VECTOR_LOW);
	KTEST_EXPECT_EQ(t, dev, 1);
	KTEST_EXPECT_FALSE(t, in_irq());
	KTEST_EXPECT_EQ(t, preempt_count(), 0);
	KTEST_EXPECT_FALSE(t,
			   apic_vector_in_service(TEST_VECTOR_LOW)); /* EOI */
}

static irqreturn_t inner_handler(unsigned int vector, void *dev)
{
	(void)vector;
	(void)dev;
	seen.inner_count = preempt_count();
	seen.inner_ran = 1;
	return IRQ_HANDLED;
}

/* Re-enables interrupts inside the handler so a higher class nests. */
static irqreturn_t outer_handler(unsigned int vector, void *dev)
{
	(void)vector;
	(void)dev;
	apic_send_self_ipi(TEST_VECTOR_HIGH);
	local_irq_enable();
	wait_for(&seen.inner_ran, 500);
	local_irq_disable();
	seen.count = preempt_count();
	seen.ran = 1;
	return IRQ_HANDLED;
}

static void test_nested_interrupts_count(struct ktest *t)
{
	memset(&seen, 0, sizeof(seen));
	KTEST_ASSERT_TRUE(t, request_vector(TEST_VECTOR_LOW, outer_handler,
					    "irq_test_outer", NULL) == 0);
	KTEST_ASSERT_TRUE(t, request_vector(TEST_VECTOR_HIGH, inner_handler,
					    "irq_test_inner", NULL) == 0);
	apic_send_self_ipi(TEST_VECTOR_LOW);
	bool ran = wait_for(&seen.ran, 1000);
	free_vector(TEST_VECTOR_LOW);
	free_vector(TEST_VECTOR_HIGH);
	KTEST_ASSERT_TRUE(t, ran);
	KTEST_EXPECT_TRUE(t, seen.inner_ran);
	KTEST_EXPECT_EQ(t, seen.inner_count, 2 * HARDIRQ_OFFSET);
	KTEST_EXPECT_EQ(t, seen.count, HARDIRQ_OFFSET);
	KTEST_EXPECT_GE(t, this_cpu_irq()->hardirq_depth_max, 2);
	KTEST_EXPECT_EQ(t, preempt_count(), 0);
}

static irqreturn_t faulting_handler(unsigned int vector, void *dev)
{
	(void)vector;
	(void)dev;
	seen.fixed_before = last_fixed_exception.count;
	__asm__ volatile("1: ud2\n\t"
			 "2:\n\t" EXTABLE("1b", "2b"));
	seen.fixed_after = last_fixed_exception.count;
	seen.fixed_vector = last_fixed_exception.vector;
	seen.in_irq_after_fault = in_irq();
	seen.ran = 1;
	return IRQ_HANDLED;
}

static void test_exception_inside_handler(struct ktest *t)
{
	memset(&seen, 0, sizeof(seen));
	KTEST_ASSERT_TRUE(t, request_vector(TEST_VECTOR_LOW, faulting_handler,
					    "irq_test_fault", NULL) == 0);
	apic_send_self_ipi(TEST_VECTOR_LOW);
	bool ran = wait_for(&seen.ran, 500);
	free_vector(TEST_VECTOR_LOW);
	KTEST_ASSERT_TRUE(t, ran);
	KTEST_EXPECT_EQ(t, seen.fixed_after, seen.fixed_before + 1);
	KTEST_EXPECT_EQ(t, seen.fixed_vector, 6);
	KTEST_EXPECT_TRUE(t, seen.in_irq_after_fault);
	KTEST_EXPECT_EQ(t, preempt_count(), 0);
}

static volatile int pit_ticks;
static unsigned int pit_irq_arg = 99;

static irqreturn_t pit_handler(unsigned int irq, void *dev)
{
	(void)dev;
	pit_irq_arg = irq;
	if (in_irq())
		pit_ticks++;
	return IRQ_HANDLED;
}

/* IRQ 0 is the PIT; on QEMU (as on most PCs) the MADT moves it to GSI 2. */
static void test_isa_irq0_through_ioapic(struct ktest *t)
{
	uint64_t entry = 0;
	pit_ticks = 0;
	KTEST_ASSERT_TRUE(t, request_irq(0, pit_handler, "pit", NULL) == 0);
	KTEST_EXPECT_TRUE(t, ioapic_read_entry(acpi.isa[0].gsi, &entry));
	KTEST_EXPECT_EQ(t, entry & 0xff, ISA_IRQ_VECTOR(0));
	KTEST_EXPECT_EQ(t, entry & (1u << 16), 0); /* unmasked */
	KTEST_EXPECT_EQ(t, entry >> 56, read_apic_id());
	pit_start_periodic(1000);
	/* Halt, timed by the TSC: polling the HPET would take the QEMU lock
	 * that its PIT timer needs. The wait is long because the host may
	 * starve the vCPU; five interrupts come within 5 ms otherwise. */
	uint64_t t0 = ktime_get_ns();
	while (pit_ticks < 5 && ktime_get_ns() - t0 < 5000000000ULL)
		__asm__ volatile("hlt");
	pit_stop();
	free_irq(0, NULL);
	ktest_diag(t, "IRQ 0 -> GSI %u (%s): %d PIT interrupts",
		   acpi.isa[0].gsi,
		   acpi.isa[0].overridden ? "MADT override" : "identity",
		   pit_ticks);
	KTEST_EXPECT_GE(t, pit_ticks, 5);
	KTEST_EXPECT_EQ(t, pit_irq_arg, 0);
	KTEST_EXPECT_TRUE(t, ioapic_read_entry(acpi.isa[0].gsi, &entry));
	KTEST_EXPECT_TRUE(t, entry & (1u << 16)); /* masked again */
}

/* A vector nobody asked for: reported once, acknowledged, counted. */
static void test_unexpected_vector_acknowledged(struct ktest *t)
{
	const unsigned int vector = 0x7e;
	int saved;
	uint64_t before = irq_unexpected_count;
	quiet_capture_start(&saved);
	apic_send_self_ipi(vector);
	uint64_t t0 = rdtsc();
	while (irq_unexpected_count == before && rdtsc() - t0 < tsc_hz / 2)
		__asm__ volatile("pause");
	apic_send_self_ipi(vector); /* a second one: counted, not printed */
	t0 = rdtsc();
	while (irq_unexpected_count < before + 2 && rdtsc() - t0 < tsc_hz / 2)
		__asm__ volatile("pause");
	quiet_capture_stop(saved);
	KTEST_EXPECT_EQ(t, irq_unexpected_count, before + 2);
	KTEST_EXPECT_EQ(t,
			ktest_count(capture,
				    "unexpected interrupt on vector 0x7e"),
			1);
	KTEST_EXPECT_FALSE(t, apic_vector_in_service(vector)); /* EOI sent */
	KTEST_EXPECT_EQ(t, preempt_count(), 0);
}

static irqreturn_t dummy(unsigned int vector, void *dev)
{
	(void)vector;
	(void)dev;
	return IRQ_HANDLED;
}

static void test_registration_errors(struct ktest *t)
{
	int saved;
	quiet_capture_start(&saved);
	int low = request_vector(0x20, dummy, "too-low", NULL);
	int taken = request_vector(LOCAL_TIMER_VECTOR, dummy, "thief", NULL);
	int bad_irq = request_irq(16, dummy, "no-such-irq", NULL);
	quiet_capture_stop(saved);
	KTEST_EXPECT_EQ(t, low, -1);
	KTEST_EXPECT_EQ(t, taken, -1);
	KTEST_EXPECT_EQ(t, bad_irq, -1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture, "already taken by 'timer'"));
	KTEST_EXPECT_TRUE(t, ktest_contains(capture,
					    "'no-such-irq' asked for IRQ 16"));
}

/* ------------------------------------------------------------ debug checks */

static spinlock_t bad_lock, good_lock;
static volatile int lock_irq_ran;

static irqreturn_t take_locks_in_irq(unsigned int vector, void *dev)
{
	(void)vector;
	(void)dev;
	spin_lock(&bad_lock);
	spin_unlock(&bad_lock);
	spin_lock(&good_lock);
	spin_unlock(&good_lock);
	lock_irq_ran = 1;
	return IRQ_HANDLED;
}

static void __attribute__((noinline)) take_bad_lock_irqs_on(void)
{
	spin_lock(&bad_lock); /* interrupts enabled: the mistake */
	spin_unlock(&bad_lock);
}

static void test_lockdep_inconsistent_state(struct ktest *t)
{
	unsigned long flags;
	int saved;
	struct lockdep_usage u;

	spin_lock_init(&bad_lock);
	spin_lock_init(&good_lock);
	unsigned long before = lockdep_reports;
	KTEST_ASSERT_TRUE(t, request_vector(TEST_VECTOR_LOW, take_locks_in_irq,
					    "irq_test_locks", NULL) == 0);
	quiet_capture_start(&saved);
	spin_lock_irqsave(&good_lock, flags); /* the right way */
	spin_unlock_irqrestore(&good_lock, flags);
	take_bad_lock_irqs_on();
	lock_irq_ran = 0;
	apic_send_self_ipi(TEST_VECTOR_LOW);
	bool ran = wait_for(&lock_irq_ran, 500);
	/* A second round must not report again. */
	take_bad_lock_irqs_on();
	lock_irq_ran = 0;
	apic_send_self_ipi(TEST_VECTOR_LOW);
	ran = ran && wait_for(&lock_irq_ran, 500);
	quiet_capture_stop(saved);
	free_vector(TEST_VECTOR_LOW);

	KTEST_ASSERT_TRUE(t, ran);
	KTEST_EXPECT_EQ(t, lockdep_reports, before + 1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture,
					 "WARNING: inconsistent lock state"));
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture,
					 "{HARDIRQ-ON-W} -> {IN-HARDIRQ-W}"));
	KTEST_EXPECT_TRUE(t, ktest_contains(capture, "takes lock '&bad_lock'"));
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture, "take_bad_lock_irqs_on+0x"));
	KTEST_EXPECT_TRUE(t, ktest_contains(capture, "take_locks_in_irq+0x"));
	KTEST_EXPECT_FALSE(t, ktest_contains(capture, "'&good_lock'"));
	lockdep_get_usage(&bad_lock.dep_map, &u);
	KTEST_EXPECT_TRUE(t, u.in_hardirq && u.hardirq_on && u.reported);
	lockdep_get_usage(&good_lock.dep_map, &u);
	KTEST_EXPECT_TRUE(t, u.known && u.in_hardirq);
	KTEST_EXPECT_FALSE(t, u.hardirq_on);
}

static volatile int sleep_irq_ran;
static bool sleep_allowed_in_irq = true;

static irqreturn_t sleep_in_irq(unsigned int vector, void *dev)
{
	(void)vector;
	(void)dev;
	sleep_allowed_in_irq = might_sleep();
	sleep_irq_ran = 1;
	return IRQ_HANDLED;
}

static void test_might_sleep_reports_invalid_context(struct ktest *t)
{
	unsigned long flags;
	int saved;

	KTEST_EXPECT_TRUE(t, might_sleep()); /* process context, irqs on */
	KTEST_ASSERT_TRUE(t, request_vector(TEST_VECTOR_LOW, sleep_in_irq,
					    "irq_test_sleep", NULL) == 0);
	unsigned long before = might_sleep_reports + might_sleep_suppressed;
	quiet_capture_start(&saved);
	sleep_irq_ran = 0;
	apic_send_self_ipi(TEST_VECTOR_LOW);
	bool ran = wait_for(&sleep_irq_ran, 500);
	local_irq_save(flags);
	bool with_irqs_off = might_sleep();
	local_irq_restore(flags);
	preempt_disable();
	bool with_preempt_off = might_sleep();
	preempt_enable();
	quiet_capture_stop(saved);
	free_vector(TEST_VECTOR_LOW);

	KTEST_ASSERT_TRUE(t, ran);
	KTEST_EXPECT_FALSE(t, sleep_allowed_in_irq);
	KTEST_EXPECT_FALSE(t, with_irqs_off);
	KTEST_EXPECT_FALSE(t, with_preempt_off);
	KTEST_EXPECT_EQ(t, might_sleep_reports + might_sleep_suppressed,
			before + 3);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(
		capture,
		"BUG: sleeping function called from invalid context at tests/target/irq_test.c:"));
	KTEST_EXPECT_TRUE(t, ktest_contains(capture, "in_irq(): 1"));
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture, "caller: sleep_in_irq+0x"));
	KTEST_EXPECT_TRUE(t, might_sleep()); /* and fine again afterwards */
}

static const struct ktest_case irq_cases[] = {
	KTEST_CASE(test_pics_masked),
	KTEST_CASE(test_local_apic_enabled),
	KTEST_CASE(test_interrupts_on_after_init),
	KTEST_CASE(test_mmio_mapped_uncached),
	KTEST_CASE(test_handler_runs_in_irq_context),
	KTEST_CASE(test_nested_interrupts_count),
	KTEST_CASE(test_exception_inside_handler),
	KTEST_CASE(test_isa_irq0_through_ioapic),
	KTEST_CASE(test_unexpected_vector_acknowledged),
	KTEST_CASE(test_registration_errors),
	KTEST_CASE(test_lockdep_inconsistent_state),
	KTEST_CASE(test_might_sleep_reports_invalid_context),
	{ 0 },
};
KTEST_SUITE_WHERE(irq, irq_cases, KTEST_TARGET_ONLY);
