#include "test/compat/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "common/exec_spec.h"

namespace kcx::testenv {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Process::Process(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& env) {
  // Prepared before the fork: the child of a multithreaded process must not allocate.
  ExecSpec spec = ExecSpec::Make(argv, env);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    spec.Exec();
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

Process::~Process() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait(10000);
  }
  if (out_fd_ >= 0)
    close(out_fd_);
  if (err_fd_ >= 0)
    close(err_fd_);
}

bool Process::PollOnce(int timeout_ms) {
  pollfd fds[2];
  int n = 0;
  if (out_fd_ >= 0)
    fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0)
    fds[n++] = {err_fd_, POLLIN, 0};
  if (n == 0)
    return false;
  if (poll(fds, n, timeout_ms) <= 0)
    return true;
  for (int i = 0; i < n; ++i) {
    if (!fds[i].revents)
      continue;
    char buf[65536];
    ssize_t r = read(fds[i].fd, buf, sizeof buf);
    bool is_out = fds[i].fd == out_fd_;
    if (r <= 0) {
      close(fds[i].fd);
      (is_out ? out_fd_ : err_fd_) = -1;
    } else {
      (is_out ? out_ : err_).append(buf, r);
    }
  }
  return true;
}

bool Process::WaitForOutput(const std::string& needle, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (out_.find(needle) == std::string::npos) {
    int64_t left = deadline - NowMs();
    if (left <= 0 || out_fd_ < 0)
      return false;
    PollOnce(static_cast<int>(left));
  }
  return true;
}

void Process::Drain(int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  do {
    if (!PollOnce(static_cast<int>(std::max<int64_t>(0, deadline - NowMs()))))
      return;
  } while (NowMs() < deadline);
}

void Process::Signal(int sig) {
  if (!exited_ && pid_ > 0)
    kill(pid_, sig);
}

int Process::Wait(int timeout_ms) {
  if (exited_)
    return exit_code_;
  int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // Collect what the child wrote before exiting. Bounded: a grandchild may still hold the
      // pipes open.
      int64_t end = NowMs() + 1000;
      while ((out_fd_ >= 0 || err_fd_ >= 0) && NowMs() < end)
        PollOnce(50);
      return exit_code_;
    }
    int64_t left = deadline - NowMs();
    if (left <= 0)
      return -1;
    // Keep the pipes drained so the child never blocks on a full pipe while we wait.
    if (!PollOnce(static_cast<int>(std::min<int64_t>(left, 20)))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 20)));
    }
  }
}

}  // namespace kcx::testenv
