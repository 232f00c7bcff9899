//! The matching service over HTTP, for a push process running apart from it
//! (`JOBMATCH_MATCHING_URL` and an admin key in `JOBMATCH_MATCHING_KEY`).
//! It asks `POST /v1/jobs/{id}/fitting-people` and `POST
//! /v1/persons/{id}/fitting-jobs`, which answer with the same engine calls as
//! the in-process source: both give the same answers.

use std::future::Future;
use std::pin::Pin;

use jobmatch_core::events::Position;
use jobmatch_core::state::{Candidate, CandidateQuery, CandidateSource, JobFit, NotCaughtUp};
use serde::Deserialize;
use serde_json::json;

pub struct HttpCandidates {
    pub client: reqwest::Client,
    pub base: String,
    pub key: String,
}

#[derive(Deserialize)]
struct Page<T> {
    items: Vec<T>,
}

impl CandidateSource for HttpCandidates {
    fn fitting_people<'a>(
        &'a self,
        job_id: &'a str,
        limit: usize,
        query: CandidateQuery,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Vec<Candidate>>> + Send + 'a>> {
        Box::pin(async move {
            let limit = limit.clamp(1, MAX_LIMIT);
            let mut question = json!({ "limit": limit, "push_consent": query.push_consent });
            if let Some(through) = query.through {
                question["through"] = json!(through.to_string());
            }
            let Some(ids) = &query.ids else {
                return self.ask(job_id, question, query.through).await;
            };
            // Many ids go in several questions; the best `limit` of each
            // part hold the best `limit` of all.
            let mut found = Vec::new();
            for part in ids.chunks(IDS_PER_QUESTION) {
                question["person_ids"] = json!(part);
                found.extend(self.ask(job_id, question.clone(), query.through).await?);
            }
            found.sort_by(Candidate::best_first);
            found.truncate(limit);
            Ok(found)
        })
    }

    fn fitting_jobs<'a>(
        &'a self,
        person_id: &'a str,
        limit: usize,
        through: Option<Position>,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Vec<JobFit>>> + Send + 'a>> {
        Box::pin(async move {
            let mut question = json!({ "limit": limit.clamp(1, 100) });
            if let Some(through) = through {
                question["through"] = json!(through.to_string());
            }
            let url = format!("{}/v1/persons/{}/fitting-jobs", self.base, person_id);
            self.post(url, question, through).await
        })
    }
}

/// The route's bounds (`jobmatch_matching::http`).
const MAX_LIMIT: usize = 1000;
const IDS_PER_QUESTION: usize = 10_000;

impl HttpCandidates {
    async fn ask(
        &self,
        job_id: &str,
        question: serde_json::Value,
        through: Option<Position>,
    ) -> anyhow::Result<Vec<Candidate>> {
        let url = format!("{}/v1/jobs/{}/fitting-people", self.base, job_id);
        self.post(url, question, through).await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        url: String,
        question: serde_json::Value,
        through: Option<Position>,
    ) -> anyhow::Result<Vec<T>> {
        let answer = self.client.post(url).bearer_auth(&self.key).json(&question).send().await?;
        if answer.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
            if let Some(through) = through {
                return Err(NotCaughtUp(through).into());
            }
        }
        let page: Page<T> = answer.error_for_status()?.json().await?;
        Ok(page.items)
    }
}
