//! Case-handler console over the fraud-report mailbox (`app::mailbox`): the cases
//! of the handler's channel with their EU 2019/1937 deadlines, state changes and
//! messages to the reporter. Report contents are age ciphertext to the handlers'
//! keys; the server cannot show them. The case page embeds every message's and
//! attachment's ciphertext (base64) and, as progressive enhancement,
//! `/assets/case.js` (with `/assets/age.js`, the npm package `age-encryption`
//! bundled by `tools/age-bundle`) decrypts them in the browser with the identity
//! file the handler picks or pastes: the identity is never sent to the server
//! (no form field carries it) nor stored. Without JavaScript the page shows the
//! `ppetrace mailbox read` command. The user's console key must be registered as
//! a handler (`POST /api/v1/mailbox/handlers`).

use app::users::ConsoleRole;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::manufacturer::try_page;
use super::{Console, Frame, app_error};
use crate::ApiContext;
use crate::console_page;
use crate::i18n::Lang;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/console/cases", get(cases_page))
        .route("/console/cases/{id}", get(case_page))
        .route("/console/cases/{id}/state", post(transition))
        .route("/console/cases/{id}/messages", post(message))
}

/// The case page's scripts: public, cacheable, served from 'self' (the CSP has
/// no inline scripts). Merged outside the consoles' `no-store` layer.
pub fn assets() -> Router<ApiContext> {
    Router::new()
        .route("/assets/age.js", get(age_js))
        .route("/assets/age.js.LICENSE.txt", get(age_license))
        .route("/assets/case.js", get(case_js))
}

pub(crate) fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn age_js() -> Response {
    script(include_str!("../../assets/age.js"))
}

async fn case_js() -> Response {
    script(include_str!("../../assets/case.js"))
}

async fn age_license() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/age.js.LICENSE.txt"),
    )
        .into_response()
}

type F = Form<Vec<(String, String)>>;

#[derive(Template)]
#[template(path = "console/cases.html")]
struct CasesPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    cases: Option<Vec<app::mailbox::CaseSummary>>,
    refusal: String,
}

async fn cases_page(State(ctx): State<ApiContext>, c: Console) -> Response {
    if let Err(r) = c.require(ConsoleRole::CaseHandler) {
        return r;
    }
    let (cases, refusal) = match ctx.app.mailbox_cases(&c.s.actor).await {
        Ok(v) => (Some(v), String::new()),
        Err(app::AppError::Forbidden(m)) => (None, m),
        Err(e) => return app_error(&c, e, "/console"),
    };
    console_page!(CasesPage {
        c.frame("/console/cases", "cases"),
        cases: cases,
        refusal: refusal,
    })
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    f: Frame,
    d: app::mailbox::CaseDetail,
    messages: Vec<MessageView>,
    /// The handler recipients the case was encrypted to, space-separated.
    recipients: String,
}

/// One message with its attachments, as ciphertext for the browser to decrypt.
struct MessageView {
    id: i64,
    author: String,
    kind: String,
    on: chrono::NaiveDate,
    for_reporter: bool,
    /// age v1 binary, base64.
    ciphertext: String,
    bytes: usize,
    /// (attachment id, age ciphertext in base64, its size in bytes).
    attachments: Vec<(i64, String, usize)>,
}

/// Bytes encoded by a padded base64 string.
fn decoded_len(b64: &str) -> usize {
    let pad = b64.bytes().rev().take_while(|b| *b == b'=').count();
    (b64.len() / 4 * 3).saturating_sub(pad)
}

fn message_views(d: &app::mailbox::CaseDetail) -> Vec<MessageView> {
    d.messages
        .iter()
        .map(|m| MessageView {
            id: m.id,
            author: m.author.clone(),
            kind: m.kind.clone(),
            on: m.on,
            for_reporter: m.for_reporter,
            ciphertext: m.ciphertext.clone(),
            bytes: decoded_len(&m.ciphertext),
            attachments: d
                .attachments
                .iter()
                .filter(|a| a.message_id == m.id)
                .map(|a| (a.id, a.ciphertext.clone(), decoded_len(&a.ciphertext)))
                .collect(),
        })
        .collect()
}

fn case_id(c: &Console, id: &str) -> Result<i64, Response> {
    id.parse::<i64>().map_err(|_| {
        app_error(
            c,
            app::AppError::invalid("id", "case id must be an integer"),
            "/console/cases",
        )
    })
}

async fn case_page(State(ctx): State<ApiContext>, c: Console, Path(id): Path<String>) -> Response {
    if let Err(r) = c.require(ConsoleRole::CaseHandler) {
        return r;
    }
    let id = match case_id(&c, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let d = try_page!(
        c,
        ctx.app.mailbox_case(&c.s.actor, id).await,
        "/console/cases"
    );
    let path = format!("/console/cases/{id}");
    let messages = message_views(&d);
    let recipients = d.recipients.join(" ");
    console_page!(CasePage {
        c.frame(&path, "cases"),
        d: d,
        messages: messages,
        recipients: recipients,
    })
}

async fn transition(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let f = match c.post_for(form, ConsoleRole::CaseHandler) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = match case_id(&c, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let back = format!("/console/cases/{id}");
    try_page!(
        c,
        ctx.app
            .mailbox_transition(&c.s.actor, id, f.get("to"))
            .await,
        &back
    );
    c.back(&back)
}

async fn message(
    State(ctx): State<ApiContext>,
    c: Console,
    Path(id): Path<String>,
    form: F,
) -> Response {
    let f = match c.post_for(form, ConsoleRole::CaseHandler) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = match case_id(&c, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let back = format!("/console/cases/{id}");
    try_page!(
        c,
        ctx.app
            .mailbox_post_message(&c.s.actor, id, f.get("kind"), f.get("text"))
            .await,
        &back
    );
    c.back(&back)
}
