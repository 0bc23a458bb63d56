/*
 * `make bench`: what the pieces of tools/bench/ share. Timing, the median of
 * several runs, and the three output files under build/bench/: results.tsv
 * (name<TAB>median<TAB>unit), spread.tsv (name, median, min, max, unit,
 * runs: for the plots' error bars) and results.md (the table a person
 * reads). docs/08-measuring.md explains the figures.
 */
#ifndef LABYRINTH_TOOLS_BENCH_BENCH_H
#define LABYRINTH_TOOLS_BENCH_BENCH_H

#include <stdbool.h>
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

/* A timed figure: setup before every run, run returns ns per unit. */
struct contender {
	const char *name, *what;
	void (*setup)(void);
	double (*run)(void);
	double samples[BENCH_MAX_RUNS];
};
/* Runs r of every contender, then run r + 1 of every contender ... so
 * that a noisy moment slows them alike; reports each one's median. */
void bench_interleave(struct contender *c, int n);
/* a's time over b's, run by run: both ran back to back, so a noisy moment
 * slows both and the ratio moves far less than either. */
void bench_ratio(const char *name, const char *what, const struct contender *a,
		 const struct contender *b);

/* two_threads.c: pins this thread to the first CPU the process may use,
 * as issue 16's figures were taken; the two-thread section's worker gets
 * the second. */
void bench_pin(void);
/* two_threads.c: the two-thread pairs on `node` (over `bytes` of `arena`
 * at `phys`), `pairs` pairs per thread; setup prepares the node as the
 * one-thread pair does. */
struct pglist_data;
void bench_two_threads(struct pglist_data *node, char *arena, uint64_t phys,
		       uint64_t bytes, int pairs, void (*setup)(void));

/* The per-CPU order-0 pair and the mixed workload of pair_driver.c, built
 * against this tree and, with every symbol prefixed old_, against the tree
 * before the last hot-path change (bench.mk: BENCH_OLD_REV). use_arena
 * once, then setup before each timed run; time returns ns per pair or per
 * operation. */
void pair_use_arena(void *arena, uint64_t phys, uint64_t bytes);
void pair_setup(void);
double pair_time(void);
void mixed_driver_setup(void);
void mixed_zone_driver_setup(void); /* the same stream, lists off */
double mixed_driver_time(void);
void split_driver_setup(void); /* split10 on the zone path */
double split_driver_time(void);
/* The random stream's requests (random_bench.c) on a node of the driver's
 * own over arena, per-CPU lists on; check after everything was freed. */
void random_driver_setup(void *arena, uint64_t phys, uint64_t bytes);
uint64_t random_driver_alloc(unsigned int order);
void random_driver_free(uint64_t phys, unsigned int order);
bool random_driver_check(void);
void old_random_driver_setup(void *arena, uint64_t phys, uint64_t bytes);
uint64_t old_random_driver_alloc(unsigned int order);
void old_random_driver_free(uint64_t phys, unsigned int order);
bool old_random_driver_check(void);
void old_pair_use_arena(void *arena, uint64_t phys, uint64_t bytes);
void old_pair_setup(void);
double old_pair_time(void);
void old_mixed_driver_setup(void);
void old_mixed_zone_driver_setup(void);
double old_mixed_driver_time(void);
void old_split_driver_setup(void);
double old_split_driver_time(void);

/* Compacting 1 GiB of fragmented memory (compact_bench.c). */
void bench_compact(void);
/* One page from a lone 4 MiB block and back, Labyrinth's zone path against
 * the peers and against BENCH_OLD_REV (split_bench.c). */
void bench_split10(void);
/* Issue 16's random workloads against the peer buddies (random_bench.c). */
void bench_random(void);
struct pglist_data;
/* A node over `bytes` of host memory at arena, playing RAM at phys: one
 * range, watermarks and protection 0 (random_bench.c). */
void bench_node_init(struct pglist_data *node, void *arena, uint64_t phys,
		     uint64_t bytes);
/* MemAvailable of the host, in bytes (random_bench.c). */
uint64_t bench_mem_available(void);
/* Start-up on a 16-socket, 12 TiB shape (numa_sweep.c). */
void bench_numa_12tib(void);
/* Init time and metadata against memory size (init_sweep.c); also writes
 * init.tsv into dir for the plots. */
void bench_init_sweep(const char *dir);

#endif
