//! The exported C functions: thin adapters that translate arguments, call the module
//! that implements the clause, and map `Result` to the C convention (-1 and `errno` on
//! failure, `errno` untouched on success).
//!
//! Every function here is async-signal-safe (no locks, no allocation, no lazy
//! initialisation), works before the library's constructor ran, never panics, and
//! makes its system calls raw (nothing lands back in the shim).

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

use libc::{sockaddr, socklen_t};

use crate::accept::{self, Call};
use crate::consts::{F_GETNOSIGPIPE, F_SETNOSIGPIPE, SO_NOSIGPIPE, SOCK_NOSIGPIPE};
use crate::exec;
use crate::flags;
use crate::nosigpipe;
use crate::paccept::paccept_masked;
use crate::policy;
use crate::sys::{self, Errno, SysResult};
use crate::table::LISTENER;

/// The C convention: the value on success; -1 with `errno` set on failure.
#[inline(always)]
fn ret<T: From<i8>>(r: SysResult<T>) -> T {
    match r {
        Ok(v) => v,
        Err(Errno(e)) => {
            // SAFETY: the calling thread's errno.
            unsafe { *libc::__errno_location() = e };
            T::from(-1)
        }
    }
}

fn size(r: SysResult<usize>) -> isize {
    ret(r.map(|n| n as isize))
}

fn unit(r: SysResult<()>) -> c_int {
    ret(r.map(|()| 0))
}

/// A raw system call's result that is an int (a descriptor, or 0).
fn fd_ret(r: SysResult<usize>) -> c_int {
    ret(r.map(|v| v as c_int))
}

/// socket(2). SPEC.md "socket": SOCK_CLOEXEC and SOCK_NONBLOCK reach the kernel in the
/// same system call; SOCK_NOSIGPIPE is removed first and recorded on the new
/// descriptor; other bits go to the kernel, which answers EINVAL as Linux does. The
/// descriptor is the kernel's lowest free one (WASIX sock_open).
///
/// While [`untouched`] and without SOCK_NOSIGPIPE, the bare system call (socket is not
/// a cancellation point).
#[unsafe(no_mangle)]
pub extern "C" fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    if untouched() && ty & SOCK_NOSIGPIPE == 0 {
        // SAFETY: no pointers.
        return fd_ret(unsafe { sys::raw(libc::SYS_socket, sys::args!(domain, ty, protocol)) });
    }
    socket_tracked(domain, ty, protocol)
}

#[cold]
#[inline(never)]
fn socket_tracked(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    let t = policy::on_create(flags::socket_type(ty));
    ret(sys::socket(domain, t.kernel, protocol).and_then(|fd| nosigpipe::adopt(fd, t.nosigpipe)))
}

/// socketpair(2). SPEC.md "socketpair": as socket, for both descriptors (and the same
/// shortcut).
///
/// # Safety
/// `sv` is checked by the kernel, and read here only after the kernel wrote it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn socketpair(
    domain: c_int,
    ty: c_int,
    protocol: c_int,
    sv: *mut c_int,
) -> c_int {
    if untouched() && ty & SOCK_NOSIGPIPE == 0 {
        // SAFETY: the kernel checks `sv`.
        return fd_ret(unsafe {
            sys::raw(libc::SYS_socketpair, sys::args!(domain, ty, protocol, sv))
        });
    }
    // SAFETY: forwarded contract.
    unsafe { socketpair_tracked(domain, ty, protocol, sv) }
}

/// # Safety
/// As [`socketpair`].
#[cold]
#[inline(never)]
unsafe fn socketpair_tracked(domain: c_int, ty: c_int, protocol: c_int, sv: *mut c_int) -> c_int {
    let t = policy::on_create(flags::socket_type(ty));
    let r = (|| {
        // SAFETY: the kernel checks `sv`.
        unsafe { sys::socketpair(domain, t.kernel, protocol, sv)? };
        // SAFETY: the kernel has just stored two descriptors at `sv`.
        let (a, b) = unsafe { (sv.read(), sv.add(1).read()) };
        if let Err(e) = nosigpipe::adopt(a, t.nosigpipe) {
            let _ = sys::close(b);
            return Err(e);
        }
        nosigpipe::adopt(b, t.nosigpipe).map(drop).inspect_err(|_| {
            let _ = nosigpipe::close(a);
        })
    })();
    unit(r)
}

/// listen(2). SPEC.md "listen": Linux's behaviour and errors; in the NetBSD
/// personality a negative backlog means 0 (NetBSD solisten), not somaxconn.
#[unsafe(no_mangle)]
pub extern "C" fn listen(s: c_int, backlog: c_int) -> c_int {
    let p = policy::personality();
    let r = sys::listen(s, flags::listen_backlog(backlog, p));
    if r.is_ok() && p == policy::Personality::NetBsd {
        // Remembered so that accept can tell a shut-down listener (best effort).
        let _ = LISTENER.set(s, true);
    }
    unit(r)
}

/// accept(2). NetBSD accept(2): "extracts the first connection request on the queue of
/// pending connections, creates a new socket with the same properties of s". SPEC.md
/// "accept": Linux's behaviour plus no-SIGPIPE inherited from the listener; in the
/// NetBSD personality O_NONBLOCK (atomically), O_ASYNC and the owner are inherited and
/// `*addrlen` is truncated. A cancellation point. While [`untouched`], exactly the
/// plain call ([`plain_call`]): with no policy and no descriptor ever no-SIGPIPE there
/// is nothing to inherit or record.
///
/// # Safety
/// The kernel checks `addr` and `addrlen`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn accept(s: c_int, addr: *mut sockaddr, addrlen: *mut socklen_t) -> c_int {
    // accept(s, addr, addrlen) is accept4(s, addr, addrlen, 0) on Linux, glibc's too.
    // SAFETY: forwarded contract.
    if let Some(r) = unsafe { accept4_plain(s, addr, addrlen, 0) } {
        return r;
    }
    // SAFETY: forwarded contract.
    unsafe { accept_tracked(s, addr, addrlen) }
}

/// # Safety
/// As [`accept`].
#[cold]
#[inline(never)]
unsafe fn accept_tracked(s: c_int, addr: *mut sockaddr, addrlen: *mut socklen_t) -> c_int {
    let split = policy::on_create(flags::accept_flags(0, false));
    // SAFETY: forwarded contract.
    ret(unsafe { accept::accept(s, addr, addrlen, split, Call::Accept) })
}

/// accept4(2). SPEC.md "accept4": SOCK_CLOEXEC/SOCK_NONBLOCK atomically, SOCK_NOSIGPIPE
/// recorded, O_NONBLOCK never inherited, no-SIGPIPE inherited from the listener.
/// Unknown bits: EINVAL (Linux personality); ignored in the NetBSD personality, where
/// "accept4() is equivalent to paccept(s, addr, addrlen, NULL, flags)". While
/// [`untouched`] and without SOCK_NOSIGPIPE, exactly the plain call ([`plain_call`]).
///
/// # Safety
/// The kernel checks `addr` and `addrlen`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn accept4(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    if let Some(r) = unsafe { accept4_plain(s, addr, addrlen, flags) } {
        return r;
    }
    // SAFETY: forwarded contract.
    unsafe { accept4_tracked(s, addr, addrlen, flags) }
}

/// accept4 on the shortcut ([`untouched`], no SOCK_NOSIGPIPE): the plain call, or
/// `None` for the tracked path.
///
/// # Safety
/// The kernel checks `addr` and `addrlen`.
#[inline(always)]
unsafe fn accept4_plain(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    flags: c_int,
) -> Option<c_int> {
    if !untouched() || flags & SOCK_NOSIGPIPE != 0 {
        return None;
    }
    match plain_call(&sys::LIBC_ACCEPT4) {
        // SAFETY: the kernel checks the pointers.
        Plain::Bare => Some(fd_ret(unsafe {
            sys::raw(libc::SYS_accept4, sys::args!(s, addr, addrlen, flags))
        })),
        // SAFETY: the address dlsym gave for "accept4", which has this type.
        Plain::Libc(f) => Some(unsafe {
            core::mem::transmute::<usize, sys::Accept4Fn>(f)(s, addr, addrlen, flags)
        }),
        Plain::No => None,
    }
}

/// # Safety
/// As [`accept4`].
#[cold]
#[inline(never)]
unsafe fn accept4_tracked(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    flags: c_int,
) -> c_int {
    let netbsd = policy::personality() == policy::Personality::NetBsd;
    let split = policy::on_create(flags::accept_flags(flags, netbsd));
    // SAFETY: forwarded contract.
    ret(unsafe { accept::accept(s, addr, addrlen, split, Call::Accept4) })
}

/// paccept(2), NetBSD semantics in every personality. NetBSD accept(2): "If the sigmask
/// argument is not NULL, the thread's signal mask is replaced by sigmask for the
/// duration of the call" (atomically with the wait, SPEC.md paccept clauses 1-10);
/// flags as accept4, with unknown bits ignored. A NULL `sigmask` leaves the mask alone.
/// A cancellation point.
///
/// # Safety
/// The kernel checks `addr`, `addrlen` and `sigmask`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn paccept(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    sigmask: *const libc::sigset_t,
    flags: c_int,
) -> c_int {
    let split = policy::on_create(flags::accept_flags(flags, true));
    ret(if sigmask.is_null() {
        // SAFETY: forwarded contract.
        unsafe { accept::accept(s, addr, addrlen, split, Call::Paccept) }
    } else {
        // SAFETY: forwarded contract.
        unsafe { paccept_masked(s, addr, addrlen, sigmask.cast(), split) }
    })
}

/// write(2). SPEC.md "No-SIGPIPE state": on a no-SIGPIPE socket, EPIPE without SIGPIPE;
/// otherwise the plain system call. A cancellation point.
///
/// # Safety
/// The kernel checks `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, n: usize) -> isize {
    match plain_path(&sys::LIBC_WRITE, fd) {
        Plain::Bare => {
            // SAFETY: the kernel checks `buf`.
            return size(unsafe { sys::raw(libc::SYS_write, sys::args!(fd, buf, n)) });
        }
        Plain::Libc(f) => {
            // SAFETY: the address dlsym gave for "write", which has this type.
            return unsafe { core::mem::transmute::<usize, sys::WriteFn>(f)(fd, buf, n) };
        }
        Plain::No => {}
    }
    // SAFETY: forwarded contract.
    unsafe { write_tracked(fd, buf, n) }
}

/// The write paths' shortcuts, inline; everything else is out of line (see issue 4's
/// instruction counts in bench/).
enum Plain {
    /// No descriptor ever had no-SIGPIPE (nothing to convert) and the process never had
    /// a second thread (nobody to cancel this one): the bare system call.
    Bare,
    /// A multi-threaded process and a descriptor without no-SIGPIPE: the C library's own
    /// function (a tail call), a cancellation point exactly as without the shim, at
    /// its cost ([`sys::LIBC_WRITE`]; glibc only, [`crate::clib::PLAIN_FUNCTIONS`]).
    Libc(usize),
    /// The tracked path.
    No,
}

/// The creation and close paths' shortcut: no policy, the Linux personality, and no
/// descriptor ever had state (so a new descriptor has nothing to record and no stale
/// state to reset, and a closed one nothing to forget). Two loads.
#[inline(always)]
fn untouched() -> bool {
    policy::none() && !crate::table::ever()
}

/// For a call that [`untouched`] lets through: the bare system call while the process
/// is single-threaded (nobody to cancel this thread), the C library's own function otherwise (a
/// cancellation point exactly as without the shim), or the tracked path before the
/// constructor found it.
#[inline(always)]
fn plain_call(next: &sys::Next) -> Plain {
    if sys::single_threaded() {
        return Plain::Bare;
    }
    match next.resolved() {
        0 => Plain::No,
        f => Plain::Libc(f),
    }
}

#[inline(always)]
fn plain_path(next: &sys::Next, fd: c_int) -> Plain {
    let untracked = !crate::table::NOSIGPIPE.any();
    if sys::single_threaded() {
        if untracked {
            return Plain::Bare;
        }
    } else if untracked || !crate::table::NOSIGPIPE.get(fd) {
        let f = next.resolved();
        if f != 0 {
            return Plain::Libc(f);
        }
    }
    Plain::No
}

/// # Safety
/// As [`write`].
#[cold]
#[inline(never)]
unsafe fn write_tracked(fd: c_int, buf: *const c_void, n: usize) -> isize {
    // SAFETY: forwarded contract.
    size(unsafe { nosigpipe::write(fd, buf, n) })
}

/// writev(2); as write. A cancellation point.
///
/// # Safety
/// The kernel checks `iov`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn writev(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> isize {
    match plain_path(&sys::LIBC_WRITEV, fd) {
        Plain::Bare => {
            // SAFETY: the kernel checks `iov`.
            return size(unsafe { sys::raw(libc::SYS_writev, sys::args!(fd, iov, iovcnt)) });
        }
        Plain::Libc(f) => {
            // SAFETY: the address dlsym gave for "writev", which has this type.
            return unsafe { core::mem::transmute::<usize, sys::WritevFn>(f)(fd, iov, iovcnt) };
        }
        Plain::No => {}
    }
    // SAFETY: forwarded contract.
    unsafe { writev_tracked(fd, iov, iovcnt) }
}

/// # Safety
/// As [`writev`].
#[cold]
#[inline(never)]
unsafe fn writev_tracked(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> isize {
    // SAFETY: forwarded contract.
    size(unsafe { nosigpipe::writev(fd, iov, iovcnt) })
}

/// send(2); MSG_NOSIGNAL added on a no-SIGPIPE socket. A cancellation point.
///
/// # Safety
/// The kernel checks `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn send(fd: c_int, buf: *const c_void, n: usize, flags: c_int) -> isize {
    match plain_path(&sys::LIBC_SEND, fd) {
        Plain::Bare => {
            // SAFETY: the kernel checks `buf`.
            return size(unsafe { sys::raw(libc::SYS_sendto, sys::args!(fd, buf, n, flags)) });
        }
        Plain::Libc(f) => {
            // SAFETY: the address dlsym gave for "send", which has this type.
            return unsafe { core::mem::transmute::<usize, sys::SendFn>(f)(fd, buf, n, flags) };
        }
        Plain::No => {}
    }
    // SAFETY: forwarded contract.
    unsafe { send_tracked(fd, buf, n, flags) }
}

/// # Safety
/// As [`send`].
#[cold]
#[inline(never)]
unsafe fn send_tracked(fd: c_int, buf: *const c_void, n: usize, flags: c_int) -> isize {
    // SAFETY: forwarded contract.
    size(unsafe { nosigpipe::sendto(fd, buf, n, flags, core::ptr::null(), 0) })
}

/// sendto(2); as send. A cancellation point.
///
/// # Safety
/// The kernel checks the pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendto(
    fd: c_int,
    buf: *const c_void,
    n: usize,
    flags: c_int,
    to: *const sockaddr,
    tolen: socklen_t,
) -> isize {
    // SAFETY: forwarded contract.
    size(unsafe { nosigpipe::sendto(fd, buf, n, flags, to, tolen) })
}

/// sendmsg(2); as send. A cancellation point.
///
/// # Safety
/// The kernel checks `msg`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> isize {
    // SAFETY: forwarded contract.
    size(unsafe { nosigpipe::sendmsg(fd, msg, flags) })
}

/// sendmmsg(2); as send. A cancellation point.
///
/// # Safety
/// The kernel checks `msgs`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    n: c_uint,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    ret(unsafe { nosigpipe::sendmmsg(fd, msgs, n, flags) })
}

/// recvmsg(2). SPEC.md "No-SIGPIPE state": "A descriptor number reused by a call the
/// shim did not see ... must never keep stale state": descriptors received with
/// SCM_RIGHTS start without it. SPEC.md "Policies": "'Gets' includes sockets received
/// with SCM_RIGHTS": close-on-exec in the same call under the cloexec policy, no-SIGPIPE
/// under the nosigpipe one. A cancellation point.
///
/// # Safety
/// The kernel checks `msg`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> isize {
    // SAFETY: forwarded contract.
    size(unsafe { nosigpipe::recvmsg(fd, msg, flags) })
}

/// recvmmsg(2); as recvmsg. A cancellation point.
///
/// # Safety
/// The kernel checks `msgs` and `timeout`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn recvmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    n: c_uint,
    flags: c_int,
    timeout: *mut libc::timespec,
) -> c_int {
    // SAFETY: forwarded contract.
    ret(unsafe { nosigpipe::recvmmsg(fd, msgs, n, flags, timeout) })
}

/// sendfile(2). SPEC.md "No-SIGPIPE state": into a no-SIGPIPE socket, EPIPE without
/// SIGPIPE (a SIGPIPE pending before the call is never swallowed).
///
/// # Safety
/// The kernel checks `offset`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendfile(
    out: c_int,
    input: c_int,
    offset: *mut libc::off_t,
    count: usize,
) -> isize {
    // SAFETY: forwarded contract.
    size(nosigpipe::without_sigpipe(out, || unsafe {
        sys::sendfile(out, input, offset, count)
    }))
}

/// sendfile64: glibc's name for sendfile under `_FILE_OFFSET_BITS=64`; identical here.
///
/// # Safety
/// The kernel checks `offset`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendfile64(
    out: c_int,
    input: c_int,
    offset: *mut libc::off_t,
    count: usize,
) -> isize {
    // SAFETY: forwarded contract.
    unsafe { sendfile(out, input, offset, count) }
}

/// splice(2); as sendfile, for `fd_out`.
///
/// # Safety
/// The kernel checks the offsets.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn splice(
    fd_in: c_int,
    off_in: *mut libc::loff_t,
    fd_out: c_int,
    off_out: *mut libc::loff_t,
    len: usize,
    flags: c_uint,
) -> isize {
    // SAFETY: forwarded contract.
    size(nosigpipe::without_sigpipe(fd_out, || unsafe {
        sys::splice(fd_in, off_in, fd_out, off_out, len, flags)
    }))
}

/// vmsplice(2); as sendfile, for `fd` (a pipe whose reader left gives EPIPE and, without
/// no-SIGPIPE, SIGPIPE). A cancellation point.
///
/// # Safety
/// The kernel checks `iov`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmsplice(
    fd: c_int,
    iov: *const libc::iovec,
    n: usize,
    flags: c_uint,
) -> isize {
    // SAFETY: forwarded contract.
    size(nosigpipe::without_sigpipe(fd, || unsafe {
        sys::vmsplice(fd, iov, n, flags)
    }))
}

/// tee(2); as sendfile, for `fd_out` (a pipe). A cancellation point.
#[unsafe(no_mangle)]
pub extern "C" fn tee(fd_in: c_int, fd_out: c_int, len: usize, flags: c_uint) -> isize {
    size(nosigpipe::without_sigpipe(fd_out, || {
        sys::tee(fd_in, fd_out, len, flags)
    }))
}

/// pipe2(2). SPEC.md "Any descriptor, as on NetBSD": `O_NOSIGPIPE` makes both ends
/// no-SIGPIPE (NetBSD pipe(2): "O_NOSIGPIPE ... the SIGPIPE signal is not sent"); it is
/// removed before the system call; the other flags go to the kernel.
///
/// # Safety
/// The kernel checks `fds`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pipe2(fds: *mut c_int, flags: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unit(unsafe { nosigpipe::pipe2(fds, flags) })
}

/// dup(2). SPEC.md "No-SIGPIPE state": the copy shares the state.
#[unsafe(no_mangle)]
pub extern "C" fn dup(fd: c_int) -> c_int {
    ret(sys::dup(fd).and_then(|new| nosigpipe::duplicated(fd, new)))
}

/// dup2(2); as dup (the state of whatever `new` was is replaced).
#[unsafe(no_mangle)]
pub extern "C" fn dup2(old: c_int, new: c_int) -> c_int {
    ret(nosigpipe::duplicate_onto(old, new, || sys::dup2(old, new)))
}

/// dup3(2); as dup.
#[unsafe(no_mangle)]
pub extern "C" fn dup3(old: c_int, new: c_int, flags: c_int) -> c_int {
    ret(nosigpipe::duplicate_onto(old, new, || {
        sys::dup3(old, new, flags)
    }))
}

/// close(2). SPEC.md "No-SIGPIPE state": "Cleared by close". A cancellation point.
///
/// While no descriptor ever had state there is nothing to forget: the bare system call
/// in a single-threaded process, glibc's close (the same cancellation point) otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn close(fd: c_int) -> c_int {
    if !crate::table::ever() {
        match plain_call(&sys::LIBC_CLOSE) {
            Plain::Bare => {
                // SAFETY: no pointers.
                return fd_ret(unsafe { sys::raw(libc::SYS_close, sys::args!(fd)) });
            }
            Plain::Libc(f) => {
                // SAFETY: the address dlsym gave for "close", which has this type.
                return unsafe { core::mem::transmute::<usize, sys::CloseFn>(f)(fd) };
            }
            Plain::No => {}
        }
    }
    close_tracked(fd)
}

#[cold]
#[inline(never)]
fn close_tracked(fd: c_int) -> c_int {
    unit(nosigpipe::close(fd))
}

/// close_range(2). SPEC.md "No-SIGPIPE state": "Cleared by close and close_range"
/// (LESSONS.md pitfall 5: glibc closes with this system call, which no close() hook sees).
#[unsafe(no_mangle)]
pub extern "C" fn close_range(first: c_uint, last: c_uint, flags: c_int) -> c_int {
    unit(nosigpipe::close_range(first, last, flags as c_uint))
}

/// closefrom(3) (glibc 2.34): closes every descriptor from `lowfd` up and clears their
/// state. Like glibc's, it returns nothing; a negative `lowfd` means 0.
#[unsafe(no_mangle)]
pub extern "C" fn closefrom(lowfd: c_int) {
    nosigpipe::closefrom(lowfd.max(0) as c_uint)
}

/// fcntl(2). F_DUPFD and F_DUPFD_CLOEXEC copy the no-SIGPIPE state; F_GETNOSIGPIPE and
/// F_SETNOSIGPIPE read and set it on any descriptor (NetBSD fcntl(2), SPEC.md "Any
/// descriptor, as on NetBSD"); F_GETFL shows it as O_NOSIGPIPE and F_SETFL with
/// O_NOSIGPIPE sets it (without it, the NetBSD personality clears it, as NetBSD's F_SETFL
/// does); F_GETOWN is answered through F_GETOWN_EX as glibc does; every other command
/// goes to the kernel untouched.
///
/// fcntl is variadic in C. Its optional argument is one word (int, long or pointer);
/// on the Linux ABIs this library supports (x86_64, aarch64) a variadic word argument
/// travels in the same register as a fixed one, so it is declared fixed here, as the
/// C libraries read it (`va_arg(ap, unsigned long)`), and ignored by commands without one.
#[unsafe(no_mangle)]
pub extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    ret(fcntl_impl(fd, cmd, arg as usize))
}

/// fcntl64: glibc's name for fcntl under `_FILE_OFFSET_BITS=64`; identical here.
#[unsafe(no_mangle)]
pub extern "C" fn fcntl64(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    ret(fcntl_impl(fd, cmd, arg as usize))
}

fn fcntl_impl(fd: c_int, cmd: c_int, arg: usize) -> SysResult<c_int> {
    match cmd {
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => {
            sys::fcntl(fd, cmd, arg).and_then(|new| nosigpipe::duplicated(fd, new))
        }
        F_GETNOSIGPIPE => nosigpipe::get(fd),
        F_SETNOSIGPIPE => nosigpipe::set(fd, arg as c_int != 0).map(|()| 0),
        libc::F_GETFL => nosigpipe::getfl(fd),
        libc::F_SETFL => nosigpipe::setfl(
            fd,
            arg,
            policy::personality() == policy::Personality::NetBsd,
        ),
        libc::F_GETOWN => {
            let mut owner = sys::FOwnerEx { ty: 0, pid: 0 };
            sys::fcntl(fd, sys::F_GETOWN_EX, (&raw mut owner) as usize).map(|_| {
                if owner.ty == sys::F_OWNER_PGRP {
                    -owner.pid
                } else {
                    owner.pid
                }
            })
        }
        _ => sys::fcntl(fd, cmd, arg),
    }
}

/// setsockopt(2). SOL_SOCKET/SO_NOSIGPIPE sets the no-SIGPIPE state (NetBSD
/// setsockopt(2)); everything else goes to the kernel.
///
/// # Safety
/// The kernel checks `val`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: socklen_t,
) -> c_int {
    ret(if level == libc::SOL_SOCKET && name == SO_NOSIGPIPE {
        // SAFETY: forwarded contract.
        unsafe { nosigpipe::setsockopt(fd, val, len) }.map(|()| 0)
    } else {
        // SAFETY: forwarded contract.
        unsafe { sys::setsockopt(fd, level, name, val, len) }
    })
}

/// getsockopt(2). SOL_SOCKET/SO_NOSIGPIPE reads the no-SIGPIPE state as an int 0 or 1;
/// everything else goes to the kernel, whose result is returned as it is (a positive
/// one included, as glibc does).
///
/// # Safety
/// The kernel checks `val` and `len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn getsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    len: *mut socklen_t,
) -> c_int {
    ret(if level == libc::SOL_SOCKET && name == SO_NOSIGPIPE {
        // SAFETY: forwarded contract.
        unsafe { nosigpipe::getsockopt(fd, val, len) }.map(|()| 0)
    } else {
        // SAFETY: forwarded contract.
        unsafe { sys::getsockopt(fd, level, name, val, len) }
    })
}

/// The library version, "MAJOR.MINOR.PATCH" (a static string).
#[unsafe(no_mangle)]
pub extern "C" fn sockshim_version() -> *const c_char {
    const V: &core::ffi::CStr = match core::ffi::CStr::from_bytes_with_nul(
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
    ) {
        Ok(v) => v,
        Err(_) => c"",
    };
    V.as_ptr()
}

/// execve(2). SPEC.md "No-SIGPIPE state": "Across exec it should survive for
/// descriptors that stay open" (the environment carries it, [`crate::exec`]).
///
/// # Safety
/// The kernel checks the pointers; `envp` is NULL or a NULL-terminated vector.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    unit(unsafe { exec::with_state(envp, |e| sys::execve(path, argv, e)) })
}

/// execv(3): execve with the process's environment; the state survives as for execve.
///
/// # Safety
/// As execve.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn execv(path: *const c_char, argv: *const *const c_char) -> c_int {
    // SAFETY: forwarded contract; environ is the process's environment.
    unsafe { execve(path, argv, exec::environment()) }
}

/// execvpe(3): glibc's path search; the state survives as for execve.
///
/// # Safety
/// As execvpe(3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn execvpe(
    file: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    unit(unsafe { exec::execvpe(file, argv, envp, execvpe as *const () as usize) })
}

/// execvp(3): execvpe with the process's environment.
///
/// # Safety
/// As execvp(3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn execvp(file: *const c_char, argv: *const *const c_char) -> c_int {
    // SAFETY: forwarded contract.
    unit(unsafe {
        exec::execvpe(
            file,
            argv,
            exec::environment(),
            execvpe as *const () as usize,
        )
    })
}

/// fexecve(3); the state survives as for execve.
///
/// # Safety
/// As fexecve(3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fexecve(
    fd: c_int,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    // SAFETY: forwarded contract.
    unit(unsafe { exec::fexecve(fd, argv, envp) })
}

/// execveat(2); the state survives as for execve.
///
/// # Safety
/// The kernel checks the pointers; `envp` is NULL or a NULL-terminated vector.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn execveat(
    dirfd: c_int,
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
    flags: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unit(unsafe { exec::with_state(envp, |e| sys::execveat(dirfd, path, argv, e, flags)) })
}

/// posix_spawn(3): glibc's, with the state in the child's environment.
///
/// # Safety
/// As posix_spawn(3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_spawn(
    pid: *mut libc::pid_t,
    path: *const c_char,
    actions: *const libc::posix_spawn_file_actions_t,
    attr: *const libc::posix_spawnattr_t,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    let own = posix_spawn as *const () as usize;
    // SAFETY: forwarded contract.
    unsafe {
        exec::posix_spawn(
            &exec::NEXT_POSIX_SPAWN,
            own,
            pid,
            path,
            actions,
            attr,
            argv,
            envp,
        )
    }
}

/// posix_spawnp(3): glibc's, with the state in the child's environment.
///
/// # Safety
/// As posix_spawnp(3).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_spawnp(
    pid: *mut libc::pid_t,
    file: *const c_char,
    actions: *const libc::posix_spawn_file_actions_t,
    attr: *const libc::posix_spawnattr_t,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    let own = posix_spawnp as *const () as usize;
    // SAFETY: forwarded contract.
    unsafe {
        exec::posix_spawn(
            &exec::NEXT_POSIX_SPAWNP,
            own,
            pid,
            file,
            actions,
            attr,
            argv,
            envp,
        )
    }
}

/// The addresses of this library's own execvpe, posix_spawn and posix_spawnp, so that
/// the constructor never takes them for glibc's.
pub fn own_exec_functions() -> (usize, usize, usize) {
    (
        execvpe as *const () as usize,
        posix_spawn as *const () as usize,
        posix_spawnp as *const () as usize,
    )
}

/// The C library's functions that the plain paths call in a multi-threaded process (write,
/// writev, send, sendto, sendmsg, accept4, close), with this library's own of the same
/// name, for the constructor ([`sys::LIBC_WRITE`]).
pub fn own_plain_functions() -> [(&'static sys::Next, usize); 7] {
    [
        (&sys::LIBC_WRITE, write as *const () as usize),
        (&sys::LIBC_WRITEV, writev as *const () as usize),
        (&sys::LIBC_SEND, send as *const () as usize),
        (&sys::LIBC_SENDTO, sendto as *const () as usize),
        (&sys::LIBC_SENDMSG, sendmsg as *const () as usize),
        (&sys::LIBC_ACCEPT4, accept4 as *const () as usize),
        (&sys::LIBC_CLOSE, close as *const () as usize),
    ]
}

/// The body of the execl family (execl, execle, execlp; SPEC.md "No-SIGPIPE state":
/// "Across exec it should survive for descriptors that stay open", as for execve and
/// execvp), called by the architecture's trampoline
/// (`arch::execl`, ...) with the caller's argument list made one vector.
///
/// # Safety
/// `argv` is the caller's NULL-terminated argument list (execle: then envp).
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
pub(crate) unsafe extern "C" fn execl_list(
    path: *const c_char,
    argv: *const *const c_char,
    kind: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unit(unsafe { exec::execl_list(path, argv, kind, execvpe as *const () as usize) })
}

/// The `sockshim_*` entry points (SPEC.md "Linked use": "a call compiled with sockshim's
/// header reaches sockshim's implementation ... whatever else comes first in the lookup
/// scope"). `include/sockshim/bind.h` redirects calls compiled against the header to these
/// names, which no other library defines, so they bind here whatever the link order.
/// Each is an alias of the export of the same name: the same address, the same code.
/// (build.rs exports them: rustc's version script would make them local.)
macro_rules! entry_points {
    ($list:ident: $($name:literal),* $(,)?) => {
        core::arch::global_asm!($(
            concat!(".globl sockshim_", $name),
            concat!(".type sockshim_", $name, ", %function"),
            concat!(".set sockshim_", $name, ", ", $name),
        )*);
        /// The names of the `sockshim_*` entry points defined here (without the prefix).
        pub const $list: &[&str] = &[$($name),*];
    };
}

entry_points!(ENTRY_POINTS:
    "socket", "socketpair", "listen", "accept", "accept4", "write", "writev", "send",
    "sendto", "sendmsg", "sendmmsg", "recvmsg", "recvmmsg", "sendfile", "sendfile64",
    "splice", "vmsplice", "tee", "pipe2", "dup", "dup2", "dup3", "close", "close_range",
    "closefrom", "fcntl", "fcntl64", "setsockopt", "getsockopt", "execve", "execv",
    "execvpe", "execvp", "fexecve", "execveat", "posix_spawn", "posix_spawnp",
);

pub use crate::arch::ARCH_ENTRY_POINTS;
pub(crate) use entry_points;
