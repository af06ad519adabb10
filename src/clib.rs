//! The C library under the shim: the one module that knows whether it is glibc or musl
//! (SPEC.md "Platforms": "Where a platform's C library differs (reserved signals,
//! cancellation, single-thread detection, internal `posix_spawn`), the module that knows
//! it is the one place that says so").
//!
//! | | glibc 2.36 | musl 1.2 |
//! |---|---|---|
//! | single-threaded | `__libc_single_threaded` (public since 2.32) | not exported: never assumed |
//! | reserved signals | 32, 33 (`__libc_current_sigrtmin()` = 34) | 32 to 34: SIGTIMER, SIGCANCEL, SIGSYNCCALL (35) |
//! | cancellation | `SYSCALL_CANCEL`: asynchronous type around the call | `__syscall_cp` and a PC range; an asynchronous type acts in the SIGCANCEL handler |
//! | `system`, `popen` | internal `__posix_spawn` | internal `posix_spawn` |
//!
//! What this means for the rest of the library:
//! - [`single_threaded`] is the only test. Under musl it is always false, so every
//!   blocking call switches the cancellation type ([`crate::sys::cancellable`]):
//!   correct, a few instructions dearer than under glibc.
//! - [`PLAIN_FUNCTIONS`]: glibc's own write, accept4, close... serve the plain paths of a
//!   multi-threaded process; musl's differ from the system call, so the shim does not
//!   use them.
//! - The reserved signals are asked of the C library at run time
//!   (`__libc_current_sigrtmin`, both libraries export it; [`crate::flags::reserved_signals`]).
//! - Cancellation is the same code for both: `pthread_setcanceltype(ASYNCHRONOUS)` around
//!   the system call. glibc acts on it in its SIGCANCEL handler; so does musl
//!   (`cancel_handler`: "if (self->cancelasync) ... __cancel()").
//! - `system` and `popen` reach `posix_spawn` inside the C library in both, where no
//!   preloaded or linked library sees it (docs/design.md, "Known limits").

#[cfg(not(target_env = "musl"))]
unsafe extern "C" {
    /// glibc's public "no thread was ever created" flag (since 2.32).
    static __libc_single_threaded: core::ffi::c_char;
}

/// No thread was ever created: nobody can cancel this one, nobody races this thread.
#[cfg(not(target_env = "musl"))]
#[inline(always)]
pub fn single_threaded() -> bool {
    // SAFETY: a plain byte read of a glibc global that only ever goes 1 -> 0.
    unsafe { core::ptr::read_volatile(&raw const __libc_single_threaded) != 0 }
}

/// Whether the C library's write, writev, send, sendto, sendmsg, accept4 and close are
/// each the bare system call inside the library's cancellation handling, so that the
/// plain paths of a multi-threaded process may call them ([`crate::sys::LIBC_WRITE`]).
/// glibc's are. musl's are not all: its sendmsg copies the `msghdr` and control
/// messages (a bad pointer faults where the kernel answers EFAULT), its accept4 retries
/// a refused call as accept and fcntl (ignoring unknown flags, not atomically) and its
/// close reports EINTR as success. Under musl the shim makes those calls itself.
#[cfg(not(target_env = "musl"))]
pub(crate) const PLAIN_FUNCTIONS: bool = true;
#[cfg(target_env = "musl")]
pub(crate) const PLAIN_FUNCTIONS: bool = false;

/// musl keeps its thread count private (`libc.threads_minus_1`, hidden), so the shim
/// never assumes a single thread: each call takes the path that is right with threads.
#[cfg(target_env = "musl")]
#[inline(always)]
pub fn single_threaded() -> bool {
    false
}
