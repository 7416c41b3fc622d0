//! The fraud-report mailbox over HTTP: the no-JavaScript bilingual pages for
//! reporters, the JSON API (reporters with proof of work, handlers with API keys),
//! and the public results page.
//!
//! Anonymity: these handlers never read the peer address, `User-Agent`, cookies or
//! forwarding headers, never log, and answer with `Cache-Control: no-store` and
//! `Referrer-Policy: no-referrer`. Receipts travel only in POST bodies.

use app::mailbox::{AttachmentInput, Category, Proof, ReportInput};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::Auth;
use crate::error::ApiJson;
use crate::i18n::{Lang, negotiate};
use crate::pages::{Chrome, render};
use crate::{ApiContext, ApiError};

/// Largest body of a mailbox request (attachments, base64 in JSON).
const BODY_LIMIT: usize = 16 << 20;

pub fn router() -> Router<ApiContext> {
    Router::new()
        .route("/mailbox", get(form_page))
        .route("/mailbox/report", post(form_submit))
        .route("/mailbox/return", get(return_page).post(return_submit))
        .route("/mailbox/return/add", post(return_add))
        .route("/mailbox/published", get(public_page))
        .route("/api/v1/mailbox/challenge", get(challenge))
        .route("/api/v1/mailbox/reports", post(api_submit))
        .route("/api/v1/mailbox/receipt", post(api_thread))
        .route("/api/v1/mailbox/receipt/messages", post(api_add))
        .route("/api/v1/mailbox/stats", get(api_stats))
        .route("/api/v1/mailbox/published", get(api_published))
        .route("/api/v1/mailbox/handlers", post(api_register_handler))
        .route("/api/v1/mailbox/cases", get(api_cases))
        .route("/api/v1/mailbox/cases/{id}", get(api_case))
        .route("/api/v1/mailbox/cases/{id}/messages", post(api_message))
        .route("/api/v1/mailbox/cases/{id}/state", post(api_state))
        .route("/api/v1/mailbox/cases/{id}/assign", post(api_assign))
        .route("/api/v1/mailbox/cases/{id}/publish", post(api_publish))
        .route("/api/v1/mailbox/purge", post(api_purge))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

fn too_many() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "the mailbox is busy; try again in a minute",
    )
}

fn categories(l: Lang) -> Vec<(&'static str, &'static str)> {
    Category::ALL
        .iter()
        .map(|c| {
            let (en, zh) = c.labels();
            (c.as_str(), l.t(en, zh))
        })
        .collect()
}

fn category_label(l: Lang, s: &str) -> String {
    Category::parse(s)
        .map(|c| {
            let (en, zh) = c.labels();
            l.t(en, zh).to_string()
        })
        .unwrap_or_else(|| s.to_string())
}

fn state_label(l: Lang, s: &str) -> &'static str {
    match s {
        "received" => l.t("received, waiting for acknowledgement", "已收到，等待确认"),
        "acknowledged" => l.t("acknowledged", "已确认"),
        "investigating" => l.t("under investigation", "调查中"),
        "substantiated" => l.t("substantiated", "查证属实"),
        "unsubstantiated" => l.t("not substantiated", "查证不实"),
        "closed" => l.t("closed", "已结案"),
        _ => l.t("unknown", "未知"),
    }
}

fn lang_of(s: Option<&str>) -> Lang {
    match s {
        Some(l) if l.starts_with("zh") => Lang::Zh,
        _ => Lang::En,
    }
}

// ---------- pages ----------

#[derive(Template)]
#[template(path = "mailbox/form.html")]
struct FormPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    categories: Vec<(&'static str, &'static str)>,
    max_text: usize,
    max_files: usize,
    max_mib: usize,
    error: Option<String>,
    code: String,
}

#[derive(Template)]
#[template(path = "mailbox/receipt.html")]
struct ReceiptPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    receipt: String,
    attachments: Vec<app::mailbox::AttachmentReceipt>,
}

#[derive(Template)]
#[template(path = "mailbox/thread.html")]
struct ThreadPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    view: Option<app::mailbox::ReporterView>,
    state_label: &'static str,
    receipt: String,
    notice: Option<String>,
    error: Option<String>,
}

struct PublicCase {
    id: i64,
    category_label: String,
    published_on: String,
    organization: Option<String>,
    gtin: Option<String>,
    summary: String,
}

#[derive(Template)]
#[template(path = "mailbox/public.html")]
struct PublicPage {
    l: Lang,
    lang_param: &'static str,
    switch_en: String,
    switch_zh: String,
    stats: app::mailbox::Stats,
    median: String,
    cases: Vec<PublicCase>,
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
    /// Prefills the form's code field (the verification page links here with it).
    code: Option<String>,
}

fn form_page_with(
    ctx: &ApiContext,
    l: Lang,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    form_page_code(ctx, l, status, error, String::new())
}

fn form_page_code(
    ctx: &ApiContext,
    l: Lang,
    status: StatusCode,
    error: Option<String>,
    code: String,
) -> Response {
    let c = Chrome::new(l, "/mailbox", &[]);
    let cfg = &ctx.app.config.mailbox;
    render(
        status,
        &FormPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            categories: categories(l),
            max_text: cfg.max_text_chars,
            max_files: cfg.max_attachments,
            max_mib: cfg.max_attachment_bytes >> 20,
            error,
            code,
        },
    )
}

async fn form_page(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let l = negotiate(q.lang.as_deref(), &headers);
    // Printable text only, at most the field's 300 characters.
    let code = q
        .code
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    form_page_code(&ctx, l, StatusCode::OK, None, code)
}

/// Fields of a mailbox multipart form.
#[derive(Default)]
struct Fields {
    text: std::collections::HashMap<String, String>,
    files: Vec<AttachmentInput>,
}

async fn read_multipart(mut mp: Multipart) -> Result<Fields, ApiError> {
    let mut f = Fields::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(
            "body",
            format!("malformed multipart body: {}", e.body_text()),
        )
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "attachment" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let data = field.bytes().await.map_err(bad)?;
            if file_name.is_empty() && data.is_empty() {
                continue; // the empty file input of a form sent without a file
            }
            f.files.push(AttachmentInput {
                name: file_name,
                content_type,
                data: data.to_vec(),
            });
        } else if matches!(
            name.as_str(),
            "category" | "text" | "code" | "gtin" | "organization" | "lang" | "receipt"
        ) {
            let v = field.text().await.map_err(bad)?;
            f.text.insert(name, v);
        }
    }
    Ok(f)
}

fn some(v: Option<&String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty()).cloned()
}

async fn form_submit(State(ctx): State<ApiContext>, mp: Multipart) -> Response {
    let fields = match read_multipart(mp).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let l = lang_of(fields.text.get("lang").map(String::as_str));
    if !ctx.app.mailbox_allow_submission() {
        let msg = l.t(
            "The mailbox is busy. Please try again in a minute.",
            "举报箱繁忙，请一分钟后再试。",
        );
        return form_page_with(&ctx, l, StatusCode::TOO_MANY_REQUESTS, Some(msg.into()));
    }
    let input = ReportInput {
        category: fields.text.get("category").cloned().unwrap_or_default(),
        text: fields.text.get("text").cloned().unwrap_or_default(),
        code: some(fields.text.get("code")),
        gtin: some(fields.text.get("gtin")),
        organization: some(fields.text.get("organization")),
        channel: None,
        attachments: fields.files,
    };
    match ctx.app.mailbox_submit(&input, &Proof::Form).await {
        Ok(s) => {
            let c = Chrome::new(l, "/mailbox", &[]);
            render(
                StatusCode::OK,
                &ReceiptPage {
                    l: c.l,
                    lang_param: c.lang_param,
                    switch_en: c.switch_en,
                    switch_zh: c.switch_zh,
                    receipt: s.receipt,
                    attachments: s.attachments,
                },
            )
        }
        Err(app::AppError::Invalid(d)) => {
            form_page_with(&ctx, l, StatusCode::BAD_REQUEST, Some(d.to_string()))
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn thread_page(
    l: Lang,
    status: StatusCode,
    view: Option<app::mailbox::ReporterView>,
    receipt: String,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let c = Chrome::new(l, "/mailbox/return", &[]);
    let state = view
        .as_ref()
        .map(|v| state_label(l, &v.state))
        .unwrap_or("");
    render(
        status,
        &ThreadPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            view,
            state_label: state,
            receipt,
            notice,
            error,
        },
    )
}

async fn return_page(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let l = negotiate(q.lang.as_deref(), &headers);
    thread_page(l, StatusCode::OK, None, String::new(), None, None)
}

#[derive(Deserialize)]
struct ReceiptForm {
    receipt: String,
    lang: Option<String>,
}

fn wrong_receipt_page(l: Lang) -> Response {
    thread_page(
        l,
        StatusCode::FORBIDDEN,
        None,
        String::new(),
        None,
        Some(
            l.t("The receipt was not recognised.", "回执码无法识别。")
                .into(),
        ),
    )
}

async fn return_submit(State(ctx): State<ApiContext>, Form(f): Form<ReceiptForm>) -> Response {
    let l = lang_of(f.lang.as_deref());
    if !ctx.app.mailbox_allow_receipt_check() {
        return thread_page(
            l,
            StatusCode::TOO_MANY_REQUESTS,
            None,
            String::new(),
            None,
            Some(
                l.t(
                    "Too many attempts right now. Please try again in a minute.",
                    "当前尝试次数过多，请一分钟后再试。",
                )
                .into(),
            ),
        );
    }
    match ctx.app.mailbox_reporter_view(&f.receipt).await {
        Ok(v) => thread_page(l, StatusCode::OK, Some(v), f.receipt, None, None),
        Err(app::AppError::Forbidden(_)) => wrong_receipt_page(l),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn return_add(State(ctx): State<ApiContext>, mp: Multipart) -> Response {
    let fields = match read_multipart(mp).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let l = lang_of(fields.text.get("lang").map(String::as_str));
    if !ctx.app.mailbox_allow_receipt_check() {
        return too_many().into_response();
    }
    let receipt = fields.text.get("receipt").cloned().unwrap_or_default();
    let text = fields.text.get("text").cloned().unwrap_or_default();
    let added = ctx
        .app
        .mailbox_reporter_add(&receipt, &text, &fields.files)
        .await;
    let (notice, error) = match added {
        Ok(_) => (
            Some(
                l.t("Your message was added.", "您的信息已添加。")
                    .to_string(),
            ),
            None,
        ),
        Err(app::AppError::Forbidden(_)) => return wrong_receipt_page(l),
        Err(app::AppError::Invalid(d)) => (None, Some(d.to_string())),
        Err(app::AppError::Conflict(m)) => (None, Some(m)),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match ctx.app.mailbox_reporter_view(&receipt).await {
        Ok(v) => thread_page(l, StatusCode::OK, Some(v), receipt, notice, error),
        Err(app::AppError::Forbidden(_)) => wrong_receipt_page(l),
        Err(e) => ApiError::from(e).into_response(),
    }
}

async fn public_page(
    State(ctx): State<ApiContext>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let l = negotiate(q.lang.as_deref(), &headers);
    let c = Chrome::new(l, "/mailbox/published", &[]);
    let stats = ctx.app.mailbox_stats().await?;
    let cases = ctx
        .app
        .mailbox_published()
        .await?
        .into_iter()
        .map(|p| PublicCase {
            id: p.id,
            category_label: category_label(l, &p.category),
            published_on: p.published_on.map(|d| d.to_string()).unwrap_or_default(),
            organization: p.organization,
            gtin: p.gtin,
            summary: p.summary,
        })
        .collect();
    let median = stats
        .median_days_to_acknowledge
        .map(|d| format!("{d:.1}"))
        .unwrap_or_else(|| "—".into());
    Ok(render(
        StatusCode::OK,
        &PublicPage {
            l: c.l,
            lang_param: c.lang_param,
            switch_en: c.switch_en,
            switch_zh: c.switch_zh,
            stats,
            median,
            cases,
        },
    ))
}

// ---------- reporter API ----------

async fn challenge(State(ctx): State<ApiContext>) -> Json<serde_json::Value> {
    let (challenge, bits) = ctx.app.mailbox_challenge();
    Json(json!({
        "challenge": challenge,
        "bits": bits,
        "algorithm": "find a decimal nonce such that SHA-256(challenge + \":\" + nonce) starts with `bits` zero bits",
        "expires_in": app::mailbox::pow::CHALLENGE_TTL_SECS,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiAttachment {
    name: String,
    #[serde(default)]
    content_type: Option<String>,
    /// Standard base64.
    data: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PowBody {
    challenge: String,
    nonce: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    category: String,
    text: String,
    code: Option<String>,
    gtin: Option<String>,
    organization: Option<String>,
    channel: Option<String>,
    #[serde(default)]
    attachments: Vec<ApiAttachment>,
    pow: PowBody,
}

fn decode_attachments(list: Vec<ApiAttachment>) -> Result<Vec<AttachmentInput>, ApiError> {
    use base64::Engine;
    list.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let data = base64::engine::general_purpose::STANDARD
                .decode(a.data.as_bytes())
                .map_err(|_| {
                    ApiError::bad_request(&format!("attachments[{i}].data"), "not standard base64")
                })?;
            Ok(AttachmentInput {
                name: a.name,
                content_type: a
                    .content_type
                    .unwrap_or_else(|| "application/octet-stream".into()),
                data,
            })
        })
        .collect()
}

async fn api_submit(
    State(ctx): State<ApiContext>,
    ApiJson(b): ApiJson<ReportBody>,
) -> Result<Response, ApiError> {
    if !ctx.app.mailbox_allow_submission() {
        return Err(too_many());
    }
    let input = ReportInput {
        category: b.category,
        text: b.text,
        code: b.code,
        gtin: b.gtin,
        organization: b.organization,
        channel: b.channel,
        attachments: decode_attachments(b.attachments)?,
    };
    let proof = Proof::Work {
        challenge: b.pow.challenge,
        nonce: b.pow.nonce,
    };
    let s = ctx.app.mailbox_submit(&input, &proof).await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptBody {
    receipt: String,
}

async fn api_thread(
    State(ctx): State<ApiContext>,
    ApiJson(b): ApiJson<ReceiptBody>,
) -> Result<Response, ApiError> {
    if !ctx.app.mailbox_allow_receipt_check() {
        return Err(too_many());
    }
    let v = ctx.app.mailbox_reporter_view(&b.receipt).await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    receipt: String,
    text: String,
    #[serde(default)]
    attachments: Vec<ApiAttachment>,
}

async fn api_add(
    State(ctx): State<ApiContext>,
    ApiJson(b): ApiJson<AddBody>,
) -> Result<Response, ApiError> {
    if !ctx.app.mailbox_allow_receipt_check() {
        return Err(too_many());
    }
    let atts = decode_attachments(b.attachments)?;
    let r = ctx
        .app
        .mailbox_reporter_add(&b.receipt, &b.text, &atts)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"attachments": r}))).into_response())
}

async fn api_stats(State(ctx): State<ApiContext>) -> Result<Response, ApiError> {
    Ok(Json(ctx.app.mailbox_stats().await?).into_response())
}

async fn api_published(State(ctx): State<ApiContext>) -> Result<Response, ApiError> {
    Ok(Json(ctx.app.mailbox_published().await?).into_response())
}

// ---------- handler API ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandlerBody {
    recipient: String,
    channel: Option<String>,
}

async fn api_register_handler(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    ApiJson(b): ApiJson<HandlerBody>,
) -> Result<Response, ApiError> {
    let h = ctx
        .app
        .mailbox_register_handler(&actor, &b.recipient, b.channel.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": h.id, "key_id": h.key_id, "org_id": h.org_id, "channel": h.channel, "recipient": h.recipient})),
    )
        .into_response())
}

async fn api_cases(State(ctx): State<ApiContext>, Auth(actor): Auth) -> Result<Response, ApiError> {
    Ok(Json(ctx.app.mailbox_cases(&actor).await?).into_response())
}

fn case_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .map_err(|_| ApiError::bad_request("id", "case id must be an integer"))
}

async fn api_case(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(ctx.app.mailbox_case(&actor, case_id(&id)?).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    kind: String,
    text: String,
}

async fn api_message(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MessageBody>,
) -> Result<Response, ApiError> {
    let mid = ctx
        .app
        .mailbox_post_message(&actor, case_id(&id)?, &b.kind, &b.text)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": mid}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateBody {
    to: String,
}

async fn api_state(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StateBody>,
) -> Result<Response, ApiError> {
    Ok(Json(
        ctx.app
            .mailbox_transition(&actor, case_id(&id)?, &b.to)
            .await?,
    )
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    handler_key_id: i64,
}

async fn api_assign(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Response, ApiError> {
    Ok(Json(
        ctx.app
            .mailbox_assign(&actor, case_id(&id)?, b.handler_key_id)
            .await?,
    )
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    summary: String,
    organization_id: Option<i64>,
    gtin: Option<String>,
}

async fn api_publish(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PublishBody>,
) -> Result<Response, ApiError> {
    Ok(Json(
        ctx.app
            .mailbox_publish(&actor, case_id(&id)?, &b.summary, b.organization_id, b.gtin)
            .await?,
    )
    .into_response())
}

async fn api_purge(State(ctx): State<ApiContext>, Auth(actor): Auth) -> Result<Response, ApiError> {
    let n = ctx.app.mailbox_purge(Some(&actor)).await?;
    Ok(Json(json!({"purged": n})).into_response())
}
