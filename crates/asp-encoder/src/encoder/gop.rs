//! The keyframe and intra-refresh schedule: which frames are keyframes
//! (the first, every `keyint`-th without intra refresh, and the requested
//! ones), and with intra refresh, when a cycle starts (`keyint` frames after
//! the last keyframe or cycle start) and which band of macroblock columns
//! each frame of the cycle codes intra while it sweeps the picture left to
//! right.

use asp_core::codec::frame::MB_SIZE;
use asp_core::codec::mv::QpelMv;

/// What the schedule makes of one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FramePlan {
    /// An I-packet.
    pub keyframe: bool,
    /// This frame's share of a running intra-refresh cycle.
    pub refresh: Option<RefreshWindow>,
    /// The number of frames of the cycle, when this frame starts one (its
    /// D-packet says so, for decoders joining there).
    pub refresh_start: Option<u16>,
}

/// The schedule's state between frames.
#[derive(Clone, Debug)]
pub(super) struct Gop {
    keyint: u32,
    intra_refresh: bool,
    frames_since_key: u32,
    /// Frames since the last keyframe or refresh start.
    frames_since_entry: u32,
    /// The frame of the running intra-refresh cycle (0 = its start).
    refresh_step: Option<usize>,
    force_keyframe: bool,
}

impl Gop {
    /// A keyframe every `keyint` frames (0: only the first), or with
    /// `intra_refresh` a refresh cycle of about `keyint` frames every
    /// `keyint` frames.
    pub fn new(keyint: u32, intra_refresh: bool) -> Gop {
        Gop { keyint, intra_refresh, frames_since_key: 0, frames_since_entry: 0, refresh_step: None, force_keyframe: false }
    }

    /// Makes the next frame a keyframe.
    pub fn request_keyframe(&mut self) {
        self.force_keyframe = true;
    }

    /// The plan for the next frame of `mb_cols` macroblock columns; without
    /// a reference it is a keyframe. Call [`Gop::coded`] once it is coded.
    pub fn plan(&mut self, have_reference: bool, mb_cols: usize) -> FramePlan {
        let keyframe = !have_reference
            || self.force_keyframe
            || (!self.intra_refresh && self.keyint > 0 && self.frames_since_key >= self.keyint);
        if keyframe {
            self.refresh_step = None;
        } else if self.intra_refresh && self.refresh_step.is_none() && self.keyint > 0 && self.frames_since_entry >= self.keyint
        {
            self.refresh_step = Some(0);
        }
        FramePlan {
            keyframe,
            refresh: self.refresh_step.map(|step| refresh_window(step, mb_cols, self.keyint)),
            refresh_start: match self.refresh_step {
                Some(0) => Some(refresh_frames(mb_cols, self.keyint)),
                _ => None,
            },
        }
    }

    /// Moves on past the frame `plan` was made for, once it is coded.
    pub fn coded(&mut self, plan: &FramePlan, mb_cols: usize) {
        self.frames_since_key = if plan.keyframe { 1 } else { self.frames_since_key + 1 };
        let entry = plan.keyframe || self.refresh_step == Some(0);
        self.frames_since_entry = if entry { 1 } else { self.frames_since_entry + 1 };
        self.refresh_step = match (self.refresh_step, &plan.refresh) {
            (Some(step), Some(window)) if window.intra_columns.end < mb_cols => Some(step + 1),
            _ => None,
        };
        self.force_keyframe = false;
    }
}

/// One frame of an intra-refresh cycle: a band of macroblock columns is
/// coded intra, and the columns already refreshed may only predict from
/// the refreshed part of the reference, so that a decoder that started
/// the cycle from a wrong reference ends it with the exact picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RefreshWindow {
    /// Macroblock columns coded intra in this frame.
    pub intra_columns: core::ops::Range<usize>,
    /// Macroblock columns left of this are refreshed: their vectors must
    /// keep every sample they read (interpolation taps included) left of
    /// `luma_end` / `chroma_end` in the reference.
    pub refreshed_columns: usize,
    pub luma_end: i32,
    pub chroma_end: i32,
}

impl RefreshWindow {
    /// Whether the macroblock at column `mb_x` may use vector `mv`.
    pub fn allows(&self, mb_x: usize, mv: QpelMv) -> bool {
        if mb_x >= self.refreshed_columns {
            return true;
        }
        // Luma: quarter-sample position; a fractional one reads 3 samples
        // right of the block (the 6-tap filter).
        let x = (mb_x * MB_SIZE * 4) as i32 + i32::from(mv.x);
        let luma_end = (x >> 2) + MB_SIZE as i32 + if x & 3 != 0 { 3 } else { 0 };
        // Chroma: the same number is in eighth chroma samples; bilinear
        // reads one more sample when fractional.
        let cx = (mb_x * MB_SIZE / 2 * 8) as i32 + i32::from(mv.x);
        let chroma_end = (cx >> 3) + (MB_SIZE / 2) as i32 + if cx & 7 != 0 { 1 } else { 0 };
        luma_end <= self.luma_end && chroma_end <= self.chroma_end
    }

    /// `mv` moved left, in whole samples, until it is allowed (vertical
    /// motion is free: the refreshed columns span the whole height).
    pub fn constrain(&self, mb_x: usize, mv: QpelMv) -> QpelMv {
        if self.allows(mb_x, mv) {
            return mv;
        }
        let mut x = i32::from(mv.x) & !3;
        // Whole-sample vectors need no taps: at most a few steps from the limit.
        let furthest = (self.luma_end - (mb_x * MB_SIZE) as i32 - MB_SIZE as i32) * 4;
        x = x.min(furthest);
        while x > -(motion_limit()) && !self.allows(mb_x, QpelMv::new(x as i16, mv.y)) {
            x -= 4;
        }
        QpelMv::new(x as i16, mv.y)
    }
}

fn motion_limit() -> i32 {
    asp_core::codec::macroblock::MV_LIMIT
}

/// Macroblock columns refreshed per frame, for a cycle of about `keyint`
/// frames over `mb_cols` columns.
fn refresh_band(mb_cols: usize, keyint: u32) -> usize {
    let frames = (keyint as usize).clamp(1, mb_cols.max(1));
    mb_cols.div_ceil(frames).max(1)
}

/// Frames in a refresh cycle over `mb_cols` columns.
fn refresh_frames(mb_cols: usize, keyint: u32) -> u16 {
    let frames = mb_cols.div_ceil(refresh_band(mb_cols, keyint));
    u16::try_from(frames).unwrap_or(u16::MAX)
}

/// Frame `step` of a refresh cycle. The band of intra columns overlaps the
/// previous frame's by one column on the left: the deblocking filter
/// changed the last 3 samples of that band from the unrefreshed side, so
/// the refreshed area ends a few samples before it (`luma_end`,
/// `chroma_end`: 4 samples of margin), and re-coding the column keeps a
/// still vector legal for every refreshed macroblock.
fn refresh_window(step: usize, mb_cols: usize, keyint: u32) -> RefreshWindow {
    let band = refresh_band(mb_cols, keyint);
    let start = (step * band).min(mb_cols);
    let end = ((step + 1) * band).min(mb_cols);
    RefreshWindow {
        intra_columns: start.saturating_sub(1)..end,
        refreshed_columns: start.saturating_sub(1),
        luma_end: (start * 16) as i32 - 4,
        chroma_end: (start * 8) as i32 - 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plans of `frames` frames, each coded as planned.
    fn run(gop: &mut Gop, frames: usize, mb_cols: usize) -> Vec<FramePlan> {
        (0..frames)
            .map(|i| {
                let plan = gop.plan(i > 0, mb_cols);
                gop.coded(&plan, mb_cols);
                plan
            })
            .collect()
    }

    fn keyframes(plans: &[FramePlan]) -> Vec<usize> {
        plans.iter().enumerate().filter(|(_, p)| p.keyframe).map(|(i, _)| i).collect()
    }

    #[test]
    fn keyframe_every_keyint_frames() {
        let plans = run(&mut Gop::new(3, false), 10, 20);
        assert_eq!(keyframes(&plans), [0, 3, 6, 9]);
        assert!(plans.iter().all(|p| p.refresh.is_none() && p.refresh_start.is_none()));
    }

    #[test]
    fn keyint_zero_means_only_the_first() {
        assert_eq!(keyframes(&run(&mut Gop::new(0, false), 50, 20)), [0]);
        assert_eq!(keyframes(&run(&mut Gop::new(0, true), 50, 20)), [0]);
        assert!(run(&mut Gop::new(0, true), 50, 20).iter().all(|p| p.refresh.is_none()));
    }

    #[test]
    fn a_requested_keyframe_is_the_next_frame_only_and_restarts_the_count() {
        let mut gop = Gop::new(4, false);
        let mut plans = run(&mut gop, 2, 20);
        gop.request_keyframe();
        for _ in 0..7 {
            let plan = gop.plan(true, 20);
            gop.coded(&plan, 20);
            plans.push(plan);
        }
        assert_eq!(keyframes(&plans), [0, 2, 6]);
    }

    #[test]
    fn losing_the_reference_makes_a_keyframe() {
        let mut gop = Gop::new(100, true);
        run(&mut gop, 5, 20);
        assert!(gop.plan(false, 20).keyframe);
    }

    #[test]
    fn intra_refresh_sweeps_every_column_once_per_cycle() {
        let (keyint, mb_cols) = (5, 12);
        let plans = run(&mut Gop::new(keyint, true), 30, mb_cols);
        // Only the first frame is a keyframe; cycles start keyint frames
        // after the keyframe, then keyint frames after each cycle start.
        assert_eq!(keyframes(&plans), [0]);
        let starts: Vec<usize> = plans.iter().enumerate().filter(|(_, p)| p.refresh_start.is_some()).map(|(i, _)| i).collect();
        assert_eq!(starts, [5, 10, 15, 20, 25]);
        let frames = usize::from(plans[5].refresh_start.unwrap());
        assert_eq!(frames, 4, "12 columns in bands of ceil(12 / 5) = 3");
        // One cycle: bands left to right, each overlapping the one before
        // by a column, together covering every column.
        let windows: Vec<&RefreshWindow> = plans[5..10].iter().map_while(|p| p.refresh.as_ref()).collect();
        assert_eq!(windows.len(), 4);
        assert_eq!(windows[0].intra_columns, 0..3);
        for pair in windows.windows(2) {
            assert_eq!(pair[1].intra_columns.start + 1, pair[0].intra_columns.end);
            assert_eq!(pair[1].refreshed_columns, pair[1].intra_columns.start);
        }
        assert_eq!(windows.last().unwrap().intra_columns.end, mb_cols);
        // The frame after the sweep refreshes nothing.
        assert!(plans[9].refresh.is_none());
    }

    #[test]
    fn a_keyframe_stops_a_running_cycle() {
        let mut gop = Gop::new(4, true);
        run(&mut gop, 5, 40);
        assert!(gop.plan(true, 40).refresh.is_some());
        gop.request_keyframe();
        let plan = gop.plan(true, 40);
        assert!(plan.keyframe && plan.refresh.is_none() && plan.refresh_start.is_none());
    }

    #[test]
    fn refreshed_columns_may_not_reach_unrefreshed_samples() {
        let window = refresh_window(2, 12, 4);
        assert_eq!((window.refreshed_columns, window.luma_end, window.chroma_end), (5, 92, 44));
        // Outside the refreshed columns anything goes.
        assert!(window.allows(5, QpelMv::new(400, 0)));
        // Inside: still is fine, and so is a step right up to the end of
        // the refreshed chroma (column 4's chroma ends at 40, 8 luma
        // samples right reaches 44), not beyond it; a fractional vector
        // reads one chroma sample more.
        assert!(window.allows(4, QpelMv::ZERO));
        assert!(window.allows(4, QpelMv::new(8 * 4, 0)));
        assert!(!window.allows(4, QpelMv::new(9 * 4, 0)));
        assert!(window.allows(4, QpelMv::new(8 * 4 - 1, 0)));
        assert!(!window.allows(4, QpelMv::new(8 * 4 + 1, 0)));
        // Vertical motion is free.
        assert!(window.allows(0, QpelMv::new(0, -200)));
        // Constraining moves a vector left until it is allowed.
        let mv = window.constrain(4, QpelMv::new(200, 8));
        assert_eq!(mv, QpelMv::new(8 * 4, 8));
    }
}
