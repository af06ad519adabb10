//! No-SIGPIPE: the write paths and the descriptor bookkeeping (SPEC.md "No-SIGPIPE
//! state").
//!
//! NetBSD keeps FNOSIGPIPE on the open file and checks it in the generic write path and
//! in sendmsg. Linux has only the per-call MSG_NOSIGNAL, so on a no-SIGPIPE descriptor:
//!
//! - `send`, `sendto`, `sendmsg`, `sendmmsg` get MSG_NOSIGNAL added;
//! - `write` becomes `sendto(fd, buf, n, MSG_NOSIGNAL, NULL, 0)` and `writev` becomes
//!   `sendmsg` with the same vector: on a socket these are what the kernel's
//!   sock_write_iter does, minus the signal;
//! - every other descriptor takes the plain system call, with nothing added (LESSONS.md
//!   pitfall 4: converting only no-SIGPIPE descriptors keeps plain writes at full speed).
//!
//! These block no signal and take none, so a SIGPIPE that was already pending is never
//! swallowed. The calls that have no MSG_NOSIGNAL (`sendfile`, `splice`, `vmsplice`,
//! `tee`, and every write to a no-SIGPIPE descriptor that is not a socket: a pipe, a
//! FIFO, SPEC.md "Any descriptor, as on NetBSD") run as described at
//! [`without_sigpipe`]. A bit left behind by a close the shim did not see cannot break a
//! non-socket that reuses the number: the converted call fails with ENOTSOCK, the bit
//! is dropped and the plain call is made; a non-socket's state carries its file's
//! identity ([`FILES`]), checked when a write fails with EPIPE (LESSONS.md pitfall 6).

use core::ffi::{c_int, c_uint, c_void};
use core::sync::atomic::{AtomicI32, AtomicU8, Ordering, fence};

use libc::{sockaddr, socklen_t};

use crate::flags;
use crate::process;
use crate::sys::{self, Errno, SysResult};
use crate::table::{ALIASED, FILES, LISTENER, NOSIGPIPE, OPEN_FILE};

/// The send flags for `fd`: MSG_NOSIGNAL added when it is no-SIGPIPE.
#[inline(always)]
fn send_flags(fd: c_int, flags: c_int) -> c_int {
    if NOSIGPIPE.get(fd) {
        flags | libc::MSG_NOSIGNAL
    } else {
        flags
    }
}

/// The outcome of a converted call on a descriptor marked no-SIGPIPE; `None` means it
/// is not a socket (any more): the bit was stale, so it is dropped and the caller makes
/// the plain call.
#[inline(always)]
fn unless_stale<T>(fd: c_int, r: SysResult<T>) -> Option<SysResult<T>> {
    if let Err(Errno(libc::ENOTSOCK)) = r {
        NOSIGPIPE.clear(fd);
        return None;
    }
    Some(r)
}

/// write(2); the conversion is out of line so that the plain path stays a load, a test
/// and the system call.
///
/// # Safety
/// The kernel checks `buf`.
#[inline(always)]
pub unsafe fn write(fd: c_int, buf: *const c_void, n: usize) -> SysResult<usize> {
    if NOSIGPIPE.get(fd) {
        // SAFETY: forwarded contract.
        if let Some(r) = unsafe { write_nosigpipe(fd, buf, n) } {
            return r;
        }
    }
    // SAFETY: the kernel checks `buf`.
    unsafe { sys::write(fd, buf, n) }
}

/// Lengths up to which `write` and `sendto` agree: both clamp to MAX_RW_COUNT
/// (`INT_MAX & PAGE_MASK`, page sizes up to 64 KiB here), but write first rejects a
/// range the process cannot address (EFAULT) where sendto clamps the length before
/// looking. Beyond it the plain write is made, under [`without_sigpipe`].
const SENDTO_AGREES: usize = (i32::MAX as usize) & !0xffff;

#[cold]
#[inline(never)]
unsafe fn write_nosigpipe(fd: c_int, buf: *const c_void, n: usize) -> Option<SysResult<usize>> {
    if FILES.get(fd).is_some() || n > SENDTO_AGREES {
        // SAFETY: the kernel checks `buf`.
        return Some(without_sigpipe(fd, || unsafe { sys::write(fd, buf, n) }));
    }
    // SAFETY: the kernel checks `buf`.
    unless_stale(fd, unsafe {
        sys::sendto(fd, buf, n, libc::MSG_NOSIGNAL, core::ptr::null(), 0)
    })
}

/// writev(2); as write.
///
/// # Safety
/// The kernel checks `iov`.
#[inline(always)]
pub unsafe fn writev(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> SysResult<usize> {
    if NOSIGPIPE.get(fd) {
        // SAFETY: forwarded contract.
        if let Some(r) = unsafe { writev_nosigpipe(fd, iov, cnt) } {
            return r;
        }
    }
    // SAFETY: the kernel checks `iov`.
    unsafe { sys::writev(fd, iov, cnt) }
}

#[cold]
#[inline(never)]
unsafe fn writev_nosigpipe(
    fd: c_int,
    iov: *const libc::iovec,
    cnt: c_int,
) -> Option<SysResult<usize>> {
    if FILES.get(fd).is_some() {
        // SAFETY: the kernel checks the vector.
        return Some(without_sigpipe(fd, || unsafe { sys::writev(fd, iov, cnt) }));
    }
    // A count writev rejects (EINVAL) must not become sendmsg's EMSGSIZE, and an empty
    // vector never reaches the socket (vfs_writev returns 0 first): plain call.
    if !(1..=libc::UIO_MAXIOV).contains(&cnt) {
        return None;
    }
    // SAFETY: msghdr is plain data; all-zero is a valid empty header.
    let mut msg: libc::msghdr = unsafe { core::mem::zeroed() };
    msg.msg_iov = iov.cast_mut();
    msg.msg_iovlen = cnt as _;
    // SAFETY: the kernel checks the vector.
    let r = unsafe { sys::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) };
    // writev of buffers that are all empty returns 0 before reaching the socket, so a
    // broken stream does not answer it EPIPE. sendmsg has read (and so checked) the
    // vector by the time it answers EPIPE, so its lengths can be summed here.
    if let Err(Errno(libc::EPIPE)) = r {
        // SAFETY: the kernel has just read `cnt` iovecs at `iov`.
        let vector = unsafe { core::slice::from_raw_parts(iov, cnt as usize) };
        if vector.iter().all(|v| v.iov_len == 0) {
            return Some(Ok(0));
        }
    }
    unless_stale(fd, r)
}

/// # Safety
/// The kernel checks the pointers.
#[inline(always)]
pub unsafe fn sendto(
    fd: c_int,
    buf: *const c_void,
    n: usize,
    flags: c_int,
    to: *const sockaddr,
    tolen: socklen_t,
) -> SysResult<usize> {
    // SAFETY: the kernel checks the pointers.
    unsafe { sys::sendto(fd, buf, n, send_flags(fd, flags), to, tolen) }
}

/// # Safety
/// The kernel checks `msg`.
#[inline(always)]
pub unsafe fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> SysResult<usize> {
    // SAFETY: the kernel checks `msg`.
    unsafe { sys::sendmsg(fd, msg, send_flags(fd, flags)) }
}

/// # Safety
/// The kernel checks `msgs`.
#[inline(always)]
pub unsafe fn sendmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    n: c_uint,
    flags: c_int,
) -> SysResult<c_int> {
    // SAFETY: the kernel checks `msgs`.
    unsafe { sys::sendmmsg(fd, msgs, n, send_flags(fd, flags)) }
}

/// recvmsg(2): descriptors received with SCM_RIGHTS are new to this process, so any
/// state left at their numbers by a close the shim did not see (glibc's fclose of a
/// fdopen'ed socket, a raw close) is dropped (LESSONS.md pitfall 6). They arrive
/// without no-SIGPIPE, as the sender's state does not travel, except that the policies
/// apply to received sockets as to created ones (SPEC.md "Policies"): under
/// `SOCKSHIM_CLOEXEC` the kernel makes them close-on-exec in the same call
/// (MSG_CMSG_CLOEXEC, which the kernel echoes in `msg_flags`: taken out again when
/// only the policy added it), under `SOCKSHIM_NOSIGPIPE` they are no-SIGPIPE.
///
/// # Safety
/// The kernel checks `msg`; it is read here only after the kernel filled it in.
pub unsafe fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> SysResult<usize> {
    let policy = crate::policy::on_receive(flags);
    // SAFETY: forwarded contract.
    let n = unsafe { sys::recvmsg(fd, msg, policy.flags)? };
    // SAFETY: the kernel has just read and written the header.
    unsafe { received(msg, policy) };
    Ok(n)
}

/// recvmmsg(2): as recvmsg, for each message received.
///
/// # Safety
/// The kernel checks `msgs` and `timeout`; the first `r` headers are read here after
/// the kernel filled them in.
pub unsafe fn recvmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    n: c_uint,
    flags: c_int,
    timeout: *mut libc::timespec,
) -> SysResult<c_int> {
    let policy = crate::policy::on_receive(flags);
    // SAFETY: forwarded contract.
    let r = unsafe { sys::recvmmsg(fd, msgs, n, policy.flags, timeout)? };
    for i in 0..r as usize {
        // SAFETY: the kernel filled in the first `r` entries of the caller's vector.
        unsafe { received(&raw mut (*msgs.add(i)).msg_hdr, policy) };
    }
    Ok(r)
}

/// The descriptors an SCM_RIGHTS message in `msg` carried: each one's stale state is
/// reset, and the policies applied ([`recvmsg`]). A non-socket keeps what the caller
/// asked for: when only the policy made it close-on-exec, the flag is cleared again
/// (for an instant it was close-on-exec: an exec in another thread then would not pass
/// it on). Costs one load while no descriptor has state and no policy is set.
///
/// # Safety
/// `msg` is a header the kernel has just filled in.
unsafe fn received(msg: *mut libc::msghdr, policy: crate::policy::Receive) {
    let adjust = policy.cloexec_added || policy.nosigpipe;
    if !adjust && !crate::table::ever() {
        return;
    }
    if policy.cloexec_added {
        // SAFETY: the header the kernel has just written.
        unsafe { (*msg).msg_flags &= !libc::MSG_CMSG_CLOEXEC };
    }
    let each = |fd: c_int| {
        forget(fd);
        if adjust && let Ok(f) = sys::file_info(fd) {
            if f.socket && policy.nosigpipe {
                let _ = NOSIGPIPE.set(fd, true);
            } else if !f.socket && policy.cloexec_added {
                let _ = sys::fcntl(fd, libc::F_SETFD, 0);
            }
        }
    };
    // SAFETY: the kernel wrote msg_controllen bytes of control messages at msg_control;
    // the CMSG macros stay inside them.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c).cast::<c_int>();
                let len = (*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                for k in 0..len / core::mem::size_of::<c_int>() {
                    each(data.add(k).read_unaligned());
                }
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
}

/// Records the state of a socket the shim just created (socket, socketpair, accept*):
/// every table is written, so state left by a close the shim did not see is reset. On
/// failure (no memory for the table) the descriptor is closed again so nothing leaks.
pub fn adopt(fd: c_int, on: bool) -> SysResult<c_int> {
    ALIASED.clear(fd);
    LISTENER.clear(fd);
    FILES.clear(fd);
    match NOSIGPIPE.set(fd, on) {
        Ok(()) => Ok(fd),
        Err(e) => {
            let _ = sys::close(fd);
            Err(e)
        }
    }
}

/// dup and friends: `new` is a copy of `old`, and so is its state. Both are remembered
/// as possibly sharing an open file ([`may_share`]), *before* the state is copied: a
/// concurrent F_SETNOSIGPIPE on `old` ([`set`]) then either sees the alias and
/// propagates to `new`, or changed `old` early enough for the copy below to read it
/// (both sides fence; the copy re-reads `old` until it is stable, so a late change is
/// never overwritten).
#[inline]
pub fn duplicated(old: c_int, new: c_int) -> SysResult<c_int> {
    if old == new {
        return Ok(new);
    }
    if let Err(e) = may_share(old, new) {
        let _ = close(new);
        return Err(e);
    }
    fence(Ordering::SeqCst);
    // No descriptor has state anywhere, so there is nothing to copy: a `set` on `old`
    // that this does not see yet comes after the fence and sees the alias instead.
    // (LISTENER, kept in the NetBSD personality, is not part of that race.)
    if !crate::table::ever() {
        return Ok(new);
    }
    copy_state(old, new)
}

#[cold]
#[inline(never)]
fn copy_state(old: c_int, new: c_int) -> SysResult<c_int> {
    match LISTENER
        .copy(old, new)
        .and_then(|()| copy_settled(old, new))
    {
        Ok(()) => Ok(new),
        Err(e) => {
            let _ = close(new);
            Err(e)
        }
    }
}

/// Copies `old`'s no-SIGPIPE state to `new` until `old` no longer changes under it.
fn copy_settled(old: c_int, new: c_int) -> SysResult<()> {
    for _ in 0..64 {
        let v = NOSIGPIPE.get(old);
        FILES.copy(old, new)?;
        NOSIGPIPE.set(new, v)?;
        fence(Ordering::SeqCst);
        if NOSIGPIPE.get(old) == v {
            break;
        }
    }
    Ok(())
}

/// dup2/dup3: `call` makes `new` a copy of `old`. Another thread may be writing to
/// `new` while it changes; so that a no-SIGPIPE socket never raises SIGPIPE there, the
/// bit is set before the switch when `old` has it and cleared only after (a plain
/// socket passing through the window at worst loses a SIGPIPE, never gains one). A
/// failed call leaves `new` as it was.
pub fn duplicate_onto(
    old: c_int,
    new: c_int,
    call: impl FnOnce() -> SysResult<c_int>,
) -> SysResult<c_int> {
    if !crate::table::ever() {
        // No state anywhere: nothing to set before the switch or restore after it.
        return call().and_then(|n| duplicated(old, n));
    }
    let had = (NOSIGPIPE.get(new), FILES.get(new));
    if old != new && NOSIGPIPE.get(old) {
        FILES.copy(old, new)?;
        NOSIGPIPE.set(new, true)?;
    }
    match call() {
        Ok(n) => duplicated(old, n),
        Err(e) => {
            if !had.0 {
                NOSIGPIPE.clear(new);
            }
            match had.1 {
                Some(id) => FILES.set(new, id)?,
                None => FILES.clear(new),
            }
            Err(e)
        }
    }
}

/// close: the state goes first, so a concurrent socket() that receives the number
/// cannot have its fresh state cleared afterwards. A cancellation already pending acts
/// before anything is forgotten (as glibc's close acts before the system call), so a
/// cancelled close leaves the descriptor open with its state.
pub fn close(fd: c_int) -> SysResult<()> {
    sys::testcancel();
    forget(fd);
    sys::close(fd)
}

fn forget(fd: c_int) {
    NOSIGPIPE.clear(fd);
    FILES.clear(fd);
    ALIASED.clear(fd);
    LISTENER.clear(fd);
}

/// close_range(2): as for close, the state of the range goes first (the kernel may hand
/// the numbers out again before the call returns), once the arguments are ones the
/// kernel accepts. With CLOSE_RANGE_CLOEXEC nothing is closed, so nothing is forgotten.
/// A call that fails after that (ENOSYS before Linux 5.9, ENOMEM with
/// CLOSE_RANGE_UNSHARE) has forgotten the state of descriptors it left open.
pub fn close_range(first: c_uint, last: c_uint, flags: c_uint) -> SysResult<()> {
    let known = libc::CLOSE_RANGE_CLOEXEC | libc::CLOSE_RANGE_UNSHARE;
    if first <= last && flags & !known == 0 && flags & libc::CLOSE_RANGE_CLOEXEC == 0 {
        for t in [&NOSIGPIPE, &ALIASED, &LISTENER] {
            t.clear_range(first, last);
        }
        FILES.clear_range(first, last);
    }
    sys::close_range(first, last, flags)
}

/// closefrom(3): close_range(lowfd, ~0U, 0), or where the kernel lacks it (before 5.9,
/// or a seccomp filter), every open descriptor from `lowfd` up to RLIMIT_NOFILE
/// ([`sys::for_each_open`]). glibc falls back to reading /proc/self/fd, which would
/// need a descriptor of the shim's own.
pub fn closefrom(lowfd: c_uint) {
    if close_range(lowfd, c_uint::MAX, 0).is_ok() {
        return;
    }
    let limit = sys::nofile_limit().min(i32::MAX as u64) as c_uint;
    if lowfd < limit {
        // closefrom is no cancellation point in glibc: plain closes.
        let _ = sys::for_each_open(lowfd, limit - 1, |fd| {
            forget(fd);
            let _ = sys::close_now(fd);
        });
    }
}

/// The write calls that cannot carry MSG_NOSIGNAL (`sendfile`, `splice`, `vmsplice`,
/// `tee`, and `write`/`writev` on a no-SIGPIPE descriptor that is not a socket) run with
/// SIGPIPE blocked, and the SIGPIPE they raise (the kernel sends it to the calling
/// thread with the EPIPE) is taken back before the mask is restored.
///
/// A SIGPIPE already pending before the call is the caller's and is delivered exactly
/// once, as without the call (SPEC.md "No-SIGPIPE state"). Standard signals do not
/// queue: the call's own SIGPIPE would merge into one pending for the thread, and would
/// be a second one beside one pending for the process. So the earlier one is taken
/// aside first (the thread's own pending set is emptied before the process's), the one
/// taken back after the call is then always the call's own, and the earlier one is
/// queued back to this thread with its siginfo unchanged. That costs two more system
/// calls, only when a SIGPIPE was pending.
///
/// When the number no longer names the descriptor that asked for no-SIGPIPE (a close
/// the shim did not see, [`still_flagged`]), nothing is taken back: the SIGPIPE is
/// delivered when the mask is restored, as without the shim.
pub fn without_sigpipe(fd: c_int, call: impl FnOnce() -> SysResult<usize>) -> SysResult<usize> {
    if !NOSIGPIPE.get(fd) {
        return call();
    }
    let sigpipe = flags::sigbit(libc::SIGPIPE);
    let Ok(old) = sys::block(sigpipe) else {
        return call();
    };
    // An error here leaves `earlier` unknown: then nothing is taken back (a SIGPIPE may
    // escape, none is ever swallowed).
    let (known, earlier) = match sys::sigpending() {
        Ok(p) if p & sigpipe != 0 => match sys::take_signal_info(sigpipe) {
            Ok(info) => (true, Some(info)),
            Err(Errno(libc::EAGAIN)) => (true, None), // another thread took it meanwhile
            Err(_) => (false, None),
        },
        Ok(_) => (true, None),
        Err(_) => (false, None),
    };
    let r = call();
    if known && matches!(r, Err(Errno(libc::EPIPE))) && still_flagged(fd) {
        let _ = sys::take_signal(sigpipe);
    }
    if let Some(info) = earlier {
        let _ = sys::queue_to_self(&info);
    }
    let _ = sys::set_mask(old);
    r
}

/// Does `fd` still name the descriptor whose no-SIGPIPE state the table holds? A
/// non-socket must be the same file ([`FILES`]); a socket's bit must not sit on a
/// non-socket. Stale state found on the way is dropped. One fstat.
fn still_flagged(fd: c_int) -> bool {
    match sys::file_info(fd) {
        Ok(f) => holds(fd, f),
        Err(_) => false,
    }
}

/// Is `fd`, which is `f`, no-SIGPIPE? Stale state is dropped on the way.
fn holds(fd: c_int, f: sys::FileInfo) -> bool {
    if !NOSIGPIPE.get(fd) {
        return false;
    }
    let fresh = match FILES.get(fd) {
        Some(id) => !f.socket && id == f.id,
        None => f.socket,
    };
    if !fresh {
        NOSIGPIPE.clear(fd);
        FILES.clear(fd);
    }
    fresh
}

/// Is `fd` a socket? EBADF for a closed descriptor.
fn check_socket(fd: c_int) -> SysResult<bool> {
    match sys::getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE) {
        Ok(_) => Ok(true),
        Err(Errno(libc::ENOTSOCK)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// fcntl(F_GETNOSIGPIPE): 1 or 0, on any descriptor; EBADF for a closed one.
pub fn get(fd: c_int) -> SysResult<c_int> {
    let f = sys::file_info(fd)?;
    Ok(holds(fd, f) as c_int)
}

/// fcntl(F_GETFL): the kernel's flags, plus O_NOSIGPIPE when `fd` is no-SIGPIPE (NetBSD
/// shows FNOSIGPIPE among the file flags).
pub fn getfl(fd: c_int) -> SysResult<c_int> {
    let fl = sys::fcntl(fd, libc::F_GETFL, 0)?;
    if NOSIGPIPE.get(fd) && get(fd) == Ok(1) {
        return Ok(fl | crate::consts::O_NOSIGPIPE);
    }
    Ok(fl)
}

/// fcntl(F_SETFL): O_NOSIGPIPE is removed before the kernel sees it (Linux has no flag
/// there) and sets no-SIGPIPE. Without it, the NetBSD personality clears the state (its
/// F_SETFL replaces every file flag, FNOSIGPIPE included), the Linux personality leaves
/// it alone, so that a program setting its flags outright (`F_SETFL, O_NONBLOCK`) keeps
/// what `SOCK_NOSIGPIPE` or the nosigpipe policy gave it.
pub fn setfl(fd: c_int, arg: usize, clears: bool) -> SysResult<c_int> {
    let on = arg & crate::consts::O_NOSIGPIPE as usize != 0;
    let r = sys::fcntl(
        fd,
        libc::F_SETFL,
        arg & !(crate::consts::O_NOSIGPIPE as usize),
    )?;
    if on {
        set(fd, true)?;
    } else if clears && NOSIGPIPE.get(fd) {
        set(fd, false)?;
    }
    Ok(r)
}

/// pipe2(2): O_NOSIGPIPE is removed before the kernel sees it (Linux would answer
/// EINVAL) and makes both ends no-SIGPIPE, as NetBSD's pipe2 sets FNOSIGPIPE on both
/// files. The new numbers start with no stale state. On failure to record the state (no
/// memory for the table) both ends are closed again.
///
/// # Safety
/// `fds` is checked by the kernel, and read here only after the kernel wrote it.
pub unsafe fn pipe2(fds: *mut c_int, flags: c_int) -> SysResult<()> {
    let on = flags & crate::consts::O_NOSIGPIPE != 0;
    // SAFETY: the kernel checks `fds`.
    unsafe { sys::pipe2(fds, flags & !crate::consts::O_NOSIGPIPE)? };
    // SAFETY: the kernel has just stored two descriptors at `fds`.
    let ends = unsafe { [fds.read(), fds.add(1).read()] };
    let mut r = Ok(());
    for fd in ends {
        forget(fd);
        if on {
            r = r.and_then(|()| sys::file_info(fd)).and_then(|f| {
                FILES.set(fd, f.id)?;
                NOSIGPIPE.set(fd, true)
            });
        }
    }
    r.inspect_err(|_| {
        for fd in ends {
            forget(fd);
            let _ = sys::close_now(fd);
        }
    })
}

// ---- Which descriptors may share an open file ----------------------------------------
//
// A F_SETNOSIGPIPE through one copy of a socket must show through the others (SPEC.md),
// so [`set`] needs the copies of its descriptor: ALIASED holds every descriptor that a
// dup made or copied from. It is kept only once a `set` needs it. Before that, a dup
// only raises UNTRACKED_MAX, and the first `set` finds the sockets open under more than
// one number at or below it, by inode, in one scan ([`track_aliases`]). So a process
// that never calls F_SETNOSIGPIPE or SO_NOSIGPIPE maps no alias table however much it
// dups, and sockets spread with dup2 before the first `set` are marked only if they
// really share an open file (issue 4, scale).

const UNTRACKED: u8 = 0;
const TRACKING: u8 = 1;
const TRACKED: u8 = 2;
static ALIAS_STATE: AtomicU8 = AtomicU8::new(UNTRACKED);
/// The highest descriptor number a dup made or copied from while UNTRACKED (-1: none).
static UNTRACKED_MAX: AtomicI32 = AtomicI32::new(-1);

/// `a` and `b` may now share an open file (a dup; `a == b` for a descriptor handed over
/// by exec, which may be a copy of another one). In a vfork child this can only raise
/// the parent's UNTRACKED_MAX, which costs the parent's first scan a little, never
/// correctness.
#[inline]
pub fn may_share(a: c_int, b: c_int) -> SysResult<()> {
    if ALIAS_STATE.load(Ordering::SeqCst) == UNTRACKED {
        let top = a.max(b);
        if top > UNTRACKED_MAX.load(Ordering::SeqCst) {
            UNTRACKED_MAX.fetch_max(top, Ordering::SeqCst);
        }
        // Everything here is SeqCst: a `track_aliases` that began before this load reads
        // the new maximum, and one that began later is seen and the pair marked below.
        if ALIAS_STATE.load(Ordering::SeqCst) == UNTRACKED {
            return Ok(());
        }
    }
    record_alias(a, b)
}

/// [`may_share`] once the aliases are tracked. The identity goes first: a `set` that
/// sees the ALIASED bit also sees it. It is `a`'s recorded one when `a` is ALIASED
/// already (a close or a new socket at that number clears the bit), else one fstat of
/// the caller's own descriptor (if another thread of the caller closed both meanwhile,
/// there is nothing left to find).
#[cold]
#[inline(never)]
fn record_alias(a: c_int, b: c_int) -> SysResult<()> {
    let recorded = OPEN_FILE.get(a).filter(|_| ALIASED.get(a));
    let Some(id) = recorded.or_else(|| sys::file_id(a).or_else(|_| sys::file_id(b)).ok()) else {
        return Ok(());
    };
    OPEN_FILE.set(a, id)?;
    OPEN_FILE.set(b, id)?;
    ALIASED.set(a, true).and_then(|()| ALIASED.set(b, true))
}

/// Makes ALIASED complete before [`set`] reads it. The first call (and any that run
/// before one finishes: marking twice is harmless) stops the UNTRACKED bookkeeping, then
/// marks the sockets that are open under more than one number up to UNTRACKED_MAX.
/// A vfork child, which may not change the table, leaves it to its parent.
fn track_aliases() -> SysResult<()> {
    if ALIAS_STATE.load(Ordering::SeqCst) == TRACKED || !process::owns_table() {
        return Ok(());
    }
    let _ = ALIAS_STATE.compare_exchange(UNTRACKED, TRACKING, Ordering::SeqCst, Ordering::SeqCst);
    let max = UNTRACKED_MAX.load(Ordering::SeqCst);
    if max > 0 {
        mark_shared_files(max as c_uint)?;
    }
    ALIAS_STATE.store(TRACKED, Ordering::SeqCst);
    Ok(())
}

/// Marks in ALIASED the descriptors among `0..=max` whose file (device and inode) is
/// open under another number too, with that identity in OPEN_FILE: one ppoll per 256
/// numbers, one fstat per open descriptor. (Two numbers on one inode may still be two
/// open files, such as a pipe's two ends; [`set`] tells them apart.) A dup running
/// meanwhile ([`may_share`]) records the same identity, so the two never disagree.
fn mark_shared_files(max: c_uint) -> SysResult<()> {
    let mut found = Scratch::new();
    let mut pushed = Ok(());
    sys::for_each_open(0, max, |fd| {
        if let Ok(id) = sys::file_id(fd)
            && pushed.is_ok()
        {
            pushed = found.push((id, fd));
        }
    })?;
    pushed?;
    let v = found.as_mut_slice();
    v.sort_unstable();
    for run in v.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        for &(id, fd) in run {
            OPEN_FILE.set(fd, id)?;
            ALIASED.set(fd, true)?;
        }
    }
    Ok(())
}

/// A growable array of ((device, inode), descriptor) in an anonymous mapping of its own:
/// [`set`] may run in a signal handler, so no malloc.
type Entry = ((u64, u64), c_int);

struct Scratch {
    ptr: *mut Entry,
    cap: usize,
    len: usize,
}

impl Scratch {
    const ENTRY: usize = core::mem::size_of::<Entry>();

    const fn new() -> Self {
        Scratch {
            ptr: core::ptr::null_mut(),
            cap: 0,
            len: 0,
        }
    }

    fn push(&mut self, v: Entry) -> SysResult<()> {
        if self.len == self.cap {
            let old = self.cap * Self::ENTRY;
            let new = old.saturating_mul(2).max(4096);
            let p = if self.ptr.is_null() {
                sys::mmap_zeroed(new)?
            } else {
                // SAFETY: our own mapping of `old` bytes.
                unsafe { sys::mremap_grow(self.ptr.cast(), old, new)? }
            };
            self.ptr = p.cast();
            self.cap = new / Self::ENTRY;
        }
        // SAFETY: `len < cap` entries fit in the mapping.
        unsafe { self.ptr.add(self.len).write(v) };
        self.len += 1;
        Ok(())
    }

    fn as_mut_slice(&mut self) -> &mut [Entry] {
        if self.ptr.is_null() {
            return &mut [];
        }
        // SAFETY: the first `len` entries were written by `push`.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: our own mapping, no longer borrowed.
            unsafe { sys::munmap(self.ptr.cast(), self.cap * Self::ENTRY) };
        }
    }
}

/// A descriptor the previous image handed over as no-SIGPIPE ([`crate::exec::import`]):
/// it may be a copy of another one, so it is marked as possibly sharing an open file
/// (F_SETNOSIGPIPE through one keeps showing through the others).
pub fn handed_over(fd: c_int, f: sys::FileInfo) {
    let _ = may_share(fd, fd);
    let _ = mark(fd, f, true);
}

/// fcntl(F_SETNOSIGPIPE), setsockopt(SO_NOSIGPIPE) and F_SETFL with O_NOSIGPIPE, on any
/// descriptor (SPEC.md "Any descriptor, as on NetBSD"). NetBSD keeps the flag on the open
/// file, so it is set on every descriptor of this process that shares `fd`'s open file:
/// the ALIASED descriptors recorded (OPEN_FILE) on `fd`'s device and inode that are
/// still on them (for a socket that is its one open file; otherwise
/// [`sys::same_open_file`] decides), so a number closed and reused behind the shim's
/// back is left alone.
///
/// Only numbers recorded on `fd`'s file are asked: a system call on a descriptor holds a
/// reference to its file until it returns, and on a number another thread is closing
/// that reference, not the close, would be the last one, so the peer of a socket that
/// thread just closed would not yet see it gone (the churn storm found a send succeed
/// after the peer's close while a F_SETNOSIGPIPE in another thread ran fstat over every
/// ALIASED number). A number recorded on `fd`'s file is a copy of it, which `fd` keeps
/// open.
pub fn set(fd: c_int, on: bool) -> SysResult<()> {
    let f = sys::file_info(fd)?;
    mark(fd, f, on)?;
    // Pairs with the fence in `duplicated`: a dup made meanwhile is seen here, or has
    // seen the new value.
    fence(Ordering::SeqCst);
    track_aliases()?;
    if ALIASED.get(fd) {
        let mut result = Ok(());
        ALIASED.for_each(|other| {
            if other != fd
                && OPEN_FILE.get(other) == Some(f.id)
                && sys::file_id(other) == Ok(f.id)
                && (f.socket || sys::same_open_file(fd, other))
            {
                result = result.and(mark(other, f, on));
            }
        });
        result?;
    }
    Ok(())
}

/// Records or drops the state of `fd`, which is the file `f`: a non-socket's identity
/// goes in first, so a writer that sees the bit also finds it.
fn mark(fd: c_int, f: sys::FileInfo, on: bool) -> SysResult<()> {
    if !on {
        NOSIGPIPE.clear(fd);
        FILES.clear(fd);
        return Ok(());
    }
    if f.socket {
        FILES.clear(fd);
    } else {
        FILES.set(fd, f.id)?;
    }
    NOSIGPIPE.set(fd, true)
}

/// setsockopt(SOL_SOCKET, SO_NOSIGPIPE, val, len): an int option, as Linux checks them
/// (EBADF/ENOTSOCK, then EINVAL for a negative or short length, then EFAULT).
///
/// # Safety
/// `val` is the caller's; it is read through the kernel.
pub unsafe fn setsockopt(fd: c_int, val: *const c_void, len: socklen_t) -> SysResult<()> {
    if !check_socket(fd)? {
        return Err(Errno(libc::ENOTSOCK));
    }
    // A negative length is EINVAL for every option; then an int option wants 4 bytes.
    if (len as i32) < 0 || (len as usize) < core::mem::size_of::<c_int>() {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: the kernel reads the word first.
    let on = unsafe { sys::read_user_u32(val.cast()) }? != 0;
    set(fd, on)
}

/// getsockopt(SOL_SOCKET, SO_NOSIGPIPE, val, len): the kernel does all the checking and
/// copying as for SO_TYPE (an int option of the same shape), then the value is replaced
/// by ours in the bytes the kernel wrote.
///
/// # Safety
/// `val`/`len` are the caller's; the kernel checks and writes them first.
pub unsafe fn getsockopt(fd: c_int, val: *mut c_void, len: *mut socklen_t) -> SysResult<()> {
    // SAFETY: the kernel checks the pointers.
    unsafe { sys::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, val, len)? };
    // A socket never has a FILES entry: one here is a pipe's, left by a close the shim
    // did not see.
    let on = (NOSIGPIPE.get(fd) && FILES.get(fd).is_none()) as c_int;
    // SAFETY: the kernel has just written `*len` (at most 4) bytes at `val` and `*len`.
    unsafe {
        let n = (len.read() as usize).min(core::mem::size_of::<c_int>());
        core::ptr::copy_nonoverlapping((&raw const on).cast::<u8>(), val.cast::<u8>(), n);
    }
    Ok(())
}
