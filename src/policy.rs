//! Policies read once at load (SPEC.md "Policies"): `SOCKSHIM_PERSONALITY`,
//! `SOCKSHIM_NOSIGPIPE`, `SOCKSHIM_CLOEXEC`, `SOCKSHIM_ACCEPT_INHERIT`.
//!
//! The environment is read by an ELF constructor into one atomic word; every export
//! reads that word with a relaxed load, so an export called before the constructor ran
//! (from another library's constructor, LESSONS.md pitfall 8) simply sees the defaults.
//! No getenv on call paths, no allocation, no lazy initialisation.

use core::ffi::{CStr, c_char};
use core::sync::atomic::{AtomicU8, Ordering};

use crate::flags::Split;
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
const NOSIGPIPE: u8 = 2;
const CLOEXEC: u8 = 4;
const ACCEPT_INHERIT: u8 = 8;

static POLICY: AtomicU8 = AtomicU8::new(0);

#[inline(always)]
fn bits() -> u8 {
    POLICY.load(Ordering::Relaxed)
}

/// No policy and the Linux personality: the defaults, where creating or accepting a
/// socket adds nothing to what the kernel does.
#[inline(always)]
pub fn none() -> bool {
    bits() == 0
}

#[inline]
pub fn personality() -> Personality {
    if bits() & NETBSD != 0 {
        Personality::NetBsd
    } else {
        Personality::Linux
    }
}

/// Does accept inherit the listener's O_NONBLOCK (accept() only), O_ASYNC and SIGIO
/// owner? The NetBSD personality, or `SOCKSHIM_ACCEPT_INHERIT=1`.
#[inline]
pub fn accept_inherits() -> bool {
    bits() & (NETBSD | ACCEPT_INHERIT) != 0
}

/// The `SOCKSHIM_NOSIGPIPE` and `SOCKSHIM_CLOEXEC` policies applied to the flags of a
/// socket being created or accepted: SOCK_CLOEXEC joins the flags the kernel applies in
/// the same system call (never a later F_SETFD), no-SIGPIPE joins the shim's state.
#[inline]
pub fn on_create(split: Split) -> Split {
    let p = bits();
    Split {
        kernel: split.kernel
            | if p & CLOEXEC != 0 {
                libc::SOCK_CLOEXEC
            } else {
                0
            },
        nosigpipe: split.nosigpipe || p & NOSIGPIPE != 0,
    }
}

/// What the policies ask of descriptors received with SCM_RIGHTS (SPEC.md "Policies":
/// "Gets" includes sockets received with SCM_RIGHTS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receive {
    /// The recvmsg/recvmmsg flags: MSG_CMSG_CLOEXEC added under `SOCKSHIM_CLOEXEC`, so
    /// the kernel makes the received descriptors close-on-exec in the same call.
    pub flags: core::ffi::c_int,
    /// The policy added MSG_CMSG_CLOEXEC (the caller did not ask for it): received
    /// descriptors that are not sockets get their flag back as the caller asked.
    pub cloexec_added: bool,
    /// `SOCKSHIM_NOSIGPIPE`: received sockets become no-SIGPIPE.
    pub nosigpipe: bool,
}

#[inline]
pub fn on_receive(flags: core::ffi::c_int) -> Receive {
    let p = bits();
    let cloexec_added = p & CLOEXEC != 0 && flags & libc::MSG_CMSG_CLOEXEC == 0;
    Receive {
        flags: if cloexec_added {
            flags | libc::MSG_CMSG_CLOEXEC
        } else {
            flags
        },
        cloexec_added,
        nosigpipe: p & NOSIGPIPE != 0,
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

/// Parses a switch (`SOCKSHIM_NOSIGPIPE`, `SOCKSHIM_CLOEXEC`,
/// `SOCKSHIM_ACCEPT_INHERIT`): "1" on, "0" or empty off, Ok(false) when unset.
pub fn parse_switch(value: Option<&[u8]>) -> Result<bool, InvalidValue> {
    match value {
        None | Some(b"0") | Some(b"") => Ok(false),
        Some(b"1") => Ok(true),
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

/// Reads the policy variables once (from the constructor). Secure-execution (setuid)
/// processes ignore them. A variable with an unknown value is ignored, with one line on
/// stderr. Returns whether this is a secure-execution process.
pub fn load() -> bool {
    if secure_execution() {
        return true;
    }
    let mut p = 0;
    match parse_personality(env(c"SOCKSHIM_PERSONALITY")) {
        Ok(Some(Personality::NetBsd)) => p |= NETBSD,
        Ok(_) => {}
        Err(InvalidValue) => sys::write_stderr(
            b"sockshim: SOCKSHIM_PERSONALITY must be 'linux' or 'netbsd'; ignored\n",
        ),
    }
    let switches: [(&CStr, u8, &[u8]); 3] = [
        (
            c"SOCKSHIM_NOSIGPIPE",
            NOSIGPIPE,
            b"sockshim: SOCKSHIM_NOSIGPIPE must be '1' or '0'; ignored\n",
        ),
        (
            c"SOCKSHIM_CLOEXEC",
            CLOEXEC,
            b"sockshim: SOCKSHIM_CLOEXEC must be '1' or '0'; ignored\n",
        ),
        (
            c"SOCKSHIM_ACCEPT_INHERIT",
            ACCEPT_INHERIT,
            b"sockshim: SOCKSHIM_ACCEPT_INHERIT must be '1' or '0'; ignored\n",
        ),
    ];
    for (name, bit, complaint) in switches {
        match parse_switch(env(name)) {
            Ok(true) => p |= bit,
            Ok(false) => {}
            Err(InvalidValue) => sys::write_stderr(complaint),
        }
    }
    POLICY.fetch_or(p, Ordering::Relaxed);
    false
}

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

    #[test]
    fn switch_values() {
        assert_eq!(parse_switch(None), Ok(false));
        assert_eq!(parse_switch(Some(b"")), Ok(false));
        assert_eq!(parse_switch(Some(b"0")), Ok(false));
        assert_eq!(parse_switch(Some(b"1")), Ok(true));
        assert_eq!(parse_switch(Some(b"yes")), Err(InvalidValue));
        assert_eq!(parse_switch(Some(b"10")), Err(InvalidValue));
        assert_eq!(parse_switch(Some(b" 1")), Err(InvalidValue));
    }
}
