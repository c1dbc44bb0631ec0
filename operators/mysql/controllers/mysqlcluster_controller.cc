#include "operators/mysql/controllers/mysqlcluster_controller.h"

#include <algorithm>
#include <thread>

#include "api/json.h"
#include "client/errors.h"
#include "common/log.h"
#include "common/strings.h"
#include "operators/mysql/controllers/kinds.h"
#include "operators/mysql/controllers/status.h"
#include "operators/mysql/controllers/volume_resize.h"

namespace kcx::mysql::controllers {

namespace json = boost::json;
using runtime::ObjectPtr;
namespace kj = kcx::api;

// What one reconcile found out, for the status and the requeue decision.
struct MySQLClusterReconciler::Outcome {
  json::object sts;  // the live StatefulSet after the StatefulSet step (empty if none)
  // Volume resize: deferred (StatefulSet mid-update) or blocked (reason, message).
  std::string resize_deferred;
  std::string resize_blocked_reason, resize_blocked_message;
  bool requeue_soon = false;
};

namespace {

std::string Now() { return FormatRfc3339(std::chrono::system_clock::now()); }

bool HasFinalizer(const api::MySQLCluster& c) {
  return std::find(c.finalizers.begin(), c.finalizers.end(), api::kFinalizer) != c.finalizers.end();
}

// A JSON patch that replaces metadata.finalizers only if it still holds what we read.
std::string FinalizersPatch(const api::MySQLCluster& c, const std::vector<std::string>& after) {
  const std::vector<std::string>& before = c.finalizers;
  json::array b(before.begin(), before.end()), a(after.begin(), after.end());
  json::array ops;
  if (before.empty()) {
    // No list to test against: test the object's version instead.
    ops.push_back(
        {{"op", "test"}, {"path", "/metadata/resourceVersion"}, {"value", c.resource_version}});
    ops.push_back({{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", a}});
  } else {
    ops.push_back({{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", b}});
    ops.push_back({{"op", "replace"}, {"path", "/metadata/finalizers"}, {"value", a}});
  }
  return json::serialize(ops);
}

}  // namespace

MySQLClusterReconciler::MySQLClusterReconciler(client::RestClient* client,
                                               runtime::MetricsRegistry* metrics,
                                               runtime::EventRecorder* events,
                                               ReconcilerOptions opts)
    : client_(client),
      events_(events),
      opts_(std::move(opts)),
      applier_(client, std::string(api::kFieldManager)),
      objects_(client) {
  opts_.render.controller_namespace = opts_.controller_namespace;
  std::vector<std::string> labels{"name", "namespace"};
  volume_resized_ = metrics->Counter("moco_cluster_volume_resized_total",
                                     "The number of successful volume resizes", labels);
  volume_resized_errors_ = metrics->Counter("moco_cluster_volume_resized_errors_total",
                                            "The number of failed volume resizes", labels);
  sts_recreate_ = metrics->Counter("moco_cluster_statefulset_recreate_total",
                                   "The number of successful StatefulSet re-creations", labels);
  sts_recreate_errors_ = metrics->Counter("moco_cluster_statefulset_recreate_errors_total",
                                          "The number of failed StatefulSet re-creations", labels);
  reconciliation_stopped_ =
      metrics->Gauge("moco_cluster_reconciliation_stopped",
                     "1 if reconciliation of the cluster is stopped, 0 otherwise", labels);
  clustering_stopped_ =
      metrics->Gauge("moco_cluster_clustering_stopped",
                     "1 if clustering of the cluster is stopped, 0 otherwise", labels);
}

MySQLClusterReconciler::~MySQLClusterReconciler() = default;

void MySQLClusterReconciler::Setup(runtime::Controller& c) {
  controller_ = &c;
  // Reconcile on spec changes, on annotation changes (stop/start), and on deletion; not on the
  // status writes this reconciler and the clustering side make themselves.
  runtime::Predicate cluster_changed = [](const runtime::Event& e) {
    if (e.type != runtime::Event::kUpdate || !e.old_obj)
      return true;
    return e.old_obj->generation() != e.obj->generation() ||
           e.old_obj->annotations_hash() != e.obj->annotations_hash() ||
           e.old_obj->deleting() != e.obj->deleting() || e.old_obj->labels() != e.obj->labels();
  };
  c.For(kMySQLClusterKind, {cluster_changed});
  for (const auto* k : {&kStatefulSetKind, &kServiceKind, &kSecretKind, &kConfigMapKind,
                        &kServiceAccountKind, &kPdbKind}) {
    c.Owns(*k).WithLabelSelector(*k, kOwnedSelector);
  }
  // The cluster's Pods (from its StatefulSet, not owned by the cluster): their changes wake the
  // clustering worker through a reconcile, which is also where a switchover request (primary
  // deleted or annotated demote) is noticed.
  c.Watches(kPodKind, [](const ObjectPtr& o) {
     std::vector<runtime::Request> out;
     for (const auto& [k, v] : o->labels()) {
       if (k == api::kLabelAppInstance)
         out.push_back({std::string(o->ns()), v});
     }
     return out;
   }).WithLabelSelector(kPodKind, kOwnedSelector);
  c.MaxConcurrentReconciles(opts_.max_concurrent_reconciles);
}

ObjectPtr MySQLClusterReconciler::Cached(const runtime::ResourceKind& kind, std::string_view ns,
                                         std::string_view name) const {
  if (!controller_)
    return nullptr;
  return controller_->InformerFor(kind)->GetIndexer().Get(ns, name);
}

void MySQLClusterReconciler::Event(const api::MySQLCluster& c, const std::string& type,
                                   const std::string& reason, const std::string& message) {
  if (!events_)
    return;
  events_->Event({std::string(api::kApiVersion), std::string(api::kKind), c.ns, c.name, c.uid,
                  c.resource_version},
                 type, reason, message);
}

Status MySQLClusterReconciler::Apply(const runtime::ResourceKind& kind,
                                     const json::object& config) {
  std::string_view ns = kj::GetStringPath(config, {"metadata", "namespace"});
  std::string_view name = kj::GetStringPath(config, {"metadata", "name"});
  ObjectPtr live = Cached(kind, ns, name);
  json::value lv;
  const json::object* lo = nullptr;
  if (live) {
    lv = live->Value();
    if (lv.is_object())
      lo = &lv.get_object();
  }
  auto r = applier_.Apply(kind, config, lo);
  if (r.ok() && r->wrote)
    log::Debug("applied {} {}/{}", kind.kind, ns, name);
  if (!r.ok()) {
    return Status(r.status().reason(), kind.kind + " " + std::string(ns) + "/" + std::string(name) +
                                           ": " + r.status().message());
  }
  return Status::Ok();
}

Result<runtime::ReconcileResult> MySQLClusterReconciler::Reconcile(const runtime::Request& req) {
  ObjectPtr obj = Cached(kMySQLClusterKind, req.ns, req.name);
  if (!obj) {
    if (clustering_)
      clustering_->Remove(req.ns, req.name);
    return runtime::ReconcileResult{};
  }
  KCX_ASSIGN_OR_RETURN(api::MySQLCluster c, api::ParseMySQLCluster(obj->Value()));
  if (c.deleting)
    return Finalize(c);
  KCX_RETURN_IF_ERROR(EnsureFinalizer(c));

  reconciliation_stopped_->Set({c.name, c.ns}, c.ReconciliationStopped() ? 1 : 0);
  clustering_stopped_->Set({c.name, c.ns}, c.ClusteringStopped() ? 1 : 0);
  Outcome out;
  Status result = Status::Ok();
  if (!c.ReconciliationStopped())
    result = ReconcileObjects(c, out);
  if (Status s = UpdateStatus(c, out, result); !s.ok() && result.ok()) {
    if (client::IsNotFound(s))
      return runtime::ReconcileResult{};
    result = s;
  }
  if (clustering_)
    clustering_->Sync(c);
  if (!result.ok()) {
    log::Warn("reconcile {}/{}: {}", c.ns, c.name, result.message());
    return result;
  }
  runtime::ReconcileResult rr;
  if (out.requeue_soon) {
    rr.requeue_after = std::chrono::duration_cast<std::chrono::nanoseconds>(opts_.resize_requeue);
  }
  return rr;
}

Status MySQLClusterReconciler::EnsureFinalizer(api::MySQLCluster& c) {
  // The mutating webhook adds it; this covers clusters created while the webhook was not
  // installed, so deletion still cleans up the controller Secret.
  if (HasFinalizer(c))
    return Status::Ok();
  std::vector<std::string> after = c.finalizers;
  after.emplace_back(api::kFinalizer);
  other_writes_.fetch_add(1);
  auto r = objects_.Patch(kMySQLClusterKind, c.ns, c.name, "application/json-patch+json",
                          FinalizersPatch(c, after));
  if (!r.ok())
    return r.status();
  // Continue with the server's answer: the cached object has the old resourceVersion, and a
  // status update from it would cost a 409, a GET and a second PUT.
  auto patched = api::ParseMySQLCluster(json::value(std::move(*r)));
  if (patched.ok())
    c = std::move(*patched);
  return Status::Ok();
}

Result<runtime::ReconcileResult> MySQLClusterReconciler::Finalize(const api::MySQLCluster& c) {
  if (clustering_)
    clustering_->Remove(c.ns, c.name);
  if (!HasFinalizer(c))
    return runtime::ReconcileResult{};
  // Objects in the cluster's namespace carry an ownerReference and go with the garbage
  // collector; the controller Secret lives in the operator's namespace and goes here.
  std::string secret = api::ControllerSecretName(c.ns, c.name);
  other_writes_.fetch_add(1);
  Status s = objects_.Delete(kSecretKind, opts_.controller_namespace, secret);
  if (!s.ok() && !client::IsNotFound(s))
    return s;
  std::vector<std::string> after;
  for (const auto& f : c.finalizers) {
    if (f != api::kFinalizer)
      after.push_back(f);
  }
  other_writes_.fetch_add(1);
  auto r = objects_.Patch(kMySQLClusterKind, c.ns, c.name, "application/json-patch+json",
                          FinalizersPatch(c, after));
  if (!r.ok() && !client::IsNotFound(r.status()))
    return r.status();
  log::Info("finalized MySQLCluster {}/{}", c.ns, c.name);
  return runtime::ReconcileResult{};
}

Status MySQLClusterReconciler::ReconcileObjects(const api::MySQLCluster& c, Outcome& out) {
  KCX_RETURN_IF_ERROR(ReconcileSecrets(c));
  KCX_ASSIGN_OR_RETURN(std::string cm_name, ReconcileMyCnf(c));
  KCX_RETURN_IF_ERROR(Apply(kServiceAccountKind, RenderServiceAccount(c)));
  KCX_RETURN_IF_ERROR(Apply(kServiceKind, RenderHeadlessService(c)));
  KCX_RETURN_IF_ERROR(Apply(kServiceKind, RenderPrimaryService(c)));
  KCX_RETURN_IF_ERROR(Apply(kServiceKind, RenderReplicaService(c)));
  KCX_ASSIGN_OR_RETURN(json::object sts, RenderStatefulSet(c, cm_name, opts_.render));
  KCX_RETURN_IF_ERROR(ReconcileVolumes(c, sts, out));
  KCX_RETURN_IF_ERROR(ReconcileStatefulSet(c, std::move(sts), out));
  return ReconcilePdb(c);
}

Status MySQLClusterReconciler::ReconcileSecrets(const api::MySQLCluster& c) {
  const std::string& cns = opts_.controller_namespace;
  std::string name = api::ControllerSecretName(c.ns, c.name);
  std::optional<json::object> live;
  if (ObjectPtr o = Cached(kSecretKind, cns, name)) {
    json::value v = o->Value();
    if (v.is_object())
      live = std::move(v.get_object());
  } else {
    // Not in the cache: it may be new and not seen yet. Never generate passwords over an
    // existing Secret — MySQL already has those.
    auto got = objects_.Get(kSecretKind, cns, name);
    if (got.ok()) {
      live = std::move(*got);
    } else if (!client::IsNotFound(got.status())) {
      return got.status();
    }
  }
  Passwords pw;
  if (live) {
    std::map<std::string, std::string> m;
    if (const json::object* data = kj::GetObject(*live, "data")) {
      for (const auto& [k, v] : *data) {
        if (!v.is_string())
          continue;
        auto d = Base64Decode(v.get_string());
        if (d)
          m[std::string(k)] = *d;
      }
    }
    auto parsed = Passwords::FromMap(m);
    if (!parsed.ok()) {
      return Invalid("Secret " + cns + "/" + name + ": " + parsed.status().message() +
                     " (the operator does not regenerate passwords MySQL may already use)");
    }
    pw = std::move(*parsed);
  } else {
    pw = Passwords::Random();
    // Create, not apply: if another writer created it meanwhile, ours must not win.
    other_writes_.fetch_add(1);
    auto r = objects_.Create(kSecretKind, RenderControllerSecret(c, pw, opts_.render));
    if (!r.ok()) {
      if (!client::IsAlreadyExists(r.status()))
        return r.status();
      return Unavailable("Secret " + cns + "/" + name + " appeared meanwhile; retrying");
    }
  }
  KCX_RETURN_IF_ERROR(Apply(kSecretKind, RenderControllerSecret(c, pw, opts_.render)));
  KCX_RETURN_IF_ERROR(Apply(kSecretKind, RenderUserSecret(c, pw)));
  KCX_RETURN_IF_ERROR(Apply(kSecretKind, RenderMyCnfSecret(c, pw)));
  return Status::Ok();
}

Result<std::string> MySQLClusterReconciler::ReconcileMyCnf(const api::MySQLCluster& c) {
  std::map<std::string, std::string> user;
  bool has_user = false;
  if (c.mysql_config_map_name && !c.mysql_config_map_name->empty()) {
    auto cm = objects_.Get(kConfigMapKind, c.ns, *c.mysql_config_map_name);
    if (!cm.ok()) {
      return Status(cm.status().reason(), "my.cnf ConfigMap " + c.ns + "/" +
                                              *c.mysql_config_map_name + ": " +
                                              cm.status().message());
    }
    if (const json::object* data = kj::GetObject(*cm, "data")) {
      for (const auto& [k, v] : *data) {
        if (v.is_string())
          user[std::string(k)] = std::string(v.get_string());
      }
    }
    has_user = true;
  }
  json::object cm = RenderMyCnfConfigMap(c, has_user ? &user : nullptr, opts_.flavor);
  std::string name(kj::GetStringPath(cm, {"metadata", "name"}));
  KCX_RETURN_IF_ERROR(Apply(kConfigMapKind, cm));
  if (auto slow = RenderSlowLogConfigMap(c)) {
    KCX_RETURN_IF_ERROR(Apply(kConfigMapKind, *slow));
  } else if (Cached(kConfigMapKind, c.ns, SlowLogConfigMapName(c.name))) {
    other_writes_.fetch_add(1);
    Status s = objects_.Delete(kConfigMapKind, c.ns, SlowLogConfigMapName(c.name));
    if (!s.ok() && !client::IsNotFound(s))
      return s;
  }

  // Keep the newest old versions (rollbacks of the StatefulSet still reference them).
  std::vector<ConfigMapInfo> existing;
  std::string prefix = api::PrefixedName(c.name) + ".";
  controller_->InformerFor(kConfigMapKind)->GetIndexer().ForEach([&](const ObjectPtr& o) {
    if (o->ns() != c.ns || o->name().substr(0, prefix.size()) != prefix)
      return;
    json::value v = o->Value();
    existing.push_back({std::string(o->name()),
                        std::string(kj::GetStringPath(v, {"metadata", "creationTimestamp"}))});
  });
  for (const auto& stale :
       StaleMyCnfConfigMaps(c.name, name, existing, opts_.render.configmap_history_limit)) {
    other_writes_.fetch_add(1);
    Status s = objects_.Delete(kConfigMapKind, c.ns, stale);
    if (!s.ok() && !client::IsNotFound(s))
      return s;
  }
  return name;
}

Status MySQLClusterReconciler::ReconcileVolumes(const api::MySQLCluster& c,
                                                const json::object& desired_sts, Outcome& out) {
  ObjectPtr live_obj = Cached(kStatefulSetKind, c.ns, api::PrefixedName(c.name));
  if (!live_obj)
    return Status::Ok();
  json::value lv = live_obj->Value();
  if (!lv.is_object())
    return Status::Ok();
  const json::object& live = lv.get_object();
  static const json::array kNone;
  const json::object* dspec = kj::GetObject(desired_sts, "spec");
  const json::object* lspec = kj::GetObject(live, "spec");
  const json::array* dv = dspec ? kj::GetArray(*dspec, "volumeClaimTemplates") : nullptr;
  const json::array* lvct = lspec ? kj::GetArray(*lspec, "volumeClaimTemplates") : nullptr;
  VolumePlan plan = PlanVolumes(dv ? *dv : kNone, lvct ? *lvct : kNone);
  if (plan.grow.empty() && plan.shrink.empty())
    return Status::Ok();

  if (!plan.shrink.empty()) {
    const auto& s = plan.shrink.front();
    out.resize_blocked_reason = "VolumeShrinkNotSupported";
    out.resize_blocked_message =
        "volumeClaimTemplate " + s.template_name + " asks for " + s.to + " but its PVCs have " +
        s.from + ": Kubernetes cannot shrink a PersistentVolumeClaim. Restore the size " + s.from +
        " in spec.volumeClaimTemplates; to use smaller volumes, create a new cluster "
        "and move the data";
    return Status::Ok();
  }
  std::string why;
  if (StatefulSetUpdating(live, &why)) {
    out.resize_deferred = "the StatefulSet is being updated: " + why;
    out.requeue_soon = true;
    return Status::Ok();
  }

  // Decide every PVC first; patch only when no PVC of a growing template is blocked, so a
  // cluster never ends up with some volumes grown and others not.
  struct Patch {
    std::string pvc, to;
  };
  std::vector<Patch> patches;
  std::vector<std::string> larger;
  std::map<std::string, std::optional<json::object>> classes;
  for (const auto& change : plan.grow) {
    for (int i = 0; i < c.replicas; ++i) {
      std::string pvc_name = api::PvcName(change.template_name, c.name, i);
      auto pvc = objects_.Get(kPvcKind, c.ns, pvc_name);
      if (!pvc.ok()) {
        if (client::IsNotFound(pvc.status()))
          continue;  // not created yet: born with the size
        volume_resized_errors_->Add({c.name, c.ns});
        return pvc.status();
      }
      std::string cls(kj::GetStringPath(*pvc, {"spec", "storageClassName"}));
      if (!classes.count(cls)) {
        std::optional<json::object> sc;
        if (!cls.empty()) {
          auto got = objects_.Get(kStorageClassKind, "", cls);
          if (got.ok()) {
            sc = std::move(*got);
          } else if (!client::IsNotFound(got.status())) {
            volume_resized_errors_->Add({c.name, c.ns});
            return got.status();
          }
        }
        classes[cls] = std::move(sc);
      }
      PvcDecision d = DecidePvc(*pvc, change, classes[cls]);
      switch (d.kind) {
        case PvcDecision::kPatch:
          patches.push_back({pvc_name, change.to});
          break;
        case PvcDecision::kDone:
          break;
        case PvcDecision::kLarger:
          larger.push_back(d.message);
          break;
        case PvcDecision::kNotExpandable:
          out.resize_blocked_reason = "StorageClassNotExpandable";
          out.resize_blocked_message = d.message +
                                       "; the volumes stay at their size and the "
                                       "StatefulSet keeps its old template. Use a class that "
                                       "allows expansion, or restore the size in "
                                       "spec.volumeClaimTemplates";
          out.requeue_soon = true;
          volume_resized_errors_->Add({c.name, c.ns});
          return Status::Ok();
      }
    }
  }
  if (!larger.empty()) {
    // Not an error: those PVCs are big enough already. Said once per reconcile that grows.
    out.resize_blocked_reason = "PVCLargerThanTemplate";
    out.resize_blocked_message = larger.front();
    Event(c, "Warning", "PVCLargerThanTemplate", larger.front());
  }
  std::vector<std::string> done;
  for (const auto& p : patches) {
    json::object body{{"spec", {{"resources", {{"requests", {{"storage", p.to}}}}}}}};
    other_writes_.fetch_add(1);
    auto r = objects_.Patch(kPvcKind, c.ns, p.pvc, "application/merge-patch+json",
                            json::serialize(body));
    if (!r.ok()) {
      volume_resized_errors_->Add({c.name, c.ns});
      Event(c, "Warning", "VolumeResizeFailed",
            "resizing PVC " + p.pvc + " to " + p.to + " failed: " + r.status().message());
      return r.status();
    }
    done.push_back(p.pvc + " → " + p.to);
  }
  if (!done.empty()) {
    volume_resized_->Add({c.name, c.ns});
    std::string msg = "resized " + std::to_string(done.size()) + " PVC(s):";
    for (const auto& d : done)
      msg += " " + d;
    Event(c, "Normal", "VolumeResized", msg);
    log::Info("MySQLCluster {}/{}: {}", c.ns, c.name, msg);
  }
  return Status::Ok();
}

Status MySQLClusterReconciler::ReconcileStatefulSet(const api::MySQLCluster& c,
                                                    json::object desired, Outcome& out) {
  std::string name = api::PrefixedName(c.name);
  ObjectPtr live_obj = Cached(kStatefulSetKind, c.ns, name);
  if (!live_obj) {
    KCX_RETURN_IF_ERROR(Apply(kStatefulSetKind, desired));
    return Status::Ok();
  }
  json::value lv = live_obj->Value();
  json::object& live = lv.as_object();
  json::object& dspec = kj::EnsureObject(desired, "spec");
  json::object& lspec = kj::EnsureObject(live, "spec");
  static const json::array kNone;
  const json::array* dvct = kj::GetArray(dspec, "volumeClaimTemplates");
  const json::array* lvct = kj::GetArray(lspec, "volumeClaimTemplates");
  VolumePlan plan = PlanVolumes(dvct ? *dvct : kNone, lvct ? *lvct : kNone);

  bool recreate = plan.templates_differ;
  if (recreate &&
      (!out.resize_deferred.empty() || (!out.resize_blocked_reason.empty() &&
                                        out.resize_blocked_reason != "PVCLargerThanTemplate"))) {
    // The claim templates must wait with the PVCs; everything else in the StatefulSet may
    // still change, so apply it with the live templates (the field is immutable).
    recreate = false;
    if (lvct) {
      dspec["volumeClaimTemplates"] = *lvct;
    } else {
      dspec.erase("volumeClaimTemplates");
    }
  }
  if (!recreate)
    return Apply(kStatefulSetKind, desired);

  // volumeClaimTemplates cannot change in place: delete the StatefulSet leaving its Pods and
  // PVCs (Orphan), wait until it is gone, and create it anew. The new StatefulSet adopts the
  // running Pods; nothing restarts.
  std::string uid(live_obj->uid());
  log::Info("MySQLCluster {}/{}: re-creating StatefulSet {} for new volumeClaimTemplates", c.ns,
            c.name, name);
  other_writes_.fetch_add(1);
  Status del = objects_.Delete(kStatefulSetKind, c.ns, name,
                               {.propagation_policy = "Orphan", .precondition_uid = uid});
  if (!del.ok() && !client::IsNotFound(del) && !client::IsConflict(del)) {
    sts_recreate_errors_->Add({c.name, c.ns});
    return del;
  }
  auto deadline = std::chrono::steady_clock::now() + opts_.statefulset_delete_wait;
  for (;;) {
    auto got = objects_.Get(kStatefulSetKind, c.ns, name);
    if (!got.ok() && client::IsNotFound(got.status()))
      break;
    if (got.ok() && kj::GetStringPath(*got, {"metadata", "uid"}) != uid)
      break;
    if (std::chrono::steady_clock::now() >= deadline) {
      sts_recreate_errors_->Add({c.name, c.ns});
      return Unavailable("StatefulSet " + c.ns + "/" + name + " is not gone after " +
                         std::to_string(opts_.statefulset_delete_wait.count()) +
                         " ms of orphan deletion; retrying");
    }
    std::this_thread::sleep_for(opts_.poll_interval);
  }
  auto r = applier_.Apply(kStatefulSetKind, desired, nullptr);
  if (!r.ok()) {
    sts_recreate_errors_->Add({c.name, c.ns});
    Event(c, "Warning", "StatefulSetRecreateFailed",
          "re-creating StatefulSet " + name + " failed: " + r.status().message());
    return r.status();
  }
  sts_recreate_->Add({c.name, c.ns});
  Event(c, "Normal", "StatefulSetRecreated",
        "re-created StatefulSet " + name +
            " with the new volumeClaimTemplates (orphan deletion; Pods and PVCs kept)");
  out.sts = std::move(r->object);
  return Status::Ok();
}

Status MySQLClusterReconciler::ReconcilePdb(const api::MySQLCluster& c) {
  if (auto pdb = RenderPodDisruptionBudget(c))
    return Apply(kPdbKind, *pdb);
  std::string name = api::PrefixedName(c.name);
  if (!Cached(kPdbKind, c.ns, name))
    return Status::Ok();
  other_writes_.fetch_add(1);
  Status s = objects_.Delete(kPdbKind, c.ns, name);
  return s.ok() || client::IsNotFound(s) ? Status::Ok() : s;
}

Status MySQLClusterReconciler::UpdateStatus(const api::MySQLCluster& c, const Outcome& out,
                                            const Status& result) {
  // StatefulSetReady from the cached StatefulSet (or the one just re-created).
  json::object sts = out.sts;
  if (sts.empty()) {
    if (ObjectPtr o = Cached(kStatefulSetKind, c.ns, api::PrefixedName(c.name))) {
      json::value v = o->Value();
      if (v.is_object())
        sts = std::move(v.get_object());
    }
  }
  bool sts_ready = false;
  std::string sts_msg = "the StatefulSet does not exist yet";
  if (!sts.empty()) {
    std::string why;
    sts_ready = !StatefulSetUpdating(sts, &why);
    sts_msg = sts_ready ? "" : why;
  }
  std::string now = Now();
  bool stopped = c.ReconciliationStopped();
  auto w = UpdateClusterStatus(objects_, c.ns, c.name, &c.raw, [&](json::object& status) {
    json::array& conds = [&]() -> json::array& {
      json::value& v = status["conditions"];
      if (!v.is_array())
        v = json::array();
      return v.get_array();
    }();
    bool changed = false;
    changed |= SetCondition(conds, api::kCondReconciliationActive, !stopped,
                            stopped ? "ReconciliationStopped" : "ReconciliationActive",
                            stopped ? "reconciliation is stopped by the annotation " +
                                          std::string(api::kAnnReconciliationStopped)
                                    : "",
                            c.generation, now);
    if (!stopped) {
      changed |= SetCondition(conds, api::kCondReconcileSuccess, result.ok(),
                              result.ok() ? "ReconcileSuccess" : "ReconcileFailed",
                              result.ok() ? "" : result.message(), c.generation, now);
      changed |= SetCondition(conds, api::kCondStatefulSetReady, sts_ready,
                              sts_ready ? "StatefulSetReady" : "StatefulSetNotReady", sts_msg,
                              c.generation, now);
      bool blocked = !out.resize_blocked_reason.empty() &&
                     out.resize_blocked_reason != "PVCLargerThanTemplate";
      bool deferred = !out.resize_deferred.empty();
      // Present once a resize was ever asked for; True while one cannot proceed.
      if (blocked || deferred || ConditionStatus(c.raw, "VolumeResizeBlocked") != "") {
        changed |= SetCondition(conds, "VolumeResizeBlocked", blocked || deferred,
                                blocked    ? out.resize_blocked_reason
                                : deferred ? "StatefulSetUpdating"
                                           : "VolumeResizeNotBlocked",
                                blocked    ? out.resize_blocked_message
                                : deferred ? "the volume resize waits: " + out.resize_deferred
                                           : "",
                                c.generation, now);
      }
      json::object info{{"generation", c.generation}, {"reconcileVersion", 1}};
      if (result.ok()) {
        json::value* cur = status.if_contains("reconcileInfo");
        if (!cur || *cur != json::value(info)) {
          status["reconcileInfo"] = std::move(info);
          changed = true;
        }
      }
    }
    return changed;
  });
  if (!w.ok())
    return w.status();
  if (*w)
    other_writes_.fetch_add(1);
  // Say a blocked or deferred resize once, when it starts waiting.
  if (ConditionStatus(c.raw, "VolumeResizeBlocked") != "True") {
    if (!out.resize_blocked_reason.empty() &&
        out.resize_blocked_reason != "PVCLargerThanTemplate") {
      Event(c, "Warning", out.resize_blocked_reason, out.resize_blocked_message);
    } else if (!out.resize_deferred.empty()) {
      Event(c, "Normal", "VolumeResizeDeferred", "the volume resize waits: " + out.resize_deferred);
    }
  }
  return Status::Ok();
}

}  // namespace kcx::mysql::controllers
