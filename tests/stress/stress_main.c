/*
 * The host stress's control (tests/stress/README.md): options, the CPUs'
 * threads, a checkpoint every second (everyone stopped, pgdat_check()),
 * the watchdog, and the totals and verdict at the end. The CPUs' side is
 * tests/stress/stress.c. docs/07b-soak-stress-and-fuzzing.md ("Stress on
 * the host").
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mm/pcp.h"
#include "tests/stress/stress.h"

static unsigned int watchdog_s = 10;
static uint64_t target_ops = 1000000, seed = 1;
/* --seconds: a time bound (wall clock). The run ends at whichever of
 * --ops and --seconds comes first; without --ops, only the time counts
 * (make test's short run: as long on a loaded host as on an idle one). */
static uint64_t run_seconds;
static bool ops_given;

static uint64_t total_ops(void)
{
	uint64_t n = 0;
	for (unsigned int i = 0; i < nr_threads; i++)
		n += READ(cpus[i].ops) + READ(cpus[i].irq_ops);
	return n;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A CPU that made no progress for watchdog_s seconds is stuck: the run
 * ends here, naming it (its threads may be spinning for ever). */
static void watchdog_check(uint64_t *last, double *since)
{
	double t = now_s();
	for (unsigned int i = 0; i < nr_threads; i++) {
		uint64_t n = READ(cpus[i].ops) + READ(cpus[i].irq_ops);
		if (n != last[i] || READ(cpus[i].paused)) {
			last[i] = n;
			since[i] = t;
		} else if (t - since[i] > watchdog_s) {
			pr_err("stress: watchdog: CPU %u made no progress for %u s (at %llu ops, %llu in interrupts): deadlock\n",
			       cpus[i].cpu, watchdog_s,
			       (unsigned long long)READ(cpus[i].ops),
			       (unsigned long long)READ(cpus[i].irq_ops));
			printf("stress: FAILED (watchdog)\n");
			fflush(stdout);
			_exit(3);
		}
	}
}

static int problems_now(void)
{
	uint64_t bad = 0, broken = 0;
	for (unsigned int i = 0; i < nr_threads; i++) {
		bad += READ(cpus[i].bad);
		broken += READ(cpus[i].masking_broken);
	}
	return (int)(bad + broken + READ(warn_count));
}

/* Everyone stopped with interrupts off and lists drained: check the node. */
static int checkpoint(uint64_t *last, double *since)
{
	WRITE(pause_all, 1);
	for (unsigned int i = 0; i < nr_threads; i++)
		while (!READ(cpus[i].paused)) {
			watchdog_check(last, since);
			sched_yield();
		}
	int problems = pgdat_check(node);
	WRITE(pause_all, 0);
	return problems;
}

static int parse(const char *opt, const char *v, uint64_t lo, uint64_t hi,
		 uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = v ? strtoull(v, &end, 0) : 0;
	if (!v || !*v || *end || errno || *v == '-' || n < lo || n > hi) {
		fprintf(stderr,
			"stress: %s wants a number %llu..%llu, not '%s'\n", opt,
			(unsigned long long)lo, (unsigned long long)hi,
			v ? v : "(nothing)");
		return -1;
	}
	*out = n;
	return 0;
}

static int options(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		if (!strcmp(o, "--ops") && !parse(o, v, 1, 1ULL << 40, &n)) {
			target_ops = n;
			ops_given = true;
		} else if (!strcmp(o, "--seconds") &&
			   !parse(o, v, 1, 86400, &n))
			run_seconds = n;
		else if (!strcmp(o, "--threads") &&
			 !parse(o, v, 1, MAX_THREADS, &n))
			nr_threads = (unsigned int)n;
		else if (!strcmp(o, "--tick-us") &&
			 !parse(o, v, 10, 1000000, &n))
			tick_us = (unsigned int)n;
		else if (!strcmp(o, "--watchdog") && !parse(o, v, 1, 3600, &n))
			watchdog_s = (unsigned int)n;
		else if (!strcmp(o, "--seed") && !parse(o, v, 1, ~0ULL, &n))
			seed = n;
		else {
			if (strncmp(o, "--", 2) ||
			    (strcmp(o, "--ops") && strcmp(o, "--seconds") &&
			     strcmp(o, "--threads") && strcmp(o, "--tick-us") &&
			     strcmp(o, "--watchdog") && strcmp(o, "--seed")))
				fprintf(stderr,
					"stress: unknown argument '%s' (usage: stress [--ops N] [--seconds S] [--threads N] [--tick-us N] [--watchdog S] [--seed N])\n",
					o);
			return -1;
		}
		i++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* As many CPUs as the host has cores (at least two): more threads
	 * than cores make every ticket lock convoy behind a preempted holder. */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	nr_threads = cores < 2		   ? 2
		     : cores > MAX_THREADS ? MAX_THREADS
					   : (unsigned int)cores;
	if (options(argc, argv))
		return 2;
	if (run_seconds && !ops_given)
		target_ops = 1ULL << 40;
	/* Only the CPUs' threads take the tick; the rest block it. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	host_irq_set_handler(stress_tick);

	if (mm_test_node_init(&tn, NODE_BYTES, 4UL << 20, 16UL << 20, false)) {
		fprintf(stderr, "stress: no memory for a %lu MiB node\n",
			NODE_BYTES >> 20);
		return 1;
	}
	pgdat_pcp_enable(node, nr_threads);
	uint64_t free_before = node_free_pages(), min_total = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		min_total += node->node_zones[z].watermark[WMARK_MIN];
	char bound[64];
	if (run_seconds && !ops_given)
		snprintf(bound, sizeof(bound), "%llu s",
			 (unsigned long long)run_seconds);
	else
		snprintf(bound, sizeof(bound), "%llu ops%s",
			 (unsigned long long)target_ops,
			 run_seconds ? " (or the time bound)" : "");
	printf("stress: %u CPUs, %lu MiB node (min %llu pages), tick every %u us per CPU, %s, seed %llu\n",
	       nr_threads, NODE_BYTES >> 20, (unsigned long long)min_total,
	       tick_us, bound, (unsigned long long)seed);
	fflush(stdout);

	double start = now_s(), since[MAX_THREADS];
	uint64_t last[MAX_THREADS] = { 0 };
	for (unsigned int i = 0; i < nr_threads; i++) {
		struct cpu *c = &cpus[i];
		c->nr = i;
		c->rng = 0x2545f4914f6cdd1dULL * (seed + 2 * i + 1);
		c->irq_rng = 0x9e3779b97f4a7c15ULL * (seed + 2 * i + 2);
		c->proc.size = PROC_RING;
		c->irq.size = IRQ_RING;
		c->lowest_free = ~0ULL;
		since[i] = start;
		if (pthread_create(&c->thread, NULL, cpu_main, c)) {
			fprintf(stderr, "stress: cannot start thread %u\n", i);
			return 1;
		}
	}
	int problems = 0;
	unsigned long checkpoints = 0;
	double next_checkpoint = start + 1;
	double end = run_seconds ? start + (double)run_seconds : 1e300;
	while (total_ops() < target_ops && now_s() < end && !problems_now() &&
	       !problems && !READ(setup_failed)) {
		usleep(10000);
		watchdog_check(last, since);
		if (now_s() >= next_checkpoint) {
			problems += checkpoint(last, since);
			checkpoints++;
			next_checkpoint = now_s() + 1;
		}
	}
	WRITE(stop_all, 1);
	for (unsigned int i = 0; i < nr_threads; i++) {
		while (pthread_tryjoin_np(cpus[i].thread, NULL) == EBUSY) {
			usleep(10000);
			watchdog_check(last, since);
		}
	}
	if (setup_failed) {
		printf(
		    "stress: could not start every CPU (see above): no verdict\n");
		return 2;
	}
	double secs = now_s() - start;
	struct held h;
	while (handoff_swap(NULL, &h))
		check_and_free(&cpus[0], &h);
	pcp_drain_local(node); /* this thread's frees parked some */
	problems += pgdat_check(node);
	checkpoints++;

	uint64_t ops = 0, irq_ops = 0, bad = 0, fk = 0, fn = 0, fa = 0, fi = 0,
		 sq = 0, broken = 0, lowest = ~0ULL;
	unsigned long run = 0, deferred = 0;
	for (unsigned int i = 0; i < nr_threads; i++) {
		const struct cpu *c = &cpus[i];
		ops += c->ops;
		irq_ops += c->irq_ops;
		bad += c->bad;
		fk += c->fail_kernel;
		fn += c->fail_nowait;
		fa += c->fail_atomic;
		fi += c->fail_irq;
		sq += c->squeezes;
		broken += c->masking_broken;
		run += c->irqs_run;
		deferred += c->irqs_deferred;
		if (c->lowest_free < lowest)
			lowest = c->lowest_free;
	}
	uint64_t free_after = node_free_pages();
	printf("stress: %llu ops in %.1f s (%.0f ops/s): %llu in process context, %llu in interrupts\n",
	       (unsigned long long)(ops + irq_ops), secs,
	       (double)(ops + irq_ops) / secs, (unsigned long long)ops,
	       (unsigned long long)irq_ops);
	printf("stress: interrupts: %lu ran, %lu signals came with interrupts off and waited for them, %llu cut into an irq-off section\n",
	       run, deferred, (unsigned long long)broken);
	printf("stress: failures: kernel=%llu nowait=%llu atomic=%llu irq=%llu; %llu squeezes; lowest free %llu pages (min %llu)\n",
	       (unsigned long long)fk, (unsigned long long)fn,
	       (unsigned long long)fa, (unsigned long long)fi,
	       (unsigned long long)sq, (unsigned long long)lowest,
	       (unsigned long long)min_total);
	printf("stress: %lu checkpoints, %d pgdat_check problems, %llu bad stamps or frees, %lu warnings, free pages %llu (at start %llu)\n",
	       checkpoints, problems, (unsigned long long)bad, warn_count,
	       (unsigned long long)free_after, (unsigned long long)free_before);
	bool ok = !problems && !bad && !broken && !warn_count &&
		  free_after == free_before &&
		  (ops + irq_ops >= target_ops || now_s() >= end) &&
		  irq_ops > 0 && deferred > 0;
	printf("stress: %s\n", ok ? "PASS" : "FAILED");
	mm_test_node_destroy(&tn);
	return ok ? 0 : 1;
}
