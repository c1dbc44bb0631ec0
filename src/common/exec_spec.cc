#include "common/exec_spec.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

extern char** environ;

namespace kcx {

ExecSpec ExecSpec::Make(const std::vector<std::string>& argv,
                        const std::map<std::string, std::string>& env) {
  ExecSpec s;
  s.args_ = argv;
  std::map<std::string, std::string> merged;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq)
      merged[std::string(*e, static_cast<size_t>(eq - *e))] = std::string(eq + 1);
  }
  for (const auto& [k, v] : env)
    merged[k] = v;
  for (const auto& [k, v] : merged)
    s.envs_.push_back(k + "=" + v);

  std::string prog = argv.empty() ? std::string() : argv[0];
  s.path_ = prog;
  if (!prog.empty() && prog.find('/') == std::string::npos) {
    auto it = merged.find("PATH");
    std::string path = it != merged.end() ? it->second : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find(':', start);
      if (end == std::string::npos)
        end = path.size();
      std::string dir = path.substr(start, end - start);
      std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + prog;
      if (access(cand.c_str(), X_OK) == 0) {
        s.path_ = cand;
        break;
      }
      start = end + 1;
    }
  }
  for (auto& a : s.args_)
    s.argv_.push_back(a.data());
  s.argv_.push_back(nullptr);
  for (auto& e : s.envs_)
    s.envp_.push_back(e.data());
  s.envp_.push_back(nullptr);
  return s;
}

void ExecSpec::Exec() const {
  execve(path_.c_str(), argv_.data(), envp_.data());
  _exit(127);
}

}  // namespace kcx
