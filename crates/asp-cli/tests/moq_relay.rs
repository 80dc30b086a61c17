//! Media over QUIC through a real relay cluster: `tools/moq/relay.sh` starts
//! an origin and an edge `moq-relay` (test CA), `asp-encode --publish`
//! publishes a short testsrc stream to the origin, two `asp-decode
//! moq+https://` subscribe at the edge: one before the stream starts, one
//! late. Each one's frames must be exactly the file's decode from a keyframe
//! on (a group boundary), to the end. Also: one signal stops a waiting
//! subscriber, a slow subscriber loses whole groups only, and a standby
//! encoder takes over a killed publisher's broadcast.
//!
//! Needs `moq-relay` (tools/setup.sh moq). Without it the test says so
//! loudly and passes, unless CI is set: there it fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use asp_core::{Header, Limits, PacketType};

const KEYINT: usize = 15;
const FRAMES: usize = 75;

/// The relay binary: on PATH or where `cargo install` puts it.
fn moq_relay() -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain(cargo_bin).map(|dir| dir.join("moq-relay")).find(|p| p.is_file())
}

/// A port free on loopback for both UDP (QUIC) and TCP (the relay's HTTP).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The running cluster; stopping the script stops the relays (its trap).
struct Cluster {
    script: Child,
    /// The test's directory: the relays' TLS, configs and logs, and the
    /// test's own files.
    dir: PathBuf,
    origin: String,
    origin_port: u16,
    edge: String,
    ca: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.script.id().to_string()).status();
        let _ = self.script.wait();
    }
}

fn start_cluster(relay: &Path, dir: &Path) -> Cluster {
    let (origin_port, edge_port) = (free_port(), free_port());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/moq/relay.sh");
    let path = std::env::join_paths(
        std::iter::once(relay.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let mut child = Command::new("bash")
        .arg(script)
        .arg(dir)
        .arg(origin_port.to_string())
        .arg(edge_port.to_string())
        .env("PATH", path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("tools/moq/relay.sh runs");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let cluster = Cluster {
        script: child,
        dir: dir.to_path_buf(),
        origin: format!("https://localhost:{origin_port}"),
        origin_port,
        edge: format!("moq+https://localhost:{edge_port}"),
        ca: dir.join("tls/ca.pem"),
    };
    let line = rx.recv_timeout(Duration::from_secs(30)).expect("relay.sh reports the cluster ready");
    assert!(line.starts_with("relay.sh: ready"), "relay.sh: {line}");
    cluster
}

/// Waits until the origin relay lists broadcast `name` (moq-relay's HTTP
/// `/announced`): the publisher is connected and encoding from then on.
fn wait_announced(cluster: &Cluster, name: &str, limit: Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if let Ok(mut http) = TcpStream::connect(("127.0.0.1", cluster.origin_port)) {
            let mut reply = String::new();
            let asked = http.write_all(b"GET /announced HTTP/1.0\r\nHost: localhost\r\n\r\n");
            if asked.is_ok() && http.read_to_string(&mut reply).is_ok() {
                let body = reply.split_once("\r\n\r\n").map_or("", |(_, body)| body);
                if body.lines().any(|line| line.trim().trim_start_matches('/') == name) {
                    return;
                }
            }
        }
        thread::sleep(Duration::from_millis(50));
    }
    panic!("the origin did not list broadcast {name} within {limit:?}");
}

fn subscribe(cluster: &Cluster, name: &str, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_asp-decode"))
        .arg(format!("{}/{name}", cluster.edge))
        .arg("-o")
        .arg(out)
        .arg("--tls-ca")
        .arg(&cluster.ca)
        .args(["--threads", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("asp-decode runs")
}

/// `asp-encode --publish` of a paced testsrc (128x96, 30 fps) to the
/// origin as broadcast `name`, the same packets written to `out`.
fn publish(cluster: &Cluster, name: &str, out: &Path, frames: usize, stderr: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--size", "128x96", "--fps", "30", "--qp", "30", "--threads", "1"])
        .args(["--frames", &frames.to_string(), "--keyint", &KEYINT.to_string()])
        .arg("-o")
        .arg(out)
        .arg("--publish")
        .arg(format!("{}/{name}", cluster.origin))
        .arg("--tls-ca")
        .arg(&cluster.ca)
        .stderr(stderr)
        .spawn()
        .expect("asp-encode runs")
}

/// Waits for `child` at most `limit`, killing it past that.
fn finish(child: Child, limit: Duration, what: &str) -> Output {
    let id = child.id();
    let (tx, rx) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || {
        if rx.recv_timeout(limit).is_err() {
            let _ = Command::new("kill").arg("-KILL").arg(id.to_string()).status();
        }
    });
    let output = child.wait_with_output().expect("wait");
    let _ = tx.send(());
    watchdog.join().unwrap();
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// The frames of a y4m file (4:2:0), each frame's samples.
fn y4m_frames(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let header_end = bytes.iter().position(|&b| b == b'\n').expect("y4m header");
    let header = std::str::from_utf8(&bytes[..header_end]).unwrap();
    let field = |tag: char| -> usize {
        header.split(' ').find_map(|f| f.strip_prefix(tag)).and_then(|v| v.parse().ok()).expect("W and H")
    };
    let (w, h) = (field('W'), field('H'));
    let frame_len = w * h + 2 * w.div_ceil(2) * h.div_ceil(2);
    let mut frames = Vec::new();
    let mut at = header_end + 1;
    while at < bytes.len() {
        let line_end = at + bytes[at..].iter().position(|&b| b == b'\n').expect("FRAME line");
        assert!(bytes[at..line_end].starts_with(b"FRAME"));
        frames.push(bytes[line_end + 1..line_end + 1 + frame_len].to_vec());
        at = line_end + 1 + frame_len;
    }
    frames
}

/// Indices (in display order) of the frames that are keyframes in an .asp file.
fn keyframe_indices(path: &Path) -> Vec<usize> {
    let bytes = std::fs::read(path).unwrap();
    let (mut at, mut frame, mut keys) = (0, 0, Vec::new());
    while at < bytes.len() {
        let header = Header::decode(&bytes[at..], &Limits::DEFAULT).expect("a packet");
        match header.packet_type {
            PacketType::I => {
                keys.push(frame);
                frame += 1;
            }
            PacketType::D => frame += 1,
            _ => {}
        }
        at += header.packet_len();
    }
    keys
}

/// Where `got` starts in `all`, asserting it is all of `all` from a keyframe on.
fn joined_at(got: &[Vec<u8>], all: &[Vec<u8>], keys: &[usize], who: &str) -> usize {
    assert!(!got.is_empty(), "{who} decoded nothing");
    let start = all.len().checked_sub(got.len()).unwrap_or_else(|| panic!("{who} has more frames than the file"));
    assert!(keys.contains(&start), "{who} starts at frame {start}, not a keyframe ({keys:?})");
    for (i, (a, b)) in got.iter().zip(&all[start..]).enumerate() {
        assert!(a == b, "{who}: frame {} differs from the file's decode", start + i);
    }
    start
}

/// The relay, or `None` after saying loudly that the test is skipped
/// (never under CI).
fn relay_or_skip() -> Option<PathBuf> {
    let relay = moq_relay();
    if relay.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        assert!(!ci, "moq-relay is not installed (tools/setup.sh moq) and CI is set: the relay test must run");
        eprintln!("\n!!!!!!!! SKIPPED moq_relay: moq-relay is not installed; run tools/setup.sh moq !!!!!!!!\n");
    }
    relay
}

/// A cluster for test `test` in a fresh directory of its own, or `None`
/// when moq-relay is missing (see [`relay_or_skip`]).
fn cluster_for(test: &str) -> Option<Cluster> {
    let relay = relay_or_skip()?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moq-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    Some(start_cluster(&relay, &dir))
}

impl Cluster {
    /// Stops the relays and removes the directory: at the end of a test
    /// that passed (a failed one leaves its logs).
    fn clean_up(self) {
        let dir = self.dir.clone();
        drop(self);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The frames of asp-decode of `asp`, written to `y4m`.
fn reference_frames(asp: &Path, y4m: &Path) -> Vec<Vec<u8>> {
    let decoded = Command::new(env!("CARGO_BIN_EXE_asp-decode")).arg(asp).arg("-o").arg(y4m).output().unwrap();
    assert!(decoded.status.success(), "{}", String::from_utf8_lossy(&decoded.stderr));
    y4m_frames(y4m)
}

/// Sends SIGINT to `child`.
fn interrupt(child: &Child) {
    let sent = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().expect("kill runs");
    assert!(sent.success());
}

/// Waits for `child` at most `limit`; `None` (after killing it) past that.
fn exit_within(mut child: Child, limit: Duration) -> Option<Output> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().expect("wait").is_some() {
            return Some(child.wait_with_output().expect("wait"));
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn publish_to_origin_play_at_edge_bit_exact() {
    let Some(cluster) = cluster_for("relay") else { return };
    let dir = cluster.dir.clone();
    let name = "asp-test";

    // The early subscriber waits at the edge for the broadcast to appear.
    let early = subscribe(&cluster, name, &dir.join("early.y4m"));
    thread::sleep(Duration::from_millis(300));
    let asp = dir.join("published.asp");
    let publisher = publish(&cluster, name, &asp, FRAMES, Stdio::piped());
    // Paced at 30 fps: 2.5 s of stream from the announcement on (however
    // long the publisher took to start). Join about a second in.
    wait_announced(&cluster, name, Duration::from_secs(20));
    thread::sleep(Duration::from_millis(1000));
    let late = subscribe(&cluster, name, &dir.join("late.y4m"));

    let published = finish(publisher, Duration::from_secs(30), "asp-encode --publish");
    let early = finish(early, Duration::from_secs(30), "early asp-decode");
    let late = finish(late, Duration::from_secs(30), "late asp-decode");
    eprintln!("{}", String::from_utf8_lossy(&published.stderr));

    let all = reference_frames(&asp, &dir.join("reference.y4m"));
    assert_eq!(all.len(), FRAMES);
    let keys = keyframe_indices(&asp);

    let early_start = joined_at(&y4m_frames(&dir.join("early.y4m")), &all, &keys, "early subscriber");
    let late_start = joined_at(&y4m_frames(&dir.join("late.y4m")), &all, &keys, "late subscriber");
    eprintln!(
        "early subscriber joined at frame {early_start} ({}), late at {late_start} ({})",
        String::from_utf8_lossy(&early.stderr).trim(),
        String::from_utf8_lossy(&late.stderr).trim()
    );
    assert!(late_start >= KEYINT, "the late subscriber started at {late_start}, not at a later group");
    assert!(early_start < late_start, "the early subscriber ({early_start}) should have more of the stream");
    cluster.clean_up();
}

/// One SIGINT stops an `asp-decode moq+https://` that is waiting for the
/// relay: for a broadcast nobody publishes yet (nothing written), and in the
/// middle of a stream whose publisher vanished (the frames so far kept).
#[test]
fn one_signal_stops_a_subscriber_waiting_for_data() {
    let Some(cluster) = cluster_for("signal") else { return };
    let dir = cluster.dir.clone();

    let waiting = subscribe(&cluster, "nobody", &dir.join("nobody.y4m"));
    thread::sleep(Duration::from_millis(1000));
    interrupt(&waiting);
    let out = exit_within(waiting, Duration::from_secs(10)).expect("one SIGINT ends a wait for the broadcast");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted before the first frame"), "{stderr}");
    assert!(!dir.join("nobody.y4m").exists(), "nothing written");

    // A publisher that vanishes mid-stream (SIGKILL: no end is published):
    // the subscriber waits for it to come back until one signal.
    let name = "vanishing";
    let stream = subscribe(&cluster, name, &dir.join("vanishing.y4m"));
    thread::sleep(Duration::from_millis(300));
    let mut publisher = publish(&cluster, name, &dir.join("vanishing.asp"), 3000, Stdio::null());
    wait_announced(&cluster, name, Duration::from_secs(20));
    thread::sleep(Duration::from_millis(1500));
    publisher.kill().unwrap();
    publisher.wait().unwrap();
    thread::sleep(Duration::from_millis(1000));
    interrupt(&stream);
    let out = exit_within(stream, Duration::from_secs(10)).expect("one SIGINT ends a wait for data");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(!y4m_frames(&dir.join("vanishing.y4m")).is_empty(), "the frames before the signal are kept: {stderr}");
    cluster.clean_up();
}

/// The objects `asp-encode --publish` sent for an .asp file, by group: a
/// group per keyframe run, an object per packet but the S-packets, as
/// asp-moq's publisher maps them. (Group ids come from the publisher's
/// clock: a received group is matched to its published one by its keyframe.)
fn published_groups(path: &Path) -> Vec<Vec<Vec<u8>>> {
    let bytes = std::fs::read(path).unwrap();
    let mut groups: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let header = Header::decode(&bytes[at..], &Limits::DEFAULT).expect("a packet");
        let packet = bytes[at..at + header.packet_len()].to_vec();
        at += header.packet_len();
        match header.packet_type {
            PacketType::I => groups.push(vec![packet]),
            PacketType::S => {}
            _ => {
                if let Some(objects) = groups.last_mut() {
                    objects.push(packet);
                }
            }
        }
    }
    groups
}

/// The published group whose keyframe is `first`.
fn group_of(groups: &[Vec<Vec<u8>>], first: &[u8]) -> usize {
    groups.iter().position(|objects| objects[0] == first).expect("a published group's keyframe")
}

/// A native subscriber at `url` that sleeps `pause` after each object it
/// reads: every object it got, until the publisher ends the track, and
/// the catalog it read.
fn subscriber_thread(url: String, ca: PathBuf, pause: Duration) -> mpsc::Receiver<(Vec<asp_moq::Object>, asp_moq::Catalog)> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let url = asp_moq::RelayUrl::parse(&url).unwrap();
        let options = asp_moq::ClientOptions { tls_ca: vec![ca] };
        let mut subscriber = runtime.block_on(asp_moq::Subscriber::connect(&url, &options)).expect("subscribed");
        let mut objects = Vec::new();
        while let Some(object) = runtime.block_on(subscriber.next()).expect("the subscription") {
            objects.push(object);
            // Outside the runtime: its worker keeps the connection going
            // (and the relay keeps sending) while this reader sleeps.
            thread::sleep(pause);
        }
        let catalog = subscriber.catalog().clone();
        runtime.block_on(subscriber.close());
        let _ = tx.send((objects, catalog));
    });
    rx
}

/// A subscriber that reads slower than the stream comes loses whole
/// keyframe runs (the relays drop the groups it fell behind on), never a
/// frame inside the runs it gets: each starts at its keyframe and has no
/// gap. A healthy subscriber on the same edge meanwhile gets every object.
#[test]
fn a_slow_subscriber_loses_whole_groups_and_nobody_else_notices() {
    let Some(cluster) = cluster_for("slow") else { return };
    let dir = cluster.dir.clone();
    let name = "slow";
    let url = format!("{}/{name}", cluster.edge);
    let healthy = subscriber_thread(url.clone(), cluster.ca.clone(), Duration::ZERO);
    // A quarter of a second per object against a thirtieth per frame: it
    // falls behind by a keyframe run (half a second) every few objects.
    let slow = subscriber_thread(url, cluster.ca.clone(), Duration::from_millis(250));
    thread::sleep(Duration::from_millis(500));
    let asp = dir.join("published.asp");
    let publisher = publish(&cluster, name, &asp, 240, Stdio::piped());
    finish(publisher, Duration::from_secs(60), "asp-encode --publish");
    let (healthy, _) = healthy.recv_timeout(Duration::from_secs(60)).expect("the healthy subscriber ends with the track");
    let (slow, _) = slow.recv_timeout(Duration::from_secs(60)).expect("the slow subscriber ends with the track");
    let groups = published_groups(&asp);

    // Healthy: every object from the group it joined at to the end, each
    // group's objects under one id, the ids increasing.
    assert_eq!(healthy[0].index, 0, "the healthy subscriber starts at a keyframe");
    let first = group_of(&groups, &healthy[0].bytes);
    let want: Vec<&[u8]> = groups[first..].iter().flatten().map(|o| o.as_slice()).collect();
    let got: Vec<&[u8]> = healthy.iter().map(|o| &o.bytes[..]).collect();
    assert_eq!(got.len(), want.len(), "the healthy subscriber got every object from group {first}");
    assert!(got == want, "the healthy subscriber's objects are the published ones, in order");
    let mut at = 0;
    let mut last_id = None;
    for objects in &groups[first..] {
        let run = &healthy[at..at + objects.len()];
        assert!(run.iter().enumerate().all(|(i, o)| o.group == run[0].group && o.index == i as u64));
        assert!(last_id < Some(run[0].group), "group ids increase");
        last_id = Some(run[0].group);
        at += objects.len();
    }

    // Slow: whole runs from their keyframe, no gap inside, some runs skipped.
    let mut runs: Vec<(u64, Vec<&asp_moq::Object>)> = Vec::new();
    for object in &slow {
        match runs.last_mut() {
            Some((id, objects)) if *id == object.group => objects.push(object),
            _ => runs.push((object.group, vec![object])),
        }
    }
    let mut published_at = Vec::new();
    for (id, objects) in &runs {
        assert_eq!(objects[0].index, 0, "group {id}: a run starts at its keyframe");
        published_at.push(group_of(&groups, &objects[0].bytes));
        let published = &groups[*published_at.last().unwrap()];
        for (i, object) in objects.iter().enumerate() {
            assert_eq!(object.index, i as u64, "group {id}: object {i} is the run's {i}th, no gap");
            assert!(object.bytes[..] == published[i][..], "group {id} object {i}: the published bytes");
        }
    }
    let ids: Vec<u64> = runs.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "each run comes once, in order: {ids:?}");
    assert!(published_at.windows(2).all(|w| w[0] < w[1]), "runs in publishing order: {published_at:?}");
    let skipped = groups.len() - published_at[0] - ids.len();
    eprintln!(
        "slow subscriber: {} objects in {} runs ({ids:?}), {skipped} runs skipped; healthy: {} objects in {} runs",
        slow.len(),
        ids.len(),
        healthy.len(),
        groups.len() - first
    );
    assert!(skipped > 0, "the slow subscriber fell behind and lost whole runs ({ids:?})");
    assert!(ids.len() >= 2, "the slow subscriber kept getting runs ({ids:?})");
    cluster.clean_up();
}

/// Killing the publisher (SIGKILL: no close, the origin learns of it only
/// by QUIC's idle timeout, which asp-moq shortens to 3 s) and starting a
/// standby encoder on the same broadcast name resumes the stream for an
/// `asp-decode moq+https://` at the edge: what it writes is the first
/// encoder's frames from a keyframe on, then the standby's from a keyframe
/// to its end (both encode the same testsrc, so both are frames of one
/// reference decode), and it ends with the standby's end.
#[test]
fn a_standby_publisher_takes_over_the_broadcast() {
    let Some(cluster) = cluster_for("standby") else { return };
    let dir = cluster.dir.clone();
    let name = "standby";
    let out = dir.join("standby.y4m");
    let stream = subscribe(&cluster, name, &out);
    thread::sleep(Duration::from_millis(300));

    let mut first = publish(&cluster, name, &dir.join("first.asp"), 3000, Stdio::null());
    wait_announced(&cluster, name, Duration::from_secs(20));
    thread::sleep(Duration::from_millis(1500));
    first.kill().unwrap();
    first.wait().unwrap();
    // Five seconds of stream: the origin drops the dead route after 3 s.
    let standby_asp = dir.join("standby.asp");
    let standby = publish(&cluster, name, &standby_asp, 150, Stdio::piped());
    finish(standby, Duration::from_secs(60), "the standby asp-encode --publish");
    let stream = finish(stream, Duration::from_secs(30), "asp-decode at the edge");

    let all = reference_frames(&standby_asp, &dir.join("reference.y4m"));
    let keys = keyframe_indices(&standby_asp);
    let got = y4m_frames(&out);
    // The standby's part: the longest tail of what was written that is the
    // reference's tail (testsrc moves every frame, so it cannot run on into
    // the first encoder's part).
    let tail = (1..=got.len().min(all.len())).rev().find(|&n| got[got.len() - n..] == all[all.len() - n..]).unwrap_or(0);
    assert!(tail > 0, "the subscriber wrote none of the standby's frames ({} frames)", got.len());
    let resumed_at = all.len() - tail;
    assert!(keys.contains(&resumed_at), "the standby's part starts at frame {resumed_at}, not a keyframe ({keys:?})");
    // The first encoder's part: frames of the reference from a keyframe on.
    let before = &got[..got.len() - tail];
    assert!(!before.is_empty(), "the subscriber wrote nothing of the first encoder");
    let joined = keys
        .iter()
        .find(|&&k| all.get(k..k + before.len()).is_some_and(|run| run == before))
        .unwrap_or_else(|| panic!("the first encoder's {} frames are not a run of the reference from a keyframe", before.len()));
    eprintln!(
        "first encoder: frames {joined}..{} ; standby from frame {resumed_at} to its end ({tail} frames); {}",
        joined + before.len(),
        String::from_utf8_lossy(&stream.stderr).trim()
    );
    cluster.clean_up();
}

/// `asp-encode --publish` to a relay that never answers fails, after
/// writing its `-o` file, rather than reporting groups nobody received.
#[test]
fn publishing_to_no_relay_is_an_error() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moq-norelay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("unpublished.asp");
    let encoded = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--size", "64x64", "--fps", "30", "--frames", "3", "--threads", "1"])
        .arg("-o")
        .arg(&out)
        .arg("--publish")
        .arg(format!("https://127.0.0.1:{}/nobody", free_port()))
        .output()
        .expect("asp-encode runs");
    let stderr = String::from_utf8_lossy(&encoded.stderr);
    assert!(!encoded.status.success(), "{stderr}");
    assert!(stderr.contains("nothing was published"), "{stderr}");
    assert!(!stderr.contains("published 1 groups"), "{stderr}");
    assert!(out.is_file(), "the file is still written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The renditions of [`renditions_are_aligned_tracks_each_bit_exact`]:
/// bitrates for a 128x96 testsrc, far enough apart that the lower is
/// clearly smaller.
const RENDITIONS: [&str; 2] = ["300k", "60k"];

/// `asp-encode testsrc` (128x96, 30 fps) with `rate_flags` (`--rendition`s
/// or a `--bitrate`) and the settings every encode of this test shares,
/// written to `out`, published to the origin as `name` if given.
fn encode_at(
    cluster: &Cluster,
    rate_flags: &[&str],
    out: &Path,
    name: Option<&str>,
    frames: usize,
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_asp-encode"));
    command
        .args([
            "testsrc",
            "--size",
            "128x96",
            "--fps",
            "30",
            "--threads",
            "1",
        ])
        .args([
            "--frames",
            &frames.to_string(),
            "--keyint",
            &KEYINT.to_string(),
        ])
        .args(rate_flags)
        .arg("-o")
        .arg(out)
        .stderr(Stdio::piped());
    if let Some(name) = name {
        command
            .arg("--publish")
            .arg(format!("{}/{name}", cluster.origin))
            .arg("--tls-ca")
            .arg(&cluster.ca);
    }
    command.spawn().expect("asp-encode runs")
}

/// The group ids a subscriber got, each with the index (in `groups`, the
/// published file's keyframe runs) of the run it carries.
fn group_runs(
    objects: &[asp_moq::Object],
    groups: &[Vec<Vec<u8>>],
    who: &str,
) -> Vec<(u64, usize)> {
    let mut runs = Vec::new();
    let mut at = 0;
    while at < objects.len() {
        let first = &objects[at];
        assert_eq!(first.index, 0, "{who}: a run starts at its keyframe");
        let run = group_of(groups, &first.bytes);
        for (i, want) in groups[run].iter().enumerate() {
            let got = objects
                .get(at + i)
                .unwrap_or_else(|| panic!("{who}: run {run} cut short"));
            assert_eq!(
                (got.group, got.index),
                (first.group, i as u64),
                "{who}: run {run} object {i}"
            );
            assert!(
                got.bytes[..] == want[..],
                "{who}: run {run} object {i} is the reference encode's packet"
            );
        }
        runs.push((first.group, run));
        at += groups[run].len();
    }
    runs
}

/// `asp-encode --publish --rendition 300k --rendition 60k`: the catalog
/// lists both tracks (`video`, the highest, and `video-60k`); each track
/// carries exactly what a plain `--bitrate` encode at its rate makes (so
/// `asp-decode moq+https://…?track=video-60k` is bit-exact against the
/// decode of that file, and `-o` is the first rendition's); the keyframes
/// of both fall on the same frames and their groups have the same ids; the
/// lower rendition is smaller.
#[test]
fn renditions_are_aligned_tracks_each_bit_exact() {
    let Some(cluster) = cluster_for("renditions") else {
        return;
    };
    let dir = cluster.dir.clone();
    let name = "renditions";
    let frames = 90;

    // The references: one plain encode per rate, the same settings.
    let reference = |rate: &str| {
        let asp = dir.join(format!("reference-{rate}.asp"));
        let encode = encode_at(&cluster, &["--bitrate", rate], &asp, None, frames);
        finish(encode, Duration::from_secs(60), "the reference asp-encode");
        asp
    };
    let (high_asp, low_asp) = (reference(RENDITIONS[0]), reference(RENDITIONS[1]));

    let url = format!("{}/{name}", cluster.edge);
    let high = subscriber_thread(url.clone(), cluster.ca.clone(), Duration::ZERO);
    let low = subscriber_thread(
        format!("{url}?track=video-60k"),
        cluster.ca.clone(),
        Duration::ZERO,
    );
    let low_decode = subscribe(
        &cluster,
        &format!("{name}?track=video-60k"),
        &dir.join("low.y4m"),
    );
    thread::sleep(Duration::from_millis(500));
    let published = dir.join("published.asp");
    let flags = ["--rendition", RENDITIONS[1], "--rendition", RENDITIONS[0]];
    let publisher = encode_at(&cluster, &flags, &published, Some(name), frames);
    let publisher = finish(
        publisher,
        Duration::from_secs(60),
        "asp-encode --publish --rendition",
    );
    let (high, high_catalog) = high
        .recv_timeout(Duration::from_secs(60))
        .expect("the video track ends");
    let (low, low_catalog) = low
        .recv_timeout(Duration::from_secs(60))
        .expect("the video-60k track ends");
    let low_decode = finish(
        low_decode,
        Duration::from_secs(30),
        "asp-decode ?track=video-60k",
    );
    let summary = String::from_utf8_lossy(&publisher.stderr);
    eprintln!("{summary}");
    assert!(summary.contains("on 2 rendition tracks"), "{summary}");

    // The catalog, as both subscribers read it.
    assert_eq!(high_catalog, low_catalog);
    assert_eq!(high_catalog.track, "video");
    let listed: Vec<(&str, u64, u32, u32)> = high_catalog
        .renditions
        .iter()
        .map(|r| (r.track.as_str(), r.bitrate, r.width, r.height))
        .collect();
    assert_eq!(
        listed,
        [("video", 300_000, 128, 96), ("video-60k", 60_000, 128, 96)]
    );

    // -o is the first rendition, byte for byte a plain encode at its rate.
    assert!(
        std::fs::read(&published).unwrap() == std::fs::read(&high_asp).unwrap(),
        "-o holds the highest rendition"
    );
    let (high_size, low_size) = (
        std::fs::metadata(&high_asp).unwrap().len(),
        std::fs::metadata(&low_asp).unwrap().len(),
    );
    assert!(
        low_size * 2 < high_size,
        "the 60k rendition ({low_size} bytes) is well under the 300k one ({high_size})"
    );
    let keys = keyframe_indices(&high_asp);
    assert_eq!(
        keys,
        keyframe_indices(&low_asp),
        "keyframes on the same frames"
    );
    assert_eq!(keys, (0..frames).step_by(KEYINT).collect::<Vec<_>>());

    // Each track: its reference's packets, run by run; the same runs under
    // the same group ids on both.
    let high_runs = group_runs(&high, &published_groups(&high_asp), "video");
    let low_runs = group_runs(&low, &published_groups(&low_asp), "video-60k");
    assert!(
        !high_runs.is_empty() && high_runs.last().unwrap().1 == keys.len() - 1,
        "video got to the end"
    );
    let common: Vec<_> = high_runs
        .iter()
        .filter(|run| low_runs.contains(run))
        .collect();
    assert_eq!(
        common.len(),
        high_runs.len().min(low_runs.len()),
        "group ids aligned: {high_runs:?} vs {low_runs:?}"
    );

    // asp-decode of the low track: the low reference's decode from a keyframe on.
    let all = reference_frames(&low_asp, &dir.join("reference-low.y4m"));
    let start = joined_at(
        &y4m_frames(&dir.join("low.y4m")),
        &all,
        &keys,
        "asp-decode ?track=video-60k",
    );
    eprintln!(
        "renditions: {high_size} vs {low_size} bytes; runs {high_runs:?} / {low_runs:?}; asp-decode joined at {start} ({})",
        String::from_utf8_lossy(&low_decode.stderr).trim()
    );
    cluster.clean_up();
}

/// A track the catalog does not list is refused by name, and the flag's
/// misuses are refused before anything is encoded.
#[test]
fn unknown_tracks_and_bad_rendition_flags_are_refused() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("moq-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let encode = |flags: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
            .args([
                "testsrc",
                "--size",
                "64x64",
                "--frames",
                "3",
                "--threads",
                "1",
                "-o",
            ])
            .arg(dir.join("x.asp"))
            .arg("--force")
            .args(flags)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flags:?} should be refused");
        assert!(!dir.join("x.asp").exists(), "{flags:?}: nothing written");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let nowhere = format!("https://127.0.0.1:{}/x", free_port());
    assert!(encode(&["--rendition", "600k"]).contains("--rendition needs --publish"));
    let twice = encode(&[
        "--publish",
        &nowhere,
        "--rendition",
        "1M",
        "--rendition",
        "1000k",
    ]);
    assert!(twice.contains("1000000 bit/s is given twice"), "{twice}");
    assert!(encode(&["--publish", &nowhere, "--rendition", "fast"]).contains("is not a bitrate"));
    assert!(encode(&[
        "--publish",
        &nowhere,
        "--rendition",
        "1M",
        "--bitrate",
        "1M"
    ])
    .contains("cannot be used with"));
    let _ = std::fs::remove_dir_all(&dir);

    let Some(cluster) = cluster_for("notrack") else {
        return;
    };
    let name = "notrack";
    let publisher = encode_at(
        &cluster,
        &["--rendition", "100k", "--rendition", "50k"],
        &cluster.dir.join("p.asp"),
        Some(name),
        150,
    );
    wait_announced(&cluster, name, Duration::from_secs(20));
    let refused = subscribe(
        &cluster,
        &format!("{name}?track=video-70k"),
        &cluster.dir.join("none.y4m"),
    );
    let refused =
        exit_within(refused, Duration::from_secs(20)).expect("a refused track ends asp-decode");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("lists no track 'video-70k' (it lists video, video-50k)"),
        "{stderr}"
    );
    finish(publisher, Duration::from_secs(60), "asp-encode --publish");
    cluster.clean_up();
}

/// `asp-encode --serve --publish --rendition 300k --rendition 60k`: the
/// live loop publishes both renditions itself. The `video` track carries
/// what `-o` recorded (the served, highest rendition) run by run; the
/// `video-60k` track has its runs under the same group ids, each starting
/// with a keyframe and as many frames long as the highest's.
#[test]
fn serve_publishes_every_rendition_aligned() {
    let Some(cluster) = cluster_for("serve-renditions") else { return };
    let dir = cluster.dir.clone();
    let name = "served";
    let url = format!("{}/{name}", cluster.edge);
    let high = subscriber_thread(url.clone(), cluster.ca.clone(), Duration::ZERO);
    let low = subscriber_thread(format!("{url}?track=video-60k"), cluster.ca.clone(), Duration::ZERO);
    thread::sleep(Duration::from_millis(500));
    let recorded = dir.join("served.asp");
    let serve = Command::new(env!("CARGO_BIN_EXE_asp-encode"))
        .args(["testsrc", "--size", "128x96", "--fps", "30", "--frames", "90", "--threads", "1"])
        .args(["--keyint", &KEYINT.to_string(), "--serve", "127.0.0.1:0", "--no-webtransport"])
        .args(["--rendition", "300k", "--rendition", "60k", "--publish", &format!("{}/{name}", cluster.origin)])
        .arg("--tls-ca")
        .arg(&cluster.ca)
        .arg("-o")
        .arg(&recorded)
        .stderr(Stdio::piped())
        .spawn()
        .expect("asp-encode --serve runs");
    let (high, catalog) = high.recv_timeout(Duration::from_secs(60)).expect("the video track ends with the input");
    let (low, _) = low.recv_timeout(Duration::from_secs(60)).expect("the video-60k track ends with the input");
    interrupt(&serve);
    let out = exit_within(serve, Duration::from_secs(20)).expect("one SIGINT stops the server");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("on 2 rendition tracks"), "{stderr}");
    assert_eq!(catalog.video_tracks(), ["video", "video-60k"]);

    let high_runs = group_runs(&high, &published_groups(&recorded), "video");
    let mut low_runs: Vec<(u64, usize)> = Vec::new();
    for object in &low {
        match low_runs.last_mut() {
            Some((id, count)) if *id == object.group => *count += 1,
            _ => {
                let header = Header::decode(&object.bytes, &Limits::DEFAULT).expect("a packet");
                assert_eq!(header.packet_type, PacketType::I, "video-60k: group {} starts with a keyframe", object.group);
                low_runs.push((object.group, 1));
            }
        }
    }
    let high_lengths: Vec<(u64, usize)> = high_runs.iter().map(|&(id, run)| (id, published_groups(&recorded)[run].len())).collect();
    let common: Vec<_> = low_runs.iter().filter(|run| high_lengths.contains(run)).collect();
    assert!(common.len() >= 2, "runs under the same ids, the same length: {high_lengths:?} vs {low_runs:?}");
    assert_eq!(common.len(), low_runs.len().min(high_lengths.len()), "{high_lengths:?} vs {low_runs:?}");
    cluster.clean_up();
}
