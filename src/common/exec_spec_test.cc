#include "common/exec_spec.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace kcx {
namespace {

// Runs the spec in a child with stdout on a pipe; returns what it printed.
std::string RunAndRead(const ExecSpec& spec, int* exit_code) {
  int p[2];
  EXPECT_EQ(pipe(p), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    close(p[0]);
    close(p[1]);
    spec.Exec();
  }
  close(p[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, n);
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

TEST(ExecSpecTest, ResolvesOnPathAndAppliesTheEnvironment) {
  auto spec = ExecSpec::Make({"sh", "-c", "echo \"$KCX_A-$HOME\""},
                             {{"KCX_A", "one"}, {"HOME", "/nowhere"}});
  EXPECT_EQ(spec.path().front(), '/') << spec.path();
  int code = -1;
  EXPECT_EQ(RunAndRead(spec, &code), "one-/nowhere\n");
  EXPECT_EQ(code, 0);
}

TEST(ExecSpecTest, PathFromTheGivenEnvironment) {
  // An empty PATH finds nothing: exec fails and the child exits 127.
  auto spec = ExecSpec::Make({"sh", "-c", "true"}, {{"PATH", "/nonexistent"}});
  int code = -1;
  RunAndRead(spec, &code);
  EXPECT_EQ(code, 127);
}

}  // namespace
}  // namespace kcx
