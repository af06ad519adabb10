//! paccept(2) with a signal mask: NetBSD's atomic mask swap on Linux
//! (SPEC.md "paccept", clauses 1-10).
//!
//! # The algorithm
//!
//! A user-space `sigprocmask(mask); accept4(); sigprocmask(old)` is the pselect race
//! (LESSONS.md pitfall 10) when `mask` unblocks a signal that the caller's mask blocks:
//! such a signal can run its handler between the two calls and accept4 then sleeps.
//! Which case applies is known after two system calls that change nothing:
//!
//! 1. **The mask is read first, through the kernel** (`rt_sigprocmask` with an invalid
//!    `how`, which copies the set in and changes nothing): a bad pointer gives EFAULT
//!    before anything else, even for a bad descriptor (clauses 1-2). Then the caller's
//!    mask `old` (`rt_sigprocmask(SIG_BLOCK, {})`). Neither call changes the mask, so
//!    a signal arriving meanwhile runs under the caller's mask, as one that came just
//!    before the call would. (A single `rt_sigprocmask(SIG_BLOCK, mask, &old)` would
//!    read both, but leave the thread under `old | mask` for an instant: a handler
//!    running there would run under neither mask; the reliability storm caught it.)
//!    The wait mask `wait` is `mask` minus the signals the C library reserves (glibc:
//!    32 and 33), as `pthread_sigmask` does, so `pthread_cancel` and `setuid` keep
//!    working (clause 8). The caller's mask is restored on every return, success or
//!    failure (clause 7), and only if it was changed.
//! 2. **The mask unblocks nothing the caller blocks** (`old ⊆ wait`; for instance a
//!    thread that blocks nothing passing a mask of signals to hold off). Then there is
//!    no race to close: every signal `wait` lets through is one the caller lets
//!    through too, so one arriving before the sleep is indistinguishable from one that
//!    arrived before the call, and no such signal can be pending at entry (clause 5
//!    has nothing to deliver). The thread's mask is set to `wait`, and accept4 runs
//!    under it: it returns
//!    a connection, EAGAIN on a non-blocking listener, or its error at once (EBADF,
//!    ENOTSOCK, EINVAL, EOPNOTSUPP, EMFILE: none of them delivers a signal, as the mask
//!    only blocks more than the caller's), or sleeps under `wait`, where a signal it
//!    lets through interrupts it and its handler runs under `wait` (clause 3) and a
//!    signal it blocks stays pending until the caller's mask is back (clause 4). The
//!    kernel restarts that accept4 exactly when the handler has SA_RESTART (clause 6,
//!    NetBSD's rule); an EINTR it does return although every handled signal `wait`
//!    lets through has SA_RESTART can only come from SO_RCVTIMEO (Linux does not
//!    restart timed accepts; NetBSD's paccept ignores the timeout), so the call goes
//!    on. Several threads sleep in accept4 on one listener, each under its own mask,
//!    and each connection goes to exactly one (clause 9, with no residual window).
//!    A signal that `wait` lets through and that arrives between the probe and
//!    accept4's sleep runs its handler (under `wait`) and the call then sleeps, exactly
//!    as if the signal had come just before the call: the caller does not block it, so
//!    no program can count on it to interrupt the call (one that does blocks it
//!    outside the call, the pselect idiom, and step 3 applies).
//!    Cost: 3 system calls (the probe, accept4, the restore), waiting or not.
//! 3. **The mask unblocks a signal the caller blocks** (the pselect idiom). Linux has
//!    no accept that installs a mask, so the wait is a `ppoll` on the listener, which
//!    installs `wait` atomically with the sleep, and the accept follows:
//!    - `getsockopt(SO_ACCEPTCONN)` answers EBADF or ENOTSOCK with no signal delivered
//!      (clause 2). A socket that is not listening fails accept4 at once: accept4,
//!      then step 3d.
//!    - `entry` = the signals pending now that `wait` unblocks; then
//!      `ppoll({s, POLLIN}, zero timeout, wait)`. Ready: step 3c, with `entry` held.
//!      Not ready and a signal pending: ppoll delivers it, with its handler under
//!      `wait`, and returns EINTR; then a non-blocking listener (`fcntl(F_GETFL)`)
//!      gives EAGAIN (clause 5) and a blocking one goes to step 3b. Not ready, nothing
//!      pending: a non-blocking listener gives EAGAIN (nothing was pending at that
//!      instant, so clause 5 has nothing to deliver); a blocking one waits in
//!      `ppoll({s, POLLIN}, wait)`: a signal `wait` unblocks, arriving during the
//!      sleep, interrupts it and its handler runs under `wait` (clause 3); signals
//!      `wait` blocks stay pending (clause 4).
//!    - 3b. On EINTR, NetBSD restarts the call when the handler has SA_RESTART; ppoll
//!      never restarts and does not say which signal it was. Signals that were
//!      already pending (`entry`) are known exactly, and the call resumes iff their
//!      handlers have SA_RESTART. For a signal that arrived during the sleep the call
//!      resumes iff every handled signal the mask lets through has SA_RESTART (fault
//!      signals such as SIGSEGV, which a sleeping thread does not receive, are not
//!      counted), and returns EINTR otherwise: EINTR is what a program that mixes
//!      restarting and interrupting handlers must be ready for (clause 6;
//!      `flags::should_restart`). No connection is consumed.
//!    - 3c. **Ready: accept without ever sleeping under the wrong mask.** Another
//!      thread or process may take the connection between ppoll and accept4 (clause
//!      9), and accept4 on a blocking listener would then sleep. So accept4 runs with
//!      the thread's mask set to `wait | held`, where `held` = `entry`: a new signal
//!      the mask unblocks still interrupts that sleep (the kernel's own SA_RESTART
//!      rule applies there), and nothing is delivered before the outcome is known
//!      (EMFILE must deliver nothing, clause 2). Then, if the outcome delivers, the
//!      mask alone is installed for an instant so that `held` signals it unblocks run
//!      (clause 5), and the caller's mask is restored (clause 7). An EAGAIN there (the
//!      connection was taken, or SO_RCVTIMEO expired, which NetBSD's accept ignores)
//!      goes back to step 3's `entry`.
//!    - 3d. **Calls that cannot sleep** (not listening): unless accept4 failed with
//!      EBADF/ENOTSOCK/EMFILE/ENFILE, `ppoll(no descriptors, zero timeout, wait)`
//!      delivers the signals that are pending and that the mask unblocks, with their
//!      handlers running under the mask, before paccept returns its unchanged result
//!      (clause 5).
//!
//! # The residual window (step 3 only)
//!
//! One sequence differs from NetBSD: another thread or process takes the connection
//! between ppoll's return and accept4's sleep, *and* in that same gap (microseconds) a
//! signal arrives that the mask unblocks. Its handler runs, under the right mask, but
//! the thread then sleeps in accept4 (still under the right mask) until the next
//! connection or the next signal instead of returning EINTR at once. A signal arriving
//! in that gap on an EMFILE path is likewise delivered although NetBSD would not. A
//! signal already pending when the wait began is held (step 3c) instead: it cannot run
//! before the outcome is known, and if the connection was taken it waits with the
//! thread for the next connection (NetBSD would return EINTR at once). Likewise, with
//! an empty queue and a full descriptor table the thread waits in step 3 for a
//! connection before accept4 can answer EMFILE. No connection is lost, no thread ever waits
//! under its original mask, and no signal is lost or delivered twice. The stress
//! case `paccept_threads_storm` (c-tests/cases_paccept.c) runs four threads with four
//! different masks on one listener through 200 connections and about 110 signals,
//! checks each of those properties, and measures the window as the worst delay between
//! a handler running inside a paccept call and that call returning. Measured on a
//! 2-core machine over six runs: a few microseconds in most runs, up to about 2 ms
//! in some (the gap was hit, and the thread waited for the next connection); a thread
//! asleep under the wrong mask would show the whole run. Step 2 has no such window.
//!
//! # Cost (system calls per paccept, counted by `bench/syscalls.sh`)
//! A paccept with a NULL mask is exactly accept4 (1). Step 2: 5 (probe, the caller's
//! mask, install, accept4, restore), whether a connection is pending or the call
//! waits; 3 when the mask equals the caller's (nothing to install or restore). Step 3
//! with a connection pending on a blocking listener: probe, the caller's mask,
//! getsockopt, rt_sigpending, ppoll, rt_sigprocmask, accept4 and the restore (8; the
//! restore is skipped when the mask blocks nothing the caller does not; one more
//! rt_sigprocmask when a held signal must be delivered). Linux's ppoll (like pselect
//! and epoll_pwait) reports a ready descriptor without delivering pending signals, so
//! in step 3 clause 5 costs at least one system call beyond ppoll + accept4, and the
//! check that the mask is readable (clause 1) and reading the caller's mask one more
//! each: the target of 2 is out of reach with a mask that changes anything.

use core::ffi::c_int;

use libc::{sockaddr, socklen_t};

use crate::accept::{self, Call};
use crate::flags::{self, Disposition, Split};
use crate::sys::{self, Errno, KernelSigset, SysResult};

/// The thread's signal mask while paccept runs: what is installed now, and the
/// caller's, restored once at the end and only when it was changed.
struct Mask {
    caller: KernelSigset,
    now: KernelSigset,
}

impl Mask {
    fn set(&mut self, m: KernelSigset) -> SysResult<()> {
        if m != self.now {
            sys::set_mask(m)?;
            self.now = m;
        }
        Ok(())
    }

    fn restore(&mut self) {
        let caller = self.caller;
        let _ = self.set(caller);
    }
}

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
    // Step 1: the mask through the kernel (EFAULT first, nothing changed), then the
    // caller's (blocking the empty set changes nothing either).
    // SAFETY: the kernel reads the mask.
    let user = unsafe { sys::read_user_sigset(mask)? };
    let old = sys::block(0)?;
    let reserved = flags::reserved_signals(libc::SIGRTMIN());
    let wait = flags::wait_mask(user, reserved);
    let mut m = Mask {
        caller: old,
        now: old,
    };
    // SAFETY: forwarded contract (the kernel checks the caller's pointers).
    let accept_once = || unsafe { accept::accept(s, addr, addrlen, split, Call::Paccept) };
    let r = if old & !wait == 0 {
        extending(&mut m, wait, reserved, accept_once)
    } else {
        unblocking(&mut m, s, wait, reserved, accept_once)
    };
    m.restore();
    r
}

/// Step 2: `wait` only adds to the caller's mask; accept4 sleeps under it.
fn extending(
    m: &mut Mask,
    wait: KernelSigset,
    reserved: KernelSigset,
    accept_once: impl Fn() -> SysResult<c_int>,
) -> SysResult<c_int> {
    m.set(wait)?;
    loop {
        match accept_once() {
            Err(Errno(libc::EINTR)) if should_restart(wait, reserved, 0) => continue,
            r => return r,
        }
    }
}

/// Step 3: `wait` unblocks a signal the caller blocks; wait atomically with ppoll.
fn unblocking(
    m: &mut Mask,
    s: c_int,
    wait: KernelSigset,
    reserved: KernelSigset,
    accept_once: impl Fn() -> SysResult<c_int>,
) -> SysResult<c_int> {
    if sys::getsockopt_int(s, libc::SOL_SOCKET, libc::SO_ACCEPTCONN)? == 0 {
        // Step 3d.
        let r = accept_once();
        if !accept::fails_before_mask(&r) {
            deliver_pending(wait);
        }
        return r;
    }
    loop {
        // `entry`: the signals pending now that the mask unblocks. If the listener is
        // not ready, ppoll delivers them at once (so a restart decision can look at
        // exactly these); if it is, they are held through step 3c.
        let entry = sys::sigpending()? & !wait;
        let mut pfd = libc::pollfd {
            fd: s,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd of ours, our mask.
        let (ready, slept) = match unsafe { sys::ppoll_now(&mut pfd, 1, &wait) } {
            // Not ready: a non-blocking listener answers EAGAIN, after ppoll delivered
            // any pending signal the mask unblocks (clause 5).
            Ok(0) | Err(Errno(libc::EINTR))
                if sys::fcntl(s, libc::F_GETFL, 0)? & libc::O_NONBLOCK != 0 =>
            {
                return Err(Errno(libc::EAGAIN));
            }
            // SAFETY: one pollfd of ours, our mask.
            Ok(0) => (unsafe { sys::ppoll_wait(&mut pfd, 1, &wait) }, true),
            r => (r, false),
        };
        match ready {
            // The listener was closed by another thread during the sleep. Linux's close
            // does not wake a sleeper; a signal did, but ppoll, having found the
            // descriptor gone, left it pending. Deliver it under the mask and answer as
            // accept4 does there: EINTR, or the restarted call's EBADF when the handler
            // asks for a restart (and EBADF if no signal is there after all).
            Ok(_) if slept && pfd.revents & libc::POLLNVAL != 0 => {
                let woke = sys::sigpending()? & !wait & !reserved;
                if woke == 0 {
                    return Err(Errno(libc::EBADF));
                }
                deliver_pending(wait);
                let restart = should_restart(wait, reserved, woke);
                return Err(Errno(if restart { libc::EBADF } else { libc::EINTR }));
            }
            Ok(_) => {}
            Err(Errno(libc::EINTR)) if should_restart(wait, reserved, entry) => continue,
            Err(e) => return Err(e),
        }
        // Step 3c. The C library's own signals are never held (clause 8).
        let held = entry & !reserved;
        m.set(wait | held)?;
        let r = accept_once();
        if held != 0 && !accept::fails_before_mask(&r) {
            m.set(wait)?;
        }
        match r {
            Err(Errno(libc::EAGAIN)) => continue,
            r => return r,
        }
    }
}

/// Runs the handlers of signals that are pending and that `wait` unblocks, under
/// `wait`, and returns with the thread's mask as it was: ppoll on no descriptors with
/// a zero timeout returns EINTR after delivering them, or 0 at once.
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
