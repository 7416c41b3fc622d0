//! Authentication: `Authorization: Bearer <api key>` resolves to an
//! [`domain::authz::Actor`]. Handlers that write take [`Auth`]; public ones take none.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use domain::authz::Actor;

use crate::{ApiContext, ApiError};

/// An authenticated caller. Rejects with 401 when the key is missing or wrong.
pub struct Auth(pub Actor);

impl FromRequestParts<ApiContext> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ApiContext,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(app::AppError::Unauthenticated.into());
        };
        let text = value
            .to_str()
            .map_err(|_| ApiError::from(app::AppError::Unauthenticated))?;
        let key = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::from(app::AppError::Unauthenticated))?;
        Ok(Auth(ctx.app.authenticate(key).await?))
    }
}
