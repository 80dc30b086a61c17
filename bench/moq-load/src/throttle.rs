//! `asp-moq-load throttle LISTEN UPSTREAM SCHEDULE [options]`: a UDP proxy
//! that throttles QUIC between players and a relay, for the rendition
//! switching bench (bench/moq/switch.sh) where `tc netem` is not available.
//! Datagrams from players (LISTEN) go to UPSTREAM through one socket per
//! player, as `forward` does; each direction is a [`Link`]: the relay ->
//! player one at SCHEDULE's rates (`3M for 10s, 400k for 15s, 3M`), the
//! other unlimited unless `--up-rate` says otherwise, both with the same
//! added delay. TLS is end to end: the proxy only moves datagrams.
//!
//! The schedule starts with the first datagram from a player. Options:
//!   --queue-ms 80      the bottleneck's buffer, in time at the current rate
//!   --delay-ms 10      one-way delay added in each direction
//!   --burst-bytes 3000 the token bucket's depth
//!   --up-rate RATE     player -> relay (default off: unlimited)
//!
//! It prints one JSON object a line on stdout: `start` (the schedule's
//! start), `rate` at each change of the relay -> player rate, and every
//! `--report-ms` (500) what that direction passed and dropped since the
//! last line; times are Unix epoch milliseconds (`t_ms`), comparable with a
//! browser's `performance.timeOrigin + performance.now()`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::link::{parse_rate, Link, LinkCounts, Schedule};

/// Players (sockets) it proxies for: a bench has a few.
const MAX_PEERS: usize = 64;
/// Larger than any UDP datagram.
const DATAGRAM_MAX: usize = 65_536;
/// Datagrams handed to a link's task and not yet taken in: beyond this the
/// proxy itself is the bottleneck and drops (it never is at bench rates).
const HANDOFF_DATAGRAMS: usize = 8192;

pub struct Options {
    listen: SocketAddr,
    upstream: SocketAddr,
    schedule: Schedule,
    up_rate_bps: Option<u64>,
    queue: Duration,
    delay: Duration,
    burst_bytes: u64,
    report: Duration,
}

/// `LISTEN UPSTREAM SCHEDULE [--queue-ms N] [--delay-ms N] [--burst-bytes N] [--up-rate RATE] [--report-ms N]`.
pub fn parse_options(args: &[String]) -> Result<Options> {
    let [listen, upstream, schedule, rest @ ..] = args else {
        bail!("usage: asp-moq-load throttle LISTEN UPSTREAM SCHEDULE [--queue-ms 80] [--delay-ms 10] [--burst-bytes 3000] [--up-rate off] [--report-ms 500]");
    };
    let mut options = Options {
        listen: listen
            .parse()
            .with_context(|| format!("LISTEN {listen:?}"))?,
        upstream: upstream
            .parse()
            .with_context(|| format!("UPSTREAM {upstream:?}"))?,
        schedule: Schedule::parse(schedule)?,
        up_rate_bps: None,
        queue: Duration::from_millis(80),
        delay: Duration::from_millis(10),
        burst_bytes: 3000,
        report: Duration::from_millis(500),
    };
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let value = rest
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        let millis = || -> Result<Duration> {
            let ms: u64 = value.parse().with_context(|| format!("{flag} {value:?}"))?;
            if ms > 60_000 {
                bail!("{flag} {ms}: at most 60000");
            }
            Ok(Duration::from_millis(ms))
        };
        match flag.as_str() {
            "--queue-ms" => options.queue = millis()?,
            "--delay-ms" => options.delay = millis()?,
            "--report-ms" => options.report = millis()?.max(Duration::from_millis(50)),
            "--burst-bytes" => {
                options.burst_bytes = value.parse().with_context(|| format!("{flag} {value:?}"))?;
                if !(1500..=10_000_000).contains(&options.burst_bytes) {
                    bail!("{flag} {value}: 1500 to 10000000 bytes");
                }
            }
            "--up-rate" => options.up_rate_bps = parse_rate(value)?,
            other => bail!("unknown throttle option {other}"),
        }
    }
    Ok(options)
}

/// A datagram and where it goes: to a player through the listening
/// socket, or upstream through that player's own socket.
struct Datagram {
    bytes: Vec<u8>,
    socket: Arc<UdpSocket>,
    to: Option<SocketAddr>,
}

/// When the schedule started (the first datagram from a player), shared
/// by both directions.
type Start = Arc<OnceLock<Instant>>;

pub async fn run(options: Options) -> Result<()> {
    let listener = Arc::new(
        UdpSocket::bind(options.listen)
            .await
            .with_context(|| format!("binding {}", options.listen))?,
    );
    let start: Start = Arc::default();
    let up_schedule = match options.up_rate_bps {
        Some(rate) => Schedule::parse(&format!("{rate}"))?,
        None => Schedule::parse("off")?,
    };
    let link = |schedule| Link::new(schedule, options.burst_bytes, options.queue, options.delay);
    let (down_tx, down_rx) = mpsc::channel(HANDOFF_DATAGRAMS);
    let (up_tx, up_rx) = mpsc::channel(HANDOFF_DATAGRAMS);
    let down = tokio::spawn(drive(
        link(options.schedule.clone()),
        down_rx,
        start.clone(),
        Some(options.report),
    ));
    let up = tokio::spawn(drive(link(up_schedule), up_rx, start.clone(), None));
    let mut peers: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let mut buf = vec![0u8; DATAGRAM_MAX];
    loop {
        let (len, from) = listener.recv_from(&mut buf).await?;
        start.get_or_init(Instant::now);
        let socket = match peers.get(&from) {
            Some(socket) => socket.clone(),
            None => {
                if peers.len() >= MAX_PEERS {
                    continue;
                }
                let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
                socket.connect(options.upstream).await?;
                tokio::spawn(from_upstream(
                    socket.clone(),
                    listener.clone(),
                    from,
                    down_tx.clone(),
                ));
                peers.insert(from, socket.clone());
                socket
            }
        };
        let datagram = Datagram {
            bytes: buf[..len].to_vec(),
            socket,
            to: None,
        };
        // A full hand-off is a loss, as on a network.
        let _ = up_tx.try_send(datagram);
        if down.is_finished() || up.is_finished() {
            bail!("a link's task ended");
        }
    }
}

/// The relay's datagrams to one player, into the relay -> player link.
async fn from_upstream(
    upstream: Arc<UdpSocket>,
    listener: Arc<UdpSocket>,
    player: SocketAddr,
    link: mpsc::Sender<Datagram>,
) {
    let mut buf = vec![0u8; DATAGRAM_MAX];
    while let Ok(len) = upstream.recv(&mut buf).await {
        let datagram = Datagram {
            bytes: buf[..len].to_vec(),
            socket: listener.clone(),
            to: Some(player),
        };
        if let Err(mpsc::error::TrySendError::Closed(_)) = link.try_send(datagram) {
            return;
        }
    }
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn rate_json(rate: Option<u64>) -> String {
    rate.map_or("null".into(), |r| r.to_string())
}

/// Runs one direction: takes datagrams in, sends what crossed the link,
/// and (`report`: the relay -> player direction) prints its lines.
async fn drive(
    mut link: Link<Datagram>,
    mut incoming: mpsc::Receiver<Datagram>,
    start: Start,
    report: Option<Duration>,
) {
    // Until the first datagram, nothing is pending: wait for it.
    let Some(first) = incoming.recv().await else {
        return;
    };
    let started = *start.get_or_init(Instant::now);
    let now = || started.elapsed();
    let mut reported = LinkCounts::default();
    let mut next_report = Duration::ZERO;
    let mut step = link.step();
    if report.is_some() {
        println!(
            "{{\"event\":\"start\",\"t_ms\":{},\"rate_bps\":{}}}",
            epoch_ms() - now().as_millis(),
            rate_json(link.rate_bps())
        );
    }
    link.offer(first.bytes.len(), first, now());
    loop {
        let at = now();
        for datagram in link.arrived(at) {
            let sent = match datagram.to {
                Some(to) => datagram.socket.send_to(&datagram.bytes, to).await,
                None => datagram.socket.send(&datagram.bytes).await,
            };
            // A datagram the kernel will not take now is lost, as on a network.
            drop(sent);
        }
        if let Some(every) = report {
            if link.step() != step {
                step = link.step();
                println!(
                    "{{\"event\":\"rate\",\"t_ms\":{},\"elapsed_ms\":{},\"rate_bps\":{}}}",
                    epoch_ms(),
                    at.as_millis(),
                    rate_json(link.rate_bps())
                );
            }
            if at >= next_report {
                let c = link.counts;
                println!(
                    "{{\"event\":\"counts\",\"t_ms\":{},\"elapsed_ms\":{},\"rate_bps\":{},\"passed_bytes\":{},\"dropped_bytes\":{},\"dropped\":{},\"queued_bytes\":{}}}",
                    epoch_ms(),
                    at.as_millis(),
                    rate_json(link.rate_bps()),
                    c.passed_bytes - reported.passed_bytes,
                    c.dropped_bytes - reported.dropped_bytes,
                    c.dropped - reported.dropped,
                    link.queued_bytes()
                );
                reported = c;
                next_report = at + every;
            }
        }
        let mut wake = link.next_event(at);
        if report.is_some() {
            wake = Some(wake.map_or(next_report, |w| w.min(next_report)));
        }
        let sleep = async {
            match wake {
                Some(wake) => tokio::time::sleep_until((started + wake).into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            datagram = incoming.recv() => match datagram {
                Some(datagram) => {
                    link.offer(datagram.bytes.len(), datagram, now());
                }
                None => return,
            },
            _ = sleep => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst through real sockets: the uplink is unlimited, the echo
    /// comes back through the 400 kbit/s downlink, which passes its bucket
    /// and queue's worth and drops the rest, at the rate.
    #[tokio::test]
    async fn datagrams_cross_the_proxy_paced_and_a_burst_beyond_the_queue_is_dropped() {
        let relay = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let upstream = relay.local_addr().unwrap();
        let listen = UdpSocket::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let args: Vec<String> = [
            &listen.to_string(),
            &upstream.to_string(),
            "400k",
            "--queue-ms",
            "80",
            "--delay-ms",
            "0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let proxy = tokio::spawn(run(parse_options(&args).unwrap()));
        tokio::spawn(async move {
            let mut buf = vec![0u8; DATAGRAM_MAX];
            while let Ok((len, from)) = relay.recv_from(&mut buf).await {
                let _ = relay.send_to(&buf[..len], from).await;
            }
        });
        let player = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        player.connect(listen).await.unwrap();
        let sent = Instant::now();
        for i in 0..100u8 {
            player.send(&[i; 1000]).await.unwrap();
        }
        let mut got = Vec::new();
        let mut buf = vec![0u8; DATAGRAM_MAX];
        while let Ok(Ok(len)) =
            tokio::time::timeout(Duration::from_millis(500), player.recv(&mut buf)).await
        {
            assert_eq!(len, 1000);
            got.push((buf[0], sent.elapsed()));
        }
        proxy.abort();
        // 400 kbit/s = 50 bytes/ms: a 3000-byte bucket (three datagrams at
        // once) and an 80 ms queue (4000 bytes: four more, one every 20 ms);
        // a loaded machine spreading the echoes out lets a few more in.
        let order: Vec<u8> = got.iter().map(|&(i, _)| i).collect();
        assert!(
            (7..=15).contains(&order.len()),
            "the tail dropped: {order:?}"
        );
        assert_eq!(order[..7], [0, 1, 2, 3, 4, 5, 6], "in order");
        assert!(order.windows(2).all(|w| w[0] < w[1]), "in order: {order:?}");
        let (_, last) = got[got.len() - 1];
        let paced = Duration::from_millis(18 * (got.len() as u64 - 3));
        assert!(
            last >= paced,
            "paced: the last of {} after {last:?}",
            got.len()
        );
    }
}
