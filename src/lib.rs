//! sockshim: NetBSD's socket-accept semantics for Linux C programs.
//!
//! A `cdylib` that exports `socket`, `socketpair`, `listen`, `accept`, `accept4` and
//! `paccept` (plus the write and descriptor calls that no-SIGPIPE needs) with C
//! signatures, over raw Linux system calls. See README.md for use and SPEC.md for the
//! clauses each export cites.
//!
//! Architecture, one concern per module:
//! - [`arch`]: the processor: the system-call instruction, vfork and the execl family;
//! - [`sys`]: the raw system-call layer (the only kernel ABI sizes);
//! - [`table`]: the sparse, lock-free no-SIGPIPE descriptor table;
//! - [`flags`]: pure argument translation (unit-tested without a kernel);
//! - [`policy`]: the personality and the policies, read once at load;
//! - [`process`]: vfork children, which must not change their parent's table;
//! - [`exec`]: the no-SIGPIPE state handed to the next program image;
//! - [`accept`], [`paccept`], [`nosigpipe`]: the semantics;
//! - [`exports`]: the thin `extern "C"` adapters that cite their clauses.

// No standard library: nothing in a call path can allocate, take a lock or unwind, and
// the shared object needs no more than the C library (no unwinder, no libgcc_s, no TLS
// destructors), so it loads into glibc and musl programs alike. The unit tests (cfg(test))
// run in the standard test harness.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

#[cfg(not(target_os = "linux"))]
compile_error!("sockshim interposes Linux system calls");

pub mod accept;
pub mod arch;
pub mod clib;
pub mod consts;
pub mod exec;
pub mod exports;
pub mod flags;
#[cfg(test)]
mod library_tests;
pub mod nosigpipe;
pub mod paccept;
pub mod policy;
pub mod process;
pub mod sys;
pub mod table;
#[cfg(test)]
#[path = "../bench/table_scale.rs"]
mod table_scale;

pub use consts::*;

/// The constructor: policies, the process record, the state handed over by the previous
/// image, and the C library's own exec and write functions. Every export works before it ran (another
/// library's constructor may call them first): they see the defaults.
extern "C" fn init() {
    let secure = policy::load();
    process::init();
    exec::import(secure);
    let (execvpe, spawn, spawnp) = exports::own_exec_functions();
    exec::resolve(execvpe, spawn, spawnp);
    if clib::PLAIN_FUNCTIONS {
        for (next, own) in exports::own_plain_functions() {
            next.get(own);
        }
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static INIT: extern "C" fn() = init;

/// A panic would cross into the host program: the library is written not to panic (the
/// lints above deny the constructs that do), and if it ever did, the process aborts, as
/// `panic = "abort"` would with the standard library.
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // SAFETY: abort(3) takes no arguments and does not return.
    unsafe { libc::abort() }
}

// The precompiled `core` carries unwind tables that name `rust_eh_personality`; with
// panics aborting, nothing unwinds through it. A local (hidden) definition satisfies the
// reference without exporting anything.
#[cfg(not(test))]
core::arch::global_asm!(
    ".globl rust_eh_personality",
    ".hidden rust_eh_personality",
    ".set rust_eh_personality, {abort}",
    abort = sym eh_personality,
);

#[cfg(not(test))]
extern "C" fn eh_personality() -> ! {
    // SAFETY: as in `panic`.
    unsafe { libc::abort() }
}
