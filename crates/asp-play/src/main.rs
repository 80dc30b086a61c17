//! asp-play: plays an ASP stream in a window, as ffplay does for other
//! formats. Input: a `.asp` file, `-` (standard input) or a live stream of
//! `asp-encode --serve`: `ws://HOST:PORT/asp/ws`, `wss://…`, or WebTransport
//! `https://HOST:PORT/asp/wt#sha256=HEX` as the server prints it. Keys:
//! space pause, f fullscreen, q or Esc quit. The title shows the size,
//! frames drawn a second, latency (live) and the transport.
//!
//! Each picture is drawn as soon as it is decoded (files and pipes at the
//! stream's frame rate), by asp-render on wgpu's Vulkan backend.

mod app;
mod decode;
mod input;
mod stats;

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use asp_core::Settings;
use clap::Parser;
use winit::event_loop::EventLoop;

use app::App;
use decode::{Controls, Mailbox, Wake};
use input::Input;

/// Play an ASP stream in a window.
#[derive(Parser, Debug)]
#[command(name = "asp-play", version)]
struct Args {
    /// A .asp file, - for standard input, ws://HOST:PORT/asp/ws (wss:// too), or
    /// https://HOST:PORT/asp/wt#sha256=HEX (WebTransport, as asp-encode --serve prints it).
    input: String,
    /// Trust this CA (PEM) for wss:// and https:// instead of the system's roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<std::path::PathBuf>,
    /// Exit when the stream ends (after its last picture), as ffplay's -autoexit.
    #[arg(long, alias = "autoexit")]
    exit_at_end: bool,
    /// Start fullscreen (f toggles).
    #[arg(long)]
    fullscreen: bool,
    /// Show files and pipes as fast as they decode, not at the stream's frame rate.
    #[arg(long)]
    no_pacing: bool,
    /// Ignore C-packets: show the base stream.
    #[arg(long)]
    drop_c: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match play(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("asp-play: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn play(args: &Args) -> anyhow::Result<()> {
    let input = Input::parse(&args.input)?;
    let source = input.open(args.ca.as_deref())?;
    let event_loop = EventLoop::<Wake>::with_user_event().build()?;
    let proxy = event_loop.create_proxy();
    let mailbox = Arc::new(Mailbox::default());
    let (paused, quit) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let settings = Settings {
        drop_c: args.drop_c,
        ..Settings::default()
    };
    let paced = input.paced() && !args.no_pacing;
    let decoder = {
        let mailbox = Arc::clone(&mailbox);
        let controls = Controls {
            paused: Arc::clone(&paused),
            quit: Arc::clone(&quit),
        };
        std::thread::Builder::new()
            .name("asp-play decode".into())
            .spawn(move || {
                // A closed event loop (the window quit) makes sends fail: nothing to tell then.
                let wake = |event| drop(proxy.send_event(event));
                decode::run(source, settings, paced, &mailbox, &controls, &wake);
            })?
    };
    let name = match &input {
        Input::File(path) => path
            .file_name()
            .map_or_else(|| args.input.clone(), |n| n.to_string_lossy().into_owned()),
        _ => args.input.clone(),
    };
    let mut app = App::new(
        name,
        input.transport(),
        args.exit_at_end,
        args.fullscreen,
        mailbox,
        Controls { paused, quit },
    );
    event_loop.run_app(&mut app)?;
    let outcome = app.outcome;
    if let Some(stats) = outcome.stats {
        // A paced decoder is waiting, not reading: it sees `quit` and returns.
        let _ = decoder.join();
        eprintln!(
            "asp-play: end of stream: {} decoded, {} drawn, {} dropped, {} refined, {} errors",
            stats.decoded, outcome.drawn, stats.dropped, stats.refined, stats.errors
        );
    }
    match outcome.error {
        Some(e) => Err(anyhow::anyhow!(e)),
        None => Ok(()),
    }
}
