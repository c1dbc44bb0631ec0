#pragma once

// Transport-neutral request and response types. The HTTP server (server.cc) converts Beast
// messages to and from these; everything above it (the REST handlers) is plain C++ that unit
// tests can call directly.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/store/resource_store.h"

namespace kcx::apiserver {

struct UserInfo {
  std::string name;
  std::vector<std::string> groups;
  bool authenticated = false;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path, without the query
  std::multimap<std::string, std::string, std::less<>> query;
  std::string accept;
  std::string content_type;
  std::string user_agent;
  std::string body;
  UserInfo user;

  // The first value of a query parameter, or "" if absent.
  std::string_view Query(std::string_view key) const;
  bool HasQuery(std::string_view key) const;
  // A boolean parameter parsed as Go's strconv.ParseBool does ("1", "t", "T", "TRUE", "true",
  // "True" are true): clients such as python3-kubernetes send "True".
  bool QueryBool(std::string_view key) const;
};

// A streaming watch response: the server writes `Next()` frames until the watch ends.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Installs the wake-up callback (called from any thread when frames may be ready).
  virtual void SetWakeup(std::function<void()> wake) = 0;
  // Appends ready frames (each a complete line of JSON) to `out`. Returns false once the watch
  // has ended and everything was returned. Called from the connection's thread.
  virtual bool Next(std::vector<std::shared_ptr<const std::string>>& out) = 0;
  // Seconds until the server ends the watch (timeoutSeconds).
  virtual int TimeoutSeconds() const = 0;
  // Called once when the client goes away or the stream ends.
  virtual void Stop() = 0;
};

struct Response {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<WatchStream> watch;  // set for watch responses; body is then unused
};

using Responder = std::function<void(Response)>;

// The entry point the HTTP server calls for every authenticated request. `respond` is called
// exactly once, either inline or later from another thread (a durable write's commit thread).
class Handler {
 public:
  virtual ~Handler() = default;
  virtual void Handle(Request req, Responder respond) = 0;
};

}  // namespace kcx::apiserver
