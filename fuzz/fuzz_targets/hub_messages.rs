//! The live hub (asp-server's fan-out and S-packet feedback) driven by a
//! hostile script: viewers joining from few addresses, raw and well-formed
//! S-packets of every command (several to a message), frames and C-packets
//! published, queues left full or drained, the stream ended. Besides "never
//! panic", after every step what the hub promises the other viewers holds:
//!
//! - the encoder's bitrate target stays within the policy's bounds;
//! - viewers cannot force more keyframes than the stream-wide budget (one
//!   per `keyframe_min_interval`, an hour here, so at most one a run);
//! - at most `max_viewers` viewers, `max_viewers_per_address` from one
//!   address, a queue never longer than `queue_len`, the keyframe run kept
//!   for late joiners never over `max_group_bytes`;
//! - every reply is a well-formed S-packet.
//!
//! Script: a sequence of steps, each an op byte and its operands (see
//! `Step::read`); a step whose operands are cut short ends the script.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use asp_core::packet::{Packet, Payload, Sync as SyncPacket};
use asp_core::schema::SyncCommand;
use asp_core::{PacketType, PacketWriter};
use asp_server::hub::ClientOutcome;
use asp_server::{Hub, StreamPolicy, ViewerHandle, ViewerLimits};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

const MAX_VIEWERS: usize = 4;
const MAX_PER_ADDRESS: usize = 2;
const QUEUE_LEN: usize = 4;
const MAX_GROUP_BYTES: usize = 2048;
const BITRATE: u64 = 1_000_000;

enum Step<'a> {
    Join(IpAddr),
    Leave(usize),
    Raw(usize, &'a [u8]),
    Commands(usize, Vec<u8>),
    Publish { keyframe: bool, len: usize },
    PublishCPacket(usize),
    Drain(usize),
    End,
}

impl<'a> Step<'a> {
    /// The next step and the rest of the script.
    fn read(script: &'a [u8]) -> Option<(Step<'a>, &'a [u8])> {
        let (&op, rest) = script.split_first()?;
        let (&a, rest) = rest.split_first()?;
        Some(match op % 8 {
            0 => (Step::Join(address(a)), rest),
            1 => (Step::Leave(usize::from(a)), rest),
            2 => {
                let (&len, rest) = rest.split_first()?;
                let len = usize::from(len).min(rest.len());
                let (bytes, rest) = rest.split_at(len);
                (Step::Raw(usize::from(a), bytes), rest)
            }
            3 => {
                // One to three S-packets in one message, each from 8 bytes:
                // command, bitrate (kbit/s, u16), sequence (u16), Nack count,
                // timestamp (u16).
                let count = 1 + usize::from(a % 3);
                let (fields, rest) = rest.split_at_checked(1 + 8 * count)?;
                let viewer = usize::from(fields[0]);
                let mut message = Vec::new();
                for f in fields[1..].chunks_exact(8) {
                    message.extend_from_slice(&s_packet(f)?);
                }
                (Step::Commands(viewer, message), rest)
            }
            4 => (
                Step::Publish {
                    keyframe: a & 1 == 1,
                    len: usize::from(a >> 1) * 24 + 1,
                },
                rest,
            ),
            5 => (Step::PublishCPacket(usize::from(a)), rest),
            6 => (Step::Drain(usize::from(a)), rest),
            _ => (Step::End, rest),
        })
    }
}

/// Four IPv4 addresses and two IPv6 /64s (two addresses in each).
fn address(a: u8) -> IpAddr {
    match a % 8 {
        n @ 0..=3 => IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)),
        n => IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            u16::from(n / 6),
            0,
            0,
            0,
            u16::from(n),
        )),
    }
}

/// A well-formed S-packet from 8 script bytes.
fn s_packet(f: &[u8]) -> Option<Vec<u8>> {
    let sequences: Vec<u32> = (0..u32::from(f[5] % 5))
        .map(|i| u32::from(u16::from_le_bytes([f[3], f[4]])) + i)
        .collect();
    let mut s = SyncPacket::command(
        SyncCommand::ENUM_VALUES[usize::from(f[0]) % SyncCommand::ENUM_VALUES.len()],
    );
    s.bitrate_kbps = u32::from(u16::from_le_bytes([f[1], f[2]]));
    s.sequence = u32::from(u16::from_le_bytes([f[3], f[4]]));
    s.sequences = &sequences;
    s.timestamp_us = u64::from(u16::from_le_bytes([f[6], f[7]]));
    PacketWriter::new()
        .write_s(0, 0, &s)
        .ok()
        .map(|p| p.to_vec())
}

fn check_reply(reply: &[u8]) {
    let packet = Packet::parse(reply).expect("a reply parses");
    assert_eq!(packet.packet_type(), PacketType::S);
    assert!(
        matches!(packet.payload(), Payload::S(_)),
        "a reply is an S-packet"
    );
}

/// Viewer `i`'s message, handled as a transport does: replies sent, a
/// disconnection carried out.
fn answer(hub: &Hub, viewers: &mut Vec<(IpAddr, ViewerHandle)>, i: usize, message: &[u8]) {
    match hub.client_message(viewers[i].1.id, message) {
        ClientOutcome::Replies(replies) => replies.iter().for_each(|r| check_reply(r)),
        ClientOutcome::Refused(_) => {}
        ClientOutcome::Disconnect(_) => {
            let (_, handle) = viewers.swap_remove(i);
            hub.leave(handle.id, "protocol error");
        }
    }
}

fn check(hub: &Hub, viewers: &[(IpAddr, ViewerHandle)]) {
    let control = hub.control();
    let policy = StreamPolicy::for_bitrate(BITRATE);
    assert!(
        (policy.min_bitrate..=policy.max_bitrate).contains(&control.bitrate()),
        "bitrate {}",
        control.bitrate()
    );
    let stats = hub.stats();
    assert!(
        stats.forced_keyframes <= 1,
        "forced keyframes {} within one interval",
        stats.forced_keyframes
    );
    assert!(stats.viewers <= MAX_VIEWERS);
    assert!(
        stats.group_bytes <= MAX_GROUP_BYTES,
        "group bytes {}",
        stats.group_bytes
    );
    for (_, viewer) in viewers {
        assert!(viewer.queue.len() <= QUEUE_LEN);
    }
}

fuzz_target!(|script: &[u8]| {
    let limits = ViewerLimits {
        queue_len: QUEUE_LEN,
        max_viewers: MAX_VIEWERS,
        max_viewers_per_address: MAX_PER_ADDRESS,
        max_bad_messages: 3,
        ..ViewerLimits::default()
    };
    let policy = StreamPolicy {
        keyframe_min_interval: Duration::from_secs(3600),
        viewer_keyframe_min_interval: Duration::from_secs(3600),
        max_group_bytes: MAX_GROUP_BYTES,
        ..StreamPolicy::for_bitrate(BITRATE)
    };
    let hub = Hub::new(limits, policy);
    let mut viewers: Vec<(IpAddr, ViewerHandle)> = Vec::new();
    let mut sequence = 0u32;
    let mut rest = script;
    while let Some((step, next)) = Step::read(rest) {
        rest = next;
        let pick = |i: usize| (!viewers.is_empty()).then(|| i % viewers.len());
        match step {
            Step::Join(ip) => {
                if let Ok(handle) = hub.join_from(Some(ip)) {
                    for packet in &handle.backlog {
                        assert!(!packet.is_empty());
                    }
                    viewers.push((ip, handle));
                    let from_address = viewers
                        .iter()
                        .filter(|(a, _)| {
                            asp_server::hub::address_key(*a) == asp_server::hub::address_key(ip)
                        })
                        .count();
                    assert!(
                        from_address <= MAX_PER_ADDRESS,
                        "{from_address} viewers from {ip}"
                    );
                }
            }
            Step::Leave(i) => {
                if let Some(i) = pick(i) {
                    let (_, handle) = viewers.swap_remove(i);
                    hub.leave(handle.id, "left");
                }
            }
            Step::Raw(i, bytes) => {
                if let Some(i) = pick(i) {
                    answer(&hub, &mut viewers, i, bytes);
                }
            }
            Step::Commands(i, message) => {
                if let Some(i) = pick(i) {
                    answer(&hub, &mut viewers, i, &message);
                }
            }
            Step::Publish { keyframe, len } => {
                sequence += 1;
                hub.publish(Bytes::from(vec![keyframe as u8; len]), sequence, keyframe);
            }
            Step::PublishCPacket(len) => {
                hub.publish_c_packet(Bytes::from(vec![2u8; len + 1]), sequence)
            }
            Step::Drain(i) => {
                if let Some(i) = pick(i) {
                    while viewers[i].1.queue.try_recv().is_ok() {}
                }
            }
            Step::End => hub.end("script ended the stream"),
        }
        // A viewer the hub dropped (too slow, or the stream ended) has its
        // queue closed and its slot free; its transport goes (after sending
        // what is queued), and so does it here.
        viewers.retain(|(_, handle)| !handle.queue.is_closed());
        check(&hub, &viewers);
    }
});
