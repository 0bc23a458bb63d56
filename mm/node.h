/*
 * The machine's memory nodes (NUMA), as the allocator sees them: one
 * pglist_data per node that has memory (Linux's NODE_DATA), each node's
 * fallback order by distance (Linux's node zonelists, node by node), the
 * node a frame belongs to, and alloc_pages_node() with __GFP_THISNODE.
 * With one node (no SRAT) nothing here is on the allocation path.
 * docs/11-numa.md ("The allocator on many nodes").
 */
#ifndef LABYRINTH_MM_NODE_H
#define LABYRINTH_MM_NODE_H

#include "mm/memmap.h"
#include "mm/page_alloc.h"

#define MM_MAX_NODES 16
#define NUMA_NO_NODE (-1)

struct mm_nodes {
	unsigned int nr_nodes;			 /* node ids 0..nr_nodes-1 */
	struct pglist_data *pgdat[MM_MAX_NODES]; /* NULL: no memory */
	/* Node n's requests try order[n][0..nr_order[n]-1]: the nodes with
	 * memory, nearest first (n itself first if it has memory; ties by
	 * node id, as Linux's find_next_best_node). */
	uint8_t order[MM_MAX_NODES][MM_MAX_NODES];
	uint8_t nr_order[MM_MAX_NODES];
	uint8_t distance[MM_MAX_NODES][MM_MAX_NODES];
};

extern struct mm_nodes mm_nodes;

static inline struct pglist_data *NODE_DATA(int nid)
{
	return mm_nodes.pgdat[nid];
}

/* More than one node registered: the allocation entry points go through
 * alloc_pages_node() and frees through pfn_to_pgdat(). */
static inline bool mm_numa_on(void)
{
	return mm_nodes.nr_nodes > 1;
}

/* Registers nr nodes: pgdat[n] (NULL for a node without memory, whose
 * requests go to the nearest one that has some) and the distances (10 to
 * itself). Each pgdat's node_id becomes n. Builds the fallback orders.
 * Returns 0, or -1 after a one-line message naming the fault (too many
 * nodes, no memory anywhere, a distance that is not 10 to itself). */
int mm_nodes_setup(unsigned int nr, struct pglist_data *const pgdat[],
		   const uint8_t distance[][MM_MAX_NODES]);
/* Forgets the nodes (host tests): one node again. */
void mm_nodes_reset(void);

/* Calls fn for every node with memory: the kernel's node alone when there
 * is one node (boot, the shell's dumps, the per-node threads). */
void for_each_memory_node(void (*fn)(struct pglist_data *p));

/* The node holding frame pfn, or NULL if none has it. */
struct pglist_data *pfn_to_pgdat(uint64_t pfn);

/* The kernel's node for a free of phys: its one node, or the node holding
 * it; the first node (which reports the bad free) if none does. */
static inline struct pglist_data *kernel_node_of(uint64_t phys)
{
	if (__builtin_expect(!mm_numa_on(), 1))
		return &contig_page_data;
	struct pglist_data *p = pfn_to_pgdat(phys >> PAGE_SHIFT);
	return p ? p : &contig_page_data;
}

/*
 * 2^order pages for a request made on node nid (NUMA_NO_NODE: this CPU's
 * node), in Linux's order: every node of nid's fallback order while it
 * stays above `low`; then each node down to its own limit for the request
 * without sleeping (min, or the reserves GFP_ATOMIC may use), waking its
 * kswapd; then, if the request may sleep, reclaim and compaction node by
 * node. __GFP_THISNODE: nid alone, never another. Counts numa_hit,
 * numa_miss, numa_foreign, local_node and other_node as Linux does.
 */
uint64_t __alloc_pages_node(int nid, gfp_t gfp, unsigned int order,
			    void *caller);
uint64_t alloc_pages_node(int nid, gfp_t gfp, unsigned int order);

/* ---------------------------------------------------------------- boot
 * (mm/node_init.c) */

struct mm_node_range {
	uint64_t start, end; /* [start, end) */
	unsigned int node;
};

/* Before mm_init(): the firmware's nodes, their memory ranges and the
 * distances. With more than one node, mm_init() gives each node with
 * memory its own pglist_data. 0, or -1 after a message (one node then). */
int mm_set_boot_nodes(unsigned int nr_nodes, const struct mm_node_range *r,
		      unsigned int nr, const uint8_t distance[][MM_MAX_NODES]);
unsigned int mm_boot_nodes(void);
/* The pieces of in[] on node nid (memory in no node's range is home's),
 * page-aligned inward, in order; returns how many (at most max). */
unsigned int mm_node_split(const struct memmap_range *in, unsigned int n_in,
			   unsigned int nid, unsigned int home,
			   struct memmap_range *out, unsigned int max);
/* mm_init()'s work on several nodes: `all` split node by node, the node
 * of the lowest memory into contig_page_data and first, settings(p) for
 * each, the watermarks shared out, mm_nodes_setup. 0 or pgdat_init's
 * error for the first node. */
int mm_init_nodes(const struct pgdat_config *all,
		  void (*settings)(struct pglist_data *));

#endif
