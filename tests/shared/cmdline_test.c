/*
 * The cmdline parser: known options reach their setters, unknown and
 * malformed words are named in a warning and change nothing.
 */
#include "kernel/lib/cmdline.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/ktest.h"

static unsigned long seen_level;
static int seen_calls;
static char seen_name[32];

static int set_level(const char *v)
{
	seen_calls++;
	return cmdline_parse_ulong(v, &seen_level) || seen_level > 9 ? -1 : 0;
}

static int set_name(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n >= sizeof(seen_name))
		return -1;
	memcpy(seen_name, v, n + 1);
	return 0;
}

static const struct cmdline_param level = { "level", set_level, "0..9" };
static const struct cmdline_param name = { "name", set_name, "a word" };
static const struct cmdline_param *const params[] = { &level, &name };

/* Parses `text` with the console silenced; returns words rejected. */
static int parse(const char *text, char *log, size_t logsize)
{
	static char line[256];
	size_t n = strlen(text);
	memcpy(line, text, n + 1);
	seen_level = 0;
	seen_calls = 0;
	seen_name[0] = '\0';
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, logsize);
	int rejected = cmdline_parse(line, params, 2);
	printk_capture_stop();
	console_loglevel = saved;
	return rejected;
}

static void test_known_options(struct ktest *t)
{
	char log[256];
	KTEST_EXPECT_EQ(t, parse("  level=7   name=alpha ", log, sizeof(log)),
			0);
	KTEST_EXPECT_EQ(t, seen_level, 7);
	KTEST_EXPECT_STREQ(t, seen_name, "alpha");
	KTEST_EXPECT_STREQ(t, log, "");
	KTEST_EXPECT_EQ(t, parse("level=0x0a", log, sizeof(log)),
			1); /* 10 > 9 */
	KTEST_EXPECT_EQ(t, parse("", log, sizeof(log)), 0);
}

static void test_unknown_option_named(struct ktest *t)
{
	char log[256];
	KTEST_EXPECT_EQ(t, parse("bogus=1 level=3", log, sizeof(log)), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log,
					    "unknown option 'bogus' ignored"));
	KTEST_EXPECT_EQ(t, seen_level, 3); /* the good word still counts */
}

static void test_malformed_words_named(struct ktest *t)
{
	char log[256];
	KTEST_EXPECT_EQ(t, parse("junk =5 level=2", log, sizeof(log)), 2);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "malformed option 'junk'"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "malformed option '=5'"));
	KTEST_EXPECT_EQ(t, seen_level, 2);
}

static void test_invalid_value_named(struct ktest *t)
{
	char log[256];
	KTEST_EXPECT_EQ(t, parse("level=12 level=x level=", log, sizeof(log)),
			3);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(log,
			   "invalid value in 'level=12' ignored (level: 0..9)"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "invalid value in 'level=x'"));
	KTEST_EXPECT_EQ(t, seen_calls, 3);
}

static void test_parse_ulong(struct ktest *t)
{
	unsigned long v = 0;
	KTEST_EXPECT_EQ(t, cmdline_parse_ulong("18446744073709551615", &v), 0);
	KTEST_EXPECT_EQ(t, v, ~0UL);
	KTEST_EXPECT_EQ(t, cmdline_parse_ulong("18446744073709551616", &v), -1);
	KTEST_EXPECT_EQ(t, cmdline_parse_ulong("0xffFF", &v), 0);
	KTEST_EXPECT_EQ(t, v, 0xffff);
	KTEST_EXPECT_EQ(t, cmdline_parse_ulong("0x", &v), -1);
	KTEST_EXPECT_EQ(t, cmdline_parse_ulong("12a", &v), -1);
}

static const struct ktest_case cmdline_cases[] = {
	KTEST_CASE(test_known_options),
	KTEST_CASE(test_unknown_option_named),
	KTEST_CASE(test_malformed_words_named),
	KTEST_CASE(test_invalid_value_named),
	KTEST_CASE(test_parse_ulong),
	{ 0 },
};
KTEST_SUITE(cmdline, cmdline_cases);
