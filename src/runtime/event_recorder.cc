#include "runtime/event_recorder.h"

#include <boost/json.hpp>
#include <cstdio>

#include "common/log.h"
#include "common/strings.h"

namespace kcx::runtime {

namespace json = boost::json;

namespace {
constexpr size_t kQueueLimit = 1000;
constexpr size_t kCacheSize = 4096;
constexpr auto kWindow = std::chrono::minutes(10);
constexpr size_t kMaxSimilar = 10;
}  // namespace

EventRecorder::EventRecorder(client::RestClient* client, std::string component, std::string host,
                             Clock& clock)
    : client_(client), component_(std::move(component)), host_(std::move(host)), clock_(clock) {
  thread_ = std::thread([this] { Loop(); });
}

EventRecorder::~EventRecorder() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

void EventRecorder::Event(const ObjectReference& obj, const std::string& type,
                          const std::string& reason, const std::string& message) {
  std::lock_guard l(mu_);
  if (queue_.size() >= kQueueLimit) {
    ++dropped_;
    return;
  }
  queue_.push_back({obj, type, reason, message, clock_.WallNow()});
  cv_.notify_one();
}

void EventRecorder::Flush() {
  std::unique_lock l(mu_);
  idle_cv_.wait(l, [this] { return queue_.empty() && !writing_; });
}

uint64_t EventRecorder::dropped() const {
  std::lock_guard l(mu_);
  return dropped_;
}

void EventRecorder::Loop() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    l.unlock();
    Write(p);
    l.lock();
    writing_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

void EventRecorder::Write(const Pending& p) {
  auto now = clock_.Now();
  std::string ts = FormatRfc3339(p.at);
  std::string object_key = p.obj.api_version + "/" + p.obj.kind + "/" + p.obj.ns + "/" +
                           p.obj.name + "/" + p.obj.uid;
  std::string message = p.message;
  // Aggregation of similar events (same reason, different messages).
  std::string similar_key = component_ + "\n" + object_key + "\n" + p.type + "\n" + p.reason;
  Similar& sim = similar_[similar_key];
  if (now - sim.since > kWindow) {
    sim.messages.clear();
    sim.since = now;
  }
  sim.messages[p.message] = true;
  if (sim.messages.size() >= kMaxSimilar) {
    message = "(combined from similar events): " + p.message;
  }
  std::string key = similar_key + "\n" + (sim.messages.size() >= kMaxSimilar ? "" : message);

  auto it = dedup_.find(key);
  if (it != dedup_.end() && now - it->second.last_seen <= kWindow) {
    Cached& c = it->second;
    c.count++;
    c.last_seen = now;
    json::object patch{{"count", c.count}, {"lastTimestamp", ts}};
    if (sim.messages.size() >= kMaxSimilar) patch["message"] = message;
    auto r = client_->Do({.verb = "PATCH",
                          .path = "/api/v1/namespaces/" + c.ns + "/events/" + c.event_name,
                          .body = json::serialize(patch),
                          .content_type = "application/merge-patch+json"});
    if (r.ok()) return;
    // The Event expired or was deleted: create a new one below.
    dedup_.erase(it);
  }
  std::string ns = p.obj.ns.empty() ? "default" : p.obj.ns;
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx",
                static_cast<unsigned long long>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(p.at.time_since_epoch())
                        .count()));
  std::string name = p.obj.name + suffix;
  json::object involved{{"kind", p.obj.kind}, {"name", p.obj.name}, {"apiVersion", p.obj.api_version}};
  if (!p.obj.ns.empty()) involved["namespace"] = p.obj.ns;
  if (!p.obj.uid.empty()) involved["uid"] = p.obj.uid;
  if (!p.obj.resource_version.empty()) involved["resourceVersion"] = p.obj.resource_version;
  json::object source{{"component", component_}};
  if (!host_.empty()) source["host"] = host_;
  json::object ev{{"apiVersion", "v1"},
                  {"kind", "Event"},
                  {"metadata", json::object{{"name", name}, {"namespace", ns}}},
                  {"involvedObject", std::move(involved)},
                  {"reason", p.reason},
                  {"message", message},
                  {"type", p.type},
                  {"source", std::move(source)},
                  {"count", 1},
                  {"firstTimestamp", ts},
                  {"lastTimestamp", ts},
                  {"reportingComponent", component_},
                  {"reportingInstance", host_}};
  auto r = client_->Do({.verb = "POST",
                        .path = "/api/v1/namespaces/" + ns + "/events",
                        .body = json::serialize(ev)});
  if (!r.ok()) {
    log::Warn("event recorder: cannot write event {} for {}: {}", p.reason, object_key,
              r.status().ToString());
    return;
  }
  if (dedup_.size() >= kCacheSize && !dedup_lru_.empty()) {
    dedup_.erase(dedup_lru_.front());
    dedup_lru_.pop_front();
  }
  dedup_[key] = Cached{name, ns, 1, ts, now};
  dedup_lru_.push_back(key);
}

}  // namespace kcx::runtime
