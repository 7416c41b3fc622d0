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
    hsts: Option<bool>,
    log_origin: Option<String>,
    log_signing_key_file: Option<PathBuf>,
    log_interval_ms: Option<u64>,
    log_batch: Option<u64>,
    log_checkpoint_refresh_ms: Option<u64>,
    #[serde(default)]
    log_witness: Vec<WitnessEntry>,
}

/// `[[log_witness]] url = "…" key = "name+id+base64"`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessEntry {
    pub url: String,
    pub key: String,
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
    /// Send `Strict-Transport-Security` (deployments behind HTTPS only).
    pub hsts: bool,
    /// Whether the data directory was chosen explicitly (flag, env or file).
    pub data_dir_explicit: bool,
    /// The tamper-evident log (see crate `app::log`).
    pub log_origin: String,
    pub log_signing_key_file: Option<PathBuf>,
    pub log_interval_ms: u64,
    pub log_batch: u64,
    /// How stale (ms) the in-memory latest checkpoint may be for tile and
    /// bundle requests (`app::log::LogSettings::checkpoint_refresh`).
    pub log_checkpoint_refresh_ms: u64,
    pub log_witnesses: Vec<WitnessEntry>,
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

fn parse_bool(name: &str, v: &str) -> anyhow::Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{name} must be true or false, not '{v}'"),
    }
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
            hsts: match env("PPETRACE_HSTS") {
                Some(v) => parse_bool("PPETRACE_HSTS", &v)?,
                None => file.hsts.unwrap_or(false),
            },
            log_origin: env("PPETRACE_LOG_ORIGIN")
                .or(file.log_origin)
                .unwrap_or_else(|| app::log::DEFAULT_ORIGIN.into()),
            log_signing_key_file: env("PPETRACE_LOG_KEY_FILE")
                .map(PathBuf::from)
                .or(file.log_signing_key_file),
            log_interval_ms: match env("PPETRACE_LOG_INTERVAL_MS") {
                Some(v) => v
                    .parse()
                    .context("PPETRACE_LOG_INTERVAL_MS must be a number")?,
                None => file.log_interval_ms.unwrap_or(500),
            },
            log_batch: file.log_batch.unwrap_or(4096).max(1),
            log_checkpoint_refresh_ms: match env("PPETRACE_LOG_CHECKPOINT_REFRESH_MS") {
                Some(v) => v
                    .parse()
                    .context("PPETRACE_LOG_CHECKPOINT_REFRESH_MS must be a number")?,
                None => file
                    .log_checkpoint_refresh_ms
                    .unwrap_or(app::log::DEFAULT_CHECKPOINT_REFRESH_MS),
            },
            log_witnesses: file.log_witness,
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
        let log = app::log::LogSettings {
            origin: self.log_origin.clone(),
            signing_key: Some(self.log_signing_key()?),
            interval: std::time::Duration::from_millis(self.log_interval_ms.max(1)),
            batch: self.log_batch,
            checkpoint_refresh: std::time::Duration::from_millis(self.log_checkpoint_refresh_ms),
            witnesses: self
                .log_witnesses
                .iter()
                .map(|w| app::log::WitnessConfig {
                    url: w.url.clone(),
                    key: w.key.clone(),
                })
                .collect(),
        };
        let app = app::App::new(
            store,
            app::AppConfig {
                public_base_url: base.trim_end_matches('/').to_string(),
                log,
                scans: app::scans::ScanSettings {
                    answer_key_seed: Some(self.answer_key_seed()?),
                    ..app::scans::ScanSettings::default()
                },
                ..app::AppConfig::default()
            },
        );
        app.log
            .check()
            .map_err(|e| anyhow::anyhow!("tamper-evident log configuration: {e}"))?;
        Ok(app)
    }

    /// The log's signer key: from `log_signing_key_file`, or generated once
    /// into `<data_dir>/log-signing.key` (mode 0600) and reused.
    pub fn log_signing_key(&self) -> anyhow::Result<String> {
        if let Some(path) = &self.log_signing_key_file {
            let k = std::fs::read_to_string(path)
                .with_context(|| format!("reading log signing key {}", path.display()))?;
            return Ok(k.trim().to_string());
        }
        let path = self.data_dir.join("log-signing.key");
        if path.exists() {
            let k = std::fs::read_to_string(&path)
                .with_context(|| format!("reading log signing key {}", path.display()))?;
            return Ok(k.trim().to_string());
        }
        if self
            .database_url
            .as_deref()
            .is_some_and(|u| u.starts_with("postgres"))
        {
            tracing::warn!(
                path = %path.display(),
                "no log_signing_key_file configured: generating one in the data directory; \
                 every API node of a PostgreSQL deployment must share the same key"
            );
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        let key =
            app::log::generate_signing_key(&self.log_origin).map_err(|e| anyhow::anyhow!("{e}"))?;
        write_secret(&path, &key)?;
        Ok(key)
    }
}

impl Config {
    /// The seed of the key that signs verification answers: hex in the file named by
    /// `PPETRACE_ANSWER_KEY_FILE`, or generated once into
    /// `<data_dir>/answer-signing.key` (mode 0600) and reused. Every API node must
    /// share it, so PostgreSQL deployments configure the file.
    pub fn answer_key_seed(&self) -> anyhow::Result<[u8; 32]> {
        let configured = env("PPETRACE_ANSWER_KEY_FILE").map(PathBuf::from);
        let path = configured
            .clone()
            .unwrap_or_else(|| self.data_dir.join("answer-signing.key"));
        let text = if path.exists() || configured.is_some() {
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading answer signing key {}", path.display()))?
        } else {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("creating {}", self.data_dir.display()))?;
            let mut seed = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
            let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
            write_secret(&path, &hex)?;
            hex
        };
        let t = text.trim();
        let mut seed = [0u8; 32];
        if t.len() != 64 {
            anyhow::bail!("{}: expected 64 hex characters", path.display());
        }
        for (i, chunk) in t.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(chunk)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            seed[i] = pair.with_context(|| format!("{}: not hex", path.display()))?;
        }
        Ok(seed)
    }
}

/// Writes a secret file readable only by its owner, never overwriting.
fn write_secret(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(format!("{text}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
