//! Gives the shared library its soname, `libwalogs.so.0`: the ABI major version. Programs
//! linked against it keep loading any later `libwalogs.so.0.*`; an incompatible ABI would
//! bump the soname.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" || os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwalogs.so.0");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
