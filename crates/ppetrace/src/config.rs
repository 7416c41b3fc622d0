//! Configuration: defaults, then a TOML file (`--config` / `PPETRACE_CONFIG`), then
//! environment variables (`PPETRACE_*`), then command-line flags.

use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true, env = "PPETRACE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Data directory (holds the SQLite database by default).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

/// The file's keys; every one optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    addr: Option<String>,
    public_base_url: Option<String>,
    log_format: Option<String>,
    max_body_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Explicit database URL; `None` means SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub addr: String,
    pub public_base_url: Option<String>,
    pub json_logs: bool,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    /// Whether the data directory was chosen explicitly (flag, env or file).
    pub data_dir_explicit: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `NAME` or, for secrets, `NAME_FILE` naming a file that holds the value.
fn env_or_file(name: &str) -> anyhow::Result<Option<String>> {
    if let Some(v) = env(name) {
        return Ok(Some(v));
    }
    if let Some(path) = env(&format!("{name}_FILE")) {
        let v = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {name}_FILE {path}"))?;
        return Ok(Some(v.trim().to_string()));
    }
    Ok(None)
}

impl Config {
    pub fn load(args: &GlobalArgs) -> anyhow::Result<Config> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let data_dir_set = args
            .data_dir
            .clone()
            .or_else(|| env("PPETRACE_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir);
        let log_format = env("PPETRACE_LOG_FORMAT")
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            bail!("log_format must be 'text' or 'json', not '{log_format}'");
        }
        Ok(Config {
            database_url: args
                .database_url
                .clone()
                .or(env_or_file("PPETRACE_DATABASE_URL")?)
                .or(file.database_url),
            data_dir_explicit: data_dir_set.is_some(),
            data_dir: data_dir_set.unwrap_or_else(|| PathBuf::from("data")),
            addr: env("PPETRACE_ADDR")
                .or(file.addr)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            public_base_url: env("PPETRACE_PUBLIC_BASE_URL").or(file.public_base_url),
            json_logs: log_format == "json",
            max_body_bytes: match env("PPETRACE_MAX_BODY_BYTES") {
                Some(v) => v
                    .parse()
                    .context("PPETRACE_MAX_BODY_BYTES must be a number")?,
                None => file.max_body_bytes.unwrap_or(1 << 20),
            },
            request_timeout_secs: match env("PPETRACE_REQUEST_TIMEOUT_SECS") {
                Some(v) => v
                    .parse()
                    .context("PPETRACE_REQUEST_TIMEOUT_SECS must be a number")?,
                None => file.request_timeout_secs.unwrap_or(30),
            },
        })
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("ppetrace.db").display()))
    }

    pub async fn open_app(&self) -> anyhow::Result<app::App> {
        let url = self.database_url();
        let store = store::open(&url)
            .await
            .with_context(|| format!("opening {}", store::redact(&url)))?;
        let base = self
            .public_base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr));
        Ok(app::App::new(
            store,
            app::AppConfig {
                public_base_url: base.trim_end_matches('/').to_string(),
                ..app::AppConfig::default()
            },
        ))
    }
}
