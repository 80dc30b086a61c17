//! The receive buffer: bytes as the transport delivers them, packets out.
//!
//! asp-core's `PacketReader` copies every chunk it is given into its own
//! buffer; in the browser the chunk lives in JS memory, so that would mean
//! two copies (JS → a temporary in wasm memory → the reader). This buffer
//! instead hands out its free tail to be filled straight from the JS array
//! (`Uint8Array.prototype.set`, one copy), and packets are then parsed and
//! decoded in place with the zero-copy [`Packet`] view.
//!
//! Scanning follows `PacketReader`'s rules (a header that may still grow
//! waits; anything else that does not start a valid packet is skipped up to
//! the next magic; a damaged span is reported once, where it starts), with
//! no end of stream: a live stream has none, and a tail waits for its rest.
//!
//! Bytes move again only in one case: when a packet is split across chunks
//! and the buffer has no free room at its end, its first part is moved to
//! the front (at most one packet's worth, and rarely).

use std::collections::VecDeque;

use asp_core::packet::{Header, Packet, PacketError, PacketType, HEADER_LEN, MAGIC};
use asp_core::Limits;

/// What the scanner found, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A packet that passed every check, at `offset` in the stream.
    Packet { offset: u64, len: usize, picture: bool },
    /// Bytes from `offset` on were not a valid packet (one item per
    /// damaged span, however long).
    Damaged { offset: u64, error: PacketError },
    /// The caller pushed faster than it decoded: the buffered packets were
    /// dropped to bound memory.
    Overflow { packets: usize, pictures: usize },
}

/// The buffer. See the module documentation.
#[derive(Debug)]
pub struct StreamBuffer {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// Index in `buf` of the first byte not yet scanned.
    scan: usize,
    queue: VecDeque<Item>,
    /// Picture (I and D) packets in `queue`.
    pictures: usize,
    /// Inside a damaged span already reported.
    in_damage: bool,
    damaged_bytes: u64,
    limits: Limits,
    /// When more than this many bytes wait in the queue at a push, they
    /// are dropped (see [`Item::Overflow`]).
    max_queued: usize,
}

/// A chunk could not be buffered: memory is exhausted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    pub requested: usize,
}

impl StreamBuffer {
    pub fn new(limits: Limits) -> StreamBuffer {
        let max_packet = HEADER_LEN + limits.max_payload_len as usize + 4;
        StreamBuffer {
            buf: Vec::new(),
            base: 0,
            scan: 0,
            queue: VecDeque::new(),
            pictures: 0,
            in_damage: false,
            damaged_bytes: 0,
            limits,
            max_queued: (64usize << 20).max(2 * max_packet),
        }
    }

    /// Appends `len` bytes written by `fill` (which gets a slice of exactly
    /// `len` bytes of this buffer), then scans them.
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), OutOfMemory> {
        if len == 0 {
            return Ok(());
        }
        self.bound_queue();
        self.make_room(len)?;
        let old = self.buf.len();
        self.buf.resize(old + len, 0);
        fill(&mut self.buf[old..]);
        self.scan_all();
        Ok(())
    }

    /// Appends a copy of `bytes` (native callers and tests).
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), OutOfMemory> {
        self.push_with(bytes.len(), |dst| dst.copy_from_slice(bytes))
    }

    /// The next item, in stream order.
    pub fn pop(&mut self) -> Option<Item> {
        let item = self.queue.pop_front()?;
        if let Item::Packet { picture: true, .. } = item {
            self.pictures -= 1;
        }
        Some(item)
    }

    /// The bytes of a packet item just popped; valid until the next push.
    pub fn bytes(&self, offset: u64, len: usize) -> &[u8] {
        let start = offset.checked_sub(self.base).and_then(|s| usize::try_from(s).ok()).unwrap_or(usize::MAX);
        self.buf.get(start..start.saturating_add(len)).unwrap_or(&[])
    }

    /// I and D packets waiting to be decoded.
    pub fn pictures_ready(&self) -> usize {
        self.pictures
    }

    /// Items (packets and damage reports) waiting.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Bytes held, scanned or not.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.keep_from()
    }

    /// Bytes skipped as damaged so far.
    pub fn damaged_bytes(&self) -> u64 {
        self.damaged_bytes
    }

    /// Forgets everything buffered and queued (a seek, a new connection).
    pub fn clear(&mut self) {
        self.base += self.buf.len() as u64;
        self.buf.clear();
        self.scan = 0;
        self.queue.clear();
        self.pictures = 0;
        self.in_damage = false;
    }

    /// Index in `buf` of the first byte still needed: the first queued
    /// packet, else the first unscanned byte.
    fn keep_from(&self) -> usize {
        for item in &self.queue {
            if let Item::Packet { offset, .. } = item {
                return (offset - self.base) as usize;
            }
        }
        self.scan
    }

    /// Drops queued packets when too many bytes of them wait.
    fn bound_queue(&mut self) {
        if self.scan - self.keep_from() <= self.max_queued {
            return;
        }
        let mut packets = 0;
        let pictures = self.pictures;
        self.queue.retain(|item| {
            let drop = matches!(item, Item::Packet { .. });
            packets += usize::from(drop);
            !drop
        });
        self.pictures = 0;
        self.queue.push_back(Item::Overflow { packets, pictures });
    }

    /// Makes room for `len` more bytes, moving only what is still needed
    /// and only when the free tail is too short.
    fn make_room(&mut self, len: usize) -> Result<(), OutOfMemory> {
        let keep = self.keep_from();
        if keep == self.buf.len() {
            self.base += keep as u64;
            self.buf.clear();
            self.scan = 0;
        } else if self.buf.capacity() - self.buf.len() < len && keep > 0 {
            self.buf.drain(..keep);
            self.base += keep as u64;
            self.scan -= keep;
        }
        self.buf.try_reserve(len).map_err(|_| OutOfMemory { requested: len })
    }

    fn scan_all(&mut self) {
        loop {
            let avail = &self.buf[self.scan..];
            if avail.is_empty() {
                return;
            }
            let offset = self.base + self.scan as u64;
            let header = match Header::decode(avail, &self.limits) {
                Ok(header) => header,
                Err(PacketError::TooShort { .. }) if could_start_header(avail) => return,
                Err(error) => {
                    let error = match error {
                        PacketError::TooShort { .. } => PacketError::BadMagic { found: first4(avail) },
                        other => other,
                    };
                    let advance = next_magic(avail);
                    self.skip(offset, advance, error);
                    continue;
                }
            };
            let len = header.packet_len();
            if avail.len() < len {
                return;
            }
            match Packet::parse_prefix(avail, &self.limits) {
                Ok(packet) => {
                    let picture = matches!(packet.packet_type(), PacketType::I | PacketType::D);
                    self.pictures += usize::from(picture);
                    self.queue.push_back(Item::Packet { offset, len, picture });
                    self.scan += len;
                    self.in_damage = false;
                }
                Err(error) => {
                    let advance = next_magic(avail);
                    self.skip(offset, advance, error);
                }
            }
        }
    }

    fn skip(&mut self, offset: u64, len: usize, error: PacketError) {
        self.scan += len;
        self.damaged_bytes += len as u64;
        if !self.in_damage {
            self.in_damage = true;
            self.queue.push_back(Item::Damaged { offset, error });
        }
    }
}

/// Whether a buffer shorter than a header may still grow into one.
fn could_start_header(avail: &[u8]) -> bool {
    let n = avail.len().min(MAGIC.len());
    avail[..n] == MAGIC[..n] && avail.len() < HEADER_LEN
}

/// How far to skip from a bad packet start: to the next magic after the
/// first byte or, when there is none, to the end less a tail that could be
/// the start of a magic split across chunks. Always at least 1.
fn next_magic(avail: &[u8]) -> usize {
    if let Some(i) = avail[1..].windows(MAGIC.len()).position(|w| w == MAGIC) {
        return i + 1;
    }
    let keep = (1..MAGIC.len()).rev().find(|&k| avail.len() > k && avail.ends_with(&MAGIC[..k])).unwrap_or(0);
    avail.len() - keep
}

fn first4(bytes: &[u8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    let n = bytes.len().min(4);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::packet::{PacketWriter, Sync};
    use asp_core::schema::SyncCommand;

    /// A few valid S packets, back to back.
    fn packets(n: u32) -> (Vec<u8>, Vec<usize>) {
        let mut writer = PacketWriter::new();
        let mut out = Vec::new();
        let mut lens = Vec::new();
        for seq in 0..n {
            let bytes = writer.write_s(seq, 0, &Sync::command(SyncCommand::Ack)).unwrap();
            lens.push(bytes.len());
            out.extend_from_slice(bytes);
        }
        (out, lens)
    }

    fn drain(s: &mut StreamBuffer) -> Vec<Item> {
        let mut items = Vec::new();
        while let Some(item) = s.pop() {
            if let Item::Packet { offset, len, .. } = &item {
                assert!(Packet::parse(s.bytes(*offset, *len)).is_ok());
            }
            items.push(item);
        }
        items
    }

    fn offsets(items: &[Item]) -> Vec<u64> {
        items.iter().filter_map(|i| if let Item::Packet { offset, .. } = i { Some(*offset) } else { None }).collect()
    }

    #[test]
    fn any_chunking_gives_the_same_packets() {
        let (stream, lens) = packets(6);
        let want: Vec<u64> = lens.iter().scan(0u64, |o, &l| { let x = *o; *o += l as u64; Some(x) }).collect();
        for chunk in [1, 2, 3, 7, 19, 20, 21, 64, stream.len()] {
            let mut s = StreamBuffer::new(Limits::DEFAULT);
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                s.push(piece).unwrap();
                got.extend(drain(&mut s));
            }
            assert_eq!(offsets(&got), want, "chunk {chunk}");
            assert_eq!(s.buffered(), 0);
        }
    }

    #[test]
    fn queued_packets_survive_later_pushes() {
        let (stream, lens) = packets(8);
        let mut s = StreamBuffer::new(Limits::DEFAULT);
        for piece in stream.chunks(5) {
            s.push(piece).unwrap();
        }
        let items = drain(&mut s);
        assert_eq!(offsets(&items).len(), lens.len());
    }

    #[test]
    fn damage_is_reported_once_and_skipped() {
        let (mut stream, lens) = packets(5);
        // Flip a byte inside the second packet and put garbage after the third.
        stream[lens[0] + 10] ^= 0x40;
        let at = lens[0] + lens[1] + lens[2];
        stream.splice(at..at, b"garbage ASP and more ASP".iter().copied());
        for chunk in [1, 3, 16, stream.len()] {
            let mut s = StreamBuffer::new(Limits::DEFAULT);
            let mut items = Vec::new();
            for piece in stream.chunks(chunk) {
                s.push(piece).unwrap();
                items.extend(drain(&mut s));
            }
            let kinds: Vec<&str> = items
                .iter()
                .map(|i| match i {
                    Item::Packet { .. } => "P",
                    Item::Damaged { .. } => "X",
                    Item::Overflow { .. } => "O",
                })
                .collect();
            assert_eq!(kinds.join(""), "PXPXPP", "chunk {chunk}");
            assert_eq!(s.damaged_bytes(), (lens[1] + 24) as u64);
        }
    }

    #[test]
    fn a_tail_that_may_be_a_magic_waits() {
        let (stream, _) = packets(1);
        let mut s = StreamBuffer::new(Limits::DEFAULT);
        s.push(b"xxAS").unwrap();
        assert_eq!(s.buffered(), 2);
        s.push(&stream[2..]).unwrap();
        let items = drain(&mut s);
        assert!(matches!(items[0], Item::Damaged { offset: 0, .. }));
        assert_eq!(offsets(&items), [2]);
        assert_eq!(s.damaged_bytes(), 2);
    }

    #[test]
    fn an_unread_queue_is_bounded() {
        let (stream, lens) = packets(40);
        let mut s = StreamBuffer::new(Limits::DEFAULT);
        s.max_queued = lens[0] * 10;
        for piece in stream.chunks(lens[0] * 3) {
            s.push(piece).unwrap();
        }
        assert!(s.buffered() <= lens[0] * 14, "{}", s.buffered());
        let items = drain(&mut s);
        assert!(items.iter().any(|i| matches!(i, Item::Overflow { .. })));
    }
}
