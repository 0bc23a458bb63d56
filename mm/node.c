/*
 * The allocator across memory nodes (mm/node.h): the fallback order of
 * each node, the node of a frame, and alloc_pages_node's passes over the
 * nodes. docs/11-numa.md ("The allocator on many nodes").
 */
#include "mm/node.h"

#include "mm/internal.h"
#include "kernel/lib/printk.h"

struct mm_nodes mm_nodes;

int mm_nodes_setup(unsigned int nr, struct pglist_data *const pgdat[],
		   const uint8_t distance[][MM_MAX_NODES])
{
	bool any = false;
	if (nr == 0 || nr > MM_MAX_NODES) {
		pr_err("numa: %u nodes: the allocator takes 1 to %u; one node\n",
		       nr, MM_MAX_NODES);
		return -1;
	}
	for (unsigned int a = 0; a < nr; a++) {
		any |= pgdat[a] != NULL;
		if (distance[a][a] != 10) {
			pr_err("numa: node %u is %u from itself, not 10; one node\n",
			       a, distance[a][a]);
			return -1;
		}
	}
	if (!any) {
		pr_err("numa: no node has memory; one node\n");
		return -1;
	}
	struct mm_nodes n = { .nr_nodes = nr };
	for (unsigned int a = 0; a < nr; a++) {
		n.pgdat[a] = pgdat[a];
		if (pgdat[a])
			pgdat[a]->node_id = (int)a;
		for (unsigned int b = 0; b < nr; b++)
			n.distance[a][b] = distance[a][b];
		/* Selection by distance, then node id: n itself (10) first. */
		bool used[MM_MAX_NODES] = { false };
		for (unsigned int k = 0; k < nr; k++) {
			int best = -1;
			for (unsigned int b = 0; b < nr; b++)
				if (pgdat[b] && !used[b] &&
				    (best < 0 ||
				     distance[a][b] < distance[a][best]))
					best = (int)b;
			if (best < 0)
				break;
			used[best] = true;
			n.order[a][n.nr_order[a]++] = (uint8_t)best;
		}
	}
	mm_nodes = n;
	return 0;
}

void mm_nodes_reset(void)
{
	struct mm_nodes none = { 0 };
	mm_nodes = none;
}

void for_each_memory_node(void (*fn)(struct pglist_data *p))
{
	if (!mm_numa_on()) {
		fn(&contig_page_data);
		return;
	}
	for (unsigned int nid = 0; nid < mm_nodes.nr_nodes; nid++)
		if (NODE_DATA(nid))
			fn(NODE_DATA(nid));
}

struct pglist_data *pfn_to_pgdat(uint64_t pfn)
{
	for (unsigned int n = 0; n < mm_nodes.nr_nodes; n++) {
		struct pglist_data *p = mm_nodes.pgdat[n];
		if (p && pfn_state(p, pfn))
			return p;
	}
	return NULL;
}

/* May the request be served on p without going below `low` anywhere it
 * looks (the fast path's rule, asked before the node is tried)? */
static bool node_above_low(struct pglist_data *p, gfp_t gfp, unsigned int order)
{
	int highest = gfp_zone(gfp);
	for (int zi = highest; zi >= 0; zi--) {
		const struct zone *z = &p->node_zones[zi];
		if (z->managed_pages &&
		    zone_watermark_ok(z, order, z->watermark[WMARK_LOW],
				      highest, ALLOC_WMARK_LOW,
				      __atomic_load_n(&z->free_pages,
						      __ATOMIC_RELAXED)))
			return true;
	}
	return false;
}

static void count_numa(struct pglist_data *got, int preferred)
{
	struct pglist_data *want = NODE_DATA(preferred);
	if (got == want) {
		__atomic_fetch_add(&got->numa.numa_hit, 1, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(&got->numa.numa_miss, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&want->numa.numa_foreign, 1,
				   __ATOMIC_RELAXED);
	}
	if (got->node_id == (int)mm_numa_node_id())
		__atomic_fetch_add(&got->numa.local_node, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&got->numa.other_node, 1, __ATOMIC_RELAXED);
}

uint64_t __alloc_pages_node(int nid, gfp_t gfp, unsigned int order,
			    void *caller)
{
	if (nid == NUMA_NO_NODE)
		nid = (int)mm_numa_node_id();
	if (nid < 0 || (unsigned int)nid >= mm_nodes.nr_nodes) {
		pr_err("page_alloc: alloc_pages_node refused: no node %d (%u online), caller %p\n",
		       nid, mm_nodes.nr_nodes, caller);
		return 0;
	}
	const uint8_t *order_of = mm_nodes.order[nid];
	unsigned int n = mm_nodes.nr_order[nid];
	if (gfp & __GFP_THISNODE) {
		if (!NODE_DATA(nid))
			return 0; /* a node without memory has none to give */
		n = 1;		  /* order_of[0] is nid itself */
	}
	gfp_t each = gfp & ~__GFP_THISNODE;
	int preferred = order_of[0];
	uint64_t phys = 0;
	struct pglist_data *p = NULL;

	/* 1. Above `low`, nearest first. */
	for (unsigned int i = 0; i < n && !phys; i++) {
		p = NODE_DATA(order_of[i]);
		if (node_above_low(p, each, order))
			phys = __alloc_pages(p, each, order, caller);
	}
	/* 2. Each node as far as the request may go without sleeping; its
	 * kswapd is woken. Only the last try may report a failure. */
	gfp_t nowait = each & ~(__GFP_DIRECT_RECLAIM | __GFP_NOFAIL);
	bool sleeps = each & __GFP_DIRECT_RECLAIM;
	for (unsigned int i = 0; i < n && !phys; i++) {
		p = NODE_DATA(order_of[i]);
		bool last = !sleeps && i + 1 == n;
		phys = __alloc_pages(p, last ? nowait : nowait | __GFP_NOWARN,
				     order, caller);
	}
	/* 3. Reclaim, compaction and waiting, node by node. */
	for (unsigned int i = 0; sleeps && i < n && !phys; i++) {
		p = NODE_DATA(order_of[i]);
		phys = __alloc_pages(p, i + 1 == n ? each : each | __GFP_NOWARN,
				     order, caller);
	}
	if (phys)
		count_numa(p, preferred);
	return phys;
}

uint64_t alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	return __alloc_pages_node(nid, gfp, order, __builtin_return_address(0));
}
