//! No-SIGPIPE across exec (SPEC.md "No-SIGPIPE state": "Across exec it should survive
//! for descriptors that stay open").
//!
//! The table dies with the process image, so the exec family hands it to the next one
//! in the environment: when some descriptor that stays open (no FD_CLOEXEC) is
//! no-SIGPIPE (a socket, a pipe, any file), the new program's environment gets
//!
//! ```text
//! SOCKSHIM_NOSIGPIPE_FDS=<fd>.<inode>,<fd>.<inode>,...
//! ```
//!
//! and the library's constructor in the new image ([`import`]) marks each listed
//! descriptor that is still the same file (same inode), then removes the variable
//! from the environment. Descriptors 0 to 2 are also matched by inode, so a socket or pipe that
//! a vfork child or posix_spawn's file actions moved onto standard input or output
//! keeps its state. A process with no no-SIGPIPE socket passes its environment through
//! untouched, so the exec family costs nothing unless the feature is in use.
//!
//! Interposed: execve, execv, execvp, execvpe, fexecve, execveat, posix_spawn,
//! posix_spawnp, and execl, execle and execlp (through a small assembly trampoline in
//! [`crate::arch`], on x86_64 and aarch64: stable Rust cannot define C-variadic
//! functions; on another architecture those three stay the C library's and the state
//! is not passed). glibc's system() and popen() spawn through
//! internal calls that no preloaded library sees (docs/design.md, "Known limits").
//!
//! The new environment is built in an anonymous mapping (no malloc: execve is
//! async-signal-safe) and unmapped if the exec fails. execvpe, posix_spawn and
//! posix_spawnp keep glibc's own implementation, found with dlsym(RTLD_NEXT) by the
//! constructor (or on first use before it ran), and receive the new environment.

use core::ffi::{CStr, c_char, c_int, c_void};

use crate::nosigpipe;
use crate::process;
use crate::sys::{self, Errno, Next, SysResult};
use crate::table::NOSIGPIPE;

const VAR: &[u8] = b"SOCKSHIM_NOSIGPIPE_FDS=";

unsafe extern "C" {
    static mut environ: *const *const c_char;
}

/// The calling process's environment.
pub fn environment() -> *const *const c_char {
    // SAFETY: reads the pointer (not through a reference); the C library owns it.
    unsafe { (&raw const environ).read() }
}

// ---------------------------------------------------------------------------------
// Exporting the state

/// Writes the decimal digits of `v` at `out`, returns how many.
fn put_decimal(out: &mut [u8], mut v: u64) -> usize {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        if let Some(d) = digits.get_mut(n) {
            *d = b'0' + (v % 10) as u8;
        }
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for i in 0..n {
        if let (Some(o), Some(&d)) = (out.get_mut(i), digits.get(n - 1 - i)) {
            *o = d;
        }
    }
    n
}

/// A no-SIGPIPE descriptor that an exec keeps open: its inode.
fn survives_exec(fd: c_int) -> Option<u64> {
    let fdflags = sys::fcntl(fd, libc::F_GETFD, 0).ok()?;
    if fdflags & libc::FD_CLOEXEC != 0 {
        return None;
    }
    sys::file_id(fd).ok().map(|(_, ino)| ino)
}

/// At most this many bytes per entry: a descriptor (10 digits), '.', an inode (20), ','.
const ENTRY_MAX: usize = 32;

/// The kernel's limit on one environment string (MAX_ARG_STRLEN, 32 pages): a longer
/// variable would make the exec itself fail with E2BIG, so entries beyond it are
/// dropped (their state is lost, the exec is not).
const VALUE_MAX: usize = 32 * 4096 - 1;

/// The number of entries of the caller's environment vector, read through the kernel
/// (a bad pointer is EFAULT for the exec to report, never a crash here).
fn vector_len(envp: *const *const c_char) -> Option<usize> {
    if envp.is_null() {
        return Some(0);
    }
    let mut chunk = [0usize; 64];
    let mut n = 0;
    loop {
        // SAFETY: `chunk` is 512 bytes of ours.
        let bytes = unsafe {
            sys::read_own_memory(envp.wrapping_add(n).cast(), chunk.as_mut_ptr().cast(), 512)
        }
        .ok()
        .filter(|&b| b >= 8)?;
        let got = chunk.get(..bytes / 8)?;
        match got.iter().position(|&p| p == 0) {
            Some(i) => return Some(n + i),
            None => n += got.len(),
        }
    }
}

/// The environment the exec family passes on: the variable first (getenv finds the
/// first of two, and the next image's unsetenv removes every copy), then `envp`, in a
/// fresh mapping. None when no descriptor needs it, in a vfork child (its descriptors
/// may no longer be the ones the shared table describes), or when it cannot be built:
/// then the state is lost, the exec is not.
struct Environment {
    map: *mut c_void,
    len: usize,
}

impl Environment {
    fn with_state(envp: *const *const c_char) -> Option<Environment> {
        if !process::owns_table() {
            return None;
        }
        let mut count = 0usize;
        NOSIGPIPE.for_each(|fd| count += usize::from(survives_exec(fd).is_some()));
        if count == 0 {
            return None;
        }
        let n = vector_len(envp)?;
        let pointers = (n + 2) * core::mem::size_of::<*const c_char>();
        let text_len = (VAR.len() + count * ENTRY_MAX).min(VALUE_MAX) + 1;
        let len = pointers + text_len;
        let map = sys::mmap_zeroed(len).ok()?;
        let env = Environment { map, len };
        // SAFETY: `len` fresh zeroed bytes of ours, page-aligned.
        let bytes = unsafe { core::slice::from_raw_parts_mut(map.cast::<u8>(), len) };
        let (vec_bytes, text) = bytes.split_at_mut(pointers);
        // The caller's entries go after ours (slot 0); the last slot stays NULL.
        if n > 0 {
            let dst = vec_bytes.get_mut(8..8 + n * 8)?;
            // SAFETY: `dst` is `n * 8` bytes of our mapping.
            let copied =
                unsafe { sys::read_own_memory(envp.cast(), dst.as_mut_ptr().cast(), n * 8) }
                    .ok()?;
            if copied != n * 8 {
                return None;
            }
        }
        let mut at = 0;
        for &b in VAR {
            *text.get_mut(at)? = b;
            at += 1;
        }
        let start = at;
        NOSIGPIPE.for_each(|fd| {
            // Room for a full entry and the final NUL (the set can grow between passes).
            if at + ENTRY_MAX >= text.len() {
                return;
            }
            if let (Some(ino), Some(rest)) = (survives_exec(fd), text.get_mut(at..)) {
                let mut k = 0;
                if at != start
                    && let Some(comma) = rest.first_mut()
                {
                    *comma = b',';
                    k = 1;
                }
                k += put_decimal(rest.get_mut(k..).unwrap_or_default(), fd as u64);
                if let Some(dot) = rest.get_mut(k) {
                    *dot = b'.';
                }
                k += 1;
                k += put_decimal(rest.get_mut(k..).unwrap_or_default(), ino);
                at += k;
            }
        });
        if at == start {
            return None;
        }
        let var = text.as_ptr() as usize;
        vec_bytes.get_mut(..8)?.copy_from_slice(&var.to_ne_bytes());
        Some(env)
    }

    fn envp(&self) -> *const *const c_char {
        self.map.cast()
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        // SAFETY: our own mapping, no longer used (the exec failed or is done).
        unsafe { sys::munmap(self.map, self.len) };
    }
}

/// Calls `f` with the environment to pass on: `envp` itself, or a copy with the state.
/// `envp` is only read through the kernel, so any pointer is fine: a bad one is the
/// exec's EFAULT.
pub fn with_state<R>(envp: *const *const c_char, f: impl FnOnce(*const *const c_char) -> R) -> R {
    match Environment::with_state(envp) {
        Some(env) => f(env.envp()),
        None => f(envp),
    }
}

// ---------------------------------------------------------------------------------
// Importing it

/// Parses `<fd>.<inode>` entries separated by commas; stops at the first malformed one.
pub fn entries(mut s: &[u8]) -> impl Iterator<Item = (c_int, u64)> + '_ {
    core::iter::from_fn(move || {
        if s.is_empty() {
            return None;
        }
        let (entry, rest) = match s.iter().position(|&b| b == b',') {
            Some(i) => (s.get(..i)?, s.get(i + 1..)?),
            None => (s, &[][..]),
        };
        s = rest;
        let dot = entry.iter().position(|&b| b == b'.')?;
        let fd = parse_decimal(entry.get(..dot)?)?;
        let ino = parse_decimal(entry.get(dot + 1..)?)?;
        Some((c_int::try_from(fd).ok()?, ino))
    })
}

fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    s.iter().try_fold(0u64, |v, &b| {
        b.is_ascii_digit()
            .then_some(())
            .and_then(|()| v.checked_mul(10)?.checked_add(u64::from(b - b'0')))
    })
}

/// From the constructor: marks the descriptors the previous image handed over.
/// Secure-execution processes take nothing from the environment.
pub fn import(secure: bool) {
    let name = c"SOCKSHIM_NOSIGPIPE_FDS";
    // SAFETY: getenv from the constructor, before main, with a valid name.
    let p = unsafe { libc::getenv(name.as_ptr()) };
    if p.is_null() {
        return;
    }
    if !secure {
        // SAFETY: a non-null getenv result is a NUL-terminated string.
        let value = unsafe { CStr::from_ptr(p) }.to_bytes();
        for (fd, ino) in entries(value) {
            if let Ok(f) = sys::file_info(fd)
                && f.id.1 == ino
            {
                nosigpipe::handed_over(fd, f);
            }
        }
        for fd in 0..=2 {
            if let Ok(f) = sys::file_info(fd)
                && entries(value).any(|(_, i)| i == f.id.1)
            {
                nosigpipe::handed_over(fd, f);
            }
        }
    }
    // The variable was for this library, not for the program.
    // SAFETY: before main, single-threaded; unsetenv only rearranges environ.
    unsafe { libc::unsetenv(name.as_ptr()) };
}

// ---------------------------------------------------------------------------------
// glibc's own execvpe, posix_spawn and posix_spawnp

pub static NEXT_EXECVPE: Next = Next::new(c"execvpe");
pub static NEXT_POSIX_SPAWN: Next = Next::new(c"posix_spawn");
pub static NEXT_POSIX_SPAWNP: Next = Next::new(c"posix_spawnp");

pub type ExecvpeFn =
    unsafe extern "C" fn(*const c_char, *const *const c_char, *const *const c_char) -> c_int;
pub type PosixSpawnFn = unsafe extern "C" fn(
    *mut libc::pid_t,
    *const c_char,
    *const libc::posix_spawn_file_actions_t,
    *const libc::posix_spawnattr_t,
    *const *const c_char,
    *const *const c_char,
) -> c_int;

/// execvpe through glibc's path search, with the state in the environment.
///
/// # Safety
/// As execvpe(3).
pub unsafe fn execvpe(
    file: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
    own: usize,
) -> SysResult<()> {
    let next = NEXT_EXECVPE.get(own);
    if next == 0 {
        return Err(Errno(libc::ENOSYS));
    }
    // SAFETY: a non-zero address dlsym gave for "execvpe", which has this type.
    let next: ExecvpeFn = unsafe { core::mem::transmute::<usize, ExecvpeFn>(next) };
    // SAFETY: forwarded contract; glibc's execvpe sets errno itself and returns only
    // on failure.
    unsafe { with_state(envp, |e| next(file, argv, e)) };
    // SAFETY: the calling thread's errno, as glibc left it.
    Err(Errno(unsafe { *libc::__errno_location() }))
}

/// posix_spawn/posix_spawnp through glibc, with the state in the environment.
///
/// # Safety
/// As posix_spawn(3).
#[allow(clippy::too_many_arguments)] // posix_spawn's six, and which one to call
pub unsafe fn posix_spawn(
    next: &Next,
    own: usize,
    pid: *mut libc::pid_t,
    path: *const c_char,
    actions: *const libc::posix_spawn_file_actions_t,
    attr: *const libc::posix_spawnattr_t,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    let next = next.get(own);
    if next == 0 {
        return libc::ENOSYS;
    }
    // SAFETY: a non-zero address dlsym gave for posix_spawn(p), which has this type.
    let next: PosixSpawnFn = unsafe { core::mem::transmute::<usize, PosixSpawnFn>(next) };
    // SAFETY: forwarded contract.
    unsafe { with_state(envp, |e| next(pid, path, actions, attr, argv, e)) }
}

/// From the constructor: resolve the next definitions while it is safe to call dlsym.
pub fn resolve(execvpe: usize, posix_spawn: usize, posix_spawnp: usize) {
    NEXT_EXECVPE.get(execvpe);
    NEXT_POSIX_SPAWN.get(posix_spawn);
    NEXT_POSIX_SPAWNP.get(posix_spawnp);
}

/// fexecve(3) as glibc 2.36 does it: execveat(fd, "", AT_EMPTY_PATH), and through
/// /proc/self/fd when the kernel lacks execveat.
///
/// # Safety
/// As fexecve(3).
pub unsafe fn fexecve(
    fd: c_int,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> SysResult<()> {
    if fd < 0 || argv.is_null() || envp.is_null() {
        return Err(Errno(libc::EINVAL));
    }
    // SAFETY: forwarded contract.
    unsafe {
        with_state(envp, |e| {
            match sys::execveat(fd, c"".as_ptr(), argv, e, libc::AT_EMPTY_PATH) {
                Err(Errno(libc::ENOSYS)) => {}
                r => return r,
            }
            let mut path = *b"/proc/self/fd/\0\0\0\0\0\0\0\0\0\0\0";
            put_decimal(path.get_mut(14..24).unwrap_or_default(), fd as u64);
            match sys::execve(path.as_ptr().cast(), argv, e) {
                // As glibc: no /proc at all means the call cannot work here.
                Err(Errno(libc::ENOENT))
                    if sys::fstatat(c"/proc/self/fd") == Err(Errno(libc::ENOENT)) =>
                {
                    Err(Errno(libc::ENOSYS))
                }
                r => r,
            }
        })
    }
}

/// The execl family after the trampoline: `argv` is the caller's argument list, in
/// place. `kind` 0 is execl, 1 execle (the environment follows argv's NULL), 2 execlp.
///
/// # Safety
/// As execl(3): `argv` is NULL-terminated.
pub unsafe fn execl_list(
    path: *const c_char,
    argv: *const *const c_char,
    kind: c_int,
    own_execvpe: usize,
) -> SysResult<()> {
    match kind {
        1 => {
            let mut n = 0;
            // SAFETY: the trampoline's argument list, NULL-terminated by execle's contract.
            while !unsafe { argv.add(n).read() }.is_null() {
                n += 1;
            }
            // SAFETY: execle's contract: the environment pointer follows the NULL.
            let envp = unsafe { argv.add(n + 1).read() }.cast::<*const c_char>();
            // SAFETY: forwarded contract.
            unsafe { with_state(envp, |e| sys::execve(path, argv, e)) }
        }
        // SAFETY: forwarded contract.
        2 => unsafe { execvpe(path, argv, environment(), own_execvpe) },
        // SAFETY: forwarded contract.
        _ => unsafe { with_state(environment(), |e| sys::execve(path, argv, e)) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse() {
        let v: Vec<_> = entries(b"3.123,10.18446744073709551615").collect();
        assert_eq!(v, vec![(3, 123), (10, u64::MAX)]);
        assert_eq!(entries(b"").count(), 0);
        assert_eq!(entries(b"3.x,4.5").count(), 0, "stops at a malformed entry");
        assert_eq!(entries(b"3,4.5").count(), 0);
        assert_eq!(entries(b"99999999999.1").count(), 0, "fd beyond int");
        assert_eq!(entries(b"3.1,").collect::<Vec<_>>(), vec![(3, 1)]);
    }

    #[test]
    fn decimal() {
        let mut b = [0u8; 20];
        let n = put_decimal(&mut b, 0);
        assert_eq!(&b[..n], b"0");
        let n = put_decimal(&mut b, u64::MAX);
        assert_eq!(&b[..n], b"18446744073709551615");
        assert_eq!(parse_decimal(b"18446744073709551616"), None);
    }
}
