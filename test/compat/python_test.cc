// Runs the official Python client (python3-kubernetes from Debian, imported by /usr/bin/python3)
// against kcx apiserver started in-process; the assertions are in python_client.py.

#include <gtest/gtest.h>

#include "test/testenv/apiserver_fixture.h"

#ifndef KCX_COMPAT_DIR
#error "KCX_COMPAT_DIR must name test/compat"
#endif

namespace kcx::testenv {
namespace {

// Debian's python3-kubernetes is installed for the system interpreter only; the `python3` on
// PATH may be another one.
constexpr char kPython[] = "/usr/bin/python3";

void RunScenario(const std::string& scenario) {
  auto srv = TestApiServer::Start();
  auto r = RunCommand(
      {kPython, std::string(KCX_COMPAT_DIR) + "/python_client.py", srv->kubeconfig(), scenario},
      {{"PYTHONDONTWRITEBYTECODE", "1"}}, "", 60);
  EXPECT_EQ(r.exit_code, 0) << "stdout:\n" << r.out << "\nstderr:\n" << r.err;
  EXPECT_EQ(r.out, "PASS " + scenario + "\n") << r.err;
}

TEST(PythonClientTest, ListCreateReadPatchDeleteAndErrors) { RunScenario("crud"); }

TEST(PythonClientTest, WatchWithResume) { RunScenario("watch"); }

}  // namespace
}  // namespace kcx::testenv
