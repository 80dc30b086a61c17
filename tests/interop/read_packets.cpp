// Reads an ASP stream with the flatc-generated C++ code and checks every
// field against crates/asp-core/examples/synthetic_stream.rs (each value is
// a pure function of the frame index).
//
//   read_packets FILE FRAMES             check; one-line summary; exit 1 on a mismatch
//   read_packets --print-mvs SEQ FILE    print D-packet SEQ's motion vectors
//
// Build: g++ -std=c++17 -I<flatc include> -I<generated> read_packets.cpp
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "asp_generated.h"

namespace {

int failures = 0;

#define CHECK(cond)                                                                  \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "read_packets: %s:%d: packet seq %u: CHECK(%s) failed\n", \
                   __FILE__, __LINE__, seq, #cond);                                  \
      ++failures;                                                                    \
    }                                                                                \
  } while (0)

uint32_t crc32(const uint8_t* p, size_t n) {  // IEEE 802.3, as zlib
  static uint32_t table[256];
  if (table[1] == 0)
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t be(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

struct RawPacket {
  uint8_t type;
  uint16_t flags;
  uint32_t sequence;
  std::vector<uint8_t> payload;  // own copy: aligned as FlatBuffers expects
};

// Splits `data` with the 16-byte header and checks each CRC; exits on damage.
std::vector<RawPacket> split(const std::vector<uint8_t>& data) {
  std::vector<RawPacket> packets;
  size_t pos = 0;
  while (pos < data.size()) {
    const uint8_t* h = data.data() + pos;
    if (data.size() - pos < 20 || std::memcmp(h, "ASP1", 4) != 0 || h[4] < 2 || h[4] > 3 || h[5] < 1 || h[5] > 4) {
      std::fprintf(stderr, "read_packets: no valid header at offset %zu\n", pos);
      std::exit(1);
    }
    uint32_t len = be(h + 12, 4);
    if (data.size() - pos - 20 < len) {
      std::fprintf(stderr, "read_packets: packet at offset %zu truncated\n", pos);
      std::exit(1);
    }
    if (crc32(h, 16 + len) != be(h + 16 + len, 4)) {
      std::fprintf(stderr, "read_packets: CRC mismatch in packet at offset %zu\n", pos);
      std::exit(1);
    }
    packets.push_back({h[5], uint16_t(be(h + 6, 2)), be(h + 8, 4), {h + 16, h + 16 + len}});
    pos += 20 + len;
  }
  return packets;
}

// The architecture document's snippet, verbatim: it must keep compiling.
void print_motion_vectors(const uint8_t* buffer) {
  auto packet = Alice::Asp::GetAspPacketPayload(buffer);
  auto d = packet->payload_as_DPacketPayload();
  for (auto mv : *d->motion_vectors()) printf("%d %d %d %d\n", mv->block_x(), mv->block_y(), mv->dx(), mv->dy());
}

uint64_t capture_time_us(uint32_t seq) { return 1000000 + uint64_t(seq) * 40000; }

template <typename V>
std::vector<uint32_t> to_vec(const V* v) {
  return v ? std::vector<uint32_t>(v->begin(), v->end()) : std::vector<uint32_t>();
}

void check_keyframe(const Alice::Asp::IPacketPayload* p, uint32_t seq) {
  CHECK(p != nullptr);
  if (!p) return;
  auto s = p->stream();
  CHECK(s && s->width() == 320 && s->height() == 240 && s->fps_num() == 25 && s->fps_den() == 1);
  CHECK(s && s->color_range() == Alice::Asp::ColorRange_Limited && s->color_matrix() == Alice::Asp::ColorMatrix_Bt709);
  CHECK(s && s->attribution() && s->attribution()->str() == "Streamed via ALICE Protocol (ASP)");
  CHECK(p->capture_time_us() == capture_time_us(0));
  CHECK(p->qp() == 26);
  CHECK(p->tile_columns() == 1 && p->tile_rows() == 1);
  CHECK(p->tile_sizes() == nullptr);  // one tile: its size is the data's

  std::vector<uint32_t> tile;
  for (uint32_t i = 0; i < 64; ++i) tile.push_back(i * 7 % 251);
  CHECK(to_vec(p->tile_data()) == tile);
}

// Returns the number of motion vectors checked.
size_t check_delta(const uint8_t* buffer, uint32_t seq) {
  auto packet = Alice::Asp::GetAspPacketPayload(buffer);
  auto d = packet->payload_as_DPacketPayload();
  CHECK(d != nullptr && d->motion_vectors() != nullptr);
  if (!d || !d->motion_vectors()) return 0;
  // The usual reference (the frame before) and the capture time as a delta
  // from the keyframe's go without a full field.
  CHECK(!d->ref_sequence().has_value());
  CHECK(!d->capture_time_us().has_value());
  CHECK(d->capture_delta_us().has_value() && *d->capture_delta_us() == capture_time_us(seq) - capture_time_us(0));
  CHECK(d->qp() == 28);
  CHECK(d->motion_block_size() == 16 && d->motion_vector_precision() == 1);
  CHECK(d->tile_sizes() == nullptr && d->tile_data() == nullptr);
  CHECK(d->motion_vectors()->size() == 20 * 15);
  uint32_t i = 0;
  for (auto mv : *d->motion_vectors()) {
    uint32_t bx = i % 20, by = i / 20;
    CHECK(mv->block_x() == bx && mv->block_y() == by);
    CHECK(mv->dx() == int((bx + seq) % 9) - 4);
    CHECK(mv->dy() == int((by * 3 + seq) % 7) - 3);
    CHECK(mv->sad() == bx * 100 + by + seq);
    ++i;
  }
  return i;
}

void check_correction(const Alice::Asp::CPacketPayload* p, uint32_t seq, uint32_t frames) {
  CHECK(p != nullptr && p->regions() != nullptr && p->regions()->size() == 1);
  if (!p || !p->regions() || p->regions()->size() != 1) return;
  CHECK(p->ref_sequence() == frames - 1);
  CHECK(p->capture_time_us() == capture_time_us(frames - 1));
  CHECK(p->qp() == 20);
  auto r = p->regions()->Get(0);
  CHECK(r->bounds().x() == 96 && r->bounds().y() == 64 && r->bounds().width() == 48 && r->bounds().height() == 48);
  CHECK(r->confidence() == 0.9f);
  CHECK(r->roi_type() == Alice::Asp::RoiType_Face && r->priority() == 3);
  CHECK(p->tile_sizes() == nullptr);  // one region: its size is the data's
  CHECK(to_vec(p->tile_data()) == (std::vector<uint32_t>{1, 2, 3}));
}

}  // namespace

int main(int argc, char** argv) {
  bool print = argc == 4 && std::strcmp(argv[1], "--print-mvs") == 0;
  if (argc != 3 && !print) {
    std::fprintf(stderr, "usage: read_packets FILE FRAMES | read_packets --print-mvs SEQ FILE\n");
    return 2;
  }
  const char* path = print ? argv[3] : argv[1];
  uint32_t arg = uint32_t(std::strtoul(argv[2], nullptr, 10));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "read_packets: cannot open %s\n", path);
    return 2;
  }
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<RawPacket> packets = split(data);

  if (print) {
    for (auto& p : packets)
      if (p.type == Alice::Asp::PacketType_DPacket && p.sequence == arg) {
        print_motion_vectors(p.payload.data());
        return 0;
      }
    std::fprintf(stderr, "read_packets: no D-packet with sequence %u\n", arg);
    return 1;
  }

  const uint32_t frames = arg;
  uint32_t seq = 0;
  CHECK(packets.size() == frames + 3);
  size_t counts[5] = {}, mvs = 0;
  for (size_t n = 0; n < packets.size(); ++n) {
    const RawPacket& raw = packets[n];
    seq = raw.sequence;
    const uint8_t* buffer = raw.payload.data();
    flatbuffers::Verifier verifier(buffer, raw.payload.size());
    bool verified = raw.payload.size() >= 8 && Alice::Asp::VerifyAspPacketPayloadBuffer(verifier);
    CHECK(verified);
    if (!verified) continue;  // never read an unverified buffer
    auto root = Alice::Asp::GetAspPacketPayload(buffer);
    CHECK(root->payload_type() == raw.type);
    CHECK(seq == n);  // the stream is numbered 0, 1, 2, ...
    uint8_t want_type = n == 0 ? 1 : n < frames ? 2 : n == frames ? 3 : 4;
    CHECK(raw.type == want_type);
    CHECK(raw.flags == (want_type == 3 ? 1 : 0));  // C-packets are DISCARDABLE
    if (raw.type != want_type || root->payload_type() != raw.type) continue;
    counts[raw.type]++;
    switch (raw.type) {
      case 1: check_keyframe(root->payload_as_IPacketPayload(), seq); break;
      case 2: mvs += check_delta(buffer, seq); break;
      case 3: check_correction(root->payload_as_CPacketPayload(), seq, frames); break;
      case 4: {
        auto s = root->payload_as_SPacketPayload();
        if (seq == frames + 1) {
          CHECK(s->command() == Alice::Asp::SyncCommand_Ping && s->timestamp_us() == 123456789 && !s->reason());
        } else {
          CHECK(s->command() == Alice::Asp::SyncCommand_EndOfStream && s->reason() &&
                s->reason()->str() == "end of input");
        }
        break;
      }
    }
  }
  std::printf("read_packets: %s: %zu packets (I %zu, D %zu, C %zu, S %zu), %zu motion vectors, %d mismatches\n",
              path, packets.size(), counts[1], counts[2], counts[3], counts[4], mvs, failures);
  return failures ? 1 : 0;
}
