/*
 * The worked example of docs/03-buddy-and-gfp.md, drawn from a real node:
 * one free order-3 block at pfn 40 and nothing at orders 0-2; an order-0
 * request splits it three times, freeing the page merges it back. The node
 * has 512 KiB of RAM from physical 0, so its frame numbers are the
 * chapter's. The starting state is made with ordinary allocations and
 * frees; every panel is a snapshot of the node's state bytes and free
 * lists, and the labels are worked out from the snapshots.
 * docs/03-buddy-and-gfp.md ("Pictures of the data structures").
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/support/test_arena.h"
#include "tools/diagrams/diagrams.h"

typedef unsigned long long ull;

#define EX_FRAMES 128 /* pfns 0-127; the metadata takes the last one */
#define EX_PFN 40     /* the chapter's free block ... */
#define EX_ORDER 3    /* ... of order 3 */
#define EX_BUDDY 32   /* its buddy, allocated */
#define EX_OTHER 64   /* "among others": a free order-5 block */
#define EX_OTHER_ORDER 5
/* Movable: every pageblock starts movable, so the example stays in one
 * migrate type and shows the buddy alone (docs/10). */
#define QUIET (GFP_NOWAIT | __GFP_MOVABLE | __GFP_NOWARN)

struct snapshot {
	uint8_t st[EX_FRAMES];
	unsigned int nr[NR_PAGE_ORDERS];
	uint64_t blk[NR_PAGE_ORDERS][EX_FRAMES];
};

static struct pglist_data ex;
static struct snapshot snap[5];

static void capture(struct snapshot *s)
{
	const struct zone *z = &ex.node_zones[ZONE_DMA];
	memset(s, 0, sizeof(*s));
	for (uint64_t pfn = 0; pfn < EX_FRAMES; pfn++) {
		const uint8_t *b = pfn_state(&ex, pfn);
		s->st[pfn] = b ? *b : PFS_RESERVED;
	}
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		const struct list_head *h =
		    &z->free_area[o].free_list[MIGRATE_MOVABLE];
		for (const struct list_head *e = h->next;
		     e != h && s->nr[o] < EX_FRAMES; e = e->next)
			s->blk[o][s->nr[o]++] = entry_pfn(&ex, e);
	}
}

static int same(const struct snapshot *a, const struct snapshot *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static int on_list(const struct snapshot *s, unsigned int o, uint64_t pfn)
{
	for (unsigned int i = 0; i < s->nr[o]; i++)
		if (s->blk[o][i] == pfn)
			return 1;
	return 0;
}

static uint64_t get(unsigned int order)
{
	return pgdat_alloc_pages(&ex, QUIET, order) >> PAGE_SHIFT;
}

static void put(uint64_t pfn, unsigned int order)
{
	pgdat_free_pages(&ex, pfn << PAGE_SHIFT, order);
}

static int fail(const char *what)
{
	fprintf(stderr, "diagrams: worked example: %s\n", what);
	return -1;
}

/* The chapter's starting state, from a node whose pages are all taken:
 * frees that merge into the blocks wanted, and one order-3 request. */
static int set_up(void)
{
	void *arena = mmap(NULL, EX_FRAMES * PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct memmap_range ram = { 0, EX_FRAMES * PAGE_SIZE, 7, 0 };
	struct pgdat_config cfg = {
		.usable = &ram,
		.nr_usable = 1,
		.direct_map_offset = (uint64_t)(uintptr_t)arena,
	};
	if (arena == MAP_FAILED || pgdat_init(&ex, &cfg))
		return fail("cannot build the node");
	mm_test_zero_watermarks(&ex); /* every page may be taken */
	while (get(0))
		;
	for (uint64_t pfn = EX_BUDDY; pfn < EX_BUDDY + (1 << EX_ORDER); pfn++)
		put(pfn, 0);
	if (get(EX_ORDER) != EX_BUDDY)
		return fail("the order-3 request did not get the buddy");
	for (uint64_t i = 0; i < (1 << EX_OTHER_ORDER); i++)
		put(EX_OTHER + i, 0);
	for (uint64_t i = 0; i < (1 << EX_ORDER); i++)
		put(EX_PFN + i, 0);
	capture(&snap[0]);
	for (unsigned int o = 0; o < EX_ORDER; o++)
		if (snap[0].nr[o])
			return fail("orders 0-2 are not empty at the start");
	if (!on_list(&snap[0], EX_ORDER, EX_PFN) || pgdat_check(&ex))
		return fail("no free order-3 block at pfn 40");
	return 0;
}

/* A frame's colour: a tail takes its head's (looked up backwards). */
static const char *frame_colour(const struct snapshot *s, uint64_t pfn)
{
	uint64_t h = pfn;
	if (s->st[pfn] != PFS_TAIL)
		return state_colour(s->st[pfn], 0);
	while (h > 0 && s->st[h] == PFS_TAIL)
		h--;
	return state_colour(s->st[h], 1);
}

static void draw_panel(FILE *f, int k, const char *title, const char *note,
		       uint64_t first, unsigned int n)
{
	const struct snapshot *s = &snap[k];

	fprintf(f,
		"  S%d [label=<<TABLE BORDER=\"1\" CELLBORDER=\"1\" "
		"CELLSPACING=\"0\" CELLPADDING=\"3\"><TR><TD COLSPAN=\"%u\" "
		"BGCOLOR=\"" COLOUR_HEADER "\"><B>%s</B>%s%s</TD></TR>",
		k, n + 1, title, note[0] ? "<BR/>" : "", note);
	fprintf(f, "<TR><TD ALIGN=\"LEFT\">pfn<BR/>state byte</TD>");
	for (uint64_t pfn = first; pfn < first + n; pfn++)
		fprintf(f,
			"<TD BGCOLOR=\"%s\" ID=\"S%d.f%llu\">%llu<BR/>0x%02x"
			"</TD>",
			frame_colour(s, pfn), k, (ull)pfn, (ull)pfn,
			s->st[pfn]);
	fprintf(f, "</TR>");
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		if (o > EX_ORDER && !s->nr[o])
			continue;
		fprintf(f,
			"<TR><TD ALIGN=\"LEFT\">free_area[%u]</TD><TD "
			"COLSPAN=\"%u\" ALIGN=\"LEFT\" ID=\"S%d.o%u\"%s>",
			o, n, k, o,
			s->nr[o] ? " BGCOLOR=\"" COLOUR_FREE_TAIL "\"" : "");
		for (unsigned int i = 0; i < s->nr[o]; i++) {
			uint64_t b = s->blk[o][i], e = b + (1ULL << o) - 1;
			if (o)
				fprintf(f, "%s%llu-%llu", i ? ", " : "", (ull)b,
					(ull)e);
			else
				fprintf(f, "%s%llu", i ? ", " : "", (ull)b);
		}
		fprintf(f, "%s</TD></TR>", s->nr[o] ? "" : "empty");
	}
	fprintf(f, "</TABLE>>];\n");
}

/* "40-43", or "41" for a single frame. */
static const char *frames(char *buf, size_t size, uint64_t pfn, uint64_t n)
{
	if (n == 1)
		snprintf(buf, size, "%llu", (ull)pfn);
	else
		snprintf(buf, size, "%llu-%llu", (ull)pfn, (ull)(pfn + n - 1));
	return buf;
}

/* split k: the block that appeared on a list between panels k-1 and k is
 * the upper half given away; the lower half is kept. */
static void split_label(char *buf, size_t size, int k)
{
	char whole[24], keep[24], give[24];
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		for (unsigned int i = 0; i < snap[k].nr[o]; i++) {
			uint64_t h = snap[k].blk[o][i], half = 1ULL << o;
			if (on_list(&snap[k - 1], o, h))
				continue;
			snprintf(buf, size,
				 "split %d: block %s (order %u)\\lin halves: "
				 "keep %s,\\lput %s on free_area[%u]\\l",
				 k, frames(whole, 24, h - half, 2 * half),
				 o + 1, frames(keep, 24, h - half, half),
				 frames(give, 24, h, half), o);
			return;
		}
	snprintf(buf, size, "step %d: no new free block", k);
}

/* join: what __free_one_page() finds at each order, read from the state
 * bytes the free starts from (panel `from`). */
static int join_label(char *buf, size_t size, int from, uint64_t pfn,
		      unsigned int order)
{
	uint64_t buddy = pfn ^ (1ULL << order);
	uint8_t b = snap[from].st[buddy];
	char name[24];
	int n = snprintf(buf, size,
			 "order %u: buddy %llu ^ %u = %llu\\lis %s (0x%02x)\\l",
			 order, (ull)pfn, 1U << order, (ull)buddy,
			 b == (PFS_FREE | order) ? "free, same order"
						 : state_name(b, name, 24),
			 b);
	if (b == (PFS_FREE | order)) {
		snprintf(buf + n, size - n, "join: block %llu, order %u\\l\\l",
			 (ull)(pfn & buddy), order + 1);
		return 1;
	}
	snprintf(buf + n, size - n,
		 "stop: block %llu goes on\\lfree_area[%u]\\l", (ull)pfn,
		 order);
	return 0;
}

int draw_worked_example(FILE *f)
{
	char title[160], note[200], label[400], more[200];
	uint64_t first = EX_PFN & ~((2ULL << EX_ORDER) - 1);
	unsigned int n = 2U << EX_ORDER;

	if (set_up())
		return -1;
	/* Panels 1 and 2: the node after an order-2 and an order-1 request,
	 * whose splitting stops there; each is freed again. */
	for (int k = 1; k < EX_ORDER; k++) {
		uint64_t pfn = get(EX_ORDER - k);
		capture(&snap[k]);
		put(pfn, EX_ORDER - k);
		capture(&snap[4]);
		if (!pfn || !same(&snap[4], &snap[0]))
			return fail("a request freed again did not restore "
				    "the start");
	}
	uint64_t page = get(0);
	capture(&snap[3]);
	put(page, 0);
	capture(&snap[4]);
	if (!page || pgdat_check(&ex))
		return fail("the order-0 request failed");

	dot_begin(f, "steps", "TB",
		  "<B>The worked example of chapter 03, from a real node</B>: "
		  "alloc_pages(order 0) splits (left, down),<BR/>"
		  "__free_pages of the page merges (right, up)");
	draw_panel(f, 0, "1. before the request", "", first, n);
	draw_panel(f, 1, "2. after the first split",
		   "(the node after an order-2 request, which stops here)",
		   first, n);
	draw_panel(f, 2, "3. after the second split",
		   "(the node after an order-1 request, which stops here)",
		   first, n);
	snprintf(title, sizeof(title),
		 "4. after the third split: pfn %llu (phys 0x%llx) is returned",
		 (ull)page, (ull)page << PAGE_SHIFT);
	draw_panel(f, 3, title, "", first, n);
	for (int k = 1; k <= 3; k++) {
		split_label(label, sizeof(label), k);
		fprintf(f,
			"  S%d:w -> S%d:w [label=\"%s\", color=\"#e65100\"];\n",
			k - 1, k, label);
	}
	if (same(&snap[4], &snap[0])) {
		/* The free undoes the splits one by one: after join j the
		 * lists are those of panel 3 - j. */
		uint64_t pfn = page;
		for (unsigned int o = 0; o < EX_ORDER; o++) {
			int n = o ? 0
				  : snprintf(label, sizeof(label),
					     "__free_pages(0x%llx, 0):\\l",
					     (ull)pfn << PAGE_SHIFT);
			join_label(label + n, sizeof(label) - n, 3, pfn, o);
			pfn &= ~(1ULL << o);
			if (o + 1 == EX_ORDER) {
				join_label(more, sizeof(more), 3, pfn, o + 1);
				strncat(label, more,
					sizeof(label) - strlen(label) - 1);
			}
			fprintf(f,
				"  S%u:e -> S%u:e [dir=back, label=\"%s\", "
				"color=\"#2e7d32\"];\n",
				2 - o, 3 - o, label);
		}
		snprintf(note, sizeof(note),
			 "After the free of pfn %llu the node is panel 1 "
			 "again, byte for byte and list for list (checked).",
			 (ull)page);
	} else {
		draw_panel(f, 4, "5. after __free_pages: NOT the start again",
			   "", first, n);
		fprintf(f, "  S3 -> S4 [label=\"__free_pages\"];\n");
		snprintf(note, sizeof(note),
			 "the free did not restore panel 1");
	}
	fprintf(f,
		"  note [label=<The node: %d KiB of RAM from physical 0, one "
		"zone (%s), %llu pages managed; frame %llu holds the metadata."
		"<BR/>Shown: frames %llu-%llu, the lists of orders 0-%d and "
		"the others that are not empty.<BR/>%s>];\n",
		EX_FRAMES * 4, ex.node_zones[ZONE_DMA].name,
		(ull)ex.totalram_pages, (ull)ex.metadata_start, (ull)first,
		(ull)(first + n - 1), EX_ORDER, note);
	dot_legend(f, 0, 0);
	fprintf(f,
		"  S%d -> note [style=invis];\n  note -> legend "
		"[style=invis];\n}\n",
		same(&snap[4], &snap[0]) ? 3 : 4);
	return 0;
}
