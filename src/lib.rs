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
//! - [`policy`]: the personality, read once at load;
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
pub mod exports;
pub mod flags;
pub mod nosigpipe;
pub mod paccept;
pub mod policy;
pub mod sys;
pub mod table;

pub use consts::*;
