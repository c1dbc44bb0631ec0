#pragma once

// Validation of cron schedules as MOCO validates them (robfig/cron v3 ParseStandard): five
// fields (minute hour day-of-month month day-of-week) with *, ?, lists, ranges, steps, month
// and weekday names; descriptors (@yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly, @every <Go duration>); an optional "TZ=<zone> " or "CRON_TZ=<zone> " prefix.
// Error messages are robfig/cron's, so a webhook denial reads as MOCO's.
// Pure function; thread-safe.

#include <string_view>

#include "common/status.h"

namespace kcx::mysql::api {

// Ok, or Invalid whose message is the parser's error ("expected exactly 5 fields, found 1:
// [foo]", "end of range (60) above maximum (59): 60", ...).
Status ParseStandardCron(std::string_view spec);

}  // namespace kcx::mysql::api
