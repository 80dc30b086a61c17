//! Rate control for live streaming: constant bitrate through a bounded
//! buffer.
//!
//! The model is a leaky bucket, as a network link sees it: every frame adds
//! its bits, every frame interval drains `bitrate / fps`, and the bucket
//! (the buffer, `buffer_seconds` of bitrate) must never overflow — a frame
//! that would overflow it is re-encoded at a higher QP. The QP of each
//! frame comes from a per-frame-type model `bits ≈ C · 2^(-QP/6)` (the
//! quantiser step doubles every 6 QP), with `C` learnt from the frames just
//! coded, aiming at a per-frame target that steers the buffer back towards
//! a tenth full (little queuing delay, the rest headroom). Keyframes get a
//! larger share, bounded by the room in the buffer.

use asp_core::codec::quant::Qp;

/// QP bounds the controller uses.
const QP_MIN: u8 = 4;
const QP_MAX: u8 = Qp::MAX.get();
/// Largest QP change between consecutive delta frames (steady quality).
const MAX_STEP: i32 = 4;
/// Buffer fullness the controller aims at, as a share of the buffer.
const TARGET_FULLNESS: f64 = 0.1;
/// How many delta frames' worth of bits a keyframe may take.
const KEYFRAME_SHARE: f64 = 6.0;

/// A CBR controller. See the module docs.
#[derive(Clone, Debug)]
pub struct RateControl {
    bitrate: f64,
    fps: f64,
    buffer_bits: f64,
    /// Bits in the bucket after the last frame.
    fullness: f64,
    /// `C` of the model for keyframes and delta frames (None until seen).
    complexity: [Option<f64>; 2],
    last_qp: [u8; 2],
}

impl RateControl {
    /// `bitrate` in bits per second, frame rate `fps`, buffer of
    /// `buffer_seconds` of bitrate.
    pub fn new(bitrate: u64, fps: f64, buffer_seconds: f64) -> RateControl {
        let bitrate = bitrate.max(1000) as f64;
        let fps = if fps.is_finite() && fps > 0.0 { fps } else { 25.0 };
        RateControl {
            bitrate,
            fps,
            buffer_bits: bitrate * buffer_seconds.clamp(0.1, 10.0),
            fullness: 0.0,
            complexity: [None, None],
            last_qp: [30, 30],
        }
    }

    /// Target bitrate in bits per second.
    pub fn bitrate(&self) -> u64 {
        self.bitrate as u64
    }

    /// Changes the target (a viewer's bandwidth changed). The buffer keeps
    /// its length in seconds.
    pub fn set_bitrate(&mut self, bitrate: u64) {
        let seconds = self.buffer_bits / self.bitrate;
        self.bitrate = bitrate.max(1000) as f64;
        self.buffer_bits = self.bitrate * seconds;
        self.fullness = self.fullness.min(self.buffer_bits);
    }

    fn per_frame(&self) -> f64 {
        self.bitrate / self.fps
    }

    /// The most bits the next frame may take without overflowing the buffer.
    pub fn max_frame_bits(&self) -> u64 {
        (self.buffer_bits - self.fullness + self.per_frame()).max(self.per_frame()) as u64
    }

    /// The QP to try for the next frame.
    pub fn frame_qp(&self, keyframe: bool) -> Qp {
        let kind = usize::from(!keyframe);
        // Steer the buffer towards a tenth full over about a second: low
        // fullness is low queuing delay, and the rest is headroom for
        // keyframes and scene changes.
        let drift = (self.buffer_bits * TARGET_FULLNESS - self.fullness) / self.fps.max(1.0);
        let mut target = self.per_frame() + drift;
        if keyframe {
            target = (target * KEYFRAME_SHARE).min(self.max_frame_bits() as f64 * 0.8);
        }
        let target = target.max(self.per_frame() * 0.2);
        let qp = match self.complexity[kind].or(self.complexity[1 - kind].map(|c| if keyframe { c * 4.0 } else { c / 4.0 })) {
            Some(c) => 6.0 * (c / target).log2(),
            // No history: a middle QP, corrected from the first frame on.
            None => 30.0,
        };
        let mut qp = qp.round().clamp(f64::from(QP_MIN), f64::from(QP_MAX)) as i32;
        if !keyframe && self.complexity[1].is_some() {
            let last = i32::from(self.last_qp[1]);
            qp = qp.clamp(last - MAX_STEP, last + MAX_STEP);
        }
        Qp::saturating(qp.clamp(i32::from(QP_MIN), i32::from(QP_MAX)))
    }

    /// A higher QP to retry a frame that came out at `bits`, over the limit.
    pub fn retry_qp(&self, qp: Qp, bits: u64) -> Qp {
        let over = bits as f64 / self.max_frame_bits().max(1) as f64;
        let step = (6.0 * over.log2()).ceil().max(2.0) as u8;
        Qp::saturating(i32::from(qp.get().saturating_add(step)))
    }

    /// Records a coded frame.
    pub fn update(&mut self, keyframe: bool, qp: Qp, bits: u64) {
        let kind = usize::from(!keyframe);
        let observed = bits.max(1) as f64 * 2f64.powf(f64::from(qp.get()) / 6.0);
        self.complexity[kind] = Some(match self.complexity[kind] {
            Some(c) => 0.5 * c + 0.5 * observed,
            None => observed,
        });
        self.last_qp[kind] = qp.get();
        self.fullness = (self.fullness + bits as f64 - self.per_frame()).max(0.0);
    }

    /// Bits in the buffer now.
    pub fn fullness(&self) -> u64 {
        self.fullness as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic encoder whose frames cost `c · 2^(-qp/6)` bits.
    fn simulate(rc: &mut RateControl, frames: usize, c_p: f64, keyint: usize) -> (f64, u64) {
        let mut total = 0.0;
        let mut largest = 0;
        for i in 0..frames {
            let key = i % keyint == 0;
            let c = if key { c_p * 5.0 } else { c_p };
            let mut qp = rc.frame_qp(key);
            let mut bits = (c * 2f64.powf(-f64::from(qp.get()) / 6.0)) as u64;
            while bits > rc.max_frame_bits() && qp < Qp::MAX {
                qp = rc.retry_qp(qp, bits);
                bits = (c * 2f64.powf(-f64::from(qp.get()) / 6.0)) as u64;
            }
            assert!(bits <= rc.max_frame_bits() || qp == Qp::MAX);
            rc.update(key, qp, bits);
            total += bits as f64;
            largest = largest.max(bits);
        }
        (total, largest)
    }

    #[test]
    fn holds_the_bitrate() {
        let mut rc = RateControl::new(2_000_000, 30.0, 1.0);
        let (total, _) = simulate(&mut rc, 600, 4e6, 60);
        let rate = total / 20.0;
        assert!((rate / 2e6 - 1.0).abs() < 0.05, "{rate}");
    }

    #[test]
    fn follows_a_bitrate_change() {
        let mut rc = RateControl::new(2_000_000, 30.0, 1.0);
        simulate(&mut rc, 300, 4e6, 60);
        rc.set_bitrate(500_000);
        simulate(&mut rc, 150, 4e6, 60);
        let (total, _) = simulate(&mut rc, 300, 4e6, 60);
        assert!((total / 10.0 / 5e5 - 1.0).abs() < 0.1);
    }
}
