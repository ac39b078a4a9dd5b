//! RSS / Atom / JSON Feed source.
use async_trait::async_trait;

use super::{PollContext, PollOutcome, Source, SourceError};
use crate::config::SourceConfig;

pub struct FeedSource {
    id: String,
}

impl FeedSource {
    pub fn new(id: &str, _cfg: &SourceConfig) -> Self {
        Self { id: id.to_string() }
    }
}

#[async_trait]
impl Source for FeedSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        "feed"
    }
    async fn poll(&self, _cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        todo!("sources helper")
    }
}
