//! Checks on the built shared library and the committed header.

use std::path::PathBuf;
use std::process::Command;

/// target/<profile>/ of this test run (the test binary lives in its deps/).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .to_path_buf()
}

/// LESSONS.md pitfall 16: a `#[no_mangle]` function that silently fails to export is
/// a shim that silently does nothing. The exported set is exactly this one.
#[test]
fn exported_symbol_set_is_exact() {
    let so = profile_dir().join("libsockshim.so");
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&so)
        .output()
        .expect("run nm");
    assert!(out.status.success(), "nm failed on {}", so.display());
    let mut got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (ty, name) = (f.nth(1)?, f.next()?);
            (ty == "T" || ty == "W").then(|| name.to_string())
        })
        .collect();
    got.sort();
    let mut want = vec![
        "accept",
        "accept4",
        "close",
        "close_range",
        "closefrom",
        "sendfile",
        "sendfile64",
        "splice",
        "dup",
        "dup2",
        "dup3",
        "execv",
        "execve",
        "execveat",
        "execvp",
        "execvpe",
        "fcntl",
        "fexecve",
        "fcntl64",
        "getsockopt",
        "listen",
        "paccept",
        "posix_spawn",
        "posix_spawnp",
        "recvmmsg",
        "recvmsg",
        "send",
        "sendmmsg",
        "sendmsg",
        "sendto",
        "setsockopt",
        "socket",
        "socketpair",
        "sockshim_version",
        "write",
        "writev",
    ];
    if cfg!(target_arch = "x86_64") {
        // The variadic execl family and vfork have assembly trampolines only there.
        want.extend(["execl", "execle", "execlp", "vfork"]);
    }
    want.sort();
    assert_eq!(got, want);
}

/// LESSONS.md pitfall 15 (rustls-ffi's rule): the committed header is byte-identical to
/// what the pinned cbindgen generates from src/. Run `make header` after changing src/.
#[test]
fn committed_header_matches_generated() {
    let generated =
        std::fs::read_to_string(env!("SOCKSHIM_GENERATED_HEADER")).expect("generated header");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/sockshim.h"))
            .expect("include/sockshim.h");
    assert!(
        generated == committed,
        "include/sockshim.h is stale: run `make header` and commit it"
    );
}

/// The header declares only names glibc lacks (never socket/accept/accept4/listen...).
#[test]
fn header_redeclares_no_libc_function() {
    let h = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/sockshim.h"))
        .unwrap();
    // Declarations are the lines that end in ");" (comments in the header do not).
    let decls: Vec<&str> = h.lines().filter(|l| l.trim_end().ends_with(");")).collect();
    for f in [
        "socket(",
        "accept(",
        "accept4(",
        "listen(",
        "write(",
        "close(",
        "fcntl(",
        "setsockopt(",
    ] {
        assert!(
            !decls
                .iter()
                .any(|d| d.contains(&format!(" {f}")) || d.contains(&format!("*{f}"))),
            "header declares {f}"
        );
    }
    assert!(h.contains("int paccept("));
    assert!(
        !h.contains("//"),
        "a // comment breaks C90 (gcc -std=gnu89 -pedantic)"
    );
    assert!(h.contains("#error"), "the alpha/parisc #error is missing");
}

/// The library carries the soname `make install` links against.
#[test]
fn soname_is_versioned() {
    let so = profile_dir().join("libsockshim.so");
    let out = Command::new("readelf")
        .arg("-d")
        .arg(&so)
        .output()
        .expect("run readelf");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[libsockshim.so.0]"), "{text}");
}
