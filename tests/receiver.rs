//! A real HTTP receiver on loopback standing in for an SMS gateway or an
//! agency's webhook endpoint; it records every request and can be told to
//! fail, hang or answer 410.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// Answer this status to every request.
    Status(u16),
    /// Answer 500 this many times, then 200.
    FailTimes(u32),
    /// Never answer.
    Hang,
    /// Answer 307 to the same port under another host name (`localhost`).
    RedirectOtherHost,
}

#[derive(Clone, Debug)]
pub struct Hit {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
    pub at: Instant,
}

#[derive(Default)]
pub struct Recorded {
    pub port: Mutex<u16>,
    pub mode: Mutex<Option<Mode>>,
    pub hits: Mutex<Vec<Hit>>,
}

pub struct Receiver {
    pub url: String,
    pub state: Arc<Recorded>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(s): State<Arc<Recorded>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let hit = Hit {
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    };
    s.hits.lock().unwrap().push(hit);
    let mode = {
        let mut m = s.mode.lock().unwrap();
        let current = m.unwrap_or(Mode::Ok);
        if let Mode::FailTimes(n) = current {
            *m = Some(if n <= 1 { Mode::Ok } else { Mode::FailTimes(n - 1) });
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        current
    };
    match mode {
        Mode::Ok | Mode::FailTimes(_) => StatusCode::OK.into_response(),
        Mode::Status(s) => StatusCode::from_u16(s).unwrap().into_response(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        Mode::RedirectOtherHost if uri.path() == "/elsewhere" => StatusCode::OK.into_response(),
        Mode::RedirectOtherHost => {
            let port = *s.port.lock().unwrap();
            (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, format!("http://localhost:{port}/elsewhere"))])
                .into_response()
        }
    }
}

impl Receiver {
    pub async fn start(mode: Mode) -> Receiver {
        let state = Arc::new(Recorded::default());
        *state.mode.lock().unwrap() = Some(mode);
        let app = axum::Router::new().fallback(axum::routing::post(handle)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        *state.port.lock().unwrap() = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { url, state, task }
    }

    pub fn set(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = Some(mode);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }
}
