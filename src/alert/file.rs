//! File notifier: appends each alert, in the webhook's JSON format, as one line to a
//! local file (JSON Lines). For demos, audits and feeding other local tools.

use std::path::PathBuf;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

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
        let retry = |e: std::io::Error| DeliveryError::Retry {
            reason: format!("cannot append to {}: {e}", self.path.display()),
            retry_after: None,
        };
        let mut line =
            serde_json::to_vec(&Payload::new(alert)).map_err(|e| DeliveryError::Fatal {
                reason: format!("cannot encode the alert: {e}"),
            })?;
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
