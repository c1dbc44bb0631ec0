// `kcx mysql ha` as a user runs it: the real binary, a YAML config and a passwords file, over
// real mariadbd instances; then `kcx mysql ha switchover` and SIGTERM.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "common/exec_spec.h"
#include "net/http_server.h"
#include "test/mysql/harness.h"

namespace kcx::mysql::testing {
namespace {

using namespace std::chrono_literals;

int FreePort() {
  // Bind port 0 through the HTTP server helper to learn a free port, then release it.
  net::HttpServer s;
  if (!s.Start("127.0.0.1", 0, [](const net::HttpRequest&) { return net::HttpResponse{}; }).ok())
    return 0;
  int p = s.port();
  s.Stop();
  return p;
}

TEST(MysqlHaCommand, RunsSwitchesOverAndStops) {
  auto h = MariadbHarness::Create(3);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE((*h)->StartAll().ok());
  const std::string dir = (*h)->dir();
  const int port = FreePort();
  ASSERT_GT(port, 0);
  {
    std::ofstream pw(dir + "/pw.env");
    for (auto u : kAllSystemUsers)
      pw << PasswordKey(u) << "=" << (*h)->passwords().Get(u) << "\n";
    std::ofstream cfg(dir + "/ha.yaml");
    cfg << "name: cli\ninstances:\n";
    for (int i = 0; i < 3; ++i)
      cfg << "  - " << (*h)->at(i).endpoint().ToString() << "\n";
    cfg << "serverIdBase: 1000\ncheckIntervalMs: 500\nhungTimeoutSeconds: 1\n"
        << "listen: 127.0.0.1:" << port << "\nstateFile: state.json\npasswordsFile: pw.env\n";
  }
  const std::string log = dir + "/ha.log";
  // Prepared before the fork: the child of a multithreaded process must not allocate.
  ExecSpec spec = ExecSpec::Make({KCX_BINARY, "mysql", "ha", "--config", dir + "/ha.yaml"});
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    spec.Exec();
  }
  bool healthy = false;
  for (int i = 0; i < 600 && !healthy; ++i) {
    std::this_thread::sleep_for(100ms);
    auto r = net::HttpCall("127.0.0.1", port, "GET", "/status");
    if (r.ok() && r->body.find("\"state\":\"Healthy\"") != std::string::npos)
      healthy = true;
  }
  ASSERT_TRUE(healthy);
  const std::string cmd = std::string(KCX_BINARY) + " mysql ha switchover --config " + dir +
                          "/ha.yaml --to 1 > " + dir + "/sw.out 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream out(dir + "/sw.out");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "primary: instance 0 -> instance 1");
  std::ifstream st(dir + "/state.json");
  std::string state((std::istreambuf_iterator<char>(st)), {});
  EXPECT_NE(state.find("\"currentPrimary\":1"), std::string::npos) << state;

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The log must not contain any password.
  std::ifstream lf(log);
  std::string logtext((std::istreambuf_iterator<char>(lf)), {});
  EXPECT_NE(logtext.find("switchover"), std::string::npos);
  for (auto u : kAllSystemUsers) {
    EXPECT_EQ(logtext.find((*h)->passwords().Get(u)), std::string::npos) << UserName(u);
  }
}

}  // namespace
}  // namespace kcx::mysql::testing
