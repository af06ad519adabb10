//! vfork children: they run in their parent's memory, table included.
//!
//! SPEC.md "No-SIGPIPE state ... Inherited across fork": after fork the child has its
//! own copy of the table and keeps it up to date. A vfork child writes into its
//! parent's memory, so its close or dup2 would change the state of the parent's
//! descriptors. The library's own `vfork` (`arch::vfork`) counts the vforks in flight and
//! records the calling process; while one is in flight, a process with another ID is
//! the child, and leaves the table alone (it may read it: until it execs or changes
//! them, its descriptors are its parent's). With no vfork in flight this costs one
//! relaxed load, no system call. A fork child resets the count (pthread_atfork), so a
//! fork from one thread while another is in vfork leaves the child in charge of its
//! copy; children made by raw `clone`/`fork` system calls own their copy too.

use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use crate::sys;

/// vfork calls of this process in flight (raised before the system call, lowered by
/// the parent when it resumes).
pub(crate) static VFORKS: AtomicUsize = AtomicUsize::new(0);
/// The process that called them.
pub(crate) static VFORK_PARENT: AtomicI32 = AtomicI32::new(0);

extern "C" fn after_fork_in_child() {
    VFORKS.store(0, Ordering::Relaxed);
}

/// From the constructor.
pub fn init() {
    // SAFETY: registers a plain function with no state; called once, before main. If it
    // fails (ENOMEM), a fork made while another thread is in vfork leaves that child's
    // table frozen, which never harms the parent.
    unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
}

/// May this process change the table? Not a vfork child.
#[inline(always)]
pub fn owns_table() -> bool {
    VFORKS.load(Ordering::Relaxed) == 0 || sys::getpid() == VFORK_PARENT.load(Ordering::Relaxed)
}

/// Called by the vfork trampoline (`arch::vfork`) in the parent once it resumes, with
/// the system call's result; returns vfork's (the child's ID, or -1 with errno).
#[cfg_attr(
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    allow(dead_code)
)]
pub(crate) extern "C" fn vfork_resumed(r: isize) -> c_int {
    VFORKS.fetch_sub(1, Ordering::Relaxed);
    if r < 0 {
        // SAFETY: the calling thread's errno.
        unsafe { *libc::__errno_location() = -r as c_int };
        return -1;
    }
    r as c_int
}
