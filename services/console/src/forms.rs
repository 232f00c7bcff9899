//! Forms in the GOV.UK Design System's validation pattern: the server
//! checks (through the API); on error the page keeps what was typed, its
//! title starts with "错误：", an error summary at the top links to each
//! field, and the same message stands by the field, tied with
//! `aria-describedby`.

/// A posted form, in order.
pub(crate) struct Posted(pub Vec<(String, String)>);

impl Posted {
    /// The first value of `name`, trimmed ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("")
    }

    /// Every value of `name` (a group of checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string()).collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

/// One form field as a page shows it.
pub(crate) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    /// `text`, `number`, `date`, `textarea`, `select`, `checkbox`,
    /// `checkboxes` (one of each option; the value lists the checked codes
    /// with `,`), `password`, `tel`, `file`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub error: Option<String>,
    pub required: bool,
    pub autocomplete: &'static str,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: &'static str) -> Field {
        Field {
            name,
            label,
            hint: "",
            kind,
            value: String::new(),
            options: Vec::new(),
            error: None,
            required: false,
            autocomplete: "off",
        }
    }

    pub fn hint(mut self, hint: &'static str) -> Field {
        self.hint = hint;
        self
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn options(mut self, options: Vec<(String, String)>) -> Field {
        self.options = options;
        self
    }

    pub fn autocomplete(mut self, a: &'static str) -> Field {
        self.autocomplete = a;
        self
    }

    /// The ids `aria-describedby` names: the hint and the error.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }

    pub fn checked(&self) -> bool {
        self.value == "true"
    }

    /// Whether option `code` of a group of checkboxes is checked.
    pub fn has_option(&self, code: &str) -> bool {
        self.value.split(',').any(|v| v == code)
    }
}

/// A form's fields and, after a refusal, its errors in field order.
pub(crate) struct Form {
    pub fields: Vec<Field>,
    /// (field id, message), in the order the fields are on the page.
    pub errors: Vec<(String, String)>,
}

impl Form {
    pub fn new(fields: Vec<Field>) -> Form {
        Form { fields, errors: Vec::new() }
    }

    /// Put each posted value back in its field (what was typed is kept).
    pub fn fill(&mut self, posted: &Posted) {
        for f in &mut self.fields {
            f.value = if f.kind == "checkbox" {
                if posted.has(f.name) {
                    "true".into()
                } else {
                    String::new()
                }
            } else if f.kind == "checkboxes" {
                posted.all(f.name).join(",")
            } else {
                posted.get(f.name).to_string()
            };
        }
    }

    /// Set field `name`'s value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.name == name) {
            f.value = value.into();
        }
    }

    /// Attach the API's field errors to the fields they name: `to_field`
    /// maps an API field path (`pay.min`, `requirements.skills[0]`) to a
    /// form field; one the form has no field for goes to `fallback`. A
    /// field keeps its first message; the summary lists them in page order.
    pub fn refuse(&mut self, errors: &[(String, String)], to_field: impl Fn(&str) -> String, fallback: &str) {
        for (api_field, message) in errors {
            let mut name = to_field(api_field);
            if !self.fields.iter().any(|f| f.name == name) {
                name = fallback.to_string();
            }
            if let Some(f) = self.fields.iter_mut().find(|f| f.name == name) {
                match &mut f.error {
                    None => f.error = Some(message.clone()),
                    Some(m) if !m.contains(message.as_str()) => {
                        m.push('；');
                        m.push_str(message);
                    }
                    Some(_) => {}
                }
            }
        }
        self.errors = self.fields.iter().filter_map(|f| Some((format!("f-{}", f.name), f.error.clone()?))).collect();
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The page title: "错误：" first when the form was refused.
    pub fn title(&self, title: &str) -> String {
        if self.has_errors() {
            format!("错误：{title}")
        } else {
            title.to_string()
        }
    }
}

/// A page that is one form: a heading, lines above it, the form.
#[derive(askama::Template)]
#[template(path = "form.html")]
pub(crate) struct FormPage {
    pub layout: crate::Layout,
    pub heading: String,
    pub intro: Vec<String>,
    pub action: String,
    pub form: Form,
    pub submit: String,
    pub back: String,
}

/// An API field path as a form field name: `pay.min` → `pay_min`,
/// `requirements.skills[2]` → `skills`, `contact.phone` → `contact_phone`.
pub(crate) fn flat_field(api_field: &str) -> String {
    let without_index: String = {
        let mut out = String::new();
        let mut depth = 0;
        for c in api_field.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out
    };
    let path = without_index.strip_prefix("requirements.").unwrap_or(&without_index);
    path.replace('.', "_")
}

/// `s` percent-encoded for a query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Comma- or 、-separated words.
pub(crate) fn words(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', ' ', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_fields_map_to_form_fields() {
        assert_eq!(flat_field("pay.min"), "pay_min");
        assert_eq!(flat_field("requirements.skills[2]"), "skills");
        assert_eq!(flat_field("requirements.age_max"), "age_max");
        assert_eq!(flat_field("contact.phone"), "contact_phone");
        assert_eq!(flat_field("title"), "title");
        assert_eq!(encode("/console/jobs?x=1"), "/console/jobs%3Fx%3D1");
        assert_eq!(words("保洁，做饭、 搬运"), ["保洁", "做饭", "搬运"]);
    }

    #[test]
    fn a_refused_form_keeps_values_and_lists_errors_in_page_order() {
        let mut form =
            Form::new(vec![Field::new("title", "岗位名称", "text"), Field::new("pay_min", "最低", "number")]);
        form.fill(&Posted(vec![("title".into(), "保洁".into()), ("pay_min".into(), "abc".into())]));
        form.refuse(
            &[("pay.min".into(), "应为整数".into()), ("title".into(), "太短".into()), ("location".into(), "x".into())],
            flat_field,
            "title",
        );
        assert_eq!(form.fields[1].value, "abc");
        assert_eq!(
            form.errors,
            [("f-title".to_string(), "太短；x".to_string()), ("f-pay_min".into(), "应为整数".into())]
        );
        assert_eq!(form.title("发布岗位"), "错误：发布岗位");
        assert_eq!(form.fields[0].described_by(), "title-error");
    }
}
