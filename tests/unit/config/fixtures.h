// Helpers for the config tests: parsing a file's text, validating, a
// mutable argv and temporary files.
#pragma once

#include <CppUTest/TestHarness.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace braid::config::testing {

// Parses text as file "t.conf" over *cfg; returns the error message, ""
// on success (a refusal always says why).
inline std::string parse(std::string_view text, Config* cfg) {
  std::string error;
  if (parse_ini_text(text, "t.conf", cfg, &error)) return "";
  CHECK(!error.empty());
  return error;
}

// The same over the defaults.
inline std::string parse_error(std::string_view text) {
  Config cfg;
  return parse(text, &cfg);
}

// A configuration that passes validation: the defaults plus a key.
inline Config keyed() {
  Config c;
  c.shared_key = "k";
  return c;
}

// validate() over c; returns the error message, "" when it passes.
inline std::string validate_error(Config c) {
  std::string error;
  if (validate(&c, &error)) return "";
  CHECK(!error.empty());
  return error;
}

// argv for load(), with "braid" as argv[0].
class Argv {
 public:
  Argv(std::initializer_list<std::string> args) : args_{"braid"} {
    args_.insert(args_.end(), args);
  }
  int argc() const { return static_cast<int>(args_.size()); }
  // Built on each call, since moving the strings may move their bytes.
  char** argv() {
    ptrs_.clear();
    for (std::string& a : args_) ptrs_.push_back(a.data());
    ptrs_.push_back(nullptr);
    return ptrs_.data();
  }

 private:
  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

// A file in the temporary directory with the given content and mode,
// removed when the object goes.
class TempFile {
 public:
  explicit TempFile(std::string_view content, mode_t mode = 0600) {
    const char* dir = getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/braid-config-test-XXXXXX";
    int fd = mkstemp(path_.data());
    if (fd >= 0) {
      ssize_t n = write(fd, content.data(), content.size());
      (void)n;
      fchmod(fd, mode);
      close(fd);
    }
  }
  ~TempFile() { unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace braid::config::testing
