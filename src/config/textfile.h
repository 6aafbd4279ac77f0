// Reading the small text files the configuration names (the file itself,
// the shared key file) without blocking on a FIFO or reading a device.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace braid::config {

struct TextFile {
  std::string text;
  mode_t mode = 0;  // permission bits
  uid_t owner = 0;
};

// Reads a regular file of at most max_bytes. On failure returns false,
// sets *why to the reason ("No such file or directory", "not a regular
// file", ...) and *missing to whether the file does not exist.
bool read_text_file(const std::string& path, size_t max_bytes, TextFile* out, std::string* why,
                    bool* missing);

}  // namespace braid::config
