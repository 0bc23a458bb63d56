; The task switch (kernel/core/sched.c): save the callee-saved registers on the
; old task's stack, keep its stack pointer, load the new task's, and
; restore what it saved when it left. Everything else the C caller already
; treats as clobbered. A new task's stack is laid out by task_create()
; (kernel/core/kthread.c) so that the first switch to it "returns" into
; kthread_trampoline.
; See docs/05b-threads-and-sleeping.md ("The switch, step by step").

bits 64
section .text
global __switch_to
global kthread_trampoline
extern kthread_entry

; void __switch_to(uint64_t *prev_rsp, uint64_t next_rsp)
__switch_to:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, rsi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

; The first code a new task runs: r12 holds its task_struct.
kthread_trampoline:
	xor ebp, ebp		; backtraces end here
	mov rdi, r12
	and rsp, -16
	call kthread_entry	; never returns
	ud2
