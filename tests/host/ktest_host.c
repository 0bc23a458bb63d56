/*
 * The host test binary: runs the shared ktest suites natively, under ASan and
 * UBSan, and prints KTAP on stdout.
 *   Usage: ktest-host [--fixtures DIR] [all|suite,suite,...]
 * Exit status: 0 all passed or skipped, 1 a case failed or the filter was
 * wrong (tests/ktest.h, "Filters"), 2 a usage error. It also gives printk
 * its console (console_write); the rest of what the kernel provides on
 * target is in tests/support/platform_host.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/lib/printk.h"
#include "tests/host/ktest_host.h"
#include "tests/ktest.h"

static const char usage[] =
    "usage: ktest-host [--fixtures DIR] [all | SUITE[,SUITE...]]\n"
    "  Runs the suites named (all, the default: every suite that runs on\n"
    "  the host) and prints KTAP. Exit status: 0 passed, 1 a case failed or\n"
    "  the filter was wrong, 2 a usage error.\n"
    "  --fixtures DIR  the captured memory maps (default: tests/fixtures,\n"
    "                  found from the binary's place, then from here)\n";

const char *ktest_host_fixtures_option;

void ktest_vprintf(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
	fflush(stdout);
}

void console_write(const char *s, size_t n)
{
	/* Kernel messages go to stderr so they never interleave with KTAP. */
	fwrite(s, 1, n, stderr);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ktest_host_parse_args(int argc, char **argv, struct ktest_host_args *args,
			  char *err, size_t errsize)
{
	args->filter = NULL;
	args->fixtures = NULL;
	args->help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			args->help = true;
		} else if (!strcmp(a, "--fixtures") ||
			   !strncmp(a, "--fixtures=", 11)) {
			const char *dir = a[10] == '=' ? a + 11 : argv[++i];
			if (i >= argc || !*dir) {
				snprintf(err, errsize,
					 "--fixtures needs a directory");
				return -1;
			}
			struct stat st;
			if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
				snprintf(err, errsize, "--fixtures %s: %s", dir,
					 stat(dir, &st) != 0
					     ? strerror(errno)
					     : "not a directory");
				return -1;
			}
			args->fixtures = dir;
		} else if (a[0] == '-') {
			snprintf(err, errsize, "unknown option '%s'", a);
			return -1;
		} else if (args->filter) {
			snprintf(err, errsize,
				 "one filter expected, got '%s' and '%s' (separate suite names with commas)",
				 args->filter, a);
			return -1;
		} else {
			args->filter = a;
		}
	}
	if (!args->filter)
		args->filter = "all";
	return 0;
}

int ktest_host_find(const char *rel, char *buf, size_t size, char *err,
		    size_t errsize)
{
	char exe[PATH_MAX], tried[2][PATH_MAX + 64], cwd[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0'; /* the binary's folder */
		snprintf(tried[0], sizeof(tried[0]), "%s/../../%s", exe, rel);
	} else {
		snprintf(tried[0], sizeof(tried[0]),
			 "(/proc/self/exe unreadable: %s)", strerror(errno));
	}
	if (getcwd(cwd, sizeof(cwd)))
		snprintf(tried[1], sizeof(tried[1]), "%s/%s", cwd, rel);
	else
		snprintf(tried[1], sizeof(tried[1]), "./%s", rel);

	for (int i = 0; i < 2; i++) {
		char real[PATH_MAX];
		if (tried[i][0] != '(' && realpath(tried[i], real)) {
			snprintf(buf, size, "%s", real);
			return 0;
		}
	}
	snprintf(err, errsize,
		 "cannot find %s: tried %s (from the binary's place) and %s (from the current directory)",
		 rel, tried[0], tried[1]);
	return -1;
}

int ktest_host_fixtures_dir(char *buf, size_t size, char *err, size_t errsize)
{
	if (ktest_host_fixtures_option) {
		if (!is_dir(ktest_host_fixtures_option)) {
			snprintf(err, errsize, "--fixtures %s: not a directory",
				 ktest_host_fixtures_option);
			return -1;
		}
		snprintf(buf, size, "%s", ktest_host_fixtures_option);
		return 0;
	}
	char why[2 * PATH_MAX + 256];
	if (ktest_host_find("tests/fixtures", buf, size, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errsize, "%s; give the folder with --fixtures DIR", why);
	return -1;
}

int main(int argc, char **argv)
{
	struct ktest_host_args args;
	char err[PATH_MAX + 128];

	if (ktest_host_parse_args(argc, argv, &args, err, sizeof(err))) {
		fprintf(stderr, "ktest-host: %s\n%s", err, usage);
		return 2;
	}
	if (args.help) {
		fputs(usage, stdout);
		return 0;
	}
	ktest_host_fixtures_option = args.fixtures;
	return ktest_run(args.filter, false) ? 1 : 0;
}
