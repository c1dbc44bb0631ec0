#include "operators/mysql/api/cron.h"

#include <gtest/gtest.h>

namespace kcx::mysql::api {
namespace {

std::string Err(std::string_view spec) {
  Status s = ParseStandardCron(spec);
  return s.ok() ? "ok" : s.message();
}

TEST(CronTest, AcceptsStandardSchedules) {
  for (const char* spec : {"* * * * *",
                           "*/5 * * * *",
                           "0 0 * * *",
                           "0,30 9-17 * * mon-fri",
                           "15 3 1 jan,JUL *",
                           "0 0 1-31/2 * ?",
                           "5/15 * * * *",
                           "0 12 * * 0",
                           "0 12 * * SAT",
                           "@hourly",
                           "@daily",
                           "@midnight",
                           "@weekly",
                           "@monthly",
                           "@yearly",
                           "@annually",
                           "@every 5m",
                           "@every 1h30m",
                           "@every 1.5s",
                           "TZ=UTC 0 0 * * *",
                           "CRON_TZ=Asia/Tokyo 0 0 * * *",
                           "  0  0  *  *  *  "}) {
    EXPECT_EQ(Err(spec), "ok") << spec;
  }
}

TEST(CronTest, RobfigMessages) {
  EXPECT_EQ(Err(""), "empty spec string");
  EXPECT_EQ(Err("foo"), "expected exactly 5 fields, found 1: [foo]");
  EXPECT_EQ(Err("0 0 * * * *"), "expected exactly 5 fields, found 6: [0 0 * * * *]");
  EXPECT_EQ(Err("60 * * * *"), "end of range (60) above maximum (59): 60");
  EXPECT_EQ(Err("* 24 * * *"), "end of range (24) above maximum (23): 24");
  EXPECT_EQ(Err("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
  EXPECT_EQ(Err("* * * 13 *"), "end of range (13) above maximum (12): 13");
  EXPECT_EQ(Err("* * * * 7"), "end of range (7) above maximum (6): 7");
  EXPECT_EQ(Err("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
  EXPECT_EQ(Err("1-2-3 * * * *"), "too many hyphens: 1-2-3");
  EXPECT_EQ(Err("*/2/3 * * * *"), "too many slashes: */2/3");
  EXPECT_EQ(Err("*/0 * * * *"), "step of range should be a positive number: */0");
  EXPECT_EQ(Err("x * * * *"),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(Err("* * * * funday"),
            "failed to parse int from funday: strconv.Atoi: parsing \"funday\": invalid syntax");
  EXPECT_EQ(Err("*/-1 * * * *"), "negative number (-1) not allowed: -1");
  EXPECT_EQ(Err("@often"), "unrecognized descriptor: @often");
  EXPECT_EQ(Err("@every soon"),
            "failed to parse duration @every soon: time: invalid duration \"soon\"");
  EXPECT_EQ(Err("@every 5"),
            "failed to parse duration @every 5: time: missing unit in "
            "duration \"5\"");
  EXPECT_EQ(Err("@every 5d"),
            "failed to parse duration @every 5d: time: unknown unit \"d\" in "
            "duration \"5d\"");
  EXPECT_EQ(Err("TZ=Mars/Olympus 0 0 * * *"),
            "provided bad location Mars/Olympus: unknown time zone Mars/Olympus");
}

}  // namespace
}  // namespace kcx::mysql::api
