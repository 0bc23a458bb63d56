/*
 * ktest itself (tests/ktest.c): how a filter is resolved and answered, and
 * the KTAP a run prints. The suites here are a fake table, never
 * registered, so the cases see exactly the names they expect on either
 * side. The host suite ktest_host (tests/host/ktest_host_test.c) feeds the
 * same output to tools/ktap_summary.awk.
 */
#include "kernel/lib/string.h"
#include "tests/ktest.h"

static void passes(struct ktest *t)
{
	(void)t;
}

static void skips(struct ktest *t)
{
	ktest_skip(t, "no hardware here");
}

static void skips_otherwise(struct ktest *t)
{
	ktest_skip(t, "another reason");
}

static void fails(struct ktest *t)
{
	ktest_fail(t, "fake.c", 1, "planted failure");
}

/* A failure whose message spans lines, as a STREQ of two logs prints. */
static void fails_multiline(struct ktest *t)
{
	ktest_fail(t, "fake.c", 2, "expected \"%s\"", "a\nnot ok 9 x\r\n");
}

static const struct ktest_case one_pass[] = { KTEST_CASE(passes), { 0 } };
static const struct ktest_case pass_skip[] = { KTEST_CASE(passes),
					       KTEST_CASE(skips),
					       { 0 } };
static const struct ktest_case skip_skip[] = { KTEST_CASE(skips),
					       KTEST_CASE(skips),
					       { 0 } };
static const struct ktest_case two_reasons[] = { KTEST_CASE(skips),
						 KTEST_CASE(skips_otherwise),
						 { 0 } };
static const struct ktest_case fail_skip[] = { KTEST_CASE(fails),
					       KTEST_CASE(skips),
					       { 0 } };

static const struct ktest_case multiline[] = { KTEST_CASE(fails_multiline),
					       { 0 } };

static const struct ktest_suite alpha = { "alpha", one_pass, KTEST_ANYWHERE };
static const struct ktest_suite beta = { "beta", pass_skip, KTEST_ANYWHERE };
static const struct ktest_suite skippy = { "skippy", skip_skip,
					   KTEST_ANYWHERE };
static const struct ktest_suite mixed = { "mixed_skips", two_reasons,
					  KTEST_ANYWHERE };
static const struct ktest_suite failing = { "failing", fail_skip,
					    KTEST_ANYWHERE };
static const struct ktest_suite hostie = { "hostie", one_pass,
					   KTEST_HOST_ONLY };
static const struct ktest_suite targie = { "targie", one_pass,
					   KTEST_TARGET_ONLY };

static const struct ktest_suite lines = { "lines", multiline, KTEST_ANYWHERE };

static const struct ktest_suite *const table[] = {
	&alpha, &beta, &skippy, &mixed, &failing, &hostie, &targie, &lines,
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Too big for a kernel stack; the cases run one at a time. */
static struct ktest_selection sel;

static int resolve(const char *filter, bool on_target)
{
	return ktest_resolve_filter(filter, on_target, table, NTABLE, &sel);
}

static void test_all_is_every_suite_of_this_side(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("all", false), 0);
	KTEST_ASSERT_TRUE(t, sel.nsuites == 7);
	KTEST_EXPECT_STREQ(t, sel.suites[0]->name, "alpha");
	KTEST_EXPECT_STREQ(t, sel.suites[5]->name, "hostie");
	KTEST_EXPECT_STREQ(t, sel.suites[6]->name, "lines");
	KTEST_EXPECT_STREQ(t, sel.messages, "");

	KTEST_EXPECT_EQ(t, resolve("all", true), 0);
	KTEST_ASSERT_TRUE(t, sel.nsuites == 7);
	KTEST_EXPECT_STREQ(t, sel.suites[5]->name, "targie");
}

/* Names pick suites; they run in the table's (link) order. */
static void test_names_run_in_link_order(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("skippy,alpha", false), 0);
	KTEST_ASSERT_TRUE(t, sel.nsuites == 2);
	KTEST_EXPECT_STREQ(t, sel.suites[0]->name, "alpha");
	KTEST_EXPECT_STREQ(t, sel.suites[1]->name, "skippy");
	KTEST_EXPECT_STREQ(t, sel.messages, "");
}

static void test_unknown_name_is_an_error(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("nosuchsuite", false), 1);
	KTEST_EXPECT_EQ(t, sel.nsuites, 0);
	KTEST_EXPECT_STREQ(
	    t, sel.messages,
	    "ktest: unknown suite 'nosuchsuite' (valid: alpha, beta, failing, hostie, lines, mixed_skips, skippy)\n");
	/* On target the list is target's. */
	KTEST_EXPECT_EQ(t, resolve("nosuchsuite", true), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, "skippy, targie)\n"));
	KTEST_EXPECT_FALSE(t, ktest_contains(sel.messages, "hostie"));
}

/* A typo in a list fails the whole filter: nothing runs. */
static void test_typo_in_a_list_runs_nothing(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("alpha,bta,skippy", false), 1);
	KTEST_EXPECT_EQ(t, sel.nsuites, 0);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(sel.messages,
					 "ktest: unknown suite 'bta' (valid: "));
	/* Several unknown names: one line names them all. */
	KTEST_EXPECT_EQ(t, resolve("x,alpha,yy", false), 1);
	KTEST_EXPECT_EQ(t, ktest_count(sel.messages, "\n"), 1);
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(sel.messages,
			      "ktest: unknown suites 'x', 'yy' (valid: "));
	/* Names are whole and case-sensitive. */
	KTEST_EXPECT_EQ(t, resolve("alph", false), 1);
	KTEST_EXPECT_EQ(t, resolve("Alpha", false), 1);
	KTEST_EXPECT_EQ(t, resolve("alphabet", false), 1);
}

static void test_empty_names_are_errors(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("", false), 1);
	KTEST_EXPECT_STREQ(
	    t, sel.messages,
	    "ktest: empty filter (give 'all' or suite names separated by commas)\n");
	KTEST_EXPECT_EQ(t, resolve(NULL, false), 1);

	KTEST_EXPECT_EQ(t, resolve("alpha,,beta", false), 1);
	KTEST_EXPECT_EQ(t, sel.nsuites, 0);
	KTEST_EXPECT_STREQ(
	    t, sel.messages,
	    "ktest: empty suite name at position 2 of 'alpha,,beta' (a stray comma?)\n");
	KTEST_EXPECT_EQ(t, resolve("alpha,", false), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, "at position 2 of"));
	KTEST_EXPECT_EQ(t, resolve(",alpha", false), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, "at position 1 of"));
	KTEST_EXPECT_EQ(t, resolve(",", false), 2);
}

/* A repeated name runs once, and the run says so (not an error). */
static void test_repeated_name_runs_once(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("alpha,beta,alpha,alpha", false), 0);
	KTEST_ASSERT_TRUE(t, sel.nsuites == 2);
	KTEST_EXPECT_STREQ(t, sel.suites[0]->name, "alpha");
	KTEST_EXPECT_STREQ(t, sel.suites[1]->name, "beta");
	KTEST_EXPECT_STREQ(
	    t, sel.messages,
	    "ktest: suite 'alpha' is named more than once (it runs once)\n");
}

static void test_all_with_names_is_an_error(struct ktest *t)
{
	static const char *const bad[] = { "all,alpha", "alpha,all", "all,all",
					   "all,nosuch" };
	for (int i = 0; i < 4; i++) {
		KTEST_EXPECT_GE(t, resolve(bad[i], false), 1);
		KTEST_EXPECT_EQ(t, sel.nsuites, 0);
		KTEST_EXPECT_TRUE(
		    t,
		    ktest_contains(
			sel.messages,
			"ktest: 'all' cannot be combined with other names in '"));
	}
}

/* The other side's suites are named as such, not as unknown: those in the
 * table (registered but not runnable here) and those this side was built
 * without (tests/ktest.c: ktest_one_sided). */
static void test_other_side_is_named(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("hostie", true), 1);
	KTEST_EXPECT_STREQ(
	    t, sel.messages,
	    "ktest: suite 'hostie' is host-only: build/host/ktest-host hostie runs it, the kernel cannot\n");
	KTEST_EXPECT_EQ(t, resolve("alpha,targie", false), 1);
	KTEST_EXPECT_EQ(t, sel.nsuites, 0);
	KTEST_EXPECT_STREQ(
	    t, sel.messages,
	    "ktest: suite 'targie' is target-only: it runs in the kernel (ktest=targie on the cmdline), not on the host\n");

	KTEST_EXPECT_EQ(t, resolve("mm_fixtures", true), 1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(sel.messages,
					 "suite 'mm_fixtures' is host-only"));
	KTEST_EXPECT_EQ(t, resolve("bootinfo", false), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages,
					    "suite 'bootinfo' is target-only"));
	/* A one-sided name of this side that is not in the table is unknown. */
	KTEST_EXPECT_EQ(t, resolve("bootinfo", true), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, "unknown suite"));
}

/* Every error is reported, not just the first. */
static void test_every_error_is_reported(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, resolve("alpha,,targie,nope", false), 3);
	KTEST_EXPECT_EQ(t, ktest_count(sel.messages, "\n"), 3);
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, "empty suite name"));
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, "target-only"));
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, "'nope'"));
}

/* Messages longer than the buffer are cut with a mark, never overrun. */
static void test_long_messages_are_cut(struct ktest *t)
{
	static char filter[3000];
	size_t n = 0;
	while (n + 3 < sizeof(filter)) {
		filter[n++] = 'z';
		filter[n++] = 'z';
		filter[n++] = ',';
	}
	filter[n - 1] = '\0';
	KTEST_EXPECT_EQ(t, resolve(filter, false), 1);
	KTEST_EXPECT_LT(t, sel.len, sizeof(sel.messages));
	KTEST_EXPECT_EQ(t, strlen(sel.messages), sel.len);
	KTEST_EXPECT_TRUE(t, ktest_contains(sel.messages, " [...]\n"));
	KTEST_ASSERT_TRUE(t, sel.len > 0);
	KTEST_EXPECT_EQ(t, sel.messages[sel.len - 1], '\n');
}

/* A run with an error is well-formed KTAP that counts as one failure. */
static void test_error_run_is_one_failed_test(struct ktest *t)
{
	static char out[1024];
	resolve("alpha,nosuch", false);
	ktest_capture_start(out, sizeof(out));
	int failed = ktest_run_selection(&sel);
	ktest_capture_stop();
	KTEST_EXPECT_EQ(t, failed, 1);
	KTEST_EXPECT_STREQ(
	    t, out,
	    "KTAP version 1\n"
	    "# ktest: unknown suite 'nosuch' (valid: alpha, beta, failing, hostie, lines, mixed_skips, skippy)\n"
	    "1..1\n"
	    "not ok 1 ktest_filter # no suite ran: 1 error in the filter\n");
}

/* A suite whose every case was skipped says # SKIP on its own line, with
 * the cases' reason if they share one; a suite with some cases run does
 * not. */
static void test_skipped_suite_says_skip(struct ktest *t)
{
	static char out[2048];
	void (*start)(struct ktest *) = ktest_case_start_hook;
	void (*end)(struct ktest *) = ktest_case_end_hook;

	KTEST_ASSERT_TRUE(t, resolve("beta,skippy,mixed_skips,failing",
				     false) == 0);
	ktest_case_start_hook = ktest_case_end_hook = NULL;
	ktest_capture_start(out, sizeof(out));
	int failed = ktest_run_selection(&sel);
	ktest_capture_stop();
	ktest_case_start_hook = start;
	ktest_case_end_hook = end;

	KTEST_EXPECT_EQ(t, failed, 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(out, "\nok 1 beta\n"));
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(out, "\nok 2 skippy # SKIP no hardware here\n"));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(out, "\n# skippy: pass:0 fail:0 skip:2 total:2\n"));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(out,
			   "\nok 3 mixed_skips # SKIP all 2 cases skipped\n"));
	KTEST_EXPECT_TRUE(t, ktest_contains(out, "\nnot ok 4 failing\n"));
	KTEST_EXPECT_EQ(t, ktest_count(out, "# SKIP"), 8);
}

/* A diagnostic stays on one line: newlines inside it are printed as \n,
 * so a compared log cannot forge a result line. */
static void test_diagnostic_stays_on_one_line(struct ktest *t)
{
	static char out[1024];
	void (*start)(struct ktest *) = ktest_case_start_hook;
	void (*end)(struct ktest *) = ktest_case_end_hook;

	KTEST_ASSERT_TRUE(t, resolve("lines", false) == 0);
	ktest_case_start_hook = ktest_case_end_hook = NULL;
	ktest_capture_start(out, sizeof(out));
	int failed = ktest_run_selection(&sel);
	ktest_capture_stop();
	ktest_case_start_hook = start;
	ktest_case_end_hook = end;

	KTEST_EXPECT_EQ(t, failed, 1);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(
		out,
		"\n        # fails_multiline: fake.c:2: expected \"a\\nnot ok 9 x\\r\\n\"\n"));
	KTEST_EXPECT_FALSE(t, ktest_contains(out, "\nnot ok 9"));
	KTEST_EXPECT_FALSE(t, ktest_contains(out, "\r"));
}

static const struct ktest_case ktest_cases[] = {
	KTEST_CASE(test_all_is_every_suite_of_this_side),
	KTEST_CASE(test_names_run_in_link_order),
	KTEST_CASE(test_unknown_name_is_an_error),
	KTEST_CASE(test_typo_in_a_list_runs_nothing),
	KTEST_CASE(test_empty_names_are_errors),
	KTEST_CASE(test_repeated_name_runs_once),
	KTEST_CASE(test_all_with_names_is_an_error),
	KTEST_CASE(test_other_side_is_named),
	KTEST_CASE(test_every_error_is_reported),
	KTEST_CASE(test_long_messages_are_cut),
	KTEST_CASE(test_error_run_is_one_failed_test),
	KTEST_CASE(test_skipped_suite_says_skip),
	KTEST_CASE(test_diagnostic_stays_on_one_line),
	{ 0 },
};
KTEST_SUITE(ktest, ktest_cases);
