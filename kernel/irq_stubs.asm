; Entry stubs for the external and local interrupt vectors 32-255. Each stub
; pushes a zero error code and its vector, so the stack has the same layout
; as an exception's (struct trap_frame in kernel/exceptions.h), saves every
; general register and calls irq_dispatch(struct trap_frame *). The gates
; are interrupt gates, so IF is clear until a handler chooses otherwise.
; See docs/04-interrupts.md ("From a device to a handler").

bits 64
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
	; Link a frame so a backtrace from a handler walks into the code the
	; interrupt arrived in.
	push qword [rsp + 17*8]	; the interrupted RIP as a return address
	push rbp
	mov rbp, rsp
	and rsp, -16		; the ABI wants 16-byte alignment at the call
	cld
	call irq_dispatch
	mov rsp, rbx
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
irq_stub_table:			; irq_stub_table[v - 32] is vector v's stub
%assign v 32
%rep 224
	dq irq_stub_ %+ v
%assign v v+1
%endrep
