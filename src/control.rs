//! The daemon's control socket: `<state_dir>/control.sock`.
//!
//! sled lets one process open the store, so while the daemon runs, commands that
//! read or change the store (`cases`, `case ack`, `report`, `mentions`, ...) are sent
//! to it here and run inside it, with the same code as when the CLI opens the store
//! itself. The protocol is one JSON line each way: a [`StoreCommand`] in, a
//! [`Response`] out. The socket is only as reachable as the state directory (0700,
//! the service user); it is created 0600.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info_span, warn};

use crate::cli::StoreCommand;
use crate::config::Config;

/// Largest request accepted, in bytes.
const MAX_REQUEST: u64 = 64 * 1024;
/// Largest response read by the client, in bytes.
const MAX_RESPONSE: u64 = 256 * 1024 * 1024;
/// How long the client waits for the daemon's answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// What the daemon answers: the command's output and exit code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Response {
    pub code: u8,
    pub stdout: String,
    /// The error, when `code` is not 0.
    pub error: Option<String>,
}

pub fn socket_path(cfg: &Config) -> PathBuf {
    cfg.daemon.state_dir.join("control.sock")
}

/// Send `cmd` to a running daemon. `Ok(None)`: no daemon listens (no socket, or a
/// stale one), so the caller opens the store itself.
pub fn request(cfg: &Config, cmd: &StoreCommand) -> std::io::Result<Option<Response>> {
    let path = socket_path(cfg);
    request_at(&path, cmd)
}

fn request_at(path: &Path, cmd: &StoreCommand) -> std::io::Result<Option<Response>> {
    use std::os::unix::net::UnixStream;
    let mut stream = match UnixStream::connect(path) {
        Ok(s) => s,
        // Not allowed to talk to the daemon: opening its store would fail too.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("{e}; run this as the service user (e.g. `sudo -u reviewradar ...`)"),
            ));
        }
        // No socket, a stale one (a daemon killed hard) or a path too long for a
        // socket: no daemon to ask, so the caller opens the store itself (and
        // reports the store's lock if a daemon does hold it).
        Err(_) => return Ok(None),
    };
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut line = serde_json::to_vec(cmd).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut body = Vec::new();
    BufReader::new(stream.take(MAX_RESPONSE)).read_until(b'\n', &mut body)?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| std::io::Error::other(format!("the daemon's answer is not valid: {e}")))
}

/// Listen on the control socket until `shutdown`; each request runs `handle` on a
/// blocking thread.
pub async fn serve(
    path: PathBuf,
    handle: Arc<dyn Fn(StoreCommand) -> Response + Send + Sync>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    // The store is ours (sled's lock), so a socket left here is stale.
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    debug!(socket = %path.display(), "Control socket listening.");
    loop {
        let (stream, _) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    warn!(error = %e, "Control socket accept failed.");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            },
        };
        let handle = handle.clone();
        tokio::spawn(
            async move {
                if let Err(e) = answer(stream, handle).await {
                    warn!(error = %e, "Control request failed.");
                }
            }
            .instrument(info_span!("control")),
        );
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

async fn answer(
    stream: tokio::net::UnixStream,
    handle: Arc<dyn Fn(StoreCommand) -> Response + Send + Sync>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut line = Vec::new();
    let mut reader = tokio::io::BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST));
    tokio::time::timeout(Duration::from_secs(10), reader.read_until(b'\n', &mut line))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "request timed out"))??;
    let response = match serde_json::from_slice::<StoreCommand>(&line) {
        Ok(cmd) => {
            debug!(?cmd, "Control request.");
            tokio::task::spawn_blocking(move || handle(cmd))
                .await
                .unwrap_or_else(|e| Response {
                    code: crate::cli::exit::RUNTIME,
                    stdout: String::new(),
                    error: Some(format!("the command panicked: {e}")),
                })
        }
        Err(e) => Response {
            code: crate::cli::exit::USAGE,
            stdout: String::new(),
            error: Some(format!(
                "the daemon does not understand this request ({e}); is it an older version?"
            )),
        },
    };
    let mut body = serde_json::to_vec(&response).map_err(std::io::Error::other)?;
    body.push(b'\n');
    write.write_all(&body).await?;
    write.shutdown().await
}
