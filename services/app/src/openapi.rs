//! The finishing pass over the generated OpenAPI document: what every
//! operation can answer because of the plumbing it goes through, written
//! once here instead of in each handler's annotation.
//!
//! - every error is `application/problem+json` with the `Problem` schema
//!   (a page's own errors are also `text/html`: the job seeker's pages);
//! - an operation behind a key can answer 401 (no or bad key), 403 (outside
//!   its role or region) and 429 (too many failed authentications);
//! - one with path parameters can answer 404, one with query parameters 400
//!   (an unknown or invalid parameter) and 422 (a NUL), one with a JSON body
//!   400, 413, 415 and 422;
//! - any operation can answer 503 (over the request deadline).

use serde_json::{json, Map, Value};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn describe(status: &str) -> &'static str {
    match status {
        "400" => "请求格式或查询参数错误 Malformed request or bad query parameter",
        "401" => "缺少或无效的 API 密钥 Missing or invalid API key",
        "403" => "角色或区域无权执行 Outside the key's role or region",
        "404" => "资源不存在或无权查看 Not found, or not visible to this key",
        "409" => "与现有记录冲突 Conflicts with the current state",
        "413" => "请求内容过大 Body too large",
        "415" => "请求体应为 JSON Body must be JSON",
        "422" => "输入内容不符合要求（errors 列出每个字段） Invalid input, every bad field listed",
        "429" => "请求过于频繁 Too many requests",
        "503" => "服务暂不可用或请求超时 Unavailable or over the request deadline",
        _ => "错误 Error",
    }
}

fn problem() -> Value {
    json!({"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}})
}

/// Apply the rules above to a whole document.
pub fn finish(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method) {
                finish_operation(op);
            }
        }
    }
}

fn finish_operation(op: &mut Value) {
    let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    let params: Vec<String> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().filter_map(|p| p["in"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    let json_body = op
        .get("requestBody")
        .and_then(|b| b["content"].as_object())
        .is_some_and(|c| c.keys().any(|k| k.contains("json")));
    let any_body = op.get("requestBody").is_some();
    let mut add: Vec<&str> = vec!["503"];
    if secured {
        add.extend(["401", "403", "429"]);
    }
    if params.iter().any(|p| p == "path") {
        add.push("404");
    }
    if params.iter().any(|p| p == "query") {
        add.extend(["400", "422"]);
    }
    if any_body {
        add.extend(["400", "413", "422"]);
    }
    if json_body {
        add.push("415");
    }
    let responses = op
        .as_object_mut()
        .map(|o| o.entry("responses").or_insert_with(|| Value::Object(Map::new())))
        .and_then(Value::as_object_mut);
    let Some(responses) = responses else { return };
    for status in add {
        responses.entry(status).or_insert_with(|| json!({"description": describe(status)}));
    }
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            // A page's own errors are pages; the plumbing's stay problems.
            let page = response["content"].get("text/html").cloned();
            response["content"] = problem();
            if let Some(page) = page {
                response["content"]["text/html"] = page;
            }
            if response.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
                response["description"] = json!(describe(status));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_problems_and_plumbing_codes_are_added() {
        let mut doc = json!({"paths": {"/v1/jobs/{id}": {"patch": {
            "parameters": [{"in": "path", "name": "id"}],
            "requestBody": {"content": {"application/json": {}}},
            "security": [{"bearer": []}],
            "responses": {"200": {"description": "ok"}, "422": {"description": "bad",
                "content": {"application/json": {}}}}
        }}}});
        finish(&mut doc);
        let r = &doc["paths"]["/v1/jobs/{id}"]["patch"]["responses"];
        for s in ["400", "401", "403", "404", "413", "415", "422", "429", "503"] {
            assert!(r[s]["content"]["application/problem+json"].is_object(), "{s}: {r}");
        }
        assert_eq!(r["422"]["description"], "bad", "a handler's own words stay");
        assert!(r["200"].get("content").is_none());
    }
}
