// apps/v1 StatefulSet and Deployment: pkg/apis/apps/v1/defaults.go,
// pkg/registry/apps/{statefulset,deployment}/strategy.go, pkg/apis/apps/validation and the
// printers.

#include <algorithm>

#include "apiserver/registry/util.h"

namespace kcx::apiserver::reg {

namespace {

const json::object* TemplatePodSpec(const json::object& spec) {
  const json::object* t = Obj(spec, "template");
  return t ? Obj(*t, "spec") : nullptr;
}

void DefaultTemplate(json::object& spec) {
  json::object* t = MutObj(spec, "template");
  if (!t)
    return;
  DefaultPodSpec(Ensure(*t, "spec"));
}

// Selector present, non-empty, valid, and matching the template's labels; template valid with
// restartPolicy Always. `what` is "deployment" or "statefulset" as in kube's messages.
void ValidateWorkloadSpec(const json::object& spec, std::string_view what, Errors& errs) {
  const json::object* sel = Obj(spec, "selector");
  const json::object* tmpl = Obj(spec, "template");
  if (!sel) {
    errs.Required("spec.selector");
  } else {
    ValidateLabelSelector(*sel, "spec.selector", errs);
    if (SelectorEmpty(*sel)) {
      errs.Invalid("spec.selector", json::serialize(*sel),
                   "empty selector is invalid for " + std::string(what));
    }
  }
  if (auto rep = Int(spec, "replicas"); rep && *rep < 0) {
    errs.InvalidInt("spec.replicas", *rep, "must be greater than or equal to 0");
  }
  if (auto mrs = Int(spec, "minReadySeconds"); mrs && *mrs < 0) {
    errs.InvalidInt("spec.minReadySeconds", *mrs, "must be greater than or equal to 0");
  }
  if (auto rhl = Int(spec, "revisionHistoryLimit"); rhl && *rhl < 0) {
    errs.InvalidInt("spec.revisionHistoryLimit", *rhl, "must be greater than or equal to 0");
  }
  if (!tmpl) {
    errs.Required("spec.template");
    return;
  }
  const json::object* md = Obj(*tmpl, "metadata");
  const json::object* labels = md ? Obj(*md, "labels") : nullptr;
  if (sel && !SelectorEmpty(*sel) && !SelectorMatches(*sel, labels)) {
    errs.Invalid("spec.template.metadata.labels", GoStringMap(labels),
                 "`selector` does not match template `labels`");
  }
  const json::array* vcts = what == "statefulset" ? Arr(spec, "volumeClaimTemplates") : nullptr;
  if (vcts && !vcts->empty()) {
    // A StatefulSet's containers mount its claim templates by name; the StatefulSet controller
    // adds them as volumes to each Pod. Validate the template as those Pods will look (kube
    // skips Pod-spec validation of StatefulSet templates for this reason).
    json::object with_claims = *tmpl;
    json::object& ps = Ensure(with_claims, "spec");
    json::value& vols = ps["volumes"];
    if (!vols.is_array())
      vols = json::array();
    for (const auto& v : *vcts) {
      std::string_view n = v.is_object() ? MetaName(v.get_object()) : std::string_view();
      bool declared = false;
      for (const auto& have : vols.get_array())
        declared = declared || (have.is_object() && Str(have.get_object(), "name") == n);
      if (n.empty() || declared)
        continue;
      vols.get_array().push_back(json::object{
          {"name", n}, {"persistentVolumeClaim", json::object{{"claimName", n}}}});
    }
    ValidatePodTemplate(&with_claims, "spec.template", errs);
  } else {
    ValidatePodTemplate(tmpl, "spec.template", errs);
  }
  if (const json::object* ps = Obj(*tmpl, "spec")) {
    std::string_view rp = Str(*ps, "restartPolicy");
    if (rp != "Always")
      errs.NotSupported("spec.template.spec.restartPolicy", rp, {"Always"});
    if (auto ads = Int(*ps, "activeDeadlineSeconds")) {
      errs.Forbidden("spec.template.spec.activeDeadlineSeconds",
                     "activeDeadlineSeconds in " + std::string(what) + " is not Supported");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// StatefulSet

void DefaultStatefulSet(json::object& obj) {
  json::object& spec = Ensure(obj, "spec");
  SetIfEmptyString(spec, "podManagementPolicy", "OrderedReady");
  json::object& us = Ensure(spec, "updateStrategy");
  if (Str(us, "type").empty()) {
    us["type"] = "RollingUpdate";
    SetIfMissing(us, "rollingUpdate", json::object());
  }
  if (Str(us, "type") == "RollingUpdate") {
    if (json::object* ru = MutObj(us, "rollingUpdate"))
      SetIfMissing(*ru, "partition", 0);
  }
  json::object& ret = Ensure(spec, "persistentVolumeClaimRetentionPolicy");
  SetIfEmptyString(ret, "whenDeleted", "Retain");
  SetIfEmptyString(ret, "whenScaled", "Retain");
  SetIfMissing(spec, "replicas", 1);
  SetIfMissing(spec, "revisionHistoryLimit", 10);
  DefaultTemplate(spec);
  if (json::array* vcts = MutArr(spec, "volumeClaimTemplates")) {
    for (auto& v : *vcts) {
      if (!v.is_object())
        continue;
      json::object& pvc = v.get_object();
      SetIfEmptyString(pvc, "apiVersion", "v1");
      SetIfEmptyString(pvc, "kind", "PersistentVolumeClaim");
      DefaultPvcSpec(Ensure(pvc, "spec"));
      SetIfEmptyString(Ensure(pvc, "status"), "phase", "Pending");
    }
  }
  json::object* status = MutObj(obj, "status");
  if (status) {
    // replicas and availableReplicas are not omitempty in the Go type.
    SetIfMissing(*status, "replicas", 0);
    SetIfMissing(*status, "availableReplicas", 0);
  }
}

void ValidateStatefulSet(const json::object& obj, const json::object* old, Errors& errs) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  ValidateWorkloadSpec(spec, "statefulset", errs);
  std::string_view pmp = Str(spec, "podManagementPolicy");
  if (pmp != "OrderedReady" && pmp != "Parallel") {
    if (pmp.empty()) {
      errs.Required("spec.podManagementPolicy");
    } else {
      errs.Invalid("spec.podManagementPolicy", Quote(pmp), "must be 'OrderedReady' or 'Parallel'");
    }
  }
  const json::object& us = ObjOrEmpty(spec, "updateStrategy");
  std::string_view ut = Str(us, "type");
  if (ut == "OnDelete") {
    if (IsSet(us, "rollingUpdate")) {
      errs.Invalid("spec.updateStrategy.rollingUpdate", "{}",
                   "only allowed for updateStrategy 'RollingUpdate'");
    }
  } else if (ut == "RollingUpdate") {
    if (const json::object* ru = Obj(us, "rollingUpdate")) {
      if (auto p = Int(*ru, "partition"); p && *p < 0) {
        errs.InvalidInt("spec.updateStrategy.rollingUpdate.partition", *p,
                        "must be greater than or equal to 0");
      }
    }
  } else if (ut.empty()) {
    errs.Required("spec.updateStrategy");
  } else {
    errs.Invalid("spec.updateStrategy", Quote(ut), "must be 'RollingUpdate' or 'OnDelete'");
  }
  const json::object& ret = ObjOrEmpty(spec, "persistentVolumeClaimRetentionPolicy");
  for (std::string_view k : {"whenDeleted", "whenScaled"}) {
    std::string_view v = Str(ret, k);
    if (v != "Retain" && v != "Delete") {
      errs.NotSupported(Child("spec.persistentVolumeClaimRetentionPolicy", k), v,
                        {"Retain", "Delete"});
    }
  }
  if (const json::array* vcts = Arr(spec, "volumeClaimTemplates")) {
    for (size_t i = 0; i < vcts->size(); ++i) {
      const json::object* pvc = (*vcts)[i].if_object();
      if (!pvc)
        continue;
      std::string p = Index("spec.volumeClaimTemplates", i);
      std::string_view n = MetaName(*pvc);
      if (n.empty()) {
        errs.Required(Child(Child(p, "metadata"), "name"), "name or generateName is required");
      } else {
        for (auto& e : IsDns1123Subdomain(n))
          errs.InvalidStr(Child(Child(p, "metadata"), "name"), n, e);
      }
      ValidatePvcSpec(ObjOrEmpty(*pvc, "spec"), Child(p, "spec"), errs);
    }
  }
  if (old) {
    // Only these spec fields may change (ValidateStatefulSetUpdate).
    json::object a = spec;
    json::object b = ObjOrEmpty(*old, "spec");
    for (json::object* s : {&a, &b}) {
      for (std::string_view k : {"replicas", "ordinals", "template", "updateStrategy",
                                 "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}) {
        s->erase(k);
      }
    }
    if (json::value(a) != json::value(b)) {
      errs.Forbidden("spec",
                     "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                     "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                     "'minReadySeconds' are forbidden");
    }
  }
}

json::array StatefulSetRow(const json::object& obj, TimePoint now) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::object& status = ObjOrEmpty(obj, "status");
  int64_t desired = Int(spec, "replicas").value_or(0);
  int64_t ready = Int(status, "readyReplicas").value_or(0);
  const json::object* ps = TemplatePodSpec(spec);
  return json::array{json::value(MetaName(obj)),
                     json::value(std::to_string(ready) + "/" + std::to_string(desired)),
                     json::value(CreatedSince(obj, now)),
                     json::value(JoinContainerField(ps, "name")),
                     json::value(JoinContainerField(ps, "image"))};
}

// ---------------------------------------------------------------------------------------------
// Deployment

void DefaultDeployment(json::object& obj) {
  json::object& spec = Ensure(obj, "spec");
  SetIfMissing(spec, "replicas", 1);
  json::object& strategy = Ensure(spec, "strategy");
  SetIfEmptyString(strategy, "type", "RollingUpdate");
  if (Str(strategy, "type") == "RollingUpdate") {
    json::object& ru = Ensure(strategy, "rollingUpdate");
    SetIfMissing(ru, "maxUnavailable", "25%");
    SetIfMissing(ru, "maxSurge", "25%");
  }
  SetIfMissing(spec, "revisionHistoryLimit", 10);
  SetIfMissing(spec, "progressDeadlineSeconds", 600);
  DefaultTemplate(spec);
}

bool IsZeroIntOrPercent(const json::value& v) {
  if (v.is_int64())
    return v.get_int64() == 0;
  if (v.is_uint64())
    return v.get_uint64() == 0;
  if (v.is_string()) {
    std::string_view s = v.get_string();
    return s == "0%" || s == "0";
  }
  return false;
}

void ValidateDeployment(const json::object& obj, const json::object* old, Errors& errs) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  ValidateWorkloadSpec(spec, "deployment", errs);
  const json::object& strategy = ObjOrEmpty(spec, "strategy");
  std::string_view st = Str(strategy, "type");
  if (st == "Recreate") {
    if (IsSet(strategy, "rollingUpdate")) {
      errs.Forbidden("spec.strategy.rollingUpdate",
                     "may not be specified when strategy `type` is 'Recreate'");
    }
  } else if (st == "RollingUpdate") {
    if (const json::object* ru = Obj(strategy, "rollingUpdate")) {
      const json::value* mu = Val(*ru, "maxUnavailable");
      const json::value* ms = Val(*ru, "maxSurge");
      if (mu)
        ValidatePositiveIntOrPercent(*mu, "spec.strategy.rollingUpdate.maxUnavailable", errs);
      if (ms)
        ValidatePositiveIntOrPercent(*ms, "spec.strategy.rollingUpdate.maxSurge", errs);
      if (mu && ms && IsZeroIntOrPercent(*mu) && IsZeroIntOrPercent(*ms)) {
        errs.Invalid("spec.strategy.rollingUpdate.maxUnavailable", Repr(*mu),
                     "may not be 0 when `maxSurge` is 0");
      }
      if (mu && mu->is_string()) {
        std::string_view s = mu->get_string();
        if (s.size() > 1 && s.back() == '%') {
          int n = std::atoi(std::string(s.substr(0, s.size() - 1)).c_str());
          if (n > 100) {
            errs.InvalidStr("spec.strategy.rollingUpdate.maxUnavailable", s,
                            "must not be greater than 100%");
          }
        }
      }
    }
  } else if (st.empty()) {
    errs.Required("spec.strategy.type");
  } else {
    errs.NotSupported("spec.strategy.type", st, {"Recreate", "RollingUpdate"});
  }
  if (auto pds = Int(spec, "progressDeadlineSeconds")) {
    if (*pds < 0) {
      errs.InvalidInt("spec.progressDeadlineSeconds", *pds, "must be greater than or equal to 0");
    } else if (*pds <= Int(spec, "minReadySeconds").value_or(0)) {
      errs.InvalidInt("spec.progressDeadlineSeconds", *pds, "must be greater than minReadySeconds");
    }
  }
  if (old) {
    // apps/v1 selectors are immutable.
    const json::object& ospec = ObjOrEmpty(*old, "spec");
    if (!SameMember(spec, ospec, "selector")) {
      const json::value* sel = Val(spec, "selector");
      errs.Invalid("spec.selector", sel ? json::serialize(*sel) : std::string("null"),
                   "field is immutable");
    }
  }
}

json::array DeploymentRow(const json::object& obj, TimePoint now) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::object& status = ObjOrEmpty(obj, "status");
  int64_t desired = Int(spec, "replicas").value_or(0);
  int64_t ready = Int(status, "readyReplicas").value_or(0);
  const json::object* ps = TemplatePodSpec(spec);
  const json::object* sel = Obj(spec, "selector");
  // metav1.FormatLabelSelector: "<none>" for a missing or empty selector.
  std::string selector = sel ? SelectorString(*sel) : std::string();
  return json::array{json::value(MetaName(obj)),
                     json::value(std::to_string(ready) + "/" + std::to_string(desired)),
                     json::value(Int(status, "updatedReplicas").value_or(0)),
                     json::value(Int(status, "availableReplicas").value_or(0)),
                     json::value(CreatedSince(obj, now)),
                     json::value(JoinContainerField(ps, "name")),
                     json::value(JoinContainerField(ps, "image")),
                     json::value(selector.empty() ? "<none>" : selector)};
}

ResourceInfo AppsBase(std::string kind, std::string resource, std::string singular,
                      std::vector<std::string> short_names) {
  ResourceInfo r;
  r.group = "apps";
  r.version = "v1";
  r.list_kind = kind + "List";
  r.kind = std::move(kind);
  r.resource = std::move(resource);
  r.singular = std::move(singular);
  r.namespaced = true;
  r.short_names = std::move(short_names);
  r.categories = {"all"};
  r.verbs = AllVerbs();
  r.has_status = true;
  r.tracks_generation = true;
  r.reset_status_on_create = true;
  return r;
}

}  // namespace

ResourceInfo MakeStatefulSet() {
  ResourceInfo r = AppsBase("StatefulSet", "statefulsets", "statefulset", {"sts"});
  r.default_fn = DefaultStatefulSet;
  r.prepare_create_fn = [](json::object& obj, TimePoint) {
    obj["status"] = json::object{{"replicas", 0}, {"availableReplicas", 0}};
  };
  r.bumps_generation_fn = [](const json::object& obj, const json::object& old) {
    return !SameMember(obj, old, "spec");
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateStatefulSet(obj, old, errs);
    return errs.Take();
  };
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.columns = {
      NameColumn(), Column("Ready", "string", "Number of the pod with ready state"), AgeColumn(),
      Column("Containers", "string", "Names of each container in the template.", 1),
      Column("Images", "string", "Images referenced by each container in the template.", 1)};
  r.row_fn = StatefulSetRow;
  return r;
}

ResourceInfo MakeDeployment() {
  ResourceInfo r = AppsBase("Deployment", "deployments", "deployment", {"deploy"});
  r.default_fn = DefaultDeployment;
  r.prepare_create_fn = [](json::object& obj, TimePoint) { obj["status"] = json::object(); };
  r.bumps_generation_fn = [](const json::object& obj, const json::object& old) {
    // Annotations count too: they are copied to the ReplicaSets (deployment strategy).
    if (!SameMember(obj, old, "spec"))
      return true;
    const json::object* m = Obj(obj, "metadata");
    const json::object* om = Obj(old, "metadata");
    static const json::object kEmpty;
    const json::object* a = m ? Obj(*m, "annotations") : nullptr;
    const json::object* b = om ? Obj(*om, "annotations") : nullptr;
    return json::value(a ? *a : kEmpty) != json::value(b ? *b : kEmpty);
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateDeployment(obj, old, errs);
    return errs.Take();
  };
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.columns = {
      NameColumn(),
      Column("Ready", "string", "Number of the pod with ready state"),
      Column("Up-to-date", "string",
             "Total number of non-terminated pods targeted by this deployment that have the "
             "desired template spec."),
      Column("Available", "string",
             "Total number of available pods (ready for at least minReadySeconds) targeted by "
             "this deployment."),
      AgeColumn(),
      Column("Containers", "string", "Names of each container in the template.", 1),
      Column("Images", "string", "Images referenced by each container in the template.", 1),
      Column("Selector", "string",
             "Label selector for pods. Existing ReplicaSets whose pods are selected by this will "
             "be the ones affected by this deployment.",
             1),
  };
  r.row_fn = DeploymentRow;
  return r;
}

}  // namespace kcx::apiserver::reg
