/*
 * Draws a node as it is (`make diagrams`): struct pglist_data, its zones
 * with their free_area[] counts, each free list walked block by block
 * through the links kept in the free frames, the per-CPU lists, the section
 * hash table, and every section's state bytes as runs (one cell per block).
 * Read-only: it walks the structures the way mm/mm_debug.c does, with mm's
 * own helpers from mm/mmzone.h (pfn_state, pfn_to_zone, section_hash_slot,
 * pgdat_virt_to_phys).
 * docs/03-buddy-and-gfp.md ("Pictures of the data structures").
 */
#include "tools/diagrams/diagrams.h"

#define TABLE                                                                 \
	"<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=" \
	"\"3\" BGCOLOR=\"" COLOUR_STRUCT "\">"
#define RUNS_PER_ROW 4

typedef unsigned long long ull;

static void draw_pgdat(FILE *f, const struct pglist_data *p)
{
	fprintf(f, "  pgdat [label=<" TABLE);
	fprintf(f,
		"<TR><TD BGCOLOR=\"" COLOUR_HEADER "\"><B>struct pglist_data"
		"</B><BR/>node %d</TD></TR>",
		p->node_id);
	fprintf(f,
		"<TR><TD PORT=\"sec\" ALIGN=\"LEFT\">sections: a hash table "
		"of %u slots<BR ALIGN=\"LEFT\"/>(hash_bits %u), %u in use"
		"</TD></TR>",
		1U << p->hash_bits, p->hash_bits, p->nr_sections);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		fprintf(f,
			"<TR><TD PORT=\"z%d\" ALIGN=\"LEFT\">node_zones[%d]: "
			"%s</TD></TR>",
			zi, zi, p->node_zones[zi].name);
	fprintf(f,
		"<TR><TD ALIGN=\"LEFT\">metadata: pfn 0x%llx, %llu page(s)"
		"<BR ALIGN=\"LEFT\"/>= the hash table + the state bytes"
		"</TD></TR>",
		(ull)p->metadata_start, (ull)p->metadata_pages);
	fprintf(f,
		"<TR><TD ALIGN=\"LEFT\">totalram_pages %llu<BR ALIGN=\"LEFT\"/>"
		"min_free_kbytes %llu</TD></TR>",
		(ull)p->totalram_pages, (ull)p->min_free_kbytes);
	fprintf(f,
		"<TR><TD ALIGN=\"LEFT\">per-CPU lists: %s, %u CPUs</TD></TR>"
		"</TABLE>>];\n",
		p->pcp_enabled ? "on" : "off", p->pcp_nr_cpus);
}

static void draw_zone(FILE *f, const struct pglist_data *p, int zi)
{
	const struct zone *z = &p->node_zones[zi];
	char size[16];
	ull first = z->zone_start_pfn, last = first + z->spanned_pages - 1;

	fprintf(f, "  z%d [label=<" TABLE, zi);
	fprintf(f,
		"<TR><TD COLSPAN=\"2\" BGCOLOR=\"" COLOUR_HEADER "\"><B>"
		"struct zone %s</B> (node_zones[%d])</TD></TR>",
		z->name, zi);
	if (z->spanned_pages)
		fprintf(f,
			"<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">pfn 0x%llx-0x%llx"
			"<BR ALIGN=\"LEFT\"/>phys 0x%llx-0x%llx</TD></TR>",
			first, last, first << PAGE_SHIFT,
			((last + 1) << PAGE_SHIFT) - 1);
	fprintf(f,
		"<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">spanned %llu, present "
		"%llu,<BR ALIGN=\"LEFT\"/>managed %llu, free %llu pages</TD>"
		"</TR>",
		(ull)z->spanned_pages, (ull)z->present_pages,
		(ull)z->managed_pages, (ull)z->free_pages);
	fprintf(f,
		"<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">watermarks: min %llu, "
		"low %llu, high %llu</TD></TR>",
		(ull)z->watermark[WMARK_MIN], (ull)z->watermark[WMARK_LOW],
		(ull)z->watermark[WMARK_HIGH]);
	fprintf(f, "<TR><TD><I>free_area[order]</I></TD><TD><I>nr_free"
		   "</I></TD></TR>");
	/* Orders with blocks get a row (and their list); the empty ones
	 * share a line. */
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		ull n = z->free_area[o].nr_free;
		if (n)
			fprintf(f,
				"<TR><TD ALIGN=\"LEFT\">%u (%s)</TD><TD PORT="
				"\"o%u\" BGCOLOR=\"" COLOUR_FREE "\">%llu</TD>"
				"</TR>",
				o, order_size(o, size, sizeof(size)), o, n);
	}
	fprintf(f, "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\"><FONT COLOR=\""
		   "#757575\">nr_free 0 at orders");
	for (unsigned int o = 0, first = 1; o <= MAX_ORDER; o++)
		if (!z->free_area[o].nr_free) {
			fprintf(f, "%s%u", first ? " " : ", ", o);
			first = 0;
		}
	fprintf(f, "</FONT></TD></TR>");
	if (p->pcp_enabled && !z->pcp)
		fprintf(f, "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">pcp[]: none "
			   "(under 1024 pages)</TD></TR>");
	else if (p->pcp_enabled) {
		fprintf(f, "<TR><TD><I>pcp[cpu]</I></TD><TD><I>count</I></TD>"
			   "</TR>");
		for (unsigned int c = 0; c < p->pcp_nr_cpus; c++) {
			const struct per_cpu_pages *pcp = &z->pcp[c];
			fprintf(f,
				"<TR><TD ALIGN=\"LEFT\">%u (high %u, batch %u)"
				"</TD><TD PORT=\"c%u\"%s>%u</TD></TR>",
				c, pcp->high, pcp->batch, c,
				pcp->count ? " BGCOLOR=\"" COLOUR_PCP "\"" : "",
				pcp->count);
		}
	}
	fprintf(f, "</TABLE>>];\n  pgdat:z%d -> z%d;\n", zi, zi);
}

/* One block on a list: its frames, address, size and head byte. tag is
 * what the test script counts: "free:ZONE:ORDER" or
 * "pcp:ZONE:CPU:TYPE:ORDER". */
static void draw_block(FILE *f, const struct pglist_data *p, const char *tag,
		       unsigned int order, uint64_t pfn, uint8_t want)
{
	char name[24], size[16];
	const uint8_t *st = pfn_state(p, pfn);
	uint8_t s = st ? *st : PFS_RESERVED;
	const char *colour = s == want ? state_colour(s, 0) : COLOUR_BAD;
	ull last = pfn + (1ULL << order) - 1;

	fprintf(f, "  b%llx [id=\"%s:0x%llx\", label=<" TABLE, (ull)pfn, tag,
		(ull)pfn);
	if (order)
		fprintf(f, "<TR><TD BGCOLOR=\"%s\">pfn 0x%llx-0x%llx, %s</TD>",
			colour, (ull)pfn, last,
			order_size(order, size, sizeof(size)));
	else
		fprintf(f, "<TR><TD BGCOLOR=\"%s\">pfn 0x%llx, %s</TD>", colour,
			(ull)pfn, order_size(order, size, sizeof(size)));
	fprintf(f,
		"</TR><TR><TD>phys 0x%llx, byte 0x%02x (%s)</TD></TR>"
		"</TABLE>>];\n",
		(ull)pfn << PAGE_SHIFT, s, state_name(s, name, sizeof(name)));
}

/* Walks one list from its head, drawing a block per entry and an arrow per
 * next link; stops after `limit` entries in case the list loops. */
static unsigned long draw_list(FILE *f, const struct pglist_data *p,
			       const struct list_head *h, const char *from,
			       const char *tag, unsigned int order,
			       uint8_t want, uint64_t limit)
{
	char prev[32];
	unsigned long n = 0;

	snprintf(prev, sizeof(prev), "%s", from);
	for (const struct list_head *e = h->next; e != h && n < limit;
	     e = e->next, n++) {
		uint64_t pfn = entry_pfn(p, e);
		draw_block(f, p, tag, order, pfn, want);
		fprintf(f, "  %s -> b%llx [label=\"next\"];\n", prev, (ull)pfn);
		snprintf(prev, sizeof(prev), "b%llx", (ull)pfn);
	}
	return n;
}

static unsigned long draw_lists(FILE *f, const struct pglist_data *p, int zi)
{
	const struct zone *z = &p->node_zones[zi];
	unsigned long blocks = 0;
	char from[32], tag[48], prev[32];

	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		for (int t = 0; t < MIGRATE_TYPES; t++) {
			snprintf(from, sizeof(from), "z%d:o%u:e", zi, o);
			snprintf(tag, sizeof(tag), "free:%s:%u", z->name, o);
			blocks += draw_list(f, p, &z->free_area[o].free_list[t],
					    from, tag, o, PFS_FREE | o,
					    z->managed_pages + 1);
		}
	if (!p->pcp_enabled)
		return blocks;
	for (unsigned int c = 0; z->pcp && c < p->pcp_nr_cpus; c++) {
		const struct per_cpu_pages *pcp = &z->pcp[c];
		/* A cache holds frame numbers in slots, the hottest on top:
		 * drawn from the top down, each edge naming its slot; then
		 * its blocks of orders 1-4 the same way. */
		for (unsigned int o = 0; o <= PCP_MAX_ORDER; o++)
			for (int t = 0; t < MIGRATE_PCPTYPES; t++) {
				const uint32_t *slots =
				    o ? pcp->hslots[o - 1][t] : pcp->slots[t];
				int n = o ? pcp->hnr[o - 1][t] : pcp->nr[t];
				snprintf(prev, sizeof(prev), "z%d:c%u:e", zi,
					 c);
				snprintf(tag, sizeof(tag), "pcp:%s:%u:%d:%u",
					 z->name, c, t, o);
				for (int i = n - 1; i >= 0; i--) {
					uint64_t pfn = pcp->base_pfn + slots[i];
					draw_block(f, p, tag, o, pfn,
						   PFS_PCP | o);
					fprintf(f,
						"  %s -> b%llx [label=\"slot %d\"];\n",
						prev, (ull)pfn, i);
					snprintf(prev, sizeof(prev), "b%llx",
						 (ull)pfn);
				}
			}
	}
	return blocks;
}

/* One cell of the state-byte strip: a block (head + tails), or a run of
 * reserved bytes, or of tails with no head (a broken node, in red). */
static void draw_run(FILE *f, unsigned int sec, uint64_t pfn, uint64_t n,
		     const uint8_t *b)
{
	char name[24];
	fprintf(f, "<TD ID=\"run:%u:0x%llx:%llu:0x%02x\" BGCOLOR=\"%s\">", sec,
		(ull)pfn, (ull)n, b[0], state_colour(b[0], 0));
	if (n == 1)
		fprintf(f, "0x%llx<BR/>0x%02x", (ull)pfn, b[0]);
	else
		fprintf(f, "0x%llx-0x%llx<BR/>0x%02x, 0x%02x &#215;%llu",
			(ull)pfn, (ull)(pfn + n - 1), b[0], b[1], (ull)(n - 1));
	fprintf(f, "<BR/>%s</TD>", state_name(b[0], name, sizeof(name)));
}

/* How many frames from b[0] belong to the same cell (at most max). */
static uint64_t run_length(const uint8_t *b, uint64_t max)
{
	uint64_t n = 1;
	if (b[0] & PFS_HEAD) { /* free, allocated or parked */
		uint64_t size = 1ULL << (b[0] & PFS_ORDER_MASK);
		while (n < size && n < max && b[n] == PFS_TAIL)
			n++;
	} else if (b[0] == PFS_RESERVED || b[0] == PFS_TAIL) {
		while (n < max && b[n] == b[0])
			n++;
	}
	return n;
}

/* The section's state bytes, as a table nested in the section's node. */
static void draw_state_bytes(FILE *f, struct pglist_data *p,
			     const struct mem_section *s, unsigned int sec)
{
	const struct zone *zone = NULL;
	unsigned int cells = 0;

	fprintf(f,
		"<TR><TD ALIGN=\"LEFT\" BGCOLOR=\"white\"><TABLE BORDER=\"0\" "
		"CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"2\"><TR>"
		"<TD COLSPAN=\"%d\"><I>frame_state[]</I>: a byte per frame, a cell "
		"per block:<BR/>its pfns, its head byte, its tail bytes</TD></TR>",
		RUNS_PER_ROW + 1);
	for (uint64_t i = 0; i < s->nr_frames;) {
		uint64_t pfn = s->first_pfn + i;
		uint64_t n = run_length(&s->frame_state[i], s->nr_frames - i);
		const struct zone *z = pfn_to_zone(p, pfn);
		if (z != zone || cells == RUNS_PER_ROW) {
			fprintf(f, "%s<TR><TD>%s</TD>", zone ? "</TR>" : "",
				z != zone ? z->name : "");
			zone = z;
			cells = 0;
		}
		draw_run(f, sec, pfn, n, &s->frame_state[i]);
		cells++;
		i += n;
	}
	fprintf(f, "</TR></TABLE></TD></TR>");
}

static void draw_sections(FILE *f, struct pglist_data *p)
{
	unsigned int slots = 1U << p->hash_bits;

	fprintf(f, "  hash [label=<" TABLE);
	fprintf(f,
		"<TR><TD COLSPAN=\"2\" BGCOLOR=\"" COLOUR_HEADER "\"><B>"
		"sections[]</B>: open addressing, key = section + 1<BR/>"
		"home slot = (key &#215; 0x9E3779B97F4A7C15) &gt;&gt; (64 - "
		"%u)</TD></TR>",
		p->hash_bits);
	for (unsigned int i = 0; i < slots; i++) {
		const struct mem_section *s = &p->sections[i];
		if (!s->key)
			fprintf(f,
				"<TR><TD>slot %u</TD><TD ALIGN=\"LEFT\">"
				"<FONT COLOR=\"#9e9e9e\">empty (key 0)</FONT>"
				"</TD></TR>",
				i);
		else
			fprintf(f,
				"<TR><TD>slot %u</TD><TD PORT=\"s%u\" "
				"ALIGN=\"LEFT\">key %llu: section %llu (home "
				"slot %llu)</TD></TR>",
				i, i, (ull)s->key, (ull)s->key - 1,
				(ull)section_hash_slot(p, s->key));
	}
	fprintf(f, "</TABLE>>];\n  pgdat:sec -> hash;\n");

	for (unsigned int i = 0; i < slots; i++) {
		const struct mem_section *s = &p->sections[i];
		ull sec = s->key - 1, base = sec << SECTION_SHIFT;
		if (!s->key)
			continue;
		fprintf(f,
			"  sec%llu [id=\"section:%llu:0x%llx:%llu\", label=<" TABLE,
			sec, sec, (ull)s->first_pfn, (ull)s->nr_frames);
		fprintf(f,
			"<TR><TD BGCOLOR=\"" COLOUR_HEADER "\"><B>struct "
			"mem_section</B> %llu<BR/>phys 0x%llx-0x%llx (128 MiB)"
			"</TD></TR>",
			sec, base, base + (1ULL << SECTION_SHIFT) - 1);
		fprintf(f,
			"<TR><TD ALIGN=\"LEFT\">first_pfn 0x%llx, nr_frames "
			"%llu (its first to last RAM frame)"
			"</TD></TR>",
			(ull)s->first_pfn, (ull)s->nr_frames);
		/* Pageblock types, one letter each (U M R H I). */
		char types[PAGEBLOCKS_PER_SECTION + 1];
		for (unsigned int b = 0; b < PAGEBLOCKS_PER_SECTION; b++)
			types[b] =
			    "UMRHI"[s->pageblock_flags[b] & PB_MIGRATETYPE_MASK];
		types[PAGEBLOCKS_PER_SECTION] = '\0';
		fprintf(f,
			"<TR><TD ALIGN=\"LEFT\">frame_state: at phys 0x%llx "
			"(in the metadata); pageblocks %s</TD></TR>",
			(ull)pgdat_virt_to_phys(p, s->frame_state), types);
		draw_state_bytes(f, p, s, (unsigned int)sec);
		fprintf(f, "</TABLE>>];\n  hash:s%u:e -> sec%llu [minlen=2];\n",
			i, sec);
	}
}

unsigned long draw_node(FILE *f, struct pglist_data *p, const char *title)
{
	unsigned long blocks = 0;

	dot_begin(f, "allocator_node", "LR", title);
	draw_pgdat(f, p);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		draw_zone(f, p, zi);
		blocks += draw_lists(f, p, zi);
	}
	draw_sections(f, p);
	dot_legend(f, 1, 1);
	fprintf(f, "  {rank=same; pgdat; legend}\n  legend -> pgdat "
		   "[style=invis];\n}\n");
	return blocks;
}
