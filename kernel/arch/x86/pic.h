/*
 * The two 8259 PICs of the PC/AT. With I/O APICs they only get in the way:
 * they are remapped off the exception vectors (to 0x20-0x2f) and masked, so
 * that a stray or spurious interrupt from them lands on a vector we own.
 * See docs/04-interrupts.md ("The legacy PICs").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_PIC_H
#define LABYRINTH_KERNEL_ARCH_X86_PIC_H

#include <stdint.h>

#define PIC_VECTOR_BASE 0x20 /* master IRQs 0-7 at 0x20, slave 8-15 at 0x28 */
#define PIC_SPURIOUS_MASTER (PIC_VECTOR_BASE + 7)
#define PIC_SPURIOUS_SLAVE (PIC_VECTOR_BASE + 15)

/* Remaps both PICs to PIC_VECTOR_BASE and masks every line. */
void pic_init_masked(void);

/* End-of-interrupt to the master, for a spurious IRQ 15 cascaded through it. */
void pic_master_eoi(void);

/* The interrupt mask registers, slave in the high byte (for tests). */
uint16_t pic_read_masks(void);

#endif
