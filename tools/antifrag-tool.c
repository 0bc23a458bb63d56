/*
 * antifrag-tool: runs the anti-fragmentation experiment
 * (tests/support/antifrag.c, the churn of the mm_migratetype suite) twice,
 * grouping by mobility on and off, and prints what a 2 MiB request could
 * have at regular steps, for tools/plots/antifrag.sh (`make plots`). Host
 * only. docs/10-fragmentation-and-compaction.md ("Migrate types").
 *
 *   antifrag-tool [EVERY]    a row every EVERY steps (default 2000)
 *
 * Rows: "GROUPING PHASE STEP FREE WHOLE_NOW WHOLE_IF_DROPPED CACHE", pages;
 * PHASE is churn, or dropped for the last row (after the cache is freed).
 * Exit status: 0 ok, 1 the experiment could not run or broke the
 * allocator's invariants, 2 bad usage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/support/antifrag.h"

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}

static void row(void *arg, const struct antifrag_point *pt)
{
	printf("%s %s %lu %llu %llu %llu %llu\n", (const char *)arg,
	       pt->cache || pt->step < ANTIFRAG_STEPS ? "churn" : "dropped",
	       pt->step, (unsigned long long)pt->free,
	       (unsigned long long)pt->whole_now,
	       (unsigned long long)pt->whole_if_dropped,
	       (unsigned long long)pt->cache);
}

int main(int argc, char **argv)
{
	unsigned long every = 2000;
	char *end;
	if (argc > 2 ||
	    (argc == 2 && ((every = strtoul(argv[1], &end, 10)) == 0 || *end ||
			   every > ANTIFRAG_STEPS))) {
		fprintf(stderr,
			"usage: %s [EVERY] (steps between rows, 1..%lu)\n",
			argv[0], ANTIFRAG_STEPS);
		return 2;
	}
	printf("# anti-fragmentation churn: %lu steps on a %lu MiB node; pages\n",
	       ANTIFRAG_STEPS, ANTIFRAG_ARENA >> 20);
	printf("# grouping phase step free whole_now whole_if_dropped cache\n");
	static const char *const names[2] = { "on", "off" };
	for (int g = 0; g < 2; g++) {
		struct antifrag_result r;
		if (antifrag_churn(g == 0, every, row, (void *)names[g], &r)) {
			fprintf(stderr, "%s: no 32 MiB arena\n", argv[0]);
			return 1;
		}
		printf("# grouping %s: free %llu, in whole pageblocks %llu (%d%%), mixed pageblocks %ld of %llu, fallbacks %llu\n",
		       names[g], (unsigned long long)r.free,
		       (unsigned long long)r.whole, r.share, r.mixed,
		       (unsigned long long)r.pageblocks,
		       (unsigned long long)r.fallbacks);
		if (r.problems || r.predicted != r.whole) {
			fprintf(stderr,
				"%s: grouping %s: %d problems, %llu pages predicted whole, %llu are\n",
				argv[0], names[g], r.problems,
				(unsigned long long)r.predicted,
				(unsigned long long)r.whole);
			return 1;
		}
	}
	return 0;
}
