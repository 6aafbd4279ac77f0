// Privilege drop in the fixed order of the OpenBSD daemons: check the
// chroot directory, chroot, chdir("/"), then setgroups / setresgid /
// setresuid — and then prove it worked.
#include "priv/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/fd.h"
#include "common/log.h"

namespace braid::priv {
namespace {

constexpr const char* kChrootLabel = "chroot directory";
constexpr const char* kStateLabel = "state directory";

bool dir_is_safe(const std::string& dir, const char* label, struct stat* st,
                 std::string* error) {
  if (stat(dir.c_str(), st) != 0) {
    *error = std::string(label) + " " + dir + ": " + strerror(errno);
    return false;
  }
  if (!S_ISDIR(st->st_mode)) {
    *error = std::string(label) + " " + dir + " is not a directory";
    return false;
  }
  if (st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH))) {
    *error = std::string(label) + " " + dir +
             " must be owned by root and not writable by group or others";
    return false;
  }
  return true;
}

// Creates dir and its missing parents, each root-owned 0755, then checks
// it as dir_is_safe does.
bool make_safe_dir(const std::string& dir, const char* label, std::string* error) {
  if (dir.empty() || dir[0] != '/') {
    *error = std::string(label) + " must be an absolute path";
    return false;
  }
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = "cannot create " + part + ": " + strerror(errno);
      return false;
    }
  }
  struct stat st;
  return dir_is_safe(dir, label, &st, error);
}

// The names in dir other than "." and "..".
bool dir_entries(const std::string& dir, const char* label, std::vector<std::string>* names,
                 std::string* error) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    *error = std::string(label) + " " + dir + ": " + strerror(errno);
    return false;
  }
  while (const dirent* e = readdir(d))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) names->push_back(e->d_name);
  closedir(d);
  return true;
}

// The engine's writable subdirectory: a real directory (never a symlink
// to elsewhere), uid:gid, 0700.
bool prepare_state_subdir(const std::string& path, uid_t uid, gid_t gid, std::string* error) {
  auto fail = [&](const char* what) {
    *error = std::string(what) + " " + path + ": " + strerror(errno);
    return false;
  };
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return fail("cannot create");
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOTDIR || errno == ELOOP) {
      *error = path + " is not a directory";
      return false;
    }
    return fail("cannot open");
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return fail("cannot stat");
  const bool mode_ok = (st.st_mode & 07777) == 0700;
  if (!mode_ok) {
    // Changing the mode of another user's directory needs CAP_FOWNER,
    // which the parent does not otherwise need: take it back first.
    if (st.st_uid != 0 && fchown(fd.get(), 0, static_cast<gid_t>(-1)) != 0)
      return fail("cannot change the owner of");
    if (fchmod(fd.get(), 0700) != 0) return fail("cannot change the mode of");
  }
  if (!mode_ok || st.st_uid != uid || st.st_gid != gid) {
    if (fchown(fd.get(), uid, gid) != 0) return fail("cannot change the owner of");
    log_debug("%s: owner %u:%u, mode 0700", path.c_str(), uid, gid);
  }
  return true;
}

}  // namespace

bool resolve_identity(const std::string& user, const std::string& group, SandboxSpec* spec,
                      std::string* error) {
  const passwd* pw = nullptr;
  if (user.empty()) {
    pw = getpwnam("braid");
    if (pw == nullptr) pw = getpwnam("nobody");
    if (pw == nullptr) {
      *error = "neither user 'braid' nor 'nobody' exists: set user =";
      return false;
    }
  } else {
    pw = getpwnam(user.c_str());
    if (pw == nullptr) {
      *error = "user '" + user + "' does not exist";
      return false;
    }
  }
  spec->user = pw->pw_name;
  spec->uid = pw->pw_uid;
  spec->gid = pw->pw_gid;
  if (!group.empty()) {
    const struct group* gr = getgrnam(group.c_str());
    if (gr == nullptr) {
      *error = "group '" + group + "' does not exist";
      return false;
    }
    spec->gid = gr->gr_gid;
  }
  if (spec->uid == 0 || spec->gid == 0) {
    *error = "the engine must not run as root (user " + spec->user + ")";
    return false;
  }
  return true;
}

bool prepare_chroot_dir(const std::string& dir, std::string* error) {
  if (!make_safe_dir(dir, kChrootLabel, error)) return false;
  std::vector<std::string> names;
  if (!dir_entries(dir, kChrootLabel, &names, error)) return false;
  if (!names.empty()) {
    *error = std::string(kChrootLabel) + " " + dir + " is not empty";
    return false;
  }
  return true;
}

bool prepare_state_dir(const std::string& dir, uid_t uid, gid_t gid, std::string* error) {
  if (!make_safe_dir(dir, kStateLabel, error)) return false;
  std::vector<std::string> names;
  if (!dir_entries(dir, kStateLabel, &names, error)) return false;
  for (const std::string& name : names) {
    if (name != kStateSubdir) {
      *error = std::string(kStateLabel) + " " + dir + " holds '" + name + "': only " +
               kStateSubdir + "/ may be there";
      return false;
    }
  }
  return prepare_state_subdir(dir + "/" + kStateSubdir, uid, gid, error);
}

void enter_sandbox(const SandboxSpec& spec) {
  std::string error;
  struct stat before;
  if (!dir_is_safe(spec.chroot_dir, kChrootLabel, &before, &error)) fatalx("%s", error.c_str());
  if (chroot(spec.chroot_dir.c_str()) != 0) fatal("chroot %s", spec.chroot_dir.c_str());
  if (chdir("/") != 0) fatal("chdir /");

  // The bounding set can only shrink while we still hold CAP_SETPCAP, so
  // it goes before the user changes.
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      fatal("cannot drop capability %d from the bounding set", cap);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    fatal("cannot clear ambient capabilities");

  gid_t gid = spec.gid;
  if (setgroups(1, &gid) != 0) fatal("setgroups");
  if (setresgid(gid, gid, gid) != 0) fatal("setresgid %u", gid);
  if (setresuid(spec.uid, spec.uid, spec.uid) != 0) fatal("setresuid %u", spec.uid);

  cap_t none = cap_init();
  if (none == nullptr || cap_set_proc(none) != 0) fatal("cannot clear capabilities");
  cap_free(none);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fatal("PR_SET_NO_NEW_PRIVS");

  // Verify rather than trust: each of these would be a silent hole.
  if (setuid(0) == 0 || seteuid(0) == 0) fatalx("sandbox: regained root");
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) != 0 || r != spec.uid || e != spec.uid || s != spec.uid)
    fatalx("sandbox: user ids not dropped");
  if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
    fatalx("sandbox: group ids not dropped");
  cap_t caps = cap_get_proc();
  cap_t empty = cap_init();
  if (caps == nullptr || empty == nullptr || cap_compare(caps, empty) != 0)
    fatalx("sandbox: capabilities remain");
  cap_free(caps);
  cap_free(empty);
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) fatalx("sandbox: bounding set not empty");
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) fatalx("sandbox: no-new-privs not set");
  // With a state directory the engine owns one subdirectory, never the
  // root: nothing it creates can sit where root might look.
  if (access("/", W_OK) == 0) fatalx("sandbox: the chroot root is writable");
  struct stat root;
  if (stat("/", &root) != 0 || root.st_dev != before.st_dev || root.st_ino != before.st_ino)
    fatalx("sandbox: not inside the chroot");
  log_debug("sandbox: chroot %s, user %s (%u:%u), no capabilities", spec.chroot_dir.c_str(),
            spec.user.c_str(), spec.uid, gid);
}

void limit_parent_capabilities() {
  static const cap_value_t kKeep[] = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_KILL, CAP_DAC_OVERRIDE};
  auto kept = [](int cap) {
    for (cap_value_t k : kKeep)
      if (k == cap) return true;
    return false;
  };
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (kept(cap) || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
    // Without CAP_SETPCAP (a supervisor took it) the bounding set is the
    // supervisor's to limit.
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      log_debug("cannot limit the bounding set: %s", strerror(errno));
      break;
    }
  }
  // Keep those of kKeep we hold now: asking for more would fail.
  cap_t current = cap_get_proc();
  if (current == nullptr) fatal("cap_get_proc");
  cap_value_t held[sizeof kKeep / sizeof kKeep[0]];
  int n = 0;
  for (cap_value_t k : kKeep) {
    cap_flag_value_t v = CAP_CLEAR;
    if (cap_get_flag(current, k, CAP_PERMITTED, &v) == 0 && v == CAP_SET) held[n++] = k;
  }
  cap_free(current);
  cap_t caps = cap_init();
  if (caps == nullptr) fatal("cap_init");
  if (n > 0) {
    cap_set_flag(caps, CAP_PERMITTED, n, held, CAP_SET);
    cap_set_flag(caps, CAP_EFFECTIVE, n, held, CAP_SET);
    cap_set_flag(caps, CAP_INHERITABLE, n, held, CAP_SET);
  }
  if (cap_set_proc(caps) != 0) fatal("cannot limit the parent's capabilities");
  cap_free(caps);
}

}  // namespace braid::priv
