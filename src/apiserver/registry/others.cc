// policy/v1 PodDisruptionBudget, coordination.k8s.io/v1 Lease, storage.k8s.io/v1 StorageClass
// and events.k8s.io/v1 Event.

#include <algorithm>

#include "apiserver/registry/util.h"

namespace kcx::apiserver::reg {

namespace {

ResourceInfo GroupBase(std::string group, std::string kind, std::string resource, bool namespaced,
                       std::vector<std::string> short_names) {
  ResourceInfo r;
  r.group = std::move(group);
  r.version = "v1";
  r.singular = kind;
  std::transform(r.singular.begin(), r.singular.end(), r.singular.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  r.list_kind = kind + "List";
  r.kind = std::move(kind);
  r.resource = std::move(resource);
  r.namespaced = namespaced;
  r.short_names = std::move(short_names);
  r.verbs = AllVerbs();
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  return r;
}

void ValidatePercentAtMost100(const json::value& v, const std::string& path, Errors& errs) {
  if (!v.is_string())
    return;
  std::string_view s = v.get_string();
  if (s.size() < 2 || s.back() != '%')
    return;
  int64_t n = 0;
  for (char c : s.substr(0, s.size() - 1)) {
    if (c < '0' || c > '9')
      return;
    n = n * 10 + (c - '0');
    if (n > 1000)
      break;
  }
  if (n > 100)
    errs.InvalidStr(path, s, "must not be greater than 100%");
}

// ---------------------------------------------------------------------------------------------
// PodDisruptionBudget

json::object PdbZeroStatus() {
  // These status fields are not omitempty in the Go type.
  return json::object{
      {"disruptionsAllowed", 0}, {"currentHealthy", 0}, {"desiredHealthy", 0}, {"expectedPods", 0}};
}

void ValidatePdb(const json::object& obj, Errors& errs) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::value* min = Val(spec, "minAvailable");
  const json::value* max = Val(spec, "maxUnavailable");
  if (min && max) {
    errs.Invalid("spec", json::serialize(spec),
                 "minAvailable and maxUnavailable cannot be both set");
  }
  if (min) {
    ValidatePositiveIntOrPercent(*min, "spec.minAvailable", errs);
    ValidatePercentAtMost100(*min, "spec.minAvailable", errs);
  }
  if (max) {
    ValidatePositiveIntOrPercent(*max, "spec.maxUnavailable", errs);
    ValidatePercentAtMost100(*max, "spec.maxUnavailable", errs);
  }
  if (const json::object* sel = Obj(spec, "selector")) {
    ValidateLabelSelector(*sel, "spec.selector", errs);
  }
  if (const json::value* p = Val(spec, "unhealthyPodEvictionPolicy")) {
    std::string_view s = p->is_string() ? std::string_view(p->get_string()) : "";
    if (s != "IfHealthyBudget" && s != "AlwaysAllow") {
      errs.NotSupported("spec.unhealthyPodEvictionPolicy", s, {"AlwaysAllow", "IfHealthyBudget"});
    }
  }
}

json::array PdbRow(const json::object& obj, TimePoint now) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::object& status = ObjOrEmpty(obj, "status");
  const json::value* min = Val(spec, "minAvailable");
  const json::value* max = Val(spec, "maxUnavailable");
  return json::array{json::value(MetaName(obj)), json::value(min ? IntOrStringText(*min) : "N/A"),
                     json::value(max ? IntOrStringText(*max) : "N/A"),
                     json::value(Int(status, "disruptionsAllowed").value_or(0)),
                     json::value(CreatedSince(obj, now))};
}

// ---------------------------------------------------------------------------------------------
// StorageClass

bool IsDefaultClass(const json::object& obj) {
  const json::object* md = Obj(obj, "metadata");
  const json::object* ann = md ? Obj(*md, "annotations") : nullptr;
  if (!ann)
    return false;
  return Str(*ann, "storageclass.kubernetes.io/is-default-class") == "true" ||
         Str(*ann, "storageclass.beta.kubernetes.io/is-default-class") == "true";
}

void ValidateStorageClass(const json::object& obj, const json::object* old, Errors& errs) {
  std::string_view prov = Str(obj, "provisioner");
  if (prov.empty()) {
    errs.Required("provisioner");
  } else {
    for (auto& e : IsQualifiedName(ToLowerCopy(prov)))
      errs.InvalidStr("provisioner", prov, e);
  }
  std::string_view rp = Str(obj, "reclaimPolicy");
  if (rp != "Delete" && rp != "Retain") {
    errs.NotSupported("reclaimPolicy", rp, {"Delete", "Retain"});
  }
  std::string_view vbm = Str(obj, "volumeBindingMode");
  if (vbm != "Immediate" && vbm != "WaitForFirstConsumer") {
    if (vbm.empty()) {
      errs.Required("volumeBindingMode");
    } else {
      errs.NotSupported("volumeBindingMode", vbm, {"Immediate", "WaitForFirstConsumer"});
    }
  }
  if (old) {
    if (!SameMember(obj, *old, "parameters")) {
      errs.Forbidden("parameters", "updates to parameters are forbidden.");
    }
    if (Str(*old, "provisioner") != prov) {
      errs.Forbidden("provisioner", "updates to provisioner are forbidden.");
    }
    if (Str(*old, "reclaimPolicy") != rp) {
      errs.Forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden.");
    }
    if (Str(*old, "volumeBindingMode") != vbm) {
      errs.InvalidStr("volumeBindingMode", vbm, "field is immutable");
    }
  }
}

json::array StorageClassRow(const json::object& obj, TimePoint now) {
  std::string name(MetaName(obj));
  if (IsDefaultClass(obj))
    name += " (default)";
  std::string_view rp = Str(obj, "reclaimPolicy");
  std::string_view vbm = Str(obj, "volumeBindingMode");
  return json::array{json::value(name),
                     json::value(Str(obj, "provisioner")),
                     json::value(rp.empty() ? "Delete" : rp),
                     json::value(vbm.empty() ? "Immediate" : vbm),
                     json::value(Bool(obj, "allowVolumeExpansion")),
                     json::value(CreatedSince(obj, now))};
}

// ---------------------------------------------------------------------------------------------
// events.k8s.io/v1 Event

// The core/v1 shape of an events.k8s.io/v1 Event, for the shared printer.
json::object ToCoreEvent(const json::object& obj) {
  json::object out;
  auto copy = [&](std::string_view from, std::string_view to) {
    if (const json::value* v = Val(obj, from))
      out[to] = *v;
  };
  copy("metadata", "metadata");
  copy("regarding", "involvedObject");
  copy("note", "message");
  copy("deprecatedSource", "source");
  copy("deprecatedFirstTimestamp", "firstTimestamp");
  copy("deprecatedLastTimestamp", "lastTimestamp");
  copy("deprecatedCount", "count");
  copy("reportingController", "reportingComponent");
  copy("reportingInstance", "reportingInstance");
  copy("eventTime", "eventTime");
  copy("series", "series");
  copy("type", "type");
  copy("reason", "reason");
  copy("action", "action");
  return out;
}

std::optional<std::string> EventsV1Field(const json::object& obj, std::string_view field) {
  if (auto m = MetaField(obj, field))
    return m;
  const json::object& reg = ObjOrEmpty(obj, "regarding");
  static const std::pair<std::string_view, std::string_view> kRegarding[] = {
      {"regarding.kind", "kind"},
      {"regarding.namespace", "namespace"},
      {"regarding.name", "name"},
      {"regarding.uid", "uid"},
      {"regarding.apiVersion", "apiVersion"},
      {"regarding.resourceVersion", "resourceVersion"},
      {"regarding.fieldPath", "fieldPath"}};
  for (const auto& [label, key] : kRegarding) {
    if (field == label)
      return std::string(Str(reg, key));
  }
  if (field == "reason")
    return std::string(Str(obj, "reason"));
  if (field == "type")
    return std::string(Str(obj, "type"));
  if (field == "reportingController")
    return std::string(Str(obj, "reportingController"));
  if (field == "source") {
    // Maps to the core "source" label: the legacy source component, else the controller.
    std::string_view src = Str(ObjOrEmpty(obj, "deprecatedSource"), "component");
    if (src.empty())
      src = Str(obj, "reportingController");
    return std::string(src);
  }
  return std::nullopt;
}

void ValidateEventsV1(const json::object& obj, const json::object* old, Errors& errs) {
  if (old) {
    for (std::string_view k :
         {"regarding", "related", "reason", "note", "deprecatedSource", "deprecatedFirstTimestamp",
          "deprecatedLastTimestamp", "deprecatedCount", "type", "eventTime", "action",
          "reportingController", "reportingInstance"}) {
      if (!SameMember(obj, *old, k)) {
        const json::value* v = Val(obj, k);
        errs.Invalid(std::string(k), v ? Repr(*v) : "null", "field is immutable");
      }
    }
    return;
  }
  if (const json::object* series = Obj(obj, "series")) {
    if (Int(*series, "count").value_or(0) < 2) {
      errs.Invalid("series.count", "\"\"", "should be at least 2");
    }
    if (Str(*series, "lastObservedTime").empty())
      errs.Required("series.lastObservedTime");
  }
  if (Str(obj, "eventTime").empty())
    errs.Required("eventTime");
  std::string_view type = Str(obj, "type");
  if (type != "Normal" && type != "Warning") {
    errs.Invalid("type", "\"\"", "has invalid value: " + std::string(type));
  }
  if (IsSet(obj, "deprecatedFirstTimestamp")) {
    errs.Invalid("deprecatedFirstTimestamp", "\"\"", "needs to be unset");
  }
  if (IsSet(obj, "deprecatedLastTimestamp")) {
    errs.Invalid("deprecatedLastTimestamp", "\"\"", "needs to be unset");
  }
  if (Int(obj, "deprecatedCount").value_or(0) != 0) {
    errs.Invalid("deprecatedCount", "\"\"", "needs to be unset");
  }
  if (const json::object* src = Obj(obj, "deprecatedSource");
      src && (!Str(*src, "component").empty() || !Str(*src, "host").empty())) {
    errs.Invalid("deprecatedSource", "\"\"", "needs to be unset");
  }
  std::string_view rc = Str(obj, "reportingController");
  if (rc.empty()) {
    errs.Required("reportingController");
  } else {
    for (auto& e : IsQualifiedName(rc))
      errs.InvalidStr("reportingController", rc, e);
  }
  std::string_view ri = Str(obj, "reportingInstance");
  if (ri.empty()) {
    errs.Required("reportingInstance");
  } else if (ri.size() > 128) {
    errs.Invalid("reportingInstance", "\"\"", "can have at most 128 characters");
  }
  std::string_view action = Str(obj, "action");
  if (action.empty()) {
    errs.Required("action");
  } else if (action.size() > 128) {
    errs.Invalid("action", "\"\"", "can have at most 128 characters");
  }
  std::string_view reason = Str(obj, "reason");
  if (reason.empty()) {
    errs.Required("reason");
  } else if (reason.size() > 128) {
    errs.Invalid("reason", "\"\"", "can have at most 128 characters");
  }
  if (Str(obj, "note").size() > 1024) {
    errs.Invalid("note", "\"\"", "can have at most 1024 characters");
  }
  std::string_view ns = MetaNamespace(obj);
  std::string_view rns = Str(ObjOrEmpty(obj, "regarding"), "namespace");
  if (!rns.empty() && !ns.empty() && rns != ns) {
    errs.InvalidStr("regarding.namespace", rns, "does not match event.namespace");
  }
}

}  // namespace

std::string ToLowerCopy(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

ResourceInfo MakePodDisruptionBudget() {
  ResourceInfo r =
      GroupBase("policy", "PodDisruptionBudget", "poddisruptionbudgets", true, {"pdb"});
  r.has_status = true;
  r.tracks_generation = true;
  r.reset_status_on_create = true;
  r.allow_create_on_update = true;
  r.default_fn = [](json::object& obj) {
    if (json::object* st = MutObj(obj, "status")) {
      for (const auto& kv : PdbZeroStatus())
        SetIfMissing(*st, kv.key(), kv.value());
    }
  };
  r.prepare_create_fn = [](json::object& obj, TimePoint) { obj["status"] = PdbZeroStatus(); };
  r.bumps_generation_fn = [](const json::object& obj, const json::object& old) {
    return !SameMember(obj, old, "spec");
  };
  r.validate_fn = [](const json::object& obj, const json::object*) {
    Errors errs;
    ValidatePdb(obj, errs);
    return errs.Take();
  };
  r.columns = {
      NameColumn(),
      Column("Min Available", "string", "The minimum number of pods that must be available."),
      Column("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
      Column("Allowed Disruptions", "integer",
             "Calculated number of pods that may be disrupted at this time."),
      AgeColumn()};
  r.row_fn = PdbRow;
  return r;
}

ResourceInfo MakeLease() {
  ResourceInfo r = GroupBase("coordination.k8s.io", "Lease", "leases", true, {});
  r.allow_create_on_update = true;
  r.validate_fn = [](const json::object& obj, const json::object*) {
    Errors errs;
    const json::object& spec = ObjOrEmpty(obj, "spec");
    if (auto d = Int(spec, "leaseDurationSeconds"); d && *d <= 0) {
      errs.InvalidInt("spec.leaseDurationSeconds", *d, "must be greater than 0");
    }
    if (auto t = Int(spec, "leaseTransitions"); t && *t < 0) {
      errs.InvalidInt("spec.leaseTransitions", *t, "must be greater than or equal to 0");
    }
    return errs.Take();
  };
  r.columns = {NameColumn(), Column("Holder", "string", "The holder of the lease"), AgeColumn()};
  r.row_fn = [](const json::object& obj, TimePoint now) {
    return json::array{json::value(MetaName(obj)),
                       json::value(Str(ObjOrEmpty(obj, "spec"), "holderIdentity")),
                       json::value(CreatedSince(obj, now))};
  };
  return r;
}

ResourceInfo MakeStorageClass() {
  ResourceInfo r = GroupBase("storage.k8s.io", "StorageClass", "storageclasses", false, {"sc"});
  r.default_fn = [](json::object& obj) {
    SetIfEmptyString(obj, "reclaimPolicy", "Delete");
    SetIfEmptyString(obj, "volumeBindingMode", "Immediate");
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateStorageClass(obj, old, errs);
    return errs.Take();
  };
  r.columns = {NameColumn(),
               Column("Provisioner", "string", "Indicates the type of the provisioner."),
               Column("ReclaimPolicy", "string", "Indicates the type of the reclaim policy."),
               Column("VolumeBindingMode", "string",
                      "Indicates how PersistentVolumeClaims should be provisioned and bound"),
               Column("AllowVolumeExpansion", "string",
                      "Indicates whether the storage class allow volume expand"),
               AgeColumn()};
  r.row_fn = StorageClassRow;
  return r;
}

ResourceInfo MakeEventsV1Event() {
  // Served from the same storage as core/v1 events, hence the same short name "ev".
  ResourceInfo r = GroupBase("events.k8s.io", "Event", "events", true, {"ev"});
  r.allow_create_on_update = true;
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateEventsV1(obj, old, errs);
    return errs.Take();
  };
  r.field_labels = {"regarding.kind",
                    "regarding.namespace",
                    "regarding.name",
                    "regarding.uid",
                    "regarding.apiVersion",
                    "regarding.resourceVersion",
                    "regarding.fieldPath",
                    "reason",
                    "reportingController",
                    "source",
                    "type"};
  r.field_fn = EventsV1Field;
  r.columns = EventColumns();
  r.row_fn = [](const json::object& obj, TimePoint now) {
    return CoreEventRow(ToCoreEvent(obj), now);
  };
  return r;
}

}  // namespace kcx::apiserver::reg
