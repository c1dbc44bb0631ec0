#include "tools/kcx/commands.h"

namespace kcx::tools {
namespace {
int g_exit_code = 0;
}

void SetExitCode(int code) { g_exit_code = code; }
int ExitCode() { return g_exit_code; }

void RegisterCommands(CLI::App& app) {
  RegisterApiserverCommand(app);
  RegisterMysqlCommand(app);
  RegisterOperatorCommand(app);
}

}  // namespace kcx::tools
