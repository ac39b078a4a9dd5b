//! schema.org Review markup (JSON-LD) source.
use async_trait::async_trait;

use super::{PollContext, PollOutcome, Source, SourceError};
use crate::config::SourceConfig;

pub struct JsonLdSource {
    id: String,
}

impl JsonLdSource {
    pub fn new(id: &str, _cfg: &SourceConfig) -> Self {
        Self { id: id.to_string() }
    }
}

#[async_trait]
impl Source for JsonLdSource {
    fn id(&self) -> &str {
        &self.id
    }
    fn platform(&self) -> &str {
        "jsonld"
    }
    async fn poll(&self, _cx: &PollContext<'_>) -> Result<PollOutcome, SourceError> {
        todo!("sources helper")
    }
}
