; Exception entry stubs for vectors 0-31. Each stub makes the stack look the
; same (pushing a zero where the CPU pushes no error code), saves every
; general register and calls exception_dispatch(struct trap_frame *).
; The layout must match struct trap_frame in kernel/exceptions.h.
; See docs/01-boot.md ("When things go wrong").

bits 64
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
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rbx, rsp		; the trap frame; rbx survives the call
	mov rdi, rsp		; struct trap_frame *
	; Link a frame so a backtrace walks from here into the faulting code.
	push qword [rsp + 17*8]	; the faulting RIP as a return address
	push rbp
	mov rbp, rsp
	and rsp, -16
	cld
	call exception_dispatch
	mov rsp, rbx		; the handler may have changed frame->rip
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16		; vector and error code
	iretq

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 32
	dq isr_ %+ v
%assign v v+1
%endrep
