#pragma once

// Logging for every kcx component: spdlog underneath, one line per record.
//
// Secrets never go to logs: pass identifiers, never passwords or tokens.
//
//   kcx::log::Info("apiserver listening on {}", addr);
//
// SetJsonFormat(true) switches to one JSON object per line (structured logs for controllers).

#include <spdlog/spdlog.h>

#include <string_view>

namespace kcx::log {

// Configure the process-wide logger. level: "debug", "info", "warn", "error".
void Init(std::string_view level, bool json);

template <typename... Args>
void Debug(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::debug(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void Info(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::info(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void Warn(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::warn(fmt, std::forward<Args>(args)...);
}
template <typename... Args>
void Error(spdlog::format_string_t<Args...> fmt, Args&&... args) {
  spdlog::error(fmt, std::forward<Args>(args)...);
}

}  // namespace kcx::log
