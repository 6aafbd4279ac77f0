// Hook execution. The environment is built here from scratch so nothing
// the engine could influence reaches the shell.
#include "priv/hooks.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"

namespace braid::priv {

int run_hook(const std::string& command, const std::string& ifname, const char* event) {
  if (command.empty()) return 0;
  log_info("running %s hook: %s", event, command.c_str());
  std::string env_ifname = "IFNAME=" + ifname;
  std::string env_event = std::string("BRAID_EVENT=") + event;
  pid_t pid = fork();
  if (pid < 0) {
    log_warn("%s hook: fork", event);
    return -1;
  }
  if (pid == 0) {
    // The parent ignores SIGPIPE and may hold signals; a shell pipeline in
    // a hook must behave as it does anywhere else.
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
    const char* envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          env_ifname.c_str(), env_event.c_str(), nullptr};
    execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      log_warn("%s hook: waitpid", event);
      return -1;
    }
  }
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code != 0) log_warnx("%s hook exited with status %d", event, code);
    return code;
  }
  log_warnx("%s hook was killed by signal %d", event, WTERMSIG(status));
  return -1;
}

}  // namespace braid::priv
