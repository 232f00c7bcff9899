//! Outbound delivery: the SMS gateway and agency webhooks over HTTP, with a
//! timeout on every call and redirects followed only within the same host.

use std::sync::Arc;
use std::time::Duration;

use jobmatch_core::config::SmsGateway;
use jobmatch_core::AppState;
use reqwest::redirect::Policy;
use serde_json::json;

use crate::egress::{check_url, AllowList, GuardedResolver};
use crate::signature::{secret_key, sign};

/// The result of one delivery attempt.
#[derive(Debug)]
pub enum Outcome {
    Delivered,
    /// The channel has no gateway configured: keep the row.
    NotConfigured,
    /// The receiver answered 410 Gone: stop sending to it.
    Gone,
    Failed(String),
}

pub struct Channels {
    /// For the operator's SMS gateway.
    client: reqwest::Client,
    /// For agencies' endpoints: resolves through the egress guard.
    webhooks: reqwest::Client,
    allow: AllowList,
    sms: Option<SmsGateway>,
}

/// Follow a redirect only to the same scheme, host and port, at most 3 times.
fn same_host_only() -> Policy {
    Policy::custom(|attempt| {
        let first = &attempt.previous()[0];
        let same = attempt.url().scheme() == first.scheme()
            && attempt.url().host_str() == first.host_str()
            && attempt.url().port_or_known_default() == first.port_or_known_default();
        if same && attempt.previous().len() <= 3 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn describe(status: reqwest::StatusCode) -> String {
    if status.is_redirection() {
        format!("http_{}: 对方要求转到其他地址，未跟随", status.as_u16())
    } else {
        format!("http_{}: 对方返回 {}", status.as_u16(), status.as_u16())
    }
}

fn transport(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout: 对方超时未应答".into()
    } else if e.is_connect() {
        "connect: 无法连接对方".into()
    } else {
        "transport: 网络错误".into()
    }
}

impl Channels {
    pub fn new(state: &AppState) -> anyhow::Result<Channels> {
        let push_settings = &state.settings.push;
        let builder = || {
            reqwest::Client::builder()
                .timeout(push_settings.http_timeout)
                .connect_timeout(push_settings.http_timeout.min(Duration::from_secs(5)))
                .redirect(same_host_only())
                .user_agent("jobmatch-push/1")
                .no_proxy()
        };
        let allow = AllowList::new(&push_settings.webhook_allow_hosts);
        let webhooks = builder().dns_resolver(Arc::new(GuardedResolver(allow.clone()))).build()?;
        Ok(Channels { client: builder().build()?, webhooks, allow, sms: push_settings.sms.clone() })
    }

    /// Send one SMS through the configured gateway.
    pub async fn sms(&self, phone: &str, text: &str) -> Outcome {
        let Some(g) = &self.sms else { return Outcome::NotConfigured };
        let mut req = self.client.post(&g.url).json(&json!({ "phone": phone, "template": g.template, "text": text }));
        if let Some(k) = &g.key {
            req = req.bearer_auth(k.expose());
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => Outcome::Delivered,
            Ok(r) => Outcome::Failed(describe(r.status())),
            Err(e) => Outcome::Failed(transport(&e)),
        }
    }

    /// POST a signed webhook; `msg_id` is the same on every retry. A failure
    /// is kept in detail for the operator (the log, admin's notification
    /// list); agencies read only that it failed (`routes::Notification`).
    pub async fn webhook(&self, url: &str, secret: &str, msg_id: &str, body: &str) -> Outcome {
        let outcome = self.try_webhook(url, secret, msg_id, body).await;
        if let Outcome::Failed(detail) = &outcome {
            tracing::warn!(notification_id = msg_id, detail = %detail, "webhook delivery failed");
        }
        outcome
    }

    async fn try_webhook(&self, url: &str, secret: &str, msg_id: &str, body: &str) -> Outcome {
        let Some(key) = secret_key(secret) else { return Outcome::Failed("bad_secret: 回调密钥无效".into()) };
        // Address literals never reach the resolver: check them here.
        if let Err(refused) = check_url(url, &self.allow) {
            return Outcome::Failed(format!("{}: {}", refused.0, refused.1));
        }
        // The real time, not the service's clock: the receiver checks the
        // timestamp against its own clock (Standard Webhooks replay window).
        let ts = chrono::Utc::now().timestamp();
        let req = self
            .webhooks
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sign(&key, msg_id, ts, body.as_bytes()))
            .body(body.to_string());
        match req.send().await {
            Ok(r) if r.status().is_success() => Outcome::Delivered,
            Ok(r) if r.status() == reqwest::StatusCode::GONE => Outcome::Gone,
            Ok(r) => Outcome::Failed(describe(r.status())),
            Err(e) => Outcome::Failed(transport(&e)),
        }
    }
}

/// What an agency reads of a failed delivery.
pub const DELIVERY_FAILED: &str = "delivery_failed: 投递失败，请检查回调地址是否可从公网访问并返回 2xx";
