/*
 * kmain: the kernel's C entry point, reached from kernel/arch/x86/entry.asm.
 * Sets up the console and the exception tables first (so anything that goes
 * wrong later is reported), checks the boot_info, prints the boot log,
 * drops the loader's identity map, then runs the tests the cmdline asks for,
 * the allocator shell (shell=1) or the demonstration.
 * See docs/01-boot.md ("Into the kernel").
 */
#include "boot/bootinfo.h"
#include "kernel/arch/x86/acpi.h"
#include "kernel/demo/bench.h"
#include "kernel/init/bootlog.h"
#include "kernel/lib/cmdline.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/debug/crashtest.h"
#include "kernel/demo/demo.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/core/irq.h"
#include "tests/target/ktest_boot.h"
#include "kernel/mm/mm_setup.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "kernel/core/spinlock.h"
#include "kernel/arch/x86/serial.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/mm/page_cache.h"
#include "kernel/shell/shell.h"
#include "mm/pcp.h"
#include "kernel/mm/kswapd.h"
#include "kernel/mm/kcompactd.h"
#include "kernel/numa/numa.h"
#include "mm/vmscan.h"

#define LABYRINTH_VERSION "0.1.0"

extern const struct cmdline_param *const __start_cmdline_params[];
extern const struct cmdline_param *const __stop_cmdline_params[];

static void copy_string(char *dst, const char *src, size_t size)
{
	size_t n = 0;
	while (n + 1 < size && src[n]) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = '\0';
}

static int set_loglevel(const char *value)
{
	unsigned long level;
	if (cmdline_parse_ulong(value, &level) || level > 8)
		return -1;
	console_loglevel = (int)level;
	return 0;
}
CMDLINE_PARAM("loglevel", set_loglevel, "0..8, messages below it are shown");

/*
 * The identity map only existed so the loader's last instruction could run
 * after the CR3 switch. Removing the whole lower half makes NULL (and any
 * other user-half address) fault at once.
 */
static void drop_identity_map(void)
{
	uint64_t *pml4 = phys_to_virt_early(read_cr3() & ~0xfffULL);
	for (int i = 0; i < 256; i++)
		pml4[i] = 0;
	write_cr3(read_cr3()); /* flush the TLB */
}

static void check_boot_info(const struct boot_info *bi)
{
	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION)
		panic("boot_info: bad magic 0x%lx or version %u (want %u): loader and kernel do not match",
		      bi->magic, bi->version, BOOT_INFO_VERSION);
	if (bi->descriptor_size < 40 ||
	    bi->memory_map_size % bi->descriptor_size)
		panic("boot_info: memory map descriptor size %lu / map size %lu make no sense",
		      bi->descriptor_size, bi->memory_map_size);
}

void kmain(const struct boot_info *bi)
{
	static char cmdline[2048];

	serial_init();
	gdt_init();
	smp_init_boot_cpu();
	idt_init();
	printk(KERN_INFO "\nLabyrinth " LABYRINTH_VERSION
			 " (x86-64 UEFI; built " __DATE__ " " __TIME__ ")\n");
	check_boot_info(bi);
	boot_info_adopt(bi);

	/* Parse a copy: the boot_info's cmdline stays as the loader wrote it. */
	copy_string(cmdline, phys_to_virt_early(boot_info->cmdline),
		    sizeof(cmdline));
	cmdline_parse(cmdline, __start_cmdline_params,
		      (size_t)(__stop_cmdline_params - __start_cmdline_params));

	cpu_identify(&boot_cpu);
	spin_lock_mode_init(boot_cpu.hypervisor); /* before any other CPU */
	print_boot_summary();
	print_memory_map();
	drop_identity_map();
	pr_info(
	    "boot: identity map dropped; running in the higher half only\n");
	/* Interrupt hardware (issue 4, kernel/arch/x86/acpi.c irq.c apic.c timer.c):
	 * ACPI tables, 8259s masked, APICs, calibrated tick; then sti. */
	acpi_init();
	numa_init(); /* SRAT and SLIT: nodes, their memory, CPUs, distances */
	init_IRQ();
	time_init();
	local_irq_enable();
	mm_setup();
	sched_init(); /* kmain becomes task "init"; threads from here on */
	smp_boot_aps();
	numa_print_cpus();
	mm_pcp_enable(nr_cpus_online);
	kswapd_init();
	kcompactd_init();
	page_cache_init(); /* reclaimable memory for kswapd to work on */

	crashtest_run();
	bench_run();
	if (ktest_requested()) {
		if (shell_requested())
			pr_warn(
			    "shell: ktest= given too: running the tests, not the shell\n");
		ktest_boot_run(); /* does not return */
	}
	if (shell_requested()) {
		/* The allocator shell (kernel/shell/) instead of the demo. */
		shell_run();
		pr_info(
		    "boot: shell done; leaving QEMU (on real hardware: halting)\n");
		qemu_exit(QEMU_EXIT_PASS);
	}

	demo_run();
	pr_info("boot: done; leaving QEMU (on real hardware: halting)\n");
	qemu_exit(QEMU_EXIT_PASS);
}
