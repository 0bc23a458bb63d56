/*
 * Bringing up the application processors (APs). The boot CPU copies the
 * trampoline (kernel/arch/x86/trampoline.asm) to a page below 1 MiB, builds a
 * temporary PML4 below 4 GiB that maps that page 1:1 and shares the
 * kernel's upper half, then wakes each AP with INIT, SIPI, SIPI, one at a
 * time, giving each its own stack. An AP that does not report in within
 * its timeout is reported and skipped. See docs/05-smp-and-per-cpu-lists.md.
 */
#include "kernel/arch/x86/smp.h"
#include "boot/bootinfo.h"
#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/core/irq.h"
#include "kernel/debug/bug.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/string.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/numa/numa.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define MSR_GS_BASE 0xc0000101
#define ICR_INIT 0x00004500u	/* INIT, level assert */
#define ICR_STARTUP 0x00004600u /* SIPI; low byte = page number */
/* Generous: under TCG on a busy host a vCPU may not run for a while, the
 * more so the more vCPUs are already online and ticking (with 128 vCPUs on
 * a loaded 2-core host, the 11th took longer than 2 s). */
#define AP_TIMEOUT_MS 5000

struct cpu cpus[MAX_CPUS];
unsigned int nr_cpus_online = 1;
unsigned int nr_cpus_over_limit, nr_cpus_unaddressable, nr_cpus_failed;
/* xAPIC mode puts the destination in 8 bits, and 0xff is the broadcast. */
#define XAPIC_MAX_APIC_ID 254

_Static_assert(ACPI_MAX_CPUS == MAX_CPUS,
	       "the MADT parse keeps exactly the CPUs the kernel can run");

extern const char trampoline_start[], trampoline_end[];
extern const uint64_t trampoline_pml4[], trampoline_stack[], trampoline_entry[],
    trampoline_arg[];

static uint64_t kernel_cr3;

static void set_gs_base(struct cpu *c)
{
	c->self = c;
	wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
}

void smp_init_boot_cpu(void)
{
	cpus[0].id = 0;
	cpus[0].online = true;
	cpus[0].stack_top = BOOT_STACK_TOP;
	cpus[0].stack_bottom = BOOT_STACK_TOP - BOOT_STACK_SIZE;
	set_gs_base(&cpus[0]);
}

bool address_on_cpu_stack(unsigned long addr, unsigned long len)
{
	if (sched_running && this_cpu()->current_task) {
		const struct task_struct *t = current;
		if (addr >= t->stack_bottom && addr + len <= t->stack_top)
			return true;
	}
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (cpus[i].stack_top && addr >= cpus[i].stack_bottom &&
		    addr + len <= cpus[i].stack_top)
			return true;
	return false;
}

/* Sends an IPI with ICR low word `low` to one CPU. */
static void send_ipi(uint32_t apic_id, uint32_t low)
{
	unsigned long flags;
	/* xAPIC needs two register writes; an interrupt handler sending its
	 * own IPI in between would retarget ours. */
	local_irq_save(flags);
	if (x2apic_mode) {
		wrmsr(0x800 + (APIC_ICR >> 4), ((uint64_t)apic_id << 32) | low);
		local_irq_restore(flags);
		return;
	}
	apic_write(APIC_ICR2, apic_id << 24);
	apic_write(APIC_ICR, low);
	for (int spins = 0; spins < 1000000; spins++)
		if (!(apic_read(APIC_ICR) & APIC_ICR_BUSY))
			break;
	local_irq_restore(flags);
}

/*
 * Work for an AP in process context: a kernel thread pinned to it, which
 * may sleep like any other (the allocator's slow path does).
 */
int smp_run_on_cpu_async(unsigned int cpu, void (*fn)(void *), void *arg)
{
	if (cpu == 0 || cpu >= MAX_CPUS || !cpus[cpu].online ||
	    cpus[cpu].work_task)
		return -1;
	struct task_struct *t = kthread_create_on_cpu(fn, arg, cpu, "work/%u");
	if (!t)
		return -1;
	cpus[cpu].work_task = t;
	return 0;
}

void smp_wait_work(unsigned int cpu)
{
	struct task_struct *t = cpus[cpu].work_task;
	if (!t)
		return; /* nothing was submitted */
	kthread_join(t);
	cpus[cpu].work_task = NULL;
}

void smp_send_reschedule(unsigned int cpu)
{
	send_ipi(cpus[cpu].apic_id, RESCHEDULE_VECTOR);
}

/* The first C code an AP runs, on its own stack, in the higher half. */
static void __attribute__((noreturn, used)) ap_entry(struct cpu *c)
{
	write_cr3(kernel_cr3); /* leave the trampoline's tables */
	gdt_init_cpu(c->id);
	idt_load();
	set_gs_base(c);
	lapic_init();
	sched_init_ap(c); /* this context becomes the CPU's idle task */
	timer_start_this_cpu();
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	cpu_idle(); /* interrupts on: the tick, IPIs, threads */
}

/* ---------------------------------------------------------------- IPIs */

/*
 * Running a function on another CPU (Linux's smp_call_function_single):
 * the caller fills the target's mailbox, sends CALL_FUNCTION_VECTOR, and
 * spins until the target has run it. One caller per target at a time
 * (the mailbox lock). The caller must have interrupts enabled: two CPUs
 * calling each other with interrupts off would wait for each other forever.
 */
struct call_mailbox {
	spinlock_t lock;
	void (*volatile fn)(void *arg);
	void *volatile arg;
	volatile bool done;
};
static struct call_mailbox mailboxes[MAX_CPUS];
static volatile uint64_t call_function_ipis;

static irqreturn_t call_function_interrupt(unsigned int vector, void *dev_id)
{
	(void)vector;
	(void)dev_id;
	struct call_mailbox *m = &mailboxes[smp_processor_id()];
	void (*fn)(void *) = m->fn;
	if (fn) {
		fn(m->arg);
		m->fn = NULL;
		__atomic_store_n(&m->done, true, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&call_function_ipis, 1, __ATOMIC_RELAXED);
	return IRQ_HANDLED;
}

int smp_call_function_single(unsigned int cpu, void (*fn)(void *), void *arg)
{
	if (cpu >= MAX_CPUS || !cpus[cpu].online)
		return -1;
	if (cpu == smp_processor_id()) {
		unsigned long flags;
		local_irq_save(flags);
		fn(arg);
		local_irq_restore(flags);
		return 0;
	}
	if (irqs_disabled()) {
		pr_err("smp: smp_call_function_single from %p with interrupts off refused (could deadlock)\n",
		       __builtin_return_address(0));
		return -1;
	}
	struct call_mailbox *m = &mailboxes[cpu];
	spin_lock(&m->lock);
	m->arg = arg;
	m->done = false;
	__atomic_store_n(&m->fn, fn, __ATOMIC_RELEASE);
	send_ipi(cpus[cpu].apic_id, CALL_FUNCTION_VECTOR);
	while (!__atomic_load_n(&m->done, __ATOMIC_ACQUIRE))
		cpu_relax();
	spin_unlock(&m->lock);
	return 0;
}

unsigned int smp_call_function(void (*fn)(void *), void *arg)
{
	unsigned int ran = 0, self = smp_processor_id();
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu != self && cpus[cpu].online &&
		    smp_call_function_single(cpu, fn, arg) == 0)
			ran++;
	return ran;
}

uint64_t smp_call_function_count(void)
{
	return call_function_ipis;
}

/* A page below 1 MiB from the memory the allocator held back. */
static uint64_t find_trampoline_page(void)
{
	const struct memmap *m = mm_boot_memmap();
	for (unsigned int i = 0; i < m->nr_low; i++) {
		uint64_t start = (m->low[i].start + 4095) & ~4095ULL;
		if (start < 0x1000)
			start = 0x1000;
		uint64_t end =
		    m->low[i].end < 0xa0000 ? m->low[i].end : 0xa0000;
		if (start + 4096 <= end)
			return start;
	}
	return 0;
}

/* The trampoline's page tables: PML4, PDPT, PD. */
static uint64_t tramp_tables[3];

static void free_trampoline_tables(void)
{
	for (int i = 0; i < 3; i++)
		if (tramp_tables[i])
			__free_pages(tramp_tables[i], 0);
}

/* PML4 below 4 GiB: 0-2 MiB identity (executable), the kernel's upper half. */
static uint64_t build_trampoline_pml4(void)
{
	for (int i = 0; i < 3; i++)
		tramp_tables[i] =
		    alloc_pages(GFP_KERNEL | __GFP_DMA32 | __GFP_ZERO, 0);
	uint64_t pml4 = tramp_tables[0], pdpt = tramp_tables[1],
		 pd = tramp_tables[2];
	if (!pml4 || !pdpt || !pd) {
		free_trampoline_tables();
		return 0;
	}
	uint64_t *t4 = phys_to_virt(pml4), *t3 = phys_to_virt(pdpt),
		 *t2 = phys_to_virt(pd);
	const uint64_t *kernel = phys_to_virt(kernel_cr3 & ~0xfffULL);
	for (int i = 256; i < 512; i++)
		t4[i] = kernel[i];
	t4[0] = pdpt | 3;
	t3[0] = pd | 3;
	t2[0] = 0 | 3 | (1 << 7); /* 2 MiB page at 0, writable, executable */
	return pml4;
}

static bool start_ap(struct cpu *c, uint64_t page)
{
	if (gdt_alloc_cpu(c->id))
		return false;
	uint64_t stack = alloc_pages(GFP_KERNEL, AP_STACK_ORDER);
	if (!stack) {
		pr_err("smp: no stack for CPU %u\n", c->id);
		return false;
	}
	void *mapped = vmap_stack(stack, PAGE_SIZE << AP_STACK_ORDER);
	if (!mapped) {
		__free_pages(stack, AP_STACK_ORDER);
		return false;
	}
	c->stack_bottom = (uint64_t)(uintptr_t)mapped;
	c->stack_top = c->stack_bottom + (PAGE_SIZE << AP_STACK_ORDER);

	uint8_t *t = phys_to_virt(page);
	uint64_t *stack_slot =
	    (uint64_t *)(t +
			 ((const char *)trampoline_stack - trampoline_start));
	uint64_t *arg_slot =
	    (uint64_t *)(t + ((const char *)trampoline_arg - trampoline_start));
	*stack_slot = c->stack_top;
	*arg_slot = (uint64_t)(uintptr_t)c;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	send_ipi(c->apic_id, ICR_INIT);
	mdelay(10);
	for (int i = 0; i < 2; i++) {
		send_ipi(c->apic_id, ICR_STARTUP | (uint32_t)(page >> 12));
		udelay(200);
	}
	uint64_t deadline = ktime_get_ns() + AP_TIMEOUT_MS * 1000000ULL;
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
		if (ktime_get_ns() > deadline) {
			pr_err("smp: CPU %u (APIC ID %u) did not come up within %d ms; skipped\n",
			       c->id, c->apic_id, AP_TIMEOUT_MS);
			/* It may still wake later: its stack stays allocated. */
			return false;
		}
		cpu_relax();
	}
	return true;
}

void smp_boot_aps(void)
{
	uint32_t self = read_apic_id();
	unsigned int next = 1, listed, failed = 0;

	cpus[0].apic_id = self;
	kernel_cr3 = read_cr3();
	if (request_vector(CALL_FUNCTION_VECTOR, call_function_interrupt,
			   "call-function", NULL))
		pr_err("smp: cannot install the call-function IPI vector\n");
	uint64_t page = find_trampoline_page();
	uint64_t pml4 = build_trampoline_pml4();
	if (!page || !pml4) {
		pr_err(
		    "smp: no trampoline page below 1 MiB or PML4 below 4 GiB; running on one CPU\n");
		return;
	}
	uint8_t *t = phys_to_virt(page);
	memcpy(t, trampoline_start,
	       (size_t)(trampoline_end - trampoline_start));
	*(uint64_t *)(t + ((const char *)trampoline_pml4 - trampoline_start)) =
	    pml4;
	*(uint64_t *)(t + ((const char *)trampoline_entry - trampoline_start)) =
	    (uint64_t)(uintptr_t)ap_entry;

	for (unsigned int i = 0; i < acpi.ncpus; i++) {
		const struct acpi_cpu *a = &acpi.cpus[i];
		if (!a->enabled || a->apic_id == self)
			continue;
		if (!x2apic_mode && a->apic_id > XAPIC_MAX_APIC_ID) {
			pr_warn("smp: CPU with APIC ID %u refused: xAPIC mode addresses IDs 0..%d only (this CPU has no x2APIC)\n",
				a->apic_id, XAPIC_MAX_APIC_ID);
			nr_cpus_unaddressable++;
			continue;
		}
		/* acpi.cpus holds at most MAX_CPUS, the boot CPU among them. */
		BUG_ON(next == MAX_CPUS);
		/* A CPU that fails keeps its slot: it might still wake. */
		struct cpu *c = &cpus[next++];
		c->id = next - 1;
		c->apic_id = a->apic_id;
		c->node = numa_node_of_apic(a->apic_id, c->id);
		if (start_ap(c, page)) {
			nr_cpus_online++;
		} else {
			/* It might still wake and read the trampoline's
			 * slots: starting another AP would hand it that AP's
			 * stack. Stop here; CPU numbers stay contiguous. */
			failed++;
			nr_cpus_failed++;
			pr_err("smp: not starting the remaining CPUs\n");
			break;
		}
	}
	nr_cpus_over_limit = acpi.ncpus_refused;
	listed = acpi.ncpus_listed ? acpi.ncpus_listed : 1; /* no MADT: 1 */
	pr_info("smp: %u of %u CPUs online (trampoline at 0x%lx)\n",
		nr_cpus_online, listed, page);
	if (nr_cpus_over_limit || nr_cpus_unaddressable || failed)
		pr_info("smp: not online: %u beyond the limit of %d (CONFIG_NR_CPUS), %u not addressable in xAPIC mode, %u did not start\n",
			nr_cpus_over_limit, MAX_CPUS, nr_cpus_unaddressable,
			failed);
	/* Unless a late AP could still run the trampoline, its tables go. */
	if (!failed)
		free_trampoline_tables();
}
