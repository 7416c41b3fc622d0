//! Case-handler console over the fraud-report mailbox (`app::mailbox`): the cases
//! of the handler's channel with their EU 2019/1937 deadlines, state changes and
//! messages to the reporter. Report contents are age ciphertext to the handlers'
//! keys; the server cannot show them — handlers decrypt them locally with
//! `ppetrace mailbox read`. The user's console key must be registered as a handler
//! (`POST /api/v1/mailbox/handlers`).

use app::users::ConsoleRole;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
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
    console_page!(CasePage {
        c.frame(&path, "cases"),
        d: d,
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
