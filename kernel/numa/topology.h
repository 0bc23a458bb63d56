/*
 * The NUMA topology as the firmware describes it: nodes, the physical
 * memory ranges and CPUs (APIC IDs) each node holds, and the distance
 * between any two nodes. Filled from the ACPI SRAT and SLIT by
 * topology.c, which reads only the buffers it is handed, so the host tests
 * feed it synthetic tables. Without an SRAT (or with a bad one) the machine
 * is one node at distance 10 from itself. See docs/11-numa.md.
 */
#ifndef LABYRINTH_KERNEL_NUMA_TOPOLOGY_H
#define LABYRINTH_KERNEL_NUMA_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/config.h"

#define NUMA_MAX_NODES CONFIG_NR_NODES
#define NUMA_MAX_RANGES 64 /* SRAT memory ranges, all nodes together */
#define NUMA_MAX_CPUS CONFIG_NR_CPUS
/* ACPI's distances (SLIT): a node to itself, and to another without one. */
#define NUMA_LOCAL_DISTANCE 10
#define NUMA_REMOTE_DISTANCE 20
#define NUMA_UNREACHABLE 255 /* a SLIT entry of 255: no path */

struct numa_range {
	uint64_t start, end; /* [start, end) */
	uint32_t pxm;	     /* the SRAT's proximity domain */
	uint8_t node;
	bool hotplug; /* hot-pluggable: may be empty until memory is added */
};

struct numa_cpu {
	uint32_t apic_id;
	uint32_t pxm;
	uint8_t node;
	bool x2apic; /* from an x2APIC affinity entry (ID may be > 255) */
};

struct numa_node {
	uint32_t pxm;	    /* proximity domain this node stands for */
	uint64_t mem_bytes; /* in its ranges that are not hot-pluggable */
	unsigned int nranges, ncpus;
	uint8_t mem_node; /* itself if it has memory, else the nearest one */
};

struct numa_topology {
	bool from_srat; /* false: one node, the default */
	bool from_slit; /* false: 10 local, 20 remote */
	unsigned int nr_nodes;
	struct numa_node nodes[NUMA_MAX_NODES];
	unsigned int nranges;
	struct numa_range ranges[NUMA_MAX_RANGES];
	unsigned int ncpus;
	struct numa_cpu cpus[NUMA_MAX_CPUS];
	unsigned int ncpus_refused; /* enabled CPU entries beyond the limit */
	uint8_t distance[NUMA_MAX_NODES][NUMA_MAX_NODES];
};

/* One node, everything on it, distance 10 to itself. */
void numa_topology_single(struct numa_topology *t);

/*
 * Reads an SRAT of which `avail` bytes may be read, checking its signature,
 * length and checksum, every entry's length, and the model it gives (node
 * count, overlapping ranges, a CPU in two nodes, some node with memory).
 * A fault is reported in one line naming the table and the fault, and
 * leaves one node. Returns 0, or 1 for a table refused.
 */
int numa_parse_srat(struct numa_topology *t, const void *srat, uint32_t avail);

/*
 * Reads a SLIT the same way, after the SRAT: its locality count must be
 * the SRAT's proximity domain count, each node 10 from itself and further
 * from the others. A fault is reported and the default distances stay.
 * Returns 0, or 1 for a table refused.
 */
int numa_parse_slit(struct numa_topology *t, const void *slit, uint32_t avail);

/* The node of the CPU with this APIC ID (0 if the SRAT does not place it). */
unsigned int numa_topology_cpu_node(const struct numa_topology *t,
				    uint32_t apic_id);
/* The node of a physical address (0 if no range holds it). */
unsigned int numa_topology_addr_node(const struct numa_topology *t,
				     uint64_t phys);

/* Prints the nodes, their ranges and sizes, APIC IDs and the distances. */
void numa_topology_print(const struct numa_topology *t);

#endif
