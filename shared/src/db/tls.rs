//! TLS to PostgreSQL: the Mozilla roots (enough for RDS Proxy, whose certificates chain to
//! Amazon's public roots) plus, for direct RDS or Aurora connections, the CA bundle named by
//! `DOC_INGEST_DATABASE_CA_FILE` (AWS's RDS global bundle, shipped with the function).

use anyhow::Context as _;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

pub fn connector() -> anyhow::Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Ok(path) = std::env::var("DOC_INGEST_DATABASE_CA_FILE") {
        let pem = std::fs::read(&path).with_context(|| format!("reading DOC_INGEST_DATABASE_CA_FILE {path}"))?;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots
                .add(cert.with_context(|| format!("parsing {path}"))?)
                .with_context(|| format!("adding a CA from {path}"))?;
        }
    }
    // An explicit provider: the AWS SDK brings its own rustls setup, so there may be no single
    // process default.
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}
