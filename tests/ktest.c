/*
 * ktest runner: walks the suites in the "ktest_suites" section and prints
 * KTAP version 1. The same file is linked into the host test binary and into
 * the kernel; only ktest_vprintf differs. See docs/01-boot.md ("Testing").
 */
#include "tests/ktest.h"
#include "kernel/lib/format.h"

/* Diagnostics may use what the host's printf has and kvsnprintf lacks
 * (%f, precision: host suites print timings): the host formats with the C
 * library, the kernel with its own formatter. */
#ifdef LABYRINTH_HOST
#include <stdio.h>
#define ktest_vsnprintf vsnprintf
#else
#define ktest_vsnprintf kvsnprintf
#endif

/* The linker provides these: gcc/ld for a host binary automatically (the
 * section name is a C identifier), linker.ld explicitly for the kernel. */
extern const struct ktest_suite *const __start_ktest_suites[];
extern const struct ktest_suite *const __stop_ktest_suites[];

void (*ktest_case_start_hook)(struct ktest *t);
void (*ktest_case_end_hook)(struct ktest *t);

/* ktest_capture_start(): where output goes instead of the platform. */
static char *capture_buf;
static size_t capture_size, capture_len;

void ktest_capture_start(char *buf, size_t size)
{
	capture_buf = buf;
	capture_size = size;
	capture_len = 0;
	if (size)
		buf[0] = '\0';
}

size_t ktest_capture_stop(void)
{
	capture_buf = NULL;
	return capture_len;
}

/* Everything ktest prints goes through here. */
static void out_v(const char *fmt, va_list ap)
{
	if (!capture_buf) {
		ktest_vprintf(fmt, ap);
		return;
	}
	size_t room = capture_size - capture_len;
	if (room <= 1)
		return;
	int n = ktest_vsnprintf(capture_buf + capture_len, room, fmt, ap);
	if (n > 0)
		capture_len += (size_t)n < room ? (size_t)n : room - 1;
}

void ktest_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_v(fmt, ap);
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

/* A diagnostic's text, formatted whole, so that it can be printed on one
 * line: a newline or CR inside (a STREQ of captured log lines) is printed
 * as \n or \r, never as a line break that a KTAP reader would take for a
 * result or a plan. The host has room for long comparisons; the kernel's
 * console lines are 511 characters anyway. */
#ifdef LABYRINTH_HOST
#define DIAG_SIZE 8192
#else
#define DIAG_SIZE 512
#endif

static void out_diag(const char *fmt, va_list ap)
{
	char text[DIAG_SIZE], piece[130];
	size_t n = 0;
	ktest_vsnprintf(text, sizeof(text), fmt, ap);
	for (const char *p = text;; p++) {
		if (n >= sizeof(piece) - 2 || !*p) {
			piece[n] = '\0';
			ktest_printf("%s", piece);
			n = 0;
		}
		if (!*p)
			break;
		if (*p == '\n' || *p == '\r') {
			piece[n++] = '\\';
			piece[n++] = *p == '\n' ? 'n' : 'r';
		} else {
			piece[n++] = *p;
		}
	}
	ktest_printf("\n");
}

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt,
		...)
{
	va_list ap;
	t->failed = true;
	ktest_printf("        # %s: %s:%d: ", t->case_name, file, line);
	va_start(ap, fmt);
	out_diag(fmt, ap);
	va_end(ap);
}

void ktest_diag(struct ktest *t, const char *fmt, ...)
{
	va_list ap;
	(void)t;
	ktest_printf("        # ");
	va_start(ap, fmt);
	out_diag(fmt, ap);
	va_end(ap);
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skip_reason = reason;
}

/* ------------------------------------------------------------- filters */

/* The suites each side is built without: tests/host/ is not compiled into
 * the kernel, tests/target/ not into ktest-host. Listed here so that a filter
 * naming one is told where it runs, not that it does not exist. A suite
 * added to either folder must be added here too; the host suite ktest_host
 * (tests/host/ktest_host_test.c) fails, naming it, until it is. */
const struct ktest_suite ktest_one_sided[] = {
	{ "loader_elf", NULL, KTEST_HOST_ONLY },
	{ "mm_boot", NULL, KTEST_HOST_ONLY },
	{ "mm_fixtures", NULL, KTEST_HOST_ONLY },
	{ "mm_threads", NULL, KTEST_HOST_ONLY },
	{ "mm_mempool_wait", NULL, KTEST_HOST_ONLY },
	{ "ktest_host", NULL, KTEST_HOST_ONLY },
	{ "spinlock", NULL, KTEST_HOST_ONLY },
	{ "mm_migrate_race", NULL, KTEST_HOST_ONLY },
	{ "mm_numa", NULL, KTEST_HOST_ONLY },
	{ "mm_numa_12tib", NULL, KTEST_HOST_ONLY },
	{ "mm_pcp_fast", NULL, KTEST_HOST_ONLY },
	{ "acpi", NULL, KTEST_TARGET_ONLY },
	{ "alloc_irqsafe", NULL, KTEST_TARGET_ONLY },
	{ "bootinfo", NULL, KTEST_TARGET_ONLY },
	{ "debug_pagealloc", NULL, KTEST_TARGET_ONLY },
	{ "emergency", NULL, KTEST_TARGET_ONLY },
	{ "exceptions", NULL, KTEST_TARGET_ONLY },
	{ "fail_page_alloc", NULL, KTEST_TARGET_ONLY },
	{ "irq_alloc", NULL, KTEST_TARGET_ONLY },
	{ "irq", NULL, KTEST_TARGET_ONLY },
	{ "migrate_irq", NULL, KTEST_TARGET_ONLY },
	{ "compaction", NULL, KTEST_TARGET_ONLY },
	{ "cmdline_sweep", NULL, KTEST_TARGET_ONLY },
	{ "mm_kernel", NULL, KTEST_TARGET_ONLY },
	{ "numa", NULL, KTEST_TARGET_ONLY },
	{ "numa_alloc", NULL, KTEST_TARGET_ONLY },
	{ "page_owner", NULL, KTEST_TARGET_ONLY },
	{ "reclaim", NULL, KTEST_TARGET_ONLY },
	{ "sched", NULL, KTEST_TARGET_ONLY },
	{ "smp_alloc", NULL, KTEST_TARGET_ONLY },
	{ "pcp_irq", NULL, KTEST_TARGET_ONLY },
	{ "smp", NULL, KTEST_TARGET_ONLY },
	{ "soak", NULL, KTEST_TARGET_ONLY },
	{ "timer", NULL, KTEST_TARGET_ONLY },
};
const size_t ktest_nr_one_sided =
    sizeof(ktest_one_sided) / sizeof(ktest_one_sided[0]);

static bool runs_here(const struct ktest_suite *s, bool on_target)
{
	if (s->where == KTEST_TARGET_ONLY)
		return on_target;
	if (s->where == KTEST_HOST_ONLY)
		return !on_target;
	return true;
}

static size_t ktest_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* Is `name` exactly the len characters at `word`? */
static bool word_is(const char *word, size_t len, const char *name)
{
	size_t i = 0;
	while (i < len && name[i] && name[i] == word[i])
		i++;
	return i == len && name[i] == '\0';
}

/* Appends n characters to sel->messages; past its end the text is cut
 * and marked " [...]". */
static void sel_put(struct ktest_selection *sel, const char *s, size_t n)
{
	static const char cut[] = " [...]\n";
	const size_t keep = sizeof(sel->messages) - sizeof(cut);
	for (size_t i = 0; i < n; i++) {
		if (sel->len >= keep) {
			if (sel->len == keep)
				for (size_t j = 0; j < sizeof(cut); j++)
					sel->messages[sel->len++] = cut[j];
			sel->len = sizeof(sel->messages) - 1;
			return;
		}
		sel->messages[sel->len++] = s[i];
	}
	sel->messages[sel->len] = '\0';
}

static void sel_vadd(struct ktest_selection *sel, const char *fmt, va_list ap)
{
	char text[256];
	int n = kvsnprintf(text, sizeof(text), fmt, ap);
	if (n > 0)
		sel_put(sel, text,
			(size_t)n < sizeof(text) ? (size_t)n
						 : sizeof(text) - 1);
}

static void sel_add(struct ktest_selection *sel, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sel_add(struct ktest_selection *sel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sel_vadd(sel, fmt, ap);
	va_end(ap);
}

/* Ends the message line being built as one error. */
static void sel_end_error(struct ktest_selection *sel)
{
	sel_put(sel, "\n", 1);
	sel->nerrors++;
	sel->nsuites = 0;
}

void ktest_selection_error(struct ktest_selection *sel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sel_vadd(sel, fmt, ap);
	va_end(ap);
	sel_end_error(sel);
}

/* The next comma-separated word of a filter, empty ones included: "a,,b,"
 * gives "a", "", "b", "". *cursor starts at the filter; false at the end. */
static bool next_word(const char **cursor, const char **word, size_t *len)
{
	const char *end = *cursor;
	if (!end)
		return false;
	while (*end && *end != ',')
		end++;
	*word = *cursor;
	*len = (size_t)(end - *cursor);
	*cursor = *end ? end + 1 : NULL;
	return true;
}

/* What one word of a filter names. */
enum word_kind { W_EMPTY, W_ALL, W_SUITE, W_ELSEWHERE, W_UNKNOWN };

/* For W_SUITE, *index is the suite's place in table; for W_ELSEWHERE,
 * *where is the side it runs on. */
static enum word_kind classify(const char *word, size_t len, bool on_target,
			       const struct ktest_suite *const *table,
			       size_t ntable, size_t *index,
			       enum ktest_where *where)
{
	if (len == 0)
		return W_EMPTY;
	if (word_is(word, len, "all"))
		return W_ALL;
	for (size_t i = 0; i < ntable; i++) {
		if (!word_is(word, len, table[i]->name))
			continue;
		*index = i;
		*where = table[i]->where;
		return runs_here(table[i], on_target) ? W_SUITE : W_ELSEWHERE;
	}
	for (size_t i = 0; i < ktest_nr_one_sided; i++) {
		const struct ktest_suite *s = &ktest_one_sided[i];
		if (word_is(word, len, s->name) && !runs_here(s, on_target)) {
			*where = s->where;
			return W_ELSEWHERE;
		}
	}
	return W_UNKNOWN;
}

static void add_elsewhere(struct ktest_selection *sel, const char *word,
			  size_t len, enum ktest_where where)
{
	sel_add(sel, "ktest: suite '");
	sel_put(sel, word, len);
	if (where == KTEST_HOST_ONLY) {
		sel_add(sel, "' is host-only: build/host/ktest-host ");
		sel_put(sel, word, len);
		sel_add(sel, " runs it, the kernel cannot");
	} else {
		sel_add(sel, "' is target-only: it runs in the kernel (ktest=");
		sel_put(sel, word, len);
		sel_add(sel, " on the cmdline), not on the host");
	}
	sel_end_error(sel);
}

/* One error for every unknown name, with the names that would be valid. */
static void add_unknown(struct ktest_selection *sel, const char *filter,
			int nunknown, bool on_target,
			const struct ktest_suite *const *table, size_t ntable)
{
	const char *cursor = filter, *word, *sep = "";
	size_t len, index;
	enum ktest_where where;

	sel_add(sel, "ktest: unknown suite%s ", nunknown > 1 ? "s" : "");
	while (next_word(&cursor, &word, &len)) {
		if (classify(word, len, on_target, table, ntable, &index,
			     &where) != W_UNKNOWN)
			continue;
		sel_add(sel, "%s'", sep);
		sel_put(sel, word, len);
		sel_add(sel, "'");
		sep = ", ";
	}
	/* The valid names in alphabetical order: each round prints the
	 * smallest name after the one printed last. */
	const char *last = NULL;
	sel_add(sel, " (valid: ");
	for (;;) {
		const char *next = NULL;
		for (size_t i = 0; i < ntable; i++) {
			const char *name = table[i]->name;
			if (runs_here(table[i], on_target) &&
			    (!last || ktest_strcmp(name, last) > 0) &&
			    (!next || ktest_strcmp(name, next) < 0))
				next = name;
		}
		if (!next)
			break;
		sel_add(sel, "%s%s", last ? ", " : "", next);
		last = next;
	}
	sel_add(sel, ")");
	sel_end_error(sel);
}

int ktest_resolve_filter(const char *filter, bool on_target,
			 const struct ktest_suite *const *table, size_t ntable,
			 struct ktest_selection *sel)
{
	bool picked[KTEST_MAX_SUITES] = { false };
	bool noted[KTEST_MAX_SUITES] = { false };
	int nwords = 0, nall = 0, nunknown = 0, position = 0;
	const char *cursor, *word;
	size_t len, index = 0;
	enum ktest_where where = KTEST_ANYWHERE;

	sel->nsuites = 0;
	sel->nerrors = 0;
	sel->len = 0;
	sel->messages[0] = '\0';

	if (ntable > KTEST_MAX_SUITES) {
		ktest_selection_error(
		    sel,
		    "ktest: %zu suites are registered, more than KTEST_MAX_SUITES (%d, tests/ktest.h)",
		    ntable, KTEST_MAX_SUITES);
		return sel->nerrors;
	}
	if (!filter || !*filter) {
		ktest_selection_error(
		    sel,
		    "ktest: empty filter (give 'all' or suite names separated by commas)");
		return sel->nerrors;
	}

	cursor = filter;
	while (next_word(&cursor, &word, &len)) {
		nwords++;
		nall += word_is(word, len, "all");
	}
	if (nall && nwords > 1) {
		sel_add(sel,
			"ktest: 'all' cannot be combined with other names in '");
		sel_put(sel, filter, ktest_strlen(filter));
		sel_add(sel, "' (give 'all' alone)");
		sel_end_error(sel);
	}

	cursor = filter;
	while (next_word(&cursor, &word, &len)) {
		position++;
		switch (classify(word, len, on_target, table, ntable, &index,
				 &where)) {
		case W_EMPTY:
			sel_add(sel,
				"ktest: empty suite name at position %d of '",
				position);
			sel_put(sel, filter, ktest_strlen(filter));
			sel_add(sel, "' (a stray comma?)");
			sel_end_error(sel);
			break;
		case W_ALL:
			if (nwords == 1)
				for (size_t i = 0; i < ntable; i++)
					picked[i] =
					    runs_here(table[i], on_target);
			break;
		case W_SUITE:
			if (picked[index] && !noted[index]) {
				sel_add(sel,
					"ktest: suite '%s' is named more than once (it runs once)\n",
					table[index]->name);
				noted[index] = true;
			}
			picked[index] = true;
			break;
		case W_ELSEWHERE:
			add_elsewhere(sel, word, len, where);
			break;
		case W_UNKNOWN:
			nunknown++;
			break;
		}
	}
	if (nunknown)
		add_unknown(sel, filter, nunknown, on_target, table, ntable);

	if (sel->nerrors)
		return sel->nerrors;
	for (size_t i = 0; i < ntable; i++)
		if (picked[i])
			sel->suites[sel->nsuites++] = table[i];
	return 0;
}

/* ------------------------------------------------------------- running */

static int count_cases(const struct ktest_suite *s)
{
	int n = 0;
	while (s->cases[n].name)
		n++;
	return n;
}

/* Runs one suite as a nested KTAP subtest; returns its failed-case count.
 * A suite whose every case was skipped is itself skipped ("ok 3 name #
 * SKIP reason", as KUnit prints it), with the cases' reason if they share
 * one. */
static int run_suite(const struct ktest_suite *s, int number)
{
	int ncases = count_cases(s);
	int passed = 0, failed = 0, skipped = 0;
	const char *reason = NULL;
	bool one_reason = true;

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
			if (!reason)
				reason = t.skip_reason;
			else if (ktest_strcmp(reason, t.skip_reason) != 0)
				one_reason = false;
			ktest_printf("    ok %d %s # SKIP %s\n", i + 1,
				     t.case_name, t.skip_reason);
		} else {
			passed++;
			ktest_printf("    ok %d %s\n", i + 1, t.case_name);
		}
	}
	ktest_printf("# %s: pass:%d fail:%d skip:%d total:%d\n", s->name,
		     passed, failed, skipped, ncases);
	if (ncases > 0 && skipped == ncases && one_reason)
		ktest_printf("ok %d %s # SKIP %s\n", number, s->name, reason);
	else if (ncases > 0 && skipped == ncases)
		ktest_printf("ok %d %s # SKIP all %d cases skipped\n", number,
			     s->name, ncases);
	else
		ktest_printf("%s %d %s\n", failed ? "not ok" : "ok", number,
			     s->name);
	return failed;
}

/* Prints the messages as KTAP diagnostics, a piece at a time so that no
 * single print outgrows a platform's line buffer. */
static void print_messages(const struct ktest_selection *sel)
{
	const char *p = sel->messages;
	while (*p) {
		ktest_printf("# ");
		while (*p && *p != '\n') {
			char piece[128];
			size_t n = 0;
			while (*p && *p != '\n' && n < sizeof(piece) - 1)
				piece[n++] = *p++;
			piece[n] = '\0';
			ktest_printf("%s", piece);
		}
		ktest_printf("\n");
		if (*p == '\n')
			p++;
	}
}

int ktest_run_selection(const struct ktest_selection *sel)
{
	int failed = 0;

	ktest_printf("KTAP version 1\n");
	print_messages(sel);
	if (sel->nerrors) {
		ktest_printf("1..1\n");
		ktest_printf(
		    "not ok 1 ktest_filter # no suite ran: %d error%s in the filter\n",
		    sel->nerrors, sel->nerrors > 1 ? "s" : "");
		return 1;
	}
	ktest_printf("1..%d\n", sel->nsuites);
	for (int i = 0; i < sel->nsuites; i++)
		failed += run_suite(sel->suites[i], i + 1);
	return failed;
}

int ktest_run(const char *filter, bool on_target)
{
	static struct ktest_selection sel; /* too big for a kernel stack */
	ktest_resolve_filter(filter, on_target, __start_ktest_suites,
			     (size_t)(__stop_ktest_suites -
				      __start_ktest_suites),
			     &sel);
	return ktest_run_selection(&sel);
}
