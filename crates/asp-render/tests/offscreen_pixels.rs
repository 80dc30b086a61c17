//! The renderer draws real decoded frames (the project's test picture,
//! encoded by asp-encoder, decoded by asp-core's stream player) on a real
//! GPU adapter, offscreen (Mesa's lavapipe where there is no GPU), and the
//! pixels read back are asp-core's colour conversion of the decoded planes,
//! with black letterbox bars around them.
//!
//! The reference: for every pixel, asp-core's conversion in double
//! precision of its luma sample and its chroma sampled bilinearly at the
//! luma position (what the shader asks for); where the chroma is flat (the
//! four chroma neighbours equal), also asp-core's fixed-point
//! [`YuvToRgbQ14`]. 96% of the pixels must be within one level of it, none
//! more than three off, under 0.3 levels on average: the GPU
//! filters 8-bit textures with a precision that WebGPU and Vulkan leave to
//! the implementation, and lavapipe's filter moves pixels at sharp edges
//! by two or three levels (measured here: 1.5 to 2.4% of the pixels past
//! one level, mean 0.17 to 0.22). A wrong matrix, range, plane or
//! position is off by far more (`another_matrix_draws_other_colours`).

mod common;

use asp_core::codec::frame::Frame;
use asp_core::colour::YuvToRgbQ14;
use asp_core::schema::{ColorMatrix, ColorRange};
use asp_render::{ColourRows, Error, Offscreen, Planes};
use common::{chroma_at, decoded_testsrc, expected_rgb, offscreen};

/// Most a channel of 96% of the pixels may differ from the reference.
const TOLERANCE: u8 = 1;
/// Most any channel may differ.
const MAX_DIFFERENCE: u8 = 3;
/// Largest mean difference over every channel of the picture.
const MEAN_TOLERANCE: f64 = 0.3;

fn rgb(rgba: &[u8], target_width: u32, x: usize, y: usize) -> [u8; 3] {
    let at = (y * target_width as usize + x) * 4;
    [rgba[at], rgba[at + 1], rgba[at + 2]]
}

fn within(got: [u8; 3], want: [u8; 3], tolerance: u8) -> bool {
    got.iter()
        .zip(want)
        .all(|(&g, w)| g.abs_diff(w) <= tolerance)
}

/// How a drawn picture differs from the reference.
#[derive(Debug, Default)]
struct Differences {
    /// Pixels compared, and how many of them had flat chroma.
    pixels: usize,
    flat: usize,
    /// Pixels with a channel more than [`TOLERANCE`] from the reference
    /// (the double-precision one, and for flat chroma also YuvToRgbQ14).
    over_tolerance: usize,
    /// Largest difference of any channel, in levels.
    max: u8,
    /// Mean difference over every channel, in levels.
    mean: f64,
}

/// The picture drawn at (left, top) of `rgba` at 1:1 against `frame`
/// converted (see the module docs).
fn differences(
    rgba: &[u8],
    target_width: u32,
    left: usize,
    top: usize,
    decoded: &(Frame, ColorMatrix, ColorRange),
) -> Differences {
    let (frame, matrix, range) = decoded;
    let q14 = YuvToRgbQ14::new(*matrix, *range);
    let mut d = Differences::default();
    let mut total = 0u64;
    for y in 0..frame.height() {
        for x in 0..frame.width() {
            let got = rgb(rgba, target_width, left + x, top + y);
            let want = expected_rgb(frame, *matrix, *range, x, y);
            total += got
                .iter()
                .zip(want)
                .map(|(&g, w)| u64::from(g.abs_diff(w)))
                .sum::<u64>();
            d.max = d.max.max(
                got.iter()
                    .zip(want)
                    .map(|(&g, w)| g.abs_diff(w))
                    .max()
                    .unwrap_or(0),
            );
            let mut ok = within(got, want, TOLERANCE);
            let (u, v) = chroma_at(frame, x, y);
            if u.fract() == 0.0 && v.fract() == 0.0 {
                let luma = frame.y[y * frame.luma_stride() + x];
                ok &= within(got, q14.pixel(luma, u as u8, v as u8), TOLERANCE);
                d.flat += 1;
            }
            d.over_tolerance += usize::from(!ok);
            d.pixels += 1;
        }
    }
    d.mean = total as f64 / (3 * d.pixels) as f64;
    d
}

fn assert_picture(
    rgba: &[u8],
    target_width: u32,
    left: usize,
    top: usize,
    decoded: &(Frame, ColorMatrix, ColorRange),
) -> usize {
    let d = differences(rgba, target_width, left, top, decoded);
    assert!(d.max <= MAX_DIFFERENCE, "{d:?}");
    assert!(
        d.over_tolerance * 100 <= 4 * d.pixels,
        "more than 4% of pixels over {TOLERANCE}: {d:?}"
    );
    assert!(d.mean < MEAN_TOLERANCE, "{d:?}");
    d.flat
}

fn assert_black(
    rgba: &[u8],
    target_width: u32,
    xs: std::ops::Range<usize>,
    ys: std::ops::Range<usize>,
) {
    for y in ys {
        for x in xs.clone() {
            let at = (y * target_width as usize + x) * 4;
            assert_eq!(&rgba[at..at + 4], &[0, 0, 0, 255], "bar pixel ({x}, {y})");
        }
    }
}

#[test]
fn decoded_frames_match_the_colour_reference() {
    for (width, height, matrix, range) in [
        (160, 120, ColorMatrix::Bt709, ColorRange::Limited),
        (146, 90, ColorMatrix::Bt601, ColorRange::Full),
        (98, 66, ColorMatrix::Bt2020, ColorRange::Limited),
    ] {
        let Some(mut gpu) = offscreen(width, height) else {
            return;
        };
        let decoded = decoded_testsrc(width, height, 3, matrix, range);
        assert_eq!(
            (decoded.1, decoded.2),
            (matrix, range),
            "the player reads the signalled colour"
        );
        let rgba = gpu
            .render(
                &Planes::of_frame(&decoded.0),
                ColourRows::new(matrix, range),
            )
            .unwrap();
        assert_eq!(rgba.len(), (width * height * 4) as usize);
        let flat = assert_picture(&rgba, width, 0, 0, &decoded);
        // The test picture's flat areas put most pixels on the fixed-point check too.
        assert!(
            flat * 4 > (width * height) as usize,
            "{width}x{height}: only {flat} flat-chroma pixels"
        );
    }
}

#[test]
fn another_matrix_draws_other_colours() {
    let (width, height) = (160, 120);
    let Some(mut gpu) = offscreen(width, height) else {
        return;
    };
    let decoded = decoded_testsrc(width, height, 1, ColorMatrix::Bt709, ColorRange::Limited);
    let planes = Planes::of_frame(&decoded.0);
    let bt709 = gpu
        .render(
            &planes,
            ColourRows::new(ColorMatrix::Bt709, ColorRange::Limited),
        )
        .unwrap();
    let bt601 = gpu
        .render(
            &planes,
            ColourRows::new(ColorMatrix::Bt601, ColorRange::Limited),
        )
        .unwrap();
    let differing = bt709
        .chunks_exact(4)
        .zip(bt601.chunks_exact(4))
        .filter(|(a, b)| a[..3].iter().zip(&b[..3]).any(|(p, q)| p.abs_diff(*q) > 2))
        .count();
    assert!(
        differing * 4 > (width * height) as usize,
        "only {differing} pixels changed with the matrix"
    );
}

#[test]
fn letterbox_and_pillarbox_bars_are_black() {
    let (width, height) = (160u32, 120u32);
    let decoded = decoded_testsrc(width, height, 2, ColorMatrix::Bt709, ColorRange::Limited);
    let planes = Planes::of_frame(&decoded.0);
    let rows = ColourRows::new(ColorMatrix::Bt709, ColorRange::Limited);
    // Wider target: bars left and right, the picture 1:1 in the middle.
    let Some(mut wide) = offscreen(320, 120) else {
        return;
    };
    let rgba = wide.render(&planes, rows).unwrap();
    assert_black(&rgba, 320, 0..80, 0..120);
    assert_black(&rgba, 320, 240..320, 0..120);
    assert_picture(&rgba, 320, 80, 0, &decoded);
    // Taller target: bars above and below.
    let Some(mut tall) = offscreen(160, 240) else {
        return;
    };
    let rgba = tall.render(&planes, rows).unwrap();
    assert_black(&rgba, 160, 0..160, 0..60);
    assert_black(&rgba, 160, 0..160, 180..240);
    assert_picture(&rgba, 160, 0, 60, &decoded);
    // A target of another shape and scale: bars where the aspect ratio puts them.
    let Some(mut other) = offscreen(400, 200) else {
        return;
    };
    let rgba = other.render(&planes, rows).unwrap();
    // 4:3 in 400x200: 266.7 wide, centred at 200: bars left of 66 and right of 334.
    assert_black(&rgba, 400, 0..66, 0..200);
    assert_black(&rgba, 400, 334..400, 0..200);
    let middle = rgb(&rgba, 400, 200, 100);
    assert_ne!(middle, [0, 0, 0], "the picture is drawn in the middle");
}

#[test]
fn bad_planes_are_errors_not_panics() {
    let Some(mut gpu) = offscreen(16, 16) else {
        return;
    };
    let rows = ColourRows::new(ColorMatrix::Bt709, ColorRange::Limited);
    let y = [16u8; 16 * 16];
    let c = [128u8; 8 * 8];
    let planes = Planes {
        width: 16,
        height: 16,
        y: &y,
        y_stride: 16,
        u: &c,
        v: &c,
        uv_stride: 8,
    };
    let black = gpu.render(&planes, rows).unwrap();
    assert!(
        black.chunks_exact(4).all(|p| p == [0, 0, 0, 255]),
        "limited-range black is black"
    );
    let short = Planes {
        y: &y[..200],
        ..planes
    };
    assert!(matches!(
        gpu.render(&short, rows),
        Err(Error::PlaneTooShort { plane: "Y", .. })
    ));
    let narrow = Planes {
        uv_stride: 4,
        ..planes
    };
    assert!(matches!(
        gpu.render(&narrow, rows),
        Err(Error::PlaneStride { plane: "U", .. })
    ));
    let empty = Planes { width: 0, ..planes };
    assert!(matches!(
        gpu.render(&empty, rows),
        Err(Error::PictureSize { .. })
    ));
    let huge = Planes {
        width: 1 << 20,
        ..planes
    };
    assert!(matches!(
        gpu.render(&huge, rows),
        Err(Error::PictureSize { .. })
    ));
    assert!(matches!(
        Offscreen::new(0, 16),
        Err(Error::TargetSize { .. })
    ));
}
