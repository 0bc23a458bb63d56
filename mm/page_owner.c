/*
 * page_owner: records who allocated each block (Linux's mm/page_owner.c,
 * without stack depots: one return address per block). The records live in
 * a table per node, one array per 128 MiB section parallel to the section's
 * state bytes, allocated from the node itself when page_owner is turned on.
 * docs/07-debugging-the-allocator.md ("page_owner").
 */
#include "mm/page_owner.h"
#include "mm/platform.h"

#include "mm/internal.h"

#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"

/* __GFP_THISNODE only picks the node (mm/node.c), so 16 bits keep the
 * rest of a request's flags. */
_Static_assert((__GFP_BITS_MASK & ~__GFP_THISNODE) <= 0xffff,
	       "page_owner keeps gfp in 16 bits");
_Static_assert(sizeof(struct page_owner) == 24, "24 bytes per frame");

struct page_owner_node {
	struct pglist_data *pgdat;
	struct page_owner **sec; /* by slot of pgdat->sections; NULL: none */
	unsigned int index_order;
	uint64_t pages; /* table size, in pages */
};

int page_owner_nodes;
static struct page_owner_node owner_nodes[PAGE_OWNER_MAX_NODES];
static uint64_t owner_seq;
static spinlock_t owner_setup_lock;

static unsigned int order_for(uint64_t bytes)
{
	unsigned int o = 0;
	while ((PAGE_SIZE << o) < bytes)
		o++;
	return o;
}

static struct page_owner_node *node_of(const struct pglist_data *p)
{
	for (int i = 0; i < PAGE_OWNER_MAX_NODES; i++)
		if (__atomic_load_n(&owner_nodes[i].pgdat, __ATOMIC_ACQUIRE) ==
		    p)
			return &owner_nodes[i];
	return NULL;
}

static struct page_owner *record_of(struct page_owner_node *n, uint64_t pfn)
{
	struct pglist_data *p = n->pgdat;
	struct mem_section *s = pfn_to_section(p, pfn);
	if (!s || pfn < s->first_pfn || pfn - s->first_pfn >= s->nr_frames)
		return NULL;
	struct page_owner *arr = n->sec[s - p->sections];
	return arr ? &arr[pfn - s->first_pfn] : NULL;
}

/* Frees the table of a node that is not (or no longer) registered, so
 * that the frees below are not recorded into the table being freed. */
static void free_tables(struct page_owner_node *n, struct pglist_data *p)
{
	for (uint64_t i = 0; i < (1ULL << p->hash_bits); i++) {
		if (!n->sec[i])
			continue;
		uint64_t bytes =
		    p->sections[i].nr_frames * sizeof(struct page_owner);
		pgdat_free_pages(p, pgdat_virt_to_phys(p, n->sec[i]),
				 order_for(bytes));
	}
	pgdat_free_pages(p, pgdat_virt_to_phys(p, n->sec), n->index_order);
}

int page_owner_init(struct pglist_data *p)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	struct page_owner_node *n = NULL;
	unsigned long flags;

	if (!p->initialised || node_of(p))
		return -1;
	spin_lock_irqsave(&owner_setup_lock, flags);
	for (int i = 0; i < PAGE_OWNER_MAX_NODES && !n; i++)
		if (!owner_nodes[i].pgdat && !owner_nodes[i].sec)
			n = &owner_nodes[i];
	if (n)
		n->sec = (void *)1; /* claimed */
	spin_unlock_irqrestore(&owner_setup_lock, flags);
	if (!n) {
		pr_err("page_owner: already on for %d nodes\n",
		       PAGE_OWNER_MAX_NODES);
		return -1;
	}

	uint64_t slots = 1ULL << p->hash_bits;
	n->index_order = order_for(slots * sizeof(void *));
	uint64_t phys = pgdat_alloc_pages(p, gfp, n->index_order);
	n->sec = phys ? pgdat_phys_to_virt(p, phys) : NULL;
	n->pages = phys ? 1ULL << n->index_order : 0;
	bool ok = phys != 0;
	for (uint64_t i = 0; ok && i < slots; i++) {
		const struct mem_section *s = &p->sections[i];
		if (!s->key)
			continue;
		unsigned int o =
		    order_for(s->nr_frames * sizeof(struct page_owner));
		phys = o <= MAX_ORDER ? pgdat_alloc_pages(p, gfp, o) : 0;
		if (!phys) {
			ok = false;
			break;
		}
		n->sec[i] = pgdat_phys_to_virt(p, phys);
		n->pages += 1ULL << o;
	}
	if (!ok) {
		pr_err("page_owner: no memory for the table of node %d; page_owner stays off\n",
		       p->node_id);
		if (n->sec)
			free_tables(n, p);
		n->sec = NULL;
		return -1;
	}
	__atomic_store_n(&n->pgdat, p, __ATOMIC_RELEASE);
	mm_debug_hooks_add(1); /* counted before it is on */
	__atomic_fetch_add(&page_owner_nodes, 1, __ATOMIC_RELEASE);
	pr_info("page_owner: on for node %d: %llu KiB of records\n", p->node_id,
		(unsigned long long)K(n->pages));
	return 0;
}

void page_owner_exit(struct pglist_data *p)
{
	struct page_owner_node *n = node_of(p);
	if (!n)
		return;
	__atomic_fetch_sub(&page_owner_nodes, 1, __ATOMIC_RELEASE);
	mm_debug_hooks_add(-1); /* and after it is off */
	__atomic_store_n(&n->pgdat, NULL, __ATOMIC_RELEASE);
	free_tables(n, p);
	n->pages = 0;
	n->sec = NULL;
}

uint64_t page_owner_table_pages(const struct pglist_data *p)
{
	struct page_owner_node *n = node_of(p);
	return n ? n->pages : 0;
}

void __set_page_owner(struct pglist_data *p, uint64_t pfn, unsigned int order,
		      gfp_t gfp, void *caller)
{
	struct page_owner_node *n = node_of(p);
	struct page_owner *r = n ? record_of(n, pfn) : NULL;
	if (!r)
		return;
	r->caller = (uint64_t)(uintptr_t)caller;
	r->seq = __atomic_add_fetch(&owner_seq, 1, __ATOMIC_RELAXED);
	r->ts_ms = (uint32_t)mm_now_ms();
	r->gfp = (uint16_t)gfp;
	r->order = (uint8_t)order;
	__atomic_store_n(&r->flags, PAGE_OWNER_ALLOCATED, __ATOMIC_RELEASE);
}

void __reset_page_owner(struct pglist_data *p, uint64_t pfn, unsigned int order)
{
	struct page_owner_node *n = node_of(p);
	struct page_owner *r = n ? record_of(n, pfn) : NULL;
	(void)order;
	if (r && r->flags)
		__atomic_store_n(&r->flags, PAGE_OWNER_FREED, __ATOMIC_RELEASE);
}

uint64_t page_owner_token(void)
{
	return __atomic_load_n(&owner_seq, __ATOMIC_RELAXED);
}

/* The recorded owner of the block headed by pfn with state byte st, or
 * NULL if it is not allocated or not recorded. */
static const struct page_owner *owned_block(struct page_owner_node *n,
					    uint64_t pfn, uint8_t st)
{
	const struct page_owner *r;
	if ((st & (PFS_ALLOC | PFS_FREE)) != PFS_ALLOC)
		return NULL;
	r = record_of(n, pfn);
	if (!r ||
	    __atomic_load_n(&r->flags, __ATOMIC_ACQUIRE) !=
		PAGE_OWNER_ALLOCATED ||
	    r->order != (st & PFS_ORDER_MASK))
		return NULL;
	return r;
}

bool page_owner_lookup(struct pglist_data *p, uint64_t pfn,
		       struct page_owner *out, uint64_t *head_pfn)
{
	struct page_owner_node *n = node_of(p);
	if (!n)
		return false;
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ULL << o) - 1);
		uint8_t *st = pfn_state(p, h);
		if (!st || *st == PFS_TAIL || *st == PFS_RESERVED)
			continue;
		if ((*st & PFS_ORDER_MASK) < o)
			return false; /* pfn lies past this block */
		const struct page_owner *r = owned_block(n, h, *st);
		if (!r)
			return false;
		*out = *r;
		if (head_pfn)
			*head_pfn = h;
		return true;
	}
	return false;
}

bool page_owner_last_owner(struct pglist_data *p, uint64_t pfn,
			   struct page_owner *out, uint64_t *head_pfn)
{
	struct page_owner_node *n = node_of(p);
	bool found = false;
	if (!n)
		return false;
	/* Every record whose block covered pfn; the latest is the owner. */
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ULL << o) - 1);
		const struct page_owner *r = record_of(n, h);
		if (!r || !r->flags || h + (1ULL << r->order) <= pfn ||
		    (found && r->seq <= out->seq))
			continue;
		*out = *r;
		*head_pfn = h;
		found = true;
	}
	return found;
}

/*
 * Calls fn for every recorded allocated block, stepping block by block
 * through the state bytes. No locks: a block allocated or freed meanwhile
 * may be missed, which a report can live with.
 */
typedef void (*owner_fn)(uint64_t pfn, const struct page_owner *r, void *ctx);

static void for_each_owned_block(struct page_owner_node *n, owner_fn fn,
				 void *ctx)
{
	struct pglist_data *p = n->pgdat;
	for (uint64_t i = 0; i < (1ULL << p->hash_bits); i++) {
		const struct mem_section *s = &p->sections[i];
		if (!s->key || !n->sec[i])
			continue;
		for (uint64_t k = 0; k < s->nr_frames;) {
			uint8_t st = s->frame_state[k];
			const struct page_owner *r =
			    owned_block(n, s->first_pfn + k, st);
			if (r)
				fn(s->first_pfn + k, r, ctx);
			k +=
			    (st & PFS_HEAD) ? 1ULL << (st & PFS_ORDER_MASK) : 1;
		}
	}
}

/* ---------------------------------------------------------------- sites */

#define SITE_SLOTS 128

struct site_table {
	struct page_owner_site s[SITE_SLOTS];
};

static void count_site(uint64_t pfn, const struct page_owner *r, void *ctx)
{
	struct site_table *t = ctx;
	uint64_t i = (r->caller * 0x9E3779B97F4A7C15ULL) >> 57; /* 7 bits */
	(void)pfn;
	for (unsigned int probe = 0; probe < SITE_SLOTS; probe++) {
		struct page_owner_site *e = &t->s[(i + probe) % SITE_SLOTS];
		if (e->blocks && e->caller != r->caller)
			continue;
		e->caller = r->caller;
		e->blocks++;
		e->pages += 1ULL << r->order;
		return;
	}
}

unsigned int page_owner_top_sites(struct pglist_data *p,
				  struct page_owner_site *out, unsigned int max)
{
	static struct site_table table; /* 3 KiB: not on the stack */
	static spinlock_t lock;
	struct page_owner_node *n = node_of(p);
	unsigned long flags;
	unsigned int got = 0;

	if (!n || !max)
		return 0;
	spin_lock_irqsave(&lock, flags);
	memset(&table, 0, sizeof(table));
	for_each_owned_block(n, count_site, &table);
	/* Selection of the largest, max times: max is small. */
	for (; got < max; got++) {
		struct page_owner_site *best = NULL;
		for (unsigned int i = 0; i < SITE_SLOTS; i++)
			if (table.s[i].blocks &&
			    (!best || table.s[i].pages > best->pages))
				best = &table.s[i];
		if (!best)
			break;
		out[got] = *best;
		best->blocks = 0;
	}
	spin_unlock_irqrestore(&lock, flags);
	return got;
}

void page_owner_format_caller(uint64_t caller, char *buf, unsigned long size)
{
	char sym[96];
	if (mm_symbolize(caller, sym, sizeof(sym)))
		ksnprintf(buf, size, "0x%llx %s", (unsigned long long)caller,
			  sym);
	else
		ksnprintf(buf, size, "0x%llx", (unsigned long long)caller);
}

void page_owner_dump_top(struct pglist_data *p, unsigned int max)
{
	struct page_owner_site sites[16];
	char name[128];
	if (max > 16)
		max = 16;
	unsigned int n = page_owner_top_sites(p, sites, max);
	pr_info("page_owner: top %u allocation sites of node %d (blocks allocated now):\n",
		n, p->node_id);
	for (unsigned int i = 0; i < n; i++) {
		page_owner_format_caller(sites[i].caller, name, sizeof(name));
		pr_info("  %8llu pages in %6llu blocks from %s\n",
			(unsigned long long)sites[i].pages,
			(unsigned long long)sites[i].blocks, name);
	}
}

/* ---------------------------------------------------------------- leaks */

struct leak_ctx {
	uint64_t token, blocks, pages, now;
	unsigned int max_print;
};

static void check_leak(uint64_t pfn, const struct page_owner *r, void *ctx)
{
	struct leak_ctx *c = ctx;
	char names[160], caller[128];
	if (r->seq <= c->token)
		return;
	c->pages += 1ULL << r->order;
	if (c->blocks++ >= c->max_print)
		return;
	gfp_flags_name(r->gfp, names, sizeof(names));
	page_owner_format_caller(r->caller, caller, sizeof(caller));
	pr_warn("page_owner: still allocated: frame 0x%llx order %u mode 0x%x(%s) by %s, allocation #%llu, %llu ms ago\n",
		(unsigned long long)pfn, r->order, r->gfp, names, caller,
		(unsigned long long)r->seq,
		(unsigned long long)(uint32_t)(c->now - r->ts_ms));
}

unsigned long pgdat_page_owner_leaks(struct pglist_data *p, uint64_t token,
				     unsigned int max_print, uint64_t *pages)
{
	struct page_owner_node *n = node_of(p);
	struct leak_ctx c = { token, 0, 0, (uint32_t)mm_now_ms(), max_print };
	if (n)
		for_each_owned_block(n, check_leak, &c);
	if (max_print && c.blocks > max_print)
		pr_warn("page_owner: %llu more blocks still allocated not shown\n",
			(unsigned long long)(c.blocks - max_print));
	if (pages)
		*pages = c.pages;
	return (unsigned long)c.blocks;
}

unsigned long page_owner_leaks_since(uint64_t token)
{
	return pgdat_page_owner_leaks(&contig_page_data, token, 8, NULL);
}

bool page_owner_enabled(void)
{
	return node_of(&contig_page_data) != NULL;
}
