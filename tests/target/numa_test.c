/*
 * The NUMA topology on target: the nodes, the CPUs online on each, each
 * node's memory and the distance table are what QEMU was given, passed on
 * the cmdline by the matrix line that boots it (tests/matrix.conf):
 *   numa_expect=NODES:CPUS,...:MIB,...:DISTANCES,...
 * (CPUs online and MiB of memory per node, then the distance matrix row by
 * row). Without numa_expect= those cases skip; the rest check that every
 * CPU, in interrupt context, finds its own node and nearest memory.
 * See docs/11-numa.md.
 */
#include "kernel/arch/x86/smp.h"
#include "kernel/debug/bug.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/printk.h"
#include "kernel/numa/numa.h"
#include "tests/ktest.h"

static struct {
	bool given;
	unsigned int nodes;
	unsigned int cpus[NUMA_MAX_NODES];
	unsigned int mib[NUMA_MAX_NODES];
	unsigned int dist[NUMA_MAX_NODES * NUMA_MAX_NODES];
} want;

/* Reads exactly `n` comma-separated numbers from *s up to ':' or the end. */
static int read_list(const char **s, unsigned int *out, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned long v = 0;
		const char *p = *s;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9' && v < 1000000)
			v = v * 10 + (unsigned long)(*p++ - '0');
		out[i] = (unsigned int)v;
		if (*p != (i + 1 < n ? ',' : *p == ':' ? ':' : '\0'))
			return -1;
		*s = *p ? p + 1 : p;
	}
	return 0;
}

static int set_numa_expect(const char *value)
{
	const char *s = value;
	unsigned int nodes;
	if (read_list(&s, &nodes, 1) || nodes == 0 || nodes > NUMA_MAX_NODES ||
	    read_list(&s, want.cpus, nodes) || read_list(&s, want.mib, nodes) ||
	    read_list(&s, want.dist, nodes * nodes) || *s)
		return -1;
	want.nodes = nodes;
	want.given = true;
	return 0;
}
CMDLINE_PARAM("numa_expect", set_numa_expect,
	      "NODES:CPUS,..:MIB,..:DISTANCES,.. the topology QEMU was given "
	      "(ktest=numa)");

static bool expectation(struct ktest *t)
{
	if (!want.given)
		ktest_skip(t, "no numa_expect= on the cmdline");
	return want.given;
}

static void test_node_count(struct ktest *t)
{
	if (!expectation(t))
		return;
	KTEST_EXPECT_EQ(t, nr_online_nodes(), want.nodes);
	KTEST_EXPECT_EQ(t, numa_topo.from_srat, want.nodes > 1);
}

static void test_cpus_per_node(struct ktest *t)
{
	if (!expectation(t))
		return;
	for (unsigned int n = 0; n < want.nodes; n++) {
		unsigned int count = 0;
		for (unsigned int c = 0; c < MAX_CPUS; c++)
			count += cpus[c].online && cpu_to_node(c) == n;
		ktest_diag(t, "node %u: %u CPUs online, %u expected", n, count,
			   want.cpus[n]);
		KTEST_EXPECT_EQ(t, count, want.cpus[n]);
	}
}

static void test_memory_per_node(struct ktest *t)
{
	if (!expectation(t))
		return;
	for (unsigned int n = 0; n < want.nodes; n++) {
		/* Node 0 on QEMU lacks the 640 KiB - 1 MiB hole: round. */
		uint64_t mib =
		    (numa_topo.nodes[n].mem_bytes + (512 << 10)) >> 20;
		ktest_diag(t, "node %u: %lu MiB, %u expected", n, mib,
			   want.mib[n]);
		KTEST_EXPECT_EQ(t, mib, want.mib[n]);
	}
}

static void test_distance_table(struct ktest *t)
{
	if (!expectation(t))
		return;
	for (unsigned int a = 0; a < want.nodes; a++)
		for (unsigned int b = 0; b < want.nodes; b++)
			KTEST_EXPECT_EQ(t, node_distance(a, b),
					want.dist[a * want.nodes + b]);
}

/* What numa_node_id() and numa_mem_id() answer on each CPU. */
static unsigned int seen_node[MAX_CPUS], seen_mem[MAX_CPUS];

static void record_node(void *arg)
{
	(void)arg;
	seen_node[smp_processor_id()] = numa_node_id();
	seen_mem[smp_processor_id()] = numa_mem_id();
}

static void test_each_cpu_finds_its_node(struct ktest *t)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		if (!cpus[c].online)
			continue;
		seen_node[c] = seen_mem[c] = NUMA_MAX_NODES;
		KTEST_EXPECT_EQ(t, smp_call_function_single(c, record_node, 0),
				0);
		unsigned int node = numa_node_of_apic(cpus[c].apic_id, c);
		KTEST_EXPECT_EQ(t, seen_node[c], node);
		KTEST_EXPECT_EQ(t, cpu_to_node(c), node);
		KTEST_ASSERT_TRUE(t, node < nr_online_nodes());
		/* Its nearest memory: its own node if it has any. */
		unsigned int mem = seen_mem[c];
		KTEST_EXPECT_EQ(t, mem, numa_topo.nodes[node].mem_node);
		if (!numa_topo.from_srat) {
			/* One node, all memory on it (sizes unknown here). */
			KTEST_EXPECT_EQ(t, node, 0);
			KTEST_EXPECT_EQ(t, mem, 0);
			continue;
		}
		if (numa_topo.nodes[node].mem_bytes)
			KTEST_EXPECT_EQ(t, mem, node);
		else
			KTEST_EXPECT_NE(t, mem, node);
		KTEST_EXPECT_GT(t, numa_topo.nodes[mem].mem_bytes, 0);
	}
}

/* The nearest memory is the nearest: no node with memory is closer. */
static void test_nearest_memory_is_nearest(struct ktest *t)
{
	for (unsigned int a = 0; a < nr_online_nodes(); a++) {
		unsigned int m = numa_topo.nodes[a].mem_node;
		unsigned int dm = a == m ? 0 : node_distance(a, m);
		for (unsigned int b = 0; b < nr_online_nodes(); b++)
			if (b != a && numa_topo.nodes[b].mem_bytes)
				KTEST_EXPECT_LE(t, dm, node_distance(a, b));
	}
}

static void test_bad_node_is_a_warning(struct ktest *t)
{
	unsigned long hits = warn_once_hits;
	int saved = console_loglevel;
	console_loglevel = 0;
	unsigned int d = node_distance(nr_online_nodes(), 0);
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, d, NUMA_UNREACHABLE);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits + 1);
}

static const struct ktest_case numa_cases[] = {
	KTEST_CASE(test_node_count),
	KTEST_CASE(test_cpus_per_node),
	KTEST_CASE(test_memory_per_node),
	KTEST_CASE(test_distance_table),
	KTEST_CASE(test_each_cpu_finds_its_node),
	KTEST_CASE(test_nearest_memory_is_nearest),
	KTEST_CASE(test_bad_node_is_a_warning),
	{ 0 },
};
KTEST_SUITE_WHERE(numa, numa_cases, KTEST_TARGET_ONLY);
