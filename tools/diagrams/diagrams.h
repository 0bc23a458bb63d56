/*
 * Shared by the diagram generator's files (tools/diagrams/): the colours
 * and names of frame states, a few DOT helpers, and the two drawings. The
 * generator builds real nodes with the mm/ code and draws what it finds.
 * docs/03-buddy-and-gfp.md ("Pictures of the data structures").
 */
#ifndef LABYRINTH_TOOLS_DIAGRAMS_DIAGRAMS_H
#define LABYRINTH_TOOLS_DIAGRAMS_DIAGRAMS_H

#include <stdint.h>
#include <stdio.h>

#include "mm/page_alloc.h"

/* The frame whose page holds list entry e: a free block's links live in
 * its first page (mm/internal.h has the same helper for mm/ alone). */
static inline uint64_t entry_pfn(const struct pglist_data *p,
				 const struct list_head *e)
{
	return pgdat_virt_to_phys(p, e) >> PAGE_SHIFT;
}

/* One colour per kind of frame, the same in both pictures and legends. */
#define COLOUR_FREE "#a5d6a7"	    /* head of a free block */
#define COLOUR_FREE_TAIL "#e8f5e9"  /* tail of a free block */
#define COLOUR_ALLOC "#ffb74d"	    /* head of an allocated block */
#define COLOUR_ALLOC_TAIL "#fff3e0" /* tail of an allocated block */
#define COLOUR_PCP "#90caf9"	    /* parked on a per-CPU list */
#define COLOUR_RESERVED "#bdbdbd"   /* not the allocator's (0x00) */
#define COLOUR_BAD "#ef5350"	    /* a tail with no head: a broken node */
#define COLOUR_STRUCT "#fffde7"	    /* a C structure */
#define COLOUR_HEADER "#e0e0e0"

/* The fill colour of a frame whose state byte is s; tail says whether it
 * is a tail of a block whose head byte is s. */
const char *state_colour(uint8_t s, int tail);
/* "FREE|3", "ALLOC|0", "PCP", "TAIL", "RESERVED" for a state byte. */
const char *state_name(uint8_t s, char *buf, size_t size);
/* "4 KiB", "2 MiB": the size of 2^order frames. */
const char *order_size(unsigned int order, char *buf, size_t size);

/* The graph's opening lines, with a title drawn at the top. */
void dot_begin(FILE *f, const char *name, const char *rankdir,
	       const char *title);
/* The colour legend, as one node called `legend`; with_node adds the
 * per-CPU and reserved colours, with_links the list arrows. */
void dot_legend(FILE *f, int with_node, int with_links);

/* Draws node p as it is now (tools/diagrams/node_dot.c). Returns the number
 * of free blocks drawn. */
unsigned long draw_node(FILE *f, struct pglist_data *p, const char *title);

/* Builds the worked example of docs/03 on a node of its own, captures its
 * states and draws them (tools/diagrams/steps_dot.c). Returns 0, or -1
 * after printing why the example could not be set up. */
int draw_worked_example(FILE *f);

#endif
