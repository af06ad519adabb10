//! sockshim: NetBSD's socket-accept semantics for Linux C programs.
//!
//! A `cdylib` that exports `socket`, `socketpair`, `listen`, `accept`, `accept4` and
//! `paccept` (plus the write and descriptor calls that no-SIGPIPE needs) with C
//! signatures, over raw Linux system calls. See README.md for use and SPEC.md for the
//! clauses each export cites.
//!
//! Architecture, one concern per module:
//! - [`sys`]: the raw system-call layer (the only `asm!`, the only kernel ABI sizes);
//! - [`table`]: the sparse, lock-free no-SIGPIPE descriptor table;
//! - [`flags`]: pure argument translation (unit-tested without a kernel);
//! - [`policy`]: the personality and the policies, read once at load;
//! - [`process`]: vfork children, which must not change their parent's table;
//! - [`exec`]: the no-SIGPIPE state handed to the next program image;
//! - [`accept`], [`paccept`], [`nosigpipe`]: the semantics;
//! - [`exports`]: the thin `extern "C"` adapters that cite their clauses.

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
pub mod consts;
pub mod exec;
pub mod exports;
pub mod flags;
pub mod nosigpipe;
pub mod paccept;
pub mod policy;
pub mod process;
pub mod sys;
pub mod table;

pub use consts::*;

/// The constructor: policies, the process record, the state handed over by the previous
/// image, and glibc's own exec and write functions. Every export works before it ran (another
/// library's constructor may call them first): they see the defaults.
extern "C" fn init() {
    let secure = policy::load();
    process::init();
    exec::import(secure);
    let (execvpe, spawn, spawnp) = exports::own_exec_functions();
    exec::resolve(execvpe, spawn, spawnp);
    for (next, own) in exports::own_plain_functions() {
        next.get(own);
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static INIT: extern "C" fn() = init;
