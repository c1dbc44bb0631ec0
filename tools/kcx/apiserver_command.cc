#include <iostream>

#include "tools/kcx/commands.h"

namespace kcx::tools {

void RegisterApiserverCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("apiserver", "Run a Kubernetes-compatible API server");
  cmd->callback([] {
    std::cerr << "kcx apiserver: not built yet\n";
    SetExitCode(1);
  });
}

}  // namespace kcx::tools
