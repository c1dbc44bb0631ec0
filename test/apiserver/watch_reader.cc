#include "test/apiserver/watch_reader.h"

#include <chrono>

namespace kcx::testenv {

WatchReader::WatchReader(TestApiServer& srv, const std::string& target,
                         const std::string& accept) {
  conn_ = srv.Connect();
  client::HttpRequest req;
  req.target = target;
  req.accept = accept;
  req.bearer_token = srv.token();
  auto r = conn_->StartStream(req);
  code_ = r.ok() ? r->code : -1;
  if (!r.ok()) ended_ = true;
}

std::optional<boost::json::object> WatchReader::Next(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      boost::system::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) return std::nullopt;
      return v.get_object();
    }
    if (ended_) return std::nullopt;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return std::nullopt;
    auto chunk = conn_->ReadSome(static_cast<int>(left));
    if (!chunk.ok()) {
      if (chunk.status().reason() != Reason::kTimeout) ended_ = true;
      if (chunk.status().reason() == Reason::kTimeout) return std::nullopt;
      continue;
    }
    if (chunk->empty()) {
      ended_ = true;
      continue;
    }
    buf_ += *chunk;
  }
}

}  // namespace kcx::testenv
