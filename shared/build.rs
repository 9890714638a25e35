//! The migrations are embedded at compile time (refinery's `embed_migrations!`); rebuild when a
//! file is added to or changed in migrations/, which the macro alone does not tell Cargo.
//!
//! With the `chunk` feature, also writes cl100k's token list for `chunking::cl100k` (see there
//! why the tokenizer is rebuilt from it rather than embedded whole).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "chunk")]
    write_cl100k_tokens();
}

#[cfg(feature = "chunk")]
fn write_cl100k_tokens() {
    let bpe = &bpe_openai::cl100k_base().bpe;
    let mut out = Vec::with_capacity(1 << 20);
    for id in 0..bpe.num_tokens() as u32 {
        let token = bpe.token_bytes(id);
        let len = u16::try_from(token.len()).expect("cl100k tokens are short");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(token);
    }
    let dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(dir.join("cl100k_tokens.bin"), out).expect("write the token list");
}
