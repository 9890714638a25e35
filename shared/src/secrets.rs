//! Secrets Manager values, read once per execution environment at cold start: the database
//! connection (an RDS-format secret) and the embedding API key.

use crate::config::{Config, embedding_api_from_env, llamaparse_from_env};
use anyhow::Context as _;
use aws_config::SdkConfig;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

/// The JSON RDS and `aws secretsmanager create-secret` use for database credentials.
#[derive(Deserialize)]
struct DatabaseSecret {
    username: String,
    password: String,
    host: String,
    #[serde(default)]
    port: Option<serde_json::Value>,
    #[serde(default)]
    dbname: Option<String>,
}

/// A connection URL from an RDS-format secret. TLS is required: RDS (rds.force_ssl) and RDS
/// Proxy expect it.
pub fn database_url_from_secret(json: &str) -> anyhow::Result<String> {
    let s: DatabaseSecret = serde_json::from_str(json).context("the database secret is not RDS-format JSON")?;
    let port = match s.port {
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(p)) => p,
        _ => "5432".into(),
    };
    Ok(format!(
        "postgres://{}:{}@{}:{port}/{}?sslmode=require",
        utf8_percent_encode(&s.username, NON_ALPHANUMERIC),
        utf8_percent_encode(&s.password, NON_ALPHANUMERIC),
        s.host,
        utf8_percent_encode(s.dbname.as_deref().unwrap_or("postgres"), NON_ALPHANUMERIC),
    ))
}

async fn secret_string(client: &aws_sdk_secretsmanager::Client, arn: &str) -> anyhow::Result<String> {
    let out = client.get_secret_value().secret_id(arn).send().await.with_context(|| format!("reading secret {arn}"))?;
    out.secret_string().map(str::to_owned).with_context(|| format!("secret {arn} has no string value"))
}

/// Fills in what the configuration names by secret ARN instead of by value.
pub async fn resolve(config: &mut Config, sdk: &SdkConfig) -> anyhow::Result<()> {
    if config.database_secret_arn.is_none()
        && config.embedding_api_key_secret_arn.is_none()
        && config.llamaparse_api_key_secret_arn.is_none()
    {
        return Ok(());
    }
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    if config.database_url.is_empty() {
        let arn = config
            .database_secret_arn
            .clone()
            .context("neither DATABASE_URL nor DOC_INGEST_DATABASE_SECRET_ARN is set")?;
        config.database_url = database_url_from_secret(&secret_string(&client, &arn).await?)?;
    }
    if config.embedding_api.is_none() {
        if let Some(arn) = config.embedding_api_key_secret_arn.clone() {
            let key = secret_string(&client, &arn).await?;
            config.embedding_api = embedding_api_from_env(Some(key.trim().to_owned()))?;
        }
    }
    if config.llamaparse.is_none() {
        if let Some(arn) = config.llamaparse_api_key_secret_arn.clone() {
            let key = secret_string(&client, &arn).await?;
            config.llamaparse = llamaparse_from_env(Some(key.trim().to_owned()))?;
        }
    }
    config.validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rds_secrets_become_urls_with_tls() {
        let url = database_url_from_secret(
            r#"{"username":"ingest","password":"p@ss:w/rd","engine":"postgres","host":"db.example.internal","port":5432,"dbname":"docs"}"#,
        )
        .unwrap();
        assert_eq!(url, "postgres://ingest:p%40ss%3Aw%2Frd@db.example.internal:5432/docs?sslmode=require");
        let parsed: tokio_postgres::Config = url.parse().unwrap();
        assert_eq!(parsed.get_password(), Some("p@ss:w/rd".as_bytes()));
        let no_port = database_url_from_secret(r#"{"username":"u","password":"p","host":"h"}"#).unwrap();
        assert!(no_port.starts_with("postgres://u:p@h:5432/postgres"));
        assert!(database_url_from_secret("not json").is_err());
    }
}
