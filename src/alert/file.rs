//! File notifier: appends each alert, in the webhook's JSON format, as one line to a
//! local file (JSON Lines), and each digest as one `{"event": "digest", ...}` line.
//! For demos, audits and feeding other local tools.

use std::path::PathBuf;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use super::digest::{Digest, DigestPayload};
use super::{Alert, DeliveryError, Notifier, Payload};

pub struct FileNotifier {
    id: String,
    path: PathBuf,
}

impl FileNotifier {
    pub fn new(id: &str, path: PathBuf) -> Self {
        Self {
            id: id.to_string(),
            path,
        }
    }
}

#[async_trait]
impl Notifier for FileNotifier {
    fn id(&self) -> &str {
        &self.id
    }

    async fn deliver(&self, alert: &Alert) -> Result<(), DeliveryError> {
        let line = serde_json::to_vec(&Payload::new(alert)).map_err(|e| DeliveryError::Fatal {
            reason: format!("cannot encode the alert: {e}"),
        })?;
        self.append(line).await
    }

    async fn deliver_digest(&self, digest: &Digest) -> Result<(), DeliveryError> {
        let line =
            serde_json::to_vec(&DigestPayload::new(digest)).map_err(|e| DeliveryError::Fatal {
                reason: format!("cannot encode the digest: {e}"),
            })?;
        self.append(line).await
    }
}

impl FileNotifier {
    /// Append `line` and a newline, synced.
    async fn append(&self, mut line: Vec<u8>) -> Result<(), DeliveryError> {
        let retry = |e: std::io::Error| DeliveryError::Retry {
            reason: format!("cannot append to {}: {e}", self.path.display()),
            retry_after: None,
        };
        line.push(b'\n');
        if let Some(dir) = self.path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(retry)?;
        }
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(retry)?;
        f.write_all(&line).await.map_err(retry)?;
        f.sync_data().await.map_err(retry)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn appends_alerts_and_digests_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/alerts.jsonl");
        let n = FileNotifier::new("audit", path.clone());
        n.deliver(&crate::alert::message::samples::alert("review.removed"))
            .await
            .unwrap();
        n.deliver_digest(&crate::alert::digest::samples::digest())
            .await
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["event"], "review.removed");
        assert_eq!(lines[0]["details"]["missed_polls"], 3);
        assert_eq!(lines[1]["event"], "digest");
        assert_eq!(lines[1]["digest"]["figures"][0]["label"], "acknowledge");
    }
}
