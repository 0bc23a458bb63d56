/*
 * bench=order0 on the cmdline: time order-0 alloc+free pairs on target and
 * leave QEMU. Not a test (nothing is asserted): `make bench` boots it under
 * QEMU's -icount, where the TSC counts instructions, so the cycle figures
 * are repeatable and comparable with each other, though not wall time.
 * Prints "bench: NAME VALUE cycles" lines that tools/bench/target-bench.sh
 * adds to build/bench/results.tsv. docs/08-measuring.md.
 */
#include "kernel/demo/bench.h"
#include "kernel/lib/cmdline.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/lib/string.h"
#include "kernel/arch/x86/timer.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define PROCESS_PAIRS 20000
#define IRQ_PAIRS_PER_TICK 64
#define IRQ_TICKS 50

static bool bench_order0;

static int set_bench(const char *value)
{
	if (strcmp(value, "order0") != 0)
		return -1;
	bench_order0 = true;
	return 0;
}
CMDLINE_PARAM("bench", set_bench, "order0: time order-0 pairs, then exit");

static uint64_t process_pairs(void)
{
	uint64_t t0 = rdtsc();
	for (int i = 0; i < PROCESS_PAIRS; i++)
		__free_pages(alloc_pages(GFP_KERNEL, 0), 0);
	return (rdtsc() - t0) / PROCESS_PAIRS;
}

static volatile uint64_t irq_cycles, irq_pairs;

static void irq_pairs_hook(void *data)
{
	(void)data;
	if (smp_processor_id() != 0 ||
	    irq_pairs >= IRQ_TICKS * IRQ_PAIRS_PER_TICK)
		return;
	uint64_t t0 = rdtsc();
	for (int i = 0; i < IRQ_PAIRS_PER_TICK; i++)
		__free_pages(alloc_pages(GFP_ATOMIC, 0), 0);
	irq_cycles += rdtsc() - t0;
	irq_pairs += IRQ_PAIRS_PER_TICK;
}

static uint64_t interrupt_pairs(void)
{
	irq_cycles = irq_pairs = 0;
	if (register_tick_hook(irq_pairs_hook, NULL))
		return 0;
	while (irq_pairs < IRQ_TICKS * IRQ_PAIRS_PER_TICK)
		__asm__ volatile("hlt");
	unregister_tick_hook(irq_pairs_hook, NULL);
	return irq_cycles / irq_pairs;
}

void bench_run(void)
{
	if (!bench_order0)
		return;
	struct pglist_data *p = &contig_page_data;
	process_pairs(); /* warm up: lists filled, caches hot */
	uint64_t proc = process_pairs();
	uint64_t irq = interrupt_pairs();
	/* The same without the per-CPU lists: every pair takes the zone lock. */
	pgdat_pcp_switch(p, false);
	process_pairs();
	uint64_t proc_locked = process_pairs();
	uint64_t irq_locked = interrupt_pairs();
	pgdat_pcp_switch(p, true);
	pr_info("bench: target.order0_pair.process %lu cycles\n", proc);
	pr_info("bench: target.order0_pair.irq %lu cycles\n", irq);
	pr_info("bench: target.order0_pair.process_buddy %lu cycles\n",
		proc_locked);
	pr_info("bench: target.order0_pair.irq_buddy %lu cycles\n", irq_locked);
	pr_info("bench: done; mm_check: %d problems\n", mm_check());
	qemu_exit(QEMU_EXIT_PASS);
}
