//! paccept(2) with a signal mask: NetBSD's atomic mask swap on Linux
//! (SPEC.md "paccept", clauses 1-10).
//!
//! # The algorithm
//!
//! A user-space `sigprocmask(mask); accept4(); sigprocmask(old)` is the pselect race
//! (LESSONS.md pitfall 10). Linux has no accept that installs a mask, so the wait is a
//! `ppoll` on the listener, which installs the mask atomically with the sleep, and the
//! accept follows:
//!
//! 1. **Descriptor errors first, mask untouched.** `getsockopt(SO_ACCEPTCONN)` answers
//!    EBADF or ENOTSOCK without any effect on signals. If it fails, the mask is still
//!    read first (NetBSD copies it in before looking at the descriptor), so a bad mask
//!    pointer gives EFAULT even for a bad descriptor (clauses 1-2).
//! 2. **The mask is read through the kernel** (`rt_sigprocmask` with an invalid `how`,
//!    which copies the set in and changes nothing): EFAULT, never a crash. The signals
//!    the C library reserves (glibc: 32 and 33) are removed from it, as
//!    `pthread_sigmask` does, so `pthread_cancel` and `setuid` keep working (clause 8).
//! 3. **Calls that cannot sleep** (the socket is not listening, so accept4 fails at
//!    once; or the listener is non-blocking, so accept4 returns a connection or
//!    EAGAIN): accept4, then, unless it failed with EBADF/ENOTSOCK/EMFILE/ENFILE,
//!    `ppoll(no descriptors, zero timeout, mask)` delivers the signals that are pending
//!    and that the mask unblocks, with their handlers running under the mask, before
//!    paccept returns its unchanged result (clause 5).
//! 4. **Blocking listener: wait.** `ppoll({s, POLLIN}, mask)`. A signal the mask
//!    unblocks, pending at entry or arriving during the sleep, interrupts it and its
//!    handler runs under the mask (clause 3); signals the mask blocks stay pending
//!    (clause 4). On EINTR, NetBSD restarts the call when the handler has SA_RESTART;
//!    ppoll never restarts and does not say which signal it was. Signals that were
//!    already pending (read just before ppoll) are known exactly, and the call resumes
//!    iff their handlers have SA_RESTART. For a signal that arrived during the sleep
//!    the call resumes iff every handled signal the mask lets through has SA_RESTART
//!    (fault signals such as SIGSEGV, which a sleeping thread does not receive, are not
//!    counted), and returns EINTR otherwise: EINTR is what a program that mixes
//!    restarting and interrupting handlers must be ready for (clause 6;
//!    `flags::should_restart`). No connection is consumed.
//! 5. **Ready: accept without ever sleeping under the wrong mask.** Another thread or
//!    process may take the connection between ppoll and accept4 (clause 9), and accept4
//!    on a blocking listener would then sleep. So accept4 runs with the thread's mask
//!    set to `mask | held`, where `held` are the pending signals of step 4: a new signal
//!    the mask unblocks still interrupts that sleep (the kernel's own SA_RESTART rule
//!    applies there), and nothing is delivered before the outcome is known (EMFILE
//!    must deliver nothing, clause 2). Then, if the outcome delivers, the mask alone is
//!    installed for an instant so that `held` signals it unblocks run (clause 5), and
//!    the caller's mask is restored (clause 7). An EAGAIN there (the listener turned
//!    non-blocking, or SO_RCVTIMEO expired, which NetBSD's accept ignores) goes back
//!    to waiting.
//!
//! # The residual window
//!
//! One sequence differs from NetBSD: another thread or process takes the connection
//! between ppoll's return and accept4's sleep, *and* in that same gap (microseconds) a
//! signal arrives that the mask unblocks. Its handler runs, under the right mask, but
//! the thread then sleeps in accept4 (still under the right mask) until the next
//! connection or the next signal instead of returning EINTR at once. A signal arriving
//! in that gap on an EMFILE path is likewise delivered although NetBSD would not. A
//! signal already pending when the wait began is held (step 5) instead: it cannot run
//! before the outcome is known, and if the connection was taken it waits with the
//! thread for the next connection (NetBSD would return EINTR at once). Likewise, with
//! an empty queue and a full descriptor table the thread waits in step 4 for a
//! connection before accept4 can answer EMFILE. No connection is lost, no thread ever waits
//! under its original mask, and no signal is lost or delivered twice. The stress
//! case `paccept_threads_storm` (c-tests/cases_paccept.c) runs four threads with four
//! different masks on one listener through 200 connections and about 110 signals,
//! checks each of those properties, and measures the window as the worst delay between
//! a handler running inside a paccept call and that call returning. Measured on a
//! 2-core machine over six runs: a few microseconds in most runs, up to about 2 ms
//! in some (the gap was hit, and the thread waited for the next connection); a thread
//! asleep under the wrong mask would show the whole run.
//!
//! # Cost
//! With a connection already pending on a blocking listener: getsockopt, the mask
//! probe, fcntl(F_GETFL), rt_sigpending, ppoll, 2 or 3 rt_sigprocmask and accept4.
//! A paccept with a NULL mask is exactly accept4. Linux's ppoll (like pselect and
//! epoll_pwait) reports a ready descriptor without delivering pending signals, so
//! clause 5 costs at least one system call beyond ppoll + accept4.

use core::ffi::c_int;

use libc::{sockaddr, socklen_t};

use crate::accept::{self, Call};
use crate::flags::{self, Disposition, Split};
use crate::sys::{self, Errno, KernelSigset, SysResult};

/// paccept with a non-null mask (a null one is accept4 with NetBSD flag rules).
///
/// # Safety
/// `addr`/`addrlen`/`mask` are the caller's pointers; all are checked by the kernel.
pub unsafe fn paccept_masked(
    s: c_int,
    addr: *mut sockaddr,
    addrlen: *mut socklen_t,
    mask: *const KernelSigset,
    split: Split,
) -> SysResult<c_int> {
    // Step 1: descriptor errors, with the mask's EFAULT taking precedence.
    let listening = match sys::getsockopt_int(s, libc::SOL_SOCKET, libc::SO_ACCEPTCONN) {
        Ok(v) => v != 0,
        // SAFETY: the kernel reads the mask.
        Err(e) => return Err(unsafe { sys::read_user_sigset(mask) }.err().unwrap_or(e)),
    };
    // Step 2.
    let reserved = flags::reserved_signals(libc::SIGRTMIN());
    // SAFETY: the kernel reads the mask.
    let wait = flags::wait_mask(unsafe { sys::read_user_sigset(mask)? }, reserved);

    // SAFETY: forwarded contract (the kernel checks the caller's pointers).
    let accept_once = || unsafe { accept::accept(s, addr, addrlen, split, Call::Paccept) };

    // Step 3.
    if !listening || sys::fcntl(s, libc::F_GETFL, 0)? & libc::O_NONBLOCK != 0 {
        let r = accept_once();
        if !accept::fails_before_mask(&r) {
            deliver_pending(wait);
        }
        return r;
    }

    loop {
        // Step 4. `entry`: the signals pending now that the mask unblocks. If the
        // listener is not ready, ppoll delivers them at once (so a restart decision
        // can look at exactly these); if it is, they are held through step 5.
        let entry = sys::sigpending()? & !wait;
        let mut pfd = libc::pollfd {
            fd: s,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd of ours, our mask.
        match unsafe { sys::ppoll_wait(&mut pfd, 1, &wait) } {
            Ok(_) => {}
            Err(Errno(libc::EINTR)) if should_restart(wait, reserved, entry) => continue,
            Err(e) => return Err(e),
        }
        // Step 5. The C library's own signals are never held (clause 8).
        let held = entry & !reserved;
        let old = sys::set_mask(wait | held)?;
        let r = accept_once();
        if held != 0 && !accept::fails_before_mask(&r) {
            let _ = sys::set_mask(wait);
        }
        let _ = sys::set_mask(old);
        match r {
            Err(Errno(libc::EAGAIN)) => continue,
            r => return r,
        }
    }
}

/// Runs the handlers of signals that are pending and that `wait` unblocks, under
/// `wait`, and returns with the caller's mask back: ppoll on no descriptors with a
/// zero timeout returns EINTR after delivering them, or 0 at once.
fn deliver_pending(wait: KernelSigset) {
    // SAFETY: no descriptors, our mask.
    let _ = unsafe { sys::ppoll_now(core::ptr::null_mut(), 0, &wait) };
}

fn should_restart(wait: KernelSigset, reserved: KernelSigset, entry: KernelSigset) -> bool {
    flags::should_restart(wait, reserved, entry, |sig| match sys::sigaction_of(sig) {
        Ok(act) if act.handler > 1 => Disposition::Handler {
            restart: act.flags & libc::SA_RESTART as u64 != 0,
        },
        _ => Disposition::NoHandler,
    })
}
