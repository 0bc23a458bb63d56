/*
 * The kernel's side of mm/: the cmdline knobs, mm_init() over the UEFI map
 * the loader handed over, and releasing the loader's boot_info pages once
 * the kernel has its own copy (kernel/init/bootlog.c: boot_info_adopt). The
 * kernel image, its page tables and the boot stack stay reserved: the
 * kernel runs on them. See docs/02-memory-map.md.
 */
#include "kernel/mm/mm_setup.h"
#include "boot/bootinfo.h"
#include "kernel/init/bootlog.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/string.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/direct_map.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/arch/x86/timer.h"
#include "mm/fault_inject.h"
#include "mm/node.h"
#include "mm/page_alloc.h"
#include "kernel/numa/numa.h"
#include "mm/page_owner.h"

static int set_min_free_kbytes(const char *value)
{
	unsigned long kbytes;
	if (cmdline_parse_ulong(value, &kbytes) || kbytes < 128 ||
	    kbytes > 1024 * 1024)
		return -1;
	mm_set_min_free_kbytes(kbytes);
	return 0;
}
CMDLINE_PARAM("min_free_kbytes", set_min_free_kbytes,
	      "KiB kept free for the reserve, 128..1048576");

static int set_watermark_scale_factor(const char *value)
{
	unsigned long factor;
	if (cmdline_parse_ulong(value, &factor) || factor < 1 || factor > 3000)
		return -1;
	mm_set_watermark_scale_factor((unsigned int)factor);
	return 0;
}
CMDLINE_PARAM("watermark_scale_factor", set_watermark_scale_factor,
	      "gap between watermarks in 1/10000 of a zone, 1..3000");

/* The message naming what is wrong comes from mm (it knows the zones). */
static int set_lowmem_reserve_ratio(const char *value)
{
	mm_set_lowmem_reserve_ratio(value);
	return 0;
}
CMDLINE_PARAM("lowmem_reserve_ratio", set_lowmem_reserve_ratio,
	      "zone protection DMA,DMA32,Normal (default 256,256,32; 0 off)");

static int set_page_poison(const char *value)
{
	if (value[0] == '1' && value[1] == '\0')
		mm_set_page_poison(true);
	else if (value[0] == '0' && value[1] == '\0')
		mm_set_page_poison(false);
	else
		return -1;
	return 0;
}
CMDLINE_PARAM("page_poison", set_page_poison, "1 (on) or 0 (off)");

/* Debug options, docs/07-debugging-the-allocator.md. Fault injection on
 * the kernel's node only: the test suites' own nodes stay exact. */
static int set_fail_page_alloc(const char *value)
{
	return fail_page_alloc_setup(value, &contig_page_data);
}
CMDLINE_PARAM("fail_page_alloc", set_fail_page_alloc,
	      "<interval>,<probability %>,<times or -1>");

static int set_fail_page_alloc_order(const char *value)
{
	unsigned long order;
	if (cmdline_parse_ulong(value, &order) || order > MAX_ORDER)
		return -1;
	fail_page_alloc_defaults();
	fail_page_alloc.min_order = (unsigned int)order;
	return 0;
}
CMDLINE_PARAM("fail_page_alloc_order", set_fail_page_alloc_order,
	      "smallest order failed, 0..10 (default 1)");

static int set_fail_page_alloc_sleeping(const char *value)
{
	if ((value[0] != '0' && value[0] != '1') || value[1] != '\0')
		return -1;
	fail_page_alloc_defaults();
	fail_page_alloc.ignore_gfp_reclaim = value[0] == '0';
	return 0;
}
CMDLINE_PARAM("fail_page_alloc_sleeping", set_fail_page_alloc_sleeping,
	      "1: fail sleeping requests too (default 0)");

static int set_page_owner_option(const char *value)
{
	bool on;
	if (cmdline_parse_on_off(value, &on))
		return -1;
	mm_set_page_owner(on);
	return 0;
}
CMDLINE_PARAM("page_owner", set_page_owner_option, "on or off");

/* Grouping by mobility, docs/10-fragmentation-and-compaction.md: off only
 * for the experiment that shows what it buys. */
static int set_page_grouping(const char *value)
{
	bool on;
	if (cmdline_parse_on_off(value, &on))
		return -1;
	mm_set_page_grouping(on);
	return 0;
}
CMDLINE_PARAM("page_grouping", set_page_grouping, "on (default) or off");

static int set_free_lists(const char *value)
{
	if (!strcmp(value, "deferred"))
		mm_set_eager_free_lists(false);
	else if (!strcmp(value, "eager"))
		mm_set_eager_free_lists(true);
	else
		return -1;
	return 0;
}
CMDLINE_PARAM(
    "free_lists", set_free_lists,
    "deferred (default: free 4 MiB blocks are linked when needed, boot writes no free memory) or eager");

static bool want_debug_pagealloc;

static int set_debug_pagealloc(const char *value)
{
	return cmdline_parse_on_off(value, &want_debug_pagealloc);
}
CMDLINE_PARAM("debug_pagealloc", set_debug_pagealloc, "on or off");

/* The SRAT's nodes (kernel/numa/) to the allocator, before mm_init: with
 * more than one, each node with memory gets its own pglist_data. */
static void register_nodes(void)
{
	static struct mm_node_range r[NUMA_MAX_RANGES];
	static uint8_t distance[MM_MAX_NODES][MM_MAX_NODES];
	_Static_assert(NUMA_MAX_NODES <= MM_MAX_NODES,
		       "the allocator takes every node the SRAT may give");
	if (numa_topo.nr_nodes <= 1)
		return;
	for (unsigned int i = 0; i < numa_topo.nranges; i++) {
		r[i].start = numa_topo.ranges[i].start;
		r[i].end = numa_topo.ranges[i].end;
		r[i].node = numa_topo.ranges[i].node;
	}
	for (unsigned int a = 0; a < numa_topo.nr_nodes; a++)
		for (unsigned int b = 0; b < numa_topo.nr_nodes; b++)
			distance[a][b] = numa_topo.distance[a][b];
	mm_set_boot_nodes(numa_topo.nr_nodes, r, numa_topo.nranges,
			  (const uint8_t(*)[MM_MAX_NODES])distance);
}

void mm_setup(void)
{
	const struct boot_info *bi = boot_info;
	register_nodes();
	int err =
	    mm_init(phys_to_virt_early(bi->memory_map), bi->memory_map_size,
		    bi->descriptor_size, bi->descriptor_version,
		    boot_cpu.max_phys_addr_bits, bi->hhdm_offset);
	if (err)
		panic("mm: cannot manage memory with this map (error %d, see above)",
		      err);
	long released = mm_release_os_type(LABYRINTH_MEM_BOOT_INFO);
	if (released < 0)
		pr_warn("mm: could not release the loader's boot_info pages (%ld)\n",
			released);
	else
		pr_info("mm: released %ld pages of loader boot_info (the kernel keeps a copy)\n",
			released);
	if (want_debug_pagealloc)
		debug_pagealloc_boot();
}
