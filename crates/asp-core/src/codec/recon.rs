//! Macroblock reconstruction, shared by the encoder and the decoder:
//! prediction (intra, pattern or motion-compensated) and residual addition.
//!
//! A tile is reconstructed into buffers only it writes ([`TilePlanes`]: its
//! own, or its band of the frame's rows), so tiles run in parallel without
//! sharing mutable memory; intra prediction reads
//! only inside the tile (which is what makes tiles independent), motion
//! compensation reads the whole reference frame.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::DerefMut;

use super::chroma_mc::predict_chroma;
use super::frame::{Frame, MB_SIZE};
use super::interpolate::LumaWindow;
use super::intra::{self, Neighbours};
use super::macroblock::{MbHeader, MbInfo, MbLevels, MbMode, TileMbs};
use super::mv::QpelMv;
use super::plane::PlaneRef;
use super::quant::{self, Qp, Quantiser};
use super::tiles::Tile;
use super::transform::Kernels;

/// The samples of one tile: luma `16 * mb_cols` wide, chroma half that.
/// In buffers of its own (`Vec<u8>`), or, for a tile as wide as the frame,
/// in the frame's own rows (`&mut [u8]`), which then need no copy.
#[derive(Clone, Debug)]
pub struct TilePlanes<B = Vec<u8>> {
    pub tile: Tile,
    pub y: B,
    pub u: B,
    pub v: B,
}

/// Where a tile's samples can live: any owned or borrowed run of bytes.
pub trait Samples: DerefMut<Target = [u8]> {}

impl<B: DerefMut<Target = [u8]>> Samples for B {}

impl<B: Samples> TilePlanes<B> {
    pub fn luma_stride(&self) -> usize {
        self.tile.mb_x.len() * MB_SIZE
    }

    pub fn chroma_stride(&self) -> usize {
        self.luma_stride() / 2
    }

    /// Whether the buffers hold exactly the tile's samples (reconstruction
    /// indexes them by the tile's geometry).
    pub fn fits_tile(&self) -> bool {
        let luma = self.tile.mb_count() * MB_SIZE * MB_SIZE;
        self.y.len() == luma && self.u.len() == luma / 4 && self.v.len() == luma / 4
    }
}

impl TilePlanes {
    pub fn new(tile: Tile) -> TilePlanes {
        let luma = tile.mb_count() * MB_SIZE * MB_SIZE;
        TilePlanes { tile, y: vec![0; luma], u: vec![0; luma / 4], v: vec![0; luma / 4] }
    }

    /// A tile with no buffers yet ([`reset`](Self::reset) sizes them).
    pub fn empty(tile: Tile) -> TilePlanes {
        TilePlanes { tile, y: Vec::new(), u: Vec::new(), v: Vec::new() }
    }

    /// Re-targets the buffers at `tile`, keeping their allocations (the
    /// samples are all overwritten by decoding).
    pub fn reset(&mut self, tile: Tile) {
        let luma = tile.mb_count() * MB_SIZE * MB_SIZE;
        self.y.resize(luma, 0);
        self.u.resize(luma / 4, 0);
        self.v.resize(luma / 4, 0);
        self.tile = tile;
    }

    /// Copies the tile into its place in `frame`.
    pub fn store(&self, frame: &mut Frame) {
        let (ls, cs) = (self.luma_stride(), self.chroma_stride());
        let (fls, fcs) = (frame.luma_stride(), frame.chroma_stride());
        let (x0, y0) = (self.tile.mb_x.start * MB_SIZE, self.tile.mb_y.start * MB_SIZE);
        for (row, src) in self.y.chunks_exact(ls).enumerate() {
            let start = (y0 + row) * fls + x0;
            if let Some(dst) = frame.y.get_mut(start..start + ls) {
                dst.copy_from_slice(src);
            }
        }
        for (plane, dst_plane) in [(&self.u, &mut frame.u), (&self.v, &mut frame.v)] {
            for (row, src) in plane.chunks_exact(cs).enumerate() {
                let start = (y0 / 2 + row) * fcs + x0 / 2;
                if let Some(dst) = dst_plane.get_mut(start..start + cs) {
                    dst.copy_from_slice(src);
                }
            }
        }
    }
}

/// Chroma QP for a luma QP: H.264's table (chroma is quantised more gently
/// at high QP, where it would otherwise wash out).
pub fn chroma_qp(qp: Qp) -> Qp {
    const TABLE: [u8; 22] = [29, 30, 31, 32, 32, 33, 34, 34, 35, 35, 36, 36, 37, 37, 37, 38, 38, 38, 39, 39, 39, 39];
    match qp.get() {
        q @ 0..=29 => Qp::saturating(q as i32),
        q => Qp::saturating(i32::from(TABLE.get(usize::from(q - 30)).copied().unwrap_or(39))),
    }
}

/// Reusable scratch for prediction.
pub struct Predictor {
    window: LumaWindow,
}

impl Default for Predictor {
    fn default() -> Self {
        Predictor::new()
    }
}

impl Predictor {
    pub fn new() -> Predictor {
        Predictor { window: LumaWindow::new() }
    }

    /// Writes the prediction of the macroblock at frame position (mb_x,
    /// mb_y) into `planes` (the tile being reconstructed). Inter modes use
    /// `info.mvs` (for a skipped macroblock, its predicted vector) and read
    /// `reference`; without one (a damaged stream) they predict mid-grey.
    pub fn predict(
        &mut self,
        planes: &mut TilePlanes<impl Samples>,
        mode: &MbMode,
        info: &MbInfo,
        mb_x: usize,
        mb_y: usize,
        reference: Option<&Frame>,
    ) {
        let (lx, ly) = ((mb_x - planes.tile.mb_x.start) * MB_SIZE, (mb_y - planes.tile.mb_y.start) * MB_SIZE);
        let (ls, cs) = (planes.luma_stride(), planes.chroma_stride());
        match *mode {
            MbMode::Skip | MbMode::Inter16(_) | MbMode::Inter8(_) => {
                let Some(reference) = reference else {
                    fill(&mut planes.y[ly * ls + lx..], ls, 16, 128);
                    fill(&mut planes.u[ly / 2 * cs + lx / 2..], cs, 8, 128);
                    fill(&mut planes.v[ly / 2 * cs + lx / 2..], cs, 8, 128);
                    return;
                };
                self.predict_inter(planes, reference, mb_x, mb_y, &info.mvs, info.split);
            }
            MbMode::Intra { luma, chroma } => {
                let plane = view(&planes.y, ls);
                let nb = Neighbours::<16>::gather(&plane, lx, ly, true, true);
                let mut block = [[0u8; 16]; 16];
                intra::predict(luma, &nb, &mut block);
                put(&mut planes.y, ls, lx, ly, &block);
                predict_chroma_intra(planes, chroma, lx, ly);
            }
            // Luma quarters are predicted one by one, each after the residual
            // of the one before is added: see `reconstruct_intra8_luma`.
            MbMode::Intra8 { chroma, .. } => predict_chroma_intra(planes, chroma, lx, ly),
            MbMode::Pattern { luma, cb, cr } => {
                let mut block = [[0u8; 16]; 16];
                luma.fill_block(&mut block);
                put(&mut planes.y, ls, lx, ly, &block);
                fill(&mut planes.u[ly / 2 * cs + lx / 2..], cs, 8, cb);
                fill(&mut planes.v[ly / 2 * cs + lx / 2..], cs, 8, cr);
            }
        }
    }

    /// Motion-compensated prediction with one vector per 8x8 quarter
    /// (`split`) or one for the macroblock (`mvs[0]`).
    pub fn predict_inter(
        &mut self,
        planes: &mut TilePlanes<impl Samples>,
        reference: &Frame,
        mb_x: usize,
        mb_y: usize,
        mvs: &[QpelMv; 4],
        split: bool,
    ) {
        self.predict_inter_luma(planes, reference, mb_x, mb_y, mvs, split);
        predict_inter_chroma(planes, reference, mb_x, mb_y, mvs, split);
    }

    /// The luma half of [`predict_inter`](Self::predict_inter).
    fn predict_inter_luma(
        &mut self,
        planes: &mut TilePlanes<impl Samples>,
        reference: &Frame,
        mb_x: usize,
        mb_y: usize,
        mvs: &[QpelMv; 4],
        split: bool,
    ) {
        let (lx, ly) = ((mb_x - planes.tile.mb_x.start) * MB_SIZE, (mb_y - planes.tile.mb_y.start) * MB_SIZE);
        let ls = planes.luma_stride();
        let (fx, fy) = (mb_x * MB_SIZE, mb_y * MB_SIZE);
        let luma = reference.luma();
        let size = if split { 8 } else { 16 };
        for &(ox, oy, q) in partitions(split) {
            let mv = mvs[q];
            let (x_qpel, y_qpel) = mv.qpel_position(fx + ox, fy + oy);
            let out = &mut planes.y[(ly + oy) * ls + lx + ox..];
            // Sizes and strides are valid by construction; a failure would
            // only leave the previous samples in place.
            let _ = self.window.predict_block(&luma, x_qpel, y_qpel, size, size, out, ls);
        }
    }
}

/// The luma offsets and vector index of each motion partition.
fn partitions(split: bool) -> &'static [(usize, usize, usize)] {
    if split {
        &[(0, 0, 0), (8, 0, 1), (0, 8, 2), (8, 8, 3)]
    } else {
        &[(0, 0, 0)]
    }
}

/// The chroma half of [`Predictor::predict_inter`]: the luma vectors, in
/// eighth chroma samples. Public for encoders that form the luma half
/// from their own interpolated reference.
pub fn predict_inter_chroma(planes: &mut TilePlanes<impl Samples>, reference: &Frame, mb_x: usize, mb_y: usize, mvs: &[QpelMv; 4], split: bool) {
    let (lx, ly) = ((mb_x - planes.tile.mb_x.start) * MB_SIZE, (mb_y - planes.tile.mb_y.start) * MB_SIZE);
    let cs = planes.chroma_stride();
    let (fx, fy) = (mb_x * MB_SIZE, mb_y * MB_SIZE);
    let size = if split { 8 } else { 16 };
    for &(ox, oy, q) in partitions(split) {
        let mv = mvs[q];
        for (chroma_out, chroma_ref) in [(&mut planes.u, reference.cb()), (&mut planes.v, reference.cr())] {
            let out = &mut chroma_out[(ly + oy) / 2 * cs + (lx + ox) / 2..];
            let (x, y) = ((fx + ox) / 2, (fy + oy) / 2);
            predict_chroma(&chroma_ref, x, y, i32::from(mv.x), i32::from(mv.y), size / 2, size / 2, out, cs);
        }
    }
}

/// Chroma intra prediction of the macroblock whose luma is at (lx, ly) in
/// the tile's planes.
fn predict_chroma_intra(planes: &mut TilePlanes<impl Samples>, mode: intra::IntraMode, lx: usize, ly: usize) {
    let cs = planes.chroma_stride();
    for chroma_plane in [&mut planes.u, &mut planes.v] {
        let plane = view(chroma_plane, cs);
        let nb = Neighbours::<8>::gather(&plane, lx / 2, ly / 2, true, true);
        let mut block = [[0u8; 8]; 8];
        intra::predict(mode, &nb, &mut block);
        put(chroma_plane, cs, lx / 2, ly / 2, &block);
    }
}

/// Predicts one 8x8 luma quarter of an `Intra8` macroblock at (mb_x, mb_y)
/// from the reconstruction so far.
pub fn predict_intra8_quarter(planes: &mut TilePlanes<impl Samples>, mode: intra::IntraMode, mb_x: usize, mb_y: usize, q: usize) {
    let ls = planes.luma_stride();
    let x = (mb_x - planes.tile.mb_x.start) * MB_SIZE + (q % 2) * 8;
    let y = (mb_y - planes.tile.mb_y.start) * MB_SIZE + (q / 2) * 8;
    let plane = view(&planes.y, ls);
    let nb = Neighbours::<8>::gather(&plane, x, y, true, true);
    let mut block = [[0u8; 8]; 8];
    intra::predict(mode, &nb, &mut block);
    put(&mut planes.y, ls, x, y, &block);
}

/// Reconstructs the luma of an `Intra8` macroblock: each quarter predicted
/// from what is reconstructed before it, then its residual (if `cbp` has
/// it) added.
#[allow(clippy::too_many_arguments)]
pub fn reconstruct_intra8_luma(
    kernels: Kernels,
    planes: &mut TilePlanes<impl Samples>,
    modes: &[intra::IntraMode; 4],
    luma_levels: &[[i32; 64]; 4],
    cbp: u8,
    qp: Qp,
    transform_4x4: bool,
    mb_x: usize,
    mb_y: usize,
) {
    let ls = planes.luma_stride();
    for (q, (&mode, levels)) in modes.iter().zip(luma_levels).enumerate() {
        predict_intra8_quarter(planes, mode, mb_x, mb_y, q);
        if cbp >> q & 1 == 1 {
            let x = (mb_x - planes.tile.mb_x.start) * MB_SIZE + (q % 2) * 8;
            let y = (mb_y - planes.tile.mb_y.start) * MB_SIZE + (q / 2) * 8;
            add_luma_residual(kernels, levels, qp, transform_4x4, &mut planes.y[y * ls + x..], ls);
        }
    }
}

/// Adds one 8x8 luma block's residual, coded as one 8x8 transform or as
/// four 4x4 ones (see [`MbLevels`]).
pub fn add_luma_residual(kernels: Kernels, levels: &[i32; 64], qp: Qp, transform_4x4: bool, dst: &mut [u8], stride: usize) {
    if transform_4x4 {
        add_residual_4x4s(kernels, levels, qp, dst, stride);
    } else {
        add_residual_8x8(kernels, levels, qp, dst, stride);
    }
}

/// Adds the residual of the four 4x4 blocks of an 8x8 block (raster order,
/// 16 levels each in 4x4 scan order) to the prediction at `dst`.
pub fn add_residual_4x4s(kernels: Kernels, levels: &[i32; 64], qp: Qp, dst: &mut [u8], stride: usize) {
    let quantiser = &Quantiser::FLAT;
    for (b, sub) in levels.chunks_exact(16).enumerate() {
        let Some(dst) = dst.get_mut((b / 2) * 4 * stride + (b % 2) * 4..) else { continue };
        match sub.iter().rposition(|&l| l != 0) {
            None => {}
            Some(0) => {
                let dc = quantiser.dequantise_level_4x4(sub[0], 0, qp);
                let _ = kernels.inverse_add_dc_4x4(dc, dst, stride);
            }
            Some(last) => {
                let mut coeffs = [0i32; 16];
                for (&level, &raster) in sub[..=last].iter().zip(&quant::ZIGZAG_4X4) {
                    if level != 0 {
                        let raster = usize::from(raster);
                        coeffs[raster] = quantiser.dequantise_level_4x4(level, raster, qp);
                    }
                }
                let _ = kernels.inverse_add_4x4(&coeffs, dst, stride);
            }
        }
    }
}

/// Adds one 8x8 block's residual, given its levels in scan order, to the
/// prediction at `dst` (row stride `stride`). Only coded levels are
/// dequantised, and a block with only a DC level takes the DC-only inverse
/// (both exactly equal to the full computation, and much cheaper: most
/// coded blocks have a handful of levels).
pub fn add_residual_8x8(kernels: Kernels, levels_in_scan: &[i32; 64], qp: Qp, dst: &mut [u8], stride: usize) {
    let quantiser = &Quantiser::FLAT;
    let last = levels_in_scan.iter().rposition(|&l| l != 0);
    match last {
        None => {}
        Some(0) => {
            let dc = quantiser.dequantise_level_8x8(levels_in_scan[0], 0, qp);
            let _ = kernels.inverse_add_dc_8x8(dc, dst, stride);
        }
        Some(last) => {
            let mut coeffs = zeroed_coefficients();
            for (&level, &raster) in levels_in_scan[..=last].iter().zip(&quant::ZIGZAG_8X8) {
                if level != 0 {
                    let raster = usize::from(raster);
                    coeffs[raster] = quantiser.dequantise_level_8x8(level, raster, qp);
                }
            }
            let _ = kernels.inverse_add_8x8(&coeffs, dst, stride);
        }
    }
}

/// Completes a predicted macroblock with its residual: adds the blocks
/// flagged in the header's `cbp`, and for `Intra8` reconstructs the luma
/// quarters in order (each predicted from the ones before). The encoder
/// and the decoder both call this, so they reconstruct with the same code.
/// `kernels` is chosen once per tile (every twin gives the same samples).
pub fn reconstruct_residual(
    kernels: Kernels,
    planes: &mut TilePlanes<impl Samples>,
    header: &MbHeader,
    levels: &MbLevels,
    mb_x: usize,
    mb_y: usize,
) {
    let (cbp, qp) = (header.cbp, header.qp);
    if let MbMode::Intra8 { luma, .. } = header.mode {
        reconstruct_intra8_luma(kernels, planes, &luma, &levels.luma, cbp, qp, header.transform_4x4, mb_x, mb_y);
    } else if cbp & 0x0F != 0 {
        let (lx, ly) = ((mb_x - planes.tile.mb_x.start) * MB_SIZE, (mb_y - planes.tile.mb_y.start) * MB_SIZE);
        let ls = planes.luma_stride();
        for (q, block) in levels.luma.iter().enumerate() {
            if cbp >> q & 1 == 1 {
                let (x, y) = (lx + (q % 2) * 8, ly + (q / 2) * 8);
                add_luma_residual(kernels, block, qp, header.transform_4x4, &mut planes.y[y * ls + x..], ls);
            }
        }
    }
    add_chroma_residual(kernels, planes, mb_x, mb_y, cbp, qp, levels);
}

/// Adds the chroma blocks flagged in `cbp`.
fn add_chroma_residual(kernels: Kernels, planes: &mut TilePlanes<impl Samples>, mb_x: usize, mb_y: usize, cbp: u8, qp: Qp, levels: &MbLevels) {
    let (lx, ly) = ((mb_x - planes.tile.mb_x.start) * MB_SIZE, (mb_y - planes.tile.mb_y.start) * MB_SIZE);
    let cs = planes.chroma_stride();
    let cqp = chroma_qp(qp);
    for (plane, block) in levels.chroma.iter().enumerate() {
        if cbp >> (4 + plane) & 1 == 1 {
            let dst = if plane == 0 { &mut planes.u } else { &mut planes.v };
            add_residual_8x8(kernels, block, cqp, &mut dst[ly / 2 * cs + lx / 2..], cs);
        }
    }
}

/// Copies a tile's macroblock infos into the frame-wide grid.
pub fn place_infos(infos: &mut [MbInfo], mb_cols: usize, mbs: &TileMbs) {
    let tile = mbs.tile();
    for (i, info) in mbs.infos().iter().enumerate() {
        let (x, y) = (tile.mb_x.start + i % tile.mb_x.len(), tile.mb_y.start + i / tile.mb_x.len());
        if let Some(slot) = infos.get_mut(y * mb_cols + x) {
            *slot = *info;
        }
    }
}

/// 64 zero coefficients. On wasm32, LLVM turns `[0; 64]` (256 bytes) into
/// a `memory.fill`, which V8 runs as a call out of the wasm code, once per
/// coded 8x8 block; a zero it cannot see through makes it 16 vector stores
/// instead (with simd128; 64 word stores without). Elsewhere the memset is
/// inlined anyway.
#[inline(always)]
fn zeroed_coefficients() -> [i32; 64] {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        let zero = core::arch::wasm32::i32x4_splat(core::hint::black_box(0));
        // SAFETY: both are 256 bytes of plain integers (any bits are valid).
        unsafe { core::mem::transmute::<[core::arch::wasm32::v128; 16], [i32; 64]>([zero; 16]) }
    }
    #[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
    {
        [core::hint::black_box(0); 64]
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        [0; 64]
    }
}

fn view(data: &[u8], stride: usize) -> PlaneRef<'_> {
    let height = data.len() / stride.max(1);
    match PlaneRef::new(data, stride, height, stride) {
        Ok(p) => p,
        Err(_) => unreachable!("tile planes are whole macroblocks"),
    }
}

fn put<const N: usize>(dst: &mut [u8], stride: usize, x: usize, y: usize, block: &[[u8; N]; N]) {
    for (row, src) in block.iter().enumerate() {
        if let Some(d) = dst.get_mut((y + row) * stride + x..(y + row) * stride + x + N) {
            d.copy_from_slice(src);
        }
    }
}

fn fill(dst: &mut [u8], stride: usize, size: usize, value: u8) {
    for row in dst.chunks_mut(stride).take(size) {
        let n = size.min(row.len());
        row[..n].fill(value);
    }
}
