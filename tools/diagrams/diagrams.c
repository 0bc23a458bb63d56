/*
 * diagrams: pictures of the allocator's data structures, drawn from real
 * nodes (`make diagrams`). It builds a small node with the mm/ code itself
 * (pgdat_init over host memory playing RAM in two 128 MiB sections), makes
 * a mix of allocations on two "CPUs" (threads), and writes what it finds as
 * Graphviz DOT; then the worked example of docs/03-buddy-and-gfp.md, step
 * by step. Nothing in the pictures is typed in: every block, list link and
 * byte is read from the node.
 *
 *   diagrams OUTDIR [--alloc ORDER]...
 *
 * writes OUTDIR/node.dot, OUTDIR/buddy-steps.dot and OUTDIR/node.txt (the
 * node's buddyinfo and meminfo, printed by mm/ itself, which
 * tests/scripts/diagrams.sh compares with the drawing). Each --alloc takes
 * one more block of that order before drawing. Exit status: 0, 1 if a node
 * could not be built, 2 for bad input.
 * docs/03-buddy-and-gfp.md ("Pictures of the data structures").
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/lib/printk.h"
#include "mm/pcp.h"
#include "tools/diagrams/diagrams.h"

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}

/* ---------------------------------------------------------------- helpers */

const char *state_colour(uint8_t s, int tail)
{
	if (s & PFS_FREE)
		return tail ? COLOUR_FREE_TAIL : COLOUR_FREE;
	if (s & PFS_ALLOC)
		return tail ? COLOUR_ALLOC_TAIL : COLOUR_ALLOC;
	if (pfs_parked(s))
		return COLOUR_PCP;
	if (s == PFS_RESERVED)
		return COLOUR_RESERVED;
	return COLOUR_BAD;
}

const char *state_name(uint8_t s, char *buf, size_t size)
{
	if (s & PFS_HEAD)
		snprintf(buf, size, "%s|%u",
			 s & PFS_FREE	 ? "FREE"
			 : s & PFS_ALLOC ? "ALLOC"
					 : "PCP",
			 s & PFS_ORDER_MASK);
	else
		snprintf(buf, size, "%s",
			 s == PFS_TAIL	     ? "TAIL"
			 : s == PFS_RESERVED ? "RESERVED"
					     : "?");
	return buf;
}

const char *order_size(unsigned int order, char *buf, size_t size)
{
	uint64_t kib = 4ULL << order;
	if (kib >= 1024)
		snprintf(buf, size, "%llu MiB", (unsigned long long)kib / 1024);
	else
		snprintf(buf, size, "%llu KiB", (unsigned long long)kib);
	return buf;
}

void dot_begin(FILE *f, const char *name, const char *rankdir,
	       const char *title)
{
	fprintf(f, "digraph %s {\n", name);
	fprintf(f,
		"  graph [rankdir=%s, fontname=\"DejaVu Sans\", fontsize=13, "
		"labelloc=t, nodesep=0.06, ranksep=0.3, newrank=true, "
		"label=<%s>];\n",
		rankdir, title);
	fprintf(f, "  node [shape=plaintext, fontname=\"DejaVu Sans\", "
		   "fontsize=9, margin=0];\n");
	fprintf(f, "  edge [fontname=\"DejaVu Sans\", fontsize=8, "
		   "arrowsize=0.6];\n");
}

void dot_legend(FILE *f, int with_node, int with_links)
{
	static const struct {
		const char *colour, *text;
	} rows[6] = {
		{ COLOUR_FREE, "head of a free block: state byte 0x80|order "
			       "(FREE), on its zone's free list" },
		{ COLOUR_FREE_TAIL, "the rest of a free block: 0x01 (TAIL)" },
		{ COLOUR_ALLOC, "head of an allocated block: 0x40|order "
				"(ALLOC)" },
		{ COLOUR_ALLOC_TAIL, "the rest of an allocated block: 0x01 "
				     "(TAIL)" },
		{ COLOUR_PCP, "a free block parked in a per-CPU cache: 0x20 "
			      "| order (PCP)" },
		{ COLOUR_RESERVED, "not the allocator's: 0x00 (RESERVED), "
				   "e.g. the metadata" },
	};
	fprintf(f, "  legend [label=<<TABLE BORDER=\"1\" CELLBORDER=\"0\" "
		   "CELLSPACING=\"2\" CELLPADDING=\"2\">"
		   "<TR><TD COLSPAN=\"2\"><B>legend</B></TD></TR>");
	for (size_t i = 0; i < (with_node ? 6 : 4); i++)
		fprintf(f,
			"<TR><TD BGCOLOR=\"%s\" BORDER=\"1\" WIDTH=\"18\">"
			"</TD><TD ALIGN=\"LEFT\">%s</TD></TR>",
			rows[i].colour, rows[i].text);
	if (with_links)
		fprintf(f, "<TR><TD>&#8594;</TD><TD ALIGN=\"LEFT\">a list "
			   "link (next): it is stored in the first page "
			   "of the free block it leaves</TD></TR>"
			   "<TR><TD></TD><TD ALIGN=\"LEFT\">(the last block's "
			   "next leads back to the list head in the zone; "
			   "the prev links,<BR ALIGN=\"LEFT\"/>the other way, "
			   "are not drawn)</TD></TR>");
	fprintf(f, "</TABLE>>];\n");
}

/* ---------------------------------------------------------------- the node */

/*
 * The node: 8 MiB of RAM at made-up physical addresses in two 128 MiB
 * sections, 4 MiB at 1 GiB and 4 MiB at 1 GiB + 128 MiB, so the section
 * hash has two entries and the Normal zone spans a hole. The zone limits
 * are moved (as the test nodes do) to put three zones in it: DMA the first
 * MiB, DMA32 the second, Normal the rest (6 MiB, enough for per-CPU lists).
 */
#define PHYS_BASE 0x40000000ULL
#define MIB (1ULL << 20)
#define SPAN (128 * MIB + 4 * MIB)

static struct pglist_data node;
static const struct memmap_range ram[2] = {
	{ PHYS_BASE, PHYS_BASE + 4 * MIB, 7, 0 },
	{ PHYS_BASE + 128 * MIB, PHYS_BASE + 132 * MIB, 7, 0 },
};

static int build_node(void)
{
	/* The span is reserved, only its RAM is accessible (like
	 * tests/support/simulate_host.c): a stray access to the hole faults. */
	char *span = mmap(NULL, SPAN, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (span == MAP_FAILED)
		return -1;
	for (int i = 0; i < 2; i++)
		if (mprotect(span + (ram[i].start - PHYS_BASE),
			     ram[i].end - ram[i].start, PROT_READ | PROT_WRITE))
			return -1;
	struct pgdat_config cfg = {
		.usable = ram,
		.nr_usable = 2,
		.dma_limit = PHYS_BASE + MIB,
		.dma32_limit = PHYS_BASE + 2 * MIB,
		.direct_map_offset = (uint64_t)(uintptr_t)span - PHYS_BASE,
	};
	if (pgdat_init(&node, &cfg))
		return -1;
	pgdat_pcp_enable(&node, 2);
	return 0;
}

static uint64_t take(gfp_t gfp, unsigned int order)
{
	uint64_t phys = pgdat_alloc_pages(&node, gfp | __GFP_NOWARN, order);
	if (!phys) {
		fprintf(stderr,
			"diagrams: an order-%u allocation failed (no free "
			"block that large is left)\n",
			order);
		exit(1);
	}
	return phys;
}

/* CPU 1's share: a few single pages, most of them freed again, so its
 * per-CPU list holds some. Runs on a thread of its own: on the host each
 * thread is a CPU (tests/support/platform_host.c). */
static void *cpu1_work(void *arg)
{
	uint64_t pages[3];
	(void)arg;
	for (int i = 0; i < 3; i++)
		pages[i] = take(GFP_MOVABLE, 0);
	pgdat_free_pages(&node, pages[0], 0);
	return NULL;
}

/* A mix of orders in every zone, and frames on both CPUs' lists. The
 * blocks kept are simply never freed: the process ends after drawing. */
static void make_mix(void)
{
	uint64_t a, pages[6];
	pthread_t t;

	take(GFP_MOVABLE | __GFP_DMA, 4);
	a = take(GFP_MOVABLE | __GFP_DMA, 2);
	take(GFP_MOVABLE | __GFP_DMA, 0);
	take(GFP_MOVABLE | __GFP_DMA, 3);
	pgdat_free_pages(&node, a, 2);

	take(GFP_MOVABLE | __GFP_DMA32, 5);
	a = take(GFP_MOVABLE | __GFP_DMA32, 1);
	take(GFP_MOVABLE | __GFP_DMA32, 3);
	take(GFP_MOVABLE | __GFP_DMA32, 0);
	pgdat_free_pages(&node, a, 1);

	take(GFP_MOVABLE, 7);
	a = take(GFP_MOVABLE, 2);
	take(GFP_MOVABLE, 6);
	pgdat_free_pages(&node, a, 2);

	/* CPU 0 (this thread, the first to allocate) parks two frames. */
	for (int i = 0; i < 6; i++)
		pages[i] = take(GFP_MOVABLE, 0);
	for (int i = 0; i < 2; i++)
		pgdat_free_pages(&node, pages[i], 0);
	if (pthread_create(&t, NULL, cpu1_work, NULL) ||
	    pthread_join(t, NULL)) {
		fprintf(stderr, "diagrams: cannot start a second thread\n");
		exit(1);
	}
}

/* What mm/ itself says about the node, for the test to compare with. */
static int write_mm_text(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int saved = console_loglevel;
	console_loglevel = 0; /* captured, not printed */
	printk_capture_start(buf, sizeof(buf));
	buddyinfo_show(&node);
	meminfo_show(&node);
	printk_capture_stop();
	console_loglevel = saved;
	/* Level prefixes ("<6>") are captured too: drop them. */
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(f, "%s\n",
			line[0] == '<' && line[2] == '>' ? line + 3 : line);
	return fclose(f);
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "diagrams: cannot write %s\n", path);
	return f;
}

int main(int argc, char **argv)
{
	unsigned int extra[16], nr_extra = 0;
	char title[512], path[4096];

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: diagrams OUTDIR [--alloc ORDER]...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		char *end = NULL;
		unsigned long o = 0;
		if (strcmp(argv[i], "--alloc")) {
			fprintf(stderr,
				"diagrams: unknown argument '%s' (expected "
				"--alloc ORDER)\n",
				argv[i]);
			return 2;
		}
		if (i + 1 == argc) {
			fprintf(stderr,
				"diagrams: --alloc needs an ORDER "
				"(0..%d)\n",
				MAX_ORDER);
			return 2;
		}
		if (argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
			o = strtoul(argv[i + 1], &end, 10);
		if (!end || *end || o > MAX_ORDER) {
			fprintf(stderr,
				"diagrams: --alloc '%s': ORDER must be 0..%d\n",
				argv[i + 1], MAX_ORDER);
			return 2;
		}
		if (nr_extra == 16) {
			fprintf(stderr, "diagrams: --alloc given more than 16 "
					"times\n");
			return 2;
		}
		extra[nr_extra++] = (unsigned int)o;
		i++;
	}
	if (build_node()) {
		fprintf(stderr, "diagrams: cannot build the node\n");
		return 1;
	}
	make_mix();
	for (unsigned int i = 0; i < nr_extra; i++)
		take(GFP_MOVABLE, extra[i]);
	if (pgdat_check(&node)) {
		fprintf(stderr, "diagrams: mm_check found problems in the "
				"node\n");
		return 1;
	}

	FILE *f = open_out(argv[1], "node.dot");
	if (!f)
		return 1;
	snprintf(title, sizeof(title),
		 "<B>A node of the real allocator</B> (mm/, built on the host "
		 "by tools/diagrams): 8 MiB of RAM in two 128 MiB sections, "
		 "after a mix of allocations%s",
		 nr_extra ? " and the --alloc requests" : "");
	unsigned long blocks = draw_node(f, &node, title);
	fclose(f);

	snprintf(path, sizeof(path), "%s/node.txt", argv[1]);
	if (write_mm_text(path)) {
		fprintf(stderr, "diagrams: cannot write %s\n", path);
		return 1;
	}

	f = open_out(argv[1], "buddy-steps.dot");
	if (!f)
		return 1;
	int r = draw_worked_example(f);
	fclose(f);
	if (r)
		return 1;
	printf("diagrams: %s/node.dot (%lu free blocks), node.txt, "
	       "buddy-steps.dot\n",
	       argv[1], blocks);
	return 0;
}
