#pragma once

// A child process for compatibility and crash tests: spawned with pipes, its output read
// incrementally (so a test can wait for a line while the child keeps running), signalled and
// reaped. RunCommand() in the fixture covers the run-to-completion case; this covers
// long-running children (`kubectl get -w`, `kcx apiserver`).
//
// Threading: one thread uses a Process at a time.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace kcx::testenv {

class Process {
 public:
  // Starts argv[0] (looked up on PATH) with extra environment variables; stdin is /dev/null.
  // Throws std::runtime_error if fork fails. An exec failure shows as exit code 127.
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});
  // Kills (SIGKILL) and reaps the child if it is still running.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Reads stdout until it contains `needle` (searching everything read so far) or
  // `timeout_ms` passes or stdout closes. Returns whether it was found.
  bool WaitForOutput(const std::string& needle, int timeout_ms);
  // Reads whatever stdout/stderr hold now or within `timeout_ms`, without waiting longer.
  void Drain(int timeout_ms = 0);
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

  void Signal(int sig);
  // Waits for the child to exit (draining its output); returns the exit code, 128+signal if
  // killed by a signal, or -1 if it is still running after `timeout_ms`.
  int Wait(int timeout_ms);

 private:
  // One poll round over the open pipes; false if both are closed.
  bool PollOnce(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  bool exited_ = false;
  int exit_code_ = -1;
};

}  // namespace kcx::testenv
