//! Which process this is: a vfork child shares its parent's memory, table included.
//!
//! SPEC.md "No-SIGPIPE state ... Inherited across fork": after fork the child has its
//! own copy of the table and keeps it up to date. A vfork child (and a child made by a
//! raw clone that did not pass through fork's handlers) writes into its parent's
//! memory, so its close or dup2 would change the state of the parent's descriptors.
//! The constructor records the process ID and a pthread_atfork child handler renews it;
//! a process whose ID differs from the record is such a child, and leaves the table
//! alone (it may read it: until it execs, its descriptors are its parent's).

use core::sync::atomic::{AtomicI32, Ordering};

use crate::sys;

/// The ID of the process that owns the table's memory (0 before the constructor).
static OWNER: AtomicI32 = AtomicI32::new(0);

extern "C" fn after_fork_in_child() {
    OWNER.store(sys::getpid(), Ordering::Relaxed);
}

/// From the constructor.
pub fn init() {
    OWNER.store(sys::getpid(), Ordering::Relaxed);
    // SAFETY: registers a plain function with no state; called once, before main. A
    // failure (ENOMEM) leaves fork children looking like vfork children: their table
    // stays frozen, which never harms the parent.
    unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
}

/// May this process change the table? Not in a vfork child. One getpid per call, so
/// callers ask only when a bit would actually change.
#[inline]
pub fn owns_table() -> bool {
    let owner = OWNER.load(Ordering::Relaxed);
    owner == 0 || owner == sys::getpid()
}
