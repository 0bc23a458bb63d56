/*
 * `make bench`: timing and reporting. Each figure is measured bench_runs
 * times; the median goes to results.tsv and the spread (min, max) to
 * spread.tsv and results.md. The median, not the best run: on a shared VM
 * one lucky run says little, and the median moves least from one `make
 * bench` to the next. docs/08-measuring.md.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/bench/bench.h"

int bench_scale = 1;
int bench_runs = 7;

static FILE *tsv, *spread, *md;

double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static FILE *open_in(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		perror(path);
	return f;
}

int bench_open(const char *dir)
{
	if (!dir || !strcmp(dir, "/dev/null")) /* print only (callgrind) */
		return 0;
	tsv = open_in(dir, "results.tsv");
	spread = open_in(dir, "spread.tsv");
	md = open_in(dir, "results.md");
	if (!tsv || !spread || !md)
		return -1;
	fprintf(spread, "# name\tmedian\tmin\tmax\tunit\truns\n");
	fprintf(md,
		"# Labyrinth page allocator: host benchmark\n\n"
		"Written by `make bench` (tools/bench/, -O2, no "
		"sanitizers). Each timed figure is the median of %d runs; "
		"min and max show the run-to-run spread. "
		"docs/08-measuring.md explains every figure.\n",
		bench_runs);
	return 0;
}

void bench_close(void)
{
	if (tsv)
		fclose(tsv);
	if (spread)
		fclose(spread);
	if (md)
		fclose(md);
	tsv = spread = md = NULL;
}

void bench_section(const char *title, const char *note)
{
	printf("\n%s\n", title);
	if (!md)
		return;
	fprintf(md, "\n## %s\n\n", title);
	if (note)
		fprintf(md, "%s\n\n", note);
	fprintf(md, "| figure | median | min | max | spread | what |\n"
		    "|---|---:|---:|---:|---:|---|\n");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void bench_report(const char *name, const char *unit, const char *what,
		  const double *samples, int n)
{
	double s[BENCH_MAX_RUNS];
	memcpy(s, samples, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	double lo = s[0], hi = s[n - 1];
	double pct = med > 0 ? 100.0 * (hi - lo) / med : 0;
	printf("  %-32s %10.3f %-3s (%.3f..%.3f, %3.0f%%)  %s\n", name, med,
	       unit, lo, hi, pct, what);
	if (tsv)
		fprintf(tsv, "%s\t%.4f\t%s\n", name, med, unit);
	if (spread)
		fprintf(spread, "%s\t%.4f\t%.4f\t%.4f\t%s\t%d\n", name, med, lo,
			hi, unit, n);
	if (md)
		fprintf(md, "| `%s` | %.3g %s | %.3g | %.3g | %.0f %% | %s |\n",
			name, med, unit, lo, hi, pct, what);
}

void bench_report_exact(const char *name, const char *unit, const char *what,
			double value)
{
	printf("  %-32s %10.4f %-3s  %s\n", name, value, unit, what);
	if (tsv)
		fprintf(tsv, "%s\t%.4f\t%s\n", name, value, unit);
	if (spread)
		fprintf(spread, "%s\t%.4f\t%.4f\t%.4f\t%s\t1\n", name, value,
			value, value, unit);
	if (md)
		fprintf(md, "| `%s` | %.4g %s | | | exact | %s |\n", name,
			value, unit, what);
}

void bench_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (md) {
		va_start(ap, fmt);
		fprintf(md, "\n");
		vfprintf(md, fmt, ap);
		fprintf(md, "\n");
		va_end(ap);
	}
}

void bench_md(const char *fmt, ...)
{
	va_list ap;
	if (!md)
		return;
	va_start(ap, fmt);
	vfprintf(md, fmt, ap);
	va_end(ap);
}

/* BENCH_ONLY=text in the environment runs only the contenders whose name
 * holds text (for callgrind: one contender's path alone); the others and
 * their ratios are left out. A final '$' asks for names that end in text:
 * BENCH_ONLY='random0_4_1g.pcp$' is that contender without pcp_batches. */
static bool bench_skipped(const struct contender *c)
{
	const char *only = getenv("BENCH_ONLY");
	if (!only)
		return false;
	size_t n = strlen(only), len = strlen(c->name);
	if (n && only[n - 1] == '$')
		return len < n - 1 ||
		       strncmp(c->name + len - (n - 1), only, n - 1) != 0;
	return !strstr(c->name, only);
}

void bench_interleave(struct contender *c, int n)
{
	for (int r = 0; r < bench_runs; r++)
		for (int i = 0; i < n; i++) {
			if (bench_skipped(&c[i]))
				continue;
			c[i].setup();
			c[i].samples[r] = c[i].run();
			if (getenv("BENCH_VERBOSE"))
				fprintf(stderr, "%s run %d: %.3f\n", c[i].name,
					r, c[i].samples[r]);
		}
	for (int i = 0; i < n; i++)
		if (!bench_skipped(&c[i]))
			bench_report(c[i].name, "ns", c[i].what, c[i].samples,
				     bench_runs);
}

void bench_ratio(const char *name, const char *what, const struct contender *a,
		 const struct contender *b)
{
	double r[BENCH_MAX_RUNS];
	if (bench_skipped(a) || bench_skipped(b))
		return;
	for (int i = 0; i < bench_runs; i++)
		r[i] = a->samples[i] / b->samples[i];
	bench_report(name, "x", what, r, bench_runs);
}
