//! Generates the C header into OUT_DIR (a build script never writes into the source
//! tree). `make header` copies it to include/sockshim.h; a test compares the two.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("sockshim.h");
    for watched in ["src", "cbindgen.toml"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => fail(&format!("cbindgen.toml: {e}")),
    };
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            // cbindgen closes its C++ guards with `//` comments, which C90 rejects
            // (gcc -std=gnu89 -pedantic): the header uses block comments only.
            let mut text = Vec::new();
            bindings.write(&mut text);
            let text = String::from_utf8_lossy(&text)
                .replace("// __cplusplus", "/* __cplusplus */")
                .replace("// extern \"C\"", "/* extern \"C\" */");
            if let Err(e) = std::fs::write(&out, text) {
                fail(&format!("{}: {e}", out.display()));
            }
        }
        Err(e) => fail(&format!("cbindgen: {e}")),
    }
    println!(
        "cargo:rustc-env=SOCKSHIM_GENERATED_HEADER={}",
        out.display()
    );
    // rustc's version script keeps only its own exports global; the `sockshim_*` entry
    // points are assembler aliases (src/exports.rs), exported by a second script.
    let version_script =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("entry-points.ver");
    if let Err(e) = std::fs::write(&version_script, "{ global: sockshim_*; };\n") {
        fail(&format!("{}: {e}", version_script.display()));
    }
    println!(
        "cargo:rustc-cdylib-link-arg=-Wl,--version-script={}",
        version_script.display()
    );
    // The library's references to its own functions (the addresses it compares with
    // what dlsym finds for glibc's, src/sys.rs `Next`) bind inside it: loaded after glibc
    // (a dependency of a shared library, SPEC.md "Linked use") they would otherwise bind
    // to glibc's functions of the same names.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic-functions");
    // Without the standard library nothing names the C library the shim calls: the
    // shared object records it (DT_NEEDED) so its references are versioned and it loads
    // whatever order the program's dependencies come in.
    println!("cargo:rustc-link-lib=c");
    // The shared object carries the soname that `make install` links against...
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsockshim.so.0");
    // ...so a program linked in-tree with `-Ltarget/<profile> -lsockshim` looks for
    // libsockshim.so.0 at run time: give it that name beside the library.
    soname_link();
}

/// target/<profile>/libsockshim.so.0 -> libsockshim.so (OUT_DIR is
/// target/<profile>/build/sockshim-<hash>/out). Best effort: nothing here can fail the
/// build, and nothing is written into the source tree.
fn soname_link() {
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    let link = profile_dir.join("libsockshim.so.0");
    if std::fs::symlink_metadata(&link).is_err() {
        let _ = std::os::unix::fs::symlink("libsockshim.so", &link);
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1)
}
