//! `asp-moq-load forward LISTEN UPSTREAM COUNTS`: a UDP forwarder between
//! the edge relays and the origin that counts the bytes each way. On
//! loopback no interface counter tells one relay's traffic from another's
//! and /proc/PID/io does not count socket sends (sendmsg), so the edges
//! dial the origin through this (tools/moq/relay.sh's ORIGIN_DIAL_PORT):
//! what it passes from the origin to an edge is the origin's egress to that
//! edge, QUIC headers, acknowledgements and retransmissions included.
//!
//! COUNTS is rewritten every 200 ms, one line per edge (its address, bytes
//! origin -> edge, bytes edge -> origin); the load generator reads it at the
//! start and end of its window.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::net::UdpSocket;

/// Peers (edge sockets) it forwards for: a cluster has a few edges, each
/// one socket; more is not a cluster of this machine.
const MAX_PEERS: usize = 64;
/// Larger than any UDP datagram.
const DATAGRAM_MAX: usize = 65_536;
const COUNTS_EVERY: Duration = Duration::from_millis(200);

/// Every peer's counts, for the writer.
type PeerCounts = Arc<std::sync::Mutex<Vec<(SocketAddr, Arc<Counts>)>>>;

#[derive(Default)]
struct Counts {
    down: AtomicU64,
    up: AtomicU64,
}

pub async fn run(listen: SocketAddr, upstream: SocketAddr, counts_path: PathBuf) -> Result<()> {
    let listener = Arc::new(
        UdpSocket::bind(listen)
            .await
            .with_context(|| format!("binding {listen}"))?,
    );
    let mut peers: HashMap<SocketAddr, (Arc<UdpSocket>, Arc<Counts>)> = HashMap::new();
    let all: PeerCounts = Arc::default();
    tokio::spawn(write_counts(all.clone(), counts_path));
    let mut buf = vec![0u8; DATAGRAM_MAX];
    loop {
        let (len, from) = listener.recv_from(&mut buf).await?;
        let (socket, counts) = match peers.get(&from) {
            Some(peer) => peer.clone(),
            None => {
                if peers.len() >= MAX_PEERS {
                    continue;
                }
                let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
                socket.connect(upstream).await?;
                let counts = Arc::new(Counts::default());
                tokio::spawn(downstream(
                    socket.clone(),
                    listener.clone(),
                    from,
                    counts.clone(),
                ));
                all.lock()
                    .map_err(|_| anyhow::anyhow!("counts lock poisoned"))?
                    .push((from, counts.clone()));
                peers.insert(from, (socket.clone(), counts.clone()));
                (socket, counts)
            }
        };
        counts.up.fetch_add(len as u64, Ordering::Relaxed);
        // A datagram the kernel will not take now is lost, as on a network.
        let _ = socket.send(&buf[..len]).await;
    }
}

/// The origin's datagrams to one edge.
async fn downstream(
    upstream: Arc<UdpSocket>,
    listener: Arc<UdpSocket>,
    peer: SocketAddr,
    counts: Arc<Counts>,
) {
    let mut buf = vec![0u8; DATAGRAM_MAX];
    while let Ok(len) = upstream.recv(&mut buf).await {
        counts.down.fetch_add(len as u64, Ordering::Relaxed);
        let _ = listener.send_to(&buf[..len], peer).await;
    }
}

async fn write_counts(all: PeerCounts, path: PathBuf) {
    let staging = path.with_extension("tmp");
    loop {
        let text: String = match all.lock() {
            Ok(all) => all
                .iter()
                .map(|(peer, c)| {
                    format!(
                        "{peer} {} {}\n",
                        c.down.load(Ordering::Relaxed),
                        c.up.load(Ordering::Relaxed)
                    )
                })
                .collect(),
            Err(_) => return,
        };
        if std::fs::write(&staging, text).is_ok() {
            let _ = std::fs::rename(&staging, &path);
        }
        tokio::time::sleep(COUNTS_EVERY).await;
    }
}

/// Bytes origin -> edge per edge address, as last written to `path`.
pub fn read_counts(path: &Path) -> Result<Vec<(String, u64)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut counts = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(peer), Some(down)) = (fields.next(), fields.next()) else {
            bail!("{}: malformed line {line:?}", path.display());
        };
        counts.push((peer.to_string(), down.parse()?));
    }
    Ok(counts)
}
