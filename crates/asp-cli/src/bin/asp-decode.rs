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
//! The output is written as [`asp_cli::output`] says: never over the
//! input, over an existing file only with `--force`, put in place whole.

use std::io::{self, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use asp_cli::exit::{self, Outcome};
use asp_cli::interrupt::Interrupt;
use asp_cli::output::{input_path, Guard, Output, OutputError, Placement};
use asp_cli::y4m_io::Y4mWriter;
use asp_core::codec::decoder::DecodeError;
use asp_core::{Event, Limits, Player, PlayerError, Settings, Waiting};
use asp_encoder::Rayon;
use clap::Parser;

#[derive(Parser)]
#[command(name = "asp-decode", version, about = "Decode an ASP packet stream to y4m", after_help = exit::TABLE)]
struct Args {
    /// A .asp file, - for standard input, or a Media over QUIC broadcast:
    /// moq+https://HOST:PORT/NAME (subscribed at its newest keyframe run).
    input: PathBuf,
    /// Output .y4m file, or - for stdout. Written under a temporary name and
    /// renamed when done; never one of the inputs.
    #[arg(short, long)]
    output: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
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
    /// Refuse frames wider than this many pixels (at most the default).
    #[arg(long, default_value_t = Limits::DEFAULT.max_width,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(Limits::DEFAULT.max_width)))]
    max_width: u32,
    /// Refuse frames taller than this many pixels (at most the default).
    #[arg(long, default_value_t = Limits::DEFAULT.max_height,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(Limits::DEFAULT.max_height)))]
    max_height: u32,
    /// Refuse frames of more than this many pixels (width x height): what
    /// bounds the decoder's memory, about 1.5 bytes per pixel for each
    /// picture it keeps. At most the default.
    #[arg(long, default_value_t = Limits::DEFAULT.max_pixels,
          value_parser = clap::value_parser!(u64).range(1..=Limits::DEFAULT.max_pixels))]
    max_pixels: u64,
    /// With a moq+https:// input: trust the relay's certificate if this CA
    /// (PEM) signed it, instead of the system roots (default: $ASP_MOQ_TLS_CA).
    /// Relay inputs need asp-cli built with --features moq.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(outcome) => outcome.code(),
        Err(e) => exit::report_error("asp-decode", &e),
    }
}

/// Decodes the input into the output. The rules are the stream player's;
/// this writes each picture once, when it is final (after the C-packets
/// that refine it). A signal stops it after the frame in hand.
fn run(args: &Args) -> Result<Outcome> {
    asp_cli::apply_cpu_mask_from_env()?;
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global().context("starting threads")?;
    }
    let interrupt = Interrupt::install().context("catching SIGINT and SIGTERM")?;
    let mut guard = Guard::new();
    guard.protect(&input_path(&args.input));
    let mut output = Output::create(&args.output, &guard, args.force, Placement::Staged)?;
    let mut input = open_input(args, &interrupt)?;
    let name = output.name().to_string();
    let write_error = |source| OutputError::Write { name: name.clone(), source };
    let mut sink: Option<Y4mWriter> = None;
    let mut interrupted = false;
    let limits =
        Limits { max_width: args.max_width, max_height: args.max_height, max_pixels: args.max_pixels, ..Limits::DEFAULT };
    let mut player = Player::new(Settings { drop_c: args.drop_c, ..Settings::with_limits(limits) });
    let mut chunk = vec![0u8; 256 * 1024];
    'stream: loop {
        if interrupt.raised() {
            interrupted = true;
            break;
        }
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
                    let sink = match &mut sink {
                        Some(sink) => sink,
                        None => {
                            let fps = player.facts().map_or((25, 1), |f| (f.fps_num.max(1), f.fps_den.max(1)));
                            let (width, height) = (picture.width() as u32, picture.height() as u32);
                            sink.insert(Y4mWriter::new(&mut output, width, height, fps).map_err(write_error)?)
                        }
                    };
                    let written = sink.write(&mut output, picture).map_err(write_error);
                    written.with_context(|| format!("frame {}", meta.sequence))?;
                    if interrupt.raised() {
                        interrupted = true;
                        break 'stream;
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
    // A signal during the last read still counts: the user asked to stop.
    interrupted |= interrupt.raised();
    if sink.is_none() {
        if interrupted {
            eprintln!("asp-decode: interrupted before the first frame; nothing written");
            return Ok(Outcome::Interrupted);
        }
        bail!("no keyframe in the input: nothing to decode");
    }
    output.finish()?;
    let stats = player.stats();
    let lost = stats.dropped + stats.failed;
    let refined = if stats.refined > 0 { format!(", {} refined by C-packets", stats.refined) } else { String::new() };
    eprintln!("{} frames decoded, {} damaged spans, {lost} frames lost{refined}", stats.decoded, stats.damaged);
    Ok(if interrupted {
        eprintln!("asp-decode: interrupted; {} holds every frame decoded before the signal", args.output.display());
        Outcome::Interrupted
    } else if stats.damaged == 0 && lost == 0 {
        Outcome::Ok
    } else {
        Outcome::Damaged
    })
}

/// The packets: a file, standard input, or a relay subscription.
fn open_input(args: &Args, interrupt: &Interrupt) -> Result<Box<dyn Read>> {
    let name = args.input.to_string_lossy();
    if asp_cli::publish::is_relay_input(&name) {
        return asp_cli::publish::relay_input(&name, args.tls_ca.clone(), interrupt.shared_flag());
    }
    if args.tls_ca.is_some() {
        bail!("--tls-ca is for a moq+https:// input");
    }
    asp_cli::input::open(&args.input)
}
