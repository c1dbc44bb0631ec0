#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>

namespace kcx::log {

void Init(std::string_view level, bool json) {
  auto logger = spdlog::stderr_logger_mt("kcx");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  if (json) {
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %L %v", spdlog::pattern_time_type::utc);
  }
}

}  // namespace kcx::log
