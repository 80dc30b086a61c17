//! Every limit ASP applies to untrusted input lives here.
//!
//! A packet comes from the network, possibly from someone hostile. Nothing it
//! says is used before it is checked against these numbers, and nothing is
//! allocated from a length it declares.

/// Caps on what a packet may claim. [`Limits::DEFAULT`] suits live video up
/// to 8K; a constrained receiver may lower them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest FlatBuffers payload accepted, in bytes (default 16 MiB: an 8K
    /// keyframe at a very high quality fits).
    pub max_payload_len: u32,
    /// Largest frame width in pixels (default 8192).
    pub max_width: u32,
    /// Largest frame height in pixels (default 8192).
    pub max_height: u32,
    /// Largest frame area, width times height, in pixels (default
    /// 8192 x 8192: no tighter than the width and height caps). A decoder
    /// holds about 1.5 bytes per pixel for each picture it keeps (the
    /// reference, the one being decoded, the tiles' buffers), so this is
    /// the cap that bounds its memory; a receiver short of it lowers this
    /// rather than either side.
    pub max_pixels: u64,
    /// Largest number of tiles in a frame (default 256).
    pub max_tiles: u32,
    /// FlatBuffers verifier: deepest nesting of tables (default 16; the
    /// schema needs 4).
    pub max_flatbuffer_depth: usize,
    /// FlatBuffers verifier: most tables visited (default 1024; the schema
    /// needs at most 5 per packet).
    pub max_flatbuffer_tables: usize,
}

impl Limits {
    /// The documented defaults.
    pub const DEFAULT: Limits = Limits {
        max_payload_len: 16 << 20,
        max_width: 8192,
        max_height: 8192,
        max_pixels: 8192 * 8192,
        max_tiles: 256,
        max_flatbuffer_depth: 16,
        max_flatbuffer_tables: 1024,
    };

    /// The verifier options these limits imply. The apparent size is
    /// bounded by the payload cap, so shared sub-objects cannot make the
    /// verifier do more work than the bytes it was given justify.
    pub fn verifier_options(&self) -> flatbuffers::VerifierOptions {
        flatbuffers::VerifierOptions {
            max_depth: self.max_flatbuffer_depth,
            max_tables: self.max_flatbuffer_tables,
            max_apparent_size: self.max_payload_len as usize,
            ignore_missing_null_terminator: false,
        }
    }

    /// Whether a `width` x `height` frame is within the caps (and not empty).
    pub fn allows_frame(&self, width: u32, height: u32) -> bool {
        width != 0
            && height != 0
            && width <= self.max_width
            && height <= self.max_height
            && u64::from(width) * u64::from(height) <= self.max_pixels
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
