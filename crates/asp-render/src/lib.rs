//! ASP's renderer on wgpu: YUV 4:2:0 planes in (asp-core's decoded
//! frames, or any three planes with strides), the picture out in R'G'B'
//! with the stream's colour matrix and range, letterboxed into any target
//! size.
//!
//! * [`WGSL`]: the one shader (`src/yuv.wgsl`), for every target.
//! * [`ColourRows`]: asp-core's Y'CbCr -> R'G'B' conversion
//!   ([`asp_core::colour`]) as the shader's matrix; [`fit_scale`] the
//!   letterbox.
//! * [`Renderer`]: textures, pipeline and draw, on a device and render
//!   target the caller owns (a window's surface: `asp-play`).
//! * [`Offscreen`]: its own device and an RGBA target read back to memory
//!   (tests on Mesa's lavapipe, no display needed). Native only.
//! * `CanvasRenderer` (wasm32 only): the browser player's WebGPU path, on
//!   the player worker's `OffscreenCanvas`, planes uploaded straight from
//!   wasm memory (asp-wasm exports it to the player).
//!
//! Natively only wgpu's Vulkan backend and WGSL front end are built; on
//! wasm32 only its `webgpu` backend.

#[cfg(target_arch = "wasm32")]
mod canvas;
mod colour;
#[cfg(not(target_arch = "wasm32"))]
mod offscreen;
mod planes;
mod renderer;

#[cfg(target_arch = "wasm32")]
pub use canvas::CanvasRenderer;
pub use colour::{fit_scale, ColourRows};
#[cfg(not(target_arch = "wasm32"))]
pub use offscreen::{device, instance, Offscreen, OFFSCREEN_FORMAT};
pub use planes::Planes;
#[cfg(not(target_arch = "wasm32"))]
pub use pollster::block_on;
pub use renderer::Renderer;
pub use wgpu;

/// The YUV -> RGB shader every target draws with.
pub const WGSL: &str = include_str!("yuv.wgsl");

/// Why the renderer could not draw.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// wgpu found no adapter (no GPU, no Vulkan driver such as lavapipe).
    #[error("no graphics adapter: {0}")]
    NoAdapter(String),
    /// The adapter refused a device.
    #[error("cannot open the graphics device: {0}")]
    Device(String),
    /// An sRGB target would encode the shader's R'G'B' a second time.
    #[error("render target format {0:?} is sRGB; the renderer needs a linear one")]
    SrgbTarget(wgpu::TextureFormat),
    /// The picture is empty or larger than the device's textures.
    #[error(
        "picture {width}x{height} is empty or over the device's {max_dimension} texels a side"
    )]
    PictureSize {
        width: u32,
        height: u32,
        max_dimension: u32,
    },
    /// The render target is empty or larger than the device's textures.
    #[error("render target {width}x{height} is empty or over the device's {max_dimension} texels a side")]
    TargetSize {
        width: u32,
        height: u32,
        max_dimension: u32,
    },
    /// A plane's stride is less than its width (or over 4 GiB).
    #[error("{plane} plane stride {stride} is less than its width {width}")]
    PlaneStride {
        plane: &'static str,
        stride: usize,
        width: usize,
    },
    /// A plane holds fewer bytes than its rows need.
    #[error("{plane} plane has {len} bytes, its rows need {needed}")]
    PlaneTooShort {
        plane: &'static str,
        needed: usize,
        len: usize,
    },
    /// Reading the target back failed (device lost, map refused).
    #[error("reading the picture back: {0}")]
    Readback(String),
    /// The device reported an error (once), or was lost (then every call fails).
    #[error("the graphics device failed: {0}")]
    DeviceFailed(String),
    /// The canvas gave no drawable texture (its context was lost).
    #[error("the canvas has no texture to draw into: {0}")]
    Surface(String),
}
