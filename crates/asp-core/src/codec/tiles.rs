//! Tile geometry: how a frame's macroblocks are split into tiles.
//!
//! A frame of `mb_cols` x `mb_rows` macroblocks is cut into `columns` x
//! `rows` tiles with uniform spacing: tile column `i` starts at macroblock
//! column `i * mb_cols / columns` (integer division), and likewise for rows.
//! Each tile is coded as its own range-coder stream with its own models, and
//! nothing inside a frame is predicted across a tile edge (intra neighbours,
//! motion-vector predictors and entropy contexts all treat the other side
//! as unavailable), so tiles decode independently and in parallel. Only the
//! reference frame is shared.

use core::ops::Range;

/// A tile: a rectangle of macroblocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tile {
    /// Raster index of the tile in the grid.
    pub index: usize,
    /// Macroblock columns covered.
    pub mb_x: Range<usize>,
    /// Macroblock rows covered.
    pub mb_y: Range<usize>,
}

impl Tile {
    pub fn mb_count(&self) -> usize {
        self.mb_x.len() * self.mb_y.len()
    }
}

/// Why a tile grid does not fit a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileGridError {
    pub columns: usize,
    pub rows: usize,
    pub mb_cols: usize,
    pub mb_rows: usize,
}

impl core::fmt::Display for TileGridError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "a {}x{} tile grid does not fit {}x{} macroblocks (every tile needs at least one)",
            self.columns, self.rows, self.mb_cols, self.mb_rows
        )
    }
}

/// The tiles of a frame, in raster order. Every tile has at least one
/// macroblock, so a grid larger than the frame in macroblocks is an error.
pub fn tile_grid(
    mb_cols: usize,
    mb_rows: usize,
    columns: usize,
    rows: usize,
) -> Result<impl ExactSizeIterator<Item = Tile> + Clone, TileGridError> {
    if columns == 0 || rows == 0 || columns > mb_cols || rows > mb_rows {
        return Err(TileGridError { columns, rows, mb_cols, mb_rows });
    }
    let split = |i: usize, parts: usize, total: usize| i * total / parts;
    Ok((0..columns * rows).map(move |index| {
        let (c, r) = (index % columns, index / columns);
        Tile {
            index,
            mb_x: split(c, columns, mb_cols)..split(c + 1, columns, mb_cols),
            mb_y: split(r, rows, mb_rows)..split(r + 1, rows, mb_rows),
        }
    }))
}

/// The tile grid the encoder picks for a frame: roughly one tile per
/// `target_mbs` macroblocks, an even count when more than one (two cores,
/// the common case, then share the frame evenly), at most `max_tiles`;
/// rows before columns (row tiles keep rows of macroblocks whole, which
/// suits the cache).
pub fn default_grid(mb_cols: usize, mb_rows: usize, target_mbs: usize, max_tiles: usize) -> (usize, usize) {
    let wanted = (mb_cols * mb_rows).div_ceil(target_mbs.max(1));
    let wanted = if wanted > 1 { wanted.next_multiple_of(2) } else { wanted };
    let wanted = wanted.clamp(1, max_tiles.max(1));
    let rows = wanted.min(mb_rows).max(1);
    let columns = (wanted / rows).clamp(1, mb_cols);
    (columns, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    #[test]
    fn tiles_cover_every_macroblock_once() {
        for (mb_cols, mb_rows, columns, rows) in [(80, 45, 1, 1), (80, 45, 4, 3), (7, 5, 7, 5), (120, 68, 3, 8)] {
            let mut seen = vec![0u8; mb_cols * mb_rows];
            for tile in tile_grid(mb_cols, mb_rows, columns, rows).unwrap() {
                assert!(tile.mb_count() > 0);
                for y in tile.mb_y.clone() {
                    for x in tile.mb_x.clone() {
                        seen[y * mb_cols + x] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1));
        }
    }

    #[test]
    fn grids_larger_than_the_frame_are_refused() {
        assert!(tile_grid(4, 4, 5, 1).is_err());
        assert!(tile_grid(4, 4, 1, 0).is_err());
        let tiles: Vec<_> = tile_grid(1, 1, 1, 1).unwrap().collect();
        assert_eq!(tiles.len(), 1);
    }

    #[test]
    fn default_grid_fits() {
        let (c, r) = default_grid(80, 45, 400, 64);
        assert!(c * r >= 8 && c <= 80 && r <= 45);
        assert_eq!(default_grid(1, 1, 400, 64), (1, 1));
        // Even counts above one: 5 wanted, 6 made; 1 stays 1.
        assert_eq!(default_grid(80, 45, 800, 64), (1, 6));
        assert_eq!(default_grid(40, 17, 800, 64), (1, 1));
        assert_eq!(default_grid(80, 45, 400, 5), (1, 5));
    }
}
