#pragma once

// EventRecorder: core/v1 Events about objects, with client-go's correlation
// (tools/record/events_cache.go):
//   - de-duplication: an event identical to one recorded within the last 10 minutes (same
//     source, involved object, type, reason and message) is not created again; the existing
//     Event's count goes up and lastTimestamp moves (a merge patch);
//   - aggregation: once 10 events with the same source, object, type and reason but different
//     messages arrive within 10 minutes, further ones are folded into one Event whose message
//     is "(combined from similar events): <latest message>";
//   - events are written by a background thread from a bounded queue (1000); when the API
//     server is slow, excess events are dropped rather than blocking the caller, as
//     client-go's broadcaster does.
//
// Threading: Event() is thread-safe and never blocks on the network.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "client/rest_client.h"
#include "common/clock.h"

namespace kcx::runtime {

// The object an event is about (core/v1 ObjectReference).
struct ObjectReference {
  std::string api_version, kind, ns, name, uid, resource_version;
};

class EventRecorder {
 public:
  // `component` is the event source (e.g. "moco-controller"); `host` optional.
  EventRecorder(client::RestClient* client, std::string component, std::string host = "",
                Clock& clock = RealClock());
  ~EventRecorder();

  // type: "Normal" or "Warning". Returns immediately.
  void Event(const ObjectReference& obj, const std::string& type, const std::string& reason,
             const std::string& message);
  // Waits until every queued event was written (tests, shutdown).
  void Flush();
  // Events dropped because the queue was full.
  uint64_t dropped() const;

 private:
  struct Pending {
    ObjectReference obj;
    std::string type, reason, message;
    std::chrono::system_clock::time_point at;
  };
  struct Cached {
    std::string event_name, ns;
    int count = 0;
    std::string first_timestamp;
    Clock::MonoTime last_seen{};
  };
  struct Similar {
    std::unordered_map<std::string, bool> messages;
    Clock::MonoTime since{};
  };

  void Loop();
  void Write(const Pending& p);

  client::RestClient* client_;
  const std::string component_, host_;
  Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false, writing_ = false;
  uint64_t dropped_ = 0;
  std::thread thread_;

  // Used by the writer thread only.
  std::unordered_map<std::string, Cached> dedup_;
  std::list<std::string> dedup_lru_;
  std::unordered_map<std::string, Similar> similar_;
};

}  // namespace kcx::runtime
