//! `PacketReader`: packets out of a byte stream that arrives in chunks.
//!
//! Feed it whatever the transport delivers (file reads, TCP segments,
//! WebSocket messages) with [`PacketReader::push`], then drain
//! [`PacketReader::next_event`]. Chunk boundaries do not matter. After
//! damage it resynchronises at the next header that starts a valid packet
//! and reports the span it skipped.
//!
//! Memory stays bounded by one packet: bytes are only buffered while a
//! plausible header (whose declared length is within the limits) waits for
//! the rest of its packet; nothing is reserved from a declared length.
//!
//! Work stays linear in the input, whatever the damage: a candidate's CRC
//! comes from [`SpanCrc`] checkpoints (each byte hashed about once, however
//! many candidate packets claim to cover it), and a candidate whose CRC
//! holds but whose payload is refused is skipped whole, so its payload is
//! never verified again as part of another candidate.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;

use crate::limits::Limits;
use crate::packet::span_crc::SpanCrc;
use crate::packet::{Header, Packet, PacketError, HEADER_LEN, MAGIC, MIN_PACKET_LEN};

/// What the reader found next in the stream.
#[derive(Debug)]
pub enum ReadEvent<'a> {
    /// A valid packet starting `offset` bytes into the stream.
    Packet { offset: u64, packet: Packet<'a> },
    /// `len` bytes starting at `offset` were not a valid packet and were
    /// skipped; `error` says what was wrong where the span starts.
    Skipped { offset: u64, len: u64, error: PacketError },
}

#[derive(Debug)]
struct Skip {
    offset: u64,
    len: u64,
    error: PacketError,
}

/// Incremental packet reader. See the module documentation.
#[derive(Debug)]
pub struct PacketReader {
    buf: Vec<u8>,
    /// First byte of `buf` not yet consumed.
    start: usize,
    /// Stream offset of `buf[0]`.
    base_offset: u64,
    limits: Limits,
    /// A damaged span being accumulated; reported when the next valid
    /// packet is found or at the end of the stream.
    skip: Option<Skip>,
    skipped_total: u64,
    eof: bool,
    /// CRC-32 of any buffered span, in time independent of its length.
    crc: SpanCrc,
}

impl Default for PacketReader {
    fn default() -> Self {
        PacketReader::new()
    }
}

impl PacketReader {
    pub fn new() -> PacketReader {
        PacketReader::with_limits(Limits::DEFAULT)
    }

    pub fn with_limits(limits: Limits) -> PacketReader {
        PacketReader {
            buf: Vec::new(),
            start: 0,
            base_offset: 0,
            limits,
            skip: None,
            skipped_total: 0,
            eof: false,
            crc: SpanCrc::default(),
        }
    }

    /// Appends bytes from the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(chunk);
    }

    /// Appends `len` bytes that `fill` writes straight into the reader's
    /// buffer (it gets a zeroed slice of exactly `len` bytes), so a caller
    /// whose bytes live elsewhere (a JS array, a socket) copies them once.
    /// Fails, buffering nothing, when the memory for them cannot be had.
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), TryReserveError> {
        self.compact();
        self.buf.try_reserve(len)?;
        let old = self.buf.len();
        self.buf.resize(old + len, 0);
        fill(&mut self.buf[old..]);
        Ok(())
    }

    /// Forgets everything buffered (a seek, a new connection): the next
    /// bytes pushed are read as the start of a packet. Stream offsets go on
    /// counting, and an open damaged span is dropped unreported.
    pub fn clear(&mut self) {
        self.base_offset += self.buf.len() as u64;
        self.buf.clear();
        self.start = 0;
        self.skip = None;
        self.eof = false;
        self.crc.reset(self.base_offset);
    }

    /// Drops the consumed bytes from the front of the buffer, back to the
    /// CRC checkpoint that spans from the first unconsumed byte start at.
    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        if self.start == self.buf.len() {
            // Nothing hashed lies beyond the consumed bytes: start afresh.
            self.base_offset += self.start as u64;
            self.buf.clear();
            self.start = 0;
            self.crc.reset(self.base_offset);
            return;
        }
        let keep = self.crc.retain_from(self.base_offset + self.start as u64);
        let drop = keep.saturating_sub(self.base_offset) as usize;
        if drop > 0 {
            self.buf.drain(..drop);
            self.base_offset += drop as u64;
            self.start -= drop;
        }
    }

    /// Marks the end of the stream: what remains buffered is reported as
    /// truncated by the following `next_event` calls.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Bytes buffered and not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The header of the next packet when its 16 bytes are buffered and
    /// make a valid header, without consuming or verifying anything else:
    /// the packet may still turn out damaged. A stream player uses it to
    /// tell, before reading an I or D packet, that the picture on show will
    /// not be refined again.
    pub fn peek_header(&self) -> Option<Header> {
        Header::decode(&self.buf[self.start..], &self.limits).ok()
    }

    /// Bytes skipped as damaged so far (reported spans only).
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped_total
    }

    /// The next packet or skipped span, or `None` when more bytes are needed
    /// (or, after [`finish`](Self::finish), when the stream is exhausted).
    pub fn next_event(&mut self) -> Option<ReadEvent<'_>> {
        loop {
            let avail = &self.buf[self.start..];
            let offset = self.base_offset + self.start as u64;
            if avail.is_empty() {
                if !self.eof {
                    return None;
                }
                let skip = self.skip.take()?;
                self.skipped_total += skip.len;
                return Some(ReadEvent::Skipped { offset: skip.offset, len: skip.len, error: skip.error });
            }
            let header = match Header::decode(avail, &self.limits) {
                Ok(header) => header,
                Err(PacketError::TooShort { .. }) if !self.eof && could_start_header(avail) => return None,
                Err(PacketError::TooShort { len }) if self.eof => {
                    let error = PacketError::Truncated { needed: MIN_PACKET_LEN, available: len };
                    self.start += skip_span(&mut self.skip, offset, len, error);
                    continue;
                }
                Err(error) => {
                    let error = match error {
                        PacketError::TooShort { .. } => PacketError::BadMagic { found: first4(avail) },
                        other => other,
                    };
                    let advance = next_magic(avail, self.eof);
                    self.start += skip_span(&mut self.skip, offset, advance, error);
                    continue;
                }
            };
            let packet_len = header.packet_len();
            if avail.len() < packet_len && !self.eof {
                return None;
            }
            let (buf, crc, buf_offset) = (&self.buf, &mut self.crc, self.base_offset);
            let span_crc = |covered: &[u8]| crc.span(buf, buf_offset, offset, offset + covered.len() as u64);
            match Packet::parse_prefix_crc(avail, &self.limits, span_crc) {
                Ok(packet) => {
                    if let Some(skip) = self.skip.take() {
                        // Report the damage first; the packet is parsed again
                        // on the next call (rare: only after a skip).
                        self.skipped_total += skip.len;
                        return Some(ReadEvent::Skipped { offset: skip.offset, len: skip.len, error: skip.error });
                    }
                    self.start += packet_len;
                    return Some(ReadEvent::Packet { offset, packet });
                }
                Err(error) => {
                    let advance = if vouched_by_crc(&error) { packet_len } else { next_magic(avail, self.eof) };
                    self.start += skip_span(&mut self.skip, offset, advance, error);
                }
            }
        }
    }
}

/// Whether `error` was found after the packet's CRC held: the bytes were
/// framed as one packet by whoever wrote them (damage in transit breaks the
/// CRC), so the whole packet is skipped as one refused unit.
fn vouched_by_crc(error: &PacketError) -> bool {
    match error {
        PacketError::TooShort { .. }
        | PacketError::BadMagic { .. }
        | PacketError::UnsupportedVersion { .. }
        | PacketError::UnknownPacketType { .. }
        | PacketError::PayloadTooLarge { .. }
        | PacketError::Truncated { .. }
        | PacketError::TrailingBytes { .. }
        | PacketError::CrcMismatch { .. } => false,
        PacketError::InvalidFlatbuffer(_)
        | PacketError::MissingPayload
        | PacketError::PayloadTypeMismatch { .. }
        | PacketError::MissingStreamInfo
        | PacketError::BadDimensions { .. }
        | PacketError::TooManyPixels { .. }
        | PacketError::BadTileGrid { .. }
        | PacketError::TileSizesMismatch { .. } => true,
    }
}

/// Adds `len` bytes at `offset` to the damaged span (starting one, with
/// `error` as its reason, if none is open) and returns `len`.
fn skip_span(skip: &mut Option<Skip>, offset: u64, len: usize, error: PacketError) -> usize {
    match skip {
        Some(span) => span.len += len as u64,
        None => *skip = Some(Skip { offset, len: len as u64, error }),
    }
    len
}

/// Whether a buffer shorter than a header may still grow into one.
fn could_start_header(avail: &[u8]) -> bool {
    let n = avail.len().min(MAGIC.len());
    avail[..n] == MAGIC[..n] && avail.len() < HEADER_LEN
}

/// How far to skip from a bad packet start: to the next occurrence of the
/// magic after the first byte, or (when there is none) to the end, keeping a
/// tail that could be the beginning of a magic split across chunks.
fn next_magic(avail: &[u8], eof: bool) -> usize {
    if let Some(i) = avail[1..].windows(MAGIC.len()).position(|w| w == MAGIC) {
        return i + 1;
    }
    if eof {
        return avail.len();
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
    use crate::packet::{PacketWriter, Sync};
    use crate::schema::SyncCommand;

    fn ack(sequence: u32) -> Vec<u8> {
        PacketWriter::new().write_s(sequence, 0, &Sync::command(SyncCommand::Ack)).unwrap().to_vec()
    }

    fn sequences(reader: &mut PacketReader) -> Vec<u32> {
        let mut out = Vec::new();
        while let Some(event) = reader.next_event() {
            if let ReadEvent::Packet { packet, .. } = event {
                out.push(packet.sequence());
            }
        }
        out
    }

    #[test]
    fn push_with_fills_in_place() {
        let (a, b) = (ack(1), ack(2));
        let mut reader = PacketReader::new();
        reader.push_with(a.len() + 3, |dst| {
            assert!(dst.iter().all(|&x| x == 0));
            dst[..a.len()].copy_from_slice(&a);
            dst[a.len()..].copy_from_slice(&b[..3]);
        })
        .unwrap();
        assert_eq!(sequences(&mut reader), [1]);
        reader.push_with(b.len() - 3, |dst| dst.copy_from_slice(&b[3..])).unwrap();
        assert_eq!(sequences(&mut reader), [2]);
        assert_eq!(reader.buffered(), 0);
    }

    #[test]
    fn push_with_refuses_an_impossible_size() {
        let mut reader = PacketReader::new();
        assert!(reader.push_with(usize::MAX, |_| unreachable!()).is_err());
        assert_eq!(reader.buffered(), 0);
    }

    /// 16-byte headers that each claim a payload of `claimed` bytes: every
    /// one is a plausible packet start whose span covers all that follow.
    fn forged_headers(count: usize, claimed: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity(count * HEADER_LEN);
        for i in 0..count {
            out.extend_from_slice(&MAGIC);
            out.extend_from_slice(&[1, 2, 0, 0]);
            out.extend_from_slice(&(i as u32).to_be_bytes());
            out.extend_from_slice(&claimed.to_be_bytes());
        }
        out
    }

    #[test]
    fn resync_through_forged_headers_hashes_each_byte_a_bounded_number_of_times() {
        // 32 MiB of headers claiming the largest payload, with a real packet
        // after every MiB of them: each header is a candidate whose CRC
        // covers the next 16 MiB. Checked one by one, that would be 2^21
        // CRCs of 16 MiB; the reader hashes each byte once and at most two
        // checkpoint blocks per candidate.
        let limits = Limits::DEFAULT;
        let bomb = forged_headers((1 << 20) / HEADER_LEN, limits.max_payload_len);
        let mut stream = Vec::new();
        for sequence in 0..32 {
            stream.extend_from_slice(&bomb);
            stream.extend_from_slice(&ack(sequence));
        }
        let mut reader = PacketReader::with_limits(limits);
        let (mut found, mut skipped) = (Vec::new(), 0u64);
        let mut drain = |reader: &mut PacketReader| {
            while let Some(event) = reader.next_event() {
                match event {
                    ReadEvent::Packet { packet, .. } => found.push(packet.sequence()),
                    ReadEvent::Skipped { len, .. } => skipped += len,
                }
            }
        };
        for chunk in stream.chunks(64 << 10) {
            reader.push(chunk);
            drain(&mut reader);
        }
        reader.finish();
        drain(&mut reader);
        assert_eq!(found, (0..32).collect::<Vec<_>>());
        assert_eq!(skipped, 32 * bomb.len() as u64);
        let candidates = stream.len() as u64 / HEADER_LEN as u64;
        let bound = stream.len() as u64 + candidates * 2 * crate::packet::span_crc::BLOCK;
        assert!(reader.crc.hashed_bytes() <= bound, "{} bytes hashed for {} in", reader.crc.hashed_bytes(), stream.len());
    }

    #[test]
    fn a_packet_whose_crc_holds_but_payload_does_not_is_skipped_whole() {
        // A well-framed packet with a payload that is not FlatBuffers, and
        // inside it a real packet: the CRC vouches for the outer framing, so
        // the inner bytes are not searched (they are the outer's payload).
        let inner = ack(7);
        let mut payload = alloc::vec![0u8; 8];
        payload.extend_from_slice(&inner);
        let header = Header { packet_type: crate::packet::PacketType::D, flags: 0, sequence: 1, payload_len: payload.len() as u32 };
        let mut outer = header.encode().to_vec();
        outer.extend_from_slice(&payload);
        let crc = crate::packet::crc32(&outer);
        outer.extend_from_slice(&crc.to_be_bytes());
        let mut reader = PacketReader::new();
        reader.push(&outer);
        reader.push(&ack(8));
        reader.finish();
        let Some(ReadEvent::Skipped { offset, len, error }) = reader.next_event() else { panic!("no skip") };
        assert_eq!((offset, len as usize), (0, outer.len()));
        assert!(!matches!(error, PacketError::CrcMismatch { .. }), "{error:?}");
        assert_eq!(sequences(&mut reader), [8]);
    }

    #[test]
    fn clear_forgets_a_partial_packet() {
        let (a, b) = (ack(1), ack(2));
        let mut reader = PacketReader::new();
        reader.push(&a[..10]);
        assert_eq!(sequences(&mut reader), []);
        reader.clear();
        reader.push(&b);
        let Some(ReadEvent::Packet { offset, packet }) = reader.next_event() else { panic!("no packet") };
        assert_eq!((offset, packet.sequence()), (10, 2));
        assert!(reader.skipped_bytes() == 0);
    }
}
