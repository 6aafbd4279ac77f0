// braid: the daemon's main. Reads the configuration, then hands over to
// the privileged parent, which forks the engine.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/log.h"
#include "config/settings.h"
#include "engine/engine.h"
#include "frontend/pki.h"
#include "priv/parent.h"

int main(int argc, char** argv) {
  // keygen, ca and cert are commands of their own, run without the daemon's
  // configuration or privileges.
  if (braid::frontend::is_pki_command(argc, argv)) return braid::frontend::run_pki(argc, argv);
  braid::log_init("braid", braid::LogLevel::kInfo);
  braid::config::Invocation inv;
  std::string error;
  if (!braid::config::load(argc, argv, &inv, &error)) {
    fprintf(stderr, "braid: %s\n", error.c_str());
    return 1;
  }
  switch (inv.action) {
    case braid::config::Invocation::kHelp:
      fputs(braid::config::usage().c_str(), stdout);
      return 0;
    case braid::config::Invocation::kVersion:
      printf("%s\n", braid::config::version_text().c_str());
      return 0;
    case braid::config::Invocation::kCheck:
      fputs(braid::config::effective_config(inv.config).c_str(), stdout);
      return 0;
    case braid::config::Invocation::kRun:
      break;
  }
  if (geteuid() != 0) {
    fprintf(stderr, "braid: must be started as root (it creates a %s device and then drops "
                    "privileges)\n",
            inv.config.device_type == braid::config::DeviceType::kTap ? "tap" : "tun");
    return 1;
  }
  braid::log_set_level(inv.config.verbosity);
  // A reload reads the same file with the same command line over it.
  braid::priv::ConfigReader reader = [argc, argv](braid::config::Config* out, std::string* err) {
    braid::config::Invocation again;
    if (!braid::config::load(argc, argv, &again, err)) return false;
    *out = std::move(again.config);
    return true;
  };
  return braid::priv::run_parent(
      inv.config, [](braid::UniqueFd ipc) { return braid::engine::run_engine(std::move(ipc)); },
      reader);
}
