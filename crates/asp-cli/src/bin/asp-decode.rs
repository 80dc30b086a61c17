//! asp-decode: an ASP packet stream in, y4m out.
//!
//! `asp-decode x.asp -o - | ffplay -`
//! `asp-decode moq+https://relay:4443/NAME -o out.y4m` (a relay's broadcast,
//! from its newest keyframe run until the publisher ends it)
//!
//! An I/O adapter over asp-core's stream [`Player`]: C-packets (ROI
//! refinement) stack on the frame they follow before it is written;
//! `--drop-c` ignores them and shows the base stream. Damage, a delta frame
//! first or a frame that fails stop the decode unless `--keep-going`
//! (then the player waits for the next keyframe or intra-refresh start).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use asp_cli::y4m_io::Y4mWriter;
use asp_core::codec::decoder::DecodeError;
use asp_core::{Event, Player, PlayerError, Settings, Waiting};
use asp_encoder::Rayon;
use clap::Parser;

#[derive(Parser)]
#[command(name = "asp-decode", version, about = "Decode an ASP packet stream to y4m")]
struct Args {
    /// A .asp file, - for standard input, or a Media over QUIC broadcast:
    /// moq+https://HOST:PORT/NAME (subscribed at its newest keyframe run).
    input: PathBuf,
    /// Output .y4m file, or - for stdout.
    #[arg(short, long)]
    output: PathBuf,
    /// Skip damaged packets, resume at the next keyframe or intra-refresh start, and report what was lost.
    #[arg(long)]
    keep_going: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Ignore C-packets (ROI refinement): output the base stream, as a
    /// viewer short of bandwidth would see it.
    #[arg(long)]
    drop_c: bool,
    /// With a moq+https:// input: trust the relay's certificate if this CA
    /// (PEM) signed it, instead of the system roots (default: $ASP_MOQ_TLS_CA).
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("asp-decode: {e:#}");
            ExitCode::from(2)
        }
    }
}

type Sink = Y4mWriter<io::BufWriter<Box<dyn Write>>>;

/// Returns whether the stream decoded without loss. The rules are the
/// stream player's; this writes each picture once, when it is final (after
/// the C-packets that refine it).
fn run(args: &Args) -> Result<bool> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global().context("starting threads")?;
    }
    let mut input = open_input(args)?;
    let mut sink: Option<Sink> = None;
    let mut player = Player::new(Settings { drop_c: args.drop_c, ..Settings::default() });
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading packets"),
        };
        if n == 0 {
            player.finish();
        } else if let Err(e) = player.push(&chunk[..n]) {
            bail!("{e}");
        }
        while let Some(event) = player.next_event(&Rayon) {
            match event {
                Event::Final(_) => {
                    let (Some(picture), Some(meta)) = (player.picture(), player.meta()) else { continue };
                    if sink.is_none() {
                        let fps = player.facts().map_or((25, 1), |f| (f.fps_num.max(1), f.fps_den.max(1)));
                        sink = Some(open_sink(&args.output, picture.width() as u32, picture.height() as u32, fps)?);
                    }
                    if let Some(sink) = sink.as_mut() {
                        sink.write(picture).with_context(|| format!("writing frame {}", meta.sequence))?;
                    }
                }
                Event::Picture(_) | Event::Refined(_) => {}
                Event::Dropped { sequence, waiting: Waiting::Start } => {
                    let e = DecodeError::NoKeyframe;
                    if !args.keep_going {
                        bail!("packet {sequence}: {e} (use --keep-going to skip it)");
                    }
                    if player.stats().dropped == 1 {
                        eprintln!("asp-decode: packet {sequence} not decoded: {e}; waiting for a keyframe");
                    }
                }
                Event::Dropped { .. } => {}
                Event::Error(PlayerError::Damaged { offset, len, error }) => {
                    if !args.keep_going {
                        bail!("damaged data at byte {offset} ({len} bytes): {error} (use --keep-going to skip it)");
                    }
                    eprintln!("asp-decode: skipped {len} damaged bytes at {offset}: {error}; waiting for a keyframe");
                }
                Event::Error(PlayerError::Decode { sequence, error }) => {
                    if !args.keep_going {
                        bail!("packet {sequence}: {error} (use --keep-going to skip it)");
                    }
                    eprintln!("asp-decode: packet {sequence} not decoded: {error}; waiting for a keyframe");
                }
                // A C-packet that does not apply costs nothing: the picture stays as it was.
                Event::Error(e) => eprintln!("asp-decode: {e}"),
            }
        }
        if n == 0 {
            break;
        }
    }
    if sink.is_none() {
        bail!("no keyframe in the input: nothing to decode");
    }
    let stats = player.stats();
    let lost = stats.dropped + stats.failed;
    let refined = if stats.refined > 0 { format!(", {} refined by C-packets", stats.refined) } else { String::new() };
    eprintln!("{} frames decoded, {} damaged spans, {lost} frames lost{refined}", stats.decoded, stats.damaged);
    Ok(stats.damaged == 0 && lost == 0)
}

/// The packets: a file, standard input, or a relay subscription.
fn open_input(args: &Args) -> Result<Box<dyn Read>> {
    let name = args.input.to_string_lossy();
    if asp_moq::RelayUrl::is_relay_url(&name) {
        let url = asp_moq::RelayUrl::parse(&name)?;
        let options = asp_moq::ClientOptions::from_flag_or_env(args.tls_ca.clone());
        return Ok(Box::new(asp_moq::SubscriptionReader::connect(&url, &options)?));
    }
    if args.tls_ca.is_some() {
        bail!("--tls-ca is for a moq+https:// input");
    }
    asp_cli::input::open(&args.input)
}

fn open_sink(path: &PathBuf, width: u32, height: u32, fps: (u32, u32)) -> Result<Sink> {
    let out: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?)
    };
    Y4mWriter::new(io::BufWriter::new(out), width, height, fps)
}
