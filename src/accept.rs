//! accept(2), accept4(2) and the accepting step of paccept(2): one system call with the
//! descriptor flags the kernel applies atomically, then the shim's own state.
//!
//! What the new socket gets (SPEC.md "accept", "accept4", NetBSD-NOTES.md section 3):
//!
//! | attribute        | accept()                         | accept4() / paccept()         |
//! |------------------|----------------------------------|-------------------------------|
//! | FD_CLOEXEC       | never                            | iff SOCK_CLOEXEC              |
//! | O_NONBLOCK       | inheriting: listener's           | iff SOCK_NONBLOCK             |
//! | O_ASYNC + owner  | inheriting: listener's           | inheriting: listener's        |
//! | no-SIGPIPE       | listener's                       | listener's OR SOCK_NOSIGPIPE  |
//!
//! "Inheriting" is the NetBSD personality or the `SOCKSHIM_ACCEPT_INHERIT=1` policy.
//! Under `SOCKSHIM_CLOEXEC=1` every accepted socket has FD_CLOEXEC, and under
//! `SOCKSHIM_NOSIGPIPE=1` no-SIGPIPE (the exports fold the policies into the flags).
//!
//! O_NONBLOCK goes to the kernel as SOCK_NONBLOCK in the same accept4 call (never a
//! later F_SETFL: LESSONS.md pitfall 3); O_ASYNC and the owner can only be copied after
//! the call, which is harmless (no other thread knows the descriptor yet).

use core::ffi::c_int;

use libc::{sockaddr, socklen_t};

use crate::flags::{self, Split};
use crate::policy::{self, Personality};
use crate::sys::{self, Errno, SysResult};
use crate::table::{LISTENER, NOSIGPIPE};

/// Which call is accepting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// accept(): the only one that inherits O_NONBLOCK (NetBSD personality).
    Accept,
    Accept4,
    /// paccept(): NetBSD semantics in every personality, so SO_RCVTIMEO on a blocking
    /// listener is ignored as NetBSD's do_sys_accept ignores it.
    Paccept,
}

/// Accepts one connection on `s`.
///
/// # Safety
/// `addr`/`addrlen` are the caller's; they are handed to the kernel (which checks
/// them) and read or written here only after the kernel has accessed them.
pub unsafe fn accept(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    split: Split,
    call: Call,
) -> SysResult<c_int> {
    if policy::personality() == Personality::NetBsd {
        // SAFETY: forwarded contract.
        return unsafe { accept_netbsd(s, addr, addrlen, split, call) };
    }
    if policy::accept_inherits() {
        // SAFETY: forwarded contract.
        return unsafe { accept_inheriting(s, addr, addrlen, split, call) };
    }
    loop {
        // SAFETY: the kernel checks the caller's pointers.
        match unsafe { sys::accept4(s, addr, addrlen, split.kernel) } {
            Err(Errno(libc::EAGAIN)) if call == Call::Paccept && blocking(s) => continue,
            r => return adopt(s, r?, split),
        }
    }
}

/// `SOCKSHIM_ACCEPT_INHERIT=1` in the Linux personality: Linux's accept with BSD's
/// inheritance (the table above), nothing else of the NetBSD personality.
///
/// # Safety
/// As [`accept`].
unsafe fn accept_inheriting(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    split: Split,
    call: Call,
) -> SysResult<c_int> {
    // The listener's file flags (an EBADF here is accept's own).
    let lflags = sys::fcntl(s, libc::F_GETFL, 0)?;
    let listener_nonblocking = lflags & libc::O_NONBLOCK != 0;
    let kflags = split.kernel | nonblock_inherited(call, listener_nonblocking);
    let fd = loop {
        // SAFETY: the kernel checks the caller's pointers.
        match unsafe { sys::accept4(s, addr, addrlen, kflags) } {
            Err(Errno(libc::EAGAIN)) if call == Call::Paccept && !listener_nonblocking => continue,
            r => break r?,
        }
    };
    let fd = adopt(s, fd, split)?;
    inherit_owner(s, fd, lflags & libc::O_ASYNC != 0);
    Ok(fd)
}

/// accept() inherits the listener's O_NONBLOCK, as SOCK_NONBLOCK in the same system
/// call; accept4() and paccept() take it from their flags only.
const fn nonblock_inherited(call: Call, listener_nonblocking: bool) -> c_int {
    if matches!(call, Call::Accept) && listener_nonblocking {
        libc::SOCK_NONBLOCK
    } else {
        0
    }
}

/// Is `s` a blocking descriptor? (An EAGAIN from accept4 on one means SO_RCVTIMEO ran out.)
fn blocking(s: c_int) -> bool {
    sys::fcntl(s, libc::F_GETFL, 0).is_ok_and(|fl| fl & libc::O_NONBLOCK == 0)
}

/// Records the new socket's no-SIGPIPE state: the listener's, or added by the flag.
fn adopt(listener: c_int, fd: c_int, split: Split) -> SysResult<c_int> {
    crate::nosigpipe::adopt(fd, split.nosigpipe || NOSIGPIPE.get(listener))
}

/// The NetBSD personality: BSD inheritance, NetBSD's `*addrlen` rules, and the
/// outcomes NetBSD's do_sys_accept gives where Linux differs (NetBSD-NOTES.md 8.3):
/// - a TCP connection reset while it waited in the queue: ECONNABORTED, consumed;
/// - SO_RCVTIMEO on a blocking listener: ignored (NetBSD's accept sleeps with no
///   timeout), so an EAGAIN from the timeout goes back to waiting;
/// - shutdown(listener, SHUT_RD) with an empty queue: ECONNABORTED, not EINVAL.
///
/// # Safety
/// As [`accept`].
unsafe fn accept_netbsd(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    split: Split,
    call: Call,
) -> SysResult<c_int> {
    loop {
        // The listener's file flags (an EBADF here is accept's own).
        let lflags = sys::fcntl(s, libc::F_GETFL, 0)?;
        let listener_nonblocking = lflags & libc::O_NONBLOCK != 0;
        let kflags = split.kernel | nonblock_inherited(call, listener_nonblocking);
        let r = if addr.is_null() {
            // SAFETY: the kernel checks the pointers (addrlen is not read when addr is null).
            unsafe { sys::accept4(s, addr, addrlen, kflags) }
        } else {
            // SAFETY: forwarded contract.
            unsafe { accept_netbsd_addrlen(s, addr, addrlen, kflags) }
        };
        let fd = match r {
            Err(Errno(libc::EAGAIN)) if !listener_nonblocking => continue,
            // Linux answers a shut-down listener (shutdown(SHUT_RD) disconnects it)
            // exactly as a socket that never listened; only listen() tells them apart.
            Err(Errno(libc::EINVAL)) if LISTENER.get(s) => return Err(Errno(libc::ECONNABORTED)),
            r => r?,
        };
        if reset_tcp(fd) {
            let _ = sys::close(fd);
            return Err(Errno(libc::ECONNABORTED));
        }
        let fd = adopt(s, fd, split)?;
        inherit_owner(s, fd, lflags & libc::O_ASYNC != 0);
        return Ok(fd);
    }
}

/// The events pending on `fd` right now (0 on any error).
fn poll_now(fd: c_int, events: i16) -> i16 {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one pollfd of ours, no mask.
    match unsafe { sys::ppoll_now(&mut pfd, 1, core::ptr::null()) } {
        Ok(_) => pfd.revents,
        Err(_) => 0,
    }
}

/// Was this freshly accepted socket a TCP connection that was reset (or otherwise
/// failed) while queued? poll reports that as POLLERR/POLLHUP without consuming the
/// socket error; a peer's orderly close (FIN) is neither.
fn reset_tcp(fd: c_int) -> bool {
    poll_now(fd, 0) & (libc::POLLERR | libc::POLLHUP) != 0
        && sys::getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL) == Ok(libc::IPPROTO_TCP)
}

/// NetBSD's copyout_sockname: `*addrlen` ends as min(supplied, actual), and a
/// "negative" supplied length is a huge unsigned one rather than EINVAL.
///
/// # Safety
/// As [`accept`]; `addr` is non-null.
unsafe fn accept_netbsd_addrlen(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    kflags: c_int,
) -> SysResult<c_int> {
    // SAFETY: the kernel reads the word (EFAULT or misalignment give an error).
    let supplied = match unsafe { sys::read_user_u32(addrlen.cast()) } {
        Ok(v) => v,
        // Unreadable: let the kernel report it exactly as NetBSD and Linux do (EFAULT
        // after the connection was dequeued).
        // SAFETY: the kernel checks the pointers.
        Err(_) => return unsafe { sys::accept4(s, addr, addrlen, kflags) },
    };
    let mut klen = flags::netbsd_kernel_addrlen(supplied);
    let lenp: *mut socklen_t = if klen == supplied { addrlen } else { &mut klen };
    // SAFETY: the kernel checks `addr`; `lenp` is the caller's word or our local.
    let fd = unsafe { sys::accept4(s, addr, lenp, kflags)? };
    // SAFETY: the kernel has just written the actual length through `lenp`.
    let actual = unsafe { lenp.read() };
    if lenp != addrlen {
        // The kernel wrote our local; prove the caller's word writable through the
        // kernel before storing to it (getcpu stores an unsigned int there).
        // SAFETY: the kernel checks the pointer.
        if let Err(e) = unsafe { sys::raw(libc::SYS_getcpu, sys::args!(addrlen, 0usize, 0usize)) } {
            let _ = sys::close(fd);
            return Err(e);
        }
    }
    // SAFETY: the kernel has just read and written this word.
    unsafe { addrlen.write(flags::netbsd_addrlen(supplied, actual)) };
    Ok(fd)
}

/// Copies the listener's SIGIO/SIGURG owner (NetBSD's sonewconn copies so_pgid
/// whether or not O_ASYNC is set), then O_ASYNC when the listener has it: owner first,
/// so no SIGIO goes to the wrong process. Best effort: both calls succeed on any socket
/// the kernel just created.
fn inherit_owner(listener: c_int, fd: c_int, with_async: bool) {
    let mut owner = sys::FOwnerEx { ty: 0, pid: 0 };
    if sys::fcntl(listener, sys::F_GETOWN_EX, (&raw mut owner) as usize).is_ok() && owner.pid != 0 {
        let _ = sys::fcntl(fd, sys::F_SETOWN_EX, (&raw const owner) as usize);
    }
    if with_async && let Ok(fl) = sys::fcntl(fd, libc::F_GETFL, 0) {
        let _ = sys::fcntl(fd, libc::F_SETFL, (fl | libc::O_ASYNC) as usize);
    }
}

/// Errors that paccept reports without touching the signal mask (NetBSD reports
/// them before sigsuspendsetup: SPEC.md paccept clause 2).
pub fn fails_before_mask(r: &SysResult<c_int>) -> bool {
    matches!(
        r,
        Err(Errno(
            libc::EBADF | libc::ENOTSOCK | libc::EMFILE | libc::ENFILE
        ))
    )
}
