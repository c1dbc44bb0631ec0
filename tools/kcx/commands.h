#pragma once

#include <CLI/CLI.hpp>

namespace kcx::tools {

// Adds every subcommand to the app. Each subcommand's callback stores its exit code.
void RegisterCommands(CLI::App& app);
void SetExitCode(int code);
int ExitCode();

// One function per module; defined next to each command's implementation.
void RegisterApiserverCommand(CLI::App& app);
void RegisterMysqlCommand(CLI::App& app);
void RegisterOperatorCommand(CLI::App& app);

}  // namespace kcx::tools
