/*
 * Exceptions on target: provoke real faults at instructions listed in the
 * exception table and check what the CPU reported (vector, RIP, error code,
 * CR2). If the IDT, the stubs or the frame layout were wrong, these would
 * crash the boot or record the wrong values. Also checks the backtrace
 * names functions from the linked-in symbol table.
 */
#include <stdint.h>

#include "kernel/arch/x86/exceptions.h"
#include "kernel/debug/ksyms.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/ktest.h"
#include "tests/target/ktest_boot.h"

extern const char __text_start[];

static uint64_t fixed_count_before;

static void arm(void)
{
	fixed_count_before = last_fixed_exception.count;
}

static void test_invalid_opcode(struct ktest *t)
{
	uint64_t insn;
	arm();
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "1: ud2\n\t"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=r"(insn));
	KTEST_ASSERT_TRUE(t,
			  last_fixed_exception.count == fixed_count_before + 1);
	KTEST_EXPECT_EQ(t, last_fixed_exception.vector, 6);
	KTEST_EXPECT_EQ(t, last_fixed_exception.rip, insn);
}

static void test_divide_error(struct ktest *t)
{
	uint64_t insn;
	arm();
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "movl $1, %%eax\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "1: divl %%ecx\n\t"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=r"(insn)
			 :
			 : "rax", "rcx", "rdx");
	KTEST_ASSERT_TRUE(t,
			  last_fixed_exception.count == fixed_count_before + 1);
	KTEST_EXPECT_EQ(t, last_fixed_exception.vector, 0);
	KTEST_EXPECT_EQ(t, last_fixed_exception.rip, insn);
}

/* W^X: kernel text is mapped read-only, and CR0.WP makes that bind ring 0. */
static void test_write_to_kernel_text(struct ktest *t)
{
	uint64_t insn;
	volatile uint8_t *target = (volatile uint8_t *)__text_start;
	uint8_t before = *target;
	arm();
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "1: movb $0x90, (%1)\n\t"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(insn)
			 : "r"(target)
			 : "memory");
	KTEST_ASSERT_TRUE(t,
			  last_fixed_exception.count == fixed_count_before + 1);
	KTEST_EXPECT_EQ(t, last_fixed_exception.vector, 14);
	KTEST_EXPECT_EQ(t, last_fixed_exception.rip, insn);
	KTEST_EXPECT_EQ(t, last_fixed_exception.cr2, (uint64_t)target);
	/* present + write: a protection fault, not a missing page */
	KTEST_EXPECT_EQ(t, last_fixed_exception.error_code & 3, 3);
	KTEST_EXPECT_EQ(t, *target, before);
}

/* The identity map is gone, so NULL is not mapped at all. */
static void test_null_dereference(struct ktest *t)
{
	uint64_t insn, value = 0x1234;
	arm();
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "1: movq (%2), %1\n\t"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "=&r"(insn), "+r"(value)
			 : "r"(0UL)
			 : "memory");
	KTEST_ASSERT_TRUE(t,
			  last_fixed_exception.count == fixed_count_before + 1);
	KTEST_EXPECT_EQ(t, last_fixed_exception.vector, 14);
	KTEST_EXPECT_EQ(t, last_fixed_exception.rip, insn);
	KTEST_EXPECT_EQ(t, last_fixed_exception.cr2, 0);
	KTEST_EXPECT_EQ(t, last_fixed_exception.error_code & 1,
			0); /* not present */
	KTEST_EXPECT_EQ(t, value, 0x1234);
}

/* NX: a jump into a data page faults on the instruction fetch. */
uint8_t nx_test_target[16] = { 0xc3 };
static void test_execute_data(struct ktest *t)
{
	arm();
	__asm__ volatile("jmp *%0\n\t"
			 "2:\n\t" EXTABLE("nx_test_target", "2b")
			 :
			 : "r"(nx_test_target)
			 : "memory");
	KTEST_ASSERT_TRUE(t,
			  last_fixed_exception.count == fixed_count_before + 1);
	KTEST_EXPECT_EQ(t, last_fixed_exception.vector, 14);
	KTEST_EXPECT_EQ(t, last_fixed_exception.rip, (uint64_t)nx_test_target);
	KTEST_EXPECT_EQ(t, last_fixed_exception.error_code & 0x10, 0x10);
}

static void test_symbol_lookup(struct ktest *t)
{
	uint64_t off = ~0ULL;
	const char *name = ksym_lookup((uint64_t)test_symbol_lookup + 3, &off);
	KTEST_ASSERT_TRUE(t, name != NULL);
	KTEST_EXPECT_STREQ(t, name, "test_symbol_lookup");
	KTEST_EXPECT_EQ(t, off, 3);
	KTEST_EXPECT_TRUE(t, ksym_lookup(0x1000, &off) == NULL);
}

static void __attribute__((noinline))
backtrace_from_here(char *buf, size_t size)
{
	int saved = console_loglevel;
	console_loglevel = 0; /* keep the trace out of the KTAP stream */
	printk_capture_start(buf, size);
	print_backtrace(0, (unsigned long)__builtin_frame_address(0));
	printk_capture_stop();
	console_loglevel = saved;
}

static void test_backtrace_names_callers(struct ktest *t)
{
	static char buf[2048];
	backtrace_from_here(buf, sizeof(buf));
	KTEST_EXPECT_TRUE(t, ktest_contains(buf, "Call Trace:"));
	KTEST_EXPECT_FALSE(t, ktest_contains(buf, "backtrace_from_here"));
	KTEST_EXPECT_TRUE(t, ktest_contains(buf,
					    "test_backtrace_names_callers+0x"));
	/* To the bottom of the stack: kmain's for ktest= at boot, a
	 * thread's first function for the allocator shell's `ktest`. */
	if (ktest_requested()) {
		KTEST_EXPECT_TRUE(t, ktest_contains(buf, "ktest_boot_run+0x"));
		KTEST_EXPECT_TRUE(t, ktest_contains(buf, "kmain+0x"));
	} else {
		KTEST_EXPECT_TRUE(t, ktest_contains(buf, "ktest_run_now+0x"));
		KTEST_EXPECT_TRUE(t, ktest_contains(buf, "kthread_entry+0x"));
	}
}

static const struct ktest_case exception_cases[] = {
	KTEST_CASE(test_invalid_opcode),
	KTEST_CASE(test_divide_error),
	KTEST_CASE(test_write_to_kernel_text),
	KTEST_CASE(test_null_dereference),
	KTEST_CASE(test_execute_data),
	KTEST_CASE(test_symbol_lookup),
	KTEST_CASE(test_backtrace_names_callers),
	{ 0 },
};
KTEST_SUITE_WHERE(exceptions, exception_cases, KTEST_TARGET_ONLY);
