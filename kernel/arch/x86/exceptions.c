/*
 * exception_dispatch: called by kernel/arch/x86/isr.asm for vectors 0-31. A fault at
 * an instruction listed in __ex_table is recorded and resumed at its fixup;
 * anything else is reported in full (vector, error code, RIP, CR2, every
 * general register, a symbolic backtrace) and stops the CPU, or, under
 * tests, ends the QEMU run with a failure code. Never a silent triple fault.
 */
#include "kernel/arch/x86/exceptions.h"
#include "boot/bootinfo.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/debug/ksyms.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "mm/debug_pagealloc.h"

extern const struct exception_table_entry __start_ex_table[];
extern const struct exception_table_entry __stop_ex_table[];

volatile struct exception_record last_fixed_exception;

/* Vectors without a name here are reserved by Intel. */
static const char *const names[32] = {
	[0] = "Divide Error",
	[1] = "Debug",
	[2] = "NMI",
	[3] = "Breakpoint",
	[4] = "Overflow",
	[5] = "BOUND Range Exceeded",
	[6] = "Invalid Opcode",
	[7] = "Device Not Available",
	[8] = "Double Fault",
	[9] = "Coprocessor Segment Overrun",
	[10] = "Invalid TSS",
	[11] = "Segment Not Present",
	[12] = "Stack-Segment Fault",
	[13] = "General Protection",
	[14] = "Page Fault",
	[16] = "x87 Floating-Point",
	[17] = "Alignment Check",
	[18] = "Machine Check",
	[19] = "SIMD Floating-Point",
	[20] = "Virtualization",
	[21] = "Control Protection",
	[28] = "Hypervisor Injection",
	[29] = "VMM Communication",
	[30] = "Security",
};

const char *exception_name(uint64_t vector)
{
	if (vector < 32 && names[vector])
		return names[vector];
	return vector < 32 ? "Reserved" : "Unknown";
}

static const struct exception_table_entry *search_extable(uint64_t rip)
{
	for (const struct exception_table_entry *e = __start_ex_table;
	     e < __stop_ex_table; e++)
		if (e->insn == rip)
			return e;
	return 0;
}

static void print_page_fault_cause(uint64_t err, uint64_t cr2)
{
	printk(KERN_EMERG "  page fault at 0x%lx: %s, %s, %s%s\n", cr2,
	       err & 1 ? "protection violation" : "page not present",
	       err & 2 ? "write" : "read", err & 4 ? "user" : "kernel",
	       err & 16 ? ", instruction fetch" : "");
}

static void report(const struct trap_frame *f, uint64_t cr2)
{
	char sym[80];
	ksym_format(f->rip, sym, sizeof(sym));
	printk(KERN_EMERG "\n*** EXCEPTION %lu: %s, error code 0x%lx\n",
	       f->vector, exception_name(f->vector), f->error_code);
	printk(KERN_EMERG "RIP: %04lx:%016lx %s\n", f->cs, f->rip, sym);
	printk(KERN_EMERG "RSP: %04lx:%016lx RFLAGS: %016lx CR2: %016lx\n",
	       f->ss, f->rsp, f->rflags, cr2);
	printk(KERN_EMERG "RAX: %016lx RBX: %016lx RCX: %016lx\n", f->rax,
	       f->rbx, f->rcx);
	printk(KERN_EMERG "RDX: %016lx RSI: %016lx RDI: %016lx\n", f->rdx,
	       f->rsi, f->rdi);
	printk(KERN_EMERG "RBP: %016lx R08: %016lx R09: %016lx\n", f->rbp,
	       f->r8, f->r9);
	printk(KERN_EMERG "R10: %016lx R11: %016lx R12: %016lx\n", f->r10,
	       f->r11, f->r12);
	printk(KERN_EMERG "R13: %016lx R14: %016lx R15: %016lx\n", f->r13,
	       f->r14, f->r15);
	printk(KERN_EMERG "CR0: %016lx CR3: %016lx CR4: %016lx\n", read_cr0(),
	       read_cr3(), read_cr4());
	if (f->vector == 14)
		print_page_fault_cause(f->error_code, cr2);
	uint64_t guard = BOOT_STACK_TOP - BOOT_STACK_SIZE - 4096;
	if ((cr2 >= guard && cr2 < guard + 4096) ||
	    (f->rsp >= guard && f->rsp < guard + 4096))
		printk(
		    KERN_EMERG
		    "  kernel stack overflow: the boot stack ran into its guard page\n");
	/* A thread's stack (kernel/core/kthread.c) has its guard page below it. */
	const struct task_struct *task =
	    sched_running ? this_cpu()->current_task : NULL;
	if (task &&
	    ((cr2 >= task->stack_bottom - 4096 && cr2 < task->stack_bottom) ||
	     (f->rsp >= task->stack_bottom - 4096 &&
	      f->rsp < task->stack_bottom)))
		printk(KERN_EMERG
		       "  kernel stack overflow: thread '%s' (pid %u) ran into its guard page\n",
		       task->comm, task->pid);
	print_backtrace(f->rip, f->rbp);
}

void exception_dispatch(struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();
	const struct exception_table_entry *fix = search_extable(f->rip);

	/* debug_pagealloc=on: a touch of a free frame says so first. */
	if (f->vector == 14)
		debug_pagealloc_report_fault(cr2);

	if (fix) {
		last_fixed_exception.vector = f->vector;
		last_fixed_exception.error_code = f->error_code;
		last_fixed_exception.rip = f->rip;
		last_fixed_exception.cr2 = cr2;
		last_fixed_exception.count++;
		f->rip = fix->fixup;
		return;
	}
	report(f, cr2);
	printk(KERN_EMERG "---[ end of exception report: CPU halted ]---\n");
	qemu_exit(QEMU_EXIT_FAIL); /* halts where there is no QEMU */
}
