#pragma once

// Shared by the benchmark programs: `kcx apiserver` as a child process (started on port 0 in
// a fresh data directory, ready once its kubeconfig exists), and /proc readings of CPU time
// and resident memory.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/transport.h"
#include "common/status.h"

namespace kcx::bench {

inline std::string LoadAvg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

inline double ProcessCpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may contain spaces) start after the last ')'.
  size_t p = s.rfind(')');
  if (p == std::string::npos)
    return 0;
  std::istringstream in(s.substr(p + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14)
      utime = std::stoull(field);
    if (i == 15)
      stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

inline long RssKiB(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));
  }
  return -1;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}


// The server under test: `kcx apiserver` as a child process.
class ServerProcess {
  using SteadyClock = std::chrono::steady_clock;

 public:
  struct Options {
    std::string kcx;
    std::string work_dir = "/var/tmp";
    int threads = 2;
    bool keep = false;  // keep the data dir afterwards
    std::string storage = "memory";
  };
  explicit ServerProcess(Options o) : opts_(std::move(o)), storage_(opts_.storage) {}
  ~ServerProcess() { Stop(); }

  Status Start() {
    std::string tmpl = opts_.work_dir + "/kcx-bench-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
      return Internal("mkdtemp in " + opts_.work_dir + " failed");
    dir_ = buf.data();
    std::string log = dir_ + "/server.log";
    std::string threads = std::to_string(opts_.threads);
    pid_ = fork();
    if (pid_ < 0)
      return Internal("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* f = std::fopen(log.c_str(), "w");
      if (f) {
        dup2(fileno(f), 1);
        dup2(fileno(f), 2);
      }
      execl(opts_.kcx.c_str(), "kcx", "apiserver", "--data-dir", dir_.c_str(), "--storage",
            storage_.c_str(), "--port", "0", "--threads", threads.c_str(), "--log-level", "warn",
            static_cast<char*>(nullptr));
      std::perror("exec kcx");
      _exit(127);
    }
    const std::string kubeconfig = dir_ + "/kubeconfig";
    auto deadline = SteadyClock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(kubeconfig)) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return Internal("kcx apiserver exited before it was ready: " + ReadFile(log));
      }
      if (SteadyClock::now() > deadline)
        return Timeout("kcx apiserver not ready after 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::string kc = ReadFile(kubeconfig);
    size_t p = kc.find("server: ");
    if (p == std::string::npos)
      return Internal("no server in " + kubeconfig);
    url_ = kc.substr(p + 8, kc.find('\n', p) - p - 8);
    KCX_ASSIGN_OR_RETURN(endpoint_, client::Endpoint::FromUrl(url_));
    tls_.ca_pem = ReadFile(dir_ + "/pki/ca.crt");
    token_ = ReadFile(dir_ + "/pki/token");
    while (!token_.empty() && std::isspace(static_cast<unsigned char>(token_.back()))) {
      token_.pop_back();
    }
    return Status::Ok();
  }

  // SIGTERM, then SIGKILL after 20 s. Reports an abnormal exit (the lead is chasing a crash).
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int st = 0;
      auto deadline = SteadyClock::now() + std::chrono::seconds(20);
      pid_t r = 0;
      while ((r = waitpid(pid_, &st, WNOHANG)) == 0 && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (r == 0) {
        std::fprintf(stderr, "  ! kcx apiserver did not stop within 20 s of SIGTERM; killed\n");
        kill(pid_, SIGKILL);
        waitpid(pid_, &st, 0);
      } else if (WIFSIGNALED(st)) {
        std::fprintf(stderr, "  ! kcx apiserver died from signal %d (log: %s/server.log)\n",
                     WTERMSIG(st), dir_.c_str());
        crashed_ = true;
      } else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
        std::fprintf(stderr, "  ! kcx apiserver exited with status %d\n", WEXITSTATUS(st));
      }
      pid_ = -1;
    }
    if (!dir_.empty() && !opts_.keep && !crashed_) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // True if the server process has died (checked without reaping it for good).
  bool Dead() {
    if (pid_ <= 0)
      return true;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      if (WIFSIGNALED(st)) {
        std::fprintf(stderr, "  ! kcx apiserver died from signal %d (log: %s/server.log)\n",
                     WTERMSIG(st), dir_.c_str());
        crashed_ = true;
      }
      pid_ = -1;
      return true;
    }
    return false;
  }

  Result<std::unique_ptr<client::Connection>> Connect() const {
    return client::Connection::Open(endpoint_, tls_);
  }
  client::HttpRequest Req(std::string method, std::string target, std::string body = "") const {
    client::HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    if (!r.body.empty())
      r.content_type = "application/json";
    r.bearer_token = token_;
    return r;
  }

  pid_t pid() const { return pid_; }
  std::string kubeconfig() const { return dir_ + "/kubeconfig"; }
  const std::string& dir() const { return dir_; }
  const client::Endpoint& endpoint() const { return endpoint_; }
  const client::TlsConfig& tls() const { return tls_; }
  const std::string& token() const { return token_; }

 private:
  Options opts_;
  std::string storage_;
  std::string dir_, url_, token_;
  client::Endpoint endpoint_;
  client::TlsConfig tls_;
  pid_t pid_ = -1;
  bool crashed_ = false;
};

}  // namespace kcx::bench
