#include "operators/mysql/api/crds.h"

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include "api/json.h"
#include "api/patch.h"
#include "client/errors.h"
#include "common/clock.h"
#include "operators/mysql/api/mysqlcluster.h"

namespace kcx::mysql::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kCrdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

bool Established(const json::object& crd) {
  const json::object* st = kcx::api::GetObject(crd, "status");
  const json::array* cs = st ? kcx::api::GetArray(*st, "conditions") : nullptr;
  if (!cs)
    return false;
  for (const auto& c : *cs) {
    const json::object* co = c.if_object();
    if (co && kcx::api::GetString(*co, "type") == "Established" &&
        kcx::api::GetString(*co, "status") == "True") {
      return true;
    }
  }
  return false;
}

Result<json::object> ParseObject(const std::string& body) {
  KCX_ASSIGN_OR_RETURN(json::value v, kcx::api::ParseJson(body));
  if (!v.is_object())
    return Internal("customresourcedefinition: response is not an object");
  return std::move(v.get_object());
}

}  // namespace

Result<std::vector<json::object>> EmbeddedCrds() {
  std::vector<json::object> out;
  for (const auto& [file, text] : EmbeddedCrdFiles()) {
    auto v = kcx::api::ParseYamlOrJson(text);
    if (!v.ok())
      return Internal(std::string(file) + ": " + v.status().message());
    if (!v->is_object())
      return Internal(std::string(file) + ": not a YAML mapping");
    out.push_back(std::move(v->get_object()));
  }
  return out;
}

bool IsSubset(const json::value& want, const json::value& have) {
  if (want.is_object()) {
    if (!have.is_object())
      return false;
    const json::object& h = have.get_object();
    for (const auto& kv : want.get_object()) {
      const json::value* hv = h.if_contains(kv.key());
      if (!hv || !IsSubset(kv.value(), *hv))
        return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array() || have.get_array().size() != want.get_array().size())
      return false;
    for (size_t i = 0; i < want.get_array().size(); ++i) {
      if (!IsSubset(want.get_array()[i], have.get_array()[i]))
        return false;
    }
    return true;
  }
  // Numbers compare by value whatever their JSON representation (1 == 1.0 == uint 1).
  if (want.is_number() && have.is_number()) {
    boost::system::error_code e1, e2;
    double a = want.to_number<double>(e1), b = have.to_number<double>(e2);
    return !e1 && !e2 && a == b;
  }
  return want == have;
}

Status EnsureCrds(client::RestClient& c, std::chrono::milliseconds wait) {
  KCX_ASSIGN_OR_RETURN(std::vector<json::object> crds, EmbeddedCrds());
  std::set<std::string> pending;
  for (const json::object& crd : crds) {
    std::string name(kcx::api::GetStringPath(crd.at("metadata"), {"name"}));
    std::string path = std::string(kCrdPath) + "/" + name;
    pending.insert(name);

    client::RestRequest get{.verb = "GET", .path = path};
    auto got = c.Do(get);
    if (!got.ok() && !client::IsNotFound(got.status()))
      return got.status();
    if (!got.ok()) {
      client::RestRequest create{.verb = "POST",
                                 .path = std::string(kCrdPath),
                                 .query = {{"fieldManager", std::string(kFieldManager)}},
                                 .body = json::serialize(crd)};
      auto r = c.Do(create);
      if (r.ok() || !client::IsAlreadyExists(r.status())) {
        if (!r.ok())
          return r.status();
        continue;
      }
      // Created meanwhile by someone else: compare with theirs below.
      got = c.Do(get);
      if (!got.ok())
        return got.status();
    }
    KCX_ASSIGN_OR_RETURN(json::object live, ParseObject(got->body));
    const json::value* live_spec = live.if_contains("spec");
    if (live_spec && IsSubset(crd.at("spec"), *live_spec))
      continue;
    client::RestRequest apply{
        .verb = "PATCH",
        .path = path,
        .query = {{"fieldManager", std::string(kFieldManager)}, {"force", "true"}},
        .body = json::serialize(crd),
        .content_type = "application/apply-patch+yaml"};
    auto r = c.Do(apply);
    if (!r.ok())
      return r.status();
  }

  // Poll: a CRD becomes Established within milliseconds on kcx, within seconds on kube.
  Clock& clock = RealClock();
  Clock::MonoTime deadline = clock.Now() + wait;
  std::mutex mu;
  std::condition_variable_any cv;
  while (true) {
    for (auto it = pending.begin(); it != pending.end();) {
      auto got = c.Do({.verb = "GET", .path = std::string(kCrdPath) + "/" + *it});
      if (!got.ok())
        return got.status();
      KCX_ASSIGN_OR_RETURN(json::object live, ParseObject(got->body));
      it = Established(live) ? pending.erase(it) : std::next(it);
    }
    if (pending.empty())
      return Status::Ok();
    Clock::MonoTime now = clock.Now();
    if (now >= deadline) {
      std::string names;
      for (const auto& n : pending)
        names += (names.empty() ? "" : ", ") + n;
      return Timeout("customresourcedefinitions not Established after " +
                     std::to_string(wait.count()) + "ms: " + names);
    }
    std::unique_lock lock(mu);
    clock.WaitUntil(cv, lock, std::min(deadline, now + std::chrono::milliseconds(100)));
  }
}

}  // namespace kcx::mysql::api
