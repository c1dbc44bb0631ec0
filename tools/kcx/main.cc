// kcx: one binary, many subcommands. Each module registers its subcommands here.

#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/kcx/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"kcx: Kubernetes operators and the runtime under them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kcx ") + KCX_VERSION);
  kcx::tools::RegisterCommands(app);
  CLI11_PARSE(app, argc, argv);
  return kcx::tools::ExitCode();
}
