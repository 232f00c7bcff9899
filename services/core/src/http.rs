//! Request plumbing shared by every service: a bounded JSON body reader that
//! answers problem+json, query parameters read without panics, and cursors.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use base64::Engine;
use futures::StreamExt;
use serde_json::Value;

use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::validate::Errors;

/// How many bytes past the limit are read and thrown away before answering
/// 413, so that a client still sending gets the answer instead of a reset.
const DRAIN_CAP: usize = 64 << 20;

/// A JSON request body, parsed but not yet validated.
pub struct JsonBody(pub Value);

impl<S> FromRequest<S> for JsonBody
where
    S: Send + Sync,
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = <AppState as axum::extract::FromRef<S>>::from_ref(state).settings.max_body_bytes;
        json_from_request(req, limit).await.map(JsonBody)
    }
}

/// Read a JSON body of at most `limit` bytes: 415 unless it says it is JSON,
/// 413 when larger, 400 when it does not parse.
pub async fn json_from_request(req: Request, limit: usize) -> Result<Value, ApiError> {
    let ctype = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_json = ctype.starts_with("application/json") || ctype.contains("+json");
    let bytes = read_body_limited(req.into_body(), limit).await?;
    if !is_json {
        return Err(ApiError::from(crate::error::Problem::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "不支持的内容类型",
            "请求体应为 JSON，并带 Content-Type: application/json",
        )));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request("malformed_json", format!("JSON 格式错误：第 {} 行第 {} 列", e.line(), e.column()))
    })
}

/// Read a body of at most `limit` bytes. A larger one is drained (bounded by
/// count and time, never kept) and answered 413.
pub async fn read_body_limited(body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    let mut seen = 0usize;
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| ApiError::bad_request("body_read", "读取请求体失败"))?;
            seen += chunk.len();
            if seen <= limit {
                buf.extend_from_slice(&chunk);
            } else if seen > DRAIN_CAP {
                break;
            }
        }
        Ok::<(), ApiError>(())
    };
    match tokio::time::timeout(Duration::from_secs(60), read).await {
        Ok(r) => r?,
        Err(_) => return Err(ApiError::bad_request("body_timeout", "读取请求体超时")),
    }
    if seen > limit {
        return Err(ApiError::payload_too_large(limit));
    }
    Ok(buf)
}

/// Answer a request that takes longer than `request_timeout` (body
/// included) with 503, and stop working on it.
pub async fn deadline(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(state.settings.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::from(crate::error::Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            "请求处理超时",
            format!("请求超过 {} 秒未完成", state.settings.request_timeout.as_secs()),
        ))
        .into_response(),
    }
}

/// A NUL character can be stored by no backend and means nothing in an id
/// or a search: a path holding one is 404 (no such resource), a query
/// parameter holding one is 422 naming it. Checked once for every route.
pub async fn refuse_nul(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = req.uri().path();
    if path.contains('\0') || percent_decode(path).contains('\0') {
        return ApiError::not_found().into_response();
    }
    let bad: Vec<FieldError> = serde_urlencoded_pairs(req.uri().query().unwrap_or(""))
        .into_iter()
        .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| FieldError::new(k.replace('\0', ""), "control_chars", "含有不允许的控制字符"))
        .collect();
    if !bad.is_empty() {
        return ApiError::validation(bad).into_response();
    }
    next.run(req).await
}

/// API answers (`/v1/…`) carry people's records, lists and files: no
/// browser or proxy may keep them (`Cache-Control: no-store`, as the pages
/// already say), unless a route said otherwise.
pub async fn no_store(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let api = req.uri().path().starts_with("/v1/");
    let mut response = next.run(req).await;
    if api && !response.headers().contains_key(axum::http::header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    }
    response
}

/// Query parameters as given; reading them never rejects the request by itself.
#[derive(Debug, Default)]
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(raw);
        Ok(QueryParams(pairs.into_iter().collect()))
    }
}

fn serde_urlencoded_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl QueryParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|s| !s.is_empty())
    }

    /// Report every parameter not in `allowed`.
    pub fn deny_unknown(&self, allowed: &[&str], errs: &mut Errors) {
        let mut keys: Vec<&String> = self.0.keys().collect();
        keys.sort();
        for k in keys {
            if !allowed.contains(&k.as_str()) {
                errs.add(k.clone(), "unknown_parameter", "未知参数");
            }
        }
    }

    /// `limit`: default `default`, at most `max`.
    pub fn limit(&self, default: usize, max: usize, errs: &mut Errors) -> usize {
        match self.get("limit") {
            None => default,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    errs.add("limit", "out_of_range", format!("应为 1 到 {max} 之间的整数"));
                    default
                }
            },
        }
    }

    /// A parameter that must be one of `allowed`.
    pub fn one_of(&self, name: &str, allowed: &[&str], errs: &mut Errors) -> Option<String> {
        let v = self.get(name)?;
        if allowed.contains(&v) {
            Some(v.to_string())
        } else {
            errs.add(name, "not_allowed", format!("应为以下之一：{}", allowed.join(", ")));
            None
        }
    }

    /// A `true` / `false` parameter (absent: false).
    pub fn flag(&self, name: &str, errs: &mut Errors) -> bool {
        match self.get(name) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                errs.add(name, "not_allowed", "应为 true 或 false");
                false
            }
        }
    }

    /// A `region` parameter that must be a known region code.
    pub fn region(&self, regions: &crate::regions::Regions, errs: &mut Errors) -> Option<String> {
        let r = self.get("region")?;
        if regions.contains(r) {
            Some(r.to_string())
        } else {
            errs.add("region", "unknown_region", "未知区划代码");
            None
        }
    }

    /// The decoded `cursor` parameter.
    pub fn cursor(&self, errs: &mut Errors) -> Option<String> {
        let raw = self.get("cursor")?;
        match decode_cursor(raw) {
            Some(c) => Some(c),
            None => {
                errs.add("cursor", "invalid", "游标无效");
                None
            }
        }
    }

    /// 400 naming every bad parameter, if any.
    pub fn finish(errs: Errors) -> Result<(), ApiError> {
        if errs.is_empty() {
            Ok(())
        } else {
            Err(ApiError::bad_fields(errs.0.into_iter().collect::<Vec<FieldError>>()))
        }
    }
}

/// Text parameters of a query being built, numbered `$1`, `$2`, … as pushed.
#[derive(Debug, Default)]
pub struct Binds(pub Vec<String>);

impl Binds {
    /// Add a value; returns its placeholder.
    pub fn push(&mut self, v: impl Into<String>) -> String {
        self.0.push(v.into());
        format!("${}", self.0.len())
    }
}

/// The shape every list endpoint shares: conditions and their parameters
/// gathered (the caller's scope first), then one `SELECT … WHERE … ORDER BY
/// … LIMIT limit + 1` that [`page`] cuts into a page and its cursor.
#[derive(Debug, Default)]
pub struct ListQuery {
    binds: Binds,
    conditions: Vec<String>,
}

impl ListQuery {
    /// The parameters, for a condition built elsewhere
    /// (`jobmatch_core::access::list_scope`).
    pub fn binds(&mut self) -> &mut Binds {
        &mut self.binds
    }

    /// Add a parameter; returns its placeholder.
    pub fn param(&mut self, value: impl Into<String>) -> String {
        self.binds.push(value)
    }

    /// Keep rows meeting `sql` (written with placeholders from [`Self::param`]).
    pub fn condition(&mut self, sql: impl Into<String>) {
        self.conditions.push(sql.into());
    }

    /// Keep rows whose `column` equals `value`, when a value is given.
    pub fn equal(&mut self, column: &str, value: Option<impl Into<String>>) {
        if let Some(value) = value {
            let mark = self.binds.push(value);
            self.conditions.push(format!("{column} = {mark}"));
        }
    }

    /// Keep rows whose `column` contains `text` (LIKE, with `%` and `_` taken literally).
    pub fn contains(&mut self, column: &str, text: &str) {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let mark = self.binds.push(format!("%{escaped}%"));
        self.conditions.push(format!("{column} LIKE {mark} ESCAPE '\\'"));
    }

    /// Run `{select} WHERE … ORDER BY {order} LIMIT limit + 1`.
    pub async fn fetch<R>(
        self,
        pool: &sqlx::AnyPool,
        select: &str,
        order: &str,
        limit: usize,
    ) -> Result<Vec<R>, sqlx::Error>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let conditions = if self.conditions.is_empty() { "1 = 1".to_string() } else { self.conditions.join(" AND ") };
        let sql = format!("{select} WHERE {conditions} ORDER BY {order} LIMIT {}", limit + 1);
        let mut query = sqlx::query_as::<_, R>(&sql);
        for value in &self.binds.0 {
            query = query.bind(value);
        }
        query.fetch_all(pool).await
    }
}

/// A page from `items` read with `LIMIT limit + 1`: at most `limit` items,
/// and the cursor after the last when there are more.
pub fn page<T>(mut items: Vec<T>, limit: usize, position: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|x| encode_cursor(position(x)));
        (items, next)
    } else {
        (items, None)
    }
}

/// An opaque cursor for a position in a list.
pub fn encode_cursor(position: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position.as_bytes())
}

pub fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let s = String::from_utf8(bytes).ok()?;
    (s.len() <= 200 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '|')).then_some(s)
}

/// On a settable clock (a rehearsal, 演练环境), every HTML page — the
/// console's and the public ones — opens with a banner saying so, with the
/// rehearsal's date, so nobody takes it for the live service. One place for
/// every page: the banner follows the `<body>` tag of the page as rendered
/// (or the title of a bare notice).
pub async fn rehearsal_banner(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(req).await;
    if !state.clock.is_settable() {
        return response;
    }
    let html = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // Pages are rendered whole; a body of unknown or great length is left as it is.
    use axum::body::HttpBody as _;
    const MOST: u64 = 8 * 1024 * 1024;
    if !html || response.body().size_hint().upper().is_none_or(|n| n > MOST) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MOST as usize).await else {
        return axum::response::Response::from_parts(parts, axum::body::Body::empty());
    };
    let text = String::from_utf8_lossy(&bytes);
    let banner = format!(
        "<div class=\"rehearsal\" role=\"note\"><strong>演练环境</strong>：这里是演练用的系统，时钟已调到 {}，\
         所有记录都不是真实业务。</div>",
        crate::time::local_minutes(&state.now_text())
    );
    // After `<body>`; a bare page (a short notice) has none: after its title.
    let at = text.find("<body>").map(|at| at + 6).or_else(|| text.find("</title>").map(|at| at + 8));
    let out = match at {
        Some(at) => format!("{}{}{}", &text[..at], banner, &text[at..]),
        None => text.into_owned(),
    };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    axum::response::Response::from_parts(parts, axum::body::Body::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_decoded() {
        let p = serde_urlencoded_pairs("q=%E4%BF%9D%E6%B4%81&region=330402&x=a+b&bad=%zz&end=%4");
        assert_eq!(p[0], ("q".into(), "保洁".into()));
        assert_eq!(p[2], ("x".into(), "a b".into()));
        assert_eq!(p[3], ("bad".into(), "%zz".into()));
        assert_eq!(p[4], ("end".into(), "%4".into()));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor("job_0193ab")).as_deref(), Some("job_0193ab"));
        assert_eq!(decode_cursor("!!!"), None);
        assert_eq!(decode_cursor(&encode_cursor("x' OR 1=1")), None);
    }
}
