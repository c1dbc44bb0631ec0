#pragma once

// Reads a watch stream from kcx apiserver event by event (one JSON object per line).

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>

#include "client/transport.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {

class WatchReader {
 public:
  // Starts GET `target` (which must include watch=true or /watch/) on a new connection.
  WatchReader(TestApiServer& srv, const std::string& target,
              const std::string& accept = "application/json");
  int code() const { return code_; }
  // The next event, or nullopt if none arrives within `timeout_ms` or the stream ended.
  std::optional<boost::json::object> Next(int timeout_ms = 5000);
  // True once the server ended the stream.
  bool Ended() const { return ended_; }

 private:
  std::unique_ptr<client::Connection> conn_;
  std::string buf_;
  int code_ = 0;
  bool ended_ = false;
};

}  // namespace kcx::testenv
