/*
 * ktest: Labyrinth's one test framework, for the host and for the kernel.
 *
 * A suite is a list of cases; each case is a function taking a struct ktest.
 * Suites register themselves in the "ktest_suites" linker section, so adding
 * a test file to the build is all it takes to run it. Results are printed in
 * KTAP version 1, the Linux kernel's test output format, so the same parser
 * (tools/ktap_summary.awk) reads host runs and serial logs alike.
 * docs/01-boot.md ("Testing") explains how it fits together.
 *
 *   static void test_adds(struct ktest *t) { KTEST_EXPECT_EQ(t, 1 + 1, 2); }
 *   static const struct ktest_case cases[] = { KTEST_CASE(test_adds), {0} };
 *   KTEST_SUITE(arith, cases);
 */
#ifndef LABYRINTH_TESTS_KTEST_H
#define LABYRINTH_TESTS_KTEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct ktest {
	const char *case_name;
	bool failed;
	const char *skip_reason; /* non-NULL: the case was skipped */
};

struct ktest_case {
	const char *name;
	void (*run)(struct ktest *t);
};

/* Where a suite may run. Most suites run everywhere. */
enum ktest_where {
	KTEST_ANYWHERE = 0,
	KTEST_TARGET_ONLY, /* needs real hardware state (IDT, CR3, boot_info) */
	KTEST_HOST_ONLY,   /* needs the host (large fixtures, long runs) */
};

struct ktest_suite {
	const char *name;
	const struct ktest_case
	    *cases; /* terminated by an entry with name NULL */
	enum ktest_where where;
};

#define KTEST_CASE(fn)  \
	{               \
#fn, fn \
	}

#define KTEST_SUITE_WHERE(suite_name, case_array, where_)                \
	static const struct ktest_suite ktest_suite_##suite_name = {     \
		#suite_name, case_array, where_                          \
	};                                                               \
	static const struct ktest_suite *const ktest_ptr_##suite_name    \
	    __attribute__((used, section("ktest_suites"), aligned(8))) = \
		&ktest_suite_##suite_name

#define KTEST_SUITE(suite_name, case_array) \
	KTEST_SUITE_WHERE(suite_name, case_array, KTEST_ANYWHERE)

/* Provided by the platform: host_main.c prints to stdout, the kernel to COM1. */
void ktest_vprintf(const char *fmt, va_list ap);
void ktest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Marks the case failed and prints a KTAP diagnostic line naming the spot. */
void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
/* A "# ..." diagnostic line inside the current case (numbers, context). */
void ktest_diag(struct ktest *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ktest_skip(struct ktest *t, const char *reason);

/*
 * EXPECT records a failure and carries on; ASSERT records it and returns from
 * the case (use it when the rest of the case would be meaningless).
 * Values are compared as long long / unsigned long long so that every integer
 * type and pointer prints usefully.
 */
#define KTEST_EXPECT_TRUE(t, cond) \
	((cond) ? (void)0          \
		: ktest_fail(t, __FILE__, __LINE__, "expected %s", #cond))
#define KTEST_EXPECT_FALSE(t, cond) KTEST_EXPECT_TRUE(t, !(cond))

#define KTEST_EXPECT_OP(t, a, op, b)                                           \
	do {                                                                   \
		unsigned long long ktest_a_ = (unsigned long long)(a);         \
		unsigned long long ktest_b_ = (unsigned long long)(b);         \
		if (!(ktest_a_ op ktest_b_))                                   \
			ktest_fail(t, __FILE__, __LINE__,                      \
				   "expected %s %s %s (0x%llx vs 0x%llx)", #a, \
				   #op, #b, ktest_a_, ktest_b_);               \
	} while (0)
#define KTEST_EXPECT_EQ(t, a, b) KTEST_EXPECT_OP(t, a, ==, b)
#define KTEST_EXPECT_NE(t, a, b) KTEST_EXPECT_OP(t, a, !=, b)
#define KTEST_EXPECT_LE(t, a, b) KTEST_EXPECT_OP(t, a, <=, b)
#define KTEST_EXPECT_LT(t, a, b) KTEST_EXPECT_OP(t, a, <, b)
#define KTEST_EXPECT_GE(t, a, b) KTEST_EXPECT_OP(t, a, >=, b)
#define KTEST_EXPECT_GT(t, a, b) KTEST_EXPECT_OP(t, a, >, b)

int ktest_strcmp(const char *a, const char *b);
/* How often needle occurs in text, and whether it does at all: for checking
 * what a captured log (printk_capture_start) says. */
int ktest_count(const char *text, const char *needle);
bool ktest_contains(const char *text, const char *needle);
#define KTEST_EXPECT_STREQ(t, a, b)                                            \
	do {                                                                   \
		const char *ktest_sa_ = (a), *ktest_sb_ = (b);                 \
		if (ktest_strcmp(ktest_sa_, ktest_sb_) != 0)                   \
			ktest_fail(t, __FILE__, __LINE__,                      \
				   "expected %s == %s (\"%s\" vs \"%s\")", #a, \
				   #b, ktest_sa_, ktest_sb_);                  \
	} while (0)

#define KTEST_ASSERT_TRUE(t, cond)                                        \
	do {                                                              \
		if (!(cond)) {                                            \
			ktest_fail(t, __FILE__, __LINE__, "assertion %s", \
				   #cond);                                \
			return;                                           \
		}                                                         \
	} while (0)

/* Optional, set by the platform: called around each case (the kernel's
 * page_owner leak report, tests/target/ktest_boot.c). */
extern void (*ktest_case_start_hook)(struct ktest *t);
extern void (*ktest_case_end_hook)(struct ktest *t);

/*
 * Filters. A filter is "all" (every suite that may run on this side) or
 * suite names separated by commas. Suites run in link order whatever the
 * order of the names; a name given twice runs once (with a note). Anything
 * else is an error, and a filter with an error runs nothing:
 *   - an empty filter, or an empty name ("a,,b", "a," ",a");
 *   - "all" together with names ("all,printk");
 *   - a name no suite has: one line names them all and lists the valid
 *     names ("ktest: unknown suite 'x' (valid: a, b)");
 *   - a suite of the other side: "ktest: suite 'mm_fixtures' is host-only"
 *     (ktest_one_sided below lets a side know suites it was not built with).
 * docs/01-boot.md ("Testing") shows what a run with an error prints.
 */
#define KTEST_MAX_SUITES 128
#define KTEST_MESSAGES_SIZE 4096

/* Target cases that wait for the tick give up (and fail) when it has not
 * moved for this long, rather than hang. Not half a second: under TCG on a
 * loaded host the whole QEMU may be set aside for that long, and the vCPU
 * can see the TSC jump before QEMU's timer thread delivers the tick. */
#define TICK_STALL_NS 5000000000ULL

struct ktest_selection {
	const struct ktest_suite *suites[KTEST_MAX_SUITES]; /* to run */
	int nsuites;
	int nerrors; /* > 0: the filter is wrong; nothing may run */
	/* One "ktest: ..." line per error or note, each ending in '\n'. */
	char messages[KTEST_MESSAGES_SIZE];
	size_t len;
};

/* Resolves `filter` against the suites in `table` (ntable of them) for one
 * side. Fills *sel (its old contents are ignored); returns sel->nerrors. */
int ktest_resolve_filter(const char *filter, bool on_target,
			 const struct ktest_suite *const *table, size_t ntable,
			 struct ktest_selection *sel);
/* Adds an error the filter itself cannot show (a filter that did not fit
 * its buffer, tests/target/ktest_boot.c). */
void ktest_selection_error(struct ktest_selection *sel, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints a run as KTAP: the selection's messages as "# " diagnostics, then
 * the suites; with errors, a plan of 1 and "not ok 1 ktest_filter" so that
 * every KTAP reader counts the run as failed. Returns the number of failed
 * cases (1 for a filter with errors). */
int ktest_run_selection(const struct ktest_selection *sel);

/* Resolves `filter` against every registered suite and runs the selection.
 * Returns the number of failed cases (0: all passed or skipped). */
int ktest_run(const char *filter, bool on_target);

/* The suites one side is built without (tests/host/ and tests/target/),
 * by name and side, with no cases. tests/host/ktest_host_test.c checks the
 * list against the sources. */
extern const struct ktest_suite ktest_one_sided[];
extern const size_t ktest_nr_one_sided;

/* Sends everything ktest prints into buf (NUL-terminated, truncated to
 * size) until ktest_capture_stop(), which returns the length kept: for
 * tests of ktest itself. */
void ktest_capture_start(char *buf, size_t size);
size_t ktest_capture_stop(void);

#endif
