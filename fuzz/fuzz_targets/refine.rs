//! C-packet refinement on hostile input: never panic, never write outside
//! the frame, never allocate by a number from the wire.
//!
//! Input: byte 0-1 = frame width/height (1..=96), byte 2 = QP (over 51 too:
//! must be refused), byte 3 = region count (0..=7), then 8 bytes a region
//! (x, y, width, height as u16 little-endian: regions may lie outside the
//! frame), then the coded data, split evenly over the regions. The packet
//! is framed correctly, so every mutation reaches the refinement decoder.
#![no_main]

use asp_core::codec::frame::Frame;
use asp_core::codec::correction::apply_correction;
use asp_core::packet::{flags, Correction, Packet, PacketWriter, Payload};
use asp_core::schema::{Rect, RoiRegion, RoiType};
use asp_core::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<4>() else { return };
    let width = u32::from(head[0] % 96) + 1;
    let height = u32::from(head[1] % 96) + 1;
    let qp = head[2] % 60;
    let count = usize::from(head[3] % 8);
    if body.len() < 8 * count {
        return;
    }
    let (rects, coded) = body.split_at(8 * count);
    let regions: Vec<RoiRegion> = rects
        .chunks_exact(8)
        .map(|r| {
            let v = |i: usize| u32::from(u16::from_le_bytes([r[i], r[i + 1]]));
            RoiRegion::new(&Rect::new(v(0), v(2), v(4), v(6)), 1.0, RoiType::Face, 1)
        })
        .collect();
    let mut sizes = vec![0u32; count];
    if count > 0 {
        let base = coded.len() / count;
        sizes.iter_mut().for_each(|s| *s = base as u32);
        sizes[count - 1] += (coded.len() - base * count) as u32;
    }
    let used = if count == 0 { &[][..] } else { coded };
    let correction = Correction { ref_sequence: 0, capture_time_us: 0, qp, regions: &regions, sizes: &sizes, data: used };
    let mut writer = PacketWriter::new();
    let Ok(bytes) = writer.write_c(0, flags::DISCARDABLE, &correction) else { return };
    let bytes = bytes.to_vec();
    let Ok(packet) = Packet::parse(&bytes) else { return };
    let Payload::C(c) = packet.payload() else { return };
    let Ok(mut frame) = Frame::new(width, height, &Limits::DEFAULT) else { return };
    let _ = apply_correction(&mut frame, 0, &c);
    assert_eq!((frame.width(), frame.height()), (width as usize, height as usize));
});
