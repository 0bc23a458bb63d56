/*
 * The NUMA topology readers (kernel/numa/topology.c) and the MADT's CPU
 * entries (kernel/arch/x86/madt.c) fed synthetic tables built here: good
 * SRATs and SLITs become the nodes, CPUs and distances they describe; a bad
 * checksum, a bad length, a SLIT that disagrees with the SRAT, overlapping
 * ranges each get one line naming the table and the fault and leave the
 * safe default. Runs on the host and on target. See docs/11-numa.md.
 */
#include "kernel/arch/x86/acpi.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/numa/topology.h"
#include "tests/ktest.h"

#define MiB (1ULL << 20)

struct table {
	uint8_t b[8192];
	uint32_t len;
};

static void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void begin(struct table *t, const char *sig, uint32_t header)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	t->b[8] = 3; /* revision */
	t->len = header;
}

/* Sets the length and makes the bytes sum to 0. */
static void finish(struct table *t)
{
	put_le(t->b + 4, t->len, 4);
	t->b[9] = 0;
	t->b[9] = (uint8_t)-acpi_checksum(t->b, t->len);
}

static void srat_cpu(struct table *t, uint32_t pxm, uint8_t apic, bool on)
{
	uint8_t *e = t->b + t->len;
	e[0] = 0, e[1] = 16, e[2] = (uint8_t)pxm, e[3] = apic;
	put_le(e + 4, on, 4);
	put_le(e + 9, pxm >> 8, 3);
	t->len += 16;
}

static void srat_x2apic(struct table *t, uint32_t pxm, uint32_t id)
{
	uint8_t *e = t->b + t->len;
	e[0] = 2, e[1] = 24;
	put_le(e + 4, pxm, 4);
	put_le(e + 8, id, 4);
	put_le(e + 12, 1, 4);
	t->len += 24;
}

static void srat_mem(struct table *t, uint32_t pxm, uint64_t base, uint64_t len,
		     uint32_t flags)
{
	uint8_t *e = t->b + t->len;
	e[0] = 1, e[1] = 40;
	put_le(e + 2, pxm, 4);
	put_le(e + 8, base, 8);
	put_le(e + 16, len, 8);
	put_le(e + 28, flags, 4);
	t->len += 40;
}

static void make_slit(struct table *t, unsigned int n, const uint8_t *d)
{
	begin(t, "SLIT", 44);
	put_le(t->b + 36, n, 8);
	memcpy(t->b + 44, d, n * n);
	t->len += n * n;
	finish(t);
}

/* Node p: CPUs 2p and 2p+1, 128 MiB at p * 128 MiB (QEMU's -numa node). */
static void make_srat(struct table *t, unsigned int nodes)
{
	begin(t, "SRAT", 48);
	for (unsigned int p = 0; p < nodes; p++) {
		srat_cpu(t, p, (uint8_t)(2 * p), true);
		srat_cpu(t, p, (uint8_t)(2 * p + 1), true);
	}
	for (unsigned int p = 0; p < nodes; p++)
		srat_mem(t, p, p * 128 * MiB, 128 * MiB, 1);
	finish(t);
}

static char msgs[2048];
static int saved_loglevel;

static void quiet(void)
{
	saved_loglevel = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(msgs, sizeof(msgs));
}

static void loud(void)
{
	printk_capture_stop();
	console_loglevel = saved_loglevel;
}

static struct numa_topology topo;
static struct table srat, slit;

static int parse(unsigned int srat_avail, bool with_slit)
{
	quiet();
	int bad = numa_parse_srat(&topo, srat.b, srat_avail);
	if (with_slit)
		bad += numa_parse_slit(&topo, slit.b, slit.len);
	loud();
	return bad;
}

static void expect_one_node(struct ktest *t)
{
	KTEST_EXPECT_FALSE(t, topo.from_srat);
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 1);
	KTEST_EXPECT_EQ(t, topo.distance[0][0], 10);
	KTEST_EXPECT_EQ(t, numa_topology_cpu_node(&topo, 3), 0);
}

static void test_two_nodes(struct ktest *t)
{
	static const uint8_t d[] = { 10, 21, 21, 10 };
	make_srat(&srat, 2);
	make_slit(&slit, 2, d);
	KTEST_EXPECT_EQ(t, parse(srat.len, true), 0);
	KTEST_EXPECT_STREQ(t, msgs, "");
	KTEST_EXPECT_TRUE(t, topo.from_srat && topo.from_slit);
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 2);
	KTEST_EXPECT_EQ(t, topo.ncpus, 4);
	for (unsigned int n = 0; n < 2; n++) {
		KTEST_EXPECT_EQ(t, topo.nodes[n].ncpus, 2);
		KTEST_EXPECT_EQ(t, topo.nodes[n].mem_bytes, 128 * MiB);
		KTEST_EXPECT_EQ(t, topo.nodes[n].mem_node, n);
	}
	KTEST_EXPECT_EQ(t, numa_topology_cpu_node(&topo, 1), 0);
	KTEST_EXPECT_EQ(t, numa_topology_cpu_node(&topo, 2), 1);
	KTEST_EXPECT_EQ(t, numa_topology_addr_node(&topo, 200 * MiB), 1);
	KTEST_EXPECT_EQ(t, topo.distance[0][1], 21);
	KTEST_EXPECT_EQ(t, topo.distance[1][1], 10);
}

/* Four nodes, distances that differ per pair and per direction. */
static void test_four_nodes_nonuniform_distances(struct ktest *t)
{
	static const uint8_t d[] = { 10, 15, 20, 25, 16, 10, 30, 35,
				     21, 31, 10, 40, 26, 36, 41, 10 };
	make_srat(&srat, 4);
	make_slit(&slit, 4, d);
	KTEST_EXPECT_EQ(t, parse(srat.len, true), 0);
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 4);
	for (unsigned int a = 0; a < 4; a++)
		for (unsigned int b = 0; b < 4; b++)
			KTEST_EXPECT_EQ(t, topo.distance[a][b], d[a * 4 + b]);
}

/* Without a SLIT: 10 local, 20 remote. */
static void test_no_slit_default_distances(struct ktest *t)
{
	make_srat(&srat, 3);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 0);
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 3);
	KTEST_EXPECT_FALSE(t, topo.from_slit);
	KTEST_EXPECT_EQ(t, topo.distance[2][2], 10);
	KTEST_EXPECT_EQ(t, topo.distance[0][2], 20);
}

static void test_bad_checksum(struct ktest *t)
{
	make_srat(&srat, 2);
	srat.b[60] ^= 1;
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 1);
	KTEST_EXPECT_STREQ(t, msgs,
			   "numa: SRAT: bad checksum (bytes sum to 0x01, "
			   "not 0): the SRAT is ignored: one node\n");
	expect_one_node(t);
}

static void test_bad_lengths(struct ktest *t)
{
	make_srat(&srat, 2);
	KTEST_EXPECT_EQ(t, parse(srat.len - 1, false), 1); /* cut short */
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "numa: SRAT: bad length"));
	expect_one_node(t);

	make_srat(&srat, 2);
	srat.b[48 + 16 + 1] = 8; /* the second CPU entry says 8 bytes */
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(msgs,
					 "numa: SRAT: entry type 0 at offset 64 has "
					 "bad length 8 (needs 16"));
	expect_one_node(t);
	KTEST_EXPECT_EQ(t, ktest_count(msgs, "\n"), 1);
}

static void test_slit_disagrees_with_srat(struct ktest *t)
{
	static const uint8_t d[] = { 10, 20, 20, 10 };
	make_srat(&srat, 4);
	make_slit(&slit, 2, d);
	KTEST_EXPECT_EQ(t, parse(srat.len, true), 1);
	KTEST_EXPECT_STREQ(t, msgs,
			   "numa: SLIT: 2 localities, but the SRAT's "
			   "proximity domains run 0..3 (4 nodes): distances "
			   "stay 10 local, 20 remote\n");
	/* The SRAT still stands; the distances are the defaults. */
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 4);
	KTEST_EXPECT_FALSE(t, topo.from_slit);
	KTEST_EXPECT_EQ(t, topo.distance[1][3], 20);

	make_slit(&slit, 2, d);
	slit.len -= 1; /* 47 bytes cannot hold 2 x 2 */
	finish(&slit);
	make_srat(&srat, 2);
	KTEST_EXPECT_EQ(t, parse(srat.len, true), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "numa: SLIT: 2 localities do "
						  "not fill its 47 bytes"));
}

static void test_slit_bad_self_distance(struct ktest *t)
{
	static const uint8_t d[] = { 10, 20, 20, 12 };
	make_srat(&srat, 2);
	make_slit(&slit, 2, d);
	KTEST_EXPECT_EQ(t, parse(srat.len, true), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "numa: SLIT: node 1 is 12 "
						  "from itself, not 10"));
	KTEST_EXPECT_EQ(t, topo.distance[1][1], 10);
}

/* Node 1 has CPUs and no memory: its nearest memory is node 2 (15), not
 * node 0 (30). */
static void test_memoryless_node(struct ktest *t)
{
	static const uint8_t d[] = { 10, 30, 20, 30, 10, 15, 20, 15, 10 };
	begin(&srat, "SRAT", 48);
	srat_cpu(&srat, 0, 0, true);
	srat_cpu(&srat, 1, 1, true);
	srat_cpu(&srat, 2, 2, true);
	srat_mem(&srat, 0, 0, 128 * MiB, 1);
	srat_mem(&srat, 2, 128 * MiB, 64 * MiB, 1);
	finish(&srat);
	make_slit(&slit, 3, d);
	KTEST_EXPECT_EQ(t, parse(srat.len, true), 0);
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 3);
	KTEST_EXPECT_EQ(t, topo.nodes[1].mem_bytes, 0);
	KTEST_EXPECT_EQ(t, topo.nodes[1].ncpus, 1);
	KTEST_EXPECT_EQ(t, topo.nodes[1].mem_node, 2);
	KTEST_EXPECT_EQ(t, topo.nodes[0].mem_node, 0);
	KTEST_EXPECT_EQ(t, topo.nodes[2].mem_node, 2);
}

/* Node 1 has memory and no CPUs; a hot-pluggable range is kept but not
 * counted as memory; disabled entries are skipped. */
static void test_memory_only_node_and_flags(struct ktest *t)
{
	begin(&srat, "SRAT", 48);
	srat_cpu(&srat, 0, 0, true);
	srat_cpu(&srat, 1, 1, false); /* disabled: not there */
	srat_mem(&srat, 0, 0, 128 * MiB, 1);
	srat_mem(&srat, 1, 128 * MiB, 256 * MiB, 1);
	srat_mem(&srat, 1, 1024 * MiB, 512 * MiB, 3); /* hot-pluggable */
	srat_mem(&srat, 3, 4096 * MiB, 512 * MiB, 0); /* disabled */
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 0);
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 2);
	KTEST_EXPECT_EQ(t, topo.ncpus, 1);
	KTEST_EXPECT_EQ(t, topo.nodes[1].ncpus, 0);
	KTEST_EXPECT_EQ(t, topo.nodes[1].nranges, 2);
	KTEST_EXPECT_EQ(t, topo.nodes[1].mem_bytes, 256 * MiB);
	KTEST_EXPECT_EQ(t, topo.nodes[1].mem_node, 1);
	KTEST_EXPECT_TRUE(t, topo.ranges[2].hotplug);
}

/* x2APIC affinity: 32-bit APIC IDs above 255, and sparse domains (5, 9)
 * numbered 0 and 1 in ascending order. */
static void test_x2apic_affinity(struct ktest *t)
{
	begin(&srat, "SRAT", 48);
	srat_x2apic(&srat, 9, 300);
	srat_x2apic(&srat, 5, 0x10002);
	srat_mem(&srat, 9, 0, 64 * MiB, 1);
	srat_mem(&srat, 5, 64 * MiB, 64 * MiB, 1);
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 0);
	KTEST_EXPECT_EQ(t, topo.nr_nodes, 2);
	KTEST_EXPECT_EQ(t, topo.nodes[0].pxm, 5);
	KTEST_EXPECT_EQ(t, numa_topology_cpu_node(&topo, 300), 1);
	KTEST_EXPECT_EQ(t, numa_topology_cpu_node(&topo, 0x10002), 0);
	KTEST_EXPECT_TRUE(t, topo.cpus[0].x2apic);
	KTEST_EXPECT_EQ(t, numa_topology_addr_node(&topo, 0), 1);
}

static void test_overlap_and_conflicts_refused(struct ktest *t)
{
	begin(&srat, "SRAT", 48);
	srat_cpu(&srat, 0, 0, true);
	srat_mem(&srat, 0, 0, 128 * MiB, 1);
	srat_mem(&srat, 1, 64 * MiB, 128 * MiB, 1);
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(msgs, "(domain 0) and 0x4000000-"
					       "0xbffffff (domain 1) overlap"));
	expect_one_node(t);

	begin(&srat, "SRAT", 48);
	srat_cpu(&srat, 0, 7, true);
	srat_x2apic(&srat, 1, 7);
	srat_mem(&srat, 0, 0, 128 * MiB, 1);
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "CPU with APIC ID 7 is in "
						  "proximity domains 0 and 1"));

	begin(&srat, "SRAT", 48);
	for (unsigned int p = 0; p <= NUMA_MAX_NODES; p++)
		srat_mem(&srat, p, p * MiB, MiB, 1);
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "more than 16 proximity "
						  "domains (domain 16)"));
	expect_one_node(t);
}

/* 65 CPUs in the SRAT: 64 kept, the 65th refused by APIC ID. */
static void test_srat_cpu_limit(struct ktest *t)
{
	begin(&srat, "SRAT", 48);
	for (unsigned int i = 0; i <= NUMA_MAX_CPUS; i++)
		srat_cpu(&srat, i & 1, (uint8_t)i, true);
	srat_mem(&srat, 0, 0, 128 * MiB, 1);
	srat_mem(&srat, 1, 128 * MiB, 128 * MiB, 1);
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 0);
	KTEST_EXPECT_EQ(t, topo.ncpus, NUMA_MAX_CPUS);
	KTEST_EXPECT_EQ(t, topo.ncpus_refused, 1);
	KTEST_EXPECT_STREQ(t, msgs,
			   "numa: SRAT: CPU with APIC ID 64 refused: at "
			   "most 64 CPUs (CONFIG_NR_CPUS)\n");
	KTEST_EXPECT_EQ(t, topo.nodes[0].ncpus + topo.nodes[1].ncpus, 64);
}

/* A MADT of `n` local APIC entries (IDs 0..n-1), one x2APIC entry for ID
 * 400, one online-capable CPU and an I/O APIC. */
static void make_madt(struct table *m, unsigned int n)
{
	begin(m, "APIC", 44);
	put_le(m->b + 36, 0xfee00000, 4);
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = m->b + m->len;
		e[0] = 0, e[1] = 8, e[2] = (uint8_t)i, e[3] = (uint8_t)i;
		put_le(e + 4, 1, 4);
		m->len += 8;
	}
	uint8_t *e = m->b + m->len;
	e[0] = 9, e[1] = 16;
	put_le(e + 4, 400, 4);
	put_le(e + 8, 1, 4);
	e[16] = 0, e[17] = 8, e[18] = 250, e[19] = 250;
	put_le(e + 20, 2, 4); /* online-capable, not enabled */
	e[24] = 1, e[25] = 12, e[26] = 0;
	put_le(e + 28, 0xfec00000, 4);
	m->len += 16 + 8 + 12;
	finish(m);
}

static void test_madt_cpu_limit(struct ktest *t)
{
	static struct table madt;
	static struct acpi_info info;

	make_madt(&madt, NUMA_MAX_CPUS - 1); /* 63 + the x2APIC one: 64 */
	memset(&info, 0, sizeof(info));
	quiet();
	unsigned int problems =
	    acpi_parse_madt((const struct acpi_madt *)madt.b, &info);
	loud();
	KTEST_EXPECT_EQ(t, problems, 0);
	KTEST_EXPECT_STREQ(t, msgs, "");
	KTEST_EXPECT_EQ(t, info.ncpus, ACPI_MAX_CPUS);
	KTEST_EXPECT_EQ(t, info.ncpus_refused, 0);
	KTEST_EXPECT_EQ(t, info.ncpus_hotplug, 1);
	KTEST_EXPECT_EQ(t, info.cpus[ACPI_MAX_CPUS - 1].apic_id, 400);
	KTEST_EXPECT_TRUE(t, info.cpus[ACPI_MAX_CPUS - 1].from_x2apic);

	make_madt(&madt, NUMA_MAX_CPUS); /* one more: the x2APIC one is out */
	memset(&info, 0, sizeof(info));
	quiet();
	problems = acpi_parse_madt((const struct acpi_madt *)madt.b, &info);
	loud();
	KTEST_EXPECT_EQ(t, problems, 0);
	KTEST_EXPECT_EQ(t, info.ncpus, ACPI_MAX_CPUS);
	KTEST_EXPECT_EQ(t, info.ncpus_listed, ACPI_MAX_CPUS + 1);
	KTEST_EXPECT_EQ(t, info.ncpus_refused, 1);
	KTEST_EXPECT_STREQ(t, msgs,
			   "acpi: MADT: CPU with APIC ID 400 refused: the "
			   "kernel runs at most 64 CPUs (CONFIG_NR_CPUS)\n");
}

/* The boot log of a good topology, and a CPU list too long for its line
 * cut short with "..." (ASan would see an overrun on the host). */
static void test_print(struct ktest *t)
{
	static const uint8_t d[] = { 10, 21, 21, 10 };
	make_srat(&srat, 2);
	make_slit(&slit, 2, d);
	KTEST_EXPECT_EQ(t, parse(srat.len, true), 0);
	quiet();
	numa_topology_print(&topo);
	loud();
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "numa: node 1 (domain 1): "
						  "128 MiB, 2 CPU(s), APIC IDs "
						  "2-3\n"));
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "numa:   0x0000000008000000-"
						  "0x000000000fffffff 128 "
						  "MiB\n"));
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "numa:   node  1  21  10\n"));

	begin(&srat, "SRAT", 48);
	for (unsigned int i = 0; i < NUMA_MAX_CPUS; i++)
		srat_cpu(&srat, 0, (uint8_t)(2 * i), true); /* 0,2,...,126 */
	srat_mem(&srat, 0, 0, 128 * MiB, 1);
	finish(&srat);
	KTEST_EXPECT_EQ(t, parse(srat.len, false), 0);
	quiet();
	numa_topology_print(&topo);
	loud();
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(msgs, "64 CPU(s), APIC IDs 0,2,4,"));
	KTEST_EXPECT_TRUE(t, ktest_contains(msgs, "...\n"));
}

static void test_single_node_default(struct ktest *t)
{
	numa_topology_single(&topo);
	expect_one_node(t);
	KTEST_EXPECT_EQ(t, topo.nodes[0].mem_node, 0);
}

static const struct ktest_case numa_topology_cases[] = {
	KTEST_CASE(test_two_nodes),
	KTEST_CASE(test_four_nodes_nonuniform_distances),
	KTEST_CASE(test_no_slit_default_distances),
	KTEST_CASE(test_bad_checksum),
	KTEST_CASE(test_bad_lengths),
	KTEST_CASE(test_slit_disagrees_with_srat),
	KTEST_CASE(test_slit_bad_self_distance),
	KTEST_CASE(test_memoryless_node),
	KTEST_CASE(test_memory_only_node_and_flags),
	KTEST_CASE(test_x2apic_affinity),
	KTEST_CASE(test_overlap_and_conflicts_refused),
	KTEST_CASE(test_srat_cpu_limit),
	KTEST_CASE(test_madt_cpu_limit),
	KTEST_CASE(test_print),
	KTEST_CASE(test_single_node_default),
	{ 0 },
};
KTEST_SUITE(numa_topology, numa_topology_cases);
