# A 32-bit (i386) dynamically linked ELF for sockshim --check, when gcc -m32 is not
# available: linked by ld -m elf_i386 against a stub libc.so.6 (lib386.s), so that it
# names /lib/ld-linux.so.2 and libc.so.6 as a gcc -m32 program does. Run (with
# libc6-i386 installed), it only exits with status 0.
	.text
	.globl	_start
_start:
	movl	$1, %eax
	xorl	%ebx, %ebx
	int	$0x80
	.section .note.GNU-stack,"",@progbits
