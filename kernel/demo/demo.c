/*
 * The boot demonstration: what `./run-qemu.sh` shows after the memory map.
 * A timer tick hook allocates with GFP_ATOMIC (and tries GFP_NOWAIT) in
 * real interrupt context while process context squeezes memory down to the
 * low watermark and then lets go. One line per second shows the tick, the
 * allocations and failures, free pages against the watermarks and how much
 * of the atomic reserve (the pages below `min`) is in use. Then QEMU exits.
 * demo_seconds=N sets its length (0 turns it off). docs/04-interrupts.md.
 */
#include "kernel/demo/demo.h"
#include "kernel/lib/cmdline.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "mm/page_alloc.h"
#include "kernel/demo/hoard.h"
#include "kernel/demo/netrx.h"

#define HOLD_MAX 4096

static unsigned long demo_seconds = 6;

static int set_demo_seconds(const char *value)
{
	unsigned long s;
	if (cmdline_parse_ulong(value, &s) || s > 3600)
		return -1;
	demo_seconds = s;
	return 0;
}
CMDLINE_PARAM("demo_seconds", set_demo_seconds,
	      "length of the boot demo in seconds, 0..3600 (0: no demo)");

/* demo_buddyinfo=1: buddyinfo after each second's line, for `make plots`
 * (tools/plots/, docs/08-measuring.md). */
static unsigned long demo_buddyinfo;

/* 0 or 1, nothing else: any number used to be taken as "on", 2^64 - 1
 * and 7 alike, while the help promised only 1. */
static int set_demo_buddyinfo(const char *value)
{
	if ((value[0] != '0' && value[0] != '1') || value[1] != '\0')
		return -1;
	demo_buddyinfo = value[0] == '1';
	return 0;
}
CMDLINE_PARAM(
    "demo_buddyinfo", set_demo_buddyinfo,
    "1: print buddyinfo every second of the boot demo (for plots), 0: not");

/* What the tick hook holds: a fixed array, never an allocation. */
static struct {
	uint64_t held[HOLD_MAX];
	volatile unsigned int nheld, hold_target;
	volatile uint64_t ticks, atomic_ok, atomic_failed, nowait_ok,
	    nowait_failed;
} demo;

static void demo_tick(void *data)
{
	(void)data;
	if (smp_processor_id() != 0)
		return; /* the demo runs on the boot CPU's tick */
	demo.ticks++;
	uint64_t p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
	if (p) {
		demo.nowait_ok++;
		__free_pages(p, 0);
	} else {
		demo.nowait_failed++;
	}
	/* Hold up to hold_target pages: a few normally, more when squeezed,
	 * so the handler itself reaches into the reserve. */
	if (demo.nheld >= demo.hold_target) {
		if (demo.nheld)
			__free_pages(demo.held[--demo.nheld], 0);
		return;
	}
	p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
	if (p) {
		demo.atomic_ok++;
		demo.held[demo.nheld++] = p;
	} else {
		demo.atomic_failed++;
	}
}

static void print_second(unsigned long second, const char *phase)
{
	uint64_t free = 0, min = 0, low = 0, reserve_used = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &contig_page_data.node_zones[z];
		free += zone->free_pages;
		min += zone->watermark[WMARK_MIN];
		low += zone->watermark[WMARK_LOW];
		if (zone->free_pages < zone->watermark[WMARK_MIN])
			reserve_used +=
			    zone->watermark[WMARK_MIN] - zone->free_pages;
	}
	pr_info("demo: %2lus %-8s ticks=%lu atomic ok=%lu failed=%lu nowait failed=%lu free=%lu (min %lu, low %lu) reserve in use=%lu pages\n",
		second, phase, demo.ticks, demo.atomic_ok, demo.atomic_failed,
		demo.nowait_failed, free, min, low, reserve_used);
}

/* Pages GFP_ATOMIC may still take: down to the floor the allocator
 * gives a non-blocking __GFP_HIGH request (about 3/8 of min). */
static unsigned int atomic_headroom(void)
{
	uint64_t room = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &contig_page_data.node_zones[z];
		uint64_t floor =
		    zone_reserve_floor(zone->watermark[WMARK_MIN],
				       ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK);
		if (zone->free_pages > floor)
			room += zone->free_pages - floor;
	}
	return room > HOLD_MAX - 16 ? HOLD_MAX - 16 : (unsigned int)room;
}

void demo_run(void)
{
	if (!demo_seconds)
		return;
	unsigned long third = (demo_seconds + 2) / 3, hoard_pages_taken = 0;
	uint64_t hoard = 0;

	pr_info("demo: %lu s of GFP_ATOMIC allocations in the timer interrupt (hz=%u) while memory is squeezed and released\n",
		demo_seconds, tick_hz);
	demo.hold_target = 16;
	if (register_tick_hook(demo_tick, NULL)) {
		pr_warn("demo: no free tick hook slot; skipping\n");
		return;
	}
	for (unsigned long s = 1; s <= demo_seconds; s++) {
		const char *phase = s <= third	     ? "normal"
				    : s <= 2 * third ? "squeeze"
						     : "release";
		if (s == third + 1) {
			uint64_t pages;
			hoard = mm_hoard(GFP_KERNEL, &pages);
			hoard_pages_taken = pages;
			/* The handler now holds three quarters of what
			 * GFP_ATOMIC may still take: deep into the reserve,
			 * yet it never fails. */
			demo.hold_target =
			    demo.nheld + atomic_headroom() * 3 / 4;
		}
		if (s == 2 * third + 1) {
			mm_hoard_release(hoard);
			hoard = 0;
			demo.hold_target = 16;
		}
		unsigned long until = jiffies + tick_hz;
		while ((long)(jiffies - until) < 0)
			__asm__ volatile("hlt");
		print_second(s, phase);
		if (demo_buddyinfo)
			buddyinfo_show(&contig_page_data);
	}
	unregister_tick_hook(demo_tick, NULL);
	mm_hoard_release(hoard);
	while (demo.nheld)
		__free_pages(demo.held[--demo.nheld], 0);
	pr_info("demo: process context held %lu pages while squeezing; the handler's GFP_ATOMIC failed %lu times, GFP_NOWAIT %lu times; mm_check: %d problems\n",
		hoard_pages_taken, demo.atomic_failed, demo.nowait_failed,
		mm_check());
	demo_reclaim_run();
	/* A driver's mempool under the same squeeze (docs/09). */
	static struct netrx_result rx;
	if (netrx_run(300, &rx))
		netrx_print(&rx);
	/* Fragmentation and compaction (docs/10). */
	demo_compaction_run();
}
