//! `make bench-hostile`: the long versions of tests/hostile's attacks, one
//! at a time, against a release `asp-encode --serve` (the test picture,
//! 640x360 at 30 fps, 1 Mbit/s) while 100 healthy WebSocket viewers watch.
//! Per attack: the healthy viewers' frames delivered and worst gap, the
//! server's peak resident memory and open files (from /proc), whether a
//! new viewer joined mid-attack, and the stream's keyframes and bitrate
//! target (from /asp/stats).
//!
//! usage: asp-bench-hostile --server PATH/asp-encode [--seconds 10]
//!        [--viewers 100] [--out build/bench-hostile] [--only NAME]

mod attacks;
mod server;
mod viewers;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use attacks::{Attack, Attackers, Target};
use server::ServerProcess;
use viewers::{Audience, Delivery};

/// The targets BENCHMARKS.md holds the server to.
const MIN_DELIVERED_PERCENT: f64 = 99.0;
const MAX_GAP: Duration = Duration::from_millis(250);
/// How long a newcomer may take to get its first frame (a keyframe run
/// is 2 s, so it may wait up to that for the next one plus the handshake).
const JOIN_LIMIT: Duration = Duration::from_secs(5);

struct Options {
    server: PathBuf,
    seconds: u64,
    viewers: usize,
    out: PathBuf,
    only: Option<String>,
}

fn options() -> Result<Options> {
    let mut options = Options {
        server: PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
            .join("release/asp-encode"),
        seconds: 10,
        viewers: 100,
        out: PathBuf::from("build/bench-hostile"),
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--server" => options.server = value()?.into(),
            "--seconds" => options.seconds = value()?.parse()?,
            "--viewers" => options.viewers = value()?.parse()?,
            "--out" => options.out = value()?.into(),
            "--only" => options.only = Some(value()?),
            other => bail!("unknown argument {other} (see the top of bench/hostile/src/main.rs)"),
        }
    }
    Ok(options)
}

/// One line of the table.
struct Row {
    name: &'static str,
    delivery: Delivery,
    joined: Option<Duration>,
    peak_rss_kib: u64,
    peak_fds: usize,
    keyframes: u64,
    forced_keyframes: u64,
    /// Viewer sessions (WebSocket or WebTransport) the server opened and
    /// cut off in the window: the attackers' besides the newcomer's.
    sessions_joined: u64,
    sessions_kicked: u64,
    min_bitrate_target: u64,
}

impl Row {
    fn meets_targets(&self) -> bool {
        self.delivery.delivered_percent >= MIN_DELIVERED_PERCENT
            && self.delivery.worst_gap <= MAX_GAP
            && self.joined.is_some()
    }

    fn markdown(&self) -> String {
        let joined = match self.joined {
            Some(t) => format!("yes ({:.1} ms)", t.as_secs_f64() * 1000.0),
            None => "**no**".to_string(),
        };
        format!(
            "| {} | {:.2} % | {} ms | {} | {} | {:.1} | {} | {} / {} | {} ({} forced) | {} | {} |",
            self.name,
            self.delivery.delivered_percent,
            self.delivery.worst_gap.as_millis(),
            self.delivery.reconnects,
            joined,
            self.peak_rss_kib as f64 / 1024.0,
            self.peak_fds,
            self.sessions_joined,
            self.sessions_kicked,
            self.keyframes,
            self.forced_keyframes,
            self.min_bitrate_target / 1000,
            if self.meets_targets() { "yes" } else { "**no**" },
        )
    }
}

const HEADER: &str = "| attack | frames delivered | worst gap | viewer reconnects | new viewer joins | peak RSS (MiB) | peak fds | viewer sessions opened / kicked | keyframes | lowest bitrate target (kbit/s) | meets targets |\n\
                      |---|---|---|---|---|---|---|---|---|---|---|";

fn counter(stats: &serde_json::Value, name: &str) -> u64 {
    stats.get(name).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

/// What every measurement shares: the server, its audience, the attackers' runtime.
struct Bench<'a> {
    target: Target,
    pid: u32,
    audience: &'a Audience,
    seconds: u64,
    attackers_runtime: &'a tokio::runtime::Handle,
}

/// Runs `attack` (none: the quiet baseline) for `bench.seconds` and
/// measures; `newcomer` is the address the mid-attack joiner uses.
async fn measure(bench: &Bench<'_>, name: &'static str, attack: Option<&Attack>, newcomer: IpAddr) -> Result<Row> {
    let Bench { target, pid, audience, seconds, attackers_runtime } = *bench;
    let before = server::stats(target.http).await?;
    audience.open_window();
    let mut attackers = Attackers::new(attackers_runtime.clone());
    if let Some(attack) = attack {
        (attack.start)(target, &mut attackers);
    }
    let window = Duration::from_secs(seconds);
    let until = Instant::now() + window;
    let sample = async {
        let (mut rss, mut fds, mut bitrate) = (0u64, 0usize, u64::MAX);
        let mut next_stats = Instant::now();
        while Instant::now() < until {
            if let Some((r, f)) = server::footprint(pid) {
                rss = rss.max(r);
                fds = fds.max(f);
            }
            if Instant::now() >= next_stats {
                if let Ok(stats) = server::stats(target.http).await {
                    bitrate = bitrate.min(counter(&stats, "bitrate_target"));
                }
                next_stats += Duration::from_secs(1);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (rss, fds, bitrate)
    };
    let join = async {
        tokio::time::sleep(window / 2).await;
        viewers::newcomer_joins(newcomer, target.http, JOIN_LIMIT).await
    };
    let ((peak_rss_kib, peak_fds, min_bitrate_target), joined) = tokio::join!(sample, join);
    let delivery = audience.delivery();
    let after = server::stats(target.http).await?;
    attackers.stop().await;
    Ok(Row {
        name,
        delivery,
        joined,
        peak_rss_kib,
        peak_fds,
        keyframes: counter(&after, "keyframes") - counter(&before, "keyframes"),
        forced_keyframes: counter(&after, "forced_keyframes") - counter(&before, "forced_keyframes"),
        min_bitrate_target,
        sessions_joined: counter(&after, "joined") - counter(&before, "joined"),
        sessions_kicked: counter(&after, "kicked") - counter(&before, "kicked"),
    })
}

fn main() -> Result<()> {
    let options = options()?;
    let attackers_runtime = attacks::runtime()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(options, attackers_runtime.handle()))
}

async fn run(options: Options, attackers_runtime: &tokio::runtime::Handle) -> Result<()> {
    // A thousand attacking sockets and the audience's live in this process.
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    rlimit::setrlimit(rlimit::Resource::NOFILE, hard, hard)?;
    std::fs::create_dir_all(&options.out)?;
    let arguments: Vec<String> =
        ["--size", "640x360", "--fps", "30", "--bitrate", "1M", "--threads", "1"].map(String::from).to_vec();
    let process = ServerProcess::start(&options.server, &arguments, &options.out.join("server.log"))?;
    let target = Target { http: process.http, wt: process.wt, certificate_hash: process.certificate_hash };
    let pid = process.pid();
    eprintln!("bench-hostile: server {} (pid {pid}), WebTransport {}", target.http, target.wt);
    let audience = Audience::start(target.http, options.viewers).await?;
    let started = server::footprint(pid).unwrap_or_default();
    eprintln!("bench-hostile: {} healthy viewers watching", options.viewers);

    let mut rows = Vec::new();
    let newcomer = |i: usize| IpAddr::V4(Ipv4Addr::new(127, 0, 3, 1 + i as u8));
    let bench = Bench { target, pid, audience: &audience, seconds: options.seconds, attackers_runtime };
    rows.push(measure(&bench, "none (baseline)", None, newcomer(0)).await?);
    eprintln!("{}", rows[0].markdown());
    for (i, attack) in attacks::ALL.iter().enumerate() {
        if options.only.as_deref().is_some_and(|only| only != attack.name) {
            continue;
        }
        eprintln!("bench-hostile: {}: {}", attack.name, attack.what);
        let row = measure(&bench, attack.name, Some(attack), newcomer(i + 1)).await?;
        eprintln!("{}", row.markdown());
        rows.push(row);
        // Lets the server notice the attackers are gone before the next one.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let settled = server::footprint(pid).unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let mut report = String::new();
    report.push_str(HEADER);
    report.push('\n');
    for row in &rows {
        report.push_str(&row.markdown());
        report.push('\n');
    }
    report.push_str(&format!(
        "\nServer RSS {:.1} MiB and {} fds with the audience before the attacks, {:.1} MiB and {} fds after them; \
         {} s per attack, {} healthy viewers; load average at the end {} on {} CPUs.\n",
        started.0 as f64 / 1024.0,
        started.1,
        settled.0 as f64 / 1024.0,
        settled.1,
        options.seconds,
        options.viewers,
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    ));
    report.push_str("\nAttacks:\n");
    for attack in attacks::ALL {
        report.push_str(&format!("- {}: {}\n", attack.name, attack.what));
    }
    std::fs::write(options.out.join("results.md"), &report)?;
    println!("{report}");
    let missed: Vec<&str> = rows.iter().filter(|r| !r.meets_targets()).map(|r| r.name).collect();
    if !missed.is_empty() {
        eprintln!("bench-hostile: targets missed under: {}", missed.join(", "));
    }
    Ok(())
}
