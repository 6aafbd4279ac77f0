// The packet buffer pool.
#include "engine/pool.h"

namespace braid::engine {

BufferPool::BufferPool(size_t count, size_t size)
    : size_(size), storage_(new uint8_t[count * size]), bufs_(count) {
  free_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    bufs_[i].base = storage_.get() + i * size;
    bufs_[i].capacity = size;
    free_.push_back(&bufs_[i]);
  }
}

}  // namespace braid::engine
