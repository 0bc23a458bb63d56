/*
 * ioremap: device registers mapped uncached into a small kernel window.
 * The page allocator is not available this early, so the few page-table
 * pages the window needs come from a static pool in .bss; the tables are
 * reached through the direct map, like every other table the loader built.
 * See docs/04-interrupts.md ("Reaching the hardware").
 */
#include "kernel/arch/x86/ioremap.h"
#include "kernel/init/bootlog.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/printk.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/string.h"

#define PAGE_SIZE 4096ULL
#define PTE_PRESENT (1ULL << 0)
#define PTE_WRITE (1ULL << 1)
#define PTE_PWT (1ULL << 3) /* write-through ... */
#define PTE_PCD (1ULL << 4) /* ... and cache disabled: PAT entry 3, UC */
#define PTE_LARGE (1ULL << 7)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ULL

/*
 * One PDPT, one PD and a PT per 2 MiB of window. The window is aligned to
 * 1 GiB, so it never needs more than these.
 */
#define POOL_PAGES (2 + (IOREMAP_SIZE + VMAP_STACK_SIZE) / (2ULL << 20))
static uint64_t pt_pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned int pt_pool_used;
static uint64_t ioremap_next = IOREMAP_BASE; /* bump allocator, never freed */
static DEFINE_SPINLOCK(ioremap_lock);

uint64_t kernel_image_virt_to_phys(const void *p)
{
	return boot_info->kernel_phys_base +
	       ((uint64_t)(uintptr_t)p - boot_info->kernel_virt_base);
}

static uint64_t *table_virt(uint64_t entry)
{
	return phys_to_virt_early(entry & PTE_ADDR_MASK);
}

static uint64_t *pml4_virt(void)
{
	return phys_to_virt_early(read_cr3() & PTE_ADDR_MASK);
}

/* The next level's table under *entry, taken from the pool if missing. */
static uint64_t *next_table(uint64_t *entry)
{
	if (*entry & PTE_PRESENT)
		return (*entry & PTE_LARGE) ? NULL : table_virt(*entry);
	if (pt_pool_used == POOL_PAGES)
		return NULL;
	uint64_t *t = pt_pool[pt_pool_used++];
	memset(t, 0, PAGE_SIZE);
	/* Upper levels stay permissive: the leaf entry decides. */
	*entry = kernel_image_virt_to_phys(t) | PTE_PRESENT | PTE_WRITE;
	return t;
}

static uint64_t *pte_for(uint64_t virt, bool create)
{
	uint64_t *t = pml4_virt();
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(virt >> shift) & 511];
		if (!create && !(*e & PTE_PRESENT))
			return NULL;
		if (!create && (*e & PTE_LARGE))
			return e; /* a 1 GiB or 2 MiB leaf */
		t = next_table(e);
		if (!t)
			return NULL;
	}
	return &t[(virt >> 12) & 511];
}

uint64_t kernel_pte_of(const void *virt)
{
	uint64_t *pte = pte_for((uint64_t)(uintptr_t)virt, false);
	return pte && (*pte & PTE_PRESENT) ? *pte : 0;
}

bool kernel_range_mapped(const void *virt, size_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)virt & ~(PAGE_SIZE - 1);
	uint64_t end = (uint64_t)(uintptr_t)virt + len;
	if (end < a)
		return false; /* wraps around */
	for (; a < end; a += PAGE_SIZE)
		if (!kernel_pte_of((const void *)(uintptr_t)a))
			return false;
	return true;
}

void *ioremap(uint64_t phys, size_t size)
{
	uint64_t offset = phys & (PAGE_SIZE - 1);
	uint64_t first = phys - offset;
	uint64_t bytes = (offset + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	unsigned long flags;
	void *ret = NULL;

	spin_lock_irqsave(&ioremap_lock, flags);
	if (size == 0 || bytes > IOREMAP_BASE + IOREMAP_SIZE - ioremap_next)
		goto out;
	uint64_t virt = ioremap_next;
	for (uint64_t done = 0; done < bytes; done += PAGE_SIZE) {
		uint64_t *pte = pte_for(virt + done, true);
		if (!pte)
			goto out; /* cannot happen: the pool covers the window */
		*pte = (first + done) | PTE_PRESENT | PTE_WRITE | PTE_PCD |
		       PTE_PWT | PTE_NX;
	}
	/* Only new entries: nothing stale can be in the TLB, no flush. */
	ioremap_next += bytes;
	ret = (void *)(uintptr_t)(virt + offset);
out:
	spin_unlock_irqrestore(&ioremap_lock, flags);
	if (!ret)
		pr_err("ioremap: cannot map phys 0x%lx (+%lu): window full\n",
		       phys, size);
	return ret;
}

/*
 * Kernel stacks with guard pages: the stack's RAM stays where the allocator
 * put it, and is mapped a second time in its own slot of the stack window,
 * with an unmapped page below it. Running off the bottom then faults at once
 * (and the double-fault handler, on its IST stack, reports it) instead of
 * silently overwriting whatever lies below in the direct map.
 */
#define SLOT_WORDS ((VMAP_STACK_SLOTS + 63) / 64)
static uint64_t slot_in_use[SLOT_WORDS]; /* bit i: slot i holds a stack */
static unsigned int slots_used, slots_high_water;

/* The lowest free slot, marked in use; -1 if all are taken. Lock held. */
static long take_slot(void)
{
	lockdep_assert_held(&ioremap_lock);
	for (unsigned int w = 0; w < SLOT_WORDS; w++) {
		if (slot_in_use[w] == ~0ULL)
			continue;
		unsigned int bit =
		    (unsigned int)__builtin_ctzll(~slot_in_use[w]);
		unsigned long slot = w * 64UL + bit;
		if (slot >= VMAP_STACK_SLOTS)
			return -1;
		slot_in_use[w] |= 1ULL << bit;
		if (++slots_used > slots_high_water)
			slots_high_water = slots_used;
		return (long)slot;
	}
	return -1;
}

static void release_slot(unsigned long slot)
{
	lockdep_assert_held(&ioremap_lock);
	BUG_ON(!(slot_in_use[slot / 64] & (1ULL << (slot % 64))));
	slot_in_use[slot / 64] &= ~(1ULL << (slot % 64));
	slots_used--;
}

/* The stack's lowest address in a slot: the slot's guard page is below. */
static uint64_t slot_stack(unsigned long slot, size_t size)
{
	return VMAP_STACK_BASE + (slot + 1) * VMAP_STACK_SLOT - size;
}

void *vmap_stack(uint64_t phys, size_t size)
{
	unsigned long flags;
	void *ret = NULL;

	if (size == 0 || size % PAGE_SIZE || size > VMAP_STACK_MAX) {
		pr_err("vmap_stack: a %lu-byte stack does not fit a slot (pages, at most %llu bytes)\n",
		       size, VMAP_STACK_MAX);
		return NULL;
	}
	spin_lock_irqsave(&ioremap_lock, flags);
	long slot = take_slot();
	if (slot < 0)
		goto out;
	uint64_t virt = slot_stack((unsigned long)slot, size);
	for (uint64_t done = 0; done < size; done += PAGE_SIZE) {
		uint64_t *pte = pte_for(virt + done, true);
		if (!pte) {
			/* (Entries mapped so far: cleared, the slot freed.) */
			for (uint64_t d = 0; d < done; d += PAGE_SIZE)
				*pte_for(virt + d, false) = 0;
			release_slot((unsigned long)slot);
			goto out;
		}
		*pte = (phys + done) | PTE_PRESENT | PTE_WRITE | PTE_NX;
	}
	ret = (void *)(uintptr_t)virt;
out:
	spin_unlock_irqrestore(&ioremap_lock, flags);
	if (!ret)
		pr_err("vmap_stack: no room for a %lu-byte stack (%u of %llu slots in use)\n",
		       size, slots_used, VMAP_STACK_SLOTS);
	return ret;
}

unsigned int vmap_stack_slots_used(void)
{
	return __atomic_load_n(&slots_used, __ATOMIC_RELAXED);
}

unsigned int vmap_stack_slots_high_water(void)
{
	return __atomic_load_n(&slots_high_water, __ATOMIC_RELAXED);
}

/* A shootdown flushes just the stack's pages (invlpg each): measured on
 * 100,000 thread joins under TCG, a whole-TLB flush (CR3 reload) cost
 * about 1 s more per run, 5.7-6.6 s against 4.8-5.5 s, and every CPU then
 * refills its TLB for the kernel's own code and data too. */
struct flush_range {
	uint64_t start, size;
};

static void flush_tlb_local(void *arg)
{
	const struct flush_range *r = arg;
	for (uint64_t a = r->start; a < r->start + r->size; a += PAGE_SIZE)
		__asm__ volatile("invlpg (%0)" : : "r"(a) : "memory");
}

void vunmap_stack(void *stack, size_t size)
{
	uint64_t virt = (uint64_t)(uintptr_t)stack;
	unsigned long flags;

	spin_lock_irqsave(&ioremap_lock, flags);
	for (uint64_t done = 0; done < size; done += PAGE_SIZE) {
		uint64_t *pte = pte_for(virt + done, false);
		if (pte)
			*pte = 0;
	}
	spin_unlock_irqrestore(&ioremap_lock, flags);
	/* Every CPU that ran on the stack may still cache its translations;
	 * the slot must not be handed out again until all have dropped them
	 * (the RAM goes back to the allocator right after). */
	struct flush_range r = { virt, size };
	flush_tlb_local(&r);
	smp_call_function(flush_tlb_local, &r);
	spin_lock_irqsave(&ioremap_lock, flags);
	release_slot((virt - VMAP_STACK_BASE) / VMAP_STACK_SLOT);
	spin_unlock_irqrestore(&ioremap_lock, flags);
}
