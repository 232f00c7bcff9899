//! Reading untrusted JSON field by field, collecting every problem at once.
//!
//! Request bodies are parsed into `serde_json::Value` first (malformed JSON is
//! a 400), then read through [`Fields`], which records one [`FieldError`] per
//! bad field with its full path (`pay.min`, `requirements.age_min`) and a
//! Chinese message, so a caller learns about every mistake in one round trip.

use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

/// The bad fields found so far.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, code, message));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
    /// `Ok(value)` when nothing was wrong, else a 422 naming every field.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, ApiError> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// A request body: one struct that is both its OpenAPI schema and what the
/// handler works with. [`read_body`] refuses fields the schema does not
/// list, then `read` takes every field through [`Fields`], so every bad
/// field is named at once; nothing is deserialised unchecked.
pub trait RequestBody: utoipa::ToSchema + Sized {
    /// Read the fields of the body object; `None` when any was bad (each
    /// recorded in `errs`).
    fn read(fields: &Fields<'_>, state: &crate::AppState, errs: &mut Errors) -> Option<Self>;
}

/// The property names of `T`'s schema: the fields a body may carry.
pub fn schema_fields<T: utoipa::ToSchema>() -> Vec<String> {
    use utoipa::openapi::{RefOr, Schema};
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Read `body` as a `T`, or answer 422 naming every bad field (unknown ones
/// included).
pub fn read_body<T: RequestBody>(body: &Value, state: &crate::AppState) -> Result<T, ApiError> {
    let (read, errs) = read_body_partly::<T>(body, state);
    finish_body(read, errs)
}

/// Read `body` as far as it goes, for a handler that checks more (against
/// the store) before answering; end with [`finish_body`].
pub fn read_body_partly<T: RequestBody>(body: &Value, state: &crate::AppState) -> (Option<T>, Errors) {
    let mut errs = Errors::default();
    let Some(fields) = Fields::root(body, &mut errs) else {
        return (None, errs);
    };
    let known = schema_fields::<T>();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    fields.deny_unknown(&known, &mut errs);
    (T::read(&fields, state, &mut errs), errs)
}

/// A text field of a body as sent, unless it was found bad: for checks
/// against the store made beside the body's own, so every bad field is
/// named in the same answer.
pub fn sent_text<'a>(body: &'a Value, key: &str, errs: &Errors) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).filter(|_| !errs.has(key))
}

/// The body when nothing was wrong, else a 422 naming every field.
pub fn finish_body<T>(read: Option<T>, mut errs: Errors) -> Result<T, ApiError> {
    match read {
        Some(value) if errs.is_empty() => Ok(value),
        _ => {
            if errs.is_empty() {
                // A reader that gave nothing must have said why.
                errs.add("body", "invalid", "请求无效");
            }
            Err(ApiError::validation(errs.0))
        }
    }
}

/// A JSON object being read, with the path that leads to it.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

/// Whether text holds control characters other than line breaks and tabs.
pub fn has_control_chars(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

impl<'a> Fields<'a> {
    /// The top-level object of a body; anything else is one error on `body`.
    pub fn root(value: &'a Value, errs: &mut Errors) -> Option<Fields<'a>> {
        match value {
            Value::Object(map) => Some(Fields { map, prefix: "" }),
            other => {
                errs.add("body", "type", format!("请求体应为 JSON 对象，实际为{}", type_name(other)));
                None
            }
        }
    }

    /// The full path of a field of this object.
    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// Report every field not in `allowed` (unknown fields are refused, not ignored).
    pub fn deny_unknown(&self, allowed: &[&str], errs: &mut Errors) {
        for key in self.map.keys() {
            if !allowed.contains(&key.as_str()) {
                errs.add(self.path(key), "unknown_field", "未知字段");
            }
        }
    }

    /// The value of a field; `null` counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn present(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Whether the key is sent as `null` (a merge patch's "remove").
    pub fn is_null(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(Value::is_null)
    }

    fn missing(&self, key: &str, required: bool, errs: &mut Errors) {
        if required {
            errs.add(self.path(key), "required", "必填");
        }
    }

    fn wrong_type(&self, key: &str, want: &str, got: &Value, errs: &mut Errors) {
        errs.add(self.path(key), "type", format!("应为{want}，实际为{}", type_name(got)));
    }

    /// A string of `min..=max` characters after trimming.
    pub fn string(&self, key: &str, required: bool, min: usize, max: usize, errs: &mut Errors) -> Option<String> {
        let Some(v) = self.get(key) else {
            self.missing(key, required, errs);
            return None;
        };
        let Some(s) = v.as_str() else {
            self.wrong_type(key, "字符串", v, errs);
            return None;
        };
        check_text(&self.path(key), s, min, max, errs)
    }

    /// An integer in `min..=max`.
    pub fn int(&self, key: &str, required: bool, min: i64, max: i64, errs: &mut Errors) -> Option<i64> {
        let Some(v) = self.get(key) else {
            self.missing(key, required, errs);
            return None;
        };
        let Some(n) = v.as_i64() else {
            self.wrong_type(key, "整数", v, errs);
            return None;
        };
        if !(min..=max).contains(&n) {
            errs.add(self.path(key), "out_of_range", format!("应在 {min} 到 {max} 之间"));
            return None;
        }
        Some(n)
    }

    /// A number in `min..=max`.
    pub fn number(&self, key: &str, required: bool, min: f64, max: f64, errs: &mut Errors) -> Option<f64> {
        let Some(v) = self.get(key) else {
            self.missing(key, required, errs);
            return None;
        };
        let Some(n) = v.as_f64() else {
            self.wrong_type(key, "数字", v, errs);
            return None;
        };
        if !(min..=max).contains(&n) {
            errs.add(self.path(key), "out_of_range", format!("应在 {min} 到 {max} 之间"));
            return None;
        }
        Some(n)
    }

    pub fn boolean(&self, key: &str, required: bool, errs: &mut Errors) -> Option<bool> {
        let Some(v) = self.get(key) else {
            self.missing(key, required, errs);
            return None;
        };
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(key, "布尔值", v, errs);
                None
            }
        }
    }

    /// A string that must be one of `allowed`.
    pub fn one_of(&self, key: &str, required: bool, allowed: &[&str], errs: &mut Errors) -> Option<String> {
        let s = self.string(key, required, 1, 64, errs)?;
        if allowed.contains(&s.as_str()) {
            Some(s)
        } else {
            errs.add(self.path(key), "not_allowed", format!("应为以下之一：{}", allowed.join(", ")));
            None
        }
    }

    /// A list of strings, each `1..=max_len` characters, at most `max_items`, duplicates removed.
    pub fn strings(&self, key: &str, max_items: usize, max_len: usize, errs: &mut Errors) -> Option<Vec<String>> {
        let v = self.get(key)?;
        let Some(items) = v.as_array() else {
            self.wrong_type(key, "数组", v, errs);
            return None;
        };
        if items.len() > max_items {
            errs.add(self.path(key), "too_many", format!("最多 {max_items} 项"));
            return None;
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", self.path(key));
            match item.as_str() {
                Some(s) => match check_text(&path, s, 1, max_len, errs) {
                    Some(s) if !out.contains(&s) => out.push(s),
                    Some(_) => {}
                    None => ok = false,
                },
                None => {
                    errs.add(path, "type", format!("应为字符串，实际为{}", type_name(item)));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// A list whose every item is one of `allowed`.
    pub fn codes(&self, key: &str, allowed: &[&str], errs: &mut Errors) -> Option<Vec<String>> {
        let items = self.strings(key, allowed.len().max(1) * 2, 64, errs)?;
        let bad: Vec<&String> = items.iter().filter(|s| !allowed.contains(&s.as_str())).collect();
        if bad.is_empty() {
            Some(items)
        } else {
            let bad: Vec<&str> = bad.iter().map(|s| s.as_str()).collect();
            errs.add(
                self.path(key),
                "not_allowed",
                format!("未知代码：{}；可选：{}", bad.join(", "), allowed.join(", ")),
            );
            None
        }
    }

    /// A nested object, read with `read` under this path. Returns `None` when
    /// absent (reporting it if required) or not an object.
    pub fn object<T>(
        &self,
        key: &str,
        required: bool,
        errs: &mut Errors,
        read: impl FnOnce(Fields<'_>, &mut Errors) -> T,
    ) -> Option<T> {
        let Some(v) = self.get(key) else {
            self.missing(key, required, errs);
            return None;
        };
        let Some(map) = v.as_object() else {
            self.wrong_type(key, "对象", v, errs);
            return None;
        };
        let path = self.path(key);
        Some(read(Fields { map, prefix: &path }, errs))
    }
}

/// Zero-width characters and bidirectional controls: invisible, and used to
/// split a forbidden word (`限\u{200b}男性`) or to make text display in an
/// order other than the one stored (an RTL override).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // isolates
        | '\u{FEFF}' // zero-width no-break space (BOM)
        | '\u{061C}' // Arabic letter mark
        | '\u{180E}' // Mongolian vowel separator
        | '\u{00AD}' // soft hyphen
    )
}

/// Trim and check one text value. Invisible characters ([`is_invisible`])
/// are removed first, so what is stored is what every reader sees.
pub fn check_text(path: &str, s: &str, min: usize, max: usize, errs: &mut Errors) -> Option<String> {
    let visible: String = s.chars().filter(|c| !is_invisible(*c)).collect();
    let s = visible.trim();
    if has_control_chars(s) {
        errs.add(path, "control_chars", "含有不允许的控制字符");
        return None;
    }
    let n = s.chars().count();
    if n < min || n > max {
        let code = if n < min {
            if n == 0 {
                "required"
            } else {
                "too_short"
            }
        } else {
            "too_long"
        };
        errs.add(path, code, format!("长度应为 {min}–{max} 个字符，实际为 {n} 个"));
        return None;
    }
    Some(s.to_string())
}

/// Full-width digits and letters to ASCII, and full-width spaces to spaces.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// A mainland mobile number in its 11-digit form, accepting `+86`, spaces,
/// dashes and full-width digits.
pub fn normalize_mobile(raw: &str) -> Option<String> {
    let s: String = to_half_width(raw).chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let s = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")).unwrap_or(&s);
    let s = if s.len() == 13 && s.starts_with("861") { &s[2..] } else { s };
    let b = s.as_bytes();
    (b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]))
        .then(|| s.to_string())
}

/// A mainland landline as `AREA-NUMBER` (area code with its leading 0, 3 or
/// 4 digits; 7 or 8 subscriber digits), e.g. `0573-82345678`.
pub fn normalize_landline(raw: &str) -> Option<String> {
    let s: String = to_half_width(raw).chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let s = s.strip_prefix("+86").map(|r| format!("0{r}")).unwrap_or(s);
    let b = s.as_bytes();
    if !b.iter().all(u8::is_ascii_digit) || b.len() < 10 || b.len() > 12 || b[0] != b'0' || b[1] == b'0' {
        return None;
    }
    // 010 and 020–029 are three-digit area codes; the rest have four.
    let area = if b[1] == b'1' || b[1] == b'2' { 3 } else { 4 };
    let subscriber = &s[area..];
    (7..=8).contains(&subscriber.len()).then(|| format!("{}-{subscriber}", &s[..area]))
}

/// A mobile or landline number, normalised.
pub fn normalize_phone(raw: &str) -> Option<String> {
    normalize_mobile(raw).or_else(|| normalize_landline(raw))
}

/// `YYYY-MM-DD`, or an error on `field`.
pub fn read_date(f: &Fields, key: &str, required: bool, errs: &mut Errors) -> Option<chrono::NaiveDate> {
    let s = f.string(key, required, 10, 10, errs)?;
    match chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.add(f.path(key), "invalid_date", "日期格式应为 YYYY-MM-DD");
            None
        }
    }
}

/// RFC 7396 JSON Merge Patch: objects merge, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_bad_field_is_reported_with_its_path() {
        let body = json!({"title": 5, "pay": {"min": "x"}, "extra": 1});
        let mut errs = Errors::default();
        let f = Fields::root(&body, &mut errs).unwrap();
        f.deny_unknown(&["title", "pay", "name"], &mut errs);
        f.string("title", true, 2, 60, &mut errs);
        f.string("name", true, 1, 10, &mut errs);
        f.object("pay", true, &mut errs, |p, errs| p.int("min", true, 1, 10, errs));
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["extra", "title", "name", "pay.min"]);
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let mut errs = Errors::default();
        assert_eq!(check_text("t", " 保洁 ", 2, 2, &mut errs).as_deref(), Some("保洁"));
        assert!(check_text("t", "保洁员", 2, 2, &mut errs).is_none());
        assert!(check_text("t", "a\u{0}b", 1, 9, &mut errs).is_none());
        assert_eq!(errs.0.len(), 2);
    }

    #[test]
    fn phones_are_normalised_or_refused() {
        assert_eq!(normalize_mobile("+86 138-0573-1234").as_deref(), Some("13805731234"));
        assert_eq!(normalize_mobile("１３８０５７３１２３４").as_deref(), Some("13805731234"));
        assert_eq!(normalize_mobile("12345"), None);
        assert_eq!(normalize_mobile("12805731234"), None);
        assert_eq!(normalize_landline("0573-82345678").as_deref(), Some("0573-82345678"));
        assert_eq!(normalize_landline("01088886666").as_deref(), Some("010-88886666"));
        assert_eq!(normalize_landline("0573-123"), None);
        assert_eq!(normalize_phone("12345"), None);
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut t, &serde_json::json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(t, serde_json::json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
