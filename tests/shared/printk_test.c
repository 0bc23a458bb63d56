/*
 * printk formatting: every conversion the kernel relies on, checked against
 * the exact expected text. Runs on the host and on target.
 */
#include <limits.h>

#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "tests/ktest.h"

static const char *fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	kvsnprintf(buf, size, f, ap);
	va_end(ap);
	return buf;
}

#define CHECK(t, expected, ...)                                             \
	do {                                                                \
		char buf_[128];                                             \
		KTEST_EXPECT_STREQ(t, fmt(buf_, sizeof(buf_), __VA_ARGS__), \
				   expected);                               \
	} while (0)

static void test_integers(struct ktest *t)
{
	CHECK(t, "0", "%d", 0);
	CHECK(t, "-42", "%d", -42);
	CHECK(t, "42", "%i", 42);
	CHECK(t, "4294967295", "%u", 4294967295u);
	CHECK(t, "-2147483648", "%d", INT_MIN);
	CHECK(t, "-9223372036854775808", "%lld", LLONG_MIN);
	CHECK(t, "18446744073709551615", "%llu", ULLONG_MAX);
	CHECK(t, "-1", "%ld", -1L);
	CHECK(t, "123456789012", "%zu", (size_t)123456789012ULL);
}

static void test_hex(struct ktest *t)
{
	CHECK(t, "ff", "%x", 255);
	CHECK(t, "FF", "%X", 255);
	CHECK(t, "deadbeefcafe", "%lx", 0xdeadbeefcafeUL);
	CHECK(t, "ffffffffffffffff", "%llx", ~0ULL);
	CHECK(t, "0", "%x", 0);
	CHECK(t, "17", "%o", 15);
}

static void test_width_and_padding(struct ktest *t)
{
	CHECK(t, "   42", "%5d", 42);
	CHECK(t, "00042", "%05d", 42);
	CHECK(t, "-0042", "%05d", -42);
	CHECK(t, "42   |", "%-5d|", 42);
	CHECK(t, "42   |", "%-05d|", 42);
	CHECK(t, "000000000000beef", "%016lx", 0xbeefUL);
	CHECK(t, "  ab", "%*s", 4, "ab");
	CHECK(t, "ab  |", "%-4s|", "ab");
	CHECK(t, "toolong", "%3s", "toolong");
}

static void test_strings_chars_pointers(struct ktest *t)
{
	CHECK(t, "hello world", "%s %s", "hello", "world");
	CHECK(t, "(null)", "%s", (const char *)NULL);
	CHECK(t, "x=A", "x=%c", 'A');
	CHECK(t, "0x00000000deadbeef", "%p", (void *)0xdeadbeefUL);
	CHECK(t, "100%", "100%%");
	CHECK(t, "%q", "%q");
}

static void test_truncation(struct ktest *t)
{
	char buf[6];
	int n = ksnprintf(buf, sizeof(buf), "%s", "abcdefgh");
	KTEST_EXPECT_EQ(t, n, 8);
	KTEST_EXPECT_STREQ(t, buf, "abcde");
	n = ksnprintf(buf, 0, "%d", 12345);
	KTEST_EXPECT_EQ(t, n, 5);
}

static void test_levels_and_capture(struct ktest *t)
{
	char cap[64];
	int saved = console_loglevel;
	console_loglevel =
	    0; /* nothing reaches the console, capture sees all */
	printk_capture_start(cap, sizeof(cap));
	pr_err("bad %s\n", "thing");
	pr_debug("d%d\n", 7);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_STREQ(t, cap, "bad thing\nd7\n");
}

static const struct ktest_case printk_cases[] = {
	KTEST_CASE(test_integers),
	KTEST_CASE(test_hex),
	KTEST_CASE(test_width_and_padding),
	KTEST_CASE(test_strings_chars_pointers),
	KTEST_CASE(test_truncation),
	KTEST_CASE(test_levels_and_capture),
	{ 0 },
};
KTEST_SUITE(printk, printk_cases);
