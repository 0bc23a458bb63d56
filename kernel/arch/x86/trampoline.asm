; The SMP trampoline: where an application processor (AP) starts after the
; boot CPU sends it INIT-SIPI-SIPI. The AP wakes in 16-bit real mode at
; CS:IP = (page >> 4):0, so this code is copied to a page below 1 MiB
; (kernel/arch/x86/smp.c picks one from the memory the allocator held back) and
; must not depend on where that is: it computes its own linear base in EBX
; and addresses everything relative to it. Real mode -> protected mode ->
; long mode (with a temporary PML4 below 4 GiB that maps this page 1:1 and
; shares the kernel's upper half), then a jump to ap_entry() in the higher
; half with the stack and argument kernel/arch/x86/smp.c left in the data block.
; See docs/05-smp-and-per-cpu-lists.md ("Waking the other CPUs").

bits 16
section .rodata
align 16
global trampoline_start, trampoline_end
global trampoline_pml4, trampoline_stack, trampoline_entry, trampoline_arg

trampoline_start:
	cli
	cld
	mov ax, cs
	mov ds, ax
	xor ebx, ebx
	mov bx, ax
	shl ebx, 4			; EBX = linear address of this page

	; The GDT pointer and the far jump need linear addresses: patch them.
	lea eax, [ebx + (tramp_gdt - trampoline_start)]
	mov [tramp_gdtr - trampoline_start + 2], eax
	lea eax, [ebx + (protected32 - trampoline_start)]
	mov [tramp_far32 - trampoline_start], eax
	lgdt [tramp_gdtr - trampoline_start]

	mov eax, cr0
	or eax, 1			; PE
	mov cr0, eax
	jmp dword far [tramp_far32 - trampoline_start]

bits 32
protected32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	lea esp, [ebx + 4096]		; a scratch stack at the top of this page

	mov eax, cr4
	or eax, (1 << 5)		; PAE
	mov cr4, eax
	mov eax, [ebx + (trampoline_pml4 - trampoline_start)]
	mov cr3, eax
	mov ecx, 0xc0000080		; EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)	; LME, NXE (the kernel's tables use NX)
	wrmsr
	mov eax, cr0
	and eax, ~((1 << 30) | (1 << 29)) ; CD, NW: INIT leaves caching off
	or eax, (1 << 31) | (1 << 16)	; PG, WP (W^X holds on every CPU)
	mov cr0, eax

	lea eax, [ebx + (long64 - trampoline_start)]
	push dword 0x18			; 64-bit code selector
	push eax
	retf

bits 64
long64:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov rsp, [rbx + (trampoline_stack - trampoline_start)]
	mov rdi, [rbx + (trampoline_arg - trampoline_start)]
	mov rax, [rbx + (trampoline_entry - trampoline_start)]
	xor ebp, ebp			; backtraces end here
	push rbp
	jmp rax				; into the higher half: ap_entry(arg)

align 8
tramp_gdt:
	dq 0
	dq 0x00cf9a000000ffff		; 0x08: 32-bit code
	dq 0x00cf92000000ffff		; 0x10: data
	dq 0x00af9a000000ffff		; 0x18: 64-bit code
tramp_gdt_end:
tramp_gdtr:
	dw tramp_gdt_end - tramp_gdt - 1
	dd 0				; patched: linear address of tramp_gdt
tramp_far32:
	dd 0				; patched: linear address of protected32
	dw 0x08

; Filled in by kernel/arch/x86/smp.c before each AP is started.
align 8
trampoline_pml4:	dq 0	; temporary PML4, below 4 GiB (32-bit CR3 load)
trampoline_stack:	dq 0	; top of the AP's kernel stack
trampoline_entry:	dq 0	; ap_entry, a higher-half address
trampoline_arg:		dq 0	; its argument: the AP's struct cpu
trampoline_end:
