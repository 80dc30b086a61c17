//! Fan-out load generator: N WebSocket viewers of an `asp-encode --serve`
//! stream, each verifying every packet (header, CRC-32, FlatBuffers
//! verifier, sequence continuity; no decoding), a share of them
//! deliberately slow. Reports per-viewer delivered frame rate and lag
//! (arrival minus capture time, same machine clock) for the healthy ones,
//! what happened to the slow ones, and the server's CPU and RSS.
//!
//! ```sh
//! asp-encode --serve 127.0.0.1:8080 --bitrate 2M &
//! cargo run --release -p asp-server --example loadgen -- --viewers 1000 --slow-percent 5 --seconds 30 --server-pid $!
//! ```

use std::fs;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use asp_core::packet::{CaptureClock, Payload};
use asp_core::schema::SyncCommand;
use asp_core::Packet;
use clap::Parser;
use futures_util::StreamExt;
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

#[derive(Parser, Clone)]
struct Args {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    #[arg(long, default_value_t = 100)]
    viewers: usize,
    /// Share of viewers that read slowly (percent).
    #[arg(long, default_value_t = 5.0)]
    slow_percent: f64,
    /// A slow viewer takes one message per this many milliseconds.
    #[arg(long, default_value_t = 250)]
    slow_interval_ms: u64,
    /// Measurement length after everyone is connected and a warm-up.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Warm-up after the last viewer connected (not measured).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// The server's process id, for CPU and RSS (from /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Stream frame rate, to judge "full rate".
    #[arg(long, default_value_t = 30.0)]
    fps: f64,
}

#[derive(Default)]
struct ViewerReport {
    slow: bool,
    frames: u64,
    bytes: u64,
    /// Sequence gaps not covered by a skip notice, or bad packets.
    errors: u64,
    /// Skip notices received (over the whole run: a slow reader gets them late).
    notices: u64,
    lags_us: Vec<u32>,
    closed: Option<String>,
}

fn unix_us() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

async fn viewer(args: Arc<Args>, slow: bool, window: Arc<(Instant, Instant)>) -> Result<ViewerReport> {
    let socket = TcpSocket::new_v4()?;
    if slow {
        socket.set_recv_buffer_size(16 << 10)?;
    }
    let tcp = socket.connect(args.addr).await.context("connect")?;
    let url = format!("ws://{}/asp/ws", args.addr);
    let (mut ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(tcp)).await.context("handshake")?;
    let mut report = ViewerReport { slow, ..ViewerReport::default() };
    let mut expected: Option<u32> = None;
    let mut clock = CaptureClock::new();
    let (start, end) = *window;
    while let Some(message) = ws.next().await {
        let now = Instant::now();
        if now >= end {
            break;
        }
        let bytes = match message {
            Ok(Message::Binary(b)) => b,
            Ok(Message::Close(frame)) => {
                report.closed = Some(frame.map_or("no reason".into(), |f| format!("{} {}", u16::from(f.code), f.reason)));
                break;
            }
            Ok(_) => continue,
            Err(e) => {
                report.closed = Some(format!("error: {e}"));
                break;
            }
        };
        let measured = now >= start;
        match Packet::parse(&bytes) {
            Err(_) => report.errors += 1,
            Ok(packet) => match packet.payload() {
                Payload::S(s) if s.command() == SyncCommand::Nack => {
                    // Skipped frames may have carried the base of the deltas.
                    clock.reset();
                    report.notices += 1;
                    expected = s.sequences().and_then(|q| q.iter().next_back()).map(|l| l.wrapping_add(1));
                }
                Payload::S(_) => {}
                _ => {
                    let sequence = packet.sequence();
                    if expected.is_some_and(|e| e != sequence) && measured {
                        report.errors += 1;
                    }
                    expected = Some(sequence.wrapping_add(1));
                    let captured = clock.observe(&packet);
                    if measured {
                        report.frames += 1;
                        report.bytes += bytes.len() as u64;
                        if let Some(capture) = captured {
                            report.lags_us.push(unix_us().saturating_sub(capture).min(u32::MAX as u64) as u32);
                        }
                    }
                }
            },
        }
        if slow {
            tokio::time::sleep(Duration::from_millis(args.slow_interval_ms)).await;
        }
    }
    Ok(report)
}

/// CPU seconds (user + system) of a process, per thread name, and its RSS.
type Usage = (f64, Vec<(String, f64)>, f64);

/// (user + system CPU seconds, per thread name prefix) and RSS in MiB.
fn process_usage(pid: u32) -> Option<Usage> {
    let ticks = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    let mut by_name: Vec<(String, f64)> = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let path = entry.ok()?.path();
        let stat = fs::read_to_string(path.join("stat")).ok()?;
        let name = stat.split('(').nth(1)?.split(')').next()?.trim_end_matches(char::is_numeric).to_string();
        let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
        let cpu = (fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / ticks;
        total += cpu;
        match by_name.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += cpu,
            None => by_name.push((name, cpu)),
        }
    }
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((total, by_name, rss_kb / 1024.0))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Arc::new(Args::parse());
    let slow_count = ((args.viewers as f64) * args.slow_percent / 100.0).round() as usize;
    let healthy_count = args.viewers;
    let total = healthy_count + slow_count;
    // Connect everyone first (about 2 ms each), then warm up, then measure.
    let connect_budget = Duration::from_millis(5 * total as u64 + 2000);
    let start = Instant::now() + connect_budget + Duration::from_secs(args.warmup);
    let end = start + Duration::from_secs(args.seconds);
    let window = Arc::new((start, end));
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let slow = i >= healthy_count;
        tasks.push(tokio::spawn(viewer(Arc::clone(&args), slow, Arc::clone(&window))));
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!("loadgen: {healthy_count} healthy + {slow_count} slow viewers connecting; measuring for {} s", args.seconds);
    tokio::time::sleep_until(start.into()).await;
    let before = args.server_pid.and_then(process_usage);
    let own_before = process_usage(std::process::id());
    tokio::time::sleep_until(end.into()).await;
    let after = args.server_pid.and_then(process_usage);
    let own_after = process_usage(std::process::id());

    let mut reports = Vec::new();
    let mut failed = 0;
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(5), t).await {
            Ok(Ok(Ok(r))) => reports.push(r),
            _ => failed += 1,
        }
    }
    let healthy: Vec<&ViewerReport> = reports.iter().filter(|r| !r.slow).collect();
    let slow: Vec<&ViewerReport> = reports.iter().filter(|r| r.slow).collect();
    let seconds = args.seconds as f64;
    let mut fps: Vec<f64> = healthy.iter().map(|r| r.frames as f64 / seconds).collect();
    fps.sort_by(f64::total_cmp);
    let mut lags: Vec<u32> = healthy.iter().flat_map(|r| r.lags_us.iter().copied()).collect();
    lags.sort_unstable();
    let full_rate = healthy.iter().filter(|r| r.frames as f64 / seconds >= args.fps * 0.98).count();
    let errors: u64 = healthy.iter().map(|r| r.errors).sum();
    let healthy_closed = healthy.iter().filter(|r| r.closed.is_some()).count();
    let mbps: f64 = healthy.iter().map(|r| r.bytes as f64 * 8.0 / seconds / 1e6).sum::<f64>() / healthy.len().max(1) as f64;

    println!("viewers: {} healthy, {} slow, {} failed to connect or report", healthy.len(), slow.len(), failed);
    if let (Some(f_min), Some(f_med)) = (fps.first(), fps.get(fps.len() / 2)) {
        println!(
            "healthy: fps min {f_min:.2} median {f_med:.2}; {full_rate}/{} at >= 98% of {:.0} fps; {mbps:.2} Mb/s each; sequence/CRC errors {errors}; closed {healthy_closed}",
            healthy.len(),
            args.fps
        );
    }
    println!(
        "healthy lag (arrival - capture, ms): p50 {:.1} p95 {:.1} p99 {:.1} max {:.1} ({} frames)",
        percentile(&lags, 0.5),
        percentile(&lags, 0.95),
        percentile(&lags, 0.99),
        percentile(&lags, 1.0),
        lags.len()
    );
    let slow_notices: u64 = slow.iter().map(|r| r.notices).sum();
    let slow_closed = slow.iter().filter(|r| r.closed.is_some()).count();
    let slow_fps: f64 = slow.iter().map(|r| r.frames as f64 / seconds).sum::<f64>() / slow.len().max(1) as f64;
    println!("slow: {slow_notices} skip notices, {slow_closed}/{} disconnected, {slow_fps:.1} fps each on average", slow.len());
    if let Some(reason) = slow.iter().find_map(|r| r.closed.as_deref()) {
        println!("slow: first close reason: {reason}");
    }
    if let (Some((c0, t0, _)), Some((c1, t1, rss))) = (before, after) {
        let threads: Vec<String> = t1
            .iter()
            .map(|(name, c)| {
                let c_before = t0.iter().find(|(n, _)| n == name).map_or(0.0, |(_, c)| *c);
                format!("{name} {:.0}%", (c - c_before) / seconds * 100.0)
            })
            .collect();
        println!("server: CPU {:.0}% of one core ({}), RSS {rss:.1} MiB", (c1 - c0) / seconds * 100.0, threads.join(", "));
    }
    if let (Some((c0, _, _)), Some((c1, _, _))) = (own_before, own_after) {
        println!("loadgen itself: CPU {:.0}% of one core", (c1 - c0) / seconds * 100.0);
    }
    Ok(())
}
