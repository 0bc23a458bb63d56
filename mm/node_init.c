/*
 * Boot on several memory nodes: the firmware's node ranges (the kernel
 * reads the SRAT and hands them over with mm_set_boot_nodes) split the
 * usable memory, and each node with memory gets its own pglist_data, its
 * metadata carved from its own RAM, and its share of the watermarks.
 * docs/11-numa.md ("The allocator on many nodes").
 */
#include "mm/node.h"

#include "mm/internal.h"
#include "mm/memmap.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

#define BOOT_NODE_RANGES 64

static struct {
	unsigned int nr_nodes, nr_ranges;
	struct mm_node_range range[BOOT_NODE_RANGES];
	uint8_t distance[MM_MAX_NODES][MM_MAX_NODES];
} boot_nodes;

int mm_set_boot_nodes(unsigned int nr_nodes, const struct mm_node_range *r,
		      unsigned int nr, const uint8_t distance[][MM_MAX_NODES])
{
	if (nr_nodes > MM_MAX_NODES || nr > BOOT_NODE_RANGES) {
		pr_err("numa: %u nodes, %u ranges: more than the allocator takes (%u, %u); one node\n",
		       nr_nodes, nr, MM_MAX_NODES, BOOT_NODE_RANGES);
		return -1;
	}
	for (unsigned int i = 0; i < nr; i++)
		if (r[i].node >= nr_nodes || r[i].start >= r[i].end) {
			pr_err("numa: range %u [0x%llx-0x%llx) of node %u makes no sense; one node\n",
			       i, (unsigned long long)r[i].start,
			       (unsigned long long)r[i].end, r[i].node);
			return -1;
		}
	boot_nodes.nr_nodes = nr_nodes;
	boot_nodes.nr_ranges = nr;
	if (nr)
		memcpy(boot_nodes.range, r, nr * sizeof(*r));
	memcpy(boot_nodes.distance, distance, sizeof(boot_nodes.distance));
	return 0;
}

unsigned int mm_boot_nodes(void)
{
	return boot_nodes.nr_nodes;
}

/* The node whose range holds addr, or `home` if none does. */
static unsigned int node_of_addr(uint64_t addr, unsigned int home)
{
	for (unsigned int i = 0; i < boot_nodes.nr_ranges; i++)
		if (addr >= boot_nodes.range[i].start &&
		    addr < boot_nodes.range[i].end)
			return boot_nodes.range[i].node;
	return home;
}

/* The first node boundary above addr, or end. */
static uint64_t next_boundary(uint64_t addr, uint64_t end)
{
	uint64_t b = end;
	for (unsigned int i = 0; i < boot_nodes.nr_ranges; i++) {
		const struct mm_node_range *r = &boot_nodes.range[i];
		if (r->start > addr && r->start < b)
			b = r->start;
		if (r->end > addr && r->end < b)
			b = r->end;
	}
	return b;
}

/* The pieces of in[] on node nid (memory in no node's range counts as
 * home's), page-aligned inward, in order. Returns how many. */
unsigned int mm_node_split(const struct memmap_range *in, unsigned int n_in,
			   unsigned int nid, unsigned int home,
			   struct memmap_range *out, unsigned int max)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < n_in; i++)
		for (uint64_t at = in[i].start; at < in[i].end;) {
			uint64_t end = next_boundary(at, in[i].end);
			uint64_t s = (at + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
			uint64_t e = end & ~(PAGE_SIZE - 1);
			if (node_of_addr(at, home) == nid && s < e && n < max) {
				out[n] = in[i];
				out[n].start = s;
				out[n].end = e;
				n++;
			}
			at = end;
		}
	return n;
}

static struct memmap_range node_usable[MEMMAP_MAX_RANGES];
static struct memmap_range node_ram[MEMMAP_MAX_RANGES];

int mm_init_nodes(const struct pgdat_config *all,
		  void (*settings)(struct pglist_data *))
{
	unsigned int nr = boot_nodes.nr_nodes;
	unsigned int home = node_of_addr(all->usable[0].start, 0);
	struct pglist_data *pgdat[MM_MAX_NODES] = { NULL };
	uint64_t machine = 0;

	/* The home node (the kernel's, with the lowest memory) first: the
	 * other nodes' pglist_data come from it. */
	for (unsigned int k = 0; k < nr; k++) {
		unsigned int nid = k == 0 ? home : (k <= home ? k - 1 : k);
		struct pgdat_config cfg = *all;
		cfg.usable = node_usable;
		cfg.nr_usable =
		    mm_node_split(all->usable, all->nr_usable, nid, home,
				  node_usable, MEMMAP_MAX_RANGES);
		cfg.ram = all->ram ? node_ram : NULL;
		cfg.nr_ram =
		    all->ram ? mm_node_split(all->ram, all->nr_ram, nid, home,
					     node_ram, MEMMAP_MAX_RANGES)
			     : 0;
		if (!cfg.nr_usable)
			continue; /* a node without memory */
		struct pglist_data *p = &contig_page_data;
		if (nid != home) {
			uint64_t phys =
			    pgdat_alloc_pages_exact(&contig_page_data,
						    sizeof(*p),
						    GFP_NOWAIT | __GFP_ZERO,
						    __builtin_return_address(
							0));
			if (!phys) {
				pr_err("numa: no memory for node %u's pglist_data; its memory is not used\n",
				       nid);
				continue;
			}
			p = phys_to_virt(phys);
		}
		int err = pgdat_init(p, &cfg);
		if (err) {
			if (nid == home)
				return err;
			pr_err("numa: node %u: allocator init failed (%d); its memory is not used\n",
			       nid, err);
			pgdat_free_pages_exact(&contig_page_data,
					       pgdat_virt_to_phys(&contig_page_data,
								  p),
					       sizeof(*p),
					       __builtin_return_address(0));
			continue;
		}
		p->node_id = (int)nid;
		settings(p);
		pgdat[nid] = p;
		machine += p->totalram_pages;
	}
	/* Linux's min_free_kbytes is the machine's, shared out by size. */
	for (unsigned int nid = 0; nid < nr; nid++)
		if (pgdat[nid]) {
			pgdat[nid]->machine_pages = machine;
			setup_per_zone_wmarks(pgdat[nid]);
		}
	if (mm_nodes_setup(nr, pgdat,
			   (const uint8_t(*)[MM_MAX_NODES])boot_nodes.distance))
		pr_err("numa: the allocator uses node %u's memory only\n",
		       home);
	return 0;
}
