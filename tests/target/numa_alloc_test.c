/*
 * The page allocator on several nodes (mm/node.c), on target: every CPU's
 * requests, in process context (a thread on that CPU) and in interrupt
 * context (a call-function IPI), come from its own node, or from the
 * nearest node with memory when its own has none; with that node taken
 * down to its minimum they come from the nearest other node, counted as
 * Linux counts them (numa_miss there, numa_foreign at home);
 * __GFP_THISNODE then fails instead; and a request that may wake kswapd
 * wakes that node's kswapd and no other; a GFP_ATOMIC churn in every
 * CPU's tick never fails while one node is held at its minimum. On one node the cases check that
 * everything is node 0's. Booted by the NUMA lines of tests/matrix.conf.
 * See docs/11-numa.md ("The allocator on many nodes").
 */
#include "kernel/arch/x86/smp.h"
#include "kernel/core/sched.h"
#include "kernel/lib/printk.h"
#include "kernel/numa/numa.h"
#include "mm/node.h"
#include "mm/page_alloc.h"
#include "tests/target/churn.h"
#include "tests/ktest.h"

/* The node a request made on node n should get while n's nearest memory
 * is above low: n's own, or for a node without memory the nearest one
 * that has some (numa_mem_id's answer). */
static unsigned int home_memory(unsigned int n)
{
	return numa_topo.nodes[n].mem_node;
}

/* The node of the block at phys, from the allocator's own tables. */
static int node_of(uint64_t phys)
{
	return kernel_pgdat_of(phys)->node_id;
}

struct probe {
	gfp_t gfp;
	unsigned int order;
	int node; /* where the block came from; -1: none */
	int ran_on;
};

static void allocate_here(void *arg)
{
	struct probe *pr = arg;
	uint64_t phys = alloc_pages(pr->gfp, pr->order);
	pr->ran_on = (int)numa_node_id();
	pr->node = phys ? node_of(phys) : -1;
	if (phys)
		__free_pages(phys, pr->order);
}

static void test_irq_allocations_are_local(struct ktest *t)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		if (!cpus[c].online)
			continue;
		for (unsigned int order = 0; order <= 3; order += 3) {
			struct probe pr = { GFP_ATOMIC, order, -2, -1 };
			KTEST_EXPECT_EQ(t,
					smp_call_function_single(c,
								 allocate_here,
								 &pr),
					0);
			KTEST_EXPECT_EQ(t, pr.ran_on, (int)cpu_to_node(c));
			KTEST_EXPECT_EQ(t, pr.node,
					(int)home_memory(cpu_to_node(c)));
		}
	}
}

static void thread_allocates(void *arg)
{
	allocate_here(arg);
}

static void test_process_allocations_are_local(struct ktest *t)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		if (!cpus[c].online)
			continue;
		struct probe pr = { GFP_KERNEL, 0, -2, -1 };
		unsigned int want = home_memory(cpu_to_node(c));
		struct pglist_data *p = mm_numa_on() ? NODE_DATA(want) : NULL;
		uint64_t hits = p ? p->numa.numa_hit : 0;
		struct task_struct *th =
		    kthread_create_on_cpu(thread_allocates, &pr, c, "numa-p");
		KTEST_ASSERT_TRUE(t, th != NULL);
		kthread_join(th);
		KTEST_EXPECT_EQ(t, pr.node, (int)want);
		if (p)
			KTEST_EXPECT_GT(t, p->numa.numa_hit, hits);
	}
}

/* The CPU of node n with the lowest number, or MAX_CPUS. */
static unsigned int cpu_of_node(unsigned int n)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		if (cpus[c].online && cpu_to_node(c) == n)
			return c;
	return MAX_CPUS;
}

/* The nearest node with memory to a other than a itself (lowest id on a
 * tie), from the firmware's table: what the fallback must pick. */
static int nearest_other(unsigned int a)
{
	int best = -1;
	for (unsigned int b = 0; b < nr_online_nodes(); b++)
		if (b != a && numa_topo.nodes[b].mem_bytes &&
		    (best < 0 || node_distance(a, b) <
				     node_distance(a, (unsigned int)best)))
			best = (int)b;
	return best;
}

struct drain {
	unsigned int node;
	uint64_t chain, taken;
	struct probe after, thisnode;
	uint64_t miss0, miss1, foreign0, foreign1;
	uint64_t wakeups0[MM_MAX_NODES], wakeups1[MM_MAX_NODES];
};

static void hold(struct drain *d, uint64_t phys)
{
	*(uint64_t *)phys_to_virt(phys) = d->chain;
	d->chain = phys;
}

/* kswapd wakeups of every node, now. */
static void wakeups(uint64_t out[MM_MAX_NODES])
{
	for (unsigned int n = 0; n < mm_nodes.nr_nodes; n++)
		out[n] =
		    NODE_DATA(n)
			? __atomic_load_n(&NODE_DATA(n)->reclaim.kswapd_wakeups,
					  __ATOMIC_ACQUIRE)
			: 0;
}

/* Requests that neither sleep nor wake kswapd: while the node is held at
 * its minimum, nothing frees pages onto it behind the test's back. */
#define QUIET_NO_KSWAPD __GFP_NOWARN

/* On a CPU of node d->node: take that node down to its minimum with
 * __GFP_THISNODE, then ask the ordinary way (the fallback) and with
 * __GFP_THISNODE again, then give everything back. */
static void drain_and_ask(void *arg)
{
	struct drain *d = arg;
	struct pglist_data *home = NODE_DATA(d->node);
	int other = nearest_other(d->node);
	uint64_t phys;
	while ((phys = alloc_pages_node((int)d->node,
					QUIET_NO_KSWAPD | __GFP_THISNODE, 0))) {
		hold(d, phys);
		d->taken++;
	}
	d->miss0 = NODE_DATA(other)->numa.numa_miss;
	d->foreign0 = home->numa.numa_foreign;
	d->after = (struct probe){ QUIET_NO_KSWAPD, 0, -2, -1 };
	allocate_here(&d->after);
	d->miss1 = NODE_DATA(other)->numa.numa_miss;
	d->foreign1 = home->numa.numa_foreign;
	d->thisnode =
	    (struct probe){ QUIET_NO_KSWAPD | __GFP_THISNODE, 0, -2, -1 };
	allocate_here(&d->thisnode);
	/* A request that may wake kswapd wakes this node's, and only it. */
	wakeups(d->wakeups0);
	phys = alloc_pages_node((int)d->node,
				GFP_NOWAIT | __GFP_THISNODE | __GFP_NOWARN, 0);
	if (phys)
		hold(d, phys);
	for (int ms = 0;
	     ms < 2000 &&
	     __atomic_load_n(&home->reclaim.kswapd_wakeups, __ATOMIC_ACQUIRE) ==
		 d->wakeups0[d->node];
	     ms += 10)
		msleep(10);
	wakeups(d->wakeups1);
	while (d->chain) {
		uint64_t next = *(uint64_t *)phys_to_virt(d->chain);
		__free_pages(d->chain, 0);
		d->chain = next;
	}
}

static void test_fallback_is_nearest_first(struct ktest *t)
{
	if (!mm_numa_on()) {
		ktest_skip(t, "one node: nothing to fall back to");
		return;
	}
	unsigned int tried = 0;
	for (unsigned int n = 0; n < nr_online_nodes(); n++) {
		unsigned int c = cpu_of_node(n);
		if (!NODE_DATA(n) || c == MAX_CPUS || nearest_other(n) < 0)
			continue;
		static struct drain d;
		d = (struct drain){ .node = n };
		struct task_struct *th =
		    kthread_create_on_cpu(drain_and_ask, &d, c, "numa-f");
		KTEST_ASSERT_TRUE(t, th != NULL);
		kthread_join(th);
		ktest_diag(
		    t,
		    "node %u: %llu pages taken with __GFP_THISNODE; then a request from CPU %u got node %d (nearest other: %d), __GFP_THISNODE got %d",
		    n, (unsigned long long)d.taken, c, d.after.node,
		    nearest_other(n), d.thisnode.node);
		KTEST_EXPECT_GT(t, d.taken, 0);
		KTEST_EXPECT_EQ(t, d.after.node, nearest_other(n));
		KTEST_EXPECT_EQ(t, d.miss1, d.miss0 + 1);
		KTEST_EXPECT_EQ(t, d.foreign1, d.foreign0 + 1);
		KTEST_EXPECT_EQ(t, d.thisnode.node, -1);
		for (unsigned int m = 0; m < mm_nodes.nr_nodes; m++)
			if (m == n)
				KTEST_EXPECT_GT(t, d.wakeups1[m],
						d.wakeups0[m]);
			else
				KTEST_EXPECT_EQ(t, d.wakeups1[m],
						d.wakeups0[m]);
		tried++;
	}
	KTEST_EXPECT_GT(t, tried, 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* With one node held at its minimum, a GFP_ATOMIC churn in every CPU's
 * tick goes on without a failure: the exhausted node's CPUs are served by
 * the other nodes (counted as numa_foreign there), or from its reserve. */
static void test_atomic_churn_with_a_node_exhausted(struct ktest *t)
{
	if (!mm_numa_on()) {
		ktest_skip(t, "one node: nothing to fall back to");
		return;
	}
	unsigned int n = cpu_to_node(0);
	if (!NODE_DATA(n) || nearest_other(n) < 0) {
		ktest_skip(t,
			   "CPU 0's node has no memory or no other node has");
		return;
	}
	static struct drain d;
	d = (struct drain){ .node = n };
	churn_start();
	uint64_t phys;
	while ((phys = alloc_pages_node((int)n,
					QUIET_NO_KSWAPD | __GFP_THISNODE, 0))) {
		hold(&d, phys);
		d.taken++;
	}
	uint64_t foreign = NODE_DATA(n)->numa.numa_foreign;
	churn_turn_over();
	uint64_t failed = churn_failures();
	uint64_t served_elsewhere = NODE_DATA(n)->numa.numa_foreign - foreign;
	while (d.chain) {
		uint64_t next = *(uint64_t *)phys_to_virt(d.chain);
		__free_pages(d.chain, 0);
		d.chain = next;
	}
	ktest_diag(
	    t,
	    "node %u held at its min (%llu pages taken): the tick churn failed %llu times; %llu of node %u's requests were served by other nodes",
	    n, (unsigned long long)d.taken, (unsigned long long)failed,
	    (unsigned long long)served_elsewhere, n);
	KTEST_EXPECT_EQ(t, failed, 0);
	KTEST_EXPECT_GT(t, served_elsewhere, 0);
	churn_stop_and_check(t);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case numa_alloc_cases[] = {
	KTEST_CASE(test_irq_allocations_are_local),
	KTEST_CASE(test_process_allocations_are_local),
	KTEST_CASE(test_fallback_is_nearest_first),
	KTEST_CASE(test_atomic_churn_with_a_node_exhausted),
	{ 0 },
};
KTEST_SUITE_WHERE(numa_alloc, numa_alloc_cases, KTEST_TARGET_ONLY);
