; Entry stubs for the external and local interrupt vectors 32-255. Each stub
; pushes a zero error code and its vector, so the stack has the same layout
; as an exception's (struct trap_frame in kernel/arch/x86/exceptions.h), saves every
; general register and calls irq_dispatch(struct trap_frame *). The gates
; are interrupt gates, so IF is clear until a handler chooses otherwise.
; See docs/04-interrupts.md ("From a device to a handler").

bits 64
%include "kernel/arch/x86/trap_entry.inc"
section .text
extern irq_dispatch
global irq_stub_table

%macro IRQ_STUB 1
irq_stub_%1:
	push 0			; no error code: keep the trap_frame layout
	push %1			; vector number
	jmp irq_common
%endmacro

%assign v 32
%rep 224
	IRQ_STUB v
%assign v v+1
%endrep

irq_common:
	TRAP_ENTRY_COMMON irq_dispatch

section .rodata
align 8
irq_stub_table:			; irq_stub_table[v - 32] is vector v's stub
%assign v 32
%rep 224
	dq irq_stub_ %+ v
%assign v v+1
%endrep
