/*
 * SMP bring-up on target: every enabled CPU the MADT lists came online
 * through the trampoline, each with its own APIC ID, stack and per-CPU data
 * (GS points at the right struct cpu on the boot CPU). Runs in every matrix
 * configuration; with -smp 1 it checks that nothing was started.
 */
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/smp.h"
#include "tests/ktest.h"

static unsigned int enabled_in_madt(void)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < acpi.ncpus; i++)
		n += acpi.cpus[i].enabled;
	return n < MAX_CPUS ? n : MAX_CPUS;
}

static void test_all_listed_cpus_online(struct ktest *t)
{
	ktest_diag(t, "madt_cpus=%u online=%u", enabled_in_madt(),
		   nr_cpus_online);
	KTEST_EXPECT_EQ(t, nr_cpus_online, enabled_in_madt());
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

static const struct ktest_case smp_cases[] = {
	KTEST_CASE(test_all_listed_cpus_online),
	KTEST_CASE(test_boot_cpu_per_cpu_data),
	KTEST_CASE(test_each_cpu_distinct),
	{ 0 },
};
KTEST_SUITE_WHERE(smp, smp_cases, KTEST_TARGET_ONLY);
