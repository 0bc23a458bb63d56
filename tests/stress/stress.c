/*
 * The allocator's interrupt paths at native speed: the real mm/ code on a
 * test node, several threads playing CPUs (each with its per-CPU lists),
 * each churning random orders and GFP classes in "process context" while a
 * per-thread POSIX timer signal plays its timer interrupt, which allocates
 * and frees with GFP_ATOMIC and GFP_NOWAIT as the kernel's tick hooks do.
 * A thread's "interrupts off" really holds the signal's handler back
 * (kernel/arch/x86/irqflags.h, tests/support/platform_host.c), so a missing
 * irqsave in mm/ shows up as a self-deadlock, a hang (the watchdog) or a
 * broken stamp. Every page is stamped and checked before it is freed;
 * pgdat_check() runs at every checkpoint; at the end every page must be
 * free again. tests/stress/README.md; docs/07-debugging-the-allocator.md
 * ("Stress on the host").
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tests/support/test_arena.h"

#define MAX_THREADS 7 /* CPU numbers 0..MM_MAX_CPUS-1, one spare */
#define PROC_RING 64
#define IRQ_RING 32
#define HANDOFF 256
#define HOARD_MAX 16384
#define NODE_BYTES (48UL << 20) /* DMA 4 MiB, DMA32 to 16, Normal 32 */

struct held {
	uint64_t phys, tag;
	unsigned int order;
};

struct ring {
	struct held b[PROC_RING];
	unsigned int head, count, size;
};

struct cpu {
	pthread_t thread;
	timer_t timer;
	unsigned int nr, cpu;
	struct ring proc, irq;
	uint64_t rng, irq_rng, seq;
	/* Written by this thread only; the main thread reads ops, irq_ops,
	 * bad, masking_broken and paused while it runs (atomically). */
	uint64_t ops, irq_ops, bad, masking_broken;
	uint64_t fail_kernel, fail_nowait, fail_atomic, fail_irq;
	uint64_t squeezes, lowest_free;
	unsigned long irqs_run, irqs_deferred;
	int paused;
	volatile int stopping, in_irq_off_section; /* read by its own tick */
	uint64_t hoard[HOARD_MAX];
	unsigned int hoarded;
	uint64_t hoard_until, hoard_tag;
};

static struct mm_test_node tn;
static struct pglist_data *node = &tn.pgdat;
static struct cpu cpus[MAX_THREADS];
static unsigned int nr_threads, tick_us = 100, watchdog_s = 10;
static uint64_t target_ops = 1000000, seed = 1;
static int pause_all, stop_all;

/* What threads share outside the allocator's locks goes through these. */
#define READ(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define WRITE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define BUMP(x) WRITE(x, (x) + 1) /* only the owner writes x */
static _Thread_local struct cpu *me;

static DEFINE_SPINLOCK(handoff_lock);
static struct held handoff[HANDOFF];
static unsigned int handoff_count;

/* printk's console: write(2), which a signal handler may call. */
void console_write(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(2, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Each page of a block: its physical address, the tag, the tag's
 * complement. A block handed out twice, or written while held, breaks it. */
static void stamp(const struct held *h)
{
	for (uint64_t i = 0; i < (1ULL << h->order); i++) {
		uint64_t *w = pgdat_phys_to_virt(node, h->phys + i * PAGE_SIZE);
		w[0] = h->phys + i * PAGE_SIZE;
		w[1] = h->tag;
		w[511] = ~h->tag;
	}
}

static bool stamp_ok(const struct held *h)
{
	for (uint64_t i = 0; i < (1ULL << h->order); i++) {
		const uint64_t *w =
		    pgdat_phys_to_virt(node, h->phys + i * PAGE_SIZE);
		if (w[0] != h->phys + i * PAGE_SIZE || w[1] != h->tag ||
		    w[511] != ~h->tag)
			return false;
	}
	return true;
}

static void check_and_free(struct cpu *c, const struct held *h)
{
	if (!stamp_ok(h)) {
		BUMP(c->bad);
		pr_err("stress: CPU %u: bad stamp on block 0x%llx order %u\n",
		       c->cpu, (unsigned long long)h->phys, h->order);
	}
	if (pgdat_free_pages(node, h->phys, h->order))
		BUMP(c->bad);
}

static void ring_retire_oldest(struct cpu *c, struct ring *r)
{
	check_and_free(c, &r->b[(r->head + r->size - r->count) % r->size]);
	r->count--;
}

/* Pages cross CPUs through a queue under an irqsave lock, from process
 * context and from interrupts alike. Inside it this CPU's "interrupts"
 * are off: a tick that runs there anyway means the masking is broken. */
static bool handoff_swap(struct held *give, struct held *take)
{
	unsigned long flags;
	bool got = false;
	spin_lock_irqsave(&handoff_lock, flags);
	if (me)
		me->in_irq_off_section = 1;
	if (handoff_count) {
		*take = handoff[--handoff_count];
		got = true;
	}
	if (give && handoff_count < HANDOFF) {
		handoff[handoff_count++] = *give;
		give->phys = 0; /* now the queue's */
	}
	if (me)
		me->in_irq_off_section = 0;
	spin_unlock_irqrestore(&handoff_lock, flags);
	return got;
}

/* One allocation: stamped, kept in the ring (its oldest block checked and
 * freed to make room), now and then swapped with another CPU's. */
static void one_op(struct cpu *c, struct ring *r, gfp_t gfp, unsigned int order,
		   uint64_t *fails)
{
	if (r->count == r->size)
		ring_retire_oldest(c, r);
	uint64_t p = pgdat_alloc_pages(node, gfp | __GFP_NOWARN, order);
	if (!p) {
		(*fails)++;
		return;
	}
	if (gfp & __GFP_ZERO) {
		const uint64_t *w = pgdat_phys_to_virt(node, p);
		if (w[0] || w[1] || w[511]) {
			BUMP(c->bad);
			pr_err("stress: CPU %u: __GFP_ZERO block 0x%llx not zeroed\n",
			       c->cpu, (unsigned long long)p);
		}
	}
	struct held h = { p, ((uint64_t)c->cpu << 56) | ++c->seq, order };
	stamp(&h);
	if ((c->seq & 7) == 0) {
		struct held other;
		if (handoff_swap(&h, &other))
			check_and_free(c, &other);
		if (!h.phys)
			return;
	}
	r->b[r->head] = h;
	r->head = (r->head + 1) % r->size;
	r->count++;
}

static uint64_t node_free_pages(void)
{
	uint64_t n = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += __atomic_load_n(&node->node_zones[z].free_pages,
				     __ATOMIC_RELAXED);
	return n;
}

/* The timer interrupt, run by host_irq_deliver() with this CPU's IF off
 * and in hard-interrupt context: what the kernel's tick hooks do. */
static void stress_tick(void)
{
	struct cpu *c = me;
	if (!c || c->stopping)
		return;
	if (c->in_irq_off_section)
		BUMP(c->masking_broken);
	/* A burst, as a network card's interrupt takes a buffer per packet. */
	uint64_t r = xorshift(&c->irq_rng);
	for (unsigned int i = 0; i <= r % 4; i++) {
		one_op(c, &c->irq, r >> (8 + i) & 1 ? GFP_ATOMIC : GFP_NOWAIT,
		       (r >> (16 + 2 * i)) % 4, &c->fail_irq);
		BUMP(c->irq_ops);
	}
	uint64_t free = node_free_pages();
	if (free < c->lowest_free)
		c->lowest_free = free;
}

static void on_signal(int sig)
{
	int saved = errno;
	(void)sig;
	host_irq_deliver();
	errno = saved;
}

/* CPU 0 squeezes now and then: every page GFP_KERNEL may take, held for a
 * while, so the others' requests meet `min` and the reserve is used. */
static void squeeze(struct cpu *c)
{
	if (c->hoarded) {
		if (c->ops < c->hoard_until)
			return;
		while (c->hoarded) {
			struct held h = { c->hoard[--c->hoarded], c->hoard_tag,
					  0 };
			check_and_free(c, &h);
		}
		return;
	}
	if (c->ops % 50000 != 49999)
		return;
	c->squeezes++;
	c->hoard_until = c->ops + 5000;
	c->hoard_tag = 0x5155454553450000ULL | c->squeezes;
	uint64_t p;
	while (c->hoarded < HOARD_MAX &&
	       (p = pgdat_alloc_pages(node,
				      GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				      0))) {
		struct held h = { p, c->hoard_tag, 0 };
		stamp(&h);
		c->hoard[c->hoarded++] = p;
	}
}

static const gfp_t classes[] = {
	GFP_KERNEL,
	GFP_KERNEL,
	GFP_NOWAIT,
	GFP_ATOMIC,
	GFP_KERNEL | __GFP_DMA32,
	GFP_ATOMIC | __GFP_DMA,
	GFP_KERNEL | __GFP_ZERO,
	GFP_NOWAIT | __GFP_DMA32,
};

static void *cpu_main(void *arg)
{
	struct cpu *c = arg;
	c->cpu = mm_this_cpu();
	me = c;
	if (c->cpu >= MM_MAX_CPUS) {
		pr_err("stress: thread %u got CPU %u, past MM_MAX_CPUS\n",
		       c->nr, c->cpu);
		BUMP(c->bad);
		return NULL;
	}
	struct sigevent se;
	memset(&se, 0, sizeof(se));
	se.sigev_notify = SIGEV_THREAD_ID;
	se.sigev_signo = SIGALRM;
	se._sigev_un._tid = gettid();
	long ns = (long)tick_us * 1000;
	struct itimerspec its = { { ns / 1000000000, ns % 1000000000 },
				  { 0, 1000 + 37000 * (long)c->nr } };
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	if (timer_create(CLOCK_MONOTONIC, &se, &c->timer) ||
	    timer_settime(c->timer, 0, &its, NULL) ||
	    pthread_sigmask(SIG_UNBLOCK, &set, NULL)) {
		pr_err("stress: CPU %u: no timer: %s\n", c->cpu,
		       strerror(errno));
		BUMP(c->bad);
		return NULL;
	}
	while (!READ(stop_all)) {
		if (READ(pause_all)) {
			/* Interrupts off: the checkpoint sees a still node;
			 * ticks meanwhile run when they come back on. */
			local_irq_disable();
			pcp_drain_local(node);
			WRITE(c->paused, 1);
			while (READ(pause_all) && !READ(stop_all))
				sched_yield();
			WRITE(c->paused, 0);
			local_irq_enable();
			continue;
		}
		uint64_t r = xorshift(&c->rng);
		unsigned int order =
		    r % 32 == 0 ? (r >> 8) % (MAX_ORDER + 1) : (r >> 8) % 4;
		gfp_t gfp = classes[(r >> 16) % 8];
		one_op(c, &c->proc, gfp, order,
		       gfp & __GFP_DIRECT_RECLAIM ? &c->fail_kernel
		       : gfp & __GFP_HIGH	  ? &c->fail_atomic
						  : &c->fail_nowait);
		if (c->nr == 0)
			squeeze(c);
		BUMP(c->ops);
	}
	/* Stop the tick, then give everything back. */
	timer_delete(c->timer);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	c->stopping = 1;
	c->hoard_until = 0;
	squeeze(c);
	while (c->proc.count)
		ring_retire_oldest(c, &c->proc);
	while (c->irq.count)
		ring_retire_oldest(c, &c->irq);
	pcp_drain_local(node);
	c->irqs_run = host_irqs_run;
	c->irqs_deferred = host_irqs_deferred;
	return NULL;
}

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
		if (!strcmp(o, "--ops") && !parse(o, v, 1, 1ULL << 40, &n))
			target_ops = n;
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
			    (strcmp(o, "--ops") && strcmp(o, "--threads") &&
			     strcmp(o, "--tick-us") &&
			     strcmp(o, "--watchdog") && strcmp(o, "--seed")))
				fprintf(stderr,
					"stress: unknown argument '%s' (usage: stress [--ops N] [--threads N] [--tick-us N] [--watchdog S] [--seed N])\n",
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
	printf("stress: %u CPUs, %lu MiB node (min %llu pages), tick every %u us per CPU, %llu ops, seed %llu\n",
	       nr_threads, NODE_BYTES >> 20, (unsigned long long)min_total,
	       tick_us, (unsigned long long)target_ops,
	       (unsigned long long)seed);
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
	while (total_ops() < target_ops && !problems_now() && !problems) {
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
		  free_after == free_before && ops + irq_ops >= target_ops &&
		  irq_ops > 0 && deferred > 0;
	printf("stress: %s\n", ok ? "PASS" : "FAILED");
	mm_test_node_destroy(&tn);
	return ok ? 0 : 1;
}
