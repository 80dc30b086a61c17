//! The in-loop filter over the encoder's reconstruction, split the way the
//! decoder splits it for tiles as wide as the frame (asp-core's
//! `decoder.rs`): each tile filters every edge inside it on its own worker
//! right after it is coded, and the horizontal edges where two tiles meet
//! are filtered once all are stored. Both filters' edges are independent
//! within a pass and no edge reads a sample another one writes across a
//! seam, so the result is, bit for bit, `deblock_frame`'s; grids with more
//! than one column run `deblock_frame` itself.

use asp_core::codec::deblock::{block_infos, Band, BlockInfo, DeblockParams, Deblocker, PlaneKind};
use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::codec::macroblock::TileMbs;
use asp_core::codec::plane_mut::{FramePlanes, PlaneMut};
use asp_core::codec::recon::TilePlanes;
use asp_core::codec::tiles::Tile;

/// Filters every edge inside a full-width tile's reconstruction (not its
/// top edge, which it shares with the tile above).
pub(super) fn deblock_tile_inside(planes: &mut TilePlanes, mbs: &TileMbs) {
    let (ls, cs) = (planes.luma_stride(), planes.chroma_stride());
    let rows = planes.tile.mb_y.len() * MB_SIZE;
    let mut blocks =
        vec![BlockInfo::default(); planes.tile.mb_x.len() * 2 * planes.tile.mb_y.len() * 2];
    block_infos(mbs.infos(), planes.tile.mb_x.len(), &mut blocks);
    // The tile's geometry comes from the frame and its grid, so the views
    // and the filter accept it. Were it not so, the reconstruction would
    // differ from the decoder's: loud in debug builds, and caught by the
    // round-trip tests in any build.
    match (
        Deblocker::new(&blocks, ls, rows, DeblockParams::default()),
        PlaneMut::new(&mut planes.y, ls, rows, ls),
        PlaneMut::new(&mut planes.u, cs, rows / 2, cs),
        PlaneMut::new(&mut planes.v, cs, rows / 2, cs),
    ) {
        (Ok(deblocker), Ok(y), Ok(u), Ok(v)) => {
            let filtered = deblocker.deblock(&mut FramePlanes { y, u, v });
            debug_assert!(filtered.is_ok(), "a tile's deblocking failed: {filtered:?}");
        }
        refused => debug_assert!(false, "a tile's deblocking refused its geometry: {refused:?}"),
    }
}

/// Filters the horizontal edges where the full-width `tiles` (top to
/// bottom) meet, in `frame` holding their insides filtered; `blocks` are
/// the frame's 8x8 block infos.
pub(super) fn deblock_tile_seams(frame: &mut Frame, blocks: &[BlockInfo], tiles: &[Tile]) {
    let (width, height) = (frame.mb_cols() * MB_SIZE, frame.mb_rows() * MB_SIZE);
    // As in `deblock_tile_inside`: the frame's own geometry cannot be refused.
    let Ok(deblocker) = Deblocker::new(blocks, width, height, DeblockParams::default()) else {
        debug_assert!(false, "the seams' deblocker refused the frame's geometry");
        return;
    };
    let Ok(planes) = FramePlanes::from_frame(frame) else {
        debug_assert!(false, "a frame's planes refused their own geometry");
        return;
    };
    for (kind, plane, scale) in [
        (PlaneKind::Luma, planes.y, 1),
        (PlaneKind::Chroma, planes.u, 2),
        (PlaneKind::Chroma, planes.v, 2),
    ] {
        let mut band = Band::whole(plane);
        for tile in tiles.iter().skip(1) {
            let seam = tile.mb_y.start * MB_SIZE / scale;
            let filtered = deblocker.filter_horizontal_edges(kind, &mut band, seam..seam + 1);
            debug_assert!(filtered.is_ok(), "a tile seam's deblocking failed: {filtered:?}");
        }
    }
}
