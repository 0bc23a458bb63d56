/*
 * The cmdline parser: known options reach their setters, unknown and
 * malformed words are named in a warning and change nothing.
 */
#include "kernel/lib/cmdline.h"
#include "kernel/lib/cmdline_text.h"
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

static void test_repeated_option_last_wins(struct ktest *t)
{
	char log[256];
	KTEST_EXPECT_EQ(t, parse("level=2 name=a level=5", log, sizeof(log)),
			0);
	KTEST_EXPECT_EQ(t, seen_level, 5);
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(log, "'level' given again: 'level=5' replaces"));
	KTEST_EXPECT_EQ(t, ktest_count(log, "given again"), 1);
	/* A rejected repeat changes nothing and is named as invalid. */
	KTEST_EXPECT_EQ(t, parse("level=4 level=x", log, sizeof(log)), 1);
	KTEST_EXPECT_EQ(t, seen_level, 4);
	KTEST_EXPECT_FALSE(t, ktest_contains(log, "given again"));
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

/* "on" and "off" exactly; anything else refused, the value untouched. */
static void test_parse_on_off(struct ktest *t)
{
	static const char *const bad[] = { "",	  "o", "On",  "of",   "offf",
					   "on ", "1", "yes", "onoff" };
	bool v = false;
	KTEST_EXPECT_EQ(t, cmdline_parse_on_off("on", &v), 0);
	KTEST_EXPECT_TRUE(t, v);
	KTEST_EXPECT_EQ(t, cmdline_parse_on_off("off", &v), 0);
	KTEST_EXPECT_FALSE(t, v);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		v = true;
		KTEST_EXPECT_EQ(t, cmdline_parse_on_off(bad[i], &v), -1);
		KTEST_EXPECT_TRUE(t, v);
	}
}

/* cmdline.txt's bytes as the loader turns them into a line. */
static void test_copy_text(struct ktest *t)
{
	char out[16];
	struct cmdline_text r;
	/* CRLF and tabs are spaces; trailing ones go. */
	r = cmdline_copy_text("a=1\r\nb=2\t\r\n", 11, out, sizeof(out));
	KTEST_EXPECT_STREQ(t, out, "a=1  b=2");
	KTEST_EXPECT_EQ(t, r.len, 8);
	KTEST_EXPECT_EQ(t, r.replaced, 0);
	/* A UTF-8 byte-order mark is dropped, not turned into junk. */
	r = cmdline_copy_text("\xef\xbb\xbf"
			      "a=1",
			      6, out, sizeof(out));
	KTEST_EXPECT_STREQ(t, out, "a=1");
	/* NUL, control and non-ASCII bytes become '?', counted: the line
	 * does not end early at a NUL. */
	r = cmdline_copy_text("a=1\0b=\x01\xc3\xa9", 9, out, sizeof(out));
	KTEST_EXPECT_STREQ(t, out, "a=1?b=???");
	KTEST_EXPECT_EQ(t, r.replaced, 4);
	/* Too long: cut at cap - 1, and the length asked is returned. */
	r = cmdline_copy_text("0123456789abcdefghij", 20, out, sizeof(out));
	KTEST_EXPECT_EQ(t, r.len, 15);
	KTEST_EXPECT_EQ(t, r.truncated, 20);
	KTEST_EXPECT_STREQ(t, out, "0123456789abcde");
	/* Empty and all-space files give the empty line. */
	r = cmdline_copy_text(" \n\n", 3, out, sizeof(out));
	KTEST_EXPECT_STREQ(t, out, "");
	r = cmdline_copy_text("", 0, out, sizeof(out));
	KTEST_EXPECT_STREQ(t, out, "");
}

/* The classes a hostile tester tries, on a numeric option: each word is
 * refused with one warning naming it, and the value stays. The real
 * options get the same in tests/target/cmdline_sweep_test.c. */
static void test_hostile_values(struct ktest *t)
{
	static const char *const words[] = {
		"level=",
		"level=-1",
		"level=12abc",
		"level=18446744073709551616",
		"level=18446744073709551617",
		"level=\?\?",
		"level==3",
		"level=0x",
		"level=+3",
	};
	char log[256], line[64];
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		size_t n = strlen(words[i]);
		memcpy(line, "level=4 ", 8);
		memcpy(line + 8, words[i], n + 1);
		KTEST_EXPECT_EQ(t, parse(line, log, sizeof(log)), 1);
		KTEST_EXPECT_EQ(t, seen_level, 4);
		KTEST_EXPECT_EQ(t, ktest_count(log, "\n"), 1);
		char named[80];
		memcpy(named, "invalid value in '", 18);
		memcpy(named + 18, words[i], n);
		memcpy(named + 18 + n, "' ignored (level: 0..9)", 24);
		if (!ktest_contains(log, named))
			ktest_diag(t, "'%s' said: %s", words[i], log);
		KTEST_EXPECT_TRUE(t, ktest_contains(log, named));
	}
	/* No '=' at all, or nothing before it: malformed, named. */
	KTEST_EXPECT_EQ(t, parse("level", log, sizeof(log)), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "malformed option 'level'"));
	KTEST_EXPECT_EQ(t, parse("=", log, sizeof(log)), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "malformed option '='"));
	/* Zero is a value like another: in range here, taken. */
	KTEST_EXPECT_EQ(t, parse("level=0", log, sizeof(log)), 0);
	KTEST_EXPECT_EQ(t, seen_calls, 1);
}

static const struct ktest_case cmdline_cases[] = {
	KTEST_CASE(test_copy_text),
	KTEST_CASE(test_known_options),
	KTEST_CASE(test_unknown_option_named),
	KTEST_CASE(test_malformed_words_named),
	KTEST_CASE(test_invalid_value_named),
	KTEST_CASE(test_repeated_option_last_wins),
	KTEST_CASE(test_parse_ulong),
	KTEST_CASE(test_parse_on_off),
	KTEST_CASE(test_hostile_values),
	{ 0 },
};
KTEST_SUITE(cmdline, cmdline_cases);
