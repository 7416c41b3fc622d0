//! Inspector console: the inspector's own assignments in run draws, their filed
//! records, and filing a record. Records are signed by the inspector's own Ed25519
//! key (which the server never holds): the page prepares the record's canonical
//! JSON and the inspector signs those exact bytes. As progressive enhancement,
//! `/assets/inspector.js` signs them in the browser (WebCrypto Ed25519) with a key
//! file the inspector picks — PKCS#8 PEM as `openssl genpkey -algorithm ed25519`
//! writes it, or the 32-byte seed in hex — checks it is the registered key, and
//! fills the signature field; the key is in no form and never sent. Without
//! JavaScript the inspector signs elsewhere and pastes the signature.
//! `app::draws::records::file_record` verifies and stores the record.

use app::draws::DrawRole;
use app::draws::records::SignedRecord;
use app::users::ConsoleRole;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::manufacturer::try_page;
use super::regulator::{RecordRow, record_rows};
use super::{Console, Frame, app_error};
use crate::ApiContext;
use crate::console_page;
use crate::i18n::Lang;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/inspector", get(overview))
        .route("/console/inspector/prepare", post(prepare))
        .route("/console/inspector/file", post(file))
}

/// The signing page's script (public, cacheable; merged outside `no-store`).
pub fn assets() -> Router<ApiContext> {
    Router::new().route("/assets/inspector.js", get(inspector_js))
}

async fn inspector_js() -> Response {
    super::handler::script(include_str!("../../assets/inspector.js"))
}

type F = Form<Vec<(String, String)>>;

struct AssignmentRow {
    draw_id: i64,
    target: String,
    risk_class: String,
    partners: String,
    /// The draw's item list: what the checklist answers (code, text).
    items: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/inspector.html")]
struct OverviewPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    inspector: Option<(String, String)>,
    assignments: Vec<AssignmentRow>,
    records: Vec<RecordRow>,
}

async fn overview(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::Inspector) {
        return r;
    }
    let back = "/console";
    let a = &c.s.actor;
    let me = match try_page!(c, ctx.app.draw_role(a).await, back) {
        DrawRole::Inspector(i) => i,
        _ => {
            return console_page!(OverviewPage {
                c.frame("/console/inspector", "inspector"),
                inspector: None,
                assignments: Vec::new(),
                records: Vec::new(),
            });
        }
    };
    let mut assignments = Vec::new();
    for d in try_page!(c, ctx.app.list_draw_views().await, back) {
        if d.status != "drawn" {
            continue;
        }
        let items = item_list(&ctx, &d.item_list).await;
        for x in try_page!(c, ctx.app.visible_assignments(a, d.id).await, back) {
            let partners = x
                .inspectors
                .iter()
                .filter(|i| **i != me.code)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            assignments.push(AssignmentRow {
                draw_id: d.id,
                target: x.target_id.clone(),
                risk_class: format!("{:?}", x.risk_class),
                partners,
                items: items.clone(),
            });
        }
    }
    let records = record_rows(try_page!(
        c,
        ctx.app.list_record_views(a, Default::default()).await,
        back
    ));
    console_page!(OverviewPage {
        c.frame("/console/inspector", "inspector"),
        inspector: Some((me.code, me.name)),
        assignments: assignments,
        records: records,
    })
}

/// The items of a (public) item list; empty when it cannot be read.
async fn item_list(ctx: &ApiContext, code: &str) -> Vec<(String, String)> {
    let Ok(Some(l)) = ctx.app.store.get_item_list(code).await else {
        return Vec::new();
    };
    serde_json::from_str::<Vec<app::draws::ItemInput>>(&l.items)
        .map(|v| v.into_iter().map(|i| (i.code, i.text)).collect())
        .unwrap_or_default()
}

/// Checklist lines `ITEM RESULT [note]` (RESULT: pass, fail or n/a) → answers.
fn checklist(text: &str) -> app::Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().map(str::trim).enumerate() {
        if line.is_empty() {
            continue;
        }
        // ITEM, then RESULT, then the rest of the line as the note.
        let item = line.split_whitespace().next().unwrap_or_default();
        let rest = line[item.len()..].trim_start();
        let word = rest.split_whitespace().next().unwrap_or_default();
        let note = rest[word.len()..].trim();
        let result = word.to_lowercase();
        if !matches!(result.as_str(), "pass" | "fail" | "n/a") {
            return Err(app::AppError::invalid(
                "checklist",
                format!("line {}: write ITEM pass|fail|n/a [note]", n + 1),
            ));
        }
        let mut answer = json!({"item": item, "result": result});
        if let (false, Some(obj)) = (note.is_empty(), answer.as_object_mut()) {
            obj.insert("note".into(), json!(note));
        }
        out.push(answer);
    }
    Ok(out)
}

/// `datetime-local` (UTC) → RFC 3339.
fn utc(field: &str, v: &str) -> app::Result<String> {
    let v = v.trim();
    let parsed = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| {
            app::AppError::invalid(field, "must be a date and time YYYY-MM-DDTHH:MM (UTC)")
        })?;
    Ok(parsed
        .and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[derive(Template)]
#[template(path = "console/inspector_sign.html")]
struct SignPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    canonical: String,
    sha256: String,
    /// The inspector's registered Ed25519 public key (hex): the script refuses a
    /// key file that is not this key's.
    public_key: String,
}

async fn prepare(State(ctx): State<ApiContext>, c: Console, form: F) -> Response {
    let f = match c.post_for(form, ConsoleRole::Inspector) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = "/console/inspector";
    let me = match try_page!(c, ctx.app.draw_role(&c.s.actor).await, back) {
        DrawRole::Inspector(i) => i,
        _ => {
            return app_error(
                &c,
                app::AppError::Forbidden("your key is not registered as an inspector".into()),
                back,
            );
        }
    };
    let Ok(draw_id) = f.get("draw_id").trim().parse::<i64>() else {
        return app_error(
            &c,
            app::AppError::invalid("draw_id", "must be a draw number"),
            back,
        );
    };
    let started = try_page!(c, utc("started_at", f.get("started_at")), back);
    let ended = try_page!(c, utc("ended_at", f.get("ended_at")), back);
    let checklist = try_page!(c, checklist(f.get("checklist")), back);
    let findings: Vec<String> = f
        .get("findings")
        .lines()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut record = json!({
        "kind": "inspection",
        "draw_id": draw_id,
        "target": f.get("target").trim(),
        "inspector": me.code,
        "started_at": started,
        "ended_at": ended,
        "checklist": checklist,
        "findings": findings,
    });
    if let (Some(gln), Some(obj)) = (f.opt("site_gln"), record.as_object_mut()) {
        obj.insert("site_gln".into(), json!(gln));
    }
    if let (Some(note), Some(obj)) = (f.opt("note"), record.as_object_mut()) {
        obj.insert("note".into(), json!(note));
    }
    let canonical = domain::log_entry::canonical_json(&record);
    let sha256 = hex_digest(canonical.as_bytes());
    console_page!(SignPage {
        c.frame(back, "inspector"),
        canonical: canonical,
        sha256: sha256,
        public_key: me.public_key,
    })
}

fn hex_digest(b: &[u8]) -> String {
    domain::log_entry::sha256(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

async fn file(State(ctx): State<ApiContext>, c: Console, form: F) -> Response {
    let f = match c.post_for(form, ConsoleRole::Inspector) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let back = "/console/inspector";
    let Ok(record) = serde_json::from_str::<serde_json::Value>(f.get("record")) else {
        return app_error(&c, app::AppError::invalid("record", "is not JSON"), back);
    };
    let input = SignedRecord {
        record,
        signature: f.get("signature").trim().to_string(),
    };
    try_page!(c, ctx.app.file_record(&c.s.actor, &input).await, back);
    c.back(back)
}
