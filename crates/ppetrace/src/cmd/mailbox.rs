//! `ppetrace mailbox …`: the case handler's client. Keys are generated and case
//! contents decrypted here, on the handler's machine; the server only ever returns
//! age ciphertext.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, bail};
use base64::Engine;
use clap::Subcommand;
use serde_json::Value;

use crate::config::Config;

#[derive(Subcommand)]
pub enum MailboxCmd {
    /// Generate an age X25519 identity for a case handler. Prints the public
    /// recipient (register it with POST /api/v1/mailbox/handlers) and writes the
    /// identity to FILE (mode 0600), or prints it when no file is given.
    Keygen {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Fetch a case (or the case list) through the API and decrypt it locally.
    Read {
        /// File holding the handler's age identity (AGE-SECRET-KEY-1…).
        #[arg(long)]
        identity: PathBuf,
        /// Server base URL, e.g. http://127.0.0.1:8080 (plain HTTP only in this build:
        /// use it on the same host or through a local TLS tunnel).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The handler's API key.
        #[arg(long, env = "PPETRACE_API_KEY", hide_env_values = true)]
        key: String,
        /// Case id; without it, lists the cases with their deadlines.
        #[arg(long)]
        case: Option<i64>,
        /// Directory to write decrypted attachments to.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Retention: purge the contents of cases closed longer ago than the retention
    /// period (acts on the database directly, as the operator).
    Purge,
}

pub async fn run(cfg: Config, cmd: MailboxCmd) -> anyhow::Result<()> {
    match cmd {
        MailboxCmd::Keygen { out } => keygen(out),
        MailboxCmd::Read {
            identity,
            server,
            key,
            case,
            out,
        } => read(&identity, &server, &key, case, out).await,
        MailboxCmd::Purge => {
            let app = cfg.open_app().await?;
            let n = app.mailbox_purge(None).await?;
            println!("purged: {n}");
            Ok(())
        }
    }
}

fn keygen(out: Option<PathBuf>) -> anyhow::Result<()> {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let secret = id.to_string();
    let text = format!(
        "# ppetrace mailbox handler identity\n# public key: {recipient}\n{}\n",
        secret.expose_secret()
    );
    match out {
        Some(path) => {
            write_private(&path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            println!("identity: {}", path.display());
        }
        None => print!("{text}"),
    }
    println!("recipient: {recipient}");
    Ok(())
}

pub(crate) fn write_private(path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(bytes)
}

fn load_identity(path: &PathBuf) -> anyhow::Result<age::x25519::Identity> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .with_context(|| format!("reading {}", path.display()))?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .context("no AGE-SECRET-KEY-1… line in the identity file")?;
    line.parse::<age::x25519::Identity>()
        .map_err(|e| anyhow::anyhow!("bad identity: {e}"))
}

fn decrypt(id: &age::x25519::Identity, b64: &str) -> anyhow::Result<Vec<u8>> {
    let ct = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .context("ciphertext is not base64")?;
    age::decrypt(id, &ct)
        .map_err(|e| anyhow::anyhow!("cannot decrypt (not encrypted to this identity?): {e}"))
}

async fn get(server: &str, key: &str, path: &str) -> anyhow::Result<Value> {
    let url = format!("{}{path}", server.trim_end_matches('/'));
    let r = reqwest::Client::new()
        .get(&url)
        .bearer_auth(key)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = r.status();
    let body: Value = r.json().await.context("reading the answer")?;
    if !status.is_success() {
        bail!("{status}: {}", body["detail"].as_str().unwrap_or("error"));
    }
    Ok(body)
}

async fn read(
    identity: &PathBuf,
    server: &str,
    key: &str,
    case: Option<i64>,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let id = load_identity(identity)?;
    let Some(case) = case else {
        let list = get(server, key, "/api/v1/mailbox/cases").await?;
        println!("case\tstate\treceived\tack by\tfeedback by\toverdue\tcategory");
        for c in list.as_array().map(Vec::as_slice).unwrap_or_default() {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                c["id"],
                c["state"].as_str().unwrap_or(""),
                c["received_on"].as_str().unwrap_or(""),
                c["deadlines"]["acknowledge_by"].as_str().unwrap_or(""),
                c["deadlines"]["feedback_by"].as_str().unwrap_or(""),
                if c["overdue"] == true { "OVERDUE" } else { "" },
                c["category"].as_str().unwrap_or(""),
            );
        }
        return Ok(());
    };
    let c = get(server, key, &format!("/api/v1/mailbox/cases/{case}")).await?;
    println!(
        "case {case} · {} · {} · received {}",
        c["category"].as_str().unwrap_or(""),
        c["state"].as_str().unwrap_or(""),
        c["received_on"].as_str().unwrap_or("")
    );
    for m in c["messages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let plain = decrypt(&id, m["ciphertext"].as_str().unwrap_or(""))?;
        let text = if m["kind"] == "report" {
            let v: Value = serde_json::from_slice(&plain).context("report body")?;
            format!(
                "{}\n  links: {}",
                v["text"].as_str().unwrap_or(""),
                v["links"]
            )
        } else {
            String::from_utf8_lossy(&plain).into_owned()
        };
        println!(
            "\n[{} · {} · {}]\n{text}",
            m["on"].as_str().unwrap_or(""),
            m["author"].as_str().unwrap_or(""),
            m["kind"].as_str().unwrap_or("")
        );
    }
    for a in c["attachments"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let plain = decrypt(&id, a["ciphertext"].as_str().unwrap_or(""))?;
        let (header, bytes) =
            app::mailbox::unpack_attachment(&plain).context("malformed attachment")?;
        let name = header["name"].as_str().unwrap_or("attachment");
        // Only the last path component, so a hostile name cannot escape `out`.
        let safe = std::path::Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        println!(
            "\nattachment {} ({} bytes, metadata {})",
            safe,
            bytes.len(),
            header["metadata"].as_str().unwrap_or("?")
        );
        if let Some(dir) = &out {
            std::fs::create_dir_all(dir)?;
            let path = dir.join(format!("{}-{safe}", a["id"]));
            write_private(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("  saved: {}", path.display());
        }
    }
    Ok(())
}
