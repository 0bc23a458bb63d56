/*
 * The host runner and the tools around ktest: tools/ktap_summary.awk counts
 * what ktest prints (a skipped suite, a filter error, an empty run); the
 * list of one-sided suites in tests/ktest.c matches the sources; the
 * command line of ktest-host; the fixtures found whatever the current
 * directory (tests/host/ktest_host.c). Host only: it runs awk, reads the
 * tree and changes directory.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/host/ktest_host.h"
#include "tests/ktest.h"

/* ------------------------------------------------ ktap_summary.awk */

/* Runs tools/ktap_summary.awk (with awk options `opts`) over `ktap`; its
 * output goes to out. */
static int summarize_with(struct ktest *t, const char *opts, const char *ktap,
			  char *out, size_t n)
{
	char awk[PATH_MAX], err[2 * PATH_MAX + 256], cmd[2 * PATH_MAX + 64];
	char file[] = "/tmp/labyrinth-ktap-XXXXXX";

	if (ktest_host_find("tools/ktap_summary.awk", awk, sizeof(awk), err,
			    sizeof(err))) {
		ktest_fail(t, __FILE__, __LINE__, "%s", err);
		return -1;
	}
	int fd = mkstemp(file);
	if (fd < 0 || write(fd, ktap, strlen(ktap)) != (ssize_t)strlen(ktap)) {
		ktest_fail(t, __FILE__, __LINE__, "cannot write %s", file);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "awk %s -f '%s' '%s'", opts, awk, file);
	FILE *p = popen(cmd, "r");
	size_t len = p ? fread(out, 1, n - 1, p) : 0;
	out[len] = '\0';
	int status = p ? pclose(p) : -1;
	unlink(file);
	if (status != 0) {
		ktest_fail(t, __FILE__, __LINE__, "%s: status %d", cmd, status);
		return -1;
	}
	return 0;
}

static int summarize(struct ktest *t, const char *ktap, char *out, size_t n)
{
	return summarize_with(t, "", ktap, out, n);
}

/* Fake suites, never registered: two skipped ones, one half-skipped. */
static void passes(struct ktest *t)
{
	(void)t;
}
static void skips(struct ktest *t)
{
	ktest_skip(t, "no hardware here");
}
static void fails(struct ktest *t)
{
	ktest_fail(t, "fake.c", 1, "planted");
}
static const struct ktest_case all_skip[] = { KTEST_CASE(skips),
					      KTEST_CASE(skips),
					      { 0 } };
static const struct ktest_case some_skip[] = { KTEST_CASE(passes),
					       KTEST_CASE(skips),
					       { 0 } };
static const struct ktest_case one_fail[] = { KTEST_CASE(fails),
					      KTEST_CASE(passes),
					      { 0 } };
static const struct ktest_suite skippy = { "skippy", all_skip, KTEST_ANYWHERE };
static const struct ktest_suite beta = { "beta", some_skip, KTEST_ANYWHERE };
static const struct ktest_suite failing = { "failing", one_fail,
					    KTEST_ANYWHERE };
static const struct ktest_suite *const fake[] = { &beta, &skippy, &failing };

static struct ktest_selection sel;

static void capture_run(const char *filter, char *out, size_t n)
{
	ktest_resolve_filter(filter, false, fake, 3, &sel);
	ktest_capture_start(out, n);
	ktest_run_selection(&sel);
	ktest_capture_stop();
}

/* Skipped cases count as before, once each; the suite's own "# SKIP" line
 * adds nothing (the output with and without it gives the same counts). */
static void test_summary_counts_skipped_cases(struct ktest *t)
{
	static char ktap[4096], old[4096], sum[512];
	capture_run("beta,skippy,failing", ktap, sizeof(ktap));
	KTEST_ASSERT_TRUE(
	    t, ktest_contains(ktap, "\nok 2 skippy # SKIP no hardware here\n"));
	if (summarize(t, ktap, sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum, "FAIL failing.fails\nRESULT 2 1 3 1\n");

	/* The same run as ktest printed it before the suite line said SKIP. */
	char *at = strstr(ktap, "ok 2 skippy # SKIP");
	size_t head = (size_t)(at - ktap);
	memcpy(old, ktap, head);
	snprintf(old + head, sizeof(old) - head, "ok 2 skippy%s",
		 strchr(at, '\n'));
	KTEST_EXPECT_FALSE(t, ktest_contains(old, "skippy # SKIP"));
	if (summarize(t, old, sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum, "FAIL failing.fails\nRESULT 2 1 3 1\n");
}

/* A captured KUnit-style log: a skipped suite among kernel messages. */
static void test_summary_of_a_captured_log(struct ktest *t)
{
	static const char log[] =
	    "[    0.512] ktest: running 'skippy,printk'\r\n"
	    "KTAP version 1\r\n"
	    "1..2\r\n"
	    "    KTAP version 1\r\n"
	    "    # Subtest: skippy\r\n"
	    "    1..2\r\n"
	    "    ok 1 skips # SKIP no hardware here\r\n"
	    "    ok 2 skips # SKIP no hardware here\r\n"
	    "# skippy: pass:0 fail:0 skip:2 total:2\r\n"
	    "ok 1 skippy # SKIP no hardware here\r\n"
	    "    KTAP version 1\r\n"
	    "    # Subtest: printk\r\n"
	    "    1..1\r\n"
	    "    ok 1 test_integers\r\n"
	    "ok 2 printk\r\n"
	    "ktest: 0 failed case(s); leaving QEMU\r\n";
	char sum[256];
	if (summarize(t, log, sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum, "RESULT 1 0 2 1\n");
}

/* With context=N a failed case brings its last N diagnostic lines along
 * (CI shows nothing else of a failure); a passed case's lines and the lines
 * of the case before never do; a stream cut short brings its last lines. */
static void test_summary_shows_a_failures_diagnostics(struct ktest *t)
{
	static const char log[] =
	    "KTAP version 1\r\n"
	    "1..1\r\n"
	    "    KTAP version 1\r\n"
	    "    # Subtest: reclaim\r\n"
	    "    1..3\r\n"
	    "        # first: all well\r\n"
	    "    ok 1 first\r\n"
	    "        # second: one\r\n"
	    "kswapd: a console line, not a diagnostic\r\n"
	    "        # second: x.c:3: EXPECTATION FAILED\r\n"
	    "        # zone DMA32: free 3 high 4\r\n"
	    "    not ok 2 second\r\n"
	    "    not ok 3 third\r\n"
	    "# reclaim: pass:1 fail:2 skip:0 total:3\r\n"
	    "not ok 1 reclaim\r\n";
	char sum[512];
	if (summarize_with(t, "-v context=2", log, sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum,
			   "FAIL reclaim.second\n"
			   "  | second: x.c:3: EXPECTATION FAILED\n"
			   "  | zone DMA32: free 3 high 4\n"
			   "FAIL reclaim.third\n"
			   "RESULT 1 2 0 1\n");
	if (summarize(t, log, sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum,
			   "FAIL reclaim.second\nFAIL reclaim.third\n"
			   "RESULT 1 2 0 1\n");
	/* A panic mid-case: no result line, so the log's last lines of any
	 * kind, where the panic's message is. */
	static const char crashed[] = "KTAP version 1\r\n"
				      "1..1\r\n"
				      "    KTAP version 1\r\n"
				      "    # Subtest: reclaim\r\n"
				      "    1..2\r\n"
				      "    ok 1 first\r\n"
				      "        # second: one\r\n"
				      "PANIC: page fault at 0xdead\r\n"
				      "RIP 0xffffffff80001234\r\n";
	if (summarize_with(t, "-v context=2", crashed, sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum,
			   "INCOMPLETE in reclaim\n"
			   "  | PANIC: page fault at 0xdead\n"
			   "  | RIP 0xffffffff80001234\n"
			   "RESULT 1 0 0 0\n");
}

/* A filter error is one failure in a complete stream, never 0 and 0. */
static void test_summary_of_a_filter_error(struct ktest *t)
{
	static char ktap[2048];
	char sum[256];
	capture_run("beta,nosuchsuite", ktap, sizeof(ktap));
	if (summarize(t, ktap, sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum, "FAIL ktest_filter\nRESULT 0 1 0 1\n");
}

/* A run of nothing at all (what ktest=nosuchsuite printed before the
 * filter was checked) counts as a failure too. */
static void test_summary_of_an_empty_run(struct ktest *t)
{
	char sum[256];
	if (summarize(t, "KTAP version 1\n1..0\n", sum, sizeof(sum)))
		return;
	KTEST_EXPECT_STREQ(t, sum,
			   "FAIL (no test ran: plan 1..0)\nRESULT 0 1 0 1\n");
}

/* ------------------------------------------------ one-sided suites */

static const struct ktest_suite *one_sided(const char *name)
{
	for (size_t i = 0; i < ktest_nr_one_sided; i++)
		if (!strcmp(ktest_one_sided[i].name, name))
			return &ktest_one_sided[i];
	return NULL;
}

/* Checks every suite declared in one folder against ktest_one_sided;
 * returns how many it found. */
static int check_folder(struct ktest *t, const char *folder,
			enum ktest_where side, bool *listed_seen)
{
	char dir[PATH_MAX], err[2 * PATH_MAX + 256], path[PATH_MAX + 256];
	char line[512];
	int found = 0;

	if (ktest_host_find(folder, dir, sizeof(dir), err, sizeof(err))) {
		ktest_fail(t, __FILE__, __LINE__, "%s", err);
		return 0;
	}
	DIR *d = opendir(dir);
	if (!d) {
		ktest_fail(t, __FILE__, __LINE__, "cannot open %s", dir);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 2 || strcmp(e->d_name + n - 2, ".c"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		for (int no = 1; fgets(line, sizeof(line), f); no++) {
			char name[128], where[64];
			/* Suites are declared at the start of a line. */
			if (!strncmp(line, "KTEST_SUITE(", 12)) {
				ktest_fail(
				    t, __FILE__, __LINE__,
				    "%s/%s:%d: a suite in %s must say where it runs (KTEST_SUITE_WHERE)",
				    folder, e->d_name, no, folder);
				continue;
			}
			if (sscanf(line,
				   "KTEST_SUITE_WHERE(%127[^,], %*[^,], %63[^)])",
				   name, where) != 2)
				continue;
			found++;
			const struct ktest_suite *s = one_sided(name);
			bool right = !strcmp(where, side == KTEST_HOST_ONLY
							? "KTEST_HOST_ONLY"
							: "KTEST_TARGET_ONLY");
			if (!right)
				ktest_fail(
				    t, __FILE__, __LINE__,
				    "%s/%s:%d: suite '%s' is declared %s in %s",
				    folder, e->d_name, no, name, where, folder);
			else if (!s || s->where != side)
				ktest_fail(
				    t, __FILE__, __LINE__,
				    "%s/%s:%d: suite '%s' is missing from ktest_one_sided in tests/ktest.c (add { \"%s\", NULL, %s })",
				    folder, e->d_name, no, name, name, where);
			else
				listed_seen[s - ktest_one_sided] = true;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Each side knows the other side's suites by name (tests/ktest.c); the
 * list must follow the sources both ways. */
static void test_one_sided_list_matches_sources(struct ktest *t)
{
	bool seen[64] = { false };
	KTEST_ASSERT_TRUE(t, ktest_nr_one_sided <= 64);
	int host = check_folder(t, "tests/host", KTEST_HOST_ONLY, seen);
	int target = check_folder(t, "tests/target", KTEST_TARGET_ONLY, seen);
	KTEST_EXPECT_GT(t, host, 0);
	KTEST_EXPECT_GT(t, target, 0);
	for (size_t i = 0; i < ktest_nr_one_sided; i++)
		if (!seen[i])
			ktest_fail(
			    t, __FILE__, __LINE__,
			    "ktest_one_sided in tests/ktest.c lists '%s', which no file in tests/host or tests/target declares",
			    ktest_one_sided[i].name);
}

/* ------------------------------------------------ the command line */

static int parse(struct ktest_host_args *a, char *err, size_t n, int argc,
		 const char *a1, const char *a2, const char *a3)
{
	char *argv[] = { "ktest-host", (char *)a1, (char *)a2, (char *)a3,
			 NULL };
	err[0] = '\0';
	return ktest_host_parse_args(argc, argv, a, err, n);
}

static void test_command_line(struct ktest *t)
{
	struct ktest_host_args a;
	char err[PATH_MAX + 128], fixtures[PATH_MAX], why[2 * PATH_MAX + 256];

	KTEST_EXPECT_EQ(t, parse(&a, err, sizeof(err), 1, 0, 0, 0), 0);
	KTEST_EXPECT_STREQ(t, a.filter, "all");
	KTEST_EXPECT_TRUE(t, a.fixtures == NULL);
	KTEST_EXPECT_EQ(t, parse(&a, err, sizeof(err), 2, "printk", 0, 0), 0);
	KTEST_EXPECT_STREQ(t, a.filter, "printk");
	KTEST_EXPECT_EQ(t, parse(&a, err, sizeof(err), 2, "--help", 0, 0), 0);
	KTEST_EXPECT_TRUE(t, a.help);

	KTEST_ASSERT_TRUE(t, ktest_host_fixtures_dir(fixtures, sizeof(fixtures),
						     why, sizeof(why)) == 0);
	KTEST_EXPECT_EQ(t,
			parse(&a, err, sizeof(err), 4, "--fixtures", fixtures,
			      "mm_fixtures"),
			0);
	KTEST_EXPECT_STREQ(t, a.fixtures, fixtures);
	KTEST_EXPECT_STREQ(t, a.filter, "mm_fixtures");
	char opt[PATH_MAX + 16];
	snprintf(opt, sizeof(opt), "--fixtures=%s", fixtures);
	KTEST_EXPECT_EQ(t, parse(&a, err, sizeof(err), 2, opt, 0, 0), 0);
	KTEST_EXPECT_STREQ(t, a.fixtures, fixtures);

	/* Each bad command line is one clear line. */
	KTEST_EXPECT_EQ(t,
			parse(&a, err, sizeof(err), 3, "printk", "cmdline", 0),
			-1);
	KTEST_EXPECT_STREQ(
	    t, err,
	    "one filter expected, got 'printk' and 'cmdline' (separate suite names with commas)");
	KTEST_EXPECT_EQ(t, parse(&a, err, sizeof(err), 2, "--fixture", 0, 0),
			-1);
	KTEST_EXPECT_STREQ(t, err, "unknown option '--fixture'");
	KTEST_EXPECT_EQ(t, parse(&a, err, sizeof(err), 2, "--fixtures", 0, 0),
			-1);
	KTEST_EXPECT_STREQ(t, err, "--fixtures needs a directory");
	KTEST_EXPECT_EQ(t,
			parse(&a, err, sizeof(err), 3, "--fixtures",
			      "/nonexistent/labyrinth-fixtures", 0),
			-1);
	KTEST_EXPECT_STREQ(
	    t, err,
	    "--fixtures /nonexistent/labyrinth-fixtures: No such file or directory");
	KTEST_EXPECT_EQ(t,
			parse(&a, err, sizeof(err), 3, "--fixtures",
			      "/dev/null", 0),
			-1);
	KTEST_EXPECT_STREQ(t, err, "--fixtures /dev/null: not a directory");
}

/* ------------------------------------------------ fixtures */

/* From another directory the fixtures are still found (from the binary's
 * own place), and they are the real ones. */
static void test_fixtures_found_from_any_directory(struct ktest *t)
{
	char saved[PATH_MAX], dir[PATH_MAX], err[2 * PATH_MAX + 256];
	char file[PATH_MAX + 64];

	KTEST_ASSERT_TRUE(t, getcwd(saved, sizeof(saved)) != NULL);
	KTEST_ASSERT_TRUE(t, chdir("/") == 0);
	int r = ktest_host_fixtures_dir(dir, sizeof(dir), err, sizeof(err));
	KTEST_ASSERT_TRUE(t, chdir(saved) == 0);
	if (r) {
		ktest_fail(t, __FILE__, __LINE__, "%s", err);
		return;
	}
	snprintf(file, sizeof(file), "%s/ovmf-q35-256m.map", dir);
	KTEST_EXPECT_EQ(t, access(file, R_OK), 0);
	KTEST_EXPECT_EQ(t, dir[0], '/');
}

/* --fixtures wins; a folder that went away is named in the error. */
static void test_fixtures_option(struct ktest *t)
{
	char dir[PATH_MAX], err[2 * PATH_MAX + 256];
	const char *saved = ktest_host_fixtures_option;

	ktest_host_fixtures_option = "/tmp";
	KTEST_EXPECT_EQ(t,
			ktest_host_fixtures_dir(dir, sizeof(dir), err,
						sizeof(err)),
			0);
	KTEST_EXPECT_STREQ(t, dir, "/tmp");
	ktest_host_fixtures_option = "/nonexistent/labyrinth-fixtures";
	KTEST_EXPECT_EQ(t,
			ktest_host_fixtures_dir(dir, sizeof(dir), err,
						sizeof(err)),
			-1);
	KTEST_EXPECT_STREQ(
	    t, err,
	    "--fixtures /nonexistent/labyrinth-fixtures: not a directory");
	ktest_host_fixtures_option = saved;

	/* Something that is nowhere: every path tried is named. */
	KTEST_EXPECT_EQ(t,
			ktest_host_find("tests/no-such-folder", dir,
					sizeof(dir), err, sizeof(err)),
			-1);
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(err, "cannot find tests/no-such-folder: tried "));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(
		err, "/../../tests/no-such-folder (from the binary's place)"));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(err,
			   "/tests/no-such-folder (from the current directory)"));
}

static const struct ktest_case ktest_host_cases[] = {
	KTEST_CASE(test_summary_counts_skipped_cases),
	KTEST_CASE(test_summary_of_a_captured_log),
	KTEST_CASE(test_summary_shows_a_failures_diagnostics),
	KTEST_CASE(test_summary_of_a_filter_error),
	KTEST_CASE(test_summary_of_an_empty_run),
	KTEST_CASE(test_one_sided_list_matches_sources),
	KTEST_CASE(test_command_line),
	KTEST_CASE(test_fixtures_found_from_any_directory),
	KTEST_CASE(test_fixtures_option),
	{ 0 },
};
KTEST_SUITE_WHERE(ktest_host, ktest_host_cases, KTEST_HOST_ONLY);
