//! Policies read once at load (SPEC.md "Policies").
//!
//! The environment is read by an ELF constructor into one atomic word; every export
//! reads that word with a relaxed load, so an export called before the constructor ran
//! (from another library's constructor, LESSONS.md pitfall 8) simply sees the defaults.
//! No getenv on call paths, no allocation, no lazy initialisation.

use core::ffi::{CStr, c_char};
use core::sync::atomic::{AtomicU8, Ordering};

use crate::sys;

/// Which system's choices apply where Linux and NetBSD differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personality {
    /// Default: a program that uses no NetBSD feature sees exactly Linux.
    Linux,
    /// `SOCKSHIM_PERSONALITY=netbsd`: every NetBSD-fidelity choice of SPEC.md.
    NetBsd,
}

const NETBSD: u8 = 1;

static POLICY: AtomicU8 = AtomicU8::new(0);

#[inline]
pub fn personality() -> Personality {
    if POLICY.load(Ordering::Relaxed) & NETBSD != 0 {
        Personality::NetBsd
    } else {
        Personality::Linux
    }
}

/// A policy variable with a value the library does not know.
#[derive(Debug, PartialEq, Eq)]
pub struct InvalidValue;

/// Parses `SOCKSHIM_PERSONALITY`: Ok(None) when unset.
pub fn parse_personality(value: Option<&[u8]>) -> Result<Option<Personality>, InvalidValue> {
    match value {
        None => Ok(None),
        Some(b"netbsd") => Ok(Some(Personality::NetBsd)),
        Some(b"linux") | Some(b"") => Ok(Some(Personality::Linux)),
        Some(_) => Err(InvalidValue),
    }
}

fn env(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: getenv is called from the constructor only, before main, with a valid
    // NUL-terminated name; the result lives as long as the environment.
    let p: *const c_char = unsafe { libc::getenv(name.as_ptr()) };
    // SAFETY: a non-null getenv result is a NUL-terminated string.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
}

fn secure_execution() -> bool {
    // SAFETY: getauxval has no preconditions.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// Reads the policy variables once. Secure-execution (setuid) processes ignore them.
extern "C" fn load() {
    if secure_execution() {
        return;
    }
    match parse_personality(env(c"SOCKSHIM_PERSONALITY")) {
        Ok(Some(Personality::NetBsd)) => {
            POLICY.fetch_or(NETBSD, Ordering::Relaxed);
        }
        Ok(_) => {}
        Err(InvalidValue) => sys::write_stderr(
            b"sockshim: SOCKSHIM_PERSONALITY must be 'linux' or 'netbsd'; ignored\n",
        ),
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static LOAD: extern "C" fn() = load;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personality_values() {
        assert_eq!(parse_personality(None), Ok(None));
        assert_eq!(
            parse_personality(Some(b"netbsd")),
            Ok(Some(Personality::NetBsd))
        );
        assert_eq!(
            parse_personality(Some(b"linux")),
            Ok(Some(Personality::Linux))
        );
        assert_eq!(parse_personality(Some(b"NetBSD")), Err(InvalidValue));
        assert_eq!(parse_personality(Some(b"bsd")), Err(InvalidValue));
    }
}
