//! The seed's promise for its writers: `write_to_buffer` into a buffer
//! kept across frames and `serialize_into` a fixed array allocate nothing
//! once warm. Counted per thread with a global allocator wrapper.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use libasp::{AspPacket, DPacketPayload, IPacketPayload, MotionVector};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn steady_state_writing_allocates_nothing() {
    let key = AspPacket::create_i_packet(1, IPacketPayload::new(1920, 1080, 30.0)).unwrap();
    let mut payload = DPacketPayload::new(1);
    for i in 0..8160u16 {
        payload.add_motion_vector(MotionVector::new(i % 120, i / 120, (i % 7) as i16 - 3, 1, u32::from(i)));
    }
    let delta = AspPacket::create_d_packet(2, payload).unwrap();
    let mut buffer = Vec::with_capacity(1 << 17);
    let mut fixed = [0u8; 1 << 17];
    // Warm: this thread's writer grows to the largest packet once.
    delta.write_to_buffer(&mut buffer).unwrap();
    key.write_to_buffer(&mut buffer).unwrap();

    let before = allocations();
    for _ in 0..50 {
        let n = delta.write_to_buffer(&mut buffer).unwrap();
        assert_eq!(delta.serialize_into(&mut fixed).unwrap(), n);
        key.write_to_buffer(&mut buffer).unwrap();
        key.serialize_into(&mut fixed).unwrap();
    }
    assert_eq!(allocations() - before, 0);
    assert_eq!(AspPacket::parse(&buffer).unwrap(), key);
}
