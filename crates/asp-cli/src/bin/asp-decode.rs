//! asp-decode: an ASP packet stream in, y4m out.
//!
//! `asp-decode x.asp -o - | ffplay -`
//!
//! C-packets (ROI refinement) are applied to the frame they follow before it
//! is written; `--drop-c` ignores them and shows the base stream.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use asp_cli::y4m_io::Y4mWriter;
use asp_core::codec::decoder::Decoder;
use asp_core::codec::frame::Frame;
use asp_core::codec::refinement::apply_refinement;
use asp_core::packet::{PacketReader, PacketType, Payload, ReadEvent};
use asp_encoder::Rayon;
use clap::Parser;

#[derive(Parser)]
#[command(name = "asp-decode", version, about = "Decode an ASP packet stream to y4m")]
struct Args {
    /// A .asp file, or - for standard input.
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
}

/// The last decoded frame, held until the next packet shows whether a
/// C-packet refines it.
struct Pending {
    frame: Frame,
    sequence: u32,
}

impl Pending {
    fn flush(slot: &mut Option<Pending>, sink: &mut Option<Sink>) -> Result<()> {
        if let (Some(p), Some(sink)) = (slot.take(), sink.as_mut()) {
            sink.write(&p.frame)?;
        }
        Ok(())
    }
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

/// Returns whether the stream decoded without loss.
fn run(args: &Args) -> Result<bool> {
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global().context("starting threads")?;
    }
    let mut input = asp_cli::input::open(&args.input)?;
    let mut sink: Option<Sink> = None;
    let mut decoder = Decoder::new();
    let mut reader = PacketReader::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let (mut decoded, mut lost, mut damaged) = (0u64, 0u64, 0u64);
    let mut waiting_for_keyframe = false;
    let mut pending: Option<Pending> = None;
    let mut refined = 0u64;
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading packets"),
        };
        if n == 0 {
            reader.finish();
        } else {
            reader.push(&chunk[..n]);
        }
        while let Some(event) = reader.next_event() {
            let packet = match event {
                ReadEvent::Packet { packet, .. } => packet,
                ReadEvent::Skipped { offset, len, error } => {
                    damaged += 1;
                    if !args.keep_going {
                        bail!("damaged data at byte {offset} ({len} bytes): {error} (use --keep-going to skip it)");
                    }
                    eprintln!("asp-decode: skipped {len} damaged bytes at {offset}: {error}; waiting for a keyframe");
                    waiting_for_keyframe = true;
                    continue;
                }
            };
            // An intra-refresh start is a place to resume too.
            let refresh_start = matches!(packet.payload(), Payload::D(p) if p.refresh_frames() != 0);
            if waiting_for_keyframe && packet.packet_type() == PacketType::D && !refresh_start {
                lost += 1;
                continue;
            }
            if let Payload::C(c) = packet.payload() {
                if args.drop_c {
                    continue;
                }
                if let Some(p) = &mut pending {
                    // All or nothing: a damaged refinement leaves the base picture.
                    let mut copy = p.frame.clone();
                    match apply_refinement(&mut copy, p.sequence, &c) {
                        Ok(()) => {
                            p.frame = copy;
                            refined += 1;
                        }
                        Err(e) => eprintln!("asp-decode: C-packet {} not applied: {e}", packet.sequence()),
                    }
                }
                continue;
            }
            if packet.packet_type() != PacketType::S {
                Pending::flush(&mut pending, &mut sink)?;
            }
            let result = decoder.decode_with(&packet, &Rayon);
            match result {
                Ok(Some(frame)) => {
                    waiting_for_keyframe = false;
                    if sink.is_none() {
                        let stream = match packet.payload() {
                            Payload::I(p) => p.stream(),
                            Payload::D(p) => p.stream(),
                            _ => None,
                        };
                        let fps = stream.map_or((25, 1), |s| (s.fps_num().max(1), s.fps_den().max(1)));
                        sink = Some(open_sink(&args.output, frame.frame.width() as u32, frame.frame.height() as u32, fps)?);
                    }
                    pending = Some(Pending { frame: frame.frame.clone(), sequence: frame.sequence });
                    decoded += 1;
                }
                Ok(None) => {}
                Err(e) => {
                    if !args.keep_going {
                        bail!("packet {}: {e} (use --keep-going to skip it)", packet.sequence());
                    }
                    eprintln!("asp-decode: packet {} not decoded: {e}; waiting for a keyframe", packet.sequence());
                    lost += 1;
                    waiting_for_keyframe = true;
                }
            }
        }
        if n == 0 {
            break;
        }
    }
    Pending::flush(&mut pending, &mut sink)?;
    if sink.is_none() {
        bail!("no keyframe in the input: nothing to decode");
    }
    let refined = if refined > 0 { format!(", {refined} refined by C-packets") } else { String::new() };
    eprintln!("{decoded} frames decoded, {damaged} damaged spans, {lost} frames lost{refined}");
    Ok(damaged == 0 && lost == 0)
}

fn open_sink(path: &PathBuf, width: u32, height: u32, fps: (u32, u32)) -> Result<Sink> {
    let out: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(path).with_context(|| format!("cannot create {}", path.display()))?)
    };
    Y4mWriter::new(io::BufWriter::new(out), width, height, fps)
}
