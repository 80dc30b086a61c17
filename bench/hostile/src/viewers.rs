//! The healthy audience: WebSocket viewers that read every packet, spread
//! over loopback addresses (127.0.1.x) as real viewers are spread over
//! hosts, each reconnecting at once if it is ever cut off; and the newcomer
//! that tries to join during an attack.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asp_hostile_tests::{next, tcp_from, websocket_on, Got};

/// Healthy viewers per source address (under the server's per-address cap).
const VIEWERS_PER_ADDRESS: usize = 10;

/// What one viewer saw since the window opened.
struct Window {
    frames: u64,
    first_sequence: Option<u32>,
    last_sequence: Option<u32>,
    worst_gap: Duration,
    last_frame_at: Instant,
    reconnects: u32,
}

impl Window {
    fn new() -> Window {
        Window {
            frames: 0,
            first_sequence: None,
            last_sequence: None,
            worst_gap: Duration::ZERO,
            last_frame_at: Instant::now(),
            reconnects: 0,
        }
    }

    fn frame(&mut self, sequence: u32) {
        let now = Instant::now();
        self.worst_gap = self.worst_gap.max(now - self.last_frame_at);
        self.last_frame_at = now;
        self.frames += 1;
        self.first_sequence.get_or_insert(sequence);
        self.last_sequence = Some(sequence);
    }
}

/// What the audience as a whole saw in a window.
#[derive(Clone, Copy, Debug)]
pub struct Delivery {
    /// Frames received over frames published in the window, times viewers.
    pub delivered_percent: f64,
    /// The longest any viewer waited between two frames (or since its last
    /// frame, at the window's end).
    pub worst_gap: Duration,
    /// Times a healthy viewer was cut off and had to connect again.
    pub reconnects: u32,
}

pub struct Audience {
    windows: Vec<Arc<Mutex<Window>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Audience {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn lock(window: &Mutex<Window>) -> std::sync::MutexGuard<'_, Window> {
    window.lock().unwrap_or_else(|p| p.into_inner())
}

impl Audience {
    /// `count` viewers of `server`, each watching (and reconnecting) until
    /// the audience is dropped. Returns once every one has had a frame.
    pub async fn start(server: SocketAddr, count: usize) -> anyhow::Result<Audience> {
        let mut audience = Audience { windows: Vec::new(), tasks: Vec::new() };
        for i in 0..count {
            let host = u8::try_from(1 + i / VIEWERS_PER_ADDRESS)?;
            let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, host));
            let window = Arc::new(Mutex::new(Window::new()));
            audience.windows.push(Arc::clone(&window));
            audience.tasks.push(tokio::spawn(watch(from, server, window)));
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while audience.windows.iter().any(|w| lock(w).frames == 0) {
            if Instant::now() > deadline {
                anyhow::bail!("the healthy viewers did not all get a frame within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(audience)
    }

    /// Starts a new measuring window.
    pub fn open_window(&self) {
        for window in &self.windows {
            *lock(window) = Window::new();
        }
    }

    /// What was delivered since [`Audience::open_window`].
    pub fn delivery(&self) -> Delivery {
        let now = Instant::now();
        let (mut frames, mut first, mut last) = (0u64, u32::MAX, 0u32);
        let (mut worst_gap, mut reconnects) = (Duration::ZERO, 0);
        for window in &self.windows {
            let w = lock(window);
            frames += w.frames;
            if let (Some(a), Some(b)) = (w.first_sequence, w.last_sequence) {
                first = first.min(a);
                last = last.max(b);
            }
            worst_gap = worst_gap.max(w.worst_gap).max(now - w.last_frame_at);
            reconnects += w.reconnects;
        }
        let published = if last >= first { u64::from(last - first) + 1 } else { 0 };
        let expected = published * self.windows.len() as u64;
        let delivered_percent = if expected == 0 { 0.0 } else { 100.0 * frames as f64 / expected as f64 };
        Delivery { delivered_percent, worst_gap, reconnects }
    }
}

/// One healthy viewer: reads every packet; connects again when cut off.
async fn watch(from: IpAddr, server: SocketAddr, window: Arc<Mutex<Window>>) {
    loop {
        if let Ok(tcp) = tcp_from(from, server).await {
            if let Ok(mut ws) = websocket_on(tcp, server, &[]).await {
                loop {
                    match next(&mut ws, Duration::from_secs(5)).await {
                        Some(Got::Frame(sequence)) => lock(&window).frame(sequence),
                        Some(Got::Notice) => {}
                        Some(Got::Closed(_)) | None => break,
                    }
                }
            }
        }
        lock(&window).reconnects += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether a new viewer from `from` gets its first frame within `limit`,
/// and how long it took.
pub async fn newcomer_joins(from: IpAddr, server: SocketAddr, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let attempt = async {
        let tcp = tcp_from(from, server).await.ok()?;
        let mut ws = websocket_on(tcp, server, &[]).await.ok()?;
        loop {
            match next(&mut ws, limit).await? {
                Got::Frame(_) => return Some(started.elapsed()),
                Got::Notice => {}
                Got::Closed(_) => return None,
            }
        }
    };
    tokio::time::timeout(limit, attempt).await.ok().flatten()
}
