#include "operators/mysql/api/mysqlcluster.h"

#include "api/json.h"

namespace kcx::mysql::api {

namespace json = boost::json;
using kcx::api::GetArray;
using kcx::api::GetObject;
using kcx::api::GetString;

std::string PrefixedName(std::string_view name) { return "moco-" + std::string(name); }
std::string PrimaryServiceName(std::string_view name) { return PrefixedName(name) + "-primary"; }
std::string ReplicaServiceName(std::string_view name) { return PrefixedName(name) + "-replica"; }
std::string ControllerSecretName(std::string_view ns, std::string_view name) {
  return "mysql-" + std::string(ns) + "." + std::string(name);
}
std::string UserSecretName(std::string_view name) { return PrefixedName(name); }
std::string MyCnfSecretName(std::string_view name) { return "moco-my-cnf-" + std::string(name); }
std::string PodName(std::string_view name, int index) {
  return PrefixedName(name) + "-" + std::to_string(index);
}
std::string PodHostname(std::string_view name, std::string_view ns, int index) {
  return PodName(name, index) + "." + PrefixedName(name) + "." + std::string(ns) + ".svc";
}
std::string PvcName(std::string_view tmpl, std::string_view name, int index) {
  return std::string(tmpl) + "-" + PodName(name, index);
}

std::string StorageRequest(const json::object& claim) {
  const json::object* spec = GetObject(claim, "spec");
  const json::object* res = spec ? GetObject(*spec, "resources") : nullptr;
  const json::object* req = res ? GetObject(*res, "requests") : nullptr;
  const json::value* s = req ? req->if_contains("storage") : nullptr;
  if (!s)
    return "";
  if (s->is_string())
    return std::string(s->get_string());
  if (s->is_number())
    return json::serialize(*s);
  return "";
}

std::optional<kcx::api::Quantity> StorageQuantity(const json::object& claim) {
  std::string text = StorageRequest(claim);
  if (text.empty())
    return std::nullopt;
  auto q = kcx::api::Quantity::Parse(text);
  if (!q.ok())
    return std::nullopt;
  return *q;
}

std::map<std::string, std::string> ClusterLabels(std::string_view name) {
  return {{std::string(kLabelAppName), std::string(kAppName)},
          {std::string(kLabelAppInstance), std::string(name)},
          {std::string(kLabelAppCreatedBy), std::string(kCreatedBy)}};
}

bool MySQLCluster::ReconciliationStopped() const {
  auto it = annotations.find(std::string(kAnnReconciliationStopped));
  return it != annotations.end() && it->second == "true";
}
bool MySQLCluster::ClusteringStopped() const {
  auto it = annotations.find(std::string(kAnnClusteringStopped));
  return it != annotations.end() && it->second == "true";
}
const json::object* MySQLCluster::ClaimTemplate(std::string_view n) const {
  for (const auto& t : volume_claim_templates) {
    if (kcx::api::GetStringPath(t, {"metadata", "name"}) == n)
      return &t;
  }
  return nullptr;
}

namespace {

Status WrongType(std::string_view path, std::string_view want) {
  return Invalid(std::string(path) + ": Invalid value: must be " + std::string(want),
                 {{"FieldValueTypeInvalid", "must be " + std::string(want), std::string(path)}});
}

// Typed readers: a missing member keeps the default; a member of the wrong type is an error.
Status ReadInt(const json::object& o, std::string_view key, std::string_view path, int64_t* out) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null())
    return Status::Ok();
  if (v->is_int64()) {
    *out = v->get_int64();
  } else if (v->is_uint64() && v->get_uint64() <= uint64_t(INT64_MAX)) {
    *out = int64_t(v->get_uint64());
  } else if (v->is_double() && v->get_double() == double(int64_t(v->get_double()))) {
    *out = int64_t(v->get_double());
  } else {
    return WrongType(path, "an integer");
  }
  return Status::Ok();
}
Status ReadBool(const json::object& o, std::string_view key, std::string_view path, bool* out) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null())
    return Status::Ok();
  if (!v->is_bool())
    return WrongType(path, "a boolean");
  *out = v->get_bool();
  return Status::Ok();
}
Status ReadString(const json::object& o, std::string_view key, std::string_view path,
                  std::optional<std::string>* out) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null())
    return Status::Ok();
  if (!v->is_string())
    return WrongType(path, "a string");
  *out = std::string(v->get_string());
  return Status::Ok();
}
Status ReadObject(const json::object& o, std::string_view key, std::string_view path,
                  std::optional<json::object>* out) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null())
    return Status::Ok();
  if (!v->is_object())
    return WrongType(path, "an object");
  *out = v->get_object();
  return Status::Ok();
}
Status ReadStringMap(const json::object& o, std::string_view key, std::string_view path,
                     std::map<std::string, std::string>* out) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null())
    return Status::Ok();
  if (!v->is_object())
    return WrongType(path, "an object");
  for (const auto& [k, val] : v->get_object()) {
    if (!val.is_string())
      return WrongType(std::string(path) + "." + std::string(k), "a string");
    (*out)[std::string(k)] = std::string(val.get_string());
  }
  return Status::Ok();
}

}  // namespace

Result<MySQLCluster> ParseMySQLCluster(const json::value& v) {
  if (!v.is_object())
    return Invalid("MySQLCluster: must be a JSON object");
  MySQLCluster c;
  c.raw = v.get_object();
  const json::object& o = c.raw;
  static const json::object kEmpty;
  const json::object* md = GetObject(o, "metadata");
  if (!md)
    md = &kEmpty;
  c.name = std::string(GetString(*md, "name"));
  c.ns = std::string(GetString(*md, "namespace"));
  c.uid = std::string(GetString(*md, "uid"));
  c.resource_version = std::string(GetString(*md, "resourceVersion"));
  KCX_RETURN_IF_ERROR(ReadInt(*md, "generation", "metadata.generation", &c.generation));
  c.deleting = !GetString(*md, "deletionTimestamp").empty();
  if (const json::array* f = GetArray(*md, "finalizers")) {
    for (const auto& x : *f) {
      if (!x.is_string())
        return WrongType("metadata.finalizers", "a list of strings");
      c.finalizers.emplace_back(x.get_string());
    }
  }
  KCX_RETURN_IF_ERROR(ReadStringMap(*md, "labels", "metadata.labels", &c.labels));
  KCX_RETURN_IF_ERROR(ReadStringMap(*md, "annotations", "metadata.annotations", &c.annotations));

  const json::value* specv = o.if_contains("spec");
  if (specv && !specv->is_null() && !specv->is_object())
    return WrongType("spec", "an object");
  const json::object& spec = specv && specv->is_object() ? specv->get_object() : kEmpty;

  int64_t replicas = 1;
  KCX_RETURN_IF_ERROR(ReadInt(spec, "replicas", "spec.replicas", &replicas));
  if (replicas < INT32_MIN || replicas > INT32_MAX)
    return WrongType("spec.replicas", "an int32");
  c.replicas = int32_t(replicas);
  std::optional<json::object> pt;
  KCX_RETURN_IF_ERROR(ReadObject(spec, "podTemplate", "spec.podTemplate", &pt));
  if (pt)
    c.pod_template = std::move(*pt);
  if (const json::value* vct = spec.if_contains("volumeClaimTemplates"); vct && !vct->is_null()) {
    if (!vct->is_array())
      return WrongType("spec.volumeClaimTemplates", "a list");
    int i = 0;
    for (const auto& t : vct->get_array()) {
      if (!t.is_object()) {
        return WrongType("spec.volumeClaimTemplates[" + std::to_string(i) + "]", "an object");
      }
      c.volume_claim_templates.push_back(t.get_object());
      ++i;
    }
  }
  KCX_RETURN_IF_ERROR(ReadObject(spec, "primaryServiceTemplate", "spec.primaryServiceTemplate",
                                 &c.primary_service_template));
  KCX_RETURN_IF_ERROR(ReadObject(spec, "replicaServiceTemplate", "spec.replicaServiceTemplate",
                                 &c.replica_service_template));
  KCX_RETURN_IF_ERROR(
      ReadString(spec, "mysqlConfigMapName", "spec.mysqlConfigMapName", &c.mysql_config_map_name));
  KCX_RETURN_IF_ERROR(ReadString(spec, "replicationSourceSecretName",
                                 "spec.replicationSourceSecretName",
                                 &c.replication_source_secret_name));
  if (const json::value* cl = spec.if_contains("collectors"); cl && !cl->is_null()) {
    if (!cl->is_array())
      return WrongType("spec.collectors", "a list of strings");
    for (const auto& x : cl->get_array()) {
      if (!x.is_string())
        return WrongType("spec.collectors", "a list of strings");
      c.collectors.emplace_back(x.get_string());
    }
  }
  int64_t base = 0;
  KCX_RETURN_IF_ERROR(ReadInt(spec, "serverIDBase", "spec.serverIDBase", &base));
  if (base < 0 || base > int64_t(UINT32_MAX))
    return WrongType("spec.serverIDBase", "a uint32");
  c.server_id_base = uint32_t(base);
  KCX_RETURN_IF_ERROR(
      ReadInt(spec, "maxDelaySeconds", "spec.maxDelaySeconds", &c.max_delay_seconds));
  KCX_RETURN_IF_ERROR(ReadInt(spec, "maxDelaySecondsForPodDeletion",
                              "spec.maxDelaySecondsForPodDeletion",
                              &c.max_delay_seconds_for_pod_deletion));
  KCX_RETURN_IF_ERROR(
      ReadInt(spec, "startupWaitSeconds", "spec.startupWaitSeconds", &c.startup_wait_seconds));
  std::optional<std::string> s;
  KCX_RETURN_IF_ERROR(ReadString(spec, "logRotationSchedule", "spec.logRotationSchedule", &s));
  if (s)
    c.log_rotation_schedule = *s;
  if (const json::value* lr = spec.if_contains("logRotationSize"); lr && !lr->is_null()) {
    if (lr->is_string()) {
      c.log_rotation_size = std::string(lr->get_string());
    } else if (lr->is_int64() || lr->is_uint64()) {
      c.log_rotation_size = json::serialize(*lr);
    } else {
      return WrongType("spec.logRotationSize", "a quantity");
    }
  }
  s.reset();
  KCX_RETURN_IF_ERROR(ReadString(spec, "backupPolicyName", "spec.backupPolicyName", &s));
  if (s)
    c.backup_policy_name = *s;
  KCX_RETURN_IF_ERROR(ReadObject(spec, "restore", "spec.restore", &c.restore));
  KCX_RETURN_IF_ERROR(ReadBool(spec, "disableSlowQueryLogContainer",
                               "spec.disableSlowQueryLogContainer",
                               &c.disable_slow_query_log_container));
  KCX_RETURN_IF_ERROR(ReadString(spec, "slowQueryLogConfigTmpl", "spec.slowQueryLogConfigTmpl",
                                 &c.slow_query_log_config_template));
  KCX_RETURN_IF_ERROR(
      ReadBool(spec, "agentUseLocalhost", "spec.agentUseLocalhost", &c.agent_use_localhost));
  KCX_RETURN_IF_ERROR(ReadBool(spec, "initializeTimezoneData", "spec.initializeTimezoneData",
                               &c.initialize_timezone_data));
  KCX_RETURN_IF_ERROR(ReadBool(spec, "offline", "spec.offline", &c.offline));

  if (const json::object* st = GetObject(o, "status")) {
    int64_t p = 0;
    KCX_RETURN_IF_ERROR(ReadInt(*st, "currentPrimaryIndex", "status.currentPrimaryIndex", &p));
    c.current_primary_index = int(p);
    if (const json::array* el = GetArray(*st, "errantReplicaList")) {
      for (const auto& x : *el) {
        if (x.is_int64())
          c.errant_replica_list.push_back(int(x.get_int64()));
      }
    }
  }
  return c;
}

}  // namespace kcx::mysql::api
