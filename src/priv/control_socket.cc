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

// Whether something listens at `path` (a running instance). Without
// blocking: a listener with a full backlog counts as one.
bool answers(const sockaddr_un& sun) {
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!probe) return false;
  return connect(probe.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun) == 0 ||
         errno == EAGAIN;
}

// Root acts on names in this directory: only root may change them.
bool safe_dir(const std::string& dir, const std::string& what, std::string* error) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = errno_text(what + ": directory " + dir);
    return false;
  }
  if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    *error = what + ": directory " + dir + " must be root's and writable by root alone";
    return false;
  }
  return true;
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
  if (!safe_dir(dir, "control socket", error)) return UniqueFd();
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
  // Bound with mode 0660 from the first moment (chmod after bind would
  // leave a window for anyone); the group changed without following a
  // link that might have replaced the socket.
  mode_t old_mask = umask(0117);
  int rc = bind(fd.get(), reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
  umask(old_mask);
  if (rc != 0) {
    *error = errno_text("control socket: cannot bind " + path);
    return UniqueFd();
  }
  if (fchownat(AT_FDCWD, path.c_str(), 0, gid, AT_SYMLINK_NOFOLLOW) != 0 ||
      lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode) || listen(fd.get(), 16) != 0) {
    *error = errno_text("control socket " + path);
    unlink(path.c_str());
    return UniqueFd();
  }
  return fd;
}

bool write_file_atomically(const std::string& path, std::span<const uint8_t> text,
                           std::string* error) {
  std::string tmp = dir_of(path) + "/." + path.substr(path.rfind('/') + 1) + ".tmp";
  // A new file each time: whatever was left at the name (a link planted
  // to make root overwrite another file) goes first.
  unlink(tmp.c_str());
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
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
