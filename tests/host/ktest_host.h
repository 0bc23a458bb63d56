/*
 * The host runner's helpers for host suites (tests/host/ktest_host.c):
 * command-line parsing and finding files of the repository whatever the
 * current directory is.
 */
#ifndef LABYRINTH_TESTS_HOST_KTEST_HOST_H
#define LABYRINTH_TESTS_HOST_KTEST_HOST_H

#include <stdbool.h>
#include <stddef.h>

/* ktest-host [--fixtures DIR] [all|suite,suite,...] */
struct ktest_host_args {
	const char *filter;   /* "all" if none was given */
	const char *fixtures; /* --fixtures DIR, or NULL */
	bool help;	      /* -h or --help */
};

/* Fills *args from argv. Returns 0, or -1 with a one-line message in err
 * (a bad option, a second filter, a --fixtures DIR that is no folder). */
int ktest_host_parse_args(int argc, char **argv, struct ktest_host_args *args,
			  char *err, size_t errsize);

/* --fixtures DIR, once main() has checked it; NULL otherwise. */
extern const char *ktest_host_fixtures_option;

/* Finds `rel`, a path inside the repository ("tools/ktap_summary.awk"),
 * from the binary's own place first (/proc/self/exe: build/host/ktest-host
 * is two folders below the root), then from the current directory. Writes
 * the path into buf and returns 0, or returns -1 with err naming every
 * path tried. */
int ktest_host_find(const char *rel, char *buf, size_t size, char *err,
		    size_t errsize);

/* The fixtures folder: --fixtures DIR, else tests/fixtures found as above.
 * Returns 0, or -1 with err naming the paths tried. */
int ktest_host_fixtures_dir(char *buf, size_t size, char *err, size_t errsize);

#endif
