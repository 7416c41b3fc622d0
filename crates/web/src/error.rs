//! RFC 9457 problem details for every error the HTTP layer returns.

use app::AppError;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error on its way out as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable kind, the last segment of the problem `type` URI.
    pub kind: &'static str,
    pub detail: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    type_: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn bad_request(field: &str, detail: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid-input",
            detail: detail.into(),
            field: Some(field.to_string()),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(d) => ApiError {
                status: StatusCode::BAD_REQUEST,
                kind: "invalid-input",
                detail: d.to_string(),
                field: Some(d.field),
            },
            AppError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a valid API key is required (Authorization: Bearer <key>)",
            ),
            AppError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            AppError::NotFound(m) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("{m} does not exist"),
            ),
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it was logged",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = Problem {
            type_: format!("https://ppetrace.org/problems/{}", self.kind),
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
            field: self.field.as_deref(),
        };
        let mut resp = (self.status, Json(&body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not-found", "no such resource")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this method is not allowed on this resource",
    )
}

pub fn panic_to_problem(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; it was logged",
    )
    .into_response()
}

/// `axum::Json` whose rejections are problems naming what was wrong.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                // serde's message names the field path, e.g. "gtin: invalid type".
                let detail = e.body_text();
                let field = detail
                    .split_once(": ")
                    .and_then(|(_, rest)| rest.split(':').next())
                    .filter(|f| !f.contains(' '))
                    .unwrap_or("body")
                    .to_string();
                Err(ApiError {
                    status: StatusCode::BAD_REQUEST,
                    kind: "invalid-input",
                    detail,
                    field: Some(field),
                })
            }
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError {
                status: StatusCode::BAD_REQUEST,
                kind: "malformed-json",
                detail: e.body_text(),
                field: Some("body".into()),
            }),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as Content-Type: application/json",
            )),
            Err(e) => Err(ApiError::new(e.status(), "bad-body", e.body_text())),
        }
    }
}

/// Turns the plain-text rejections of axum's extractors (a malformed query string, a
/// path segment of the wrong type, a form that does not deserialize, a body over the
/// limit) into problem documents, so that every error of the API is machine-readable
/// — including those of routes added later that use `Query`, `Path` or `Form` directly.
pub async fn plain_rejections_to_problems(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let plain = match resp.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.to_str().is_ok_and(|ct| ct.starts_with("text/plain")),
    };
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return resp;
    }
    let detail = match axum::body::to_bytes(resp.into_body(), 16 * 1024).await {
        Ok(b) if !b.is_empty() => String::from_utf8_lossy(&b).into_owned(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let kind = match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::PAYLOAD_TOO_LARGE => "body-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid-input",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad-request",
    };
    ApiError {
        status,
        kind,
        detail,
        field: None,
    }
    .into_response()
}
