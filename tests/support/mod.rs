//! Test support: local servers on 127.0.0.1 (HTTP fixtures with hostile modes, a
//! webhook receiver, a real SMTP server) and a runner for the real binary.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub fn fixture(rel: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

pub fn fixture_str(rel: &str) -> String {
    String::from_utf8(fixture(rel)).expect("utf-8 fixture")
}

/// How a route answers.
#[derive(Clone)]
pub enum Reply {
    /// 200 with a body; ETag derived from the body, honouring If-None-Match.
    Ok {
        body: Vec<u8>,
        content_type: &'static str,
    },
    Status(u16, Vec<(String, String)>),
    /// 200 with a chunked body that never ends.
    Endless,
    /// 200, Content-Length given, then one byte per `every` forever.
    Drip {
        every: Duration,
    },
    /// Accept and never answer.
    Hang,
    /// Statuses to return in turn (then the last one forever), for POST receivers.
    Sequence(Vec<u16>),
    /// 200 with these bodies in turn (then the last one forever): a token endpoint
    /// that hands out a new token each time.
    Bodies {
        bodies: Vec<Vec<u8>>,
        content_type: &'static str,
    },
    /// 200 after a delay.
    Slow {
        delay: Duration,
    },
    /// `reply` when the request carries `header` (lower-case name) with exactly
    /// `value`, else 401 (an API key or bearer token check).
    Authed {
        header: &'static str,
        value: String,
        reply: Box<Reply>,
    },
    /// The i-th request to the route gets the i-th reply, the last one ever after
    /// (a token endpoint handing out new tokens, an API paging by request body).
    Turns(Vec<Reply>),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Reply>,
    requests: Vec<Request>,
    seq_pos: HashMap<String, usize>,
}

/// A tiny HTTP/1.1 server with programmable routes. Every connection is closed after
/// one response.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

fn etag_of(body: &[u8]) -> String {
    // FNV-1a is enough for a test ETag.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("\"{h:016x}\"")
}

impl Server {
    pub async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server {
            addr,
            state: Arc::new(Mutex::new(State::default())),
        };
        let s = server.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.handle(sock).await;
                });
            }
        });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), reply);
    }

    pub fn ok(&self, path: &str, body: impl Into<Vec<u8>>, content_type: &'static str) {
        self.route(
            path,
            Reply::Ok {
                body: body.into(),
                content_type,
            },
        );
    }

    pub fn requests(&self, path: &str) -> Vec<Request> {
        self.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    pub fn all_requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    async fn handle(&self, mut sock: TcpStream) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut tmp = [0u8; 8192];
        let head_end = loop {
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > 1 << 20 {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_string();
        let path = first.next().unwrap_or("").to_string();
        let mut headers = HashMap::new();
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = buf[head_end..].to_vec();
        while body.len() < len {
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&tmp[..n]);
        }
        let req = Request {
            method,
            path: path.clone(),
            headers: headers.clone(),
            body,
        };
        let reply = {
            let mut st = self.state.lock().unwrap();
            st.requests.push(req);
            let mut r = st.routes.get(&path).cloned();
            if let Some(Reply::Turns(replies)) = &r {
                let pos = st.seq_pos.entry(path.clone()).or_default();
                let pick = replies
                    .get((*pos).min(replies.len().saturating_sub(1)))
                    .cloned();
                *pos += 1;
                r = pick;
            }
            while let Some(Reply::Authed {
                header,
                value,
                reply,
            }) = r
            {
                r = if headers.get(header) == Some(&value) {
                    Some(*reply)
                } else {
                    Some(Reply::Status(401, vec![]))
                };
            }
            if let Some(Reply::Sequence(codes)) = &r {
                let pos = st.seq_pos.entry(path.clone()).or_default();
                let code = codes[(*pos).min(codes.len() - 1)];
                *pos += 1;
                Some(Reply::Status(code, vec![]))
            } else if let Some(Reply::Bodies {
                bodies,
                content_type,
            }) = &r
            {
                let pos = st.seq_pos.entry(path.clone()).or_default();
                let body = bodies[(*pos).min(bodies.len() - 1)].clone();
                *pos += 1;
                Some(Reply::Ok { body, content_type })
            } else {
                r
            }
        };
        match reply {
            None => write_response(&mut sock, 404, &[], b"not found").await,
            Some(Reply::Ok { body, content_type }) => {
                let etag = etag_of(&body);
                if headers.get("if-none-match") == Some(&etag) {
                    write_response(&mut sock, 304, &[("ETag".into(), etag)], b"").await
                } else {
                    write_response(
                        &mut sock,
                        200,
                        &[
                            ("ETag".into(), etag),
                            ("Content-Type".into(), content_type.into()),
                        ],
                        &body,
                    )
                    .await
                }
            }
            Some(Reply::Status(code, hs)) => write_response(&mut sock, code, &hs, b"{}").await,
            Some(
                Reply::Sequence(_) | Reply::Authed { .. } | Reply::Turns(_) | Reply::Bodies { .. },
            ) => unreachable!(),
            Some(Reply::Slow { delay }) => {
                tokio::time::sleep(delay).await;
                write_response(&mut sock, 200, &[], b"ok").await
            }
            Some(Reply::Endless) => {
                sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nTransfer-Encoding: chunked\r\n\r\n").await?;
                let chunk = vec![b'a'; 64 * 1024];
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                loop {
                    sock.write_all(&framed).await?;
                }
            }
            Some(Reply::Drip { every }) => {
                sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n<").await?;
                loop {
                    tokio::time::sleep(every).await;
                    sock.write_all(b"x").await?;
                }
            }
            Some(Reply::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            }
        }
    }
}

async fn write_response(
    sock: &mut TcpStream,
    code: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {code} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    sock.write_all(&bytes).await?;
    sock.shutdown().await
}

/// Webhook bodies the receiver accepted (2xx), parsed as JSON.
pub fn accepted_webhooks(server: &Server, path: &str, statuses: &[u16]) -> Vec<serde_json::Value> {
    // Requests are answered in order; the i-th request got statuses[min(i, len-1)].
    server
        .requests(path)
        .iter()
        .enumerate()
        .filter(|(i, _)| (200..300).contains(&statuses[(*i).min(statuses.len() - 1)]))
        .map(|(_, r)| serde_json::from_slice(&r.body).expect("webhook body is JSON"))
        .collect()
}

/// A real SMTP server on loopback (mailin-embedded), collecting messages.
pub struct Smtp {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Vec<u8>>>>,
}

#[derive(Clone)]
struct MailHandler {
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
    current: Arc<Mutex<Vec<u8>>>,
}

impl mailin_embedded::Handler for MailHandler {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> mailin_embedded::Response {
        self.current.lock().unwrap().clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.lock().unwrap().extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        let msg = std::mem::take(&mut *self.current.lock().unwrap());
        self.messages.lock().unwrap().push(msg);
        mailin_embedded::response::OK
    }
}

impl Smtp {
    pub fn start() -> Smtp {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let messages = Arc::new(Mutex::new(Vec::new()));
        let handler = MailHandler {
            messages: messages.clone(),
            current: Arc::new(Mutex::new(Vec::new())),
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("localhost")
            .with_addr(("127.0.0.1", port))
            .unwrap();
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        // Wait until it listens.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Smtp { port, messages }
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .map(|m| String::from_utf8_lossy(m).into_owned())
            .collect()
    }
}

/// A temporary directory with a config file in it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Env {
    /// Write `body` after a `[daemon]` header that points the state into the temp dir.
    pub fn new(body: &str) -> Env {
        Self::with_daemon("", body)
    }

    pub fn with_daemon(daemon_extra: &str, body: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        let text = format!(
            "[daemon]\nstate_dir = \"state\"\nuser_agent = \"reviewradar-test/0.1 (+https://example.invalid)\"\nonce_retry_wait = \"10s\"\nlog_level = \"info,reviewradar=debug\"\n{daemon_extra}\n\n[http]\ntimeout = \"3s\"\nconnect_timeout = \"2s\"\nper_host_min_gap = \"0s\"\nper_host_concurrency = 8\n\n{body}\n"
        );
        std::fs::write(&config, text).unwrap();
        Env { dir, config }
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_reviewradar"));
        c.args(args).arg("--config").arg(&self.config);
        c.env_remove("RUST_LOG").env_remove("REVIEWRADAR_CONFIG");
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.kill_on_drop(true);
        c
    }

    /// Run a command to completion (with a generous timeout).
    pub async fn run(&self, args: &[&str]) -> Output {
        let child = self.command(args).spawn().expect("spawn reviewradar");
        let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .expect("reviewradar finished within 120 s")
            .expect("wait");
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub async fn once(&self) -> Output {
        let o = self.run(&["once"]).await;
        assert_eq!(o.code, Some(0), "once failed:\n{}", o.stderr);
        o
    }

    pub async fn mentions(&self) -> Vec<serde_json::Value> {
        let o = self.run(&["mentions", "--json"]).await;
        assert_eq!(o.code, Some(0), "mentions failed:\n{}", o.stderr);
        serde_json::from_str::<Vec<serde_json::Value>>(&o.stdout)
            .expect("mentions --json is a JSON array")
    }
}

#[derive(Debug)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// An RSS 2.0 feed of (guid, link, title, description, pubDate RFC 2822).
pub fn rss(items: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>t</title><link>https://shop.example/</link><description>d</description>\n",
    );
    for (guid, link, title, desc, date) in items {
        s.push_str(&format!(
            "<item><guid isPermaLink=\"false\">{}</guid><link>{}</link><title>{}</title><description>{}</description><pubDate>{}</pubDate></item>\n",
            xml(guid), xml(link), xml(title), xml(desc), date
        ));
    }
    s.push_str("</channel></rss>\n");
    s
}

pub fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn rfc2822_ago(d: chrono::Duration) -> String {
    (chrono::Utc::now() - d).to_rfc2822()
}

/// A page with schema.org JSON-LD reviews: (id, rating, title, body, datePublished).
pub fn jsonld_page(reviews: &[(&str, u32, &str, &str, &str)]) -> String {
    let list: Vec<serde_json::Value> = reviews
        .iter()
        .map(|(id, rating, title, body, date)| {
            serde_json::json!({
                "@type": "Review",
                "@id": format!("https://shop.example/reviews/{id}"),
                "url": format!("https://shop.example/reviews/{id}"),
                "name": title,
                "reviewBody": body,
                "datePublished": date,
                "author": {"@type": "Person", "name": format!("Author {id}")},
                "reviewRating": {"@type": "Rating", "ratingValue": rating.to_string(), "bestRating": "5", "worstRating": "1"}
            })
        })
        .collect();
    let doc = serde_json::json!({"@context": "https://schema.org", "@type": "Product", "name": "Aurora kettle", "review": list});
    format!(
        "<!doctype html><html><head><title>Aurora</title><script type=\"application/ld+json\">{}</script></head><body><h1>Aurora</h1></body></html>",
        serde_json::to_string(&doc).unwrap().replace("</", "<\\/")
    )
}

/// Send SIGTERM to a running `reviewradar run` and wait (at most 15 s) for it to
/// exit; returns its exit status.
pub async fn terminate(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    let pid = child.id().expect("still running").to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap()
}
