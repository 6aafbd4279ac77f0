// Packet buffers for the data path, allocated once at start-up: reading,
// sealing, opening and sending all happen in place in these, so no packet
// costs an allocation. A buffer keeps headroom for braid's header in front
// of the inner packet and room for the tag behind it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace braid::engine {

struct PacketBuf {
  uint8_t* base = nullptr;   // start of the storage
  size_t capacity = 0;
  size_t head = 0;           // offset of the first byte of the packet
  size_t len = 0;            // bytes of packet from head

  uint8_t* data() { return base + head; }
  const uint8_t* data() const { return base + head; }
  size_t tailroom() const { return capacity - head - len; }
};

class BufferPool {
 public:
  // count buffers of `size` bytes each, in one allocation.
  BufferPool(size_t count, size_t size);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // nullptr when every buffer is in use (the caller drops and counts).
  PacketBuf* get(size_t headroom) {
    if (free_.empty()) return nullptr;
    PacketBuf* b = free_.back();
    free_.pop_back();
    b->head = headroom;
    b->len = 0;
    return b;
  }
  void put(PacketBuf* b) { free_.push_back(b); }
  size_t available() const { return free_.size(); }
  size_t buffer_size() const { return size_; }

 private:
  size_t size_;
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<PacketBuf> bufs_;
  std::vector<PacketBuf*> free_;   // reserved to count: push_back never allocates
};

}  // namespace braid::engine
