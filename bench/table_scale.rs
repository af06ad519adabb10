//! The descriptor table at 2^20: 10,000 descriptor numbers spread over 0..2^20, set
//! in the library's own tables (the code the exports use), and the bytes mapped for
//! them (`FdBitmap::mapped_bytes`). Needs no descriptors, so no RLIMIT_NOFILE.
//! Built by bench/run.sh with rustc against target/release/libsockshim.rlib.
use sockshim::table::{ALIASED, NOSIGPIPE};

fn main() {
    const N: i32 = 10_000;
    let spread = ((1 << 20) - 200) / N;
    let before = NOSIGPIPE.mapped_bytes() + ALIASED.mapped_bytes();
    for i in 0..N {
        // What the shim's dup2 records: the target is an alias.
        let _ = ALIASED.set(100 + i * spread, true);
    }
    let aliased = ALIASED.mapped_bytes();
    for i in 0..N {
        let _ = NOSIGPIPE.set(100 + i * spread, true);
    }
    let nosigpipe = NOSIGPIPE.mapped_bytes();
    println!(
        "{{\"range\":{},\"numbers\":{},\"max_fd\":{},\"bytes_before\":{},\"nosigpipe_bytes\":{},\"aliased_bytes\":{}}}",
        1 << 20,
        N,
        100 + (N - 1) * spread,
        before,
        nosigpipe,
        aliased
    );
}
