#include "test/mysql/harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/exec_spec.h"
#include "common/log.h"
#include "operators/mysql/db/mycnf.h"

namespace kcx::mysql::testing {
namespace fs = std::filesystem;
namespace {

int RunCommand(const std::vector<std::string>& argv, const std::string& out) {
  // Prepared before the fork: the child of a multithreaded process must not allocate.
  ExecSpec spec = ExecSpec::Make(argv);
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    spec.Exec();
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// The template data dir: made once per machine (and server version) by mariadb-install-db.
Result<std::string> TemplateDir() {
  const std::string dir = "/tmp/kcx-mariadb-template-v1";
  if (fs::exists(dir + "/mysql"))
    return dir;
  int lock = open("/tmp/kcx-mariadb-template.lock", O_CREAT | O_RDWR, 0644);
  if (lock < 0)
    return Internal("cannot open template lock");
  flock(lock, LOCK_EX);
  Status st;
  if (!fs::exists(dir + "/mysql")) {
    const std::string tmp = dir + ".tmp." + std::to_string(getpid());
    fs::remove_all(tmp);
    int rc = RunCommand({"mariadb-install-db", "--no-defaults", "--datadir=" + tmp,
                         "--auth-root-authentication-method=normal", "--skip-test-db",
                         "--user=root", "--innodb-log-file-size=8M"},
                        tmp + ".log");
    if (rc != 0) {
      st = Internal("mariadb-install-db failed; see " + tmp + ".log");
    } else {
      std::error_code ec;
      fs::remove_all(dir, ec);
      fs::rename(tmp, dir, ec);
      if (ec)
        st = Internal("rename template: " + ec.message());
      fs::remove(tmp + ".log", ec);
    }
  }
  flock(lock, LOCK_UN);
  close(lock);
  if (!st.ok())
    return st;
  return dir;
}

}  // namespace

std::string LoopbackPrefix() {
  const unsigned pid = static_cast<unsigned>(getpid());
  return "127." + std::to_string(100 + (pid / 256) % 100) + "." + std::to_string(pid % 256) + ".";
}

MariadbInstance::MariadbInstance(int index, std::string dir, Endpoint ep, uint32_t server_id,
                                 const Passwords* pw, std::map<std::string, std::string> extra)
    : index_(index),
      dir_(std::move(dir)),
      ep_(std::move(ep)),
      server_id_(server_id),
      pw_(pw),
      extra_(std::move(extra)) {}

MariadbInstance::~MariadbInstance() {
  if (pid_ > 0) {
    kill(pid_, SIGCONT);
    Kill9();
  }
}

Status MariadbInstance::WriteConfig() {
  MyCnfOptions o;
  o.flavor = Flavor::kMariaDB;
  o.server_id = server_id_;
  o.report_host = ep_.host;
  o.port = ep_.port;
  o.bind_address = ep_.host;
  o.datadir = dir_ + "/data";
  o.socket = dir_ + "/mysqld.sock";
  o.pid_file = dir_ + "/mysqld.pid";
  o.log_error = dir_ + "/error.log";
  // Small and quick for tests; the durability settings stay as generated.
  o.user = {{"innodb_buffer_pool_size", "33554432"},
            {"innodb_log_file_size", "8388608"},
            {"performance_schema", "OFF"},
            {"max_connections", "200"},
            {"thread_handling", "one-thread-per-connection"}};
  for (const auto& [k, v] : extra_)
    o.user[k] = v;
  std::ofstream f(dir_ + "/my.cnf");
  f << GenerateMyCnf(o);
  f.close();
  if (!f)
    return Internal("cannot write my.cnf");
  return Status::Ok();
}

Status MariadbInstance::Start() {
  KCX_RETURN_IF_ERROR(Launch());
  return Finish();
}

Status MariadbInstance::Finish() {
  KCX_RETURN_IF_ERROR(WaitReady());
  return CreateUsers();
}

Status MariadbInstance::Launch() {
  if (pid_ > 0)
    return Status::Ok();
  fs::create_directories(dir_);
  if (!fs::exists(dir_ + "/data/mysql")) {
    KCX_ASSIGN_OR_RETURN(std::string tpl, TemplateDir());
    std::error_code ec;
    fs::copy(tpl, dir_ + "/data", fs::copy_options::recursive, ec);
    if (ec)
      return Internal("copy template: " + ec.message());
  }
  KCX_RETURN_IF_ERROR(WriteConfig());
  const std::string cnf = dir_ + "/my.cnf";
  const std::string out = dir_ + "/mysqld.out";
  pid_t parent = getpid();
  ExecSpec spec = ExecSpec::Make({"mariadbd", "--defaults-file=" + cnf, "--user=root"});
  pid_t pid = fork();
  if (pid < 0)
    return Internal("fork failed");
  if (pid == 0) {
    // Die with the test process so no mariadbd outlives a crashed test.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(1);
    setpgid(0, 0);
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    spec.Exec();
  }
  pid_ = pid;
  return Status::Ok();
}

Status MariadbInstance::WaitReady() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int wst = 0;
    if (waitpid(pid_, &wst, WNOHANG) == pid_) {
      pid_ = -1;
      return Internal("mariadbd exited during startup; see " + dir_ + "/error.log");
    }
    Connection c;
    if (c.Connect({"", 0, "root", "", dir_ + "/mysqld.sock", 2, 5, 5}).ok())
      return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Timeout("mariadbd did not start in time: " + dir_);
}

Status MariadbInstance::CreateUsers() {
  KCX_ASSIGN_OR_RETURN(auto c, ConnectRoot());
  for (const auto& s : CreateUsersSql(Flavor::kMariaDB, *pw_)) {
    Status st = c->Exec(s);
    if (!st.ok())
      return Internal("creating users failed: " + std::to_string(c->last_errno()));
  }
  return Status::Ok();
}

void MariadbInstance::Kill9() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGKILL);
  int st = 0;
  waitpid(pid_, &st, 0);
  pid_ = -1;
}

Status MariadbInstance::Stop() {
  if (pid_ <= 0)
    return Status::Ok();
  kill(pid_, SIGCONT);
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill9();
  return Timeout("mariadbd did not stop in 30 s; killed");
}

void MariadbInstance::SigStop() {
  if (pid_ > 0)
    kill(pid_, SIGSTOP);
}
void MariadbInstance::SigCont() {
  if (pid_ > 0)
    kill(pid_, SIGCONT);
}

Status MariadbInstance::Wipe() {
  Kill9();
  std::error_code ec;
  fs::remove_all(dir_ + "/data", ec);
  return Start();
}

Result<std::unique_ptr<Connection>> MariadbInstance::Connect(SystemUser u,
                                                             int read_timeout_s) const {
  auto c = std::make_unique<Connection>();
  KCX_RETURN_IF_ERROR(c->Connect({ep_.host, ep_.port, std::string(UserName(u)), pw_->Get(u), "", 2,
                                  read_timeout_s, read_timeout_s}));
  return c;
}

Result<std::unique_ptr<Connection>> MariadbInstance::ConnectRoot() const {
  auto c = std::make_unique<Connection>();
  KCX_RETURN_IF_ERROR(c->Connect({"", 0, "root", "", dir_ + "/mysqld.sock", 2, 30, 30}));
  return c;
}

Result<std::unique_ptr<MariadbHarness>> MariadbHarness::Create(
    int n, uint32_t base, std::map<std::string, std::string> extra,
    std::optional<Passwords> passwords) {
  std::unique_ptr<MariadbHarness> h(new MariadbHarness());
  char tmpl[] = "/tmp/kcxmy.XXXXXX";
  if (!mkdtemp(tmpl))
    return Internal("mkdtemp failed");
  h->dir_ = tmpl;
  h->base_ = base;
  h->pw_ = passwords ? std::move(*passwords) : Passwords::Random();
  const std::string prefix = LoopbackPrefix();
  for (int i = 0; i < n; ++i) {
    h->instances_.push_back(std::make_unique<MariadbInstance>(
        i, h->dir_ + "/i" + std::to_string(i), Endpoint{prefix + std::to_string(10 + i), 3306},
        base + static_cast<uint32_t>(i), &h->pw_, extra));
  }
  return h;
}

MariadbHarness::~MariadbHarness() {
  for (auto& i : instances_) {
    if (i->running()) {
      i->SigCont();
      kill(i->pid(), SIGKILL);
    }
  }
  instances_.clear();
  if (!getenv("KCX_KEEP_MARIADB_DIRS")) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

Status MariadbHarness::StartAll() {
  // Fork from this thread only (PR_SET_PDEATHSIG follows the forking thread); the servers
  // then initialise in parallel.
  for (auto& i : instances_)
    KCX_RETURN_IF_ERROR(i->Launch());
  for (auto& i : instances_)
    KCX_RETURN_IF_ERROR(i->Finish());
  return Status::Ok();
}

clustering::ClusterSpec MariadbHarness::Spec(const std::string& name) const {
  clustering::ClusterSpec s;
  s.name = name;
  s.server_id_base = base_;
  for (const auto& i : instances_)
    s.instances.push_back(i->endpoint());
  s.passwords = pw_;
  s.current_primary = 0;
  return s;
}

}  // namespace kcx::mysql::testing
