/*
 * CPU exceptions: the saved register frame, the report printed for an
 * unexpected exception, and exception fixups (Linux's __ex_table idea): an
 * instruction that is allowed to fault names a place to continue at, which
 * is how the exception tests provoke faults and carry on.
 * See docs/01-boot.md ("When things go wrong").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_EXCEPTIONS_H
#define LABYRINTH_KERNEL_ARCH_X86_EXCEPTIONS_H

#include <stdint.h>

/* Pushed by kernel/arch/x86/isr.asm (lowest address first) and by the CPU. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

struct exception_table_entry {
	uint64_t insn;	/* address of an instruction that may fault */
	uint64_t fixup; /* where to continue if it does */
};

/* What the last fixed-up exception was, for tests to check. */
struct exception_record {
	uint64_t count;
	uint64_t vector, error_code, rip, cr2;
};
extern volatile struct exception_record last_fixed_exception;

/*
 * Emits an __ex_table entry from inline assembly: "1: <insn>; 2:" with
 * EXTABLE("1b", "2b") lets the instruction at 1 fault and resume at 2.
 */
#define EXTABLE(insn_label, fixup_label)                                   \
	".pushsection __ex_table, \"a\"\n\t.balign 8\n\t.quad " insn_label \
	", " fixup_label "\n\t.popsection\n\t"

const char *exception_name(uint64_t vector);
void exception_dispatch(struct trap_frame *f);

#endif
