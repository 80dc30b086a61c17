//! Steady-state packet writing allocates nothing: the writer reuses its
//! builder and output buffer. Counted with a global allocator wrapper, per
//! thread (the test harness's own threads allocate when they like).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use asp_core::packet::{DFrame, IFrame, PacketWriter, StreamInfo, TileSet};
use asp_core::schema::MotionVector;

struct Counting;

thread_local! {
    // Const-initialised: reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steady_state_writing_does_not_allocate() {
    let tiles = vec![0x5au8; 50_000];
    let sizes = [20_000u32, 30_000];
    let mvs: Vec<MotionVector> = (0..3600u16).map(|i| MotionVector::new(i % 80, i / 80, 1, 1, 5)).collect();
    let key = IFrame {
        tiles: TileSet { columns: 2, rows: 1, sizes: &sizes, data: &tiles },
        ..IFrame::new(StreamInfo::new(1280, 720, 30))
    };
    let delta = DFrame { tiles: TileSet { columns: 2, rows: 1, sizes: &sizes, data: &tiles }, motion_vectors: &mvs, ..DFrame::default() };
    let mut writer = PacketWriter::new();
    // Warm up: buffers grow to the largest packet.
    for seq in 0..3 {
        writer.write_i(seq, 0, &key).unwrap();
        writer.write_d(seq, 0, &delta).unwrap();
    }
    let before = allocations();
    let mut total = 0usize;
    for seq in 3..100 {
        total += writer.write_i(seq, 0, &key).unwrap().len();
        total += writer.write_d(seq, 0, &delta).unwrap().len();
    }
    let after = allocations();
    assert!(total > 0);
    assert_eq!(after - before, 0, "writer allocated in steady state");
}
