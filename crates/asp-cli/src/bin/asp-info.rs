//! asp-info: one line per packet of an ASP stream, and a summary.
//!
//! A `.asp` file is packets back to back. Damaged spans are reported with
//! their offset and reason, the reader resynchronises at the next valid
//! packet, and the exit status is 1 if anything was damaged. Standard
//! output must not be the input (`asp-info x.asp >> x.asp` would never end).

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use asp_cli::exit::{self, Outcome};
use asp_cli::output::{input_path, Guard};
use asp_core::packet::{flags, CaptureClock, Packet, PacketReader, Payload, ReadEvent};
use asp_core::schema::{ColorPalette, RoiRegion, SyncCommand};
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(name = "asp-info", version, about = "Inspect an ASP packet stream", after_help = exit::TABLE)]
struct Args {
    /// A .asp file, or - for standard input.
    input: PathBuf,
    /// Print one JSON object per line (events "packet", "damaged", then "summary").
    #[arg(long)]
    json: bool,
    /// Also print each frame's regions of interest and palette (side data),
    /// and the regions each C-packet refines.
    #[arg(long)]
    roi: bool,
}

#[derive(Default)]
struct Summary {
    counts: [u64; 4],
    packet_bytes: u64,
    /// Coded tile (or C-packet region) bytes: the packets less their framing.
    tile_bytes: u64,
    damaged_spans: u64,
    damaged_bytes: u64,
    stream: Option<(u32, u32, u32, u32)>,
    /// The stream facts' attribution (its first keyframe carries it).
    attribution: Option<String>,
    /// Resolves D-packets' capture-time deltas, in stream order.
    clock: CaptureClock,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => Outcome::Ok.code(),
        Ok(false) => Outcome::Damaged.code(),
        Err(e) => exit::report_error("asp-info", &e),
    }
}

/// Returns whether the stream was free of damage.
fn run(args: &Args) -> Result<bool> {
    let mut guard = Guard::new();
    guard.protect(&input_path(&args.input));
    guard.check(Path::new("/dev/stdout"))?;
    let mut input = asp_cli::input::open(&args.input)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut reader = PacketReader::new();
    let mut summary = Summary::default();
    let mut chunk = vec![0u8; 64 * 1024];
    if !args.json {
        let header = format!("{:>10}  type {:>10}  {:>6}  {:>8}  crc       details", "offset", "sequence", "flags", "payload");
        writeln!(out, "{header}").context("writing standard output")?;
    }
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            reader.finish();
        } else {
            reader.push(&chunk[..n]);
        }
        while let Some(event) = reader.next_event() {
            report(&mut out, &event, args.json, &mut summary).context("writing standard output")?;
            if args.roi {
                if let ReadEvent::Packet { packet, .. } = &event {
                    report_roi(&mut out, packet, args.json).context("writing standard output")?;
                }
            }
        }
        if n == 0 {
            break;
        }
    }
    print_summary(&mut out, &summary, args.json).context("writing standard output")?;
    out.flush().context("writing standard output")?;
    Ok(summary.damaged_spans == 0)
}

fn report(out: &mut impl Write, event: &ReadEvent<'_>, json: bool, summary: &mut Summary) -> Result<()> {
    match event {
        ReadEvent::Packet { offset, packet } => {
            summary.counts[packet.packet_type() as usize - 1] += 1;
            summary.packet_bytes += packet.len() as u64;
            summary.tile_bytes += tile_bytes(packet) as u64;
            let captured = summary.clock.observe(packet);
            if let Payload::I(i) = packet.payload() {
                if let Some(s) = i.stream() {
                    summary.stream = Some((u32::from(s.width()), u32::from(s.height()), s.fps_num(), s.fps_den()));
                    if let Some(text) = s.attribution() {
                        summary.attribution = Some(text.to_string());
                    }
                }
            }
            if json {
                let mut v = json!({
                    "event": "packet",
                    "offset": offset,
                    "type": packet.packet_type().letter().to_string(),
                    "sequence": packet.sequence(),
                    "flags": packet.flags(),
                    "payload_bytes": packet.payload_bytes().len(),
                    "packet_bytes": packet.len(),
                    "crc": format!("{:08x}", packet.crc()),
                    "crc_ok": true,
                });
                details_json(packet, captured, &mut v);
                writeln!(out, "{v}")?;
            } else {
                writeln!(
                    out,
                    "{offset:>10}  {}    {:>10}  0x{:04x}  {:>8}  {:08x}  {}",
                    packet.packet_type().letter(),
                    packet.sequence(),
                    packet.flags(),
                    packet.payload_bytes().len(),
                    packet.crc(),
                    details_text(packet, captured)
                )?;
            }
        }
        ReadEvent::Skipped { offset, len, error } => {
            // What was lost may have carried the base of the deltas after it.
            summary.clock.reset();
            summary.damaged_spans += 1;
            summary.damaged_bytes += len;
            if json {
                let v = json!({
                    "event": "damaged",
                    "offset": offset,
                    "len": len,
                    "error": error.kind(),
                    "message": error.to_string(),
                });
                writeln!(out, "{v}")?;
            } else {
                writeln!(out, "{offset:>10}  DAMAGED {len} bytes: {error} [{}]", error.kind())?;
            }
        }
    }
    Ok(())
}

/// A packet's regions and palette, if any.
fn side_data<'a>(packet: &Packet<'a>) -> (Vec<RoiRegion>, Option<ColorPalette<'a>>) {
    let (regions, palette) = match packet.payload() {
        Payload::I(p) => (p.regions(), p.palette()),
        Payload::D(p) => (p.regions(), p.palette()),
        Payload::C(p) => (p.regions(), None),
        Payload::S(_) => (None, None),
    };
    (regions.map_or_else(Vec::new, |r| r.iter().copied().collect()), palette)
}

fn report_roi(out: &mut impl Write, packet: &Packet<'_>, json: bool) -> Result<()> {
    let (regions, palette) = side_data(packet);
    if regions.is_empty() && palette.is_none() {
        return Ok(());
    }
    let kind = |r: &RoiRegion| r.roi_type().variant_name().unwrap_or("unknown").to_ascii_lowercase();
    let colors: Vec<[u8; 3]> = palette
        .and_then(|p| p.colors())
        .map_or_else(Vec::new, |c| c.iter().map(|c| [c.r(), c.g(), c.b()]).collect());
    let weights: Vec<f32> = palette.and_then(|p| p.weights()).map_or_else(Vec::new, |w| w.iter().collect());
    if json {
        let rows: Vec<Value> = regions
            .iter()
            .map(|r| {
                let b = r.bounds();
                json!({"x": b.x(), "y": b.y(), "width": b.width(), "height": b.height(),
                       "type": kind(r), "confidence": r.confidence(), "priority": r.priority()})
            })
            .collect();
        let mut v = json!({"event": "roi", "type": packet.packet_type().letter().to_string(),
                           "sequence": packet.sequence(), "regions": rows});
        if palette.is_some() {
            v["palette"] = json!({"colors": colors, "weights": weights});
        }
        writeln!(out, "{v}")?;
    } else {
        for r in &regions {
            let b = r.bounds();
            writeln!(
                out,
                "{:>12}{:<6} {:>5},{:<5} {:>5}x{:<5} confidence {:.2}, priority {}",
                "roi ",
                kind(r),
                b.x(),
                b.y(),
                b.width(),
                b.height(),
                r.confidence(),
                r.priority()
            )?;
        }
        if !colors.is_empty() {
            let list: Vec<String> = colors
                .iter()
                .enumerate()
                .map(|(i, c)| format!("#{:02x}{:02x}{:02x} {:.3}", c[0], c[1], c[2], weights.get(i).copied().unwrap_or(0.0)))
                .collect();
            writeln!(out, "{:>12}{}", "palette ", list.join(", "))?;
        }
    }
    Ok(())
}

fn details_text(packet: &Packet<'_>, captured: Option<u64>) -> String {
    let tiles = packet.tiles().len();
    let mut s = match packet.payload() {
        Payload::I(p) => {
            let (w, h, n, d) = p.stream().map_or((0, 0, 0, 1), |s| (s.width(), s.height(), s.fps_num(), s.fps_den()));
            let mut s = format!("{w}x{h} @ {n}/{d} fps, qp {}, tiles {tiles}", p.qp());
            // Quoted and escaped: the text comes from the stream.
            if let Some(text) = p.stream().and_then(|s| s.attribution()) {
                s.push_str(&format!(", attribution {text:?}"));
            }
            s
        }
        Payload::D(p) => {
            let mut s = format!(
                "ref {}, qp {}, tiles {tiles}, mvs {}",
                packet.ref_sequence().unwrap_or_default(),
                p.qp(),
                p.motion_vectors().map_or(0, |m| m.len())
            );
            if p.refresh_frames() != 0 {
                s.push_str(&format!(", refresh start ({} frames)", p.refresh_frames()));
            }
            s
        }
        Payload::C(p) => format!("ref {}, regions {}", p.ref_sequence(), p.regions().map_or(0, |r| r.len())),
        Payload::S(p) => sync_text(p.command(), p.sequence(), p.bitrate_kbps()),
    };
    if packet.flags() & flags::DISCARDABLE != 0 {
        s.push_str(", discardable");
    }
    if let Some(t) = captured {
        s.push_str(&format!(", captured {t} us"));
    }
    s
}

fn sync_text(command: SyncCommand, sequence: u32, bitrate_kbps: u32) -> String {
    let name = command.variant_name().unwrap_or("unknown");
    match command {
        SyncCommand::Ack | SyncCommand::Pong => format!("{name} {sequence}"),
        SyncCommand::BitrateAdjust => format!("{name} {bitrate_kbps} kbps"),
        _ => name.to_string(),
    }
}

/// The coded bytes of a packet's tiles (or regions): what is left when the
/// header, the FlatBuffers tables and the CRC are taken away.
fn tile_bytes(packet: &Packet<'_>) -> usize {
    packet.tiles().map(<[u8]>::len).sum()
}

fn details_json(packet: &Packet<'_>, captured: Option<u64>, v: &mut Value) {
    let obj = v.as_object_mut().expect("json! object");
    obj.insert("tiles".into(), json!(packet.tiles().len()));
    obj.insert("tile_bytes".into(), json!(tile_bytes(packet)));
    if let Some(t) = captured {
        obj.insert("capture_time_us".into(), json!(t));
    }
    match packet.payload() {
        Payload::I(p) => {
            if let Some(s) = p.stream() {
                obj.insert("width".into(), json!(s.width()));
                obj.insert("height".into(), json!(s.height()));
                obj.insert("fps".into(), json!([s.fps_num(), s.fps_den()]));
                if let Some(text) = s.attribution() {
                    obj.insert("attribution".into(), json!(text));
                }
            }
            obj.insert("qp".into(), json!(p.qp()));
        }
        Payload::D(p) => {
            obj.insert("ref_sequence".into(), json!(packet.ref_sequence()));
            obj.insert("qp".into(), json!(p.qp()));
            obj.insert("motion_vectors".into(), json!(p.motion_vectors().map_or(0, |m| m.len())));
            if p.refresh_frames() != 0 {
                obj.insert("refresh_frames".into(), json!(p.refresh_frames()));
            }
        }
        Payload::C(p) => {
            obj.insert("ref_sequence".into(), json!(p.ref_sequence()));
            obj.insert("regions".into(), json!(p.regions().map_or(0, |r| r.len())));
        }
        Payload::S(p) => {
            obj.insert("command".into(), json!(p.command().variant_name().unwrap_or("unknown")));
        }
    }
}

fn print_summary(out: &mut impl Write, s: &Summary, json: bool) -> Result<()> {
    let total: u64 = s.counts.iter().sum();
    if json {
        let v = json!({
            "event": "summary",
            "packets": total,
            "i": s.counts[0], "d": s.counts[1], "c": s.counts[2], "s": s.counts[3],
            "packet_bytes": s.packet_bytes,
            "tile_bytes": s.tile_bytes,
            "damaged_spans": s.damaged_spans,
            "damaged_bytes": s.damaged_bytes,
            "attribution": s.attribution,
        });
        writeln!(out, "{v}")?;
    } else {
        write!(
            out,
            "{total} packets (I {}, D {}, C {}, S {}), {} bytes",
            s.counts[0], s.counts[1], s.counts[2], s.counts[3], s.packet_bytes
        )?;
        if let Some((w, h, n, d)) = s.stream {
            write!(out, ", stream {w}x{h} @ {n}/{d} fps")?;
        }
        if let Some(text) = &s.attribution {
            write!(out, ", attribution {text:?}")?;
        }
        writeln!(out, "; {} damaged spans ({} bytes)", s.damaged_spans, s.damaged_bytes)?;
    }
    Ok(())
}
