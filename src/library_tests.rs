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

/// `nm -D --defined-only` of the built library: (name, address) of every function.
fn exported_functions() -> Vec<(String, String)> {
    let so = profile_dir().join("libsockshim.so");
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&so)
        .output()
        .expect("run nm");
    assert!(out.status.success(), "nm failed on {}", so.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (addr, ty, name) = (f.next()?, f.next()?, f.next()?);
            (ty == "T" || ty == "W").then(|| (name.to_string(), addr.to_string()))
        })
        .collect()
}

/// Every function the library interposes, each also a `sockshim_*` entry point.
fn interposed() -> Vec<&'static str> {
    let mut v = vec![
        "accept",
        "accept4",
        "close",
        "close_range",
        "closefrom",
        "sendfile",
        "sendfile64",
        "splice",
        "vmsplice",
        "tee",
        "pipe2",
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
        "write",
        "writev",
    ];
    if cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        // The variadic execl family and vfork have assembly trampolines there (src/arch.rs).
        v.extend(["execl", "execle", "execlp", "vfork"]);
    }
    v.sort();
    v
}

/// LESSONS.md pitfall 16: a `#[no_mangle]` function that silently fails to export is
/// a shim that silently does nothing. The exported set is exactly this one: the
/// interposed functions, their `sockshim_*` entry points (SPEC.md "Linked use"), paccept
/// and sockshim_version.
#[test]
fn exported_symbol_set_is_exact() {
    let mut got: Vec<String> = exported_functions().into_iter().map(|(n, _)| n).collect();
    got.sort();
    let mut want: Vec<String> = interposed().iter().map(|s| s.to_string()).collect();
    want.extend(interposed().iter().map(|s| format!("sockshim_{s}")));
    want.extend(["paccept".to_string(), "sockshim_version".to_string()]);
    want.sort();
    assert_eq!(got, want);
    let mut entry: Vec<&str> = crate::exports::ENTRY_POINTS
        .iter()
        .chain(crate::exports::ARCH_ENTRY_POINTS)
        .copied()
        .collect();
    entry.sort();
    assert_eq!(entry, interposed(), "src/exports.rs entry_points! lists");
}

/// Each `sockshim_*` entry point is the interposed function itself (an alias: the same
/// address), so a call bound by the header takes exactly the path an interposed one does.
#[test]
fn entry_points_are_aliases() {
    let fns: std::collections::HashMap<String, String> = exported_functions().into_iter().collect();
    for name in interposed() {
        assert_eq!(
            fns.get(&format!("sockshim_{name}")),
            fns.get(name),
            "sockshim_{name} is not at {name}'s address"
        );
    }
}

/// include/sockshim/bind.h binds exactly the entry points the library has: every
/// `SOCKSHIM_BIND_*(name, ...)` is one, and every one is bound (the execl family and
/// vfork under the architecture test that the library uses).
#[test]
fn binding_header_names_every_entry_point() {
    let h = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/sockshim/bind.h"
    ))
    .unwrap();
    let mut bound: Vec<&str> = h
        .match_indices("SOCKSHIM_BIND_")
        .filter_map(|(i, _)| {
            let rest = &h[i..];
            let open = rest.find('(')?;
            let tag = &rest[..open];
            (tag == "SOCKSHIM_BIND_" || tag == "SOCKSHIM_BIND_NTH_")
                .then(|| rest[open + 1..].split([',', ')']).next())
                .flatten()
                .map(str::trim)
        })
        .filter(|n| *n != "name") // the macros' own definitions
        .collect();
    bound.sort();
    bound.dedup();
    assert_eq!(bound, interposed());
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
