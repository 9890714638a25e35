//! Secrets Manager values, read once per execution environment at cold start: the database
//! connection (an RDS-format secret) and the paid APIs' keys.

use crate::config::{Config, env_opt};
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

/// Resolves the database URL from its secret when only the secret is configured.
pub async fn resolve_database(config: &mut Config, sdk: &SdkConfig) -> anyhow::Result<()> {
    if !config.database_url.is_empty() {
        return Ok(());
    }
    let arn =
        config.database_secret_arn.clone().context("neither DATABASE_URL nor DOC_INGEST_DATABASE_SECRET_ARN is set")?;
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    config.database_url = database_url_from_secret(&secret_string(&client, &arn).await?)?;
    Ok(())
}

/// A connection URL from the RDS-format secret `arn` (the search API's reader role).
pub async fn database_url_from_arn(sdk: &SdkConfig, arn: &str) -> anyhow::Result<String> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    database_url_from_secret(&secret_string(&client, arn).await?)
}

/// A paid API's key: from the first of `env_names` that is set, else from the secret named by
/// `secret_env` (in AWS). `None` when neither is configured: the offline default applies.
pub async fn api_key(sdk: &SdkConfig, env_names: &[&str], secret_env: &str) -> anyhow::Result<Option<String>> {
    if let Some(key) = env_names.iter().find_map(|n| env_opt(n)) {
        return Ok(Some(key));
    }
    let Some(arn) = env_opt(secret_env) else { return Ok(None) };
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let key = secret_string(&client, &arn).await?.trim().to_owned();
    Ok(Some(key).filter(|k| !k.is_empty()))
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
