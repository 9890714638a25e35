//! The migrations are embedded at compile time (refinery's `embed_migrations!`); rebuild when a
//! file is added to or changed in migrations/, which the macro alone does not tell Cargo.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
