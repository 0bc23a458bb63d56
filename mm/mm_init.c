/*
 * Bringing the allocator up: find the 128 MiB sections that hold RAM, carve
 * their state bytes (and the section hash) out of usable memory, hand every
 * usable frame to the buddy lists as the largest aligned blocks that fit, and
 * compute the watermarks. Also the kernel's entry point mm_init() and the
 * later release of loader memory. docs/03-buddy-and-gfp.md ("Bring-up").
 */
#include "mm/vmscan.h"
#include "mm/pcp.h"
#include "mm/compaction.h"
#include "mm/internal.h"
#include "mm/node.h"

#include "kernel/lib/printk.h"
#include "mm/page_owner.h"

/* memmap.c names and counts zones for the map report; the allocator's
 * zones must be the same ones in the same order. */
_Static_assert((int)MEMMAP_ZONE_DMA == (int)ZONE_DMA &&
		   (int)MEMMAP_ZONE_DMA32 == (int)ZONE_DMA32 &&
		   (int)MEMMAP_ZONE_NORMAL == (int)ZONE_NORMAL &&
		   (int)MEMMAP_NR_ZONES == (int)MAX_NR_ZONES,
	       "memmap zones and allocator zones agree");

struct pglist_data contig_page_data;
uint64_t mm_direct_map_offset;

#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define SECTION_PFNS (1ULL << PFN_SECTION_SHIFT)

/* ---------------------------------------------------------------- sections */

/* Calls fn once per section touched by the sorted ranges, with the span of
 * RAM frames inside it. Ranges are sorted, so a section's pieces are
 * consecutive. */
typedef void (*section_fn)(struct pglist_data *p, uint64_t sec,
			   uint64_t first_pfn, uint64_t end_pfn, void *ctx);

static void walk_sections(struct pglist_data *p, const struct memmap_range *r,
			  unsigned int n, section_fn fn, void *ctx)
{
	uint64_t cur = UINT64_MAX, first = 0, last = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t s = r[i].start >> PAGE_SHIFT,
			 e = r[i].end >> PAGE_SHIFT;
		while (s < e) {
			uint64_t sec = s >> PFN_SECTION_SHIFT;
			uint64_t sec_end = (sec + 1) << PFN_SECTION_SHIFT;
			uint64_t piece_end = e < sec_end ? e : sec_end;
			if (sec != cur) {
				if (cur != UINT64_MAX)
					fn(p, cur, first, last, ctx);
				cur = sec;
				first = s;
			}
			last = piece_end;
			s = piece_end;
		}
	}
	if (cur != UINT64_MAX)
		fn(p, cur, first, last, ctx);
}

/* The bytes to skip before a section's state array at offset `at` from
 * the metadata's start (page-aligned), so that frame_state[pfn - first]
 * sits at the same offset in its cache line as pfn in its aligned group of
 * 64: a per-CPU refill's group (PCP_GROUP_PAGES) then has its state bytes
 * in one line of its own. At most 63 bytes per section (none for whole
 * sections that follow whole sections). Both passes count from offsets,
 * so that they agree whatever the start's address. */
static uint64_t state_array_pad(uint64_t at, uint64_t first)
{
	_Static_assert(PCP_GROUP_PAGES == 64, "a group's bytes are one line");
	return (first - at) & 63;
}

struct section_count {
	uint64_t sections, state_bytes;
	uint64_t first, last; /* lowest and highest section number */
};

static void count_section(struct pglist_data *p, uint64_t sec, uint64_t first,
			  uint64_t end, void *ctx)
{
	struct section_count *c = ctx;
	(void)p;
	if (!c->sections++)
		c->first = sec;
	c->last = sec; /* sorted ranges: sections come in order */
	/* As insert_section places them, from the metadata's start. */
	c->state_bytes += state_array_pad(c->state_bytes, first);
	c->state_bytes += (end - first + 7) & ~7ULL; /* keep arrays aligned */
}

struct section_place {
	uint8_t *meta;	 /* the metadata's start */
	uint64_t offset; /* of the next state array from it */
};

static void insert_section(struct pglist_data *p, uint64_t sec, uint64_t first,
			   uint64_t end, void *ctx)
{
	struct section_place *at = ctx;
	uint64_t key = sec + 1, mask = (1ULL << p->hash_bits) - 1;
	uint64_t i = section_hash_slot(p, key);
	while (p->sections[i].key)
		i = (i + 1) & mask;
	at->offset += state_array_pad(at->offset, first);
	p->sections[i] = (struct mem_section){
		key, first, end - first, at->meta + at->offset, { 0 }
	};
	/* Every pageblock starts movable, as in Linux: the kernel's own
	 * allocations claim pageblocks of their own as they need them. With
	 * grouping off there is one kind, unmovable. */
	for (unsigned int b = 0; b < PAGEBLOCKS_PER_SECTION; b++)
		p->sections[i].pageblock_flags[b] = p->migratetype_gfp_mask
							? MIGRATE_MOVABLE
							: MIGRATE_UNMOVABLE;
	at->offset += (end - first + 7) & ~7ULL;
	p->nr_sections++;
	if (p->section_map_nr)
		p->section_map[sec - p->section_map_first] = &p->sections[i];
}

static bool ranges_ok(const struct memmap_range *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if ((r[i].start | r[i].end) & (PAGE_SIZE - 1) ||
		    r[i].start >= r[i].end || (i && r[i].start < r[i - 1].end))
			return false;
	}
	return true;
}

/* Every usable range must lie inside one ram range (both sorted). */
static bool ranges_within(const struct memmap_range *u, unsigned int nu,
			  const struct memmap_range *r, unsigned int nr)
{
	unsigned int j = 0;
	for (unsigned int i = 0; i < nu; i++) {
		while (j < nr && r[j].end <= u[i].start)
			j++;
		if (j == nr || r[j].start > u[i].start || r[j].end < u[i].end)
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- free ranges */

/* Hands [s, e) (frames, within one zone, all PFS_RESERVED) to the buddy
 * lists as the largest naturally aligned blocks that fit. */
static void add_free_range(struct pglist_data *p, uint64_t s, uint64_t e)
{
	struct zone *z = pfn_to_zone(p, s);
	unsigned long flags;

	if (s == 0)
		s = 1; /* frame 0 means "no page": never hand it out */
	if (s >= e)
		return;
	for (uint64_t pfn = s; pfn < e;) { /* one memset per section */
		uint64_t sec_end = ((pfn >> PFN_SECTION_SHIFT) + 1)
				   << PFN_SECTION_SHIFT;
		uint64_t chunk = (e < sec_end ? e : sec_end) - pfn;
		memset(pfn_state(p, pfn), PFS_TAIL, chunk);
		pfn += chunk;
	}
	spin_lock_irqsave(&z->lock, flags);
	if (!z->present_pages) {
		z->zone_start_pfn = s;
		z->spanned_pages = e - s;
	} else {
		uint64_t zs = z->zone_start_pfn, ze = zs + z->spanned_pages;
		zs = s < zs ? s : zs;
		ze = e > ze ? e : ze;
		z->zone_start_pfn = zs;
		z->spanned_pages = ze - zs;
	}
	z->managed_pages += e - s;
	z->present_pages += e - s;
	spin_unlock_irqrestore(&z->lock, flags);

	while (s < e) {
		unsigned int o = MAX_ORDER;
		while (o && ((s & ((1ULL << o) - 1)) || s + (1ULL << o) > e))
			o--;
		*pfn_state(p, s) = PFS_ALLOC | o;
		__free_pages_core(p, s, o);
		s += 1ULL << o;
	}
}

/* Splits [s, e) at the zone windows and at the metadata region. */
static void add_range(struct pglist_data *p, uint64_t s, uint64_t e)
{
	uint64_t ms = p->metadata_start,
		 me = p->metadata_start + p->metadata_pages;
	if (s < ms && e > ms) {
		add_range(p, s, ms);
		add_range(p, ms, e);
		return;
	}
	if (s >= ms && s < me) {
		s = me;
		if (s >= e)
			return;
	}
	while (s < e) {
		struct zone *z = pfn_to_zone(p, s);
		uint64_t ze = e < z->window_end_pfn ? e : z->window_end_pfn;
		add_free_range(p, s, ze);
		s = ze;
	}
}

/* ---------------------------------------------------------------- pgdat_init */

int pgdat_init(struct pglist_data *p, const struct pgdat_config *cfg)
{
	const struct memmap_range *ram = cfg->nr_ram ? cfg->ram : cfg->usable;
	unsigned int nr_ram = cfg->nr_ram ? cfg->nr_ram : cfg->nr_usable;
	uint64_t dma = cfg->dma_limit ? cfg->dma_limit : MEMMAP_DMA_LIMIT;
	uint64_t dma32 =
	    cfg->dma32_limit ? cfg->dma32_limit : MEMMAP_DMA32_LIMIT;

	memset(p, 0, sizeof(*p));
	if (!ranges_ok(cfg->usable, cfg->nr_usable) ||
	    !ranges_ok(ram, nr_ram) ||
	    !ranges_within(cfg->usable, cfg->nr_usable, ram, nr_ram) ||
	    dma > dma32 || ((dma | dma32) & (PAGE_SIZE - 1))) {
		pr_err(
		    "page_alloc: node ranges must be sorted, disjoint and page-aligned, usable inside ram\n");
		return PGDAT_ERR_BAD_RANGES;
	}
	if (!cfg->nr_usable)
		return PGDAT_ERR_NO_RAM;
	p->direct_map_offset = cfg->direct_map_offset;
	p->migratetype_gfp_mask = cfg->page_grouping_off ? 0 : GFP_MOVABLE_MASK;
	/* Poison must be written into every free page anyway. */
	p->eager_free_lists = cfg->eager_free_lists || cfg->page_poison;
	p->extfrag_threshold = EXTFRAG_THRESHOLD_DEFAULT;
	p->compaction_proactiveness = COMPACTION_PROACTIVENESS_DEFAULT;
	p->watermark_scale_factor = 10;
	memcpy(p->lowmem_reserve_ratio, lowmem_reserve_ratio_default,
	       sizeof(p->lowmem_reserve_ratio));
	p->alloc_wait_ms = ALLOC_WAIT_MS_DEFAULT;
	p->alloc_fail_rs.interval_ms = 10000;
	p->bad_free_rs.interval_ms = 0; /* every bad free is worth a line */
	p->sleep_bug_rs.interval_ms = 10000;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		spin_lock_init(&z->lock);
		z->name = memmap_zone_name(zi);
		z->zone_pgdat = p;
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			for (int t = 0; t < MIGRATE_TYPES; t++)
				INIT_LIST_HEAD(&z->free_area[o].free_list[t]);
	}
	p->node_zones[ZONE_DMA].window_end_pfn = dma >> PAGE_SHIFT;
	p->node_zones[ZONE_DMA32].window_start_pfn = dma >> PAGE_SHIFT;
	p->node_zones[ZONE_DMA32].window_end_pfn = dma32 >> PAGE_SHIFT;
	p->node_zones[ZONE_NORMAL].window_start_pfn = dma32 >> PAGE_SHIFT;
	p->node_zones[ZONE_NORMAL].window_end_pfn = UINT64_MAX >> PAGE_SHIFT;

	/* Size the metadata: the state arrays, the hash at most half full,
	 * the direct map. */
	struct section_count c = { 0, 0, 0, 0 };
	walk_sections(p, ram, nr_ram, count_section, &c);
	p->hash_bits = 1;
	while ((1ULL << p->hash_bits) < 2 * c.sections)
		p->hash_bits++;
	uint64_t table = (sizeof(struct mem_section) << p->hash_bits);
	/* The direct map: 8 bytes per section from the first to the last,
	 * holes included; built when that is at most a third of the hash
	 * (about one section in eight or more holds RAM, as on every
	 * machine-like map) or an eighth of the state bytes (a bit per
	 * frame at most). Only stranger nodes go without, and without
	 * per-CPU lists (pgdat_pcp_enable): they use the hash alone. */
	uint64_t span = c.sections ? c.last - c.first + 1 : 0;
	uint64_t map = span * sizeof(struct mem_section *);
	if (map * 3 > table && map * 8 > c.state_bytes)
		map = 0;
	uint64_t arrays =
	    (c.state_bytes + 7) & ~7ULL; /* the hash's alignment */
	uint64_t pages = PFN_UP(arrays + table + map);

	/* Carve it from the top of the highest usable range that fits (Linux's
	 * memblock also allocates top-down), keeping low zones for devices. */
	for (unsigned int i = cfg->nr_usable; i-- > 0;) {
		uint64_t s = cfg->usable[i].start >> PAGE_SHIFT;
		uint64_t e = cfg->usable[i].end >> PAGE_SHIFT;
		if (s == 0)
			s = 1;
		if (e > s && e - s >= pages) {
			p->metadata_start = e - pages;
			p->metadata_pages = pages;
			break;
		}
	}
	if (!p->metadata_pages) {
		pr_err("page_alloc: no usable range holds %llu contiguous pages for allocator metadata\n",
		       (unsigned long long)pages);
		return PGDAT_ERR_NO_METADATA;
	}
	uint8_t *meta = pgdat_phys_to_virt(p, p->metadata_start << PAGE_SHIFT);
	memset(meta, 0, pages << PAGE_SHIFT); /* empty slots, PFS_RESERVED */
	/* The state arrays first, from the page-aligned start that
	 * state_array_pad counts from; then the hash, 8-byte aligned, and
	 * the map after whole mem_sections. */
	p->sections = (struct mem_section *)(meta + arrays);
	if (map) {
		p->section_map = (struct mem_section **)(meta + arrays + table);
		p->section_map_first = c.first;
		p->section_map_nr = span;
	}
	struct section_place at = { meta, 0 };
	walk_sections(p, ram, nr_ram, insert_section, &at);
	/* The arrays end where the count said, short of the hash. */
	BUG_ON(at.offset != c.state_bytes);

	for (unsigned int i = 0; i < cfg->nr_usable; i++)
		add_range(p, cfg->usable[i].start >> PAGE_SHIFT,
			  cfg->usable[i].end >> PAGE_SHIFT);
	/* Metadata is present RAM, though not managed. */
	pfn_to_zone(p, p->metadata_start)->present_pages += p->metadata_pages;

	setup_per_zone_wmarks(p);
	p->initialised = true;
	if (cfg->page_poison)
		pgdat_set_page_poison(p, true);
	return 0;
}

long pgdat_release_range(struct pglist_data *p, uint64_t start, uint64_t end)
{
	if ((start | end) & (PAGE_SIZE - 1) || start >= end)
		return PGDAT_ERR_BAD_RANGES;
	for (uint64_t pfn = start >> PAGE_SHIFT; pfn < end >> PAGE_SHIFT;
	     pfn++) {
		uint8_t *st = pfn_state(p, pfn);
		if (!st || *st != PFS_RESERVED ||
		    (pfn >= p->metadata_start &&
		     pfn < p->metadata_start + p->metadata_pages)) {
			pr_err("page_alloc: cannot release frame 0x%llx: %s\n",
			       (unsigned long long)pfn,
			       st ? "already managed or metadata"
				  : "not RAM known at boot");
			return PGDAT_ERR_BAD_RANGES;
		}
	}
	add_range(p, start >> PAGE_SHIFT, end >> PAGE_SHIFT);
	setup_per_zone_wmarks(p);
	return (long)((end - start) >> PAGE_SHIFT);
}

void pgdat_set_page_poison(struct pglist_data *p, bool on)
{
	__atomic_store_n(&p->page_poison, on, __ATOMIC_SEQ_CST);
	/* Frames parked before now hold no poison, and a drain does not
	 * poison (page_alloc.c): back to the zones, filled below. */
	if (on)
		drain_all_pages(p);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		unsigned long flags;
		spin_lock_irqsave(&z->lock, flags);
		/* Free pages must hold poison before it is checked. */
		for (int o = 0; on && o < NR_PAGE_ORDERS; o++) {
			for (int t = 0; t < MIGRATE_TYPES; t++) {
				struct list_head *h =
				    &z->free_area[o].free_list[t];
				for (struct list_head *e = h->next; e != h;
				     e = e->next) {
					/* Around the links (internal.h's
					 * block_link_offset). */
					uint64_t at =
					    block_link_offset(block_pfn(p, e));
					char *first = (char *)e - at;
					memset(first, PAGE_POISON, at);
					memset((char *)e + sizeof(*e),
					       PAGE_POISON,
					       (PAGE_SIZE << o) - at -
						   sizeof(*e));
				}
			}
		}
		spin_unlock_irqrestore(&z->lock, flags);
	}
}

/* ---------------------------------------------------------------- the kernel's node */

static struct memmap boot_memmap;
static struct memmap_range boot_ram[MEMMAP_MAX_RANGES];
static uint64_t boot_min_free_kbytes;
static unsigned int boot_wsf = 10;
static bool boot_page_poison;
static bool boot_page_grouping_off;
static bool boot_eager_free_lists;
static bool boot_compaction_off;
static bool boot_compaction_spill_off;
static unsigned int boot_extfrag_threshold = EXTFRAG_THRESHOLD_DEFAULT;
static unsigned int boot_proactiveness = COMPACTION_PROACTIVENESS_DEFAULT;
static bool boot_page_owner;
static unsigned int boot_alloc_wait_ms = ALLOC_WAIT_MS_DEFAULT;

void mm_set_alloc_wait_ms(unsigned int ms)
{
	boot_alloc_wait_ms = ms;
	contig_page_data.alloc_wait_ms = ms;
}

const struct memmap *mm_boot_memmap(void)
{
	return &boot_memmap;
}

void mm_set_min_free_kbytes(uint64_t kbytes)
{
	boot_min_free_kbytes = kbytes;
	contig_page_data.user_min_free_kbytes = kbytes;
	if (contig_page_data.initialised)
		setup_per_zone_wmarks(&contig_page_data);
}

void mm_set_watermark_scale_factor(unsigned int factor)
{
	if (factor < 1 || factor > 3000) {
		pr_warn("mm: watermark_scale_factor=%u out of 1..3000, ignored\n",
			factor);
		return;
	}
	boot_wsf = factor;
	contig_page_data.watermark_scale_factor = factor;
	if (contig_page_data.initialised)
		setup_per_zone_wmarks(&contig_page_data);
}

void mm_set_page_poison(bool on)
{
	boot_page_poison = on;
	if (contig_page_data.initialised)
		pgdat_set_page_poison(&contig_page_data, on);
}

void mm_set_eager_free_lists(bool eager)
{
	boot_eager_free_lists = eager; /* read by mm_init() */
}

void mm_set_page_grouping(bool on)
{
	boot_page_grouping_off = !on; /* read by mm_init() */
}

void mm_set_compaction(bool on, unsigned int extfrag_threshold,
		       unsigned int proactiveness)
{
	boot_compaction_off = !on; /* read by mm_init() */
	boot_extfrag_threshold = extfrag_threshold;
	boot_proactiveness = proactiveness;
}

void mm_set_compaction_spill(bool on)
{
	boot_compaction_spill_off = !on;
	contig_page_data.compaction_spill_off = !on;
}

void mm_set_page_owner(bool on)
{
	boot_page_owner = on; /* read by mm_init(): the table needs the node */
}

/* The cmdline's settings (mm_set_* before mm_init) on a node just made. */
static void boot_settings(struct pglist_data *p)
{
	p->user_min_free_kbytes = boot_min_free_kbytes;
	p->watermark_scale_factor = boot_wsf;
	memcpy(p->lowmem_reserve_ratio, boot_lowmem_reserve_ratio,
	       sizeof(boot_lowmem_reserve_ratio));
	p->alloc_wait_ms = boot_alloc_wait_ms;
	p->compaction_off = boot_compaction_off;
	p->compaction_spill_off = boot_compaction_spill_off;
	p->extfrag_threshold = boot_extfrag_threshold;
	p->compaction_proactiveness = boot_proactiveness;
	setup_per_zone_wmarks(p);
	if (boot_page_owner)
		page_owner_init(p);
}

int mm_init(const void *map, uint64_t map_size, uint64_t desc_size,
	    uint32_t desc_version, unsigned int maxphyaddr,
	    uint64_t direct_map_offset)
{
	int err = memmap_from_efi(&boot_memmap, map, map_size, desc_size,
				  desc_version, maxphyaddr);
	if (err) {
		pr_err("mm: cannot continue: %s\n", memmap_error_name(err));
		return err;
	}
	memmap_print(&boot_memmap);
	int nr_ram =
	    memmap_potential_ranges(&boot_memmap, boot_ram, MEMMAP_MAX_RANGES);
	if (nr_ram < 0)
		return nr_ram;

	mm_direct_map_offset = direct_map_offset;
	struct pgdat_config cfg = {
		.usable = boot_memmap.usable,
		.nr_usable = boot_memmap.nr_usable,
		.ram = boot_ram,
		.nr_ram = (unsigned int)nr_ram,
		.direct_map_offset = direct_map_offset,
		.page_poison = boot_page_poison,
		.page_grouping_off = boot_page_grouping_off,
		.eager_free_lists = boot_eager_free_lists,
	};
	if (mm_boot_nodes() > 1) {
		err = mm_init_nodes(&cfg, boot_settings);
	} else {
		err = pgdat_init(&contig_page_data, &cfg);
		if (!err)
			boot_settings(&contig_page_data);
	}
	if (err) {
		pr_err("mm: cannot continue: allocator init failed (%d)\n",
		       err);
		return err;
	}
	for (unsigned int nid = 0; nid < mm_nodes.nr_nodes; nid++)
		if (NODE_DATA(nid) && NODE_DATA(nid) != &contig_page_data)
			zoneinfo_show(NODE_DATA(nid));
	buddyinfo_show(&contig_page_data);
	pagetypeinfo_show(&contig_page_data);
	zoneinfo_show(&contig_page_data);
	meminfo_show(&contig_page_data);
	return 0;
}

/* Gives range r to the node (or nodes) whose memory it is. */
static long release_on_nodes(const struct memmap_range *r)
{
	if (!mm_numa_on())
		return pgdat_release_range(&contig_page_data, r->start, r->end);
	static struct memmap_range piece[MEMMAP_MAX_RANGES];
	long total = 0;
	for (unsigned int nid = 0; nid < mm_nodes.nr_nodes; nid++) {
		if (!NODE_DATA(nid))
			continue;
		unsigned int n =
		    mm_node_split(r, 1, nid,
				  (unsigned int)contig_page_data.node_id, piece,
				  MEMMAP_MAX_RANGES);
		for (unsigned int i = 0; i < n; i++) {
			long got =
			    pgdat_release_range(NODE_DATA(nid), piece[i].start,
						piece[i].end);
			if (got < 0)
				return got;
			total += got;
		}
	}
	return total;
}

long mm_release_os_type(uint32_t type)
{
	static struct memmap_range added[MEMMAP_MAX_RANGES];
	unsigned int n;
	long total = 0;
	int err = memmap_release_type(&boot_memmap, type, added,
				      MEMMAP_MAX_RANGES, &n);
	if (err)
		return err;
	for (unsigned int i = 0; i < n; i++) {
		long got = release_on_nodes(&added[i]);
		if (got < 0)
			return got;
		total += got;
	}
	pr_info("mm: released %ld pages of loader type 0x%x\n", total, type);
	return total;
}
