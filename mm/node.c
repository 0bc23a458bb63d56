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
		/* Only a node itself is 10 away: __GFP_THISNODE relies on
		 * each node coming first in its own order. */
		for (unsigned int b = 0; b < nr; b++)
			if (b != a && distance[a][b] <= 10) {
				pr_err("numa: nodes %u and %u are %u apart, as near as a node to itself; one node\n",
				       a, b, distance[a][b]);
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
		uint64_t free =
		    __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
		/* Highatomic pageblocks are for __GFP_HIGH requests only (as
		 * Linux's __zone_watermark_ok counts them): a node whose free
		 * pages are all there is not above low for the others. */
		uint64_t reserved = __atomic_load_n(&z->nr_reserved_highatomic,
						    __ATOMIC_RELAXED);
		if (!(gfp & __GFP_HIGH))
			free = free > reserved ? free - reserved : 0;
		if (z->managed_pages &&
		    zone_watermark_ok(z, order, z->watermark[WMARK_LOW],
				      highest, ALLOC_WMARK_LOW, free))
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
	/* Bad input is refused once, by name, not once per node. */
	if (alloc_request_bad(each, order))
		return __alloc_pages(NODE_DATA(preferred), each, order, caller);
	uint64_t phys = 0;
	struct pglist_data *p = NULL;
	bool sleeps = each & __GFP_DIRECT_RECLAIM, nofail = each & __GFP_NOFAIL;
	/* The passes that must not stay on one node: no sleeping, no
	 * reclaim, no report, never __GFP_NOFAIL's endless wait. */
	gfp_t nowait =
	    (each & ~(__GFP_DIRECT_RECLAIM | __GFP_NOFAIL)) | __GFP_NOWARN;

	/* 1. Above `low`, nearest first: the node's fast path only (a node
	 * whose check passed but that fails anyway, its free pages being
	 * highatomic, say, is passed by; kswapd is not woken yet). */
	for (unsigned int i = 0; i < n && !phys; i++) {
		p = NODE_DATA(order_of[i]);
		if (node_above_low(p, each, order))
			phys = __alloc_pages(p, nowait & ~__GFP_KSWAPD_RECLAIM,
					     order, caller);
	}
	/* 2. Each node as far as the request may go without sleeping (min,
	 * or the reserves __GFP_HIGH may use); its kswapd is woken. */
	for (unsigned int i = 0; i < n && !phys; i++) {
		p = NODE_DATA(order_of[i]);
		phys = __alloc_pages(p, nowait, order, caller);
	}
	/* 3. A request that may sleep: one round of reclaim and compaction
	 * on each node, nearest first; then the preferred node with all the
	 * patience the request has, and every node once more after it. A
	 * __GFP_NOFAIL request goes round again for as long as it takes,
	 * so that frees on any node can end it. */
	for (unsigned int i = 0; sleeps && i < n && !phys; i++) {
		p = NODE_DATA(order_of[i]);
		phys = __alloc_pages(p,
				     (each & ~__GFP_NOFAIL) | __GFP_NORETRY |
					 __GFP_NOWARN,
				     order, caller);
	}
	while (sleeps && !phys) {
		p = NODE_DATA(preferred);
		phys = __alloc_pages(p, (each & ~__GFP_NOFAIL) | __GFP_NOWARN,
				     order, caller);
		for (unsigned int i = 0; i < n && !phys; i++) {
			p = NODE_DATA(order_of[i]);
			phys = __alloc_pages(p, nowait, order, caller);
		}
		if (!nofail || !mm_can_wait(NODE_DATA(preferred)))
			break;
	}
	/* Nothing anywhere: the preferred node says so (unless asked not
	 * to), in the words of the one-node allocator. */
	if (!phys && !(gfp & __GFP_NOWARN)) {
		p = NODE_DATA(preferred);
		phys = __alloc_pages(p, nowait & ~__GFP_NOWARN, order, caller);
	}
	if (phys)
		count_numa(p, preferred);
	return phys;
}

uint64_t alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	return __alloc_pages_node(nid, gfp, order, __builtin_return_address(0));
}
