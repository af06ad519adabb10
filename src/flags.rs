//! Pure translation between NetBSD-style arguments and what the Linux kernel takes
//! (c-scape's style: no system calls here, so unit tests exercise it without a kernel).

use core::ffi::c_int;

use crate::consts::SOCK_NOSIGPIPE;
use crate::policy::Personality;

/// The descriptor flags the kernel sets atomically at creation.
pub const KERNEL_FD_FLAGS: c_int = libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;

/// A socket type or accept flag word, split into the part for the kernel and ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    /// Passed to the kernel unchanged but for SOCK_NOSIGPIPE (and, for accept4 in the
    /// NetBSD personality, unknown bits).
    pub kernel: c_int,
    /// SOCK_NOSIGPIPE was present.
    pub nosigpipe: bool,
}

/// socket(2)/socketpair(2) `type`: SOCK_NOSIGPIPE is removed and recorded; every other
/// bit goes to the kernel, which answers EINVAL for unknown ones as Linux does
/// (SPEC.md "socket ... Other bits go to the kernel unchanged").
pub const fn socket_type(ty: c_int) -> Split {
    Split {
        kernel: ty & !SOCK_NOSIGPIPE,
        nosigpipe: ty & SOCK_NOSIGPIPE != 0,
    }
}

/// accept4(2) `flags`. Linux personality: unknown bits reach the kernel, which answers
/// EINVAL after its EBADF check, exactly as without the shim. NetBSD personality and
/// paccept: unknown bits are ignored (NetBSD's do_sys_accept never validates them).
pub const fn accept_flags(flags: c_int, unknown_bits_ignored: bool) -> Split {
    let kernel = flags & !SOCK_NOSIGPIPE;
    Split {
        kernel: if unknown_bits_ignored {
            kernel & KERNEL_FD_FLAGS
        } else {
            kernel
        },
        nosigpipe: flags & SOCK_NOSIGPIPE != 0,
    }
}

/// listen(2) backlog: NetBSD's solisten turns a negative backlog into 0; Linux turns
/// it into somaxconn (SPEC.md "listen", NetBSD personality only).
pub const fn listen_backlog(backlog: c_int, p: Personality) -> c_int {
    match p {
        Personality::NetBsd if backlog < 0 => 0,
        _ => backlog,
    }
}

/// NetBSD's copyout_sockname: `*addrlen` receives min(supplied, actual), never more
/// than supplied; Linux writes the full length (SPEC.md "Address handling").
pub const fn netbsd_addrlen(supplied: u32, actual: u32) -> u32 {
    if supplied < actual { supplied } else { actual }
}

/// The length passed to the kernel for a NetBSD-personality accept: the caller's,
/// clamped so that a "negative" value (>= 0x80000000), which NetBSD 9/10 accept as a
/// huge unsigned length, does not make Linux fail with EINVAL and lose the connection.
pub const fn netbsd_kernel_addrlen(supplied: u32) -> u32 {
    const MAX: u32 = core::mem::size_of::<libc::sockaddr_storage>() as u32;
    if supplied > MAX { MAX } else { supplied }
}

/// Bit for signal `sig` (1-based) in the kernel's 64-bit set.
pub const fn sigbit(sig: c_int) -> u64 {
    if sig >= 1 && sig <= 64 {
        1u64 << (sig - 1)
    } else {
        0
    }
}

/// The signals the C library reserves for itself: from 32 up to (not including) the
/// first real-time signal it hands out (glibc: 32 and 33; musl: 32 to 34).
pub const fn reserved_signals(sigrtmin: c_int) -> u64 {
    let mut set = 0;
    let mut s = 32;
    while s < sigrtmin && s <= 64 {
        set |= sigbit(s);
        s += 1;
    }
    set
}

/// The mask paccept installs for its wait: the caller's, minus the signals the C
/// library reserves (pthread_sigmask's rule, SPEC.md paccept clause 8) and minus
/// SIGKILL/SIGSTOP (which no mask can block).
pub const fn wait_mask(user: u64, reserved: u64) -> u64 {
    user & !reserved & !(sigbit(libc::SIGKILL) | sigbit(libc::SIGSTOP))
}

/// What a signal disposition means for restarting an interrupted paccept wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// SIG_DFL or SIG_IGN: such a signal never makes the wait return EINTR.
    NoHandler,
    Handler {
        restart: bool,
    },
}

/// Signals that come from faults in the receiving thread's own instructions: a thread
/// asleep in paccept does not receive them (a sanitizer's SIGSEGV handler, say, is no
/// reason to refuse a restart).
const FAULT_SIGNALS: u64 = sigbit(libc::SIGILL)
    | sigbit(libc::SIGTRAP)
    | sigbit(libc::SIGBUS)
    | sigbit(libc::SIGFPE)
    | sigbit(libc::SIGSEGV)
    | sigbit(libc::SIGSYS);

/// Should an interrupted paccept wait resume (NetBSD restarts when the handler has
/// SA_RESTART) or return EINTR?
///
/// ppoll does not say which signal interrupted it. `entry` holds the signals that were
/// pending, and unblocked by the wait mask, when the wait began: ppoll delivered exactly
/// those at once, so when any has a handler the answer is precise. Otherwise the signal
/// arrived during the sleep, and the rule is: resume only when every handled signal the
/// wait mask lets through has SA_RESTART (fault signals aside). Any such handler without
/// SA_RESTART gives EINTR, which is what Linux's own ppoll always answers.
pub fn should_restart(
    wait_mask: u64,
    reserved: u64,
    entry: u64,
    disposition: impl Fn(c_int) -> Disposition,
) -> bool {
    let all_restart = |candidates: u64| {
        let mut any = false;
        for sig in 1..=64 {
            if candidates & sigbit(sig) == 0 {
                continue;
            }
            match disposition(sig) {
                Disposition::NoHandler => {}
                Disposition::Handler { restart: false } => return Some(false),
                Disposition::Handler { restart: true } => any = true,
            }
        }
        any.then_some(true)
    };
    let unblocked = !wait_mask & !reserved & !(sigbit(libc::SIGKILL) | sigbit(libc::SIGSTOP));
    all_restart(entry & unblocked)
        .or_else(|| all_restart(unblocked & !FAULT_SIGNALS))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_type_strips_only_nosigpipe() {
        let s = socket_type(libc::SOCK_STREAM | SOCK_NOSIGPIPE | libc::SOCK_CLOEXEC);
        assert_eq!(
            s,
            Split {
                kernel: libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
                nosigpipe: true
            }
        );
        // Unknown bits are the kernel's business (it answers EINVAL).
        assert_eq!(
            socket_type(libc::SOCK_DGRAM | 0x1000_0000).kernel,
            libc::SOCK_DGRAM | 0x1000_0000
        );
        assert!(!socket_type(libc::SOCK_DGRAM).nosigpipe);
    }

    #[test]
    fn accept_flags_per_personality() {
        let f = SOCK_NOSIGPIPE | libc::SOCK_NONBLOCK | 0x1;
        assert_eq!(
            accept_flags(f, false),
            Split {
                kernel: libc::SOCK_NONBLOCK | 0x1,
                nosigpipe: true
            }
        );
        assert_eq!(
            accept_flags(f, true),
            Split {
                kernel: libc::SOCK_NONBLOCK,
                nosigpipe: true
            }
        );
        assert_eq!(accept_flags(-1, true).kernel, KERNEL_FD_FLAGS);
        assert_eq!(
            accept_flags(0, false),
            Split {
                kernel: 0,
                nosigpipe: false
            }
        );
    }

    #[test]
    fn backlog() {
        assert_eq!(listen_backlog(-1, Personality::NetBsd), 0);
        assert_eq!(listen_backlog(i32::MIN, Personality::NetBsd), 0);
        assert_eq!(listen_backlog(-1, Personality::Linux), -1);
        assert_eq!(listen_backlog(5, Personality::NetBsd), 5);
    }

    #[test]
    fn addrlen_rules() {
        assert_eq!(netbsd_addrlen(4, 16), 4);
        assert_eq!(netbsd_addrlen(0, 16), 0);
        assert_eq!(netbsd_addrlen(128, 16), 16);
        assert_eq!(netbsd_addrlen(0xffff_ffff, 28), 28);
        assert_eq!(netbsd_kernel_addrlen(0xffff_ffff), 128);
        assert_eq!(netbsd_kernel_addrlen(0x8000_0000), 128);
        assert_eq!(netbsd_kernel_addrlen(16), 16);
    }

    #[test]
    fn sigsets() {
        assert_eq!(sigbit(1), 1);
        assert_eq!(sigbit(64), 1 << 63);
        assert_eq!(sigbit(0), 0);
        assert_eq!(sigbit(65), 0);
        assert_eq!(reserved_signals(34), sigbit(32) | sigbit(33));
        assert_eq!(reserved_signals(35), sigbit(32) | sigbit(33) | sigbit(34));
        assert_eq!(reserved_signals(32), 0);
        let all = u64::MAX;
        let m = wait_mask(all, reserved_signals(34));
        assert_eq!(m & (sigbit(32) | sigbit(33) | sigbit(9) | sigbit(19)), 0);
        assert_ne!(m & sigbit(libc::SIGUSR1), 0);
    }

    #[test]
    fn restart_rule() {
        let usr1 = libc::SIGUSR1;
        let only_usr1 = |restart| {
            move |s| {
                if s == usr1 {
                    Disposition::Handler { restart }
                } else {
                    Disposition::NoHandler
                }
            }
        };
        assert!(should_restart(0, 0, 0, only_usr1(true)));
        assert!(!should_restart(0, 0, 0, only_usr1(false)));
        // The handler's signal is blocked by the wait mask: it cannot have interrupted.
        assert!(!should_restart(sigbit(usr1), 0, 0, only_usr1(true)));
        // Mixed: one handler without SA_RESTART means EINTR.
        let mixed = |s| match s {
            libc::SIGUSR1 => Disposition::Handler { restart: true },
            libc::SIGUSR2 => Disposition::Handler { restart: false },
            _ => Disposition::NoHandler,
        };
        assert!(!should_restart(0, 0, 0, mixed));
        assert!(should_restart(sigbit(libc::SIGUSR2), 0, 0, mixed));
        // A signal pending at entry is known exactly, whatever the other handlers.
        assert!(should_restart(0, 0, sigbit(libc::SIGUSR1), mixed));
        assert!(!should_restart(0, 0, sigbit(libc::SIGUSR2), mixed));
        // Pending at entry but without a handler: fall back to the general rule.
        assert!(!should_restart(0, 0, sigbit(libc::SIGCHLD), mixed));
        // A fault handler without SA_RESTART (a sanitizer's SIGSEGV) does not count.
        let with_segv = |s| match s {
            libc::SIGUSR1 => Disposition::Handler { restart: true },
            libc::SIGSEGV => Disposition::Handler { restart: false },
            _ => Disposition::NoHandler,
        };
        assert!(should_restart(0, 0, 0, with_segv));
    }
}
