//! Miri harness: sockshim's pure modules under the interpreter (see Cargo.toml).
#![allow(dead_code)]

#[path = "../../../src/consts.rs"]
pub mod consts;
#[path = "../../../src/flags.rs"]
pub mod flags;
#[path = "../../../src/table.rs"]
pub mod table;

/// The one type flags.rs takes from policy.rs (which also holds the ELF constructor).
pub mod policy {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Personality {
        Linux,
        NetBsd,
    }
}

/// What table.rs needs from process.rs (vfork children leave the table alone): here
/// there is no vfork, so this process always owns its table.
pub mod process {
    #[inline(always)]
    pub fn owns_table() -> bool {
        true
    }
}

/// What table.rs needs from sys.rs, without system calls.
pub mod sys {
    use core::ffi::{c_int, c_void};
    use std::alloc::Layout;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Errno(pub c_int);
    pub type SysResult<T> = Result<T, Errno>;

    /// An anonymous zeroed mapping: here a page-aligned zeroed allocation.
    pub fn mmap_zeroed(len: usize) -> SysResult<*mut c_void> {
        let layout = Layout::from_size_align(len, 4096).map_err(|_| Errno(libc::EINVAL))?;
        // SAFETY: a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        if p.is_null() { Err(Errno(libc::ENOMEM)) } else { Ok(p.cast()) }
    }

    /// # Safety
    /// `p` came from `mmap_zeroed(len)` and is not used again.
    pub unsafe fn munmap(p: *mut c_void, len: usize) {
        // SAFETY: as allocated above.
        unsafe { std::alloc::dealloc(p.cast(), Layout::from_size_align_unchecked(len, 4096)) }
    }
}

#[cfg(test)]
mod concurrency {
    use crate::table::FdBitmap;
    use std::thread;

    /// Threads own interleaved descriptors in the same 64-bit words and pages: they set,
    /// clear, copy and clear_range (their own singletons) while the others do the same.
    /// No bit of another thread may change; Miri's data-race detector watches the
    /// page installation (compare-and-swap, loser unmaps) and every atomic access.
    #[test]
    fn neighbours_in_one_word_never_disturb_each_other() {
        static T: FdBitmap = FdBitmap::new();
        const N: i32 = 4;
        const OPS: i32 = 24;
        let threads: Vec<_> = (0..N)
            .map(|k| {
                thread::spawn(move || {
                    for i in 0..OPS {
                        let fd = k + N * (i % 16);
                        T.set(fd, true).unwrap();
                        assert!(T.get(fd));
                        if i % 3 == 0 {
                            T.clear_range(fd as u32, fd as u32);
                            assert!(!T.get(fd));
                        } else if i % 3 == 1 {
                            T.copy(fd, fd + 1024 * (k + 1)).unwrap(); // same page, other words
                            assert!(T.get(fd + 1024 * (k + 1)));
                        }
                        // (for_each walks all 65,536 leaf slots: too slow for Miri in a loop)
                    }
                    // end state: own bits 0..16 set, except those last cleared
                    for i in 0..16 {
                        T.set(k + N * i, true).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for fd in 0..(N * 16) {
            assert!(T.get(fd), "bit {fd} lost");
        }
        let mut seen = 0;
        T.for_each(|fd| seen += (fd < N * 16) as i32);
        assert_eq!(seen, N * 16);
    }
}
