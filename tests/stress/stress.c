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
 * free again. This file is the CPUs' side; tests/stress/stress_main.c runs
 * them. tests/stress/README.md; docs/07b-soak-stress-and-fuzzing.md
 * ("Stress on the host").
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mm/internal.h"
#include "mm/pcp.h"
#include "tests/stress/stress.h"

struct mm_test_node tn;
struct pglist_data *node = &tn.pgdat;
struct cpu cpus[MAX_THREADS];
unsigned int nr_threads, tick_us = 100;
int pause_all, stop_all, setup_failed;
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
 * complement, and the two words where the page's links would go if the
 * allocator put it on a free list (block_link_offset). A block handed out
 * twice, or written while held, breaks it. */
static unsigned int link_word(uint64_t phys)
{
	return (unsigned int)(block_link_offset(phys >> PAGE_SHIFT) / 8);
}

static void stamp(const struct held *h)
{
	for (uint64_t i = 0; i < (1ULL << h->order); i++) {
		uint64_t phys = h->phys + i * PAGE_SIZE, l = link_word(phys);
		uint64_t *w = pgdat_phys_to_virt(node, phys);
		w[0] = phys;
		w[1] = h->tag;
		w[511] = ~h->tag;
		if (l) { /* at 0: words 0 and 1 */
			w[l] = ~phys;
			w[l + 1] = h->tag;
		}
	}
}

static bool stamp_ok(const struct held *h)
{
	for (uint64_t i = 0; i < (1ULL << h->order); i++) {
		uint64_t phys = h->phys + i * PAGE_SIZE, l = link_word(phys);
		const uint64_t *w = pgdat_phys_to_virt(node, phys);
		if (w[0] != phys || w[1] != h->tag || w[511] != ~h->tag ||
		    (l && (w[l] != ~phys || w[l + 1] != h->tag)))
			return false;
	}
	return true;
}

void check_and_free(struct cpu *c, const struct held *h)
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
bool handoff_swap(struct held *give, struct held *take)
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

uint64_t node_free_pages(void)
{
	uint64_t n = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += __atomic_load_n(&node->node_zones[z].free_pages,
				     __ATOMIC_RELAXED);
	return n;
}

/* The timer interrupt, run by host_irq_deliver() with this CPU's IF off
 * and in hard-interrupt context: what the kernel's tick hooks do. */
void stress_tick(void)
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

void on_signal(int sig)
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

void *cpu_main(void *arg)
{
	struct cpu *c = arg;
	c->cpu = mm_this_cpu();
	me = c;
	if (c->cpu >= MM_MAX_CPUS) {
		pr_err("stress: thread %u got CPU %u, past MM_MAX_CPUS\n",
		       c->nr, c->cpu);
		WRITE(setup_failed, 1);
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
		WRITE(setup_failed, 1);
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
