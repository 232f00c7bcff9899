//! One error type for every handler, answered as RFC 9457 `application/problem+json`.
//!
//! Each problem carries a stable English `code` (also the last segment of its
//! `type`), a Chinese `title` and `detail` staff can read, an English
//! `detail_en` for partners, and for bad input every offending field in
//! `errors[]`. Internal errors are logged with their cause chain and
//! answered with an opaque body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One bad field of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `pay.min` or `requirements.age_min`.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message: String,
    /// Stable English code, e.g. `required`, `too_long`, `unknown_field`.
    pub code: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into(), code: code.to_string() }
    }
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// For staff, in Chinese.
    pub detail: String,
    /// The same in English, for partners' engineers (with `errors[].field`
    /// and `errors[].code` it says what to change).
    pub detail_en: String,
    /// Stable English code of the problem.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extension members (e.g. `existing_id` on a duplicate).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: Map<String, Value>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            detail_en: english(code, status),
            code: code.to_string(),
            errors: Vec::new(),
            extensions: Map::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        if !errors.is_empty() {
            let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            self.detail_en = format!("{} Fields: {}.", self.detail_en, fields.join(", "));
        }
        self.errors = errors;
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_string(), value.into());
        self
    }
}

/// The English words for a problem code (the Chinese detail may say more:
/// the field messages and `code`s are the precise part).
fn english(code: &str, status: StatusCode) -> String {
    let known = match code {
        "validation_failed" => "The request is well-formed but some fields break the rules.",
        "bad_parameters" => "Some query parameters are unknown or have invalid values.",
        "malformed_json" => "The body is not valid JSON.",
        "unsupported_media_type" => "The body must be JSON, sent with Content-Type: application/json.",
        "payload_too_large" => "The body is larger than this endpoint accepts (see limit_bytes).",
        "body_read" | "body_timeout" => "The request body could not be read in time.",
        "bad_csv" => "The CSV file cannot be read.",
        "bad_xlsx" => "The XLSX workbook cannot be read.",
        "unauthorized" => "A valid API key is required: Authorization: Bearer <key>.",
        "too_many_failed_attempts" => "Too many failed authentications; wait retry_after_seconds.",
        "forbidden" => "This key's role or region does not allow the action.",
        "not_found" => "No such resource, or this key may not see it.",
        "rate_limited" => "Too many requests for this key; wait retry_after_seconds.",
        "request_timeout" => "The request took longer than the server allows.",
        "unavailable" => "The service is not available right now.",
        "internal" => "An internal error occurred; it has been logged.",
        "discriminatory_wording" => "The job text requires or excludes applicants by a protected ground (see terms).",
        "duplicate_id_number" => "A person with this ID number is already registered.",
        "own_org" => "An admin cannot deactivate its own organisation.",
        "org_name_taken" => "Another organisation has this name.",
        "concurrent_update" | "stale" => "The record changed meanwhile; read it again and retry.",
        "self_approval" => {
            "Whoever proposed or recomputed this list (or applied) cannot approve it: another person must."
        }
        "backdated_publicity" => {
            "This publicity started before it was posted, so it was not public for its whole period."
        }
        _ => "",
    };
    if !known.is_empty() {
        known.to_string()
    } else if status == StatusCode::CONFLICT {
        format!("The request conflicts with the current state of the resource ({code}).")
    } else {
        format!("{} ({code}).", status.canonical_reason().unwrap_or("Error"))
    }
}

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", .0.detail)]
    Problem(Box<Problem>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError::Problem(Box::new(p))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(anyhow::Error::new(e).context("database error"))
    }
}

impl ApiError {
    /// 422: well-formed input that breaks the rules; every bad field listed.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = format!("{} 个字段不符合要求", errors.len());
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "输入内容不符合要求", detail)
            .with_errors(errors)
            .into()
    }

    /// 400: input that cannot be read at all.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, code, "请求格式错误", detail).into()
    }

    /// 400 naming query parameters that are unknown or whose values are invalid.
    pub fn bad_fields(errors: Vec<FieldError>) -> Self {
        let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        let detail = format!("{} 个查询参数有误：{}", errors.len(), names.join("、"));
        Problem::new(StatusCode::BAD_REQUEST, "bad_parameters", "请求参数错误", detail).with_errors(errors).into()
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "未认证：请提供有效的 API 密钥", detail).into()
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "无权执行此操作", detail).into()
    }

    /// 404: missing, or not visible to this key (never say which).
    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not_found", "资源不存在", "没有找到该资源").into()
    }

    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, code, "与现有记录冲突", detail).into()
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "请求内容过大",
            format!("请求体不能超过 {limit} 字节"),
        )
        .with("limit_bytes", limit as u64)
        .into()
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "服务暂不可用", detail).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = match self {
            ApiError::Problem(p) => *p,
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误", "请稍后再试")
            }
        };
        problem_response(problem)
    }
}

/// A problem as an HTTP response.
pub fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    res
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_has_english_words_beside_the_chinese() {
        let p = match ApiError::validation(vec![FieldError::new("pay.min", "min_gt_max", "最低薪资不能高于最高薪资")])
        {
            ApiError::Problem(p) => p,
            ApiError::Internal(_) => unreachable!(),
        };
        assert!(p.detail_en.starts_with("The request is well-formed"), "{}", p.detail_en);
        assert!(p.detail_en.ends_with("Fields: pay.min."), "{}", p.detail_en);
        let odd = Problem::new(StatusCode::CONFLICT, "illegal_move", "推荐状态不能这样变更", "…");
        assert!(odd.detail_en.contains("illegal_move"));
        assert!(!odd.detail_en.chars().any(|c| c > '\u{2fff}'), "English only");
    }
}
