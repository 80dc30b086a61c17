//! Periodic intra refresh: a decoder that joins at a refresh start (or lost
//! a frame and waits for one) shows exactly the encoder's picture once the
//! cycle completes, and frame sizes stay smoother than with keyframes.

use asp_core::{DecodeError, Decoder};
use asp_core::codec::frame::Frame;
use asp_core::packet::{Packet, Payload};
use asp_core::Limits;
use asp_encoder::{Encoder, EncoderConfig, Preset, Qp, RateMode};

struct Coded {
    packets: Vec<Vec<u8>>,
    recons: Vec<Frame>,
}

fn encode(width: u32, height: u32, frames: u64, keyint: u32, refresh: bool, preset: Preset) -> Coded {
    let mut config = EncoderConfig::new(width, height, 25, 1);
    config.rate = RateMode::ConstantQp(Qp::new(28).unwrap());
    config.keyint = keyint;
    config.intra_refresh = refresh;
    config.preset = preset;
    let mut encoder = Encoder::new(config).unwrap();
    let mut coded = Coded { packets: Vec::new(), recons: Vec::new() };
    for n in 0..frames {
        let frame = picture(width, height, n as usize);
        coded.packets.push(encoder.encode(&frame, n * 40_000).unwrap().packet.to_vec());
        coded.recons.push(encoder.reconstruction().unwrap().clone());
    }
    coded
}

/// Texture scrolling left (so the best vectors point right, into what a
/// refresh has not reached yet) over a slow vertical drift.
fn picture(width: u32, height: u32, t: usize) -> Frame {
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    // Smooth value noise: no repeats for the search to alias on.
    let hash = |x: usize, y: usize| -> u32 {
        let h = (x as u32).wrapping_mul(0x9E37_79B1) ^ (y as u32).wrapping_mul(0x85EB_CA77);
        (h ^ (h >> 15)).wrapping_mul(0x2C1B_3C6D) >> 24
    };
    let texture = |x: usize, y: usize| -> u8 {
        let (cx, cy, fx, fy) = (x / 4, y / 4, (x % 4) as u32, (y % 4) as u32);
        let top = hash(cx, cy) * (4 - fx) + hash(cx + 1, cy) * fx;
        let bottom = hash(cx, cy + 1) * (4 - fx) + hash(cx + 1, cy + 1) * fx;
        ((top * (4 - fy) + bottom * fy) / 16) as u8
    };
    let mut data = vec![0u8; w * h + 2 * cw * ch];
    for y in 0..h {
        for x in 0..w {
            data[y * w + x] = texture(x + 14 * t, y + t / 2);
        }
    }
    for y in 0..ch {
        for x in 0..cw {
            data[w * h + y * cw + x] = 64 + texture(2 * x + 14 * t, 2 * y) / 2;
            data[w * h + cw * ch + y * cw + x] = 192 - texture(2 * x + 14 * t + 5, 2 * y + 1) / 2;
        }
    }
    Frame::from_i420(width, height, &data, &Limits::DEFAULT).unwrap()
}

/// `Some(frames)` for a D packet that starts a refresh cycle.
fn refresh_start(packet: &[u8]) -> Option<u16> {
    match Packet::parse(packet).unwrap().payload() {
        Payload::D(p) if p.refresh_frames() != 0 => Some(p.refresh_frames()),
        _ => None,
    }
}

fn is_keyframe(packet: &[u8]) -> bool {
    matches!(Packet::parse(packet).unwrap().payload(), Payload::I(_))
}

#[test]
fn only_the_first_frame_is_a_keyframe_and_cycles_recur() {
    let coded = encode(160, 96, 20, 4, true, Preset::Realtime);
    let keyframes: Vec<usize> = (0..20).filter(|&i| is_keyframe(&coded.packets[i])).collect();
    assert_eq!(keyframes, [0]);
    // 10 columns, about 4 frames per cycle: bands of 3 columns, 4 frames.
    let starts: Vec<(usize, u16)> =
        (0..20).filter_map(|i| refresh_start(&coded.packets[i]).map(|n| (i, n))).collect();
    assert_eq!(starts, [(4, 4), (8, 4), (12, 4), (16, 4)]);
    // From the start, the decoder follows the encoder exactly.
    let mut decoder = Decoder::new();
    for (i, packet) in coded.packets.iter().enumerate() {
        let decoded = decoder.decode(&Packet::parse(packet).unwrap()).unwrap().unwrap();
        assert!(!decoded.recovering);
        assert!(decoded.frame == &coded.recons[i], "frame {i}");
    }
}

#[test]
fn joining_at_a_refresh_start_is_exact_once_the_cycle_completes() {
    for preset in [Preset::Realtime, Preset::Ultrafast, Preset::Medium] {
        let coded = encode(160, 96, 20, 4, true, preset);
        let start = 8;
        let cycle = usize::from(refresh_start(&coded.packets[start]).expect("a refresh start"));
        let mut decoder = Decoder::new();
        for i in start..20 {
            let decoded = decoder.decode(&Packet::parse(&coded.packets[i]).unwrap()).unwrap().unwrap();
            let done = i + 1 >= start + cycle;
            assert_eq!(decoded.recovering, !done, "{preset} frame {i}");
            if i == start {
                // Joined from mid-grey: the picture is visibly wrong at first.
                assert!(decoded.frame != &coded.recons[i]);
            }
            if done {
                assert!(decoded.frame == &coded.recons[i], "{preset} frame {i} differs after the cycle");
            }
        }
    }
}

#[test]
fn a_lost_frame_heals_at_the_next_refresh_cycle() {
    let coded = encode(200, 72, 20, 5, true, Preset::Realtime);
    let lost = 6;
    let next = (lost + 1..20).find(|&i| refresh_start(&coded.packets[i]).is_some()).expect("a later cycle");
    let cycle = usize::from(refresh_start(&coded.packets[next]).unwrap());
    let mut decoder = Decoder::new();
    for i in (0..20).filter(|&i| i != lost) {
        let result = decoder.decode(&Packet::parse(&coded.packets[i]).unwrap());
        if i > lost && i < next {
            assert!(matches!(result, Err(DecodeError::MissingReference { .. })), "frame {i}: {result:?}");
            continue;
        }
        let decoded = result.unwrap().unwrap();
        // From the stale reference the picture heals band by band.
        let exact = i < lost || i + 1 >= next + cycle;
        assert_eq!(decoded.recovering, !exact, "frame {i}");
        if exact {
            assert!(decoded.frame == &coded.recons[i], "frame {i}");
        }
    }
}

#[test]
fn refresh_spreads_the_keyframe_spike() {
    let frames = 24;
    let peak_to_median = |coded: &Coded| {
        let mut sizes: Vec<usize> = coded.packets[1..].iter().map(Vec::len).collect();
        let peak = *sizes.iter().max().unwrap();
        sizes.sort_unstable();
        peak as f64 / sizes[sizes.len() / 2] as f64
    };
    let keyframes = encode(320, 192, frames, 8, false, Preset::Realtime);
    let refresh = encode(320, 192, frames, 8, true, Preset::Realtime);
    let (k, r) = (peak_to_median(&keyframes), peak_to_median(&refresh));
    assert!(r < k * 0.6, "peak/median: refresh {r:.2}, keyframes {k:.2}");
}
