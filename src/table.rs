//! The no-SIGPIPE descriptor table (SPEC.md "No-SIGPIPE state").
//!
//! One bit per descriptor number, in a three-level radix tree:
//!
//! ```text
//! fd (31 bits) = top (7 bits) | mid (9 bits) | leaf bit (15 bits)
//! top:  128 pointers, static (1 KiB of .bss, untouched until the first set)
//! mid:  512 pointers in one 4 KiB page, mapped on demand
//! leaf: 32768 bits in one 4 KiB page, mapped on demand
//! ```
//!
//! - Sparse and grown on demand: nothing is mapped before the first no-SIGPIPE
//!   descriptor, RLIMIT_NOFILE is never consulted, and every `int` descriptor number
//!   has a slot, so the shim never fails with EMFILE (LESSONS.md pitfall 7).
//! - Lock-free and async-signal-safe: pages come from raw `mmap` (never malloc), are
//!   installed with a compare-and-swap (the loser unmaps its page), and are never freed.
//!   Bits are set and cleared with atomic OR/AND. `fork` copies the pages with the rest
//!   of memory, so the child sees the parent's state. A vfork child, which shares the
//!   parent's memory, reads the table but never changes it ([`process::owns_table`],
//!   asked only when a bit would change).
//! - Reads are cheap for the write path: [`FdBitmap::get`] is one relaxed load of
//!   `any` while no descriptor was ever marked, and three dependent loads after.

use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};

use crate::process;
use crate::sys::{self, Errno, SysResult};

const LEAF_BITS: u32 = 15;
const MID_BITS: u32 = 9;
const TOP_LEN: usize = 1 << (31 - LEAF_BITS - MID_BITS);
const MID_LEN: usize = 1 << MID_BITS;
const LEAF_WORDS: usize = (1 << LEAF_BITS) / 64;
const PAGE: usize = 4096;

const _: () = assert!(core::mem::size_of::<Leaf>() == PAGE);
const _: () = assert!(core::mem::size_of::<Mid>() == PAGE);
const _: () = assert!(TOP_LEN == 128);

#[repr(C)]
struct Leaf([AtomicU64; LEAF_WORDS]);
#[repr(C)]
struct Mid([AtomicPtr<Leaf>; MID_LEN]);

/// Set once, when any table (of any type) gets its first entry: while it is false no
/// descriptor has state, so creating or closing one has nothing to record or forget
/// (the exports' fast paths, one load).
static EVER: AtomicBool = AtomicBool::new(false);

/// Has any descriptor ever had state in any table? (Once true, stays true.)
#[inline(always)]
pub fn ever() -> bool {
    EVER.load(Ordering::Relaxed)
}

/// A set of descriptor numbers.
pub struct FdBitmap {
    top: [AtomicPtr<Mid>; TOP_LEN],
    /// Set once, when the first bit is set; lets every lookup in a process that never
    /// used no-SIGPIPE stop after one load.
    any: AtomicBool,
}

/// Where descriptor `fd` lives: (top index, mid index, word index, bit mask).
/// `None` for negative descriptors, which never have state.
fn locate(fd: i32) -> Option<(usize, usize, usize, u64)> {
    let fd = u32::try_from(fd).ok()?;
    let top = (fd >> (LEAF_BITS + MID_BITS)) as usize;
    let mid = ((fd >> LEAF_BITS) as usize) & (MID_LEN - 1);
    let bit = fd & ((1 << LEAF_BITS) - 1);
    Some((top, mid, (bit / 64) as usize, 1u64 << (bit % 64)))
}

/// Returns the page in `slot`, mapping and installing a zeroed one if it is empty.
fn page_in<T>(slot: &AtomicPtr<T>) -> SysResult<&T> {
    let mut p = slot.load(Ordering::Acquire);
    if p.is_null() {
        let fresh = sys::mmap_zeroed(PAGE)?.cast::<T>();
        match slot.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => p = fresh,
            Err(winner) => {
                // SAFETY: `fresh` is our own mapping, never published.
                unsafe { sys::munmap(fresh.cast(), PAGE) };
                p = winner;
            }
        }
    }
    // SAFETY: a non-null slot holds a zero-initialised page of T (all-zero atomics are
    // valid) that is never unmapped.
    Ok(unsafe { &*p })
}

/// The page in `slot`, if one was ever installed.
fn page<T>(slot: &AtomicPtr<T>) -> Option<&T> {
    let p = slot.load(Ordering::Acquire);
    // SAFETY: as in `page_in`.
    (!p.is_null()).then(|| unsafe { &*p })
}

impl FdBitmap {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        FdBitmap {
            top: [const { AtomicPtr::new(ptr::null_mut()) }; TOP_LEN],
            any: AtomicBool::new(false),
        }
    }

    fn word(&self, fd: i32) -> Option<(&AtomicU64, u64)> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let (t, m, w, bit) = locate(fd)?;
        let mid = page(self.top.get(t)?)?;
        let leaf = page(mid.0.get(m)?)?;
        Some((leaf.0.get(w)?, bit))
    }

    /// Was any descriptor ever added? (Once true, stays true.)
    #[inline(always)]
    pub fn any(&self) -> bool {
        self.any.load(Ordering::Relaxed)
    }

    /// Is `fd` in the set?
    #[inline]
    pub fn get(&self, fd: i32) -> bool {
        self.word(fd)
            .is_some_and(|(w, bit)| w.load(Ordering::Relaxed) & bit != 0)
    }

    /// Adds or removes `fd`. Adding may map up to two pages (ENOMEM if that fails);
    /// removing never allocates. Negative descriptors are ignored, and so is a change
    /// asked for by a vfork child.
    pub fn set(&self, fd: i32, on: bool) -> SysResult<()> {
        if !on {
            self.clear(fd);
            return Ok(());
        }
        let Some((t, m, w, bit)) = locate(fd) else {
            return Ok(());
        };
        if self.get(fd) || !process::owns_table() {
            return Ok(());
        }
        let mid = page_in(self.top.get(t).ok_or(Errno(libc::EBADF))?)?;
        let leaf = page_in(mid.0.get(m).ok_or(Errno(libc::EBADF))?)?;
        self.any.store(true, Ordering::Relaxed);
        EVER.store(true, Ordering::Relaxed);
        if let Some(word) = leaf.0.get(w) {
            word.fetch_or(bit, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Removes `fd` (never allocates).
    #[inline]
    pub fn clear(&self, fd: i32) {
        if let Some((w, bit)) = self.word(fd)
            && w.load(Ordering::Relaxed) & bit != 0
            && process::owns_table()
        {
            w.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// Gives `to` the state of `from` (dup and friends). Always writes `to`, so a
    /// stale bit left by a close the shim did not see is reset.
    pub fn copy(&self, from: i32, to: i32) -> SysResult<()> {
        self.set(to, self.get(from))
    }

    /// Removes every descriptor in `first..=last` (close_range). Only mapped pages are
    /// visited, a word at a time.
    pub fn clear_range(&self, first: u32, last: u32) {
        if !self.any.load(Ordering::Relaxed) || first > i32::MAX as u32 || !process::owns_table() {
            return;
        }
        let last = last.min(i32::MAX as u32);
        self.for_each_word(first, last, |_, word, mask| {
            word.fetch_and(!mask, Ordering::Relaxed);
        });
    }

    /// Calls `f` with every descriptor in the set, in increasing order.
    pub fn for_each(&self, mut f: impl FnMut(i32)) {
        if !self.any.load(Ordering::Relaxed) {
            return;
        }
        self.for_each_word(0, i32::MAX as u32, |base, word, mask| {
            let mut bits = word.load(Ordering::Relaxed) & mask;
            while bits != 0 {
                f((base + bits.trailing_zeros()) as i32);
                bits &= bits - 1;
            }
        });
    }

    /// Visits the words covering `first..=last` in mapped leaves: `f(first descriptor of
    /// the word, word, mask of its bits inside the range)`.
    fn for_each_word(&self, first: u32, last: u32, mut f: impl FnMut(u32, &AtomicU64, u64)) {
        const LEAF_SPAN: u32 = 1 << LEAF_BITS;
        const MID_SPAN: u32 = 1 << (LEAF_BITS + MID_BITS);
        let mut leaf_start = first & !(LEAF_SPAN - 1);
        while leaf_start <= last {
            let (t, m) = (
                (leaf_start >> (LEAF_BITS + MID_BITS)) as usize,
                ((leaf_start >> LEAF_BITS) as usize) & (MID_LEN - 1),
            );
            let Some(mid) = self.top.get(t).and_then(page) else {
                // Nothing mapped under this top entry: skip its 2^24 descriptors at once.
                match (leaf_start | (MID_SPAN - 1)).checked_add(1) {
                    Some(next) => {
                        leaf_start = next;
                        continue;
                    }
                    None => break,
                }
            };
            if let Some(leaf) = mid.0.get(m).and_then(page) {
                let lo = first.max(leaf_start) - leaf_start;
                let hi = last.min(leaf_start + (LEAF_SPAN - 1)) - leaf_start;
                for w in (lo / 64)..=(hi / 64) {
                    let from = if w == lo / 64 { lo % 64 } else { 0 };
                    let to = if w == hi / 64 { hi % 64 } else { 63 };
                    let mask = (u64::MAX >> (63 - to)) & (u64::MAX << from);
                    if let Some(word) = leaf.0.get(w as usize) {
                        f(leaf_start + w * 64, word, mask);
                    }
                }
            }
            match leaf_start.checked_add(LEAF_SPAN) {
                Some(next) => leaf_start = next,
                None => break,
            }
        }
    }

    /// Bytes of pages mapped so far (for tests and the scale benchmark).
    pub fn mapped_bytes(&self) -> usize {
        self.top
            .iter()
            .filter_map(page)
            .map(|mid| PAGE + mid.0.iter().filter_map(page).count() * PAGE)
            .sum()
    }
}

/// Two words per descriptor number, (0, 0) for none. [`FILES`] keeps in it the identity
/// (device, inode) of each no-SIGPIPE descriptor that is not a socket: a pipe, a FIFO,
/// any file (SPEC.md "Any descriptor, as on NetBSD").
///
/// A write to such a descriptor cannot carry MSG_NOSIGNAL, so the shim blocks SIGPIPE
/// around it and takes back the one the call raised; the identity tells, when the call
/// fails with EPIPE, whether the number still names the file that asked for it or was
/// closed behind the shim's back and reused (then nothing is taken back). Sockets never
/// have an entry. Same shape as [`FdBitmap`], 16 bytes a slot:
///
/// ```text
/// fd (31 bits) = top (5 bits, static) | dir (9) | dir (9) | leaf slot (8: 256 x 16 bytes)
/// ```
pub struct FileIds {
    top: [AtomicPtr<IdDir>; ID_TOP_LEN],
    any: AtomicBool,
}

const ID_LEAF_BITS: u32 = 8;
const ID_DIR_BITS: u32 = 9;
const ID_TOP_LEN: usize = 1 << (31 - ID_LEAF_BITS - 2 * ID_DIR_BITS);
const ID_DIR_LEN: usize = 1 << ID_DIR_BITS;
const ID_LEAF_LEN: usize = 1 << ID_LEAF_BITS;

#[repr(C)]
struct IdDir([AtomicPtr<IdMid>; ID_DIR_LEN]);
#[repr(C)]
struct IdMid([AtomicPtr<IdLeaf>; ID_DIR_LEN]);
#[repr(C)]
struct IdLeaf([[AtomicU64; 2]; ID_LEAF_LEN]);

const _: () = assert!(core::mem::size_of::<IdDir>() == PAGE);
const _: () = assert!(core::mem::size_of::<IdMid>() == PAGE);
const _: () = assert!(core::mem::size_of::<IdLeaf>() == PAGE);
const _: () = assert!(ID_TOP_LEN == 32);

/// Where `fd` lives in a [`FileIds`]: (top, dir, mid, slot). `None` for negative numbers.
fn id_locate(fd: i32) -> Option<(usize, usize, usize, usize)> {
    let fd = u32::try_from(fd).ok()? as usize;
    let mask = ID_DIR_LEN - 1;
    Some((
        fd >> (ID_LEAF_BITS + 2 * ID_DIR_BITS),
        (fd >> (ID_LEAF_BITS + ID_DIR_BITS)) & mask,
        (fd >> ID_LEAF_BITS) & mask,
        fd & (ID_LEAF_LEN - 1),
    ))
}

impl FileIds {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        FileIds {
            top: [const { AtomicPtr::new(ptr::null_mut()) }; ID_TOP_LEN],
            any: AtomicBool::new(false),
        }
    }

    fn slot(&self, fd: i32) -> Option<&[AtomicU64; 2]> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let (t, d, m, i) = id_locate(fd)?;
        let dir = page(self.top.get(t)?)?;
        let mid = page(dir.0.get(d)?)?;
        page(mid.0.get(m)?)?.0.get(i)
    }

    /// Was any entry ever recorded? (Once true, stays true.)
    #[inline(always)]
    pub fn any(&self) -> bool {
        self.any.load(Ordering::Relaxed)
    }

    /// The identity recorded for `fd`, if any.
    pub fn get(&self, fd: i32) -> Option<(u64, u64)> {
        let s = self.slot(fd)?;
        let id = (s[0].load(Ordering::Relaxed), s[1].load(Ordering::Relaxed));
        (id != (0, 0)).then_some(id)
    }

    /// Records `id` for `fd` (may map up to three pages: ENOMEM if that fails). A vfork
    /// child changes nothing; negative numbers are ignored.
    pub fn set(&self, fd: i32, id: (u64, u64)) -> SysResult<()> {
        let Some((t, d, m, i)) = id_locate(fd) else {
            return Ok(());
        };
        if !process::owns_table() {
            return Ok(());
        }
        let dir = page_in(self.top.get(t).ok_or(Errno(libc::EBADF))?)?;
        let mid = page_in(dir.0.get(d).ok_or(Errno(libc::EBADF))?)?;
        let leaf = page_in(mid.0.get(m).ok_or(Errno(libc::EBADF))?)?;
        self.any.store(true, Ordering::Relaxed);
        EVER.store(true, Ordering::Relaxed);
        if let Some(s) = leaf.0.get(i) {
            s[0].store(id.0, Ordering::Relaxed);
            s[1].store(id.1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Forgets `fd` (never allocates).
    #[inline]
    pub fn clear(&self, fd: i32) {
        if let Some(s) = self.slot(fd)
            && (s[0].load(Ordering::Relaxed), s[1].load(Ordering::Relaxed)) != (0, 0)
            && process::owns_table()
        {
            s[0].store(0, Ordering::Relaxed);
            s[1].store(0, Ordering::Relaxed);
        }
    }

    /// Gives `to` the entry of `from` (dup and friends), clearing it when `from` has none.
    pub fn copy(&self, from: i32, to: i32) -> SysResult<()> {
        match self.get(from) {
            Some(id) => self.set(to, id),
            None => {
                self.clear(to);
                Ok(())
            }
        }
    }

    /// Forgets every descriptor in `first..=last` (close_range), visiting mapped pages only.
    pub fn clear_range(&self, first: u32, last: u32) {
        if !self.any.load(Ordering::Relaxed) || first > i32::MAX as u32 || !process::owns_table() {
            return;
        }
        let last = last.min(i32::MAX as u32) as usize;
        let first = first as usize;
        const LEAF_SPAN: usize = ID_LEAF_LEN;
        const MID_SPAN: usize = LEAF_SPAN * ID_DIR_LEN;
        const DIR_SPAN: usize = MID_SPAN * ID_DIR_LEN;
        for (t, slot) in self.top.iter().enumerate() {
            let base = t * DIR_SPAN;
            let Some(dir) = (base <= last && base + DIR_SPAN > first)
                .then(|| page(slot))
                .flatten()
            else {
                continue;
            };
            for (d, slot) in dir.0.iter().enumerate() {
                let base = base + d * MID_SPAN;
                let Some(mid) = (base <= last && base + MID_SPAN > first)
                    .then(|| page(slot))
                    .flatten()
                else {
                    continue;
                };
                for (m, slot) in mid.0.iter().enumerate() {
                    let base = base + m * LEAF_SPAN;
                    let Some(leaf) = (base <= last && base + LEAF_SPAN > first)
                        .then(|| page(slot))
                        .flatten()
                    else {
                        continue;
                    };
                    for (i, s) in leaf.0.iter().enumerate() {
                        if (first..=last).contains(&(base + i)) {
                            s[0].store(0, Ordering::Relaxed);
                            s[1].store(0, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }

    /// Bytes of pages mapped so far (for tests).
    pub fn mapped_bytes(&self) -> usize {
        self.top
            .iter()
            .filter_map(page)
            .map(|dir| {
                PAGE + dir
                    .0
                    .iter()
                    .filter_map(page)
                    .map(|mid| PAGE + mid.0.iter().filter_map(page).count() * PAGE)
                    .sum::<usize>()
            })
            .sum()
    }
}

/// The process's no-SIGPIPE descriptors.
pub static NOSIGPIPE: FdBitmap = FdBitmap::new();

/// Descriptors that may share an open file with another one (the source or the result
/// of a dup): the only ones a F_SETNOSIGPIPE must look at besides its own. Kept from
/// the first F_SETNOSIGPIPE or SO_NOSIGPIPE on (`nosigpipe::may_share`).
pub static ALIASED: FdBitmap = FdBitmap::new();

/// The no-SIGPIPE descriptors that are not sockets, with their identity.
pub static FILES: FileIds = FileIds::new();

/// For each ALIASED descriptor, the identity (device, inode) of its file when the shim
/// saw it copied (or found it shared by the first scan): written before the ALIASED bit
/// is set, read only where the bit is set (`nosigpipe::may_share`). F_SETNOSIGPIPE asks
/// the kernel only about the numbers recorded on its own file.
pub static OPEN_FILE: FileIds = FileIds::new();

/// Sockets that listen() put in the listening state (kept in the NetBSD personality
/// only, to tell a shut-down listener from a socket that never listened).
pub static LISTENER: FdBitmap = FdBitmap::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_maps_nothing_and_answers_false() {
        let t = FdBitmap::new();
        assert!(!t.get(0));
        assert!(!t.get(i32::MAX));
        assert!(!t.get(-1));
        t.set(7, false).unwrap();
        assert_eq!(t.mapped_bytes(), 0, "clearing must not allocate");
    }

    #[test]
    fn set_get_clear_at_the_edges() {
        let t = FdBitmap::new();
        let edges = [0, 1, 63, 64, 32767, 32768, (1 << 24) - 1, 1 << 24, i32::MAX];
        let never = [2, 62, 65, 32766, 32769, (1 << 24) + 1, i32::MAX - 1];
        for fd in edges {
            assert!(!t.get(fd));
            t.set(fd, true).unwrap();
        }
        assert!(edges.iter().all(|&fd| t.get(fd)));
        assert!(never.iter().all(|&fd| !t.get(fd)));
        for fd in [0, 63, i32::MAX] {
            t.set(fd, false).unwrap();
            assert!(!t.get(fd));
        }
        assert!(t.get(1) && t.get(64));
    }

    #[test]
    fn negative_descriptors_never_hold_state() {
        let t = FdBitmap::new();
        t.set(-5, true).unwrap();
        assert!(!t.get(-5));
        assert_eq!(t.mapped_bytes(), 0);
    }

    #[test]
    fn copy_sets_and_resets() {
        let t = FdBitmap::new();
        t.set(3, true).unwrap();
        t.copy(3, 9).unwrap();
        assert!(t.get(9));
        t.copy(4, 9).unwrap();
        assert!(!t.get(9), "copying a clear descriptor clears the target");
    }

    #[test]
    fn memory_is_sparse() {
        let t = FdBitmap::new();
        t.set(5, true).unwrap();
        assert_eq!(t.mapped_bytes(), 2 * PAGE);
        // 10,000 descriptors spread over 2^20: 32 leaves + 1 mid.
        for i in 0..10_000 {
            t.set(i * 104, true).unwrap();
        }
        assert_eq!(t.mapped_bytes(), 33 * PAGE);
        // A descriptor near 2^30 adds one mid and one leaf, not a dense table.
        t.set(1 << 30, true).unwrap();
        assert_eq!(t.mapped_bytes(), 35 * PAGE);
    }

    #[test]
    fn clear_range_and_iteration() {
        let t = FdBitmap::new();
        let fds = [
            3,
            4,
            63,
            64,
            65,
            127,
            128,
            32767,
            32768,
            40000,
            1 << 24,
            i32::MAX,
        ];
        for fd in fds {
            t.set(fd, true).unwrap();
        }
        let mut seen = Vec::new();
        t.for_each(|fd| seen.push(fd));
        assert_eq!(seen, fds);
        t.clear_range(64, 32768);
        let mut seen = Vec::new();
        t.for_each(|fd| seen.push(fd));
        assert_eq!(seen, [3, 4, 63, 40000, 1 << 24, i32::MAX]);
        t.clear_range(4, 4);
        assert!(t.get(3) && !t.get(4));
        t.clear_range(1 << 20, u32::MAX);
        let mut seen = Vec::new();
        t.for_each(|fd| seen.push(fd));
        assert_eq!(seen, [3, 63, 40000]);
        t.clear_range(5, 2); // empty range
        assert!(t.get(40000));
    }

    #[test]
    fn file_ids_are_sparse_and_exact() {
        let t = FileIds::new();
        assert_eq!(t.get(3), None);
        t.clear(3);
        assert_eq!(t.mapped_bytes(), 0, "clearing must not allocate");
        let fds = [0, 3, 255, 256, 1 << 17, (1 << 17) + 1, 1 << 26, i32::MAX];
        for (k, fd) in fds.into_iter().enumerate() {
            t.set(fd, (k as u64 + 1, 100 + k as u64)).unwrap();
        }
        for (k, fd) in fds.into_iter().enumerate() {
            assert_eq!(t.get(fd), Some((k as u64 + 1, 100 + k as u64)), "fd {fd}");
        }
        assert_eq!(t.get(4), None);
        assert_eq!(t.get(-1), None);
        // Directories: under top 0, 1 (1 << 26) and 31 (i32::MAX). Mids: two under the
        // first (0..=256 and 1 << 17), one each under the others. Leaves: two for 0..=256
        // (255 and 256 straddle a leaf), one for each of the other mids.
        assert_eq!(t.mapped_bytes(), (3 + 4 + 5) * PAGE);
        t.copy(3, 9).unwrap();
        assert_eq!(t.get(9), t.get(3));
        t.copy(4, 9).unwrap();
        assert_eq!(t.get(9), None);
        t.clear_range(200, 1 << 17);
        assert_eq!(t.get(255), None);
        assert_eq!(t.get(256), None);
        assert_eq!(t.get(1 << 17), None);
        assert_eq!(t.get((1 << 17) + 1), Some((6, 105)));
        assert_eq!(t.get(3), Some((2, 101)));
        t.clear_range(1 << 20, u32::MAX);
        assert_eq!(t.get(1 << 26), None);
        assert_eq!(t.get(i32::MAX), None);
        assert_eq!(t.get(0), Some((1, 100)));
    }

    #[test]
    fn concurrent_setters_share_pages_and_lose_no_bits() {
        static T: FdBitmap = FdBitmap::new();
        // Miri checks every interleaving it runs for data races: fewer bits, same pages.
        const PER_THREAD: i32 = if cfg!(miri) { 128 } else { 4096 };
        let threads: Vec<_> = (0..8)
            .map(|k| {
                std::thread::spawn(move || {
                    for i in 0..PER_THREAD {
                        T.set(i * 8 + k, true).unwrap();
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        assert!((0..PER_THREAD * 8).all(|fd| T.get(fd)));
        assert_eq!(T.mapped_bytes(), 2 * PAGE);
    }
}
