/*
 * The allocator shell's commands (kernel/shell/shell.c reads the lines and
 * checks the argument counts). Each command checks all of its input before
 * it changes anything, so a bad line gets one message and leaves the
 * allocator as it was. The dumps are mm/'s own (meminfo_show and friends).
 * docs/07-debugging-the-allocator.md ("The allocator shell").
 */
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/demo/hoard.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "mm/compaction.h"
#include "mm/fault_inject.h"
#include "mm/node.h"
#include "mm/page_alloc.h"
#include "mm/page_owner.h"
#include "tests/target/ktest_boot.h"

#define NR_HANDLES 32

/* What `alloc` handed out: a handle is an index into this table. */
static struct handle {
	bool used;
	unsigned int order;
	uint64_t phys;
	gfp_t gfp;
} handles[NR_HANDLES];

static uint64_t hoard_head, hoard_pages; /* mm_hoard's chain */

static uint64_t free_pages_now(void)
{
	uint64_t n = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		n +=
		    __atomic_load_n(&contig_page_data.node_zones[zi].free_pages,
				    __ATOMIC_RELAXED);
	return n;
}

void cmd_meminfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for_each_memory_node(meminfo_show);
}

void cmd_buddyinfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for_each_memory_node(buddyinfo_show);
}

void cmd_pagetypeinfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for_each_memory_node(pagetypeinfo_show);
}

void cmd_zoneinfo(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for_each_memory_node(zoneinfo_show);
}

/* Flags by name, as words or joined with '|': "GFP_KERNEL __GFP_ZERO" or
 * "GFP_KERNEL|__GFP_ZERO". */
static int parse_gfp(const char *cmd, int argc, char **argv, gfp_t *out)
{
	gfp_t gfp = 0;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		while (*w) {
			unsigned long len = 0;
			gfp_t bits;
			while (w[len] && w[len] != '|')
				len++;
			if (!len || gfp_flag_from_name(w, len, &bits)) {
				char name[48];
				unsigned long k = 0;
				for (; k < len && k + 1 < sizeof(name); k++)
					name[k] = w[k];
				name[k] = '\0';
				sh_printf(
				    "%s: unknown GFP flag '%s' (help lists some)\n",
				    cmd, name);
				return -1;
			}
			gfp |= bits;
			w += len;
			if (*w == '|')
				w++;
		}
	}
	*out = argc ? gfp : GFP_KERNEL;
	return 0;
}

void cmd_alloc(int argc, char **argv)
{
	unsigned long order;
	gfp_t gfp;
	char names[128];
	int h;

	if (sh_parse_number("alloc", "order", argv[1], MAX_ORDER, &order) ||
	    parse_gfp("alloc", argc - 2, argv + 2, &gfp))
		return;
	/* Memory the shell itself hoards comes back only when the shell
	 * runs `release`: a request that waits for ever would wait for it. */
	if ((gfp & __GFP_NOFAIL) && hoard_pages) {
		sh_printf(
		    "alloc: __GFP_NOFAIL would wait for ever for the %llu pages the shell hoards (release first)\n",
		    (unsigned long long)hoard_pages);
		return;
	}
	for (h = 0; h < NR_HANDLES && handles[h].used; h++)
		;
	if (h == NR_HANDLES) {
		sh_printf("alloc: all %d handles in use: free one first\n",
			  NR_HANDLES);
		return;
	}
	gfp_flags_name(gfp, names, sizeof(names));
	unsigned long start = jiffies;
	uint64_t phys = alloc_pages(gfp, (unsigned int)order);
	/* A request that may sleep can take long: say how long. */
	char took[32] = "";
	unsigned long ms = jiffies_to_msecs(jiffies - start);
	if (ms >= 10)
		ksnprintf(took, sizeof(took), " after %lu ms", ms);
	if (!phys) {
		sh_printf("alloc: order %lu %s failed%s: nothing allocated\n",
			  order, names, took);
		return;
	}
	handles[h] = (struct handle){ true, (unsigned int)order, phys, gfp };
	sh_printf("alloc: handle %d: order %lu (%lu page%s) at phys 0x%llx, %s%s\n",
		  h, order, 1UL << order, order ? "s" : "",
		  (unsigned long long)phys, names, took);
}

void cmd_free(int argc, char **argv)
{
	unsigned long h;
	(void)argc;
	if (cmdline_parse_ulong(argv[1], &h) || h >= NR_HANDLES ||
	    !handles[h].used) {
		sh_printf(
		    "free: no handle '%s' (alloc prints the handles it gives)\n",
		    argv[1]);
		return;
	}
	struct handle *hd = &handles[h];
	__free_pages(hd->phys, hd->order);
	hd->used = false;
	sh_printf("free: handle %lu: order %u at phys 0x%llx freed\n", h,
		  hd->order, (unsigned long long)hd->phys);
}

/* Joins a new chain in front of the one held: its last block (first word
 * 0) gets the old head. */
static void hoard_add(uint64_t head)
{
	uint64_t *w = phys_to_virt(head);
	while (w[0])
		w = phys_to_virt(w[0]);
	w[0] = hoard_head;
	hoard_head = head;
}

void cmd_hoard(int argc, char **argv)
{
	unsigned long want = ~0UL;
	uint64_t got;
	if (argc == 2 && !sh_streq(argv[1], "all") &&
	    (cmdline_parse_ulong(argv[1], &want) || !want)) {
		sh_printf(
		    "hoard: bad page count '%s' (a number of pages, 1 or more, or all)\n",
		    argv[1]);
		return;
	}
	uint64_t head = mm_hoard_max(GFP_KERNEL, want, &got);
	if (head)
		hoard_add(head);
	hoard_pages += got;
	sh_printf(
	    "hoard: took %llu pages (%llu KiB) with GFP_KERNEL, holding %llu in all, %llu pages free\n",
	    (unsigned long long)got, (unsigned long long)got * 4,
	    (unsigned long long)hoard_pages,
	    (unsigned long long)free_pages_now());
}

void cmd_release(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	uint64_t n = mm_hoard_release(hoard_head);
	hoard_head = 0;
	hoard_pages = 0;
	sh_printf("release: gave back %llu pages, %llu pages free\n",
		  (unsigned long long)n, (unsigned long long)free_pages_now());
}

/* ---------------------------------------------------------------- irqalloc */

static struct {
	bool on;
	unsigned int rate, order;      /* per second per CPU; 2^order pages */
	unsigned int credit[MAX_CPUS]; /* each CPU's share, in 1/hz */
	uint64_t ok, failed;	       /* atomic: every CPU's tick adds */
	unsigned long since;	       /* jiffies when turned on */
} ia;

/* In every CPU's tick, interrupts off: rate/hz allocations per tick on
 * average, each written to (so the frame really is usable) and freed. */
static void irqalloc_tick(void *data)
{
	unsigned int cpu = smp_processor_id();
	(void)data;
	ia.credit[cpu] += ia.rate;
	while (ia.credit[cpu] >= tick_hz) {
		ia.credit[cpu] -= tick_hz;
		uint64_t p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, ia.order);
		if (!p) {
			__atomic_fetch_add(&ia.failed, 1, __ATOMIC_RELAXED);
			continue;
		}
		*(volatile uint64_t *)phys_to_virt(p) = jiffies;
		__free_pages(p, ia.order);
		__atomic_fetch_add(&ia.ok, 1, __ATOMIC_RELAXED);
	}
}

static void irqalloc_show(const char *cmd)
{
	uint64_t ok = __atomic_load_n(&ia.ok, __ATOMIC_RELAXED);
	uint64_t failed = __atomic_load_n(&ia.failed, __ATOMIC_RELAXED);
	if (ia.on)
		sh_printf(
		    "%s: on for %lu ms: %u/s of order %u per CPU on %u CPUs: %llu allocated and freed, %llu failed, %llu pages free\n",
		    cmd, jiffies_to_msecs(jiffies - ia.since), ia.rate,
		    ia.order, nr_cpus_online, (unsigned long long)ok,
		    (unsigned long long)failed,
		    (unsigned long long)free_pages_now());
	else
		sh_printf(
		    "%s: off, the last run: %llu allocated and freed, %llu failed\n",
		    cmd, (unsigned long long)ok, (unsigned long long)failed);
}

void cmd_irqalloc(int argc, char **argv)
{
	unsigned long rate, order;
	if (argc == 1) {
		irqalloc_show("irqalloc");
		return;
	}
	if (sh_streq(argv[1], "off") && argc == 2) {
		if (!ia.on) {
			sh_printf("irqalloc: already off\n");
			return;
		}
		unregister_tick_hook(irqalloc_tick, NULL);
		ia.on = false;
		irqalloc_show("irqalloc");
		return;
	}
	if (!sh_streq(argv[1], "on") || argc != 4) {
		sh_printf(
		    "irqalloc: usage: irqalloc on RATE ORDER | irqalloc off | irqalloc\n");
		return;
	}
	if (sh_parse_number("irqalloc", "rate", argv[2], 10000, &rate) ||
	    sh_parse_number("irqalloc", "order", argv[3], MAX_ORDER, &order))
		return;
	if (!rate) {
		sh_printf("irqalloc: bad rate '0' (1..10000 per second)\n");
		return;
	}
	if (ia.on) {
		sh_printf("irqalloc: already on (irqalloc off first)\n");
		return;
	}
	ia.rate = (unsigned int)rate;
	ia.order = (unsigned int)order;
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		ia.credit[c] = 0;
	__atomic_store_n(&ia.ok, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ia.failed, 0, __ATOMIC_RELAXED);
	ia.since = jiffies;
	if (register_tick_hook(irqalloc_tick, NULL)) {
		sh_printf("irqalloc: no free tick hook slot\n");
		return;
	}
	ia.on = true;
	sh_printf(
	    "irqalloc: on: %lu/s of order %lu with GFP_ATOMIC in every CPU's tick (irqalloc shows the counters)\n",
	    rate, order);
}

/* ---------------------------------------------------------------- debugging */

/* Free memory in 2 MiB blocks or bigger, in 2 MiB blocks. */
static uint64_t free_pageblocks(const struct pglist_data *p)
{
	uint64_t n = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		for (unsigned int o = PAGEBLOCK_ORDER; o <= MAX_ORDER; o++)
			n += p->node_zones[zi].free_area[o].nr_free
			     << (o - PAGEBLOCK_ORDER);
	return n;
}

static void compact_one_node(struct pglist_data *p)
{
	uint64_t moved = p->migrate.pgmigrate_success;
	uint64_t blocks = free_pageblocks(p);
	unsigned int score = fragmentation_score_node(p);
	compact_node(p);
	sh_printf(
	    "compact: node %d: %llu pages moved; free 2 MiB blocks %llu -> %llu; fragmentation score %u -> %u\n",
	    p->node_id,
	    (unsigned long long)(p->migrate.pgmigrate_success - moved),
	    (unsigned long long)blocks, (unsigned long long)free_pageblocks(p),
	    score, fragmentation_score_node(p));
}

/* Linux's `echo 1 > /proc/sys/vm/compact_memory`: every zone of every
 * node, now (compact_node). */
void cmd_compact(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (contig_page_data.compaction_off) {
		sh_printf("compact: compaction is off (compaction=off)\n");
		return;
	}
	for_each_memory_node(compact_one_node);
}

void cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	int problems = mm_check();
	sh_printf("check: mm_check found %d problem%s\n", problems,
		  problems == 1 ? "" : "s");
}

void cmd_owner(int argc, char **argv)
{
	(void)argc;
	if (!sh_streq(argv[1], "top")) {
		sh_printf("owner: unknown subcommand '%s' (usage: owner top)\n",
			  argv[1]);
		return;
	}
	if (!page_owner_enabled()) {
		sh_printf(
		    "owner: page_owner is off: boot with page_owner=on\n");
		return;
	}
	page_owner_dump_top(&contig_page_data, 8);
}

void cmd_fail(int argc, char **argv)
{
	struct fault_attr *a = &fail_page_alloc;
	if (argc == 2 && sh_streq(argv[1], "off")) {
		fail_page_alloc_enable(false);
	} else if (argc == 2 &&
		   fail_page_alloc_setup(argv[1], &contig_page_data)) {
		sh_printf(
		    "fail: bad SPEC '%s' (<interval>,<probability %%>,<times or -1>, or off)\n",
		    argv[1]);
		return;
	}
	if (!__atomic_load_n(&a->enabled, __ATOMIC_ACQUIRE)) {
		sh_printf("fail: off, %llu failures injected so far\n",
			  (unsigned long long)a->injected);
		return;
	}
	sh_printf(
	    "fail: on: interval %lu, probability %u%%, times %ld (-1: no limit), order >= %u%s: %llu injected of %llu eligible\n",
	    a->interval, a->probability,
	    __atomic_load_n(&a->times, __ATOMIC_RELAXED), a->min_order,
	    a->ignore_gfp_reclaim ? ", non-sleeping requests" : "",
	    (unsigned long long)__atomic_load_n(&a->injected, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&a->eligible,
						__ATOMIC_RELAXED));
}

void cmd_ktest(int argc, char **argv)
{
	(void)argc;
	int failed = ktest_run_now(argv[1]);
	if (failed >= 0)
		sh_printf("ktest: %d failed case%s\n", failed,
			  failed == 1 ? "" : "s");
}

void shell_release_all(void)
{
	unsigned int n = 0;
	uint64_t pages = 0, hoarded;
	if (ia.on) {
		unregister_tick_hook(irqalloc_tick, NULL);
		ia.on = false;
	}
	for (int h = 0; h < NR_HANDLES; h++) {
		if (!handles[h].used)
			continue;
		__free_pages(handles[h].phys, handles[h].order);
		handles[h].used = false;
		pages += 1ULL << handles[h].order;
		n++;
	}
	hoarded = mm_hoard_release(hoard_head);
	hoard_head = hoard_pages = 0;
	int problems = mm_check();
	sh_printf(
	    "exit: freed %u handle%s (%llu page%s), released %llu hoarded pages, mm_check found %d problems\n",
	    n, n == 1 ? "" : "s", (unsigned long long)pages,
	    pages == 1 ? "" : "s", (unsigned long long)hoarded, problems);
}
