#include "operators/mysql/ha/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace kcx::mysql::ha {
namespace {

std::string Passwords() {
  std::string s = "passwords:\n";
  for (auto u : kAllSystemUsers)
    s += "  " + std::string(PasswordKey(u)) + ": pw" + std::string(UserName(u)) + "\n";
  return s;
}

TEST(HaConfig, Parse) {
  auto c = ParseHaConfig(
      "name: main\ninstances: ['127.0.0.11:3306', '127.0.0.12', 'db3:3307']\nserverIdBase: 200\n"
      "checkIntervalMs: 250\nhungTimeoutSeconds: 3\nlisten: 127.0.0.1:0\nstateFile: st.json\n" +
          Passwords(),
      "/etc/kcx");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "main");
  ASSERT_EQ(c->instances.size(), 3u);
  EXPECT_EQ(c->instances[1].port, 3306);
  EXPECT_EQ(c->instances[2].host, "db3");
  EXPECT_EQ(c->instances[2].port, 3307);
  EXPECT_EQ(c->server_id_base, 200u);
  EXPECT_EQ(c->check_interval.count(), 250);
  EXPECT_EQ(c->hung_timeout_s, 3);
  EXPECT_EQ(c->listen_port, 0);
  EXPECT_EQ(c->state_file, "/etc/kcx/st.json");
  EXPECT_EQ(c->passwords.Get(SystemUser::kRepl), "pwmoco-repl");
}

TEST(HaConfig, Errors) {
  EXPECT_FALSE(ParseHaConfig("instances: []\n" + Passwords(), ".").ok());
  EXPECT_FALSE(ParseHaConfig("instances: ['h:99999']\n" + Passwords(), ".").ok());
  EXPECT_FALSE(
      ParseHaConfig("instances: ['h:1']\nhungTimeoutSeconds: 9\n" + Passwords(), ".").ok());
  // A missing password is an error, and the message names the key, not a value.
  auto r = ParseHaConfig("instances: ['h:1']\npasswords: {ADMIN_PASSWORD: secret}\n", ".");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("secret"), std::string::npos);
  EXPECT_FALSE(ParseHaConfig("instances: [", ".").ok());
}

TEST(HaConfig, PasswordsFile) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("kcxha" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/pw.env");
    f << "# comment\n";
    for (auto u : kAllSystemUsers)
      f << PasswordKey(u) << "=x" << UserName(u) << "\n";
  }
  auto c = ParseHaConfig("instances: ['h:1']\npasswordsFile: pw.env\n", dir);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->passwords.Get(SystemUser::kAdmin), "xmoco-admin");
  std::filesystem::remove_all(dir);
}

TEST(HaState, SaveLoad) {
  const std::string path =
      std::filesystem::temp_directory_path() / ("kcxst" + std::to_string(getpid()) + ".json");
  auto empty = LoadHaState(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->current_primary, 0);
  ASSERT_TRUE(SaveHaState(path, {2, {1}}).ok());
  auto s = LoadHaState(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->current_primary, 2);
  EXPECT_EQ(s->errant, std::set<int>{1});
  std::remove(path.c_str());
}

TEST(Endpoint, Parse) {
  EXPECT_EQ(ParseEndpoint("a:1", 5)->port, 1);
  EXPECT_EQ(ParseEndpoint("a", 5)->port, 5);
  EXPECT_FALSE(ParseEndpoint(":1", 5).ok());
  EXPECT_FALSE(ParseEndpoint("a:b", 5).ok());
}

}  // namespace
}  // namespace kcx::mysql::ha
