#include "operators/mysql/controllers/volume_resize.h"

#include "api/json.h"
#include "api/quantity.h"
#include "operators/mysql/api/mysqlcluster.h"

namespace kcx::mysql::controllers {

namespace json = boost::json;
using kcx::api::GetArray;
using kcx::api::GetBool;
using kcx::api::GetInt;
using kcx::api::GetObject;
using kcx::api::GetString;
using kcx::api::Quantity;
using kcx::mysql::api::StorageQuantity;
using kcx::mysql::api::StorageRequest;

bool StatefulSetUpdating(const json::object& sts, std::string* why) {
  auto say = [&](std::string s) {
    if (why)
      *why = std::move(s);
    return true;
  };
  static const json::object kEmpty;
  const json::object* md = GetObject(sts, "metadata");
  const json::object* spec = GetObject(sts, "spec");
  const json::object* st = GetObject(sts, "status");
  if (!md)
    md = &kEmpty;
  if (!spec)
    spec = &kEmpty;
  if (!st)
    st = &kEmpty;
  if (!GetString(*md, "deletionTimestamp").empty())
    return say("it is being deleted");
  int64_t gen = GetInt(*md, "generation"), observed = GetInt(*st, "observedGeneration");
  if (gen > observed) {
    return say("generation " + std::to_string(gen) + " is not observed yet (observed " +
               std::to_string(observed) + ")");
  }
  int64_t replicas = GetInt(*spec, "replicas", 1), ready = GetInt(*st, "readyReplicas");
  if (ready < replicas) {
    return say(std::to_string(ready) + " of " + std::to_string(replicas) + " replicas are ready");
  }
  if (const json::object* us = GetObject(*spec, "updateStrategy")) {
    if (const json::object* ru = GetObject(*us, "rollingUpdate")) {
      int64_t partition = GetInt(*ru, "partition");
      int64_t updated = GetInt(*st, "updatedReplicas");
      if (partition > 0 && updated < replicas - partition) {
        return say("a partitioned rollout is unfinished (" + std::to_string(updated) +
                   " updated, partition " + std::to_string(partition) + ")");
      }
    }
  }
  std::string_view cur = GetString(*st, "currentRevision"), upd = GetString(*st, "updateRevision");
  if (cur != upd) {
    return say("its update revision " + std::string(upd) + " differs from the current " +
               std::string(cur));
  }
  return false;
}

namespace {

std::optional<Quantity> ParseQ(const std::string& s) {
  if (s.empty())
    return std::nullopt;
  auto q = Quantity::Parse(s);
  if (!q.ok())
    return std::nullopt;
  return *q;
}

std::string_view TemplateName(const json::object& t) {
  const json::object* md = GetObject(t, "metadata");
  return md ? GetString(*md, "name") : std::string_view();
}

const json::object* FindTemplate(const json::array& a, std::string_view name) {
  for (const auto& v : a) {
    if (v.is_object() && TemplateName(v.get_object()) == name)
      return &v.get_object();
  }
  return nullptr;
}

json::value MetaMap(const json::object& t, std::string_view key) {
  const json::object* md = GetObject(t, "metadata");
  const json::object* m = md ? GetObject(*md, key) : nullptr;
  return m && !m->empty() ? json::value(*m) : json::value(json::object());
}

json::value SpecField(const json::object& t, std::string_view key, json::value def) {
  const json::object* spec = GetObject(t, "spec");
  const json::value* v = spec ? spec->if_contains(key) : nullptr;
  return v && !v->is_null() ? *v : def;
}

// The parts of a claim template the comparison looks at, with the API server's defaults
// (accessModes, volumeMode) filled in so a defaulted live template equals the rendered one.
bool SameTemplate(const json::object& a, const json::object& b) {
  if (MetaMap(a, "labels") != MetaMap(b, "labels"))
    return false;
  if (MetaMap(a, "annotations") != MetaMap(b, "annotations"))
    return false;
  if (SpecField(a, "storageClassName", nullptr) != SpecField(b, "storageClassName", nullptr)) {
    return false;
  }
  if (SpecField(a, "volumeMode", "Filesystem") != SpecField(b, "volumeMode", "Filesystem")) {
    return false;
  }
  json::array rwo{"ReadWriteOnce"};
  if (SpecField(a, "accessModes", rwo) != SpecField(b, "accessModes", rwo))
    return false;
  if (SpecField(a, "selector", nullptr) != SpecField(b, "selector", nullptr))
    return false;
  auto qa = StorageQuantity(a), qb = StorageQuantity(b);
  if (qa.has_value() != qb.has_value())
    return false;
  return !qa || *qa == *qb;
}

}  // namespace

VolumePlan PlanVolumes(const json::array& desired, const json::array& live) {
  VolumePlan plan;
  if (desired.size() != live.size())
    plan.templates_differ = true;
  for (const auto& dv : desired) {
    if (!dv.is_object())
      continue;
    const json::object& d = dv.get_object();
    const json::object* l = FindTemplate(live, TemplateName(d));
    if (!l) {
      plan.templates_differ = true;
      continue;
    }
    if (!SameTemplate(d, *l))
      plan.templates_differ = true;
    std::string to = StorageRequest(d), from = StorageRequest(*l);
    auto qt = StorageQuantity(d), qf = StorageQuantity(*l);
    if (!qt || !qf)
      continue;
    StorageChange c{std::string(TemplateName(d)), from, to};
    if (*qt > *qf)
      plan.grow.push_back(std::move(c));
    if (*qt < *qf)
      plan.shrink.push_back(std::move(c));
  }
  return plan;
}

PvcDecision DecidePvc(const json::object& pvc, const StorageChange& change,
                      const std::optional<json::object>& storage_class) {
  std::string name(kcx::api::GetStringPath(pvc, {"metadata", "name"}));
  auto cur = StorageQuantity(pvc);
  auto want = ParseQ(change.to);
  if (cur && want && *cur == *want)
    return {PvcDecision::kDone, ""};
  if (cur && want && *cur > *want) {
    return {PvcDecision::kLarger, "PVC " + name + " already requests " + StorageRequest(pvc) +
                                      ", more than the template's " + change.to +
                                      " (grown outside the operator, e.g. by pvc-autoresizer); "
                                      "it is left as it is, since a PVC cannot shrink"};
  }
  std::string cls = std::string(kcx::api::GetStringPath(pvc, {"spec", "storageClassName"}));
  if (!storage_class) {
    return {PvcDecision::kNotExpandable,
            cls.empty() ? "PVC " + name + " has no StorageClass, so it cannot be expanded"
                        : "PVC " + name + "'s StorageClass " + cls +
                              " does not exist, so it cannot be expanded"};
  }
  if (!GetBool(*storage_class, "allowVolumeExpansion")) {
    return {PvcDecision::kNotExpandable,
            "StorageClass " + cls + " of PVC " + name +
                " does not allow volume expansion (allowVolumeExpansion is not true)"};
  }
  return {PvcDecision::kPatch, ""};
}

}  // namespace kcx::mysql::controllers
