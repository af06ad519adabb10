//! The one module that knows the processor (SPEC.md "Platforms"): the system-call
//! instruction, the system calls an architecture lacks, and the three exports that Rust
//! cannot write: `vfork` (its child runs on the parent's stack) and the variadic execl
//! family. x86_64 and aarch64 have all of them. Another Linux architecture builds with
//! system calls through the C library's `syscall(2)`, and without the shim's execl
//! family and vfork (the C library's own then run: see docs/platforms.md).

pub use imp::*;

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::asm;
    use core::ffi::{c_char, c_int, c_long};

    use crate::exports::{entry_points, execl_list};
    use crate::process::{VFORK_PARENT, VFORKS, vfork_resumed};

    /// x86_64 has dup2(2) (aarch64 has dup3 only).
    pub(crate) const SYS_DUP2: Option<c_long> = Some(libc::SYS_dup2);

    /// The system call `nr` with six arguments: the raw result (negative: -errno).
    ///
    /// # Safety
    /// The arguments are valid for the system call `nr`.
    #[inline(always)]
    pub unsafe fn syscall6(nr: c_long, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: the x86_64 Linux system-call convention; the kernel clobbers rcx and
        // r11 only; the arguments are the caller's contract.
        unsafe {
            asm!("syscall",
                inlateout("rax") nr as isize => ret,
                in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
                in("r10") a[3], in("r8") a[4], in("r9") a[5],
                lateout("rcx") _, lateout("r11") _,
                options(nostack, preserves_flags));
        }
        ret
    }

    /// vfork(2), glibc's way (the return address leaves the stack, which the child
    /// reuses, for a register), plus the bookkeeping of `process`: the count of vforks
    /// in flight is raised and the caller's process ID recorded before the system call;
    /// the child returns 0 with the count still raised; the parent lowers it in
    /// [`vfork_resumed`].
    ///
    /// # Safety
    /// As vfork(2): the child may only exec or _exit (and call async-signal-safe functions).
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn vfork() -> c_int {
        core::arch::naked_asm!(
            "endbr64",
            "lock inc qword ptr [rip + {count}]",
            "mov eax, {getpid}",
            "syscall",
            "mov dword ptr [rip + {parent}], eax",
            "pop rdi",              // the return address, out of the shared stack
            "mov eax, {vfork}",
            "syscall",
            "push rdi",
            "test rax, rax",
            "jz 2f",                // the child: 0
            "mov rdi, rax",
            "jmp {resumed}",        // the parent: tail call with the stack as at entry
            "2:",
            "ret",
            count = sym VFORKS,
            parent = sym VFORK_PARENT,
            resumed = sym vfork_resumed,
            getpid = const libc::SYS_getpid,
            vfork = const libc::SYS_vfork,
        )
    }

    /// The execl family's trampoline. `execl(path, arg0, ..., NULL)` is variadic, which
    /// stable Rust cannot define: the register arguments are laid out in front of the
    /// caller's stack arguments, making one contiguous `argv` vector, and
    /// [`execl_list`] is called with it (kind 0 execl, 1 execle, 2 execlp). The return
    /// address is moved out of the way and put back before `ret`, so return-address
    /// predictors and shadow stacks see an ordinary call; CFI says where it is
    /// meanwhile, so debuggers and unwinders see through the trampoline. Entered with
    /// r10d = kind and the caller's arguments untouched.
    #[unsafe(naked)]
    unsafe extern "C" fn execl_common() {
        core::arch::naked_asm!(
            ".cfi_startproc",
            "sub rsp, 56",          // rsp = E - 56 (16-byte aligned: E = 8 mod 16)
            ".cfi_adjust_cfa_offset 56",
            "mov rax, [rsp + 56]",  // the return address
            "mov [rsp + 8], rax",
            ".cfi_offset rip, -56", // where unwinders find it meanwhile
            "mov [rsp + 56], r9",   // argv[4], just below the caller's stack arguments
            "mov [rsp + 48], r8",
            "mov [rsp + 40], rcx",
            "mov [rsp + 32], rdx",
            "mov [rsp + 24], rsi",  // argv[0]
            "lea rsi, [rsp + 24]",
            "mov edx, r10d",
            "call {list}",
            "mov rcx, [rsp + 8]",
            "mov [rsp + 56], rcx",  // the return address back in place
            "add rsp, 56",
            ".cfi_adjust_cfa_offset -56",
            ".cfi_offset rip, -8",
            "ret",
            ".cfi_endproc",
            list = sym execl_list,
        )
    }

    /// execl(3); the state survives as for execve.
    ///
    /// # Safety
    /// As execl(3): the argument list ends with a NULL pointer.
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn execl(path: *const c_char, arg0: *const c_char) -> c_int {
        core::arch::naked_asm!("endbr64", "xor r10d, r10d", "jmp {c}", c = sym execl_common)
    }

    /// execle(3); the state survives as for execve.
    ///
    /// # Safety
    /// As execle(3): the argument list ends with a NULL pointer, then the environment.
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn execle(path: *const c_char, arg0: *const c_char) -> c_int {
        core::arch::naked_asm!("endbr64", "mov r10d, 1", "jmp {c}", c = sym execl_common)
    }

    /// execlp(3); the state survives as for execvp.
    ///
    /// # Safety
    /// As execlp(3): the argument list ends with a NULL pointer.
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn execlp(file: *const c_char, arg0: *const c_char) -> c_int {
        core::arch::naked_asm!("endbr64", "mov r10d, 2", "jmp {c}", c = sym execl_common)
    }

    entry_points!(ARCH_ENTRY_POINTS: "execl", "execle", "execlp", "vfork");
}

#[cfg(target_arch = "aarch64")]
mod imp {
    use core::arch::asm;
    use core::ffi::{c_char, c_int, c_long};

    use crate::exports::{entry_points, execl_list};
    use crate::process::{VFORK_PARENT, VFORKS, vfork_resumed};

    /// aarch64 has no dup2(2): `sys::dup2` is dup3 plus the same-descriptor rule.
    pub(crate) const SYS_DUP2: Option<c_long> = None;

    /// The system call `nr` with six arguments: the raw result (negative: -errno).
    ///
    /// # Safety
    /// The arguments are valid for the system call `nr`.
    #[inline(always)]
    pub unsafe fn syscall6(nr: c_long, a: [usize; 6]) -> isize {
        let ret: isize;
        // SAFETY: the aarch64 Linux system-call convention (svc 0, x8 = number, x0 to
        // x5 the arguments, x0 the result; nothing else changes); the arguments are the
        // caller's contract.
        unsafe {
            asm!("svc 0",
                in("x8") nr,
                inlateout("x0") a[0] as isize => ret,
                in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
                options(nostack, preserves_flags));
        }
        ret
    }

    /// vfork(2), glibc's way (clone with CLONE_VM | CLONE_VFORK | SIGCHLD on the same
    /// stack; the return address is in x30, which the child's use of the stack cannot
    /// reach), plus the bookkeeping of `process`: the count of vforks in flight is
    /// raised and the caller's process ID recorded before the system call; the child
    /// returns 0 with the count still raised; the parent lowers it in
    /// [`vfork_resumed`].
    ///
    /// # Safety
    /// As vfork(2): the child may only exec or _exit (and call async-signal-safe functions).
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn vfork() -> c_int {
        core::arch::naked_asm!(
            "hint #34",             // bti c
            "adrp x9, {count}",
            "add x9, x9, :lo12:{count}",
            "1:",
            "ldxr x10, [x9]",       // VFORKS += 1 (no LSE atomics in the baseline)
            "add x10, x10, #1",
            "stxr w11, x10, [x9]",
            "cbnz w11, 1b",
            "mov x8, #{getpid}",
            "svc #0",
            "adrp x9, {parent}",
            "str w0, [x9, :lo12:{parent}]",
            "mov x0, #{flags}",
            "mov x1, sp",
            "mov x2, #0",
            "mov x3, #0",
            "mov x4, #0",
            "mov x8, #{clone}",
            "svc #0",
            "cbz x0, 2f",           // the child: 0
            "b {resumed}",          // the parent: tail call, x30 still the caller's
            "2:",
            "ret",
            count = sym VFORKS,
            parent = sym VFORK_PARENT,
            resumed = sym vfork_resumed,
            getpid = const libc::SYS_getpid,
            clone = const libc::SYS_clone,
            flags = const libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
        )
    }

    /// The execl family's trampoline. `execl(path, arg0, ..., NULL)` is variadic, which
    /// stable Rust cannot define. AAPCS64 passes x1 to x7 (arg0 to arg6) in registers
    /// and the rest in 8-byte slots from the caller's stack pointer up: x1 to x7 are
    /// stored in the seven slots just below it, making one contiguous `argv` vector,
    /// and [`execl_list`] is called with it (kind 0 execl, 1 execle, 2 execlp). The
    /// frame record (x29, x30) heads the 80-byte frame, and CFI describes it, so
    /// debuggers and unwinders see through the trampoline. Entered with w9 = kind and
    /// the caller's arguments untouched.
    #[unsafe(naked)]
    unsafe extern "C" fn execl_common() {
        core::arch::naked_asm!(
            ".cfi_startproc",
            "sub sp, sp, #80",      // 16-byte aligned; sp + 80 = the caller's arguments
            ".cfi_def_cfa_offset 80",
            "stp x29, x30, [sp]",
            ".cfi_offset x29, -80",
            ".cfi_offset x30, -72",
            "mov x29, sp",
            "stp x1, x2, [sp, #24]", // argv[0], argv[1]
            "stp x3, x4, [sp, #40]",
            "stp x5, x6, [sp, #56]",
            "str x7, [sp, #72]",     // argv[6]; argv[7] is the caller's first stack slot
            "add x1, sp, #24",
            "mov w2, w9",
            "bl {list}",
            "ldp x29, x30, [sp]",
            "add sp, sp, #80",
            ".cfi_def_cfa_offset 0",
            ".cfi_restore x29",
            ".cfi_restore x30",
            "ret",
            ".cfi_endproc",
            list = sym execl_list,
        )
    }

    /// execl(3); the state survives as for execve.
    ///
    /// # Safety
    /// As execl(3): the argument list ends with a NULL pointer.
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn execl(path: *const c_char, arg0: *const c_char) -> c_int {
        core::arch::naked_asm!("hint #34", "mov w9, #0", "b {c}", c = sym execl_common)
    }

    /// execle(3); the state survives as for execve.
    ///
    /// # Safety
    /// As execle(3): the argument list ends with a NULL pointer, then the environment.
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn execle(path: *const c_char, arg0: *const c_char) -> c_int {
        core::arch::naked_asm!("hint #34", "mov w9, #1", "b {c}", c = sym execl_common)
    }

    /// execlp(3); the state survives as for execvp.
    ///
    /// # Safety
    /// As execlp(3): the argument list ends with a NULL pointer.
    #[unsafe(no_mangle)]
    #[unsafe(naked)]
    pub unsafe extern "C" fn execlp(file: *const c_char, arg0: *const c_char) -> c_int {
        core::arch::naked_asm!("hint #34", "mov w9, #2", "b {c}", c = sym execl_common)
    }

    entry_points!(ARCH_ENTRY_POINTS: "execl", "execle", "execlp", "vfork");
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod imp {
    use core::ffi::c_long;

    /// Not known here: `sys::dup2` is dup3 plus the same-descriptor rule.
    pub(crate) const SYS_DUP2: Option<c_long> = None;

    /// Through the C library's `syscall(2)` (which the shim does not interpose),
    /// `errno` saved and restored around it.
    ///
    /// # Safety
    /// The arguments are valid for the system call `nr`.
    #[inline(always)]
    pub unsafe fn syscall6(nr: c_long, a: [usize; 6]) -> isize {
        // SAFETY: `__errno_location` is the calling thread's errno; `syscall` is the C
        // library's; the arguments are the caller's contract.
        unsafe {
            let errno = libc::__errno_location();
            let saved = *errno;
            let r = libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
            let ret = if r == -1 {
                -(*errno as isize)
            } else {
                r as isize
            };
            *errno = saved;
            ret
        }
    }

    /// No execl family or vfork of the shim's here.
    pub const ARCH_ENTRY_POINTS: &[&str] = &[];
}
