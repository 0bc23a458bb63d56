/*
 * Every cmdline option the kernel registers, fed the values a hostile
 * tester would type: empty, malformed (12abc, 0x), negative, overflowing
 * (2^64 and 2^64 + 1), non-ASCII as the loader delivers it ('?'), and
 * per option zero and out-of-range values where those are wrong. Each must
 * be refused with one warning that names the option and the word. That
 * the refused value is not stored either is for each setter to keep (a
 * local first); the matrix's cmdline-bad-values boots one that was.
 * The parser itself is tested in tests/shared/cmdline_test.c; this runs
 * the real table (the cmdline_params section).
 * docs/07-debugging-the-allocator.md ("Bad input: what you see").
 */
#include "kernel/lib/cmdline.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/ktest.h"

extern const struct cmdline_param *const __start_cmdline_params[];
extern const struct cmdline_param *const __stop_cmdline_params[];

/* Values no option accepts. ktest= is left out: it is the filter of the
 * run now under way (the matrix's ktest-* lines test it). */
static const char *const never_valid[] = {
	"",
	"12abc",
	"0x",
	"-1",
	"18446744073709551616", /* 2^64 */
	"18446744073709551617", /* 2^64 + 1 */
	"99999999999999999999999",
	"\?\?", /* non-ASCII, after the loader (kernel/lib/cmdline_text.h) */
};

/* Values refused by the named option although others take them. */
static const struct {
	const char *option, *value;
} wrong_for[] = {
	{ "min_free_kbytes", "0" },
	{ "min_free_kbytes", "127" },
	{ "min_free_kbytes", "1048577" },
	{ "watermark_scale_factor", "0" },
	{ "watermark_scale_factor", "3001" },
	{ "lowmem_reserve_ratio", "256,,32" },
	{ "lowmem_reserve_ratio", "256,256" },
	{ "lowmem_reserve_ratio", "256,256,32," },
	{ "lowmem_reserve_ratio", "65537,256,32" },
	{ "lowmem_reserve_ratio", "-1,256,32" },
	{ "hz", "0" },
	{ "hz", "99" },
	{ "hz", "10001" },
	{ "loglevel", "9" },
	{ "alloc_wait_ms", "600001" },
	{ "demo_seconds", "3601" },
	{ "demo_buddyinfo", "2" },
	{ "demo_buddyinfo", "18446744073709551615" },
	{ "demo_pageblocks", "2" },
	{ "demo_pageblocks", "on" },
	{ "numa_trace_ms", "10001" },
	{ "soak_seconds", "0" },
	{ "soak_seconds", "86401" },
	{ "ktest_icount", "2" },
	{ "fail_page_alloc", "0,20,-1" },
	{ "fail_page_alloc", "10,101,-1" },
	{ "fail_page_alloc", "10,20,-2" },
	{ "fail_page_alloc", "10,20" },
	{ "fail_page_alloc", "10,,-1" },
	{ "fail_page_alloc", "10,20,-1," },
	{ "fail_page_alloc_order", "11" },
	{ "fail_page_alloc_sleeping", "2" },
	{ "page_poison", "on" },
	{ "page_owner", "1" },
	{ "debug_pagealloc", "1" },
	{ "lockdep", "0" },
	{ "hpet", "enable" },
	{ "bench", "order1" },
	{ "shell", "yes" },
	{ "crashtest", "UD2" },
};

/* Feeds "option=value" to the real table; returns the words refused and
 * leaves the warnings in log. */
static int feed(const char *option, const char *value, char *log, size_t size)
{
	static char line[160];
	size_t n = strlen(option), m = strlen(value);
	memcpy(line, option, n);
	line[n] = '=';
	memcpy(line + n + 1, value, m + 1);
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, size);
	int refused = cmdline_parse(line, __start_cmdline_params,
				    (size_t)(__stop_cmdline_params -
					     __start_cmdline_params));
	printk_capture_stop();
	console_loglevel = saved;
	return refused;
}

/* One warning, naming the option and the value it was given. */
static bool refused_by_name(struct ktest *t, const char *option,
			    const char *value)
{
	char log[512], word[160];
	int refused = feed(option, value, log, sizeof(log));
	size_t n = strlen(option);
	memcpy(word, option, n);
	word[n] = '=';
	memcpy(word + n + 1, value, strlen(value) + 1);
	/* lowmem_reserve_ratio's warning is mm's (it knows the zones). */
	bool named = ktest_count(log, "\n") == 1 && ktest_contains(log, word);
	bool ok =
	    named && (refused == 1 || !strcmp(option, "lowmem_reserve_ratio"));
	if (!ok)
		ktest_diag(t, "'%s': %d refused, said: %s", word, refused,
			   log[0] ? log : "(nothing)");
	return ok;
}

static void test_every_option_refuses_what_none_accepts(struct ktest *t)
{
	unsigned int options = 0, checked = 0;
	for (const struct cmdline_param *const *p = __start_cmdline_params;
	     p < __stop_cmdline_params; p++) {
		if (!strcmp((*p)->name, "ktest"))
			continue;
		options++;
		for (size_t i = 0;
		     i < sizeof(never_valid) / sizeof(*never_valid); i++) {
			KTEST_EXPECT_TRUE(t, refused_by_name(t, (*p)->name,
							     never_valid[i]));
			checked++;
		}
	}
	ktest_diag(t, "%u options, %u bad values refused by name", options,
		   checked);
	KTEST_EXPECT_GT(t, options, 15);
}

static void test_each_option_refuses_its_own_wrong_values(struct ktest *t)
{
	for (size_t i = 0; i < sizeof(wrong_for) / sizeof(*wrong_for); i++)
		KTEST_EXPECT_TRUE(t, refused_by_name(t, wrong_for[i].option,
						     wrong_for[i].value));
}

/* Every option in the list above exists (a renamed option would leave
 * its cases testing the 'unknown option' warning instead). */
static void test_listed_options_exist(struct ktest *t)
{
	for (size_t i = 0; i < sizeof(wrong_for) / sizeof(*wrong_for); i++) {
		bool found = false;
		for (const struct cmdline_param *const *p =
			 __start_cmdline_params;
		     p < __stop_cmdline_params; p++)
			found |= !strcmp((*p)->name, wrong_for[i].option);
		if (!found)
			ktest_diag(t, "no option '%s'", wrong_for[i].option);
		KTEST_EXPECT_TRUE(t, found);
	}
}

static const struct ktest_case cmdline_sweep_cases[] = {
	KTEST_CASE(test_listed_options_exist),
	KTEST_CASE(test_every_option_refuses_what_none_accepts),
	KTEST_CASE(test_each_option_refuses_its_own_wrong_values),
	{ 0 },
};
KTEST_SUITE_WHERE(cmdline_sweep, cmdline_sweep_cases, KTEST_TARGET_ONLY);
