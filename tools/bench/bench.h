/*
 * `make bench`: what the pieces of tools/bench/ share. Timing, the median of
 * several runs, and the three output files under build/bench/: results.tsv
 * (name<TAB>median<TAB>unit), spread.tsv (name, median, min, max, unit,
 * runs: for the plots' error bars) and results.md (the table a person
 * reads). docs/08-measuring.md explains the figures.
 */
#ifndef LABYRINTH_TOOLS_BENCH_BENCH_H
#define LABYRINTH_TOOLS_BENCH_BENCH_H

#include <stdint.h>

#define BENCH_MAX_RUNS 15

/* Iteration divisor: 1 normally, 1000 with --quick (smoke or callgrind). */
extern int bench_scale;
/* Runs per figure (median taken): 7 normally, 1 with --quick. */
extern int bench_runs;

double bench_now_ns(void);

/* Opens the outputs in dir (NULL: print only). Returns 0 or -1. */
int bench_open(const char *dir);
void bench_close(void);

/* Starts a section of the markdown table ("## title" plus a header). */
void bench_section(const char *title, const char *note);
/* One figure from n samples: prints it, and writes the median to
 * results.tsv, the spread to spread.tsv and a row to results.md. */
void bench_report(const char *name, const char *unit, const char *what,
		  const double *samples, int n);
/* A figure that is computed, not timed (metadata): one exact value. */
void bench_report_exact(const char *name, const char *unit, const char *what,
			double value);
/* A free-form line in results.md (and on stdout). */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Raw markdown for results.md only (the sweep's own table). */
void bench_md(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Init time and metadata against memory size (init_sweep.c); also writes
 * init.tsv into dir for the plots. */
void bench_init_sweep(const char *dir);

#endif
