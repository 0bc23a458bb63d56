/*
 * ktest runner: walks the suites in the "ktest_suites" section and prints
 * KTAP version 1. The same file is linked into the host test binary and into
 * the kernel; only ktest_vprintf differs. See docs/01-boot.md ("Testing").
 */
#include "tests/ktest.h"

/* The linker provides these: gcc/ld for a host binary automatically (the
 * section name is a C identifier), linker.ld explicitly for the kernel. */
extern const struct ktest_suite *const __start_ktest_suites[];
extern const struct ktest_suite *const __stop_ktest_suites[];

void (*ktest_case_start_hook)(struct ktest *t);
void (*ktest_case_end_hook)(struct ktest *t);

void ktest_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ktest_vprintf(fmt, ap);
	va_end(ap);
}

int ktest_strcmp(const char *a, const char *b)
{
	if (!a || !b)
		return a == b ? 0 : 1;
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int ktest_count(const char *text, const char *needle)
{
	int n = 0;
	for (; *text; text++) {
		const char *a = text, *b = needle;
		while (*b && *a == *b)
			a++, b++;
		if (!*b)
			n++;
	}
	return n;
}

bool ktest_contains(const char *text, const char *needle)
{
	return ktest_count(text, needle) > 0;
}

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt,
		...)
{
	va_list ap;
	t->failed = true;
	ktest_printf("        # %s: %s:%d: ", t->case_name, file, line);
	va_start(ap, fmt);
	ktest_vprintf(fmt, ap);
	va_end(ap);
	ktest_printf("\n");
}

void ktest_diag(struct ktest *t, const char *fmt, ...)
{
	va_list ap;
	(void)t;
	ktest_printf("        # ");
	va_start(ap, fmt);
	ktest_vprintf(fmt, ap);
	va_end(ap);
	ktest_printf("\n");
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skip_reason = reason;
}

/* Is `name` one of the comma-separated words of `filter`? */
static bool filter_matches(const char *filter, const char *name)
{
	if (ktest_strcmp(filter, "all") == 0)
		return true;
	const char *word = filter;
	while (*word) {
		const char *end = word;
		while (*end && *end != ',')
			end++;
		const char *n = name;
		const char *w = word;
		while (w < end && *n && *w == *n)
			w++, n++;
		if (w == end && *n == '\0')
			return true;
		word = *end ? end + 1 : end;
	}
	return false;
}

static bool runs_here(const struct ktest_suite *s, bool on_target)
{
	if (s->where == KTEST_TARGET_ONLY)
		return on_target;
	if (s->where == KTEST_HOST_ONLY)
		return !on_target;
	return true;
}

static int count_cases(const struct ktest_suite *s)
{
	int n = 0;
	while (s->cases[n].name)
		n++;
	return n;
}

/* Runs one suite as a nested KTAP subtest; returns its failed-case count. */
static int run_suite(const struct ktest_suite *s, int number)
{
	int ncases = count_cases(s);
	int passed = 0, failed = 0, skipped = 0;

	ktest_printf("    KTAP version 1\n");
	ktest_printf("    # Subtest: %s\n", s->name);
	ktest_printf("    1..%d\n", ncases);
	for (int i = 0; i < ncases; i++) {
		struct ktest t = { s->cases[i].name, false, NULL };
		if (ktest_case_start_hook)
			ktest_case_start_hook(&t);
		s->cases[i].run(&t);
		if (ktest_case_end_hook)
			ktest_case_end_hook(&t);
		if (t.failed) {
			failed++;
			ktest_printf("    not ok %d %s\n", i + 1, t.case_name);
		} else if (t.skip_reason) {
			skipped++;
			ktest_printf("    ok %d %s # SKIP %s\n", i + 1,
				     t.case_name, t.skip_reason);
		} else {
			passed++;
			ktest_printf("    ok %d %s\n", i + 1, t.case_name);
		}
	}
	ktest_printf("# %s: pass:%d fail:%d skip:%d total:%d\n", s->name,
		     passed, failed, skipped, ncases);
	ktest_printf("%s %d %s\n", failed ? "not ok" : "ok", number, s->name);
	return failed;
}

int ktest_run(const char *filter, bool on_target)
{
	const struct ktest_suite *const *p;
	int nsuites = 0, number = 0, failed = 0;

	for (p = __start_ktest_suites; p < __stop_ktest_suites; p++)
		if (runs_here(*p, on_target) &&
		    filter_matches(filter, (*p)->name))
			nsuites++;

	ktest_printf("KTAP version 1\n");
	ktest_printf("1..%d\n", nsuites);
	for (p = __start_ktest_suites; p < __stop_ktest_suites; p++) {
		if (!runs_here(*p, on_target) ||
		    !filter_matches(filter, (*p)->name))
			continue;
		failed += run_suite(*p, ++number);
	}
	return failed;
}
