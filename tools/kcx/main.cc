// kcx: one binary, many subcommands. Each module registers its subcommands here.

#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/kcx/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"kcx: Kubernetes operators and the runtime under them"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("kcx ") + KCX_VERSION);
  kcx::tools::RegisterCommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version succeed; a usage error (unknown flag, bad value) exits 2 as Go's
    // flag package does for `kcx operator` and the others, not with CLI11's own codes
    // (105, 109, ...), which scripts and tests cannot tell from a failure of the command.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return kcx::tools::ExitCode();
}
