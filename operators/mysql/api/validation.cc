#include "operators/mysql/api/validation.h"

#include <cstring>
#include <set>
#include <string_view>

#include "api/json.h"
#include "api/quantity.h"
#include "api/validation.h"
#include "common/strings.h"
#include "operators/mysql/api/cron.h"
#include "operators/mysql/api/mysqlcluster.h"

namespace kcx::mysql::api {

namespace json = boost::json;
using kcx::api::FieldForbidden;
using kcx::api::FieldInvalid;
using kcx::api::FieldRequired;
using kcx::api::GetArray;
using kcx::api::GetObject;
using kcx::api::GetString;

namespace {

const json::object& Empty() {
  static const json::object kEmpty;
  return kEmpty;
}

const json::object& Member(const json::object& o, std::string_view key) {
  const json::object* m = GetObject(o, key);
  return m ? *m : Empty();
}

const json::array& Items(const json::object& o, std::string_view key) {
  static const json::array kNone;
  const json::array* a = GetArray(o, key);
  return a ? *a : kNone;
}

std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// field.Invalid with a number as the bad value (printed bare, as Go prints an int).
StatusCause InvalidNumber(std::string field, int64_t value, std::string_view detail) {
  return StatusCause{"FieldValueInvalid",
                     "Invalid value: " + std::to_string(value) + ": " + std::string(detail),
                     std::move(field)};
}

StatusCause InternalErrorCause(std::string field, std::string_view detail) {
  return StatusCause{"InternalError", "Internal error: " + std::string(detail), std::move(field)};
}

// An optional string member; a JSON null counts as absent (the Go *string is nil).
std::optional<std::string> OptString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string())
    return std::nullopt;
  return std::string(v->get_string());
}

// The requested size; zero when unset or malformed (as MOCO's StorageSize()).
kcx::api::Quantity StorageSize(const json::object& tmpl) {
  return StorageQuantity(tmpl).value_or(kcx::api::Quantity());
}

std::string TemplateName(const json::object& tmpl) {
  return std::string(GetString(Member(tmpl, "metadata"), "name"));
}

bool IsReservedPort(int64_t p) {
  for (int r : {kMysqlPort, kMysqlXPort, kMysqlAdminPort, kMysqlHealthPort, kAgentPort,
                kAgentMetricsPort, kExporterPort}) {
    if (p == r)
      return true;
  }
  return false;
}

bool IsReservedPortName(std::string_view n) {
  for (std::string_view r : {kMysqlPortName, kMysqlXPortName, kMysqlAdminPortName, kHealthPortName,
                             kAgentPortName, kAgentMetricsPortName, kExporterPortName}) {
    if (n == r)
      return true;
  }
  return false;
}

// Ports of one container. Every container of the Pod shares its network namespace, so a port
// MOCO's containers listen on (mysqld's 3306/33060/33062/9081, the agent's 9080/8080, the
// exporter's 9104) or a port name MOCO's Services and probes refer to clashes whichever user
// container declares it. MOCO itself checks only mysqld's four; kcx checks all seven in every
// container.
void ValidatePorts(const json::object& container, const std::string& path,
                   std::vector<StatusCause>& errs) {
  const json::array& ports = Items(container, "ports");
  for (size_t i = 0; i < ports.size(); ++i) {
    const json::object* port = ports[i].if_object();
    if (!port)
      continue;
    std::string pp = Index(path + ".ports", i);
    if (const json::value* cp = port->if_contains("containerPort"); cp && cp->is_number()) {
      int64_t n = kcx::api::GetInt(*port, "containerPort");
      if (IsReservedPort(n))
        errs.push_back(InvalidNumber(pp, n, "reserved port"));
    }
    if (const json::value* name = port->if_contains("name"); name && name->is_string()) {
      if (IsReservedPortName(name->get_string())) {
        errs.push_back(FieldInvalid(pp, name->get_string(), "reserved port name"));
      }
    }
  }
}

void ValidateSpec(const json::object& spec, std::vector<StatusCause>& errs) {
  // Claim templates.
  const json::array& vcts = Items(spec, "volumeClaimTemplates");
  bool has_data = false;
  for (const auto& t : vcts) {
    if (const json::object* o = t.if_object(); o && TemplateName(*o) == kDataVolume) {
      has_data = true;
    }
  }
  if (!has_data) {
    errs.push_back(FieldRequired(
        "spec.volumeClaimTemplates",
        "required volume claim template " + std::string(kDataVolume) + " is missing"));
  }
  for (const auto& t : vcts) {
    const json::object* o = t.if_object();
    if (!o || StorageRequest(*o).empty()) {
      errs.push_back(
          FieldRequired("spec.volumeClaimTemplates", "required volume claim template " +
                                                         (o ? TemplateName(*o) : std::string()) +
                                                         " storage requests is missing"));
    }
  }

  // serverIDBase (set by the mutating webhook when left out).
  int64_t base = kcx::api::GetInt(spec, "serverIDBase", 0);
  if (base <= 0) {
    errs.push_back(
        InvalidNumber("spec.serverIDBase", base, "serverIDBase must be a positive integer"));
  }

  // logRotationSchedule.
  if (std::string_view sched = GetString(spec, "logRotationSchedule"); !sched.empty()) {
    Status s = ParseStandardCron(sched);
    if (!s.ok())
      errs.push_back(FieldInvalid("spec.logRotationSchedule", sched, s.message()));
  }

  // replicas (the CRD defaults it to 1).
  int64_t replicas = kcx::api::GetInt(spec, "replicas", 1);
  if (replicas % 2 == 0) {
    errs.push_back(
        InvalidNumber("spec.replicas", replicas, "replicas must be a positive odd number"));
  }
  if (replicas <= 0) {
    errs.push_back(InvalidNumber("spec.replicas", replicas, "replicas must be a positive integer"));
  }

  // Containers.
  const json::object& pod = Member(Member(spec, "podTemplate"), "spec");
  bool disable_slow_log = kcx::api::GetBool(spec, "disableSlowQueryLogContainer");
  bool exporter = !Items(spec, "collectors").empty();
  const std::string cpath = "spec.podTemplate.spec.containers";
  const json::array& containers = Items(pod, "containers");
  bool has_mysqld = false;
  for (size_t i = 0; i < containers.size(); ++i) {
    const json::object* c = containers[i].if_object();
    std::string path = Index(cpath, i);
    const json::value* name = c ? c->if_contains("name") : nullptr;
    if (!name || !name->is_string()) {
      errs.push_back(FieldForbidden(path, "container name is required"));
      continue;
    }
    std::string_view n = name->get_string();
    if (n == kMysqldContainer)
      has_mysqld = true;
    // A regular container may not take the name of a container MOCO adds: the agent always,
    // the sidecars when they are enabled, the init containers always (Kubernetes requires
    // names unique across init and regular containers).
    if (n == kAgentContainer || (n == kSlowLogContainer && !disable_slow_log) ||
        (n == kExporterContainer && exporter) || n == kInitContainer || n == kCopyInitContainer) {
      errs.push_back(FieldForbidden(path, "reserved container name"));
    }
    ValidatePorts(*c, path, errs);
  }
  if (!has_mysqld) {
    errs.push_back(FieldRequired(
        cpath, "required container " + std::string(kMysqldContainer) + " is missing"));
  }

  const json::array& inits = Items(pod, "initContainers");
  for (size_t i = 0; i < inits.size(); ++i) {
    const json::object* c = inits[i].if_object();
    std::string path = Index("spec.podTemplate.spec.initContainers", i);
    const json::value* name = c ? c->if_contains("name") : nullptr;
    if (!name || !name->is_string()) {
      errs.push_back(FieldForbidden(path, "init container name is required"));
      continue;
    }
    std::string_view n = name->get_string();
    if (n == kInitContainer || n == kCopyInitContainer || n == kAgentContainer ||
        n == kMysqldContainer || n == kSlowLogContainer || n == kExporterContainer) {
      errs.push_back(FieldInvalid(path, n, "reserved init container name"));
    }
  }

  const json::array& volumes = Items(pod, "volumes");
  for (size_t i = 0; i < volumes.size(); ++i) {
    const json::object* v = volumes[i].if_object();
    const json::value* name = v ? v->if_contains("name") : nullptr;
    if (!name || !name->is_string())
      continue;
    std::string_view n = name->get_string();
    for (std::string_view r : {kTmpVolume, kRunVolume, kVarLogVolume, kConfVolume, kInitConfVolume,
                               kConfSecretVolume, kSlowLogConfigVolume, kGrpcSecretVolume}) {
      if (n == r) {
        errs.push_back(
            FieldInvalid(Index("spec.podTemplate.spec.volumes", i), n, "reserved volume name"));
        break;
      }
    }
  }
}

bool AllowsExpansion(const json::object& sc) {
  const json::value* v = sc.if_contains("allowVolumeExpansion");
  return v && v->is_bool() && v->get_bool();
}

// MOCO's validateVolumeExpansionSupported for the template at `idx`.
void ValidateExpansion(const json::object& tmpl, size_t idx, const StorageClassLookup& lookup,
                       std::vector<StatusCause>& errs) {
  std::string path = Index("spec.volumeClaimTemplates", idx);
  if (auto cls = OptString(Member(tmpl, "spec"), "storageClassName")) {
    std::string fpath = path + ".spec.storageClassName";
    auto sc = lookup.get ? lookup.get(*cls)
                         : Result<std::optional<json::object>>(Internal("no StorageClass lookup"));
    if (!sc.ok()) {
      errs.push_back(InternalErrorCause(
          fpath, "failed to get storage class " + *cls + ": " + sc.status().message()));
    } else if (!sc->has_value()) {
      errs.push_back(InternalErrorCause(fpath, "failed to get storage class " + *cls +
                                                   ": storageclasses.storage.k8s.io \"" + *cls +
                                                   "\" not found"));
    } else if (!AllowsExpansion(**sc)) {
      errs.push_back(FieldForbidden(
          fpath, "storage class " + kcx::api::GoQuote(*cls) + " is not allowed to expand volume"));
    }
    return;
  }
  auto all = lookup.list ? lookup.list()
                         : Result<std::vector<json::object>>(Internal("no StorageClass lookup"));
  if (!all.ok()) {
    errs.push_back(
        InternalErrorCause(path, "failed to get storage class: " + all.status().message()));
    return;
  }
  const json::object* def = DefaultStorageClass(*all);
  if (!def) {
    errs.push_back(
        InternalErrorCause(path, "failed to get storage class: not found default storage class"));
    return;
  }
  if (!AllowsExpansion(*def)) {
    std::string name(GetString(Member(*def, "metadata"), "name"));
    errs.push_back(FieldForbidden(path, "default storage class " + kcx::api::GoQuote(name) +
                                            " is not allowed to expand volume"));
  }
}

}  // namespace

const json::object* DefaultStorageClass(const std::vector<json::object>& classes) {
  for (const json::object& sc : classes) {
    const json::object& ann = Member(Member(sc, "metadata"), "annotations");
    if (GetString(ann, "storageclass.kubernetes.io/is-default-class") == "true" ||
        GetString(ann, "storageclass.beta.kubernetes.io/is-default-class") == "true") {
      return &sc;
    }
  }
  return nullptr;
}

std::vector<StatusCause> ValidateCreate(const json::object& obj) {
  std::vector<StatusCause> errs;
  std::string_view name = GetString(Member(obj, "metadata"), "name");
  if (name.size() > kMaxClusterNameLength) {
    errs.push_back(
        FieldInvalid("metadata.name", name, "required name must be 40 characters or less"));
  }
  ValidateSpec(Member(obj, "spec"), errs);
  return errs;
}

std::vector<StatusCause> ValidateUpdate(const json::object& obj, const json::object& old_obj,
                                        const StorageClassLookup& storage_classes) {
  std::vector<StatusCause> errs;
  const json::object& spec = Member(obj, "spec");
  const json::object& old = Member(old_obj, "spec");

  if (kcx::api::GetInt(spec, "replicas", 1) < kcx::api::GetInt(old, "replicas", 1)) {
    errs.push_back(FieldForbidden("spec.replicas", "decreasing replicas is not supported yet"));
  }
  if (auto src = OptString(spec, "replicationSourceSecretName")) {
    auto old_src = OptString(old, "replicationSourceSecretName");
    if (!old_src) {
      errs.push_back(FieldForbidden("spec.replicationSourceSecretName",
                                    "replication can be initiated only with new clusters"));
    } else if (*src != *old_src) {
      errs.push_back(FieldForbidden("spec.replicationSourceSecretName",
                                    "replication source secret name cannot be modified"));
    }
  }
  const json::value* restore = spec.if_contains("restore");
  const json::value* old_restore = old.if_contains("restore");
  bool has = restore && !restore->is_null(), had = old_restore && !old_restore->is_null();
  if (has != had || (has && *restore != *old_restore)) {
    errs.push_back(FieldForbidden("spec.restore", "not editable"));
  }

  const json::array& vcts = Items(spec, "volumeClaimTemplates");
  for (size_t i = 0; i < vcts.size(); ++i) {
    const json::object* t = vcts[i].if_object();
    if (!t)
      continue;
    std::string name = TemplateName(*t);
    const json::object* before = nullptr;
    for (const auto& o : Items(old, "volumeClaimTemplates")) {
      if (const json::object* oo = o.if_object(); oo && TemplateName(*oo) == name)
        before = oo;
    }
    if (!before)
      continue;
    kcx::api::Quantity now = StorageSize(*t), was = StorageSize(*before);
    int cmp = now.Compare(was);
    if (cmp < 0) {
      errs.push_back(FieldForbidden(
          Index("spec.volumeClaimTemplates", i) + ".spec.resources.requests.storage",
          "shrinking volume claim template " + kcx::api::GoQuote(name) + " from " + was.String() +
              " to " + now.String() +
              " is not supported: Kubernetes cannot shrink a PersistentVolumeClaim. Keep " +
              was.String() +
              ", or create a new MySQLCluster with the smaller size, move the data to it "
              "(restore from a backup or replicate with replicationSourceSecretName) and "
              "delete this one"));
    } else if (cmp > 0) {
      ValidateExpansion(*t, i, storage_classes, errs);
    }
  }

  ValidateSpec(spec, errs);
  return errs;
}

Status InvalidCluster(const json::object& obj, std::vector<StatusCause> causes) {
  if (causes.empty())
    return Status::Ok();
  std::string name(GetString(Member(obj, "metadata"), "name"));
  return kcx::api::InvalidStatus(kGroup, kKind, name, std::move(causes));
}

Status ValidateMySQLClusterCreate(const json::object& obj) {
  return InvalidCluster(obj, ValidateCreate(obj));
}

Status ValidateMySQLClusterUpdate(const json::object& obj, const json::object& old_obj,
                                  const StorageClassLookup& storage_classes) {
  return InvalidCluster(obj, ValidateUpdate(obj, old_obj, storage_classes));
}

int32_t RandomServerIdBase() {
  std::string b = RandomBytes(4);
  uint32_t v = 0;
  std::memcpy(&v, b.data(), sizeof(v));
  return static_cast<int32_t>(v & (uint32_t(INT32_MAX) >> 1)) + 1;
}

json::array DefaultingPatch(const json::object& obj, const std::function<int32_t()>& random) {
  json::array ops;
  const json::object& md = Member(obj, "metadata");
  if (GetString(md, "deletionTimestamp").empty()) {
    const json::value* fins = md.if_contains("finalizers");
    if (!fins || !fins->is_array()) {
      if (!obj.contains("metadata")) {
        ops.push_back({{"op", "add"}, {"path", "/metadata"}, {"value", json::object()}});
      }
      ops.push_back({{"op", "add"},
                     {"path", "/metadata/finalizers"},
                     {"value", json::array{json::string(kFinalizer)}}});
    } else {
      bool present = false;
      for (const auto& f : fins->get_array())
        present |= f.is_string() && f.get_string() == kFinalizer;
      if (!present) {
        ops.push_back({{"op", "add"},
                       {"path", "/metadata/finalizers/-"},
                       {"value", json::string(kFinalizer)}});
      }
    }
  }
  const json::value* spec = obj.if_contains("spec");
  if (!spec || !spec->is_object()) {
    ops.push_back(
        {{"op", "add"}, {"path", "/spec"}, {"value", json::object{{"serverIDBase", random()}}}});
  } else if (kcx::api::GetInt(spec->get_object(), "serverIDBase", 0) == 0) {
    ops.push_back({{"op", spec->get_object().contains("serverIDBase") ? "replace" : "add"},
                   {"path", "/spec/serverIDBase"},
                   {"value", random()}});
  }
  return ops;
}

}  // namespace kcx::mysql::api
