// A temporary file that a hook command writes to, for the tests of hooks
// run by the parent: made empty at construction, removed at destruction.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace braid::priv::test {

class HookOutput {
 public:
  HookOutput() {
    char tmpl[] = "/tmp/braid-hook-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0) close(fd);
    path = tmpl;
  }
  ~HookOutput() { unlink(path.c_str()); }
  HookOutput(const HookOutput&) = delete;
  HookOutput& operator=(const HookOutput&) = delete;

  std::string contents() const {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  std::string path;
};

}  // namespace braid::priv::test
