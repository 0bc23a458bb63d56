/*
 * ioremap: mapping device registers (MMIO) into the kernel's address space.
 * The loader's direct map covers RAM only, so the local APIC, the I/O APIC
 * and the HPET have to be mapped by the kernel, uncached (PCD|PWT) and
 * never executable. Also the MMIO accessors (readl/writel, Linux's names).
 * See docs/04-interrupts.md ("Reaching the hardware").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_IOREMAP_H
#define LABYRINTH_KERNEL_ARCH_X86_IOREMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The MMIO window: Linux puts ioremap in its vmalloc area, which starts here. */
#define IOREMAP_BASE 0xffffc90000000000ULL
#define IOREMAP_SIZE (4ULL << 20) /* 4 MiB: plenty for a few register pages */

/*
 * Maps [phys, phys + size) uncached and returns the virtual address of
 * phys (keeping its offset in the page), or NULL when the window is full
 * (reported). Mappings are never torn down: devices stay for the uptime.
 */
void *ioremap(uint64_t phys, size_t size);

/* Kernel stacks with a guard page below each (the APs' and threads'; see
 * docs/05-smp-and-per-cpu-lists.md). */
#define VMAP_STACK_BASE (IOREMAP_BASE + IOREMAP_SIZE)
#define VMAP_STACK_SIZE (8ULL << 20)
/* The window is cut into equal slots: a guard page, then up to 16 KiB of
 * stack. A bitmap says which are in use, so a freed slot is always found
 * again, however many threads come and go. */
#define VMAP_STACK_MAX (16ULL << 10)
#define VMAP_STACK_SLOT (VMAP_STACK_MAX + 4096)
#define VMAP_STACK_SLOTS (VMAP_STACK_SIZE / VMAP_STACK_SLOT)
/* Maps the stack's RAM [phys, phys + size) (size: pages, at most
 * VMAP_STACK_MAX) in a free slot with an unmapped page below it; returns
 * the lowest stack address, or NULL (reported) when no slot is free. */
void *vmap_stack(uint64_t phys, size_t size);
/* Unmaps a stack from vmap_stack on every CPU (interrupts on: it sends
 * IPIs) so its slot can be reused; the caller frees the RAM after. */
void vunmap_stack(void *stack, size_t size);
/* Slots in use now, and the most ever in use at once (address space the
 * stacks have touched: it must not grow while threads come and go). */
unsigned int vmap_stack_slots_used(void);
unsigned int vmap_stack_slots_high_water(void);

/* Is every byte of [virt, virt + len) mapped in the current page tables?
 * Walks the tables; used before trusting a firmware-supplied address. */
bool kernel_range_mapped(const void *virt, size_t len);

/* The page-table entry that maps virt (for tests: flags), or 0. */
uint64_t kernel_pte_of(const void *virt);

/* Physical address of a kernel image address (.data, .bss). */
uint64_t kernel_image_virt_to_phys(const void *p);

/* MMIO accesses must not be merged, split or reordered by the compiler. */
static inline uint32_t readl(const volatile void *addr)
{
	return *(const volatile uint32_t *)addr;
}
static inline void writel(uint32_t v, volatile void *addr)
{
	*(volatile uint32_t *)addr = v;
}
static inline uint64_t readq(const volatile void *addr)
{
	return *(const volatile uint64_t *)addr;
}
static inline void writeq(uint64_t v, volatile void *addr)
{
	*(volatile uint64_t *)addr = v;
}

#endif
