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
            bindings.write_to_file(&out);
        }
        Err(e) => fail(&format!("cbindgen: {e}")),
    }
    println!(
        "cargo:rustc-env=SOCKSHIM_GENERATED_HEADER={}",
        out.display()
    );
    // The shared object carries the soname that `make install` links against.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsockshim.so.0");
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1)
}
