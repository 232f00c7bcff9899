//! The matching service over HTTP, for a push process running apart from it
//! (`JOBMATCH_MATCHING_URL` and an admin key in `JOBMATCH_MATCHING_KEY`).

use std::future::Future;
use std::pin::Pin;

use jobmatch_core::state::{Candidate, CandidateQuery, CandidateSource};
use serde::Deserialize;

pub struct HttpCandidates {
    pub client: reqwest::Client,
    pub base: String,
    pub key: String,
}

#[derive(Deserialize)]
struct Consent {
    push: bool,
    share_with_agencies: bool,
}

#[derive(Deserialize)]
struct PersonPart {
    id: String,
    region_code: String,
    consent: Consent,
}

#[derive(Deserialize)]
struct Item {
    person: PersonPart,
    score: f32,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<Item>,
}

impl CandidateSource for HttpCandidates {
    fn fitting_people<'a>(
        &'a self,
        job_id: &'a str,
        limit: usize,
        query: CandidateQuery,
    ) -> Pin<Box<dyn Future<Output = anyhow::Result<Vec<Candidate>>> + Send + 'a>> {
        Box::pin(async move {
            let _ = limit;
            let url = format!("{}/v1/jobs/{}/candidates?limit=200", self.base, job_id);
            let r = self.client.get(url).bearer_auth(&self.key).send().await?;
            if r.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(Vec::new());
            }
            let page: Page = r.error_for_status()?.json().await?;
            // The HTTP API has no filters: ask for the most and filter here.
            Ok(page
                .items
                .into_iter()
                .filter(|i| !query.push_consent || i.person.consent.push)
                .filter(|i| query.ids.as_ref().is_none_or(|ids| ids.contains(&i.person.id)))
                .map(|i| Candidate {
                    person_id: i.person.id,
                    score: i.score,
                    region_code: i.person.region_code,
                    push_consent: i.person.consent.push,
                    share_consent: i.person.consent.share_with_agencies,
                })
                .collect())
        })
    }
}
