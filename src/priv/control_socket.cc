// The control socket's listening end and the stats file (control_socket.h).
#include "priv/control_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/settings.h"

namespace braid::priv {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + strerror(errno); }

bool fill_address(const std::string& path, sockaddr_un* sun, std::string* error) {
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  if (path.size() >= sizeof sun->sun_path) {
    *error = "control socket " + path + ": path too long for a Unix socket";
    return false;
  }
  memcpy(sun->sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Whether something listens at `path` (a running instance).
bool answers(const sockaddr_un& sun) {
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!probe) return false;
  return connect(probe.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0;
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

UniqueFd open_control_socket(const std::string& path, gid_t gid, std::string* error) {
  sockaddr_un sun;
  if (!fill_address(path, &sun, error)) return UniqueFd();
  std::string dir = dir_of(path);
  // Our own directory may be missing where nothing made it (no systemd);
  // any other directory is the administrator's to create.
  if (dir == config::kControlSocketDir && mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = errno_text("control socket: cannot create " + dir);
    return UniqueFd();
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = "control socket " + path + " exists and is not a socket; remove it or set " +
               "control_socket";
      return UniqueFd();
    }
    if (answers(sun)) {
      *error = "control socket " + path + " is in use by another braid; give this one its " +
               "own with control_socket (or run it from a configuration file of another name)";
      return UniqueFd();
    }
    unlink(path.c_str());   // left by an instance that died
  }
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    *error = errno_text("control socket: socket");
    return UniqueFd();
  }
  // Bound with no access for others from the first moment: chmod after
  // bind would leave a window in which anyone could connect.
  mode_t old_mask = umask(0177);
  int rc = bind(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
  umask(old_mask);
  if (rc != 0) {
    *error = errno_text("control socket: cannot bind " + path);
    return UniqueFd();
  }
  if (chown(path.c_str(), 0, gid) != 0 || chmod(path.c_str(), 0660) != 0 ||
      listen(fd.get(), 16) != 0) {
    *error = errno_text("control socket " + path);
    unlink(path.c_str());
    return UniqueFd();
  }
  return fd;
}

bool write_file_atomically(const std::string& path, std::span<const uint8_t> text,
                           std::string* error) {
  std::string tmp = dir_of(path) + "/." + path.substr(path.rfind('/') + 1) + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) {
    *error = errno_text("cannot write " + tmp);
    return false;
  }
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = errno_text("cannot write " + tmp);
      unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd.get(), 0644) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    *error = errno_text("cannot replace " + path);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace braid::priv
