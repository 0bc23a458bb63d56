/*
 * page_owner on the kernel's own node (booted with page_owner=on; skipped
 * otherwise): alloc_pages() records its real caller, which the kernel's
 * symbol table names; leak reports and the top-sites dump work on the
 * kernel's node; meminfo counts the table. tests/matrix.conf boots it
 * (page-owner-*). docs/07-debugging-the-allocator.md ("page_owner").
 */
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/page_alloc.h"
#include "mm/page_owner.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

static volatile uint64_t sink;
static char log[4096];

static __attribute__((noinline)) uint64_t page_owner_test_site(void)
{
	uint64_t p = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	sink = p;
	return p;
}

static bool need_page_owner(struct ktest *t)
{
	if (page_owner_enabled())
		return true;
	ktest_skip(t, "boot with page_owner=on to run it");
	return false;
}

static void quiet(int *saved)
{
	*saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
}

static void loud(int saved)
{
	printk_capture_stop();
	console_loglevel = saved;
}

/* The record names the function that called alloc_pages(). */
static void test_kernel_caller_named(struct ktest *t)
{
	struct page_owner r;
	char name[128];
	if (!need_page_owner(t))
		return;
	uint64_t now = mm_now_ms();
	uint64_t p = page_owner_test_site();
	KTEST_ASSERT_TRUE(t, p != 0);
	KTEST_ASSERT_TRUE(t, page_owner_lookup(&contig_page_data,
					       p >> PAGE_SHIFT, &r, NULL));
	KTEST_EXPECT_EQ(t, r.order, 1);
	KTEST_EXPECT_EQ(t, r.gfp, GFP_KERNEL | __GFP_ZERO);
	KTEST_EXPECT_GE(t, r.ts_ms, (uint32_t)now);
	KTEST_EXPECT_LE(t, r.ts_ms, (uint32_t)mm_now_ms());
	page_owner_format_caller(r.caller, name, sizeof(name));
	ktest_diag(t, "caller %s", name);
	KTEST_EXPECT_TRUE(t, ktest_contains(name, "page_owner_test_site+0x"));
	__free_pages(p, 1);
	KTEST_EXPECT_FALSE(t, page_owner_lookup(&contig_page_data,
						p >> PAGE_SHIFT, &r, NULL));
}

/* page_owner_leaks_since(): held blocks are listed by name, freed ones
 * are not. */
static void test_kernel_leak_report(struct ktest *t)
{
	int saved;
	if (!need_page_owner(t))
		return;
	uint64_t token = page_owner_token();
	uint64_t a = page_owner_test_site(), b = page_owner_test_site();
	KTEST_ASSERT_TRUE(t, a && b);
	__free_pages(b, 1);
	quiet(&saved);
	unsigned long leaks = page_owner_leaks_since(token);
	loud(saved);
	KTEST_EXPECT_EQ(t, leaks, 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "still allocated: frame 0x"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "page_owner_test_site+0x"));
	__free_pages(a, 1);
	KTEST_EXPECT_EQ(t, page_owner_leaks_since(token), 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* The dump and meminfo on the kernel's node. */
static void test_kernel_dump_and_meminfo(struct ktest *t)
{
	uint64_t held[8];
	int saved;
	if (!need_page_owner(t))
		return;
	for (int i = 0; i < 8; i++)
		held[i] = alloc_pages(GFP_KERNEL, 6); /* 512 pages: on top */
	quiet(&saved);
	page_owner_dump_top(&contig_page_data, 4);
	meminfo_show(&contig_page_data);
	loud(saved);
	for (int i = 0; i < 8; i++)
		if (held[i])
			__free_pages(held[i], 6);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "allocation sites of node 0"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log,
					    "test_kernel_dump_and_meminfo+0x"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "PageOwner:"));
	KTEST_EXPECT_GT(t, page_owner_table_pages(&contig_page_data), 0);
}

static const struct ktest_case page_owner_cases[] = {
	KTEST_CASE(test_kernel_caller_named),
	KTEST_CASE(test_kernel_leak_report),
	KTEST_CASE(test_kernel_dump_and_meminfo),
	{ 0 },
};
KTEST_SUITE_WHERE(page_owner, page_owner_cases, KTEST_TARGET_ONLY);
