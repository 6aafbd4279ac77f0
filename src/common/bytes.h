// Explicit network-byte-order serializers: every multi-byte field on the
// wire or in an IPC frame goes through these, never through a struct copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace braid {

inline void put_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put_be32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
inline void put_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
inline uint16_t get_be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t get_be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline uint64_t get_be64(const uint8_t* p) {
  return static_cast<uint64_t>(get_be32(p)) << 32 | get_be32(p + 4);
}

// Appends fields to a caller-owned buffer; once a write would overflow, the
// writer is marked failed and writes nothing more.
class ByteWriter {
 public:
  explicit ByteWriter(std::span<uint8_t> buf) : buf_(buf) {}
  void u8(uint8_t v) { if (room(1)) buf_[pos_++] = v; }
  void u16(uint16_t v) { if (room(2)) { put_be16(&buf_[pos_], v); pos_ += 2; } }
  void u32(uint32_t v) { if (room(4)) { put_be32(&buf_[pos_], v); pos_ += 4; } }
  void u64(uint64_t v) { if (room(8)) { put_be64(&buf_[pos_], v); pos_ += 8; } }
  void bytes(std::span<const uint8_t> b) {
    if (room(b.size()) && !b.empty()) { memcpy(&buf_[pos_], b.data(), b.size()); pos_ += b.size(); }
  }
  // A string with a 16-bit length prefix.
  void str16(std::string_view s) {
    if (s.size() > 0xffff) { ok_ = false; return; }
    u16(static_cast<uint16_t>(s.size()));
    bytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }
  bool ok() const { return ok_; }
  size_t size() const { return pos_; }

 private:
  bool room(size_t n) {
    if (!ok_ || buf_.size() - pos_ < n) { ok_ = false; return false; }
    return true;
  }
  std::span<uint8_t> buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Reads fields from a buffer; a read past the end marks the reader failed
// and yields zeros, so callers check ok() once after a run of reads.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> buf) : buf_(buf) {}
  uint8_t u8() { return room(1) ? buf_[pos_++] : 0; }
  uint16_t u16() { if (!room(2)) return 0; uint16_t v = get_be16(&buf_[pos_]); pos_ += 2; return v; }
  uint32_t u32() { if (!room(4)) return 0; uint32_t v = get_be32(&buf_[pos_]); pos_ += 4; return v; }
  uint64_t u64() { if (!room(8)) return 0; uint64_t v = get_be64(&buf_[pos_]); pos_ += 8; return v; }
  std::span<const uint8_t> bytes(size_t n) {
    if (!room(n)) return {};
    auto s = buf_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view str16() {
    uint16_t n = u16();
    auto b = bytes(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? buf_.size() - pos_ : 0; }
  // True when every byte was consumed and no read failed: the exact-length
  // check every decoder ends with.
  bool done() const { return ok_ && pos_ == buf_.size(); }

 private:
  bool room(size_t n) {
    if (!ok_ || buf_.size() - pos_ < n) { ok_ = false; return false; }
    return true;
  }
  std::span<const uint8_t> buf_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace braid
