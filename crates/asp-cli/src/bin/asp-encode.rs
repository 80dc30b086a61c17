//! asp-encode: y4m (file, stdin) or the built-in test picture in, ASP
//! packets out.
//!
//! `ffmpeg -i any.mp4 -f yuv4mpegpipe - | asp-encode - -o out.asp`
//!
//! Outputs are written as [`asp_cli::output`] says: never over the input,
//! over an existing file only with `--force`, put in place whole (a live
//! recording, `--serve -o`, grows under its own name).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use asp_cli::exit::{self, Outcome};
use asp_cli::interrupt::Interrupt;
use asp_cli::output::{input_path, Guard, Output, Placement};
use asp_cli::publish::{publish_renditions, BlockingPublisher, PublishTarget};
use asp_cli::rendition::rendition_rates;
use asp_server::renditions::encode_all;
use asp_cli::serve::{existing_dir, ServeOptions};
use asp_cli::y4m_io::Y4mWriter;
use asp_cli::{luma_mse, psnr};
use asp_core::codec::frame::Frame;
use asp_core::Limits;
use asp_encoder::analysis::RoiMethod;
use asp_encoder::source::{self, TestSettings};
use asp_encoder::{Bitrate, EncoderConfig, FrameSource, Preset, Qp, RateMode, ReadAhead, Session, SessionSettings, SourceRead};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(name = "asp-encode", version, about = "Encode video into an ASP packet stream", after_help = exit::TABLE)]
#[command(args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// A .y4m file, - for y4m on stdin, or testsrc (the built-in moving test picture).
    #[arg(default_value = "testsrc")]
    input: String,
    /// Output .asp file, or - for stdout (default: out.asp; with --serve,
    /// none: given, it records what is served). Never one of the inputs.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Overwrite existing output files (-o, --recon).
    #[arg(long)]
    force: bool,
    /// Target bitrate, e.g. 1500k or 2M (constant bitrate with a 1 s buffer).
    #[arg(long, conflicts_with = "qp")]
    bitrate: Option<Bitrate>,
    /// Constant quantiser, 0..=51 (lower is better), the default at 26 unless --bitrate.
    #[arg(long)]
    qp: Option<Qp>,
    /// Frames between keyframes (0: only the first). Default: 2 seconds.
    #[arg(long)]
    keyint: Option<u32>,
    /// Periodic intra refresh instead of periodic keyframes: a band of
    /// intra macroblocks sweeps the picture every --keyint frames, so no
    /// frame spikes; decoders can join at the start of a sweep.
    #[arg(long)]
    intra_refresh: bool,
    /// Speed/quality preset: ultrafast, realtime, medium.
    #[arg(long, default_value = "realtime")]
    preset: Preset,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Stop after this many frames (testsrc defaults to 250).
    #[arg(long)]
    frames: Option<u64>,
    /// testsrc size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    size: (u32, u32),
    /// testsrc frame rate.
    #[arg(long, default_value_t = 30)]
    fps: u32,
    /// Tile grid COLUMNSxROWS (default: from the frame size).
    #[arg(long, value_parser = parse_size)]
    tiles: Option<(u32, u32)>,
    /// Write the encoder's reconstruction (what decoders will show) as y4m.
    #[arg(long)]
    recon: Option<PathBuf>,
    /// Measure PSNR against the input.
    #[arg(long)]
    psnr: bool,
    /// Put motion vectors in D-packets as side data for readers in other languages.
    #[arg(long)]
    side_data: bool,
    /// The attribution the first keyframe's stream facts carry (and, with
    /// --serve, the session description).
    #[arg(long, value_name = "TEXT", default_value = asp_core::packet::ATTRIBUTION, conflicts_with = "no_attribution")]
    attribution: String,
    /// Write no attribution in the stream.
    #[arg(long)]
    no_attribution: bool,
    /// Encode live and serve the stream, a player page, WebSocket and
    /// WebTransport at this address (e.g. 127.0.0.1:8080); with -o, also
    /// record the served packets there (written as they are served).
    /// With --intra-refresh, viewers join at the start of a refresh sweep;
    /// with --roi-layer, each frame's C-packet follows it. (Not with --recon
    /// or --psnr.)
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["recon", "psnr"])]
    serve: Option<std::net::SocketAddr>,
    /// With --serve: play a file input again from the start when it ends.
    #[arg(long = "loop", requires = "serve")]
    repeat: bool,
    /// With --serve: the demo page directory (default: ./www if present).
    #[arg(long, requires = "serve")]
    www: Option<PathBuf>,
    /// With --serve: the player package directory served at /web/ (default: ./web if present).
    #[arg(long, requires = "serve")]
    web: Option<PathBuf>,
    /// With --serve: serve WebSocket only.
    #[arg(long, requires = "serve")]
    no_webtransport: bool,
    /// With --serve: burn the capture time into the picture of any input (testsrc always has it).
    #[arg(long, requires = "serve")]
    stamp: bool,
    #[command(flatten)]
    serve_guards: asp_cli::serve::ServeGuards,
    /// Regions of interest to find in every frame, e.g. face,text,motion: their
    /// macroblocks get a finer QP in D frames (the rest a coarser one, same
    /// bitrate), and the regions go into the packets as side data.
    #[arg(long, value_parser = parse_roi)]
    roi: Option<RoiList>,
    /// QP offset of region macroblocks, -12..=0.
    #[arg(long, default_value_t = -3, allow_hyphen_values = true, value_parser = clap::value_parser!(i8).range(-12..=0))]
    roi_qp: i8,
    /// Also emit a C-packet after each frame: a finer refinement of its face,
    /// text and motion regions that nothing predicts from (droppable without drift).
    #[arg(long, requires = "roi")]
    roi_layer: bool,
    /// How much finer than the regions' own QP the C-packets are (0: the
    /// same QP, which still corrects what prediction and skips left behind).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=24))]
    roi_layer_delta: u8,
    /// Put a k-means palette of this many colours in every packet (side data).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    palette: Option<u16>,
    /// Also publish the stream to a Media over QUIC relay (moq-relay),
    /// https://HOST:PORT/NAME: broadcast NAME, track `video`, one group per
    /// keyframe run, one object per packet. Without --serve the encode is
    /// paced to the frame rate, as a live source is. Needs asp-cli built
    /// with --features moq.
    #[arg(long, value_name = "URL")]
    publish: Option<String>,
    /// With --publish: also encode the source at this bitrate (e.g. 600k,
    /// 2M), repeatable: one encoder per rendition, all with the same
    /// keyframes, each published as a track of its own: the highest as
    /// `video`, the others as `video-600k` and so on, listed in the
    /// catalog; a player switches between them at a keyframe run. -o
    /// records the highest. Instead of --bitrate and --qp.
    #[arg(long = "rendition", value_name = "RATE", conflicts_with_all = ["bitrate", "qp"])]
    renditions: Vec<Bitrate>,
    /// With --publish: trust the relay's certificate if this CA (PEM)
    /// signed it, instead of the system roots (default: $ASP_MOQ_TLS_CA).
    #[arg(long, value_name = "FILE", requires = "publish")]
    tls_ca: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Print a signed view token that expires, for a server started with
    /// --serve --token-key FILE (a file input named `token`: ./token).
    Token(asp_cli::token::MintArgs),
}

/// The detectors named by `--roi`.
#[derive(Clone, Debug)]
struct RoiList(Vec<RoiMethod>);

fn parse_roi(s: &str) -> Result<RoiList, String> {
    let methods = RoiMethod::parse_list(s).map_err(|e| format!("{e}; use face, text, motion"))?;
    if methods.is_empty() {
        return Err("no ROI method given; use face, text, motion".into());
    }
    Ok(RoiList(methods))
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("'{s}' is not WIDTHxHEIGHT"))?;
    let parse = |v: &str| v.parse::<u32>().map_err(|_| format!("'{s}' is not WIDTHxHEIGHT"));
    Ok((parse(w)?, parse(h)?))
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(outcome) => outcome.code(),
        Err(e) => exit::report_error("asp-encode", &e),
    }
}

/// The encoder settings of each rendition (`rates`, highest first): the
/// flags' settings at that bitrate. Without renditions, the flags' one.
fn rendition_configs(args: &Args, width: u32, height: u32, fps: (u32, u32), rates: &[u64]) -> Result<Vec<EncoderConfig>> {
    let config = encoder_config(args, width, height, fps)?;
    if rates.is_empty() {
        return Ok(vec![config]);
    }
    Ok(rates
        .iter()
        .map(|&bits_per_second| EncoderConfig {
            rate: RateMode::Bitrate { bits_per_second, buffer_seconds: 1.0 },
            ..config.clone()
        })
        .collect())
}

/// The encoder settings the flags ask for.
fn encoder_config(args: &Args, width: u32, height: u32, fps: (u32, u32)) -> Result<EncoderConfig> {
    let mut config = EncoderConfig::new(width, height, fps.0, fps.1);
    config.preset = args.preset;
    config.side_data = args.side_data;
    config.attribution = (!args.no_attribution).then(|| args.attribution.clone());
    config.intra_refresh = args.intra_refresh;
    if let Some(k) = args.keyint {
        config.keyint = k;
    }
    if let Some((c, r)) = args.tiles {
        let fit = |v: u32| u8::try_from(v).ok().filter(|&v| v > 0);
        match (fit(c), fit(r)) {
            (Some(c), Some(r)) => config.tiles = Some((c, r)),
            _ => bail!("--tiles {c}x{r}: columns and rows must be 1..=255"),
        }
    }
    config.rate = match (args.bitrate, args.qp) {
        (Some(bits), _) => RateMode::Bitrate { bits_per_second: bits.bits_per_second(), buffer_seconds: 1.0 },
        (None, qp) => RateMode::ConstantQp(qp.unwrap_or(Qp::saturating(26))),
    };
    Ok(config)
}

/// What the session does around the encoder (ROI analysis, palette, C-packets).
fn session_settings(args: &Args) -> SessionSettings {
    SessionSettings {
        roi: args.roi.as_ref().map_or_else(Vec::new, |m| m.0.clone()),
        roi_qp: args.roi_qp,
        roi_layer: args.roi_layer,
        roi_layer_delta: args.roi_layer_delta,
        palette: args.palette,
    }
}

/// The input: testsrc (`frames` of it, `None` endless), `-` or a y4m file.
fn open_input(args: &Args, frames: Option<u64>) -> Result<Box<dyn FrameSource + Send>> {
    let (width, height) = args.size;
    let test = TestSettings { width, height, fps: args.fps, frames };
    Ok(source::open(&args.input, test, &Limits::DEFAULT)?)
}

/// Where `--publish` goes, and the CA it trusts.
fn publish_target(args: &Args) -> Result<Option<PublishTarget>> {
    asp_cli::publish::publish_target(args.publish.as_deref(), args.tls_ca.clone())
}

/// What the tool must not overwrite: a file input.
fn input_guard(args: &Args) -> Guard {
    let mut guard = Guard::new();
    if args.input != "testsrc" {
        guard.protect(&input_path(Path::new(&args.input)));
    }
    guard
}

/// `--serve`: encode live, serve until Ctrl-C (or SIGTERM).
fn serve(args: &Args, bind: std::net::SocketAddr, interrupt: Interrupt) -> Result<Outcome> {
    asp_cli::serve::init_logging();
    let record = match &args.output {
        Some(path) => Some(Output::create(path, &input_guard(args), args.force, Placement::Live)?),
        None => None,
    };
    let source = open_input(args, args.frames)?;
    let (width, height) = source.size();
    let rates = rendition_rates(&args.renditions, args.publish.is_some())?;
    let mut configs = rendition_configs(args, width, height, source.fps(), &rates)?;
    let config = configs.remove(0);
    let options = ServeOptions {
        bind,
        repeat: args.repeat,
        www: existing_dir(args.www.clone(), "www"),
        web: existing_dir(args.web.clone(), "web"),
        webtransport: !args.no_webtransport,
        // The test picture always carries its capture time.
        stamp: args.stamp || args.input == "testsrc",
        session: session_settings(args),
        record,
        guards: args.serve_guards.clone(),
        publish: publish_target(args)?,
        renditions: configs,
    };
    asp_cli::serve::serve(source, config, options, &interrupt)
}

fn run(args: &Args) -> Result<Outcome> {
    asp_cli::apply_cpu_mask_from_env()?;
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global().context("starting threads")?;
    }
    if let Some(Command::Token(mint)) = &args.command {
        println!("{}", asp_cli::token::mint(mint)?);
        return Ok(Outcome::Ok);
    }
    let interrupt = Interrupt::install().context("catching SIGINT and SIGTERM")?;
    if let Some(bind) = args.serve {
        return serve(args, bind, interrupt);
    }
    let limits = Limits::DEFAULT;
    let testsrc = args.input == "testsrc";
    let max_frames = match (testsrc, args.frames) {
        (_, Some(n)) => n,
        (true, None) => 250,
        (false, None) => u64::MAX,
    };
    let source = open_input(args, Some(max_frames))?;
    let (width, height) = source.size();
    let fps = source.fps();

    let rates = rendition_rates(&args.renditions, args.publish.is_some())?;
    let mut sessions = rendition_configs(args, width, height, fps, &rates)?
        .into_iter()
        .map(|config| Session::new(config, session_settings(args)).context("encoder settings"))
        .collect::<Result<Vec<_>>>()?;
    let mut guard = input_guard(args);
    let out_path = args.output.clone().unwrap_or_else(|| PathBuf::from("out.asp"));
    let mut out = Output::create(&out_path, &guard, args.force, Placement::Staged)?;
    guard.protect(&out_path);
    let mut recon = match &args.recon {
        Some(path) => {
            let mut output = Output::create(path, &guard, args.force, Placement::Staged)?;
            let writer = Y4mWriter::new(&mut output, width, height, fps).map_err(|e| output.write_error(e))?;
            Some((output, writer))
        }
        None => None,
    };

    let progress = if io::stderr().is_terminal() {
        let bar = if max_frames == u64::MAX { ProgressBar::new_spinner() } else { ProgressBar::new(max_frames) };
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} frames {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };

    let mut relay = match publish_target(args)? {
        Some(target) => Some(BlockingPublisher::connect(&target, (width, height), fps, &rates)?),
        None => None,
    };

    // Frames are read on a thread of their own, two ahead: the read
    // overlaps the encode of the frame before.
    let mut source = ReadAhead::new(source, 2, &limits)?;
    let mut frame = Frame::new(width, height, &limits)?;
    let frame_us = 1_000_000 * u64::from(fps.1) / u64::from(fps.0.max(1));
    let started = Instant::now();
    let (mut frames, mut bytes, mut mse_sum) = (0u64, 0u64, 0f64);
    let (mut c_packets, mut c_bytes, mut region_count) = (0u64, 0u64, 0u64);
    let (mut truncated, mut interrupted) = (false, false);
    while frames < max_frames {
        if interrupt.raised() {
            interrupted = true;
            break;
        }
        match source.read(&mut frame)? {
            SourceRead::Frame => {}
            SourceRead::End => break,
            SourceRead::Truncated => {
                truncated = true;
                break;
            }
        }
        let capture_time_us = frames * frame_us;
        if relay.is_some() {
            // A relay serves the newest group: publishing faster than real
            // time would leave its viewers only the last keyframe run.
            let due = started + std::time::Duration::from_micros(capture_time_us);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        let renditions = encode_all(&mut sessions, &frame, capture_time_us)?;
        if let Some(relay) = relay.as_mut() {
            publish_renditions(relay, &renditions, frames)?;
        }
        // The first (highest) rendition is the one -o records.
        let encoded = &renditions[0];
        out.write_all(&encoded.packet).map_err(|e| out.write_error(e))?;
        bytes += encoded.packet.len() as u64;
        region_count += encoded.regions as u64;
        if let Some(packet) = &encoded.c_packet {
            out.write_all(packet).map_err(|e| out.write_error(e))?;
            bytes += packet.len() as u64;
            c_bytes += packet.len() as u64;
            c_packets += 1;
        }
        let reconstruction = sessions[0].reconstruction().context("no reconstruction")?;
        if args.psnr {
            mse_sum += luma_mse(&frame, reconstruction);
        }
        if let Some((output, writer)) = &mut recon {
            writer.write(output, reconstruction).map_err(|e| output.write_error(e))?;
        }
        frames += 1;
        if let Some(bar) = &progress {
            let seconds = started.elapsed().as_secs_f64().max(1e-9);
            let kbps = bytes as f64 * 8.0 / 1000.0 / (frames as f64 * frame_us as f64 / 1e6);
            bar.set_position(frames);
            bar.set_message(format!("{:.1} fps, {kbps:.0} kbps", frames as f64 / seconds));
        }
    }
    out.finish()?;
    if let Some((output, _)) = recon {
        output.finish()?;
    }
    let published = relay.map(BlockingPublisher::finish).transpose()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if truncated {
        eprintln!("asp-encode: the input ended inside a frame; the {frames} complete frames before it were encoded");
    }
    if interrupted {
        eprintln!("asp-encode: interrupted; the output holds the {frames} frames encoded before the signal");
    }
    let seconds = started.elapsed().as_secs_f64();
    let duration = frames as f64 * frame_us as f64 / 1e6;
    let mut summary = format!(
        "{frames} frames {width}x{height} in {seconds:.2} s ({:.1} fps), {bytes} bytes, {:.0} kbps",
        frames as f64 / seconds.max(1e-9),
        if duration > 0.0 { bytes as f64 * 8.0 / 1000.0 / duration } else { 0.0 }
    );
    if sessions[0].analyses() {
        summary.push_str(&format!(", {region_count} regions"));
    }
    if sessions[0].settings().roi_layer {
        summary.push_str(&format!(", {c_packets} C-packets of {c_bytes} bytes"));
    }
    if let Some(p) = published {
        summary.push_str(&format!(", published {} groups of {} objects", p.groups, p.objects));
        if rates.len() > 1 {
            summary.push_str(&format!(" on {} rendition tracks (-o holds the first)", rates.len()));
        }
    }
    if args.psnr && frames > 0 {
        summary.push_str(&format!(", PSNR-Y {:.2} dB (of the mean MSE)", psnr(mse_sum / frames as f64)));
    }
    eprintln!("{summary}");
    Ok(if interrupted {
        Outcome::Interrupted
    } else if truncated {
        Outcome::Damaged
    } else {
        Outcome::Ok
    })
}
