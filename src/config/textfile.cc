// Bounded reads of regular files.
#include "config/textfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd.h"

namespace braid::config {

bool read_text_file(const std::string& path, size_t max_bytes, TextFile* out, std::string* why,
                    bool* missing) {
  *missing = false;
  // O_NONBLOCK so that a FIFO in place of the file cannot hang start-up;
  // it is refused below as not a regular file.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    *missing = errno == ENOENT;
    *why = strerror(errno);
    return false;
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    *why = strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "not a regular file";
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    *why = "larger than " + std::to_string(max_bytes) + " bytes";
    return false;
  }
  out->mode = st.st_mode & 07777;
  out->owner = st.st_uid;
  out->text.clear();
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = strerror(errno);
      return false;
    }
    if (n == 0) break;
    out->text.append(buf, static_cast<size_t>(n));
    if (out->text.size() > max_bytes) {
      *why = "larger than " + std::to_string(max_bytes) + " bytes";
      return false;
    }
  }
  return true;
}

}  // namespace braid::config
