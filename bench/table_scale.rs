//! The descriptor tables at 2^20: 10,000 descriptor numbers spread over 0..2^20 with
//! the library's own code (the code the exports use), and the bytes mapped for them
//! (`FdBitmap::mapped_bytes`). Needs no descriptors at those numbers, so no
//! RLIMIT_NOFILE. A module of the library's unit tests (src/lib.rs), ignored by
//! `cargo test`: bench/run.sh builds the test binary and bench/bench.py runs this one.
//!
//! Three phases, in the order a program would meet them:
//! 1. the dups that spread the sockets (`may_share`, what the shim's dup2 records),
//!    before the process's first F_SETNOSIGPIPE: the alias table is not kept yet;
//! 2. the 10,000 numbers made no-SIGPIPE;
//! 3. the same dups again after a first F_SETNOSIGPIPE (on a socket of this program),
//!    when the alias table is kept: a second bitmap, and the identity of each copy
//!    (OPEN_FILE, 16 bytes a number in pages of 256 numbers).
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use crate::nosigpipe;
use crate::table::{ALIASED, NOSIGPIPE, OPEN_FILE};

/// Prints one JSON line (on a line of its own: the harness prints the test's name first).
#[test]
#[ignore = "a benchmark: make bench runs it"]
fn table_scale() {
    const N: i32 = 10_000;
    let spread = ((1 << 20) - 200) / N;
    let numbers = || (0..N).map(|i| 100 + i * spread);
    let before = NOSIGPIPE.mapped_bytes() + ALIASED.mapped_bytes() + OPEN_FILE.mapped_bytes();
    for fd in numbers() {
        let _ = nosigpipe::may_share(3, fd);
    }
    let aliased_untracked = ALIASED.mapped_bytes();
    for fd in numbers() {
        let _ = NOSIGPIPE.set(fd, true);
    }
    let nosigpipe = NOSIGPIPE.mapped_bytes();
    let (s, _peer) = UnixStream::pair().expect("socketpair");
    let first_set = nosigpipe::set(s.as_raw_fd(), true).is_ok();
    for fd in numbers() {
        let _ = nosigpipe::may_share(3, fd);
    }
    let aliased_tracked = ALIASED.mapped_bytes() + OPEN_FILE.mapped_bytes();
    println!(
        "\n{{\"range\":{},\"numbers\":{},\"max_fd\":{},\"bytes_before\":{},\"nosigpipe_bytes\":{},\
         \"aliased_bytes\":{},\"first_set_ok\":{},\"aliased_bytes_after_first_set\":{}}}",
        1 << 20,
        N,
        100 + (N - 1) * spread,
        before,
        nosigpipe,
        aliased_untracked,
        first_set,
        aliased_tracked
    );
}
