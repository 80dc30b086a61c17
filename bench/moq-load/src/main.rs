//! `make bench-moq`'s load generator: N subscribers to one broadcast
//! through asp-moq (the crate `asp-decode moq+https://` reads with), spread
//! over one or more relays, every object verified as it arrives
//! ([`verify`]). After every subscriber has its first object, a window of
//! `--seconds` is measured: frames each subscriber got of those the
//! reference subscriber (at the origin) got, join times, capture-to-receive
//! latency per relay, the CPU and resident memory of the processes given
//! with `--watch` (the relays, the publisher), per subscriber, and the
//! origin's egress to its edges (from `forward`'s counts).
//!
//! usage:
//!   asp-moq-load --reference URL --relay NAME=URL [--relay NAME=URL...]
//!                --subscribers N [--seconds 20] [--join-rate 200]
//!                [--watch NAME=PID...] [--origin-egress COUNTS]
//!                [--tls-ca PEM] [--threads 2] [--table FILE] [--require 98]
//!   asp-moq-load forward LISTEN UPSTREAM COUNTS   (see forward.rs)
//!   asp-moq-load throttle LISTEN UPSTREAM SCHEDULE [options]   (see throttle.rs)
//!
//! With `--require PERCENT` it exits 1 unless every subscriber joined, no
//! object was invalid or out of place and each one got at least PERCENT of
//! the reference's frames (the smoke test's contract).

mod forward;
mod histogram;
mod link;
mod procfs;
mod throttle;
mod verify;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use asp_moq::{ClientOptions, RelayUrl, Subscriber};
use histogram::Histogram;
use tokio::sync::watch;
use verify::{Tally, Window};

/// After the window closes, frames captured inside it may still be on
/// their way (the relays are loaded): they count if they arrive this soon.
const ARRIVAL_GRACE: Duration = Duration::from_secs(2);
/// How long a subscriber gets to close its session at the end.
const CLOSE_LIMIT: Duration = Duration::from_secs(2);
/// The relay index of the reference subscriber (at the origin, no `--relay`).
const REFERENCE: usize = usize::MAX;

struct Options {
    reference: RelayUrl,
    relays: Vec<(String, RelayUrl)>,
    subscribers: usize,
    seconds: f64,
    join_rate: f64,
    join_limit: Duration,
    watch: Vec<(String, u32)>,
    origin_egress: Option<PathBuf>,
    client: ClientOptions,
    threads: usize,
    table: Option<PathBuf>,
    require_percent: Option<f64>,
}

fn parse_options(args: Vec<String>) -> Result<Options> {
    let mut reference = None;
    let mut relays = Vec::new();
    let mut options = Options {
        reference: RelayUrl::parse("https://localhost/unset")?,
        relays: Vec::new(),
        subscribers: 0,
        seconds: 20.0,
        join_rate: 200.0,
        join_limit: Duration::from_secs(120),
        watch: Vec::new(),
        origin_egress: None,
        client: ClientOptions::default(),
        threads: 2,
        table: None,
        require_percent: None,
    };
    let mut ca = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--reference" => reference = Some(RelayUrl::parse(&value()?)?),
            "--relay" => {
                let v = value()?;
                let (name, url) = v.split_once('=').context("--relay NAME=URL")?;
                relays.push((name.to_string(), RelayUrl::parse(url)?));
            }
            "--subscribers" => options.subscribers = value()?.parse()?,
            "--seconds" => options.seconds = value()?.parse()?,
            "--join-rate" => options.join_rate = value()?.parse()?,
            "--join-limit" => options.join_limit = Duration::from_secs_f64(value()?.parse()?),
            "--watch" => {
                let v = value()?;
                let (name, pid) = v.split_once('=').context("--watch NAME=PID")?;
                options.watch.push((name.to_string(), pid.trim().parse()?));
            }
            "--origin-egress" => options.origin_egress = Some(value()?.into()),
            "--tls-ca" => ca = Some(PathBuf::from(value()?)),
            "--threads" => options.threads = value()?.parse()?,
            "--table" => options.table = Some(value()?.into()),
            "--require" => options.require_percent = Some(value()?.parse()?),
            other => bail!("unknown argument {other} (see the top of bench/moq-load/src/main.rs)"),
        }
    }
    options.reference =
        reference.context("--reference URL (a subscriber at the origin) is required")?;
    if relays.is_empty() {
        bail!("at least one --relay NAME=URL");
    }
    if !(options.join_rate > 0.0 && options.seconds > 0.0) {
        bail!("--join-rate and --seconds must be positive");
    }
    options.relays = relays;
    options.client = ClientOptions::from_flag_or_env(ca);
    Ok(options)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("forward") {
        let [_, listen, upstream, counts] = args.as_slice() else {
            bail!("usage: asp-moq-load forward LISTEN UPSTREAM COUNTS");
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        return runtime.block_on(forward::run(
            listen.parse()?,
            upstream.parse()?,
            counts.into(),
        ));
    }
    if args.first().map(String::as_str) == Some("throttle") {
        let options = throttle::parse_options(&args[1..])?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        return runtime.block_on(throttle::run(options));
    }
    let options = parse_options(args)?;
    // One UDP socket per subscriber, plus the runtime's own descriptors.
    let wanted = options.subscribers as u64 * 2 + 256;
    let granted = rlimit::increase_nofile_limit(wanted)?;
    if granted < wanted {
        bail!(
            "{} subscribers need {wanted} open files; the limit is {granted}",
            options.subscribers
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads.max(1))
        .enable_all()
        .build()?;
    let report = runtime.block_on(run(&options))?;
    let passed = report.print(&options)?;
    // Sessions still closing are dropped with the runtime.
    runtime.shutdown_timeout(Duration::from_millis(100));
    if !passed {
        std::process::exit(1);
    }
    Ok(())
}

/// What the subscribers share while they run.
struct Shared {
    window_start_us: AtomicU64,
    window_end_us: AtomicU64,
    joined: AtomicUsize,
    /// Payload bytes the reference subscriber received so far: one
    /// subscription's worth, the unit of the origin's egress.
    reference_bytes: AtomicU64,
}

impl Shared {
    fn window(&self) -> Window {
        Window {
            start_us: self.window_start_us.load(Ordering::Relaxed),
            end_us: self.window_end_us.load(Ordering::Relaxed),
        }
    }
}

/// One subscriber's run.
struct Outcome {
    relay: usize,
    joined_after: Option<Duration>,
    tally: Tally,
    resubscribes: u64,
    error: Option<String>,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

async fn subscribe(
    url: RelayUrl,
    client: ClientOptions,
    relay: usize,
    shared: Arc<Shared>,
    latency: Arc<Histogram>,
    mut stop: watch::Receiver<bool>,
) -> Outcome {
    let mut outcome = Outcome {
        relay,
        joined_after: None,
        tally: Tally::default(),
        resubscribes: 0,
        error: None,
    };
    let started = Instant::now();
    let connected = tokio::select! {
        connected = Subscriber::connect(&url, &client) => connected,
        _ = stop.changed() => return outcome,
    };
    let mut subscriber = match connected {
        Ok(subscriber) => subscriber,
        Err(e) => {
            outcome.error = Some(e.to_string());
            return outcome;
        }
    };
    loop {
        let next = tokio::select! {
            biased;
            _ = stop.changed() => break,
            next = subscriber.next() => next,
        };
        match next {
            Ok(Some(object)) => {
                if outcome.joined_after.is_none() {
                    outcome.joined_after = Some(started.elapsed());
                    shared.joined.fetch_add(1, Ordering::Relaxed);
                }
                if relay == REFERENCE {
                    shared
                        .reference_bytes
                        .fetch_add(object.bytes.len() as u64, Ordering::Relaxed);
                }
                if let Some(capture_us) =
                    outcome
                        .tally
                        .observe(object.group, &object.bytes, shared.window())
                {
                    latency.record(now_us().saturating_sub(capture_us));
                }
            }
            Ok(None) => {
                outcome.error = Some("the publisher ended the track".into());
                break;
            }
            Err(e) => {
                outcome.error = Some(e.to_string());
                break;
            }
        }
    }
    outcome.resubscribes = subscriber.resubscribes();
    let _ = tokio::time::timeout(CLOSE_LIMIT, subscriber.close()).await;
    outcome
}

struct Report {
    window: Duration,
    reference: Outcome,
    subscribers: Vec<Outcome>,
    /// Per relay: capture-to-receive latency of its subscribers' frames.
    latency: Vec<Arc<Histogram>>,
    reference_latency: Arc<Histogram>,
    /// Per watched process: its readings at the window's start and end, and
    /// before any subscriber came.
    watched: Vec<(String, procfs::Sample, procfs::Sample, procfs::Sample)>,
    /// Generator's own CPU over the window.
    generator_cpu: Duration,
    /// Per edge address: bytes origin -> edge over the window.
    origin_egress: Vec<(String, u64)>,
    /// The reference subscriber's payload bytes over the window.
    reference_bytes: u64,
    joins_done: Duration,
}

async fn run(options: &Options) -> Result<Report> {
    let shared = Arc::new(Shared {
        window_start_us: AtomicU64::new(u64::MAX),
        window_end_us: AtomicU64::new(u64::MAX),
        joined: AtomicUsize::new(0),
        reference_bytes: AtomicU64::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let before: Vec<procfs::Sample> = options
        .watch
        .iter()
        .map(|(_, pid)| procfs::sample(*pid))
        .collect::<Result<_>>()?;
    let latency: Vec<Arc<Histogram>> = options
        .relays
        .iter()
        .map(|_| Arc::new(Histogram::new()))
        .collect();
    let reference_latency = Arc::new(Histogram::new());

    let reference = tokio::spawn(subscribe(
        options.reference.clone(),
        options.client.clone(),
        REFERENCE,
        shared.clone(),
        reference_latency.clone(),
        stop_rx.clone(),
    ));
    let joins_started = Instant::now();
    let mut tasks = Vec::with_capacity(options.subscribers);
    for i in 0..options.subscribers {
        // Joins spread at --join-rate: a crowd arriving, not one instant.
        let due = joins_started + Duration::from_secs_f64(i as f64 / options.join_rate);
        tokio::time::sleep_until(due.into()).await;
        let relay = i % options.relays.len();
        tasks.push(tokio::spawn(subscribe(
            options.relays[relay].1.clone(),
            options.client.clone(),
            relay,
            shared.clone(),
            latency[relay].clone(),
            stop_rx.clone(),
        )));
    }
    // The reference counts too: the window opens when all have an object.
    let everyone = options.subscribers + 1;
    while shared.joined.load(Ordering::Relaxed) < everyone
        && joins_started.elapsed() < options.join_limit
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let joins_done = joins_started.elapsed();
    if shared.joined.load(Ordering::Relaxed) < everyone {
        eprintln!(
            "asp-moq-load: {} of {everyone} subscribers joined within {:?}; measuring anyway",
            shared.joined.load(Ordering::Relaxed),
            options.join_limit
        );
    }

    let egress_at = |path: &Option<PathBuf>| path.as_deref().map(forward::read_counts).transpose();
    let start_us = now_us();
    let opened = Instant::now();
    shared.window_start_us.store(start_us, Ordering::Relaxed);
    let generator_start = procfs::sample(std::process::id())?;
    let egress_start = egress_at(&options.origin_egress)?;
    let reference_bytes_start = shared.reference_bytes.load(Ordering::Relaxed);
    let at_start: Vec<procfs::Sample> = options
        .watch
        .iter()
        .map(|(_, pid)| procfs::sample(*pid))
        .collect::<Result<_>>()?;

    tokio::time::sleep(Duration::from_secs_f64(options.seconds)).await;

    let at_end: Vec<procfs::Sample> = options
        .watch
        .iter()
        .map(|(_, pid)| procfs::sample(*pid))
        .collect::<Result<_>>()?;
    let egress_end = egress_at(&options.origin_egress)?;
    let reference_bytes = shared.reference_bytes.load(Ordering::Relaxed) - reference_bytes_start;
    let generator_end = procfs::sample(std::process::id())?;
    let window = opened.elapsed();
    shared
        .window_end_us
        .store(start_us + window.as_micros() as u64, Ordering::Relaxed);
    tokio::time::sleep(ARRIVAL_GRACE).await;
    let _ = stop_tx.send(true);

    let mut subscribers = Vec::with_capacity(tasks.len());
    for task in tasks {
        subscribers.push(task.await?);
    }
    let reference = reference.await?;
    let origin_egress = match (egress_start, egress_end) {
        (Some(start), Some(end)) => end
            .into_iter()
            .map(|(peer, bytes)| {
                let before = start
                    .iter()
                    .find(|(p, _)| *p == peer)
                    .map_or(0, |(_, b)| *b);
                (peer, bytes - before.min(bytes))
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Report {
        window,
        reference,
        subscribers,
        latency,
        reference_latency,
        watched: options
            .watch
            .iter()
            .zip(before)
            .zip(at_start.into_iter().zip(at_end))
            .map(|(((name, _), before), (start, end))| (name.clone(), before, start, end))
            .collect(),
        generator_cpu: generator_end.cpu.saturating_sub(generator_start.cpu),
        origin_egress,
        reference_bytes,
        joins_done,
    })
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("n/a".into(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0))
}

/// The value at quantile `q` of sorted `values`.
fn quantile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

impl Report {
    /// Prints the results (and appends the table row); whether the run met
    /// `--require`.
    fn print(&self, options: &Options) -> Result<bool> {
        let n = self.subscribers.len();
        let window_s = self.window.as_secs_f64();
        let published = self.reference.tally.frames_in_window;
        let mut frames: Vec<u64> = self
            .subscribers
            .iter()
            .map(|s| s.tally.frames_in_window)
            .collect();
        frames.sort_unstable();
        let percent = |f: u64| {
            if published == 0 {
                0.0
            } else {
                100.0 * f as f64 / published as f64
            }
        };
        let threshold = options.require_percent.unwrap_or(98.0);
        let healthy = frames.iter().filter(|&&f| percent(f) >= threshold).count();
        let joined = self
            .subscribers
            .iter()
            .filter(|s| s.joined_after.is_some())
            .count();
        let mut joins: Vec<Duration> = self
            .subscribers
            .iter()
            .filter_map(|s| s.joined_after)
            .collect();
        joins.sort_unstable();
        let sum = |f: fn(&Outcome) -> u64| self.subscribers.iter().map(f).sum::<u64>();
        let invalid = sum(|s| s.tally.invalid) + self.reference.tally.invalid;
        let broken = sum(|s| s.tally.broken) + self.reference.tally.broken;
        let missed = sum(|s| s.tally.missed_between_groups);
        let objects = sum(|s| s.tally.objects);
        let resubscribes = sum(|s| s.resubscribes);
        let errors: Vec<&str> = self
            .subscribers
            .iter()
            .filter_map(|s| s.error.as_deref())
            .collect();

        println!(
            "## {n} subscribers over {} relay(s), {window_s:.1} s window, load average {}",
            options.relays.len(),
            load_average()
        );
        println!(
            "published (the reference at the origin got): {published} frames ({:.1} fps), {} missed between its groups, resubscribes {}",
            published as f64 / window_s,
            self.reference.tally.missed_between_groups,
            self.reference.resubscribes
        );
        let fmt_frames = |q: f64| {
            quantile(&frames, q).map_or("n/a".into(), |f| format!("{f} ({:.1} %)", percent(f)))
        };
        println!(
            "frames per subscriber: min {}, p1 {}, median {}; >= {threshold} %: {healthy} of {n}",
            fmt_frames(0.0),
            fmt_frames(0.01),
            fmt_frames(0.5)
        );
        println!(
            "objects verified: {objects} (+{} reference); invalid {invalid}, out of place {broken}; frames missed between groups {missed}; resubscribes {resubscribes}; ended with an error {}",
            self.reference.tally.objects,
            errors.len()
        );
        if let Some(first) = errors.first() {
            println!("  first error: {first}");
        }
        println!(
            "joined {joined} of {n}; join time (connect to first object) p50 {} p95 {} max {} ms; all joined after {:.1} s",
            ms(quantile(&joins, 0.5)),
            ms(quantile(&joins, 0.95)),
            ms(joins.last().copied()),
            self.joins_done.as_secs_f64()
        );
        let latency_line = |h: &Histogram| {
            format!(
                "p50 {} p95 {} p99 {} ms ({} frames)",
                ms(h.quantile(0.5)),
                ms(h.quantile(0.95)),
                ms(h.quantile(0.99)),
                h.count()
            )
        };
        println!(
            "capture -> received: reference (origin) {}",
            latency_line(&self.reference_latency)
        );
        for ((name, _), h) in options.relays.iter().zip(&self.latency) {
            println!("capture -> received: {name} {}", latency_line(h));
        }
        let per_relay = |name: &str| {
            options
                .relays
                .iter()
                .position(|(relay, _)| relay == name)
                .map(|i| self.subscribers.iter().filter(|s| s.relay == i).count())
        };
        for (name, before, start, end) in &self.watched {
            let cores = end.cpu.saturating_sub(start.cpu).as_secs_f64() / window_s;
            if per_relay(name).is_none() && name != "origin" {
                println!(
                    "{name}: CPU {:.1} % of a core, RSS {:.1} MiB",
                    100.0 * cores,
                    end.rss_kib as f64 / 1024.0
                );
                continue;
            }
            let served = per_relay(name).unwrap_or(n).max(1);
            println!(
                "{name}: CPU {:.1} % of a core ({:.3} % per subscriber of its {served}), RSS {:.1} MiB ({:+.1} KiB per subscriber since before the joins)",
                100.0 * cores,
                100.0 * cores / served as f64,
                end.rss_kib as f64 / 1024.0,
                (end.rss_kib as f64 - before.rss_kib as f64) / served as f64
            );
        }
        println!(
            "generator: CPU {:.1} % of a core",
            100.0 * self.generator_cpu.as_secs_f64() / window_s
        );
        let subscription_rate = self.reference_bytes as f64 * 8.0 / window_s;
        for (peer, bytes) in &self.origin_egress {
            println!(
                "origin egress to edge {peer}: {:.2} Mbit/s on the wire, {:.2}x one subscription's payload ({:.2} Mbit/s, the reference's)",
                *bytes as f64 * 8.0 / window_s / 1e6,
                *bytes as f64 * 8.0 / window_s / subscription_rate.max(1.0),
                subscription_rate / 1e6
            );
        }
        if let Some(table) = &options.table {
            self.append_row(table, options, published, &frames, healthy, percent, &joins)?;
        }
        let passed = joined == n
            && self.reference.joined_after.is_some()
            && published > 0
            && invalid == 0
            && broken == 0
            && healthy == n;
        if options.require_percent.is_some() && !passed {
            eprintln!("asp-moq-load: the run did not meet --require {threshold}");
        }
        Ok(passed || options.require_percent.is_none())
    }

    #[allow(clippy::too_many_arguments)]
    fn append_row(
        &self,
        table: &PathBuf,
        options: &Options,
        published: u64,
        frames: &[u64],
        healthy: usize,
        percent: impl Fn(u64) -> f64,
        joins: &[Duration],
    ) -> Result<()> {
        use std::io::Write;
        let new = !table.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(table)?;
        if new {
            writeln!(
                file,
                "| subscribers | published frames | min / p1 / median % of them | >= 98 % | join p50 / max ms | edge latency p50 / p99 ms | relays CPU % of a core (per 100 subs) | relays RSS MiB (KiB per sub) | generator CPU % | origin egress per edge (x one subscription) | load avg |"
            )?;
            writeln!(file, "|---|---|---|---|---|---|---|---|---|---|---|")?;
        }
        let window_s = self.window.as_secs_f64();
        let n = self.subscribers.len();
        let pct =
            |q: f64| quantile(frames, q).map_or("n/a".into(), |f| format!("{:.1}", percent(f)));
        let latency: Vec<String> = self
            .latency
            .iter()
            .map(|h| format!("{}/{}", ms(h.quantile(0.5)), ms(h.quantile(0.99))))
            .collect();
        let mut cpu = Vec::new();
        let mut rss = Vec::new();
        for (name, before, start, end) in &self.watched {
            let cores = end.cpu.saturating_sub(start.cpu).as_secs_f64() / window_s;
            let served = options
                .relays
                .iter()
                .position(|(relay, _)| relay == name)
                .map_or(n, |i| {
                    self.subscribers.iter().filter(|s| s.relay == i).count()
                })
                .max(1);
            cpu.push(format!(
                "{name} {:.0} ({:.1})",
                100.0 * cores,
                100.0 * 100.0 * cores / served as f64
            ));
            rss.push(format!(
                "{name} {:.0} ({:.0})",
                end.rss_kib as f64 / 1024.0,
                (end.rss_kib as f64 - before.rss_kib as f64) / served as f64
            ));
        }
        let subscription_rate = (self.reference_bytes as f64 * 8.0 / window_s).max(1.0);
        let egress: Vec<String> = self
            .origin_egress
            .iter()
            .map(|(_, b)| format!("{:.2}", *b as f64 * 8.0 / window_s / subscription_rate))
            .collect();
        writeln!(
            file,
            "| {n} | {published} | {} / {} / {} | {healthy} | {} / {} | {} | {} | {} | {:.0} | {} | {} |",
            pct(0.0),
            pct(0.01),
            pct(0.5),
            ms(quantile(joins, 0.5)),
            ms(joins.last().copied()),
            latency.join(", "),
            cpu.join(", "),
            rss.join(", "),
            100.0 * self.generator_cpu.as_secs_f64() / window_s,
            egress.join(", "),
            load_average()
        )?;
        Ok(())
    }
}
