#pragma once

// Starting a program from a multithreaded process. Between fork() and exec the child may only
// call async-signal-safe functions: another thread may have held the allocator's lock at the
// moment of the fork, so a malloc in the child (setenv, std::string, std::vector) can wait
// forever. That hang was seen in tests that run kubectl next to an in-process API server and
// operator (kubectl "timed out" with no output). ExecSpec prepares everything — the resolved
// path, argv and the environment — before the fork, so the child only dup2()s and execve()s.
//
//   auto spec = ExecSpec::Make({"kubectl", "get", "pods"}, {{"KUBECONFIG", path}});
//   pid_t pid = fork();
//   if (pid == 0) { dup2(...); spec.Exec(); }

#include <map>
#include <string>
#include <vector>

namespace kcx {

class ExecSpec {
 public:
  // argv[0] is looked up on PATH (the PATH of `env` if it sets one, else the process's) unless
  // it contains a '/'. The child's environment is the process's with `env` applied.
  static ExecSpec Make(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env = {});

  // In the child after fork(): execve, or _exit(127) if that fails. Async-signal-safe.
  [[noreturn]] void Exec() const;

  const std::string& path() const { return path_; }

  ExecSpec(const ExecSpec&) = delete;
  ExecSpec& operator=(const ExecSpec&) = delete;
  ExecSpec(ExecSpec&&) = default;

 private:
  ExecSpec() = default;
  std::string path_;
  std::vector<std::string> args_, envs_;
  std::vector<char*> argv_, envp_;
};

}  // namespace kcx
