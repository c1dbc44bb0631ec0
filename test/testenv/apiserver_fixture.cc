#include "test/testenv/apiserver_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "common/exec_spec.h"

namespace kcx::testenv {

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         const std::string& stdin_data, int timeout_s) {
  CommandResult res;
  // Prepared before the fork: the child of a multithreaded process must not allocate.
  ExecSpec spec = ExecSpec::Make(argv, env);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    return res;
  pid_t pid = fork();
  if (pid == 0) {
    // dup2 clears close-on-exec on the copies.
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    spec.Exec();
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Feed stdin, then read both outputs until EOF or timeout.
  size_t written = 0;
  int in_fd = in[1];
  if (stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      kill(pid, SIGKILL);
      res.err += "\n[killed after timeout]";
      break;
    }
    pollfd fds[3];
    int n = 0;
    if (out_open)
      fds[n++] = {out[0], POLLIN, 0};
    if (err_open)
      fds[n++] = {err[0], POLLIN, 0};
    if (in_fd >= 0)
      fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, n, static_cast<int>(std::min<long long>(left, 1000))) < 0)
      break;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents)
        continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = write(in_fd, stdin_data.data() + written, stdin_data.size() - written);
        if (w > 0)
          written += w;
        if (w < 0 || written == stdin_data.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r <= 0) {
        if (fds[i].fd == out[0])
          out_open = false;
        if (fds[i].fd == err[0])
          err_open = false;
      } else {
        (fds[i].fd == out[0] ? res.out : res.err).append(buf, r);
      }
    }
  }
  if (in_fd >= 0)
    close(in_fd);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return res;
}

std::unique_ptr<TestApiServer> TestApiServer::Start(Options opts) {
  std::unique_ptr<TestApiServer> t(new TestApiServer());
  if (opts.data_dir.empty()) {
    t->tmp_ = std::make_unique<TempDir>("kcx-apiserver");
    t->data_dir_ = t->tmp_->path();
  } else {
    t->data_dir_ = opts.data_dir;
  }
  apiserver::ApiServerOptions o;
  o.data_dir = t->data_dir_;
  o.storage = opts.durable ? "sqlite" : "memory";
  o.bind_address = opts.bind_address;
  o.port = 0;
  o.watch_history = opts.watch_history;
  o.bookmark_interval_ms = opts.bookmark_interval_ms;
  t->server_ = std::make_unique<apiserver::ApiServer>(o);
  if (Status st = t->server_->Start(); !st.ok()) {
    throw std::runtime_error("starting kcx apiserver: " + st.ToString());
  }
  return t;
}

TestApiServer::~TestApiServer() {
  conn_.reset();
  if (server_)
    server_->Stop();
}

std::unique_ptr<client::Connection> TestApiServer::Connect() const {
  client::Endpoint ep{"127.0.0.1", port()};
  ep.host = server_->url().substr(8, server_->url().rfind(':') - 8);
  client::TlsConfig tls;
  tls.ca_pem = server_->ca_pem();
  auto c = client::Connection::Open(ep, tls);
  if (!c.ok())
    throw std::runtime_error("connect: " + c.status().ToString());
  return std::move(*c);
}

CallResult TestApiServer::Call(const std::string& method, const std::string& target,
                               const std::string& body, const std::string& content_type,
                               const std::string& accept) {
  std::string last_error;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!conn_ || !conn_->Reusable())
      conn_ = Connect();
    client::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    if (!body.empty())
      req.content_type = content_type;
    req.accept = accept;
    req.bearer_token = token();
    auto r = conn_->RoundTrip(req);
    if (!r.ok()) {
      last_error = r.status().ToString();
      conn_.reset();
      continue;
    }
    CallResult out;
    out.code = r->code;
    out.body = std::move(r->body);
    out.content_type = r->content_type;
    boost::system::error_code ec;
    out.json = boost::json::parse(out.body, ec);
    if (ec)
      out.json = nullptr;
    return out;
  }
  throw std::runtime_error("request failed twice: " + method + " " + target + ": " + last_error);
}

CommandResult TestApiServer::Kubectl(const std::vector<std::string>& args,
                                     const std::string& stdin_data,
                                     const std::map<std::string, std::string>& env,
                                     int timeout_s) const {
  std::vector<std::string> argv = {"kubectl", "--kubeconfig", kubeconfig()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> e = env;
  e.emplace("HOME", data_dir_);  // kubectl's discovery cache lives under $HOME/.kube
  return RunCommand(argv, e, stdin_data, timeout_s);
}

}  // namespace kcx::testenv
