//! Real decoded frames for the renderer's tests, and the CPU reference of
//! what the shader must draw.

use asp_core::codec::frame::Frame;
use asp_core::codec::parallel::Serial;
use asp_core::schema::{ColorMatrix, ColorRange};
use asp_core::{Event, Player};
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig};
use asp_render::{ColourRows, Offscreen};

/// `frames` frames of the project's test picture, `width` x `height`,
/// encoded with `matrix` and `range` signalled, then decoded by asp-core's
/// stream player: the last picture and the colour facts the player read.
pub fn decoded_testsrc(
    width: u32,
    height: u32,
    frames: u64,
    matrix: ColorMatrix,
    range: ColorRange,
) -> (Frame, ColorMatrix, ColorRange) {
    let mut config = EncoderConfig::new(width, height, 25, 1);
    config.color_matrix = matrix;
    config.color_range = range;
    let mut encoder = Encoder::new(config).expect("encoder");
    let mut source = TestSource::new(width, height).expect("test picture");
    let mut player = Player::default();
    let mut pictures = 0;
    for n in 0..frames {
        let frame = source.frame(n).expect("test frame");
        let encoded = encoder.encode(&frame, n * 40_000).expect("encode");
        player.push_packet(encoded.packet).expect("push");
        while let Some(event) = player.next_event(&Serial) {
            match event {
                Event::Picture(_) => pictures += 1,
                Event::Final(_) => {}
                other => panic!("frame {n}: {other:?}"),
            }
        }
    }
    assert_eq!(pictures, frames, "every frame decodes");
    let facts = player.facts().expect("the keyframe's stream facts");
    (
        player.picture().expect("a picture").clone(),
        facts.color_matrix,
        facts.color_range,
    )
}

/// An offscreen renderer, or `None` (with a loud message) when this machine
/// has no adapter; under CI=true a missing adapter fails the test.
pub fn offscreen(width: u32, height: u32) -> Option<Offscreen> {
    match Offscreen::new(width, height) {
        Ok(offscreen) => {
            let info = offscreen.adapter();
            eprintln!(
                "asp-render: drawing on {} ({:?}, {})",
                info.name, info.backend, info.driver_info
            );
            Some(offscreen)
        }
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("\n\n*** asp-render: SKIPPED, {e}. Install Mesa's lavapipe (apt mesa-vulkan-drivers); under CI=true this fails. ***\n");
            None
        }
        Err(e) => panic!("asp-render under CI needs a Vulkan adapter (Mesa lavapipe): {e}"),
    }
}

/// Bilinear sample of a `width` x `height` plane (`stride` bytes a row) at
/// texel coordinates (x, y), edges clamped: what a linear sampler returns.
fn bilinear(plane: &[u8], stride: usize, width: usize, height: usize, x: f64, y: f64) -> f64 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |xx: f64, yy: f64| {
        let xx = (xx.max(0.0) as usize).min(width - 1);
        let yy = (yy.max(0.0) as usize).min(height - 1);
        f64::from(plane[yy * stride + xx])
    };
    (at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx) * (1.0 - fy)
        + (at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx) * fy
}

/// The chroma (Cb, Cr) the shader samples for pixel (x, y) of `frame` shown
/// 1:1: bilinear, at the luma sample's position.
pub fn chroma_at(frame: &Frame, x: usize, y: usize) -> (f64, f64) {
    let (w, h) = (frame.width(), frame.height());
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let cx = (x as f64 + 0.5) * cw as f64 / w as f64 - 0.5;
    let cy = (y as f64 + 0.5) * ch as f64 / h as f64 - 0.5;
    let s = frame.chroma_stride();
    (
        bilinear(&frame.u, s, cw, ch, cx, cy),
        bilinear(&frame.v, s, cw, ch, cx, cy),
    )
}

/// What the shader should draw for pixel (x, y) of `frame` shown 1:1, in
/// double precision: asp-core's conversion (the rows of
/// [`ColourRows::exact`]) of the luma sample and the bilinear chroma.
pub fn expected_rgb(
    frame: &Frame,
    matrix: ColorMatrix,
    range: ColorRange,
    x: usize,
    y: usize,
) -> [u8; 3] {
    let rows = ColourRows::exact(matrix, range);
    let luma = f64::from(frame.y[y * frame.luma_stride() + x]) / 255.0;
    let (u, v) = chroma_at(frame, x, y);
    rows.map(|r| {
        (255.0 * (r[0] * luma + r[1] * u / 255.0 + r[2] * v / 255.0 + r[3]).clamp(0.0, 1.0)).round()
            as u8
    })
}
