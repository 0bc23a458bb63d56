/*
 * Per-CPU page caches, the cold half (mm/pcp.c has the hot paths): sizing
 * them (batch and high), taking their pages from the node, counting what
 * they hold, and draining every CPU's before an allocation gives up.
 * docs/05-smp-and-per-cpu-lists.md explains them.
 */
#include "mm/internal.h"
#include "mm/pcp.h"
#include "mm/node.h"
#include "mm/debug_pagealloc.h"
#include "mm/platform.h"
#include "kernel/lib/printk.h"

/*
 * batch and high, as Linux derives them: batch is about a quarter of a
 * thousandth of the zone (at most 64 frames' worth of 1 MiB / 4), rounded
 * to 2^n - 1 so that consecutive batches do not line up on buddy
 * boundaries; high keeps at most a share of the low watermark parked per
 * CPU, but never less than four batches, and leaves a batch of room in
 * the slots (a refill may come on top of high: pcp_refill). Where a group
 * and a batch per CPU are at most 1/64 of the zone, refills take whole
 * groups (PCP_GROUP_PAGES, mm/mmzone.h) and high keeps room for one
 * (past 4 batches that needs no room of its own, at 1 GiB): otherwise
 * two CPUs refilled one after the other get neighbouring frames, whose
 * state bytes share a cache line (docs/08c, "Two CPUs, one cache line").
 * Where groups are taken, batch is the largest (63) and twelve batches per
 * CPU are at most 1/256 of the zone, high is twelve batches: room for a
 * few groups of each cached order, which is what caching order 4 needs
 * (docs/08c, "Order 4 too"). Smaller zones keep the sizes they had.
 */
static bool pcp_groups_fit(const struct zone *z, unsigned int nr_cpus,
			   uint64_t batch)
{
	return (uint64_t)(nr_cpus ? nr_cpus : 1) * (PCP_GROUP_PAGES + batch) <=
	       z->managed_pages / 64;
}

static void pcp_sizes(const struct zone *z, unsigned int nr_cpus,
		      unsigned int *batch, unsigned int *high, bool *group)
{
	uint64_t b = z->managed_pages / 1024;
	if (b * PAGE_SIZE > (1UL << 20))
		b = (1UL << 20) / PAGE_SIZE;
	b /= 4;
	if (b < 1)
		b = 1;
	uint64_t p2 = 1;
	while (p2 * 2 <= b + b / 2)
		p2 *= 2;
	b = p2 > 1 ? p2 - 1 : 1;
	uint64_t h = z->watermark[WMARK_LOW] / (nr_cpus ? nr_cpus : 1);
	if (h > 6 * b)
		h = 6 * b;
	if (h < 4 * b)
		h = 4 * b;
	*group = pcp_groups_fit(z, nr_cpus, b);
	if (*group && h < PCP_GROUP_PAGES + b)
		h = PCP_GROUP_PAGES + b;
	uint64_t roomy = PCP_HIGH_BATCHES * b;
	if (*group && roomy >= PCP_ORDER4_HIGH && h < roomy &&
	    (uint64_t)(nr_cpus ? nr_cpus : 1) * roomy <= z->managed_pages / 256)
		h = roomy;
	if (h > PCP_SLOTS - 1 - b)
		h = PCP_SLOTS - 1 - b;
	*batch = (unsigned int)b;
	*high = (unsigned int)h;
}
_Static_assert(PCP_HIGH_BATCHES * 63 <= PCP_SLOTS - 1 - 63,
	       "twelve of the largest batches fit below high's cap");
_Static_assert(PCP_GROUP_PAGES + 63 <= PCP_SLOTS - 1 - 63,
	       "a group and the largest batch fit below high's cap");

void pcp_set_sizes(struct per_cpu_pages *pcp, unsigned int batch,
		   unsigned int high, bool group)
{
	BUG_ON(pcp->count); /* sized only while empty */
	pcp->batch = (uint16_t)batch;
	pcp->high = (uint16_t)high;
	pcp->group_refill = group;
	pcp->cached_orders = 1; /* single frames */
	for (unsigned int o = 1; o < PCP_MAX_ORDER; o++)
		if ((batch >> o) >= PCP_BLOCKS_MIN)
			pcp->cached_orders |= (uint8_t)(1u << o);
	if (high >= PCP_ORDER4_HIGH)
		pcp->cached_orders |= 1u << PCP_MAX_ORDER;
}

uint8_t pgdat_pcp_zone_block_orders(const struct pglist_data *p)
{
	unsigned int orders = 0;
	for (int zi = 0; p->pcp_enabled && zi < MAX_NR_ZONES; zi++)
		if (p->node_zones[zi].pcp)
			orders |= p->node_zones[zi].pcp[0].cached_orders;
	return (uint8_t)(orders & ~1u);
}

void pgdat_pcp_orders_update(struct pglist_data *p)
{
	__atomic_store_n(&p->pcp_block_orders, pgdat_pcp_zone_block_orders(p),
			 __ATOMIC_RELEASE);
}

void pgdat_pcp_switch(struct pglist_data *p, bool on)
{
	if (!p->pcp_nr_cpus)
		return; /* caches never came on (debug_pagealloc, sparse) */
	if (!on) {
		/* Blocks stop coming first, so none is parked after the
		 * drain; single frames as before: the caller keeps this
		 * node quiet while it switches (the target bench). */
		__atomic_store_n(&p->pcp_block_orders, 0, __ATOMIC_RELEASE);
		drain_all_pages(p);
	}
	__atomic_store_n(&p->pcp_enabled, on, __ATOMIC_RELEASE);
	pgdat_pcp_orders_update(p);
}

/* Which zones keep caches: tiny ones (DMA) gain nothing, and a slot holds
 * 32 bits of frame number from the zone's first frame. */
static bool zone_wants_pcp(const struct zone *z)
{
	return z->managed_pages >= 1024 && z->spanned_pages < (1ULL << 32);
}

/* Zone z's caches: one struct per CPU, from the node's own memory (Linux
 * takes its per-CPU areas from the page allocator too). false, with a
 * message, if memory is short. */
static bool zone_pcp_storage(struct pglist_data *p, struct zone *z,
			     unsigned int nr_cpus)
{
	uint64_t bytes = (uint64_t)nr_cpus * sizeof(struct per_cpu_pages);
	uint64_t phys =
	    pgdat_alloc_pages_exact(p, bytes, GFP_KERNEL | __GFP_ZERO,
				    __builtin_return_address(0));
	if (!phys) {
		pr_warn("pcp: node %d: no %llu kB for zone %s's per-CPU caches: caches off\n",
			p->node_id, (unsigned long long)(bytes >> 10), z->name);
		return false;
	}
	z->pcp = pgdat_phys_to_virt(p, phys);
	p->pcp_storage_pages += bytes / PAGE_SIZE;
	return true;
}

/* Caches for every zone that keeps them, sized by the CPUs present, not
 * by MM_MAX_CPUS. A node enabled again keeps its pages and gets new
 * sizes. Returns false if memory is short. */
static bool pcp_storage_alloc(struct pglist_data *p, unsigned int nr_cpus)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		if (!z->pcp && zone_wants_pcp(z) &&
		    !zone_pcp_storage(p, z, nr_cpus))
			return false;
	}
	return true;
}

void pgdat_pcp_enable(struct pglist_data *p, unsigned int nr_cpus)
{
	if (nr_cpus > MM_MAX_CPUS)
		nr_cpus = MM_MAX_CPUS;
	if (nr_cpus == 0)
		nr_cpus = 1;
	/* The fast paths find frames' sections by the direct map alone
	 * (pfn_to_section_mapped): a node too sparse for one keeps its
	 * caches off and takes every request to the zone. */
	if (!p->section_map_nr) {
		pr_info("pcp: node %d too sparse for a section map: per-CPU lists off\n",
			p->node_id);
		return;
	}
	/* Enabled before: the pages stay as they were sized (CPUs never
	 * come later here), only batch and high are set again. */
	if (p->pcp_nr_cpus && nr_cpus > p->pcp_nr_cpus)
		nr_cpus = p->pcp_nr_cpus;
	if (!p->pcp_nr_cpus && !pcp_storage_alloc(p, nr_cpus))
		return;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		if (!z->pcp)
			continue;
		unsigned int batch, high;
		bool group;
		pcp_sizes(z, nr_cpus, &batch, &high, &group);
		for (unsigned int c = 0; c < nr_cpus; c++) {
			struct per_cpu_pages *pcp = &z->pcp[c];
			pcp->base_pfn = z->window_start_pfn;
			pcp_set_sizes(pcp, batch, high, group);
		}
	}
	p->pcp_nr_cpus = nr_cpus;
	__atomic_store_n(&p->pcp_enabled, true, __ATOMIC_RELEASE);
	pgdat_pcp_orders_update(p);
}

int pgdat_pcp_resize(struct pglist_data *p, int zi, unsigned int batch,
		     unsigned int high)
{
	struct zone *z = &p->node_zones[zi];
	if (!p->pcp_enabled || !batch || high + batch + 1 > PCP_SLOTS ||
	    z->spanned_pages >= (1ULL << 32)) {
		pr_warn("pcp: zone %s: batch %u high %u refused (caches %s, %u slots)\n",
			z->name, batch, high, p->pcp_enabled ? "on" : "off",
			PCP_SLOTS);
		return -1;
	}
	if (!z->pcp && !zone_pcp_storage(p, z, p->pcp_nr_cpus))
		return -1;
	for (unsigned int c = 0; c < p->pcp_nr_cpus; c++) {
		z->pcp[c].base_pfn = z->window_start_pfn;
		/* Groups where the zone is big enough for them (as in
		 * pcp_sizes) and high keeps room for one and a batch. */
		pcp_set_sizes(&z->pcp[c], batch, high,
			      pcp_groups_fit(z, p->pcp_nr_cpus, batch) &&
				  high >= PCP_GROUP_PAGES + batch);
	}
	pgdat_pcp_orders_update(p);
	return 0;
}

static void drain_on_this_cpu(void *arg)
{
	pcp_drain_local(arg);
}

uint64_t pcp_parked_pages(const struct pglist_data *p)
{
	uint64_t n = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &p->node_zones[zi];
		for (unsigned int c = 0; z->pcp && c < p->pcp_nr_cpus; c++)
			n +=
			    __atomic_load_n(&z->pcp[c].count, __ATOMIC_RELAXED);
	}
	return n;
}

void mm_pcp_enable(unsigned int nr_cpus)
{
	struct pglist_data *p = &contig_page_data;
	/* debug_pagealloc wants every free frame out of the direct map at
	 * once; a frame parked on a list stays mapped. Lists stay off. */
	if (debug_pagealloc_on(p)) {
		pr_info("pcp: per-CPU page lists off (debug_pagealloc=on)\n");
		return;
	}
	pgdat_pcp_enable(p, nr_cpus);
	/* The other nodes' lists, when there are several (mm/node.h). */
	for (unsigned int nid = 0; nid < mm_nodes.nr_nodes; nid++)
		if (NODE_DATA(nid) && NODE_DATA(nid) != p)
			pgdat_pcp_enable(NODE_DATA(nid), nr_cpus);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &p->node_zones[zi];
		if (!z->pcp)
			continue;
		unsigned int top = 0; /* the cached orders are 0 .. top */
		while (top < PCP_MAX_ORDER && pcp_caches_order(z->pcp, top + 1))
			top++;
		pr_info("pcp: zone %-6s batch %u high %u per CPU, refills of %u, orders 0-%u (%u CPUs, low watermark %llu)\n",
			z->name, z->pcp[0].batch, z->pcp[0].high,
			z->pcp[0].group_refill ? PCP_GROUP_PAGES
					       : z->pcp[0].batch,
			top, p->pcp_nr_cpus,
			(unsigned long long)z->watermark[WMARK_LOW]);
	}
	if (p->pcp_enabled)
		pr_info("pcp: caches take %llu kB on node %d (%u per CPU and zone)\n",
			(unsigned long long)(p->pcp_storage_pages * PAGE_SIZE >>
					     10),
			p->node_id, (unsigned)sizeof(struct per_cpu_pages));
}

/* Only CPUs with something parked get an IPI (Linux does the same): on a
 * busy machine an IPI costs the caller a wait for every target. */
static bool cpu_has_parked_pages(unsigned int cpu, void *arg)
{
	const struct pglist_data *p = arg;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct per_cpu_pages *pcp =
		    zone_pcp(&p->node_zones[zi], cpu);
		if (pcp && __atomic_load_n(&pcp->count, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

void drain_all_pages(struct pglist_data *p)
{
	if (!p->pcp_enabled)
		return;
	/* This CPU's first, here, a chunk per interrupts-off stretch (the
	 * IPI's function runs with them off throughout). Other CPUs drain
	 * their own lists when asked (an IPI, each one stretch); that needs
	 * a caller that may wait for them. */
	pcp_drain_local(p);
	if (may_sleep())
		mm_run_on_each_cpu_cond(cpu_has_parked_pages, drain_on_this_cpu,
					p);
}
