//! The server under attack: a release `asp-encode --serve` process, its
//! addresses (read from the lines it announces), its resident memory and
//! open files (from /proc), and its stats (`GET /asp/stats`).

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running `asp-encode --serve`; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub http: SocketAddr,
    pub wt: SocketAddr,
    pub certificate_hash: [u8; 32],
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts `binary` serving the test picture on an ephemeral port of
    /// 127.0.0.1 with `extra` arguments; its standard error goes to `log`.
    pub fn start(binary: &Path, extra: &[String], log: &Path) -> Result<ServerProcess> {
        let mut child = Command::new(binary)
            .args(["testsrc", "--serve", "127.0.0.1:0", "--www", "/nonexistent", "--web", "/nonexistent"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
        let mut log = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
        // Drains the server's log for as long as it runs, so it never
        // blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = writeln!(log, "{line}");
                let _ = lines_tx.send(line);
            }
        });
        let (mut http, mut wt) = (None, None);
        while http.is_none() || wt.is_none() {
            let line = match lines_rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => line,
                Err(_) => {
                    let status = child.try_wait().ok().flatten();
                    bail!("the server announced no addresses (exit status {status:?})");
                }
            };
            if let Some(rest) = line.split("at http://").nth(1) {
                let addr = rest.split('/').next().unwrap_or_default();
                http = Some(addr.parse::<SocketAddr>().with_context(|| format!("address in {line:?}"))?);
            }
            if let Some(url) = line.split("<asp-player>: https://").nth(1) {
                let (authority, hash) = url.split_once("/asp/wt#sha256=").ok_or_else(|| anyhow!("{line:?}"))?;
                let addr: SocketAddr = authority.parse().with_context(|| format!("address in {line:?}"))?;
                let mut digest = [0u8; 32];
                for (i, byte) in digest.iter_mut().enumerate() {
                    let hex = hash.get(2 * i..2 * i + 2).ok_or_else(|| anyhow!("short hash in {line:?}"))?;
                    *byte = u8::from_str_radix(hex, 16)?;
                }
                wt = Some((addr, digest));
            }
        }
        let (wt, certificate_hash) = wt.unwrap_or_else(|| unreachable!());
        Ok(ServerProcess { http: http.unwrap_or_else(|| unreachable!()), wt, certificate_hash, child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Resident memory (KiB) and open file descriptors of process `pid`.
pub fn footprint(pid: u32) -> Option<(u64, usize)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((rss_kib, fds))
}

/// The server's `/asp/stats` (the hub's counters).
pub async fn stats(http: SocketAddr) -> Result<serde_json::Value> {
    let mut tcp = tokio::net::TcpStream::connect(http).await?;
    let request = format!("GET /asp/stats HTTP/1.1\r\nHost: {http}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut response)).await??;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| anyhow!("no response head"))?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("/asp/stats: {}", head.lines().next().unwrap_or_default());
    }
    Ok(serde_json::from_str(body)?)
}
