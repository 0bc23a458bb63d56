; Kernel entry point. The loader jumps here with the kernel's page tables
; loaded, interrupts off, RSP at the top of the boot stack (with a zero
; return address pushed, which ends backtraces) and RDI = the boot_info
; (a direct-map address). See docs/01-boot.md ("Into the kernel").

bits 64
section .text.entry
global _start
extern kmain

_start:
	cld
	xor ebp, ebp		; frame-pointer chain ends here
	and rsp, -16		; the ABI wants RSP 16-aligned at a call
	call kmain		; kmain(struct boot_info *) never returns
.halt:
	cli
	hlt
	jmp .halt
