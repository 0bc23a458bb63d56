/*
 * Symbol lookup and frame-pointer backtraces. The kernel is built with
 * -fno-omit-frame-pointer, so every frame starts with the caller's RBP and
 * the return address; walking that chain gives the call stack. Each step is
 * checked against the known stacks so a corrupt chain cannot fault again.
 */
#include "kernel/debug/ksyms.h"
#include "boot/bootinfo.h"
#include "kernel/lib/format.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/arch/x86/smp.h"

/* From the generated .ksyms section; sorted by address. */
extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_name_offsets[];
extern const char ksyms_names[];
extern const char __text_start[], __text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	if (addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end ||
	    ksyms_count == 0 || addr < ksyms_addrs[0])
		return NULL;
	uint64_t lo = 0, hi = ksyms_count; /* last symbol <= addr */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_addrs[lo];
	return ksyms_names + ksyms_name_offsets[lo];
}

void ksym_format(uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);
	if (name)
		ksnprintf(buf, size, "%s+0x%lx", name, off);
	else
		ksnprintf(buf, size, "?");
}

static int on_a_stack(uint64_t addr)
{
	if (addr % 8)
		return 0;
	if (addr >= BOOT_STACK_TOP - BOOT_STACK_SIZE &&
	    addr + 16 <= BOOT_STACK_TOP)
		return 1;
	return address_on_cpu_stack(addr, 16) || address_on_ist_stack(addr, 16);
}

void print_backtrace(unsigned long rip, unsigned long rbp)
{
	char sym[80];
	printk(KERN_EMERG "Call Trace:\n");
	if (rip) {
		ksym_format(rip, sym, sizeof(sym));
		printk(KERN_EMERG "  [<%016lx>] %s\n", rip, sym);
	}
	for (int depth = 0; depth < 32 && rbp && on_a_stack(rbp); depth++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint64_t ret = frame[1];
		if (!ret)
			break;
		ksym_format(ret, sym, sizeof(sym));
		printk(KERN_EMERG "  [<%016lx>] %s\n", ret, sym);
		if (frame[0] <= rbp &&
		    frame[0]) /* stacks grow down: must rise */
			break;
		rbp = frame[0];
	}
}
