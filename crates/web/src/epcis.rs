//! The EPCIS 2.0 REST binding (capture, events, resource paths, named queries) and
//! the traceability API (`/api/v1/trace/…`). Thin handlers over `app::epcis`.
//!
//! Every response carries `GS1-EPCIS-Version` and `GS1-CBV-Version`; errors are
//! `application/problem+json` with the binding's `epcisException:<Type>` types.

use app::epcis::capture::{ErrorBehaviour, Syntax};
use app::epcis::query::QueryPage;
use app::epcis::{CAPTURE_FILE_SIZE_LIMIT, CAPTURE_LIMIT, EpcisFailure};
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::auth::Auth;
use crate::{ApiContext, ApiError};

pub const EPCIS_VERSION: &str = "2.0.0";
pub const CBV_VERSION: &str = "2.0.0";

pub fn router() -> Router<ApiContext> {
    let binding = Router::new()
        .route(
            "/capture",
            get(list_jobs).post(capture).options(capture_options),
        )
        .route("/capture/{id}", get(capture_job))
        .route(
            "/events",
            get(events).post(capture_event).options(capture_options),
        )
        .route("/events/{event_id}", get(event_by_id))
        .route("/eventTypes", get(event_types))
        .route("/eventTypes/{t}/events", get(by_event_type))
        .route("/epcs/{v}/events", get(by_epc))
        .route("/bizSteps/{v}/events", get(by_biz_step))
        .route("/bizLocations/{v}/events", get(by_biz_location))
        .route("/readPoints/{v}/events", get(by_read_point))
        .route("/dispositions/{v}/events", get(by_disposition))
        .route("/queries", get(list_queries).post(create_query))
        .route("/queries/{name}", get(get_query).delete(delete_query))
        .route("/queries/{name}/events", get(run_query))
        .route("/api/v1/trace/items", get(trace_item))
        .route("/api/v1/trace/lots/{gtin}/{lot}", get(trace_lot))
        .layer(DefaultBodyLimit::disable());
    binding
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("gs1-epcis-version"),
            HeaderValue::from_static(EPCIS_VERSION),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("gs1-cbv-version"),
            HeaderValue::from_static(CBV_VERSION),
        ))
}

/// An EPCIS failure as problem+json.
pub struct EpcisProblem(EpcisFailure);

impl From<EpcisFailure> for EpcisProblem {
    fn from(e: EpcisFailure) -> Self {
        EpcisProblem(e)
    }
}
impl From<app::AppError> for EpcisProblem {
    fn from(e: app::AppError) -> Self {
        EpcisProblem(EpcisFailure::App(e))
    }
}
impl From<ApiError> for EpcisProblem {
    fn from(e: ApiError) -> Self {
        EpcisProblem(EpcisFailure::App(match e.status {
            StatusCode::UNAUTHORIZED => app::AppError::Unauthenticated,
            StatusCode::FORBIDDEN => app::AppError::Forbidden(e.detail),
            StatusCode::NOT_FOUND => app::AppError::NotFound(e.detail),
            _ => app::AppError::invalid(e.field.as_deref().unwrap_or("request"), e.detail),
        }))
    }
}

fn epcis_problem(status: StatusCode, kind: &str, detail: &str, extra: Option<Value>) -> Response {
    let mut body = json!({
        "type": format!("epcisException:{kind}"),
        "title": kind,
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some(Value::Object(x)), Value::Object(m)) = (extra, &mut body) {
        m.extend(x);
    }
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

impl IntoResponse for EpcisProblem {
    fn into_response(self) -> Response {
        match self.0 {
            EpcisFailure::App(app::AppError::Unauthenticated) => {
                ApiError::from(app::AppError::Unauthenticated).into_response()
            }
            EpcisFailure::App(app::AppError::Forbidden(m)) => {
                epcis_problem(StatusCode::FORBIDDEN, "SecurityException", &m, None)
            }
            EpcisFailure::App(app::AppError::NotFound(m)) => epcis_problem(
                StatusCode::NOT_FOUND,
                "NoSuchResourceException",
                &format!("{m} does not exist"),
                None,
            ),
            EpcisFailure::App(app::AppError::Conflict(m)) => {
                epcis_problem(StatusCode::CONFLICT, "ValidationException", &m, None)
            }
            EpcisFailure::App(app::AppError::Invalid(d)) => epcis_problem(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                &d.to_string(),
                Some(json!({"field": d.field})),
            ),
            EpcisFailure::App(e @ app::AppError::Internal(_)) => ApiError::from(e).into_response(),
            EpcisFailure::Parameter { name, message } => epcis_problem(
                StatusCode::BAD_REQUEST,
                "QueryParameterException",
                &format!("{name}: {message}"),
                Some(json!({"field": name})),
            ),
            EpcisFailure::Validation(m) => {
                epcis_problem(StatusCode::BAD_REQUEST, "ValidationException", &m, None)
            }
            EpcisFailure::TooLarge(m) => epcis_problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "QueryTooLargeException",
                &m,
                None,
            ),
            EpcisFailure::CaptureLimit(m) => epcis_problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "CaptureLimitExceededException",
                &m,
                None,
            ),
            EpcisFailure::Duplicate(m) => {
                epcis_problem(StatusCode::CONFLICT, "ValidationException", &m, None)
            }
            EpcisFailure::NoSuchResource(m) => epcis_problem(
                StatusCode::NOT_FOUND,
                "NoSuchResourceException",
                &format!("{m} does not exist"),
                None,
            ),
        }
    }
}

type R = Result<Response, EpcisProblem>;

/// Refuses a request asking for an EPCIS version other than 2.0.x.
fn check_version(h: &HeaderMap) -> Result<(), EpcisProblem> {
    if let Some(v) = h.get("gs1-epcis-version") {
        let v = v.to_str().unwrap_or("");
        if !v.trim().starts_with("2.0") {
            return Err(EpcisFailure::Validation(format!(
                "GS1-EPCIS-Version '{v}' is not supported; this server implements {EPCIS_VERSION}"
            ))
            .into());
        }
    }
    Ok(())
}

fn limit_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(
        "gs1-epcis-capture-limit",
        HeaderValue::from(CAPTURE_LIMIT as u64),
    );
    h.insert(
        "gs1-epcis-capture-file-size-limit",
        HeaderValue::from(CAPTURE_FILE_SIZE_LIMIT as u64),
    );
    h.insert(
        "gs1-capture-error-behaviour",
        HeaderValue::from_static("rollback, proceed"),
    );
    h.insert(
        "gs1-epcis-capture-media-types",
        HeaderValue::from_static(
            "application/ld+json, application/json, application/xml, text/xml",
        ),
    );
}

async fn read_body(body: Body) -> Result<Vec<u8>, EpcisProblem> {
    match axum::body::to_bytes(body, CAPTURE_FILE_SIZE_LIMIT).await {
        Ok(b) => Ok(b.to_vec()),
        Err(_) => Err(EpcisFailure::CaptureLimit(format!(
            "the body exceeds GS1-EPCIS-Capture-File-Size-Limit ({CAPTURE_FILE_SIZE_LIMIT} bytes)"
        ))
        .into()),
    }
}

async fn capture_options() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    limit_headers(&mut r);
    r.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("OPTIONS, GET, POST"),
    );
    r
}

async fn list_jobs(State(ctx): State<ApiContext>, Auth(actor): Auth) -> R {
    let jobs = ctx.app.capture_jobs(&actor).await?;
    let mut r = axum::Json(jobs).into_response();
    limit_headers(&mut r);
    Ok(r)
}

async fn capture(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    headers: HeaderMap,
    body: Body,
) -> R {
    check_version(&headers)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if Syntax::from_media_type(ct).is_none() {
        return Ok(epcis_problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "ValidationException",
            "send an EPCISDocument as application/ld+json, application/json, application/xml or text/xml",
            None,
        ));
    }
    let behaviour = ErrorBehaviour::parse(
        headers
            .get("gs1-capture-error-behaviour")
            .and_then(|v| v.to_str().ok()),
    )?;
    let bytes = read_body(body).await?;
    let id = ctx.app.submit_capture(&actor, ct, bytes, behaviour).await?;
    let mut r = (StatusCode::ACCEPTED, axum::Json(json!({"captureID": id}))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/capture/{id}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    limit_headers(&mut r);
    Ok(r)
}

async fn capture_job(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> R {
    let job = ctx.app.capture_job(&actor, &id).await?;
    Ok(axum::Json(job).into_response())
}

async fn capture_event(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    headers: HeaderMap,
    body: Body,
) -> R {
    check_version(&headers)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if Syntax::from_media_type(ct) != Some(Syntax::Json) {
        return Ok(epcis_problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "ValidationException",
            "send one EPCIS event as application/ld+json or application/json",
            None,
        ));
    }
    let bytes = read_body(body).await?;
    let id = ctx.app.capture_single_event(&actor, &bytes).await?;
    let mut r = (StatusCode::CREATED, axum::Json(json!({"eventID": id}))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/events/{}", pct(&id))) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// Percent-encodes a path segment or query value (everything but unreserved).
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn query_document(page: &QueryPage, query_name: &str) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "epcisBody": {"queryResults": {"queryName": query_name, "resultsBody": {"eventList": page.events}}}
    })
}

fn page_response(path: &str, raw: Option<&str>, page: QueryPage, query_name: &str) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, "application/ld+json")],
        axum::Json(query_document(&page, query_name)).0.to_string(),
    )
        .into_response();
    if let Some(t) = &page.next_page_token {
        let mut qs: Vec<String> = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("nextPageToken="))
            .map(String::from)
            .collect();
        qs.push(format!("nextPageToken={}", pct(t)));
        let link = format!("<{path}?{}>; rel=\"next\"", qs.join("&"));
        if let Ok(v) = HeaderValue::from_str(&link) {
            r.headers_mut().insert(header::LINK, v);
        }
        if let Ok(v) = HeaderValue::from_str(t) {
            r.headers_mut().insert("gs1-next-page-token", v);
        }
    }
    r
}

async fn run(
    ctx: &ApiContext,
    actor: &domain::authz::Actor,
    path: &str,
    raw: Option<String>,
    extra: Option<(&str, &str)>,
) -> R {
    let mut qs = raw.clone().unwrap_or_default();
    if let Some((k, v)) = extra {
        if !qs.is_empty() {
            qs.push('&');
        }
        qs.push_str(&format!("{k}={}", pct(v)));
    }
    let q = app::epcis::EventQuery::parse_query_string(&qs).map_err(EpcisFailure::from)?;
    let page = ctx.app.query_events(actor, &q).await?;
    Ok(page_response(
        path,
        raw.as_deref(),
        page,
        "SimpleEventQuery",
    ))
}

async fn events(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> R {
    check_version(&headers)?;
    run(&ctx, &actor, "/events", raw, None).await
}

async fn event_by_id(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> R {
    let evs = ctx.app.event_by_id(&actor, &id).await?;
    let page = QueryPage {
        events: evs,
        next_page_token: None,
    };
    Ok(page_response("/events", None, page, "SimpleEventQuery"))
}

async fn event_types(State(ctx): State<ApiContext>, Auth(_actor): Auth) -> R {
    let t = ctx.app.event_types().await?;
    Ok(axum::Json(json!({"@set": t})).into_response())
}

macro_rules! resource_events {
    ($name:ident, $param:literal, $base:literal) => {
        async fn $name(
            State(ctx): State<ApiContext>,
            Auth(actor): Auth,
            Path(v): Path<String>,
            RawQuery(raw): RawQuery,
        ) -> R {
            if let Some(r) = &raw {
                if r.split('&').any(|p| p.starts_with(concat!($param, "="))) {
                    return Err(EpcisFailure::Parameter {
                        name: $param.into(),
                        message: "already given by the path".into(),
                    }
                    .into());
                }
            }
            let path = format!(concat!($base, "/{}/events"), pct(&v));
            run(&ctx, &actor, &path, raw, Some(($param, &v))).await
        }
    };
}

resource_events!(by_event_type, "eventType", "/eventTypes");
resource_events!(by_epc, "MATCH_anyEPC", "/epcs");
resource_events!(by_biz_step, "EQ_bizStep", "/bizSteps");
resource_events!(by_biz_location, "EQ_bizLocation", "/bizLocations");
resource_events!(by_read_point, "EQ_readPoint", "/readPoints");
resource_events!(by_disposition, "EQ_disposition", "/dispositions");

#[derive(Deserialize)]
struct NewQuery {
    name: String,
    query: Value,
}

async fn create_query(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    crate::error::ApiJson(body): crate::error::ApiJson<NewQuery>,
) -> R {
    ctx.app
        .create_named_query(&actor, &body.name, &body.query)
        .await?;
    let mut r = (StatusCode::CREATED, axum::Json(json!({"name": body.name}))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/queries/{}", pct(&body.name))) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

fn query_view(q: &store::NamedQuery) -> Value {
    json!({
        "name": q.name,
        "query": serde_json::from_str::<Value>(&q.query).unwrap_or(Value::Null),
        "createdAt": q.created_at,
    })
}

async fn list_queries(State(ctx): State<ApiContext>, Auth(_actor): Auth) -> R {
    let qs = ctx.app.named_queries().await?;
    Ok(axum::Json(qs.iter().map(query_view).collect::<Vec<_>>()).into_response())
}

async fn get_query(
    State(ctx): State<ApiContext>,
    Auth(_actor): Auth,
    Path(name): Path<String>,
) -> R {
    let q = ctx.app.named_query(&name).await?;
    Ok(axum::Json(query_view(&q)).into_response())
}

async fn delete_query(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> R {
    ctx.app.delete_named_query(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn run_query(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> R {
    let mut paging = Vec::new();
    for part in raw
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let v = app::epcis::percent_decode(v).map_err(|m| EpcisFailure::Parameter {
            name: k.to_string(),
            message: m,
        })?;
        paging.push((k.to_string(), v));
    }
    let page = ctx.app.run_named_query(&actor, &name, &paging).await?;
    let path = format!("/queries/{}/events", pct(&name));
    Ok(page_response(&path, raw.as_deref(), page, &name))
}

#[derive(Deserialize)]
struct TraceParams {
    code: Option<String>,
}

async fn trace_item(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    axum::extract::Query(p): axum::extract::Query<TraceParams>,
) -> R {
    let Some(code) = p.code else {
        return Err(EpcisProblem::from(app::AppError::invalid(
            "code",
            "give the item's code: ?code=<Digital Link, EPC URN or element string>",
        )));
    };
    let t = ctx.app.trace_item(&actor, &code).await?;
    Ok(axum::Json(t).into_response())
}

async fn trace_lot(
    State(ctx): State<ApiContext>,
    Auth(actor): Auth,
    Path((gtin, lot)): Path<(String, String)>,
) -> R {
    let t = ctx.app.trace_lot(&actor, &gtin, &lot).await?;
    Ok(axum::Json(t).into_response())
}
