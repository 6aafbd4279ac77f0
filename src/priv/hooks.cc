// Hook execution: one way to start a hook, used by the waited-for ifup and
// ifdown hooks and by the status hook queue.
#include "priv/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"

namespace braid::priv {

pid_t spawn_hook(const std::string& command, const std::vector<std::string>& env,
                 bool own_group) {
  std::vector<const char*> envp = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  for (const std::string& e : env) envp.push_back(e.c_str());
  envp.push_back(nullptr);
  const char* argv[] = {"sh", "-c", command.c_str(), nullptr};
  // Signals stay blocked from before the fork until the child has reset
  // their handlers: a signal in between must not run the parent's
  // (libevent's) handler in the child.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid_t pid = fork();
  if (pid == 0) {
    if (own_group) {
      setpgid(0, 0);
      // Out of the terminal's foreground group a read would stop it.
      int null = open("/dev/null", O_RDONLY);
      if (null >= 0 && null != STDIN_FILENO) {
        dup2(null, STDIN_FILENO);
        close(null);
      }
    }
    // The parent ignores SIGPIPE and catches others; a shell pipeline in
    // a hook must behave as it does anywhere else. What braid inherited
    // as ignored stays ignored.
    for (int sig = 1; sig < NSIG; ++sig) {
      struct sigaction sa;
      if (sigaction(sig, nullptr, &sa) == 0 && (sa.sa_handler != SIG_IGN || sig == SIGPIPE))
        signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve("/bin/sh", const_cast<char* const*>(argv), const_cast<char* const*>(envp.data()));
    _exit(127);
  }
  int saved = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return pid;
}

int hook_result(const char* what, int status) {
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code != 0) log_warnx("%s hook exited with status %d", what, code);
    return code;
  }
  log_warnx("%s hook was killed by signal %d", what, WTERMSIG(status));
  return -1;
}

int run_hook(const std::string& command, const std::string& ifname, const char* event) {
  if (command.empty()) return 0;
  log_info("running %s hook: %s", event, command.c_str());
  pid_t pid = spawn_hook(command, {"IFNAME=" + ifname, std::string("BRAID_EVENT=") + event});
  if (pid < 0) {
    log_warn("%s hook: fork", event);
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      log_warn("%s hook: waitpid", event);
      return -1;
    }
  }
  return hook_result(event, status);
}

}  // namespace braid::priv
