//! The constants of SPEC.md "Constants", exported to C through `include/sockshim.h`.
//!
//! Values are NetBSD's where Linux leaves them free; the fcntl pair is our own
//! because NetBSD's 13/14 are `F_SETLK64`/`F_SETLKW64` on 32-bit Linux.

use core::ffi::c_int;

/// NetBSD's `SOCK_NOSIGPIPE` (sys/socket.h): the new socket raises no SIGPIPE.
/// Accepted by `socket`, `socketpair`, `accept4` and `paccept`; it never reaches the kernel.
pub const SOCK_NOSIGPIPE: c_int = 0x40000000;

/// NetBSD's `SO_NOSIGPIPE` at level `SOL_SOCKET`; no Linux option uses 0x0800.
pub const SO_NOSIGPIPE: c_int = 0x0800;

/// NetBSD's `O_NOSIGPIPE` (sys/fcntl.h, FNOSIGPIPE): `pipe2(fds, O_NOSIGPIPE)` makes both
/// ends no-SIGPIPE, `fcntl(fd, F_SETFL, fl | O_NOSIGPIPE)` sets it on any descriptor and
/// `F_GETFL` shows it. Linux has no flag there: F_SETFL and open ignore the bit, pipe2
/// rejects it; the shim removes it before the kernel sees it. (open(2) does not take it
/// here: the kernel ignores it.)
pub const O_NOSIGPIPE: c_int = 0x01000000;

/// `fcntl(fd, F_GETNOSIGPIPE)`: 1 if `fd` is no-SIGPIPE, else 0.
/// 0x530D: 'S' for sockshim in the high byte, NetBSD's number (13) in the low one.
/// No Linux fcntl command uses it (Linux answers EINVAL), on any architecture.
pub const F_GETNOSIGPIPE: c_int = 0x530D;

/// `fcntl(fd, F_SETNOSIGPIPE, int on)`: set or clear no-SIGPIPE on `fd`, a socket, a
/// pipe, a FIFO or any other descriptor.
/// 0x530E: NetBSD's 14 in the low byte, as for [`F_GETNOSIGPIPE`].
pub const F_SETNOSIGPIPE: c_int = 0x530E;

// SOCK_NOSIGPIPE is Linux's SOCK_NONBLOCK on alpha and parisc: the build fails there
// (SPEC.md "Constants"); the header carries the same check as an #error.
const _: () = assert!(
    SOCK_NOSIGPIPE & libc::SOCK_NONBLOCK == 0,
    "SOCK_NOSIGPIPE (0x40000000) is SOCK_NONBLOCK on this architecture"
);
const _: () = assert!(SOCK_NOSIGPIPE & libc::SOCK_CLOEXEC == 0);
const _: () = assert!(SOCK_NOSIGPIPE & 0xf == 0, "must not overlap SOCK_TYPE_MASK");
const _: () = assert!(
    O_NOSIGPIPE
        & (libc::O_ACCMODE
            | libc::O_APPEND
            | libc::O_NONBLOCK
            | libc::O_ASYNC
            | libc::O_DIRECT
            | libc::O_NOATIME
            | libc::O_CLOEXEC
            | libc::O_PATH
            | libc::O_TMPFILE
            | libc::O_SYNC
            | libc::O_LARGEFILE)
        == 0,
    "O_NOSIGPIPE must be a bit no Linux open flag uses"
);
