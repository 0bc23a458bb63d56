/*
 * Descriptor tables for long mode: a flat GDT (segmentation is mostly gone
 * in 64-bit mode, but CS still selects the mode and the TSS still holds the
 * IST stacks) and an IDT pointing all 32 exception vectors at kernel/arch/x86/isr.asm.
 * See docs/01-boot.md ("When things go wrong") and docs/11-numa.md ("More CPUs").
 */
#include "kernel/arch/x86/gdt.h"
#include "kernel/debug/bug.h"
#include "kernel/lib/printk.h"
#include "mm/page_alloc.h"

struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

struct __attribute__((packed)) table_pointer {
	uint16_t limit;
	uint64_t base;
};

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t zero;
};

/* Each CPU has its own GDT and TSS (a TSS is marked busy once loaded) and
 * IST stacks; the IDT is shared by all. The boot CPU's are static (there
 * is no allocator yet when it needs them); an AP's come from the page
 * allocator when smp.c brings it up, so 64 possible CPUs cost BSS only
 * for the pointers, not 64 x 48 KiB of stacks. */
struct cpu_tables {
	uint8_t ist_stacks[3][IST_STACK_SIZE];
	struct tss64 tss;
	uint64_t gdt[5];
};
/* One order-4 block (64 KiB) per AP: the stacks, then the tables. */
#define CPU_TABLES_ORDER 4
_Static_assert(sizeof(struct cpu_tables) <= (PAGE_SIZE << CPU_TABLES_ORDER),
	       "an AP's stacks and tables fit its block");

static struct cpu_tables boot_tables __attribute__((aligned(16)));
static struct cpu_tables *tables[MAX_CPUS] = { &boot_tables };
static struct idt_gate idt[256];

extern const uint64_t isr_stub_table[32];

int gdt_alloc_cpu(unsigned int cpu)
{
	if (WARN_ON_ONCE(cpu == 0 || cpu >= MAX_CPUS))
		return -1;
	if (tables[cpu])
		return 0; /* a CPU that failed to start keeps its block */
	uint64_t phys = alloc_pages(GFP_KERNEL | __GFP_ZERO, CPU_TABLES_ORDER);
	if (!phys) {
		pr_err("gdt: no memory for CPU %u's IST stacks, GDT and TSS (%lu KiB)\n",
		       cpu, (PAGE_SIZE << CPU_TABLES_ORDER) / 1024);
		return -1;
	}
	tables[cpu] = phys_to_virt(phys);
	return 0;
}

int address_on_ist_stack(unsigned long addr, unsigned long len)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!tables[cpu])
			continue;
		for (int i = 0; i < 3; i++) {
			unsigned long lo =
			    (unsigned long)tables[cpu]->ist_stacks[i];
			if (addr >= lo && addr + len <= lo + IST_STACK_SIZE)
				return 1;
		}
	}
	return 0;
}

void gdt_init_cpu(unsigned int cpu)
{
	BUG_ON(cpu >= MAX_CPUS || !tables[cpu]); /* gdt_alloc_cpu first */
	uint64_t *g = tables[cpu]->gdt;
	struct tss64 *t = &tables[cpu]->tss;

	g[0] = 0;
	g[1] = 0x00af9a000000ffffULL; /* 64-bit code: L=1, P, DPL0, exec/read */
	g[2] = 0x00cf92000000ffffULL; /* data: P, DPL0, read/write */
	/* 64-bit TSS descriptor: 16 bytes, split over two GDT slots. */
	uint64_t base = (uint64_t)t, limit = sizeof(*t) - 1;
	g[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
	       (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	g[4] = base >> 32;

	for (int i = 0; i < 3; i++)
		t->ist[i] =
		    (uint64_t)&tables[cpu]->ist_stacks[i][IST_STACK_SIZE];
	t->iomap_base = sizeof(*t); /* no I/O permission bitmap */

	struct table_pointer gdtr = { sizeof(tables[cpu]->gdt) - 1,
				      (uint64_t)g };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t" /* reload CS with a far return */
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(gdtr), "i"(KERNEL_CS), "r"(KERNEL_DS),
			   "r"(TSS_SELECTOR)
			 : "rax", "memory");
}

static void set_gate(int vector, uint64_t handler, uint8_t ist)
{
	struct idt_gate *g = &idt[vector];
	g->offset_low = handler & 0xffff;
	g->selector = KERNEL_CS;
	g->ist = ist;
	g->type_attr = 0x8e; /* present, DPL0, 64-bit interrupt gate */
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_high = handler >> 32;
	g->zero = 0;
}

void idt_set_gate(int vector, uint64_t handler, uint8_t ist)
{
	set_gate(vector, handler, ist);
}

void gdt_init(void)
{
	gdt_init_cpu(0);
}

void idt_load(void)
{
	struct table_pointer idtr = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void idt_init(void)
{
	for (int v = 0; v < 32; v++)
		set_gate(v, isr_stub_table[v], 0);
	idt[8].ist = IST_DOUBLE_FAULT;
	idt[2].ist = IST_NMI;
	idt[18].ist = IST_MACHINE_CHECK;
	idt_load();
}
