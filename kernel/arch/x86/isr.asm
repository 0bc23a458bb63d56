; Exception entry stubs for vectors 0-31. Each stub makes the stack look the
; same (pushing a zero where the CPU pushes no error code), saves every
; general register and calls exception_dispatch(struct trap_frame *).
; The layout must match struct trap_frame in kernel/arch/x86/exceptions.h.
; See docs/01-boot.md ("When things go wrong").

bits 64
%include "kernel/arch/x86/trap_entry.inc"
section .text
extern exception_dispatch
global isr_stub_table

; Vectors where the CPU pushes an error code.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro ISR 1
isr_%1:
%if HAS_ERROR(%1) == 0
	push 0			; no error code from the CPU: keep the layout
%endif
	push %1			; vector number
	jmp isr_common
%endmacro

%assign v 0
%rep 32
	ISR v
%assign v v+1
%endrep

isr_common:
	TRAP_ENTRY_COMMON exception_dispatch

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 32
	dq isr_ %+ v
%assign v v+1
%endrep
