//! The raw system-call layer: the only module that issues system calls and the only
//! one that knows kernel ABI sizes (rustix's rule).
//!
//! Nothing here goes through the C library's wrappers: inside an exported `socket`,
//! `libc::socket` would resolve back to the shim itself (LESSONS.md pitfall 1). Every
//! function returns `Result<_, Errno>` and never touches `errno`; the adapters in
//! `exports` set `errno` only on failure.
//!
//! Cancellation points (SPEC.md "What every exported function must keep") are kept the
//! way glibc 2.36 keeps its own: a call that may block runs with the thread's
//! cancellation type switched to asynchronous for the duration of the system call
//! ([`cancellable`]), and a single-threaded process skips the switch, as glibc's
//! `SINGLE_THREAD_P` does ([`crate::clib`] says how each C library is asked).

use core::ffi::{CStr, c_char, c_int, c_long, c_uint, c_void};
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::arch;

/// A kernel error number (positive), as the kernel returned it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub c_int);

pub type SysResult<T> = Result<T, Errno>;

/// A zero timeout: "answer at once" for ppoll (a copy), rt_sigtimedwait and futex probes.
static ZERO_TIMEOUT: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// The kernel's signal set: `_NSIG / 8` = 8 bytes on every Linux architecture we build
/// for, not glibc's 128-byte `sigset_t` (LESSONS.md pitfall 11). Bit `n - 1` is signal `n`.
pub type KernelSigset = u64;
pub const KERNEL_SIGSET_SIZE: usize = core::mem::size_of::<KernelSigset>();

/// Issues system call `nr`. Unused trailing arguments are passed as 0.
///
/// # Safety
/// The arguments must be valid for `nr` (pointers the kernel may dereference are
/// checked by the kernel, which answers EFAULT; they are never dereferenced here).
#[inline(always)]
pub unsafe fn raw(nr: c_long, a: [usize; 6]) -> SysResult<usize> {
    // SAFETY: forwarded to the caller's contract.
    let r = unsafe { arch::syscall6(nr, a) };
    // The kernel returns -4095..=-1 for errors.
    if (-4095..0).contains(&r) {
        Err(Errno(-r as c_int))
    } else {
        Ok(r as usize)
    }
}

/// Builds the six-argument array for [`raw`] from any mix of integers and pointers.
macro_rules! args {
    ($($a:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut v = [0usize; 6];
        let mut _i = 0;
        $( if let Some(slot) = v.get_mut(_i) { *slot = $a as usize; } _i += 1; )*
        v
    }};
}
pub(crate) use args;

unsafe extern "C" {
    fn pthread_setcanceltype(ty: c_int, old: *mut c_int) -> c_int;
    fn pthread_testcancel();
}

const PTHREAD_CANCEL_ASYNCHRONOUS: c_int = 1;

/// fcntl commands and `struct f_owner_ex` (asm-generic/fcntl.h), which the libc crate
/// does not carry.
pub(crate) const F_SETOWN_EX: c_int = 15;
pub(crate) const F_GETOWN_EX: c_int = 16;
pub(crate) const F_OWNER_PGRP: c_int = 2;

#[repr(C)]
pub struct FOwnerEx {
    pub ty: c_int,
    pub pid: c_int,
}

pub use crate::clib::single_threaded;

/// Runs `f` (one blocking system call) as a pthread cancellation point.
///
/// Exactly glibc 2.36's `SYSCALL_CANCEL`: in a multi-threaded process the cancellation
/// type is asynchronous while the system call runs, so `pthread_cancel` of a thread
/// blocked in it acts at once; afterwards the previous type is restored, which also acts
/// on a cancellation that arrived meanwhile if the thread was already asynchronous.
/// `pthread_setcanceltype` is a lock-free compare-and-swap in glibc (async-signal-safe
/// in practice, no allocation).
#[inline(always)]
pub fn cancellable<T>(f: impl FnOnce() -> T) -> T {
    if single_threaded() {
        return f();
    }
    cancellable_threaded(f)
}

#[inline(never)]
fn cancellable_threaded<T>(f: impl FnOnce() -> T) -> T {
    let mut old: c_int = 0;
    // SAFETY: valid out-pointer; the call cannot fail for a valid type.
    unsafe { pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &mut old) };
    let r = f();
    // SAFETY: as above; restores the caller's type.
    unsafe { pthread_setcanceltype(old, &mut old) };
    r
}

/// A function of the next library (the C library), resolved once.
pub struct Next {
    name: &'static CStr,
    ptr: AtomicUsize,
}

impl Next {
    pub const fn new(name: &'static CStr) -> Next {
        Next {
            name,
            ptr: AtomicUsize::new(0),
        }
    }

    /// The address, resolving it if the constructor has not yet (0 if not found, or if
    /// the only definition is this library's own).
    pub fn get(&self, own: usize) -> usize {
        let p = self.ptr.load(Ordering::Relaxed);
        if p != 0 {
            return p;
        }
        // SAFETY: dlsym with a valid name; RTLD_NEXT finds the definition after this
        // library, RTLD_DEFAULT the first one (when this library comes after glibc).
        let mut p = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) } as usize;
        if p == 0 {
            // SAFETY: as above.
            p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, self.name.as_ptr()) } as usize;
        }
        if p == own {
            p = 0;
        }
        self.ptr.store(p, Ordering::Relaxed);
        p
    }

    /// The address the constructor found, never resolving it (0: none, or not yet).
    #[inline(always)]
    pub fn resolved(&self) -> usize {
        self.ptr.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------------
// The C library's own write, writev, send, sendto and sendmsg (glibc only)

/// In a multi-threaded process the write paths make their plain system call through
/// the C library's own function, which is a cancellation point exactly as without the
/// shim and switches the cancellation type with the C library's internal, inline code;
/// [`cancellable`] would call `pthread_setcanceltype` twice (about 50 instructions).
/// Resolved by the constructor only (dlsym is not async-signal-safe), and only where
/// those functions are the plain system call (`clib::PLAIN_FUNCTIONS`: glibc, not musl);
/// otherwise, and before the constructor ran, [`cancellable`].
pub static LIBC_WRITE: Next = Next::new(c"write");
pub static LIBC_WRITEV: Next = Next::new(c"writev");
pub static LIBC_SEND: Next = Next::new(c"send");
pub static LIBC_SENDTO: Next = Next::new(c"sendto");
pub static LIBC_SENDMSG: Next = Next::new(c"sendmsg");
/// The same for the creation and close paths' shortcut (see `exports::untouched`).
pub static LIBC_ACCEPT4: Next = Next::new(c"accept4");
pub static LIBC_CLOSE: Next = Next::new(c"close");

pub type WriteFn = unsafe extern "C" fn(c_int, *const c_void, usize) -> isize;
pub type WritevFn = unsafe extern "C" fn(c_int, *const libc::iovec, c_int) -> isize;
pub type SendFn = unsafe extern "C" fn(c_int, *const c_void, usize, c_int) -> isize;
pub type SendtoFn =
    unsafe extern "C" fn(c_int, *const c_void, usize, c_int, *const sockaddr, socklen_t) -> isize;
pub type SendmsgFn = unsafe extern "C" fn(c_int, *const libc::msghdr, c_int) -> isize;
pub type Accept4Fn = unsafe extern "C" fn(c_int, *mut sockaddr, *mut socklen_t, c_int) -> c_int;
pub type CloseFn = unsafe extern "C" fn(c_int) -> c_int;

/// Calls the C library's function `call` as the raw layer would the system call: its
/// result as -1 and errno, or the count, with the caller's errno left as it was (this
/// layer never touches errno: a failure the shim recovers from, such as the ENOTSOCK of
/// MSG_NOSIGNAL on a pipe, must not show in the caller's errno).
fn from_libc(call: impl FnOnce() -> isize) -> SysResult<usize> {
    // SAFETY: the calling thread's errno.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: as above.
    let saved = unsafe { *errno };
    let r = call();
    if r < 0 {
        // SAFETY: as above; the call has just set it.
        let e = unsafe { errno.replace(saved) };
        Err(Errno(e))
    } else {
        Ok(r as usize)
    }
}

// ---------------------------------------------------------------------------------
// Typed wrappers. Pointers are passed through to the kernel unchanged.
// ---------------------------------------------------------------------------------

use libc::{sockaddr, socklen_t};

pub fn socket(domain: c_int, ty: c_int, proto: c_int) -> SysResult<c_int> {
    // SAFETY: no pointers.
    unsafe { raw(libc::SYS_socket, args!(domain, ty, proto)).map(|v| v as c_int) }
}

/// # Safety
/// `sv` is passed to the kernel, which checks it.
pub unsafe fn socketpair(domain: c_int, ty: c_int, proto: c_int, sv: *mut c_int) -> SysResult<()> {
    // SAFETY: the kernel validates `sv`.
    unsafe { raw(libc::SYS_socketpair, args!(domain, ty, proto, sv)).map(drop) }
}

pub fn listen(fd: c_int, backlog: c_int) -> SysResult<()> {
    // SAFETY: no pointers.
    unsafe { raw(libc::SYS_listen, args!(fd, backlog)).map(drop) }
}

/// accept4(2), as a cancellation point.
///
/// # Safety
/// `addr`/`len` are passed to the kernel, which checks them.
pub unsafe fn accept4(
    fd: c_int,
    addr: *mut sockaddr,
    len: *mut socklen_t,
    flags: c_int,
) -> SysResult<c_int> {
    cancellable(|| {
        // SAFETY: the kernel validates the pointers.
        unsafe { raw(libc::SYS_accept4, args!(fd, addr, len, flags)).map(|v| v as c_int) }
    })
}

/// close(2) outside any cancellation point (for callers that are not one).
pub fn close_now(fd: c_int) -> SysResult<()> {
    // SAFETY: no pointers.
    unsafe { raw(libc::SYS_close, args!(fd)).map(drop) }
}

/// Acts on a pending cancellation request now (pthread_testcancel), in a process that
/// has threads; nothing otherwise.
pub fn testcancel() {
    if !single_threaded() {
        // SAFETY: no arguments; acts only on this thread.
        unsafe { pthread_testcancel() };
    }
}

pub fn close(fd: c_int) -> SysResult<()> {
    cancellable(|| {
        // SAFETY: no pointers.
        unsafe { raw(libc::SYS_close, args!(fd)).map(drop) }
    })
}

pub fn dup(fd: c_int) -> SysResult<c_int> {
    // SAFETY: no pointers.
    unsafe { raw(libc::SYS_dup, args!(fd)).map(|v| v as c_int) }
}

pub fn dup3(old: c_int, new: c_int, flags: c_int) -> SysResult<c_int> {
    // SAFETY: no pointers.
    unsafe { raw(libc::SYS_dup3, args!(old, new, flags)).map(|v| v as c_int) }
}

/// dup2(2) as the kernel defines it: the call where the architecture has it
/// ([`arch::SYS_DUP2`]), elsewhere dup3 plus the same-descriptor rule, as glibc does.
pub fn dup2(old: c_int, new: c_int) -> SysResult<c_int> {
    match arch::SYS_DUP2 {
        // SAFETY: no pointers.
        Some(nr) => unsafe { raw(nr, args!(old, new)).map(|v| v as c_int) },
        None if old == new => fcntl(old, libc::F_GETFD, 0).map(|_| new),
        None => dup3(old, new, 0),
    }
}

/// fcntl(2) with the argument passed as the kernel takes it (an unsigned long).
/// `F_SETLKW` and `F_OFD_SETLKW` wait, so they are cancellation points, as in glibc.
pub fn fcntl(fd: c_int, cmd: c_int, arg: usize) -> SysResult<c_int> {
    #[cfg(target_pointer_width = "64")]
    let nr = libc::SYS_fcntl;
    #[cfg(target_pointer_width = "32")]
    let nr = libc::SYS_fcntl64;
    // SAFETY: pointer arguments of fcntl commands are checked by the kernel.
    let call = || unsafe { raw(nr, args!(fd, cmd, arg)).map(|v| v as c_int) };
    if cmd == libc::F_SETLKW || cmd == libc::F_OFD_SETLKW {
        cancellable(call)
    } else {
        call()
    }
}

/// `getsockopt` into a kernel-checked buffer.
///
/// # Safety
/// `val`/`len` are passed to the kernel, which checks them.
pub unsafe fn getsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    len: *mut socklen_t,
) -> SysResult<c_int> {
    // SAFETY: the kernel validates the pointers.
    unsafe { raw(libc::SYS_getsockopt, args!(fd, level, name, val, len)).map(|v| v as c_int) }
}

/// # Safety
/// `val` is passed to the kernel, which checks it.
pub unsafe fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: socklen_t,
) -> SysResult<c_int> {
    // SAFETY: the kernel validates the pointer.
    unsafe { raw(libc::SYS_setsockopt, args!(fd, level, name, val, len)).map(|v| v as c_int) }
}

/// An integer socket option read into our own buffer.
pub fn getsockopt_int(fd: c_int, level: c_int, name: c_int) -> SysResult<c_int> {
    let mut v: c_int = 0;
    let mut len = core::mem::size_of::<c_int>() as socklen_t;
    // SAFETY: both pointers are to our locals of the sizes given.
    unsafe { getsockopt(fd, level, name, (&raw mut v).cast(), &mut len)? };
    Ok(v)
}

/// The write-type system calls, cancellation points: the bare call while the process is
/// single-threaded, else the C library's own function (see [`LIBC_WRITE`]) or, where
/// there is none to use, the call under [`cancellable`]. The threaded part is out of
/// line, so that the single-threaded one stays a load, a test and the system call.
macro_rules! write_call {
    ($(#[$doc:meta])* $name:ident, $threaded:ident, $nr:expr, $next:expr, $fty:ty,
     ($($a:ident: $t:ty),*)) => {
        $(#[$doc])*
        #[inline(always)]
        pub unsafe fn $name($($a: $t),*) -> SysResult<usize> {
            if single_threaded() {
                // SAFETY: the kernel validates the pointers.
                return unsafe { raw($nr, args!($($a),*)) };
            }
            // SAFETY: forwarded contract.
            unsafe { $threaded($($a),*) }
        }

        #[inline(never)]
        unsafe fn $threaded($($a: $t),*) -> SysResult<usize> {
            match $next.resolved() {
                // SAFETY: the kernel validates the pointers.
                0 => cancellable_threaded(move || unsafe { raw($nr, args!($($a),*)) }),
                // SAFETY: the address dlsym gave for this function, which has this type.
                f => from_libc(|| unsafe { core::mem::transmute::<usize, $fty>(f)($($a),*) }),
            }
        }
    };
}

write_call!(
    /// # Safety
    /// `buf` must be valid for `len` bytes or the kernel answers EFAULT.
    write, write_threaded, libc::SYS_write, LIBC_WRITE, WriteFn,
    (fd: c_int, buf: *const c_void, len: usize)
);
write_call!(
    /// # Safety
    /// `iov` is passed to the kernel, which checks it.
    writev, writev_threaded, libc::SYS_writev, LIBC_WRITEV, WritevFn,
    (fd: c_int, iov: *const libc::iovec, cnt: c_int)
);
write_call!(
    /// # Safety
    /// Pointers are passed to the kernel, which checks them.
    sendto, sendto_threaded, libc::SYS_sendto, LIBC_SENDTO, SendtoFn,
    (fd: c_int, buf: *const c_void, len: usize, flags: c_int, to: *const sockaddr, tolen: socklen_t)
);
write_call!(
    /// # Safety
    /// `msg` is passed to the kernel, which checks it.
    sendmsg, sendmsg_threaded, libc::SYS_sendmsg, LIBC_SENDMSG, SendmsgFn,
    (fd: c_int, msg: *const libc::msghdr, flags: c_int)
);

/// # Safety
/// `offset` is passed to the kernel, which checks it.
pub unsafe fn sendfile(
    out: c_int,
    input: c_int,
    offset: *mut libc::off_t,
    count: usize,
) -> SysResult<usize> {
    // SAFETY: the kernel validates the pointer.
    unsafe { raw(libc::SYS_sendfile, args!(out, input, offset, count)) }
}

/// # Safety
/// The offsets are passed to the kernel, which checks them.
pub unsafe fn splice(
    fd_in: c_int,
    off_in: *mut libc::loff_t,
    fd_out: c_int,
    off_out: *mut libc::loff_t,
    len: usize,
    flags: c_uint,
) -> SysResult<usize> {
    // A cancellation point in glibc (SYSCALL_CANCEL), unlike sendfile.
    cancellable(|| {
        // SAFETY: the kernel validates the pointers.
        unsafe {
            raw(
                libc::SYS_splice,
                args!(fd_in, off_in, fd_out, off_out, len, flags),
            )
        }
    })
}

/// pipe2(2).
///
/// # Safety
/// `fds` is passed to the kernel, which checks it.
pub unsafe fn pipe2(fds: *mut c_int, flags: c_int) -> SysResult<()> {
    // SAFETY: the kernel validates `fds`.
    unsafe { raw(libc::SYS_pipe2, args!(fds, flags)).map(drop) }
}

/// vmsplice(2), a cancellation point as in glibc.
///
/// # Safety
/// `iov` is passed to the kernel, which checks it.
pub unsafe fn vmsplice(
    fd: c_int,
    iov: *const libc::iovec,
    n: usize,
    flags: c_uint,
) -> SysResult<usize> {
    // SAFETY: the kernel validates the vector.
    cancellable(|| unsafe { raw(libc::SYS_vmsplice, args!(fd, iov, n, flags)) })
}

/// tee(2), a cancellation point as in glibc.
pub fn tee(fd_in: c_int, fd_out: c_int, len: usize, flags: c_uint) -> SysResult<usize> {
    // SAFETY: no pointers.
    cancellable(|| unsafe { raw(libc::SYS_tee, args!(fd_in, fd_out, len, flags)) })
}

/// close_range(2).
pub fn close_range(first: c_uint, last: c_uint, flags: c_uint) -> SysResult<()> {
    // SAFETY: no pointers.
    unsafe { raw(libc::SYS_close_range, args!(first, last, flags)).map(drop) }
}

/// The soft RLIMIT_NOFILE (prlimit64 on the calling process).
pub fn nofile_limit() -> u64 {
    let mut lim = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: no new limit; an out-pointer to our local of the kernel's layout.
    match unsafe {
        raw(
            libc::SYS_prlimit64,
            args!(0, libc::RLIMIT_NOFILE, 0usize, &raw mut lim),
        )
    } {
        Ok(_) => lim.rlim_cur,
        Err(_) => 1024,
    }
}

/// fstat(2).
pub fn fstat(fd: c_int) -> SysResult<libc::stat> {
    // SAFETY: stat is plain data; all-zero is valid.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: an out-pointer to our local of the kernel's layout (fstat's struct stat
    // is glibc's on x86_64 and aarch64).
    unsafe { raw(libc::SYS_fstat, args!(fd, &raw mut st))? };
    Ok(st)
}

/// The identity of the open file behind `fd` (device and inode; a socket's inode is
/// its own).
pub fn file_id(fd: c_int) -> SysResult<(u64, u64)> {
    fstat(fd).map(|st| (st.st_dev, st.st_ino))
}

/// The file behind an open descriptor: its identity ([`file_id`]) and whether it is a
/// socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub id: (u64, u64),
    pub socket: bool,
}

pub fn file_info(fd: c_int) -> SysResult<FileInfo> {
    fstat(fd).map(|st| FileInfo {
        id: (st.st_dev, st.st_ino),
        socket: st.st_mode & libc::S_IFMT == libc::S_IFSOCK,
    })
}

/// Do `a` and `b` name the same open file? kcmp(KCMP_FILE) where the kernel has it
/// (CONFIG_KCMP) and no sandbox refuses it; otherwise, for two descriptors already known
/// to be on one inode, the same access mode (which tells a pipe's two ends apart).
pub fn same_open_file(a: c_int, b: c_int) -> bool {
    const KCMP_FILE: c_int = 0;
    let pid = getpid();
    // SAFETY: no pointers.
    match unsafe { raw(libc::SYS_kcmp, args!(pid, pid, KCMP_FILE, a, b)) } {
        Ok(order) => order == 0,
        Err(_) => {
            let mode = |fd| fcntl(fd, libc::F_GETFL, 0).map(|fl| fl & libc::O_ACCMODE);
            matches!((mode(a), mode(b)), (Ok(x), Ok(y)) if x == y)
        }
    }
}

/// The inode of the socket behind `fd`; ENOTSOCK for any other file.
pub fn socket_inode(fd: c_int) -> SysResult<u64> {
    let st = fstat(fd)?;
    if st.st_mode & libc::S_IFMT == libc::S_IFSOCK {
        Ok(st.st_ino)
    } else {
        Err(Errno(libc::ENOTSOCK))
    }
}

/// Copies `len` bytes at `remote` in this process's own memory to `local`, through the
/// kernel (process_vm_readv): an unmapped address is EFAULT, never a fault. Returns the
/// bytes copied, which stop early at the first unreadable page.
///
/// # Safety
/// `local` is valid for writes of `len` bytes.
pub unsafe fn read_own_memory(
    remote: *const c_void,
    local: *mut c_void,
    len: usize,
) -> SysResult<usize> {
    let l = libc::iovec {
        iov_base: local,
        iov_len: len,
    };
    let r = libc::iovec {
        iov_base: remote as *mut c_void,
        iov_len: len,
    };
    // SAFETY: the kernel writes at most `len` bytes at `local` (the caller's contract)
    // and checks `remote`.
    unsafe {
        raw(
            libc::SYS_process_vm_readv,
            args!(getpid(), &raw const l, 1, &raw const r, 1, 0),
        )
    }
}

/// Does the path exist? (newfstatat, for the rare fallback paths.)
pub fn fstatat(path: &core::ffi::CStr) -> SysResult<()> {
    // SAFETY: stat is plain data; all-zero is valid.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: a NUL-terminated path and an out-pointer to our local.
    unsafe {
        raw(
            libc::SYS_newfstatat,
            args!(libc::AT_FDCWD, path.as_ptr(), &raw mut st, 0),
        )
        .map(drop)
    }
}

/// getpid(2).
pub fn getpid() -> c_int {
    // SAFETY: no arguments.
    unsafe { raw(libc::SYS_getpid, args!()) }.map_or(0, |p| p as c_int)
}

/// execve(2).
///
/// # Safety
/// The kernel checks the pointers.
pub unsafe fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> SysResult<()> {
    // SAFETY: forwarded contract.
    unsafe { raw(libc::SYS_execve, args!(path, argv, envp)).map(drop) }
}

/// execveat(2).
///
/// # Safety
/// The kernel checks the pointers.
pub unsafe fn execveat(
    dirfd: c_int,
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
    flags: c_int,
) -> SysResult<()> {
    // SAFETY: forwarded contract.
    unsafe { raw(libc::SYS_execveat, args!(dirfd, path, argv, envp, flags)).map(drop) }
}

/// # Safety
/// `msg` is passed to the kernel, which checks it.
pub unsafe fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> SysResult<usize> {
    // SAFETY: the kernel validates the header and what it points to.
    cancellable(|| unsafe { raw(libc::SYS_recvmsg, args!(fd, msg, flags)) })
}

/// # Safety
/// `msgs` and `timeout` are passed to the kernel, which checks them.
pub unsafe fn recvmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    n: c_uint,
    flags: c_int,
    timeout: *mut libc::timespec,
) -> SysResult<c_int> {
    // SAFETY: the kernel validates the vector and the timeout.
    cancellable(|| unsafe {
        raw(libc::SYS_recvmmsg, args!(fd, msgs, n, flags, timeout)).map(|v| v as c_int)
    })
}

/// # Safety
/// `msgs` is passed to the kernel, which checks it.
pub unsafe fn sendmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    n: c_uint,
    flags: c_int,
) -> SysResult<c_int> {
    // SAFETY: the kernel validates the vector.
    cancellable(|| unsafe {
        raw(libc::SYS_sendmmsg, args!(fd, msgs, n, flags)).map(|v| v as c_int)
    })
}

/// rt_sigprocmask(2) on the kernel's 8-byte set.
///
/// # Safety
/// `set` may be any pointer (the kernel checks it); `old` likewise.
pub unsafe fn sigprocmask(
    how: c_int,
    set: *const KernelSigset,
    old: *mut KernelSigset,
) -> SysResult<()> {
    // SAFETY: the kernel validates the pointers.
    unsafe {
        raw(
            libc::SYS_rt_sigprocmask,
            args!(how, set, old, KERNEL_SIGSET_SIZE),
        )
        .map(drop)
    }
}

/// Sets the thread's mask to `set` and returns the previous one.
pub fn set_mask(set: KernelSigset) -> SysResult<KernelSigset> {
    let mut old: KernelSigset = 0;
    // SAFETY: pointers to our locals of the kernel's size.
    unsafe { sigprocmask(libc::SIG_SETMASK, &set, &mut old)? };
    Ok(old)
}

/// Adds `set` to the thread's mask and returns the previous mask.
pub fn block(set: KernelSigset) -> SysResult<KernelSigset> {
    let mut old: KernelSigset = 0;
    // SAFETY: pointers to our locals of the kernel's size.
    unsafe { sigprocmask(libc::SIG_BLOCK, &set, &mut old)? };
    Ok(old)
}

/// Takes one pending signal of `set` without running its handler (rt_sigtimedwait with a
/// zero timeout): EAGAIN when none is pending.
pub fn take_signal(set: KernelSigset) -> SysResult<c_int> {
    // SAFETY: our set and timeout; no siginfo wanted.
    unsafe {
        raw(
            libc::SYS_rt_sigtimedwait,
            args!(
                &raw const set,
                0usize,
                &raw const ZERO_TIMEOUT,
                KERNEL_SIGSET_SIZE
            ),
        )
        .map(|s| s as c_int)
    }
}

/// Takes one pending signal of `set` as [`take_signal`] does, with its siginfo: the
/// thread's own pending set is emptied before the process's.
pub fn take_signal_info(set: KernelSigset) -> SysResult<libc::siginfo_t> {
    // SAFETY: siginfo_t is plain data; all-zero is valid.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    // SAFETY: our set, siginfo buffer (the kernel writes 128 bytes) and timeout.
    unsafe {
        raw(
            libc::SYS_rt_sigtimedwait,
            args!(
                &raw const set,
                &raw mut info,
                &raw const ZERO_TIMEOUT,
                KERNEL_SIGSET_SIZE
            ),
        )?
    };
    Ok(info)
}

/// Queues `info` (a signal taken with [`take_signal_info`]) back to the calling thread,
/// siginfo unchanged (rt_tgsigqueueinfo: a process may send any siginfo to itself).
pub fn queue_to_self(info: &libc::siginfo_t) -> SysResult<()> {
    // SAFETY: no pointers.
    let tid = unsafe { raw(libc::SYS_gettid, args!()) }?;
    // SAFETY: `info` is a whole siginfo of ours; the kernel reads it.
    unsafe {
        raw(
            libc::SYS_rt_tgsigqueueinfo,
            args!(getpid(), tid, info.si_signo, info as *const libc::siginfo_t),
        )
        .map(drop)
    }
}

/// The signals pending for the thread or the process.
pub fn sigpending() -> SysResult<KernelSigset> {
    let mut set: KernelSigset = 0;
    // SAFETY: a pointer to our local of the kernel's size.
    unsafe {
        raw(
            libc::SYS_rt_sigpending,
            args!(&raw mut set, KERNEL_SIGSET_SIZE),
        )?
    };
    Ok(set)
}

/// Reads an 8-byte signal set from caller memory through the kernel: EFAULT when the
/// memory is unreadable, never a crash. `rt_sigprocmask` with an invalid `how` copies
/// the set in, then rejects the operation before changing anything, so the probe has
/// no effect on the thread. Once the kernel has read the bytes they are known to be
/// mapped and readable, and are read here.
///
/// # Safety
/// `set` is any pointer; a concurrent `munmap` of it by another thread is the caller's
/// own data race.
pub unsafe fn read_user_sigset(set: *const KernelSigset) -> SysResult<KernelSigset> {
    // SAFETY: the kernel checks `set`; `how` = -1 is rejected after the copy-in.
    match unsafe { sigprocmask(-1, set, core::ptr::null_mut()) } {
        Err(Errno(libc::EINVAL)) => {}
        Err(e) => return Err(e),
        Ok(()) => return Err(Errno(libc::EINVAL)), // a kernel that accepted how = -1
    }
    // SAFETY: the kernel has just read these 8 bytes; unaligned reads are allowed.
    Ok(unsafe { set.read_unaligned() })
}

/// Reads a `u32` from caller memory through the kernel (as [`read_user_sigset`]):
/// exactly its four bytes with process_vm_readv; where a sandbox refuses that call,
/// a private futex wait with a zero timeout, which reads an aligned word and compares
/// it, and whatever the comparison, returns at once (EAGAIN or ETIMEDOUT) without
/// sleeping. An unaligned `p` is then checked as the two aligned words it straddles
/// (an aligned word never crosses a page, so those probes cover exactly the pages the
/// bytes are on).
///
/// # Safety
/// As [`read_user_sigset`].
pub unsafe fn read_user_u32(p: *const u32) -> SysResult<u32> {
    let mut v: u32 = 0;
    // SAFETY: `v` is four bytes of ours.
    match unsafe { read_own_memory(p.cast(), (&raw mut v).cast(), 4) } {
        Ok(4) => return Ok(v),
        Ok(_) => return Err(Errno(libc::EFAULT)),
        Err(Errno(libc::EFAULT)) => return Err(Errno(libc::EFAULT)),
        Err(_) => {} // ENOSYS or EPERM (seccomp): the futex probe below
    }
    let first = (p as usize) & !3;
    let last = (p as usize).wrapping_add(3) & !3;
    probe_word(first)?;
    if last != first {
        probe_word(last)?;
    }
    // SAFETY: the kernel has just read the words holding these four bytes.
    Ok(unsafe { p.read_unaligned() })
}

/// One futex probe of the aligned word at `word` (see [`read_user_u32`]).
fn probe_word(word: usize) -> SysResult<()> {
    // SAFETY: the kernel checks the address; FUTEX_WAIT never writes.
    let r = unsafe {
        raw(
            libc::SYS_futex,
            args!(
                word,
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                0u32,
                &raw const ZERO_TIMEOUT
            ),
        )
    };
    match r {
        Ok(_) | Err(Errno(libc::EAGAIN)) | Err(Errno(libc::ETIMEDOUT)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// ppoll(2) with the kernel's 8-byte mask and no timeout: a wait, so a cancellation
/// point.
///
/// # Safety
/// `fds` must be valid for `n` entries; `mask` may be null.
pub unsafe fn ppoll_wait(
    fds: *mut libc::pollfd,
    n: usize,
    mask: *const KernelSigset,
) -> SysResult<usize> {
    cancellable(|| {
        // SAFETY: forwarded contract; the kernel checks the pointers.
        unsafe {
            raw(
                libc::SYS_ppoll,
                args!(fds, n, 0usize, mask, KERNEL_SIGSET_SIZE),
            )
        }
    })
}

/// ppoll(2) with a zero timeout: it never sleeps, so it is no cancellation point (and
/// callers that are not one, such as closefrom, stay so).
///
/// # Safety
/// `fds` must be valid for `n` entries (null when `n` is 0); `mask` may be null.
pub unsafe fn ppoll_now(
    fds: *mut libc::pollfd,
    n: usize,
    mask: *const KernelSigset,
) -> SysResult<usize> {
    // ppoll writes the time left back into its timeout: a writable one, on the stack. (The
    // kernel ignores a failed write-back; qemu-user answers EFAULT for read-only memory.)
    let mut zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: forwarded contract; our timeout; the kernel checks the pointers.
    unsafe {
        raw(
            libc::SYS_ppoll,
            args!(fds, n, &raw mut zero, mask, KERNEL_SIGSET_SIZE),
        )
    }
}

/// The kernel's `struct sigaction` for rt_sigaction(2) (x86_64 and aarch64 layout).
#[repr(C)]
pub struct KernelSigaction {
    pub handler: usize,
    pub flags: u64,
    pub restorer: usize,
    pub mask: KernelSigset,
}

/// The current disposition of `sig` (read only).
pub fn sigaction_of(sig: c_int) -> SysResult<KernelSigaction> {
    let mut act = KernelSigaction {
        handler: 0,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: a null new action and an out-pointer to our local of the kernel's layout.
    unsafe {
        raw(
            libc::SYS_rt_sigaction,
            args!(sig, 0usize, &raw mut act, KERNEL_SIGSET_SIZE),
        )?
    };
    Ok(act)
}

/// Calls `f` with every open descriptor in `first..=last`, in increasing order, found
/// with ppoll (POLLNVAL marks a closed number) 256 at a time: no descriptor of the
/// shim's own, as reading /proc/self/fd would need, and 2 KiB of stack, as a signal
/// handler on a small alternate stack may call it. `f` may close what it is given.
pub fn for_each_open(first: c_uint, last: c_uint, mut f: impl FnMut(c_int)) -> SysResult<()> {
    const BATCH: u32 = 256;
    let last = last.min(i32::MAX as c_uint);
    let mut base = first;
    while base <= last {
        let n = (last - base).min(BATCH - 1) + 1;
        let mut fds = [libc::pollfd {
            fd: -1,
            events: 0,
            revents: 0,
        }; BATCH as usize];
        for (i, p) in fds.iter_mut().take(n as usize).enumerate() {
            p.fd = (base + i as u32) as c_int;
        }
        // SAFETY: `n` pollfds of ours, no mask.
        unsafe { ppoll_now(fds.as_mut_ptr(), n as usize, core::ptr::null()) }?;
        for p in fds.iter().take(n as usize) {
            if p.revents & libc::POLLNVAL == 0 {
                f(p.fd);
            }
        }
        match base.checked_add(n) {
            Some(next) => base = next,
            None => break,
        }
    }
    Ok(())
}

/// An anonymous private mapping of `len` bytes, zero-filled (the descriptor table's
/// storage: async-signal-safe where malloc is not).
pub fn mmap_zeroed(len: usize) -> SysResult<*mut c_void> {
    #[cfg(target_pointer_width = "64")]
    let nr = libc::SYS_mmap;
    #[cfg(target_pointer_width = "32")]
    let nr = libc::SYS_mmap2;
    // SAFETY: an anonymous mapping; no caller memory is involved.
    unsafe {
        raw(
            nr,
            args!(
                0usize,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1 as c_long,
                0usize
            ),
        )
        .map(|p| p as *mut c_void)
    }
}

/// Grows a mapping from [`mmap_zeroed`] to `new_len` bytes, moving it if it must; the
/// added bytes are zero.
///
/// # Safety
/// `p`/`old_len` must be a mapping this module returned and nobody else uses.
pub unsafe fn mremap_grow(
    p: *mut c_void,
    old_len: usize,
    new_len: usize,
) -> SysResult<*mut c_void> {
    // SAFETY: forwarded contract; MREMAP_MAYMOVE leaves the old range unmapped on success
    // and untouched on failure.
    unsafe {
        raw(
            libc::SYS_mremap,
            args!(p, old_len, new_len, libc::MREMAP_MAYMOVE),
        )
        .map(|q| q as *mut c_void)
    }
}

/// # Safety
/// `p`/`len` must be a mapping this module returned and nobody else uses.
pub unsafe fn munmap(p: *mut c_void, len: usize) {
    // SAFETY: forwarded contract.
    let _ = unsafe { raw(libc::SYS_munmap, args!(p, len)) };
}

/// write(2) to stderr for the one-time load diagnostic; errors ignored.
pub fn write_stderr(msg: &[u8]) {
    // SAFETY: a valid buffer of `msg.len()` bytes.
    let _ = unsafe { raw(libc::SYS_write, args!(2, msg.as_ptr(), msg.len())) };
}
