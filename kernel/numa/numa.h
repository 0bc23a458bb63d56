/*
 * The running kernel's NUMA topology (Linux's names): which node a CPU is
 * on, the nearest node with memory, the distance between nodes. numa_init
 * reads the firmware's SRAT and SLIT into numa_topo (kernel/numa/topology.c
 * does the reading); without them every answer is node 0, distance 10.
 * See docs/11-numa.md.
 */
#ifndef LABYRINTH_KERNEL_NUMA_NUMA_H
#define LABYRINTH_KERNEL_NUMA_NUMA_H

#include "kernel/numa/topology.h"

extern struct numa_topology numa_topo;

/* After acpi_init: reads the SRAT and SLIT and prints the topology. */
void numa_init(void);
/* The node of the CPU with this APIC ID, which becomes CPU `cpu`; one not
 * in the SRAT is named and put on node 0. */
unsigned int numa_node_of_apic(uint32_t apic_id, unsigned int cpu);
/* After smp_boot_aps: prints each node's online CPU numbers. */
void numa_print_cpus(void);

/* Nodes 0..nr_online_nodes()-1 exist. */
unsigned int nr_online_nodes(void);
/* The node of the CPU this runs on (0 without an SRAT). */
unsigned int numa_node_id(void);
/* The node of CPU `cpu` (an online CPU number). */
unsigned int cpu_to_node(unsigned int cpu);
/* The nearest node with memory to this CPU: its own node unless that has
 * none (a memoryless node), then the closest by distance. */
unsigned int numa_mem_id(void);
/* The SLIT's distance from node a to node b (10 local, 20 remote without
 * a SLIT); nodes that do not exist are a bug, answered with 255. */
unsigned int node_distance(unsigned int a, unsigned int b);

#endif
