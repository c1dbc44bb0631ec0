#include "operators/mysql/controllers/status.h"

#include "api/json.h"
#include "client/errors.h"
#include "operators/mysql/controllers/kinds.h"

namespace kcx::mysql::controllers {

namespace json = boost::json;

bool SetCondition(json::array& conditions, std::string_view type, bool status,
                  std::string_view reason, std::string_view message, int64_t observed_generation,
                  std::string_view now) {
  const char* st = status ? "True" : "False";
  for (auto& v : conditions) {
    if (!v.is_object())
      continue;
    json::object& c = v.get_object();
    if (kcx::api::GetString(c, "type") != type)
      continue;
    bool changed = false;
    auto set = [&](std::string_view key, json::value val) {
      const json::value* cur = c.if_contains(key);
      if (!cur || *cur != val) {
        c[key] = std::move(val);
        changed = true;
      }
    };
    if (kcx::api::GetString(c, "status") != st) {
      c["lastTransitionTime"] = now;
      changed = true;
    }
    set("status", st);
    set("reason", json::string(reason));
    set("message", json::string(message));
    set("observedGeneration", observed_generation);
    return changed;
  }
  conditions.push_back(json::object{{"type", type},
                                    {"status", st},
                                    {"observedGeneration", observed_generation},
                                    {"lastTransitionTime", now},
                                    {"reason", reason},
                                    {"message", message}});
  return true;
}

std::string_view ConditionStatus(const json::object& obj, std::string_view type) {
  const json::object* st = kcx::api::GetObject(obj, "status");
  const json::array* conds = st ? kcx::api::GetArray(*st, "conditions") : nullptr;
  if (!conds)
    return "";
  for (const auto& v : *conds) {
    if (v.is_object() && kcx::api::GetString(v.get_object(), "type") == type) {
      return kcx::api::GetString(v.get_object(), "status");
    }
  }
  return "";
}

Result<bool> UpdateClusterStatus(runtime::ObjectClient& objects, std::string_view ns,
                                 std::string_view name, const json::object* cached,
                                 const std::function<bool(json::object& status)>& mutate) {
  std::optional<json::object> obj;
  if (cached)
    obj = *cached;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!obj) {
      KCX_ASSIGN_OR_RETURN(json::object fresh, objects.Get(kMySQLClusterKind, ns, name));
      obj = std::move(fresh);
    }
    json::object& status = kcx::api::EnsureObject(*obj, "status");
    bool changed = mutate(status);
    // MOCO's status always carries currentPrimaryIndex (a Go int without omitempty); the CRD
    // requires it.
    if (!status.contains("currentPrimaryIndex")) {
      status["currentPrimaryIndex"] = 0;
      changed = true;
    }
    if (!changed)
      return false;
    auto r = objects.Update(kMySQLClusterKind, *obj, "status");
    if (r.ok())
      return true;
    if (!client::IsConflict(r.status()))
      return r.status();
    obj.reset();  // re-read and redo the change on the newer object
  }
  return Conflict("status of MySQLCluster " + std::string(ns) + "/" + std::string(name) +
                  " kept changing; giving up for now");
}

}  // namespace kcx::mysql::controllers
