# A stub "libc.so.6" for i386.s to link against (at run time the real one is loaded).
	.text
	.globl	socket
	.type	socket, @function
socket:
	ret
	.size	socket, .-socket
	.section .note.GNU-stack,"",@progbits
