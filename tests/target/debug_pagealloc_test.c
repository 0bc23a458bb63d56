/*
 * debug_pagealloc=on on the kernel's node (skipped without it): a freed
 * block's frames leave the direct map (all but the head of the free block
 * they end up in), an allocated block is mapped in full, and touching a
 * freed frame faults at once with a report naming the frame and, with
 * page_owner=on, who last allocated it. The touch is made by an
 * instruction with an exception fixup (kernel/arch/x86/exceptions.h), so the test
 * goes on. tests/matrix.conf boots it (debug-pagealloc-*).
 * docs/07-debugging-the-allocator.md ("debug_pagealloc").
 */
#include "kernel/arch/x86/exceptions.h"
#include "kernel/lib/format.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/debug_pagealloc.h"
#include "mm/page_alloc.h"
#include "mm/page_owner.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

static volatile uint64_t sink;
static char log[2048];

static __attribute__((noinline)) uint64_t debug_pagealloc_test_site(void)
{
	uint64_t p = alloc_pages(GFP_KERNEL, 3);
	sink = p;
	return p;
}

static bool need_it(struct ktest *t)
{
	if (debug_pagealloc_on(&contig_page_data))
		return true;
	ktest_skip(t, "boot with debug_pagealloc=on to run it");
	return false;
}

/* Reads *addr; returns false if that faulted (and was fixed up). */
static bool probe_read(const volatile uint64_t *addr)
{
	uint64_t before = last_fixed_exception.count, v = 0;
	__asm__ volatile("1: movq (%1), %0\n\t"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(addr)
			 : "memory");
	sink = v;
	return last_fixed_exception.count == before;
}

static void test_freed_frames_leave_the_map(struct ktest *t)
{
	if (!need_it(t))
		return;
	uint64_t p = debug_pagealloc_test_site();
	KTEST_ASSERT_TRUE(t, p != 0);
	for (int i = 0; i < 8; i++) {
		uint64_t *w = phys_to_virt(p + i * PAGE_SIZE);
		KTEST_EXPECT_NE(t, kernel_pte_of(w), 0);
		w[0] = p + i;
		KTEST_EXPECT_EQ(t, w[0], p + i);
	}
	__free_pages(p, 3);
	for (int i = 1; i < 8; i++)
		KTEST_EXPECT_EQ(t,
				kernel_pte_of(phys_to_virt(p + i * PAGE_SIZE)),
				0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static void test_use_after_free_faults_and_names_owner(struct ktest *t)
{
	char want[96];
	int saved = console_loglevel;
	if (!need_it(t))
		return;
	uint64_t p = debug_pagealloc_test_site();
	KTEST_ASSERT_TRUE(t, p != 0);
	volatile uint64_t *w = phys_to_virt(p + PAGE_SIZE);
	KTEST_EXPECT_TRUE(t, probe_read(w)); /* allocated: no fault */
	__free_pages(p, 3);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	bool ok = probe_read(w); /* the bug: a read after free */
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_FALSE(t, ok);
	KTEST_EXPECT_EQ(t, last_fixed_exception.vector, 14);
	KTEST_EXPECT_EQ(t, last_fixed_exception.cr2, (uint64_t)(uintptr_t)w);
	ksnprintf(want, sizeof(want),
		  "BUG: debug_pagealloc: use after free: access to frame 0x%llx",
		  (unsigned long long)((p >> PAGE_SHIFT) + 1));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, want));
	if (page_owner_enabled()) {
		ksnprintf(want, sizeof(want),
			  "last allocated as frame 0x%llx order 3",
			  (unsigned long long)(p >> PAGE_SHIFT));
		KTEST_EXPECT_TRUE(t, ktest_contains(log, want));
		KTEST_EXPECT_TRUE(t,
				  ktest_contains(log,
						 "debug_pagealloc_test_site+0x"));
	}
	if (!ktest_contains(log, "use after free"))
		ktest_diag(t, "log: %s", log);
}

/* Zeroing and reuse of what was unmapped. */
static void test_reallocated_frames_usable(struct ktest *t)
{
	if (!need_it(t))
		return;
	for (int round = 0; round < 20; round++) {
		uint64_t p = alloc_pages(GFP_KERNEL | __GFP_ZERO, 4);
		KTEST_ASSERT_TRUE(t, p != 0);
		const uint64_t *w = phys_to_virt(p);
		uint64_t nonzero = 0;
		for (uint64_t i = 0; i < 16 * 512; i += 61)
			nonzero += w[i] != 0;
		KTEST_EXPECT_EQ(t, nonzero, 0);
		__free_pages(p, 4);
	}
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case dpa_cases[] = {
	KTEST_CASE(test_freed_frames_leave_the_map),
	KTEST_CASE(test_use_after_free_faults_and_names_owner),
	KTEST_CASE(test_reallocated_frames_usable),
	{ 0 },
};
KTEST_SUITE_WHERE(debug_pagealloc, dpa_cases, KTEST_TARGET_ONLY);
