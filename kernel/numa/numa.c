/*
 * The kernel's side of the topology: find the SRAT and SLIT among the
 * tables acpi.c checked, have topology.c read them, print what they say,
 * and answer numa_node_id() and friends for the running CPUs (each struct
 * cpu carries its node, set at bring-up). See docs/11-numa.md.
 */
#include "kernel/numa/numa.h"
#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/debug/bug.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

struct numa_topology numa_topo = {
	.nr_nodes = 1,
	.distance = { { NUMA_LOCAL_DISTANCE } },
};

/* Listed in the XSDT/RSDT but refused by acpi_table_ok (it said why). */
static bool listed_but_bad(const char *sig)
{
	for (unsigned int i = 0; i < acpi.ntables; i++)
		if (!acpi.tables[i].valid &&
		    memcmp(acpi.tables[i].signature, sig, 4) == 0)
			return true;
	return false;
}

/* The boot CPU's APIC ID before its local APIC is set up: CPUID leaf 0xb
 * has the whole x2APIC ID where it exists, leaf 1 the 8-bit xAPIC one. */
static uint32_t boot_apic_id(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	if (r[0] >= 0xb) {
		cpuid(0xb, 0, r);
		if (r[1]) /* EBX 0: the leaf is not implemented */
			return r[3];
	}
	cpuid(1, 0, r);
	return r[1] >> 24;
}

void numa_init(void)
{
	const struct acpi_table_header *srat = acpi_find_table(&acpi, "SRAT");
	const struct acpi_table_header *slit = acpi_find_table(&acpi, "SLIT");

	numa_topology_single(&numa_topo);
	if (srat)
		numa_parse_srat(&numa_topo, srat, srat->length);
	else if (listed_but_bad("SRAT"))
		pr_err("numa: the SRAT is unusable (said above): one node\n");
	if (slit)
		numa_parse_slit(&numa_topo, slit, slit->length);
	else if (listed_but_bad("SLIT"))
		pr_err(
		    "numa: the SLIT is unusable (said above): distances stay 10 local, 20 remote\n");
	numa_topology_print(&numa_topo);
	/* numa_node_id() is right on the boot CPU from here on, before the
	 * allocator is set up (smp_boot_aps sets it for each AP). */
	cpus[0].node = numa_node_of_apic(boot_apic_id(), 0);
}

unsigned int numa_node_of_apic(uint32_t apic_id, unsigned int cpu)
{
	if (!numa_topo.from_srat)
		return 0;
	for (unsigned int i = 0; i < numa_topo.ncpus; i++)
		if (numa_topo.cpus[i].apic_id == apic_id)
			return numa_topo.cpus[i].node;
	pr_warn("numa: CPU %u (APIC ID %u) is not in the SRAT: node 0\n", cpu,
		apic_id);
	return 0;
}

void numa_print_cpus(void)
{
	char line[160];
	for (unsigned int node = 0; node < numa_topo.nr_nodes; node++) {
		size_t n = 0;
		unsigned int count = 0;
		line[0] = '\0';
		for (unsigned int c = 0; c < MAX_CPUS && n < sizeof(line);
		     c++) {
			if (!cpus[c].online || cpus[c].node != node)
				continue;
			unsigned int last = c;
			while (last + 1 < MAX_CPUS && cpus[last + 1].online &&
			       cpus[last + 1].node == node)
				last++;
			count += last - c + 1;
			if (last > c)
				n +=
				    ksnprintf(line + n, sizeof(line) - n,
					      "%s%u-%u", n ? "," : "", c, last);
			else
				n += ksnprintf(line + n, sizeof(line) - n,
					       "%s%u", n ? "," : "", c);
			c = last;
		}
		if (n >= sizeof(line))
			memcpy(line + sizeof(line) - 4, "...", 4);
		pr_info("numa: node %u: %u CPU(s) online%s%s\n", node, count,
			count ? ": " : "", line);
	}
}

unsigned int nr_online_nodes(void)
{
	return numa_topo.nr_nodes;
}

unsigned int numa_node_id(void)
{
	return this_cpu()->node;
}

unsigned int cpu_to_node(unsigned int cpu)
{
	if (WARN_ON_ONCE(cpu >= MAX_CPUS))
		return 0;
	return cpus[cpu].node;
}

unsigned int numa_mem_id(void)
{
	return numa_topo.nodes[numa_node_id()].mem_node;
}

unsigned int node_distance(unsigned int a, unsigned int b)
{
	if (WARN_ON_ONCE(a >= numa_topo.nr_nodes || b >= numa_topo.nr_nodes))
		return NUMA_UNREACHABLE;
	return numa_topo.distance[a][b];
}
