// Pods and the pod template pieces that workloads share: pkg/apis/core/v1/defaults.go,
// pkg/registry/core/pod/strategy.go, pkg/apis/core/validation (the commonly hit subset),
// pkg/apis/core/helper/qos and the pod printer of pkg/printers/internalversion.

#include <algorithm>
#include <map>
#include <set>

#include "apiserver/registry/util.h"
#include "common/strings.h"

namespace kcx::apiserver::reg {

namespace {

// The tag ParseImageName would report: "latest" when neither tag nor digest is given, "" when
// only a digest is given or the reference is empty.
std::string ImageTag(std::string_view image) {
  if (image.empty())
    return "";
  std::string_view ref = image;
  bool digest = false;
  if (size_t at = ref.find('@'); at != std::string_view::npos) {
    ref = ref.substr(0, at);
    digest = true;
  }
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    return std::string(ref.substr(colon + 1));
  }
  return digest ? "" : "latest";
}

void DefaultHandler(json::object& h) {
  if (json::object* get = MutObj(h, "httpGet")) {
    SetIfEmptyString(*get, "path", "/");
    SetIfEmptyString(*get, "scheme", "HTTP");
  }
}

void DefaultProbe(json::object& p) {
  SetIfMissing(p, "timeoutSeconds", 1);
  SetIfMissing(p, "periodSeconds", 10);
  SetIfMissing(p, "successThreshold", 1);
  SetIfMissing(p, "failureThreshold", 3);
  DefaultHandler(p);
  if (json::object* grpc = MutObj(p, "grpc"))
    SetIfMissing(*grpc, "service", "");
}

void DefaultFieldRef(json::object& holder) {
  if (json::object* fr = MutObj(holder, "fieldRef"))
    SetIfEmptyString(*fr, "apiVersion", "v1");
}

void DefaultContainer(json::object& c) {
  if (Str(c, "imagePullPolicy").empty()) {
    c["imagePullPolicy"] = ImageTag(Str(c, "image")) == "latest" ? "Always" : "IfNotPresent";
  }
  SetIfEmptyString(c, "terminationMessagePath", "/dev/termination-log");
  SetIfEmptyString(c, "terminationMessagePolicy", "File");
  SetIfMissing(c, "resources", json::object());
  if (json::array* ports = MutArr(c, "ports")) {
    for (auto& p : *ports) {
      if (p.is_object())
        SetIfEmptyString(p.get_object(), "protocol", "TCP");
    }
  }
  for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (json::object* p = MutObj(c, probe))
      DefaultProbe(*p);
  }
  if (json::object* lc = MutObj(c, "lifecycle")) {
    for (std::string_view h : {"postStart", "preStop"}) {
      if (json::object* ho = MutObj(*lc, h))
        DefaultHandler(*ho);
    }
  }
  if (json::array* env = MutArr(c, "env")) {
    for (auto& e : *env) {
      if (!e.is_object())
        continue;
      if (json::object* vf = MutObj(e.get_object(), "valueFrom"))
        DefaultFieldRef(*vf);
    }
  }
}

void DefaultContainers(json::object& spec, std::string_view key) {
  if (json::array* cs = MutArr(spec, key)) {
    for (auto& c : *cs) {
      if (c.is_object())
        DefaultContainer(c.get_object());
    }
  }
}

void DefaultVolume(json::object& v) {
  bool has_source = false;
  for (const auto& kv : v) {
    if (kv.key() != "name" && !kv.value().is_null())
      has_source = true;
  }
  if (!has_source)
    v["emptyDir"] = json::object();
  for (std::string_view k : {"secret", "configMap", "downwardAPI", "projected"}) {
    if (json::object* s = MutObj(v, k))
      SetIfMissing(*s, "defaultMode", 420);
  }
  if (json::object* hp = MutObj(v, "hostPath"))
    SetIfMissing(*hp, "type", "");
  if (json::object* da = MutObj(v, "downwardAPI")) {
    if (json::array* items = MutArr(*da, "items")) {
      for (auto& it : *items) {
        if (it.is_object())
          DefaultFieldRef(it.get_object());
      }
    }
  }
  if (json::object* pr = MutObj(v, "projected")) {
    if (json::array* srcs = MutArr(*pr, "sources")) {
      for (auto& s : *srcs) {
        if (!s.is_object())
          continue;
        json::object& so = s.get_object();
        if (json::object* da = MutObj(so, "downwardAPI")) {
          if (json::array* items = MutArr(*da, "items")) {
            for (auto& it : *items) {
              if (it.is_object())
                DefaultFieldRef(it.get_object());
            }
          }
        }
        if (json::object* sat = MutObj(so, "serviceAccountToken")) {
          SetIfMissing(*sat, "expirationSeconds", 3600);
        }
      }
    }
  }
}

}  // namespace

void DefaultPodSpec(json::object& spec) {
  SetIfEmptyString(spec, "dnsPolicy", "ClusterFirst");
  SetIfEmptyString(spec, "restartPolicy", "Always");
  SetIfMissing(spec, "securityContext", json::object());
  SetIfMissing(spec, "terminationGracePeriodSeconds", 30);
  SetIfEmptyString(spec, "schedulerName", "default-scheduler");
  DefaultContainers(spec, "initContainers");
  DefaultContainers(spec, "containers");
  DefaultContainers(spec, "ephemeralContainers");
  if (json::array* vols = MutArr(spec, "volumes")) {
    for (auto& v : *vols) {
      if (v.is_object())
        DefaultVolume(v.get_object());
    }
  }
  // v1 conversion keeps the deprecated serviceAccount alias in step with serviceAccountName.
  std::string_view san = Str(spec, "serviceAccountName");
  std::string_view sa = Str(spec, "serviceAccount");
  if (san.empty() && !sa.empty()) {
    spec["serviceAccountName"] = std::string(sa);
  } else if (!san.empty() && sa != san) {
    spec["serviceAccount"] = std::string(san);
  }
}

void DefaultPodOnly(json::object& spec) {
  for (std::string_view key : {"containers", "initContainers"}) {
    json::array* cs = MutArr(spec, key);
    if (!cs)
      continue;
    for (auto& c : *cs) {
      if (!c.is_object())
        continue;
      json::object* res = MutObj(c.get_object(), "resources");
      if (!res)
        continue;
      const json::object* limits = Obj(*res, "limits");
      if (!limits || limits->empty())
        continue;
      json::object lim_copy = *limits;
      json::object& req = Ensure(*res, "requests");
      for (const auto& kv : lim_copy) {
        if (!req.contains(kv.key()))
          req[kv.key()] = kv.value();
      }
    }
    if (Bool(spec, "hostNetwork")) {
      for (auto& c : *cs) {
        if (!c.is_object())
          continue;
        if (json::array* ports = MutArr(c.get_object(), "ports")) {
          for (auto& p : *ports) {
            if (!p.is_object())
              continue;
            json::object& po = p.get_object();
            if (!Int(po, "hostPort").value_or(0)) {
              if (auto cp = Int(po, "containerPort"))
                po["hostPort"] = *cp;
            }
          }
        }
      }
    }
  }
  SetIfMissing(spec, "enableServiceLinks", true);
}

// ---------------------------------------------------------------------------------------------
// QoS (pkg/apis/core/helper/qos.GetPodQOS)

std::string PodQosClass(const json::object& spec) {
  std::map<std::string, long double> requests, limits;
  bool guaranteed = true;
  auto visit = [&](const json::array* cs) {
    if (!cs)
      return;
    for (const auto& c : *cs) {
      const json::object* co = c.if_object();
      if (!co)
        continue;
      const json::object* res = Obj(*co, "resources");
      const json::object* req = res ? Obj(*res, "requests") : nullptr;
      const json::object* lim = res ? Obj(*res, "limits") : nullptr;
      if (req) {
        for (const auto& kv : *req) {
          if (kv.key() != "cpu" && kv.key() != "memory")
            continue;
          auto q = QuantityValue(kv.value());
          if (q && *q > 0)
            requests[std::string(kv.key())] += *q;
        }
      }
      std::set<std::string> found;
      if (lim) {
        for (const auto& kv : *lim) {
          if (kv.key() != "cpu" && kv.key() != "memory")
            continue;
          auto q = QuantityValue(kv.value());
          if (q && *q > 0) {
            found.insert(std::string(kv.key()));
            limits[std::string(kv.key())] += *q;
          }
        }
      }
      if (found.size() != 2)
        guaranteed = false;
    }
  };
  visit(Arr(spec, "containers"));
  visit(Arr(spec, "initContainers"));
  if (requests.empty() && limits.empty())
    return "BestEffort";
  if (guaranteed) {
    for (const auto& [name, req] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || std::fabs(static_cast<double>(it->second - req)) >
                                    1e-9 * std::max(1.0, static_cast<double>(req))) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && requests.size() == limits.size())
    return "Guaranteed";
  return "Burstable";
}

// ---------------------------------------------------------------------------------------------
// Validation (the subset of ValidatePodSpec that clients commonly hit)

namespace {

void ValidateContainer(const json::object& c, const std::string& p, bool init,
                       const std::set<std::string>& volume_names,
                       std::set<std::string>& container_names, Errors& errs) {
  std::string_view name = Str(c, "name");
  if (name.empty()) {
    errs.Required(Child(p, "name"));
  } else {
    for (auto& e : IsDns1123Label(name))
      errs.InvalidStr(Child(p, "name"), name, e);
    if (!container_names.insert(std::string(name)).second) {
      errs.Duplicate(Child(p, "name"), Quote(name));
    }
  }
  std::string_view image = Str(c, "image");
  if (image.empty()) {
    errs.Required(Child(p, "image"));
  } else if (Trim(image) != image) {
    errs.InvalidStr(Child(p, "image"), image, "must not have leading or trailing whitespace");
  }
  if (const json::value* pol = Val(c, "imagePullPolicy")) {
    std::string_view s = pol->is_string() ? std::string_view(pol->get_string()) : "";
    if (s != "Always" && s != "IfNotPresent" && s != "Never") {
      errs.NotSupported(Child(p, "imagePullPolicy"), s, {"Always", "IfNotPresent", "Never"});
    }
  }
  if (const json::value* tmp = Val(c, "terminationMessagePolicy")) {
    std::string_view s = tmp->is_string() ? std::string_view(tmp->get_string()) : "";
    if (s != "File" && s != "FallbackToLogsOnError") {
      errs.NotSupported(Child(p, "terminationMessagePolicy"), s, {"File", "FallbackToLogsOnError"});
    }
  }
  if (const json::array* ports = Arr(c, "ports")) {
    std::set<std::string> port_names;
    for (size_t i = 0; i < ports->size(); ++i) {
      std::string pp = Index(Child(p, "ports"), i);
      const json::object* po = (*ports)[i].if_object();
      if (!po)
        continue;
      std::string_view pn = Str(*po, "name");
      if (!pn.empty()) {
        for (auto& e : IsValidPortName(pn))
          errs.InvalidStr(Child(pp, "name"), pn, e);
        if (!port_names.insert(std::string(pn)).second) {
          errs.Duplicate(Child(pp, "name"), Quote(pn));
        }
      }
      auto cp = Int(*po, "containerPort");
      if (!cp) {
        errs.Required(Child(pp, "containerPort"));
      } else if (*cp < 1 || *cp > 65535) {
        errs.InvalidInt(Child(pp, "containerPort"), *cp, "must be between 1 and 65535, inclusive");
      }
      if (auto hp = Int(*po, "hostPort"); hp && *hp != 0 && (*hp < 1 || *hp > 65535)) {
        errs.InvalidInt(Child(pp, "hostPort"), *hp, "must be between 1 and 65535, inclusive");
      }
      std::string_view proto = Str(*po, "protocol");
      if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
        if (proto.empty()) {
          errs.Required(Child(pp, "protocol"));
        } else {
          errs.NotSupported(Child(pp, "protocol"), proto, {"SCTP", "TCP", "UDP"});
        }
      }
    }
  }
  if (const json::array* env = Arr(c, "env")) {
    for (size_t i = 0; i < env->size(); ++i) {
      std::string ep = Index(Child(p, "env"), i);
      const json::object* eo = (*env)[i].if_object();
      if (!eo)
        continue;
      if (Str(*eo, "name").empty())
        errs.Required(Child(ep, "name"));
      if (IsSet(*eo, "value") && IsSet(*eo, "valueFrom") && !Str(*eo, "value").empty()) {
        errs.Invalid(Child(ep, "valueFrom"), "\"\"",
                     "may not be specified when `value` is not empty");
      }
    }
  }
  if (const json::array* vms = Arr(c, "volumeMounts")) {
    std::set<std::string> paths;
    for (size_t i = 0; i < vms->size(); ++i) {
      std::string vp = Index(Child(p, "volumeMounts"), i);
      const json::object* vo = (*vms)[i].if_object();
      if (!vo)
        continue;
      std::string_view vn = Str(*vo, "name");
      if (vn.empty()) {
        errs.Required(Child(vp, "name"));
      } else if (!volume_names.count(std::string(vn))) {
        errs.NotFound(Child(vp, "name"), Quote(vn));
      }
      std::string_view mp = Str(*vo, "mountPath");
      if (mp.empty()) {
        errs.Required(Child(vp, "mountPath"));
      } else if (!paths.insert(std::string(mp)).second) {
        errs.Invalid(Child(vp, "mountPath"), Quote(mp), "must be unique");
      }
    }
  }
  // Requests may not exceed limits.
  if (const json::object* res = Obj(c, "resources")) {
    const json::object* req = Obj(*res, "requests");
    const json::object* lim = Obj(*res, "limits");
    for (const json::object* list : {lim, req}) {
      if (!list)
        continue;
      std::string lp = Child(Child(p, "resources"), list == lim ? "limits" : "requests");
      for (const auto& kv : *list) {
        auto q = QuantityValue(kv.value());
        if (!q) {
          errs.Invalid(Key(lp, kv.key()), Repr(kv.value()),
                       "quantities must match the regular expression "
                       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
        } else if (*q < 0) {
          errs.Invalid(Key(lp, kv.key()), Repr(kv.value()), "must be greater than or equal to 0");
        }
      }
    }
    if (req && lim) {
      for (const auto& kv : *req) {
        auto it = lim->find(kv.key());
        if (it == lim->end())
          continue;
        auto rq = QuantityValue(kv.value());
        auto lq = QuantityValue(it->value());
        if (rq && lq && *rq > *lq) {
          errs.Invalid(Key(Child(Child(p, "resources"), "requests"), kv.key()),
                       Quote(IntOrStringText(kv.value())),
                       "must be less than or equal to " + std::string(kv.key()) + " limit of " +
                           IntOrStringText(it->value()));
        }
      }
    }
  }
  (void)init;
}

}  // namespace

void ValidatePodSpec(const json::object& spec, const std::string& path, Errors& errs) {
  std::set<std::string> volume_names;
  if (const json::array* vols = Arr(spec, "volumes")) {
    for (size_t i = 0; i < vols->size(); ++i) {
      std::string vp = Index(Child(path, "volumes"), i);
      const json::object* vo = (*vols)[i].if_object();
      if (!vo)
        continue;
      std::string_view vn = Str(*vo, "name");
      if (vn.empty()) {
        errs.Required(Child(vp, "name"));
        continue;
      }
      for (auto& e : IsDns1123Label(vn))
        errs.InvalidStr(Child(vp, "name"), vn, e);
      if (!volume_names.insert(std::string(vn)).second) {
        errs.Duplicate(Child(vp, "name"), Quote(vn));
      }
      int sources = 0;
      for (const auto& kv : *vo) {
        if (kv.key() != "name" && !kv.value().is_null())
          ++sources;
      }
      if (sources > 1) {
        errs.Forbidden(vp, "may not specify more than 1 volume type");
      }
    }
  }
  std::set<std::string> container_names;
  const json::array* cs = Arr(spec, "containers");
  if (!cs || cs->empty()) {
    errs.Required(Child(path, "containers"));
  }
  if (const json::array* ics = Arr(spec, "initContainers")) {
    for (size_t i = 0; i < ics->size(); ++i) {
      if (const json::object* co = (*ics)[i].if_object()) {
        ValidateContainer(*co, Index(Child(path, "initContainers"), i), true, volume_names,
                          container_names, errs);
      }
    }
  }
  if (cs) {
    for (size_t i = 0; i < cs->size(); ++i) {
      if (const json::object* co = (*cs)[i].if_object()) {
        ValidateContainer(*co, Index(Child(path, "containers"), i), false, volume_names,
                          container_names, errs);
      }
    }
  }
  if (const json::value* rp = Val(spec, "restartPolicy")) {
    std::string_view s = rp->is_string() ? std::string_view(rp->get_string()) : "";
    if (s != "Always" && s != "OnFailure" && s != "Never") {
      errs.NotSupported(Child(path, "restartPolicy"), s, {"Always", "OnFailure", "Never"});
    }
  }
  if (const json::value* dp = Val(spec, "dnsPolicy")) {
    std::string_view s = dp->is_string() ? std::string_view(dp->get_string()) : "";
    if (s != "ClusterFirstWithHostNet" && s != "ClusterFirst" && s != "Default" && s != "None") {
      errs.NotSupported(Child(path, "dnsPolicy"), s,
                        {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
    }
  }
  if (auto ads = Int(spec, "activeDeadlineSeconds"); ads && *ads <= 0) {
    errs.InvalidInt(Child(path, "activeDeadlineSeconds"), *ads,
                    "must be between 1 and 2147483647, inclusive");
  }
  if (const json::object* ns = Obj(spec, "nodeSelector")) {
    ValidateLabels(*ns, Child(path, "nodeSelector"), errs);
  }
  std::string_view sa = Str(spec, "serviceAccountName");
  if (!sa.empty()) {
    for (auto& e : IsDns1123Subdomain(sa)) {
      errs.InvalidStr(Child(path, "serviceAccountName"), sa, e);
    }
  }
  std::string_view node = Str(spec, "nodeName");
  if (!node.empty()) {
    for (auto& e : IsDns1123Subdomain(node))
      errs.InvalidStr(Child(path, "nodeName"), node, e);
  }
  std::string_view hostname = Str(spec, "hostname");
  if (!hostname.empty()) {
    for (auto& e : IsDns1123Label(hostname))
      errs.InvalidStr(Child(path, "hostname"), hostname, e);
  }
  std::string_view subdomain = Str(spec, "subdomain");
  if (!subdomain.empty()) {
    for (auto& e : IsDns1123Label(subdomain)) {
      errs.InvalidStr(Child(path, "subdomain"), subdomain, e);
    }
  }
  if (const json::array* tols = Arr(spec, "tolerations")) {
    for (size_t i = 0; i < tols->size(); ++i) {
      const json::object* t = (*tols)[i].if_object();
      if (!t)
        continue;
      std::string tp = Index(Child(path, "tolerations"), i);
      std::string_view op = Str(*t, "operator");
      if (!op.empty() && op != "Exists" && op != "Equal") {
        errs.NotSupported(Child(tp, "operator"), op, {"Equal", "Exists"});
      }
      std::string_view eff = Str(*t, "effect");
      if (!eff.empty() && eff != "NoSchedule" && eff != "PreferNoSchedule" && eff != "NoExecute") {
        errs.NotSupported(Child(tp, "effect"), eff,
                          {"NoExecute", "NoSchedule", "PreferNoSchedule"});
      }
      if (op == "Exists" && !Str(*t, "value").empty()) {
        errs.InvalidStr(Child(tp, "operator"), Str(*t, "value"),
                        "value must be empty when `operator` is 'Exists'");
      }
      if (Str(*t, "key").empty() && op != "Exists") {
        errs.InvalidStr(Child(tp, "operator"), op,
                        "operator must be Exists when `key` is empty, which means \"match all "
                        "values and all keys\"");
      }
    }
  }
}

void ValidatePodTemplate(const json::object* tmpl, const std::string& path, Errors& errs) {
  if (!tmpl) {
    errs.Required(path);
    return;
  }
  if (const json::object* md = Obj(*tmpl, "metadata")) {
    if (const json::object* labels = Obj(*md, "labels")) {
      ValidateLabels(*labels, Child(Child(path, "metadata"), "labels"), errs);
    }
  }
  const json::object* spec = Obj(*tmpl, "spec");
  static const json::object kEmpty;
  ValidatePodSpec(spec ? *spec : kEmpty, Child(path, "spec"), errs);
}

// ---------------------------------------------------------------------------------------------
// Pod strategy, fields and printer

namespace {

constexpr std::string_view kPodUpdateForbidden =
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)";

// The pod spec with the fields an update may change replaced by the new object's values.
json::object MutableView(const json::object& old_spec, const json::object& new_spec) {
  json::object v = old_spec;
  for (std::string_view key : {"containers", "initContainers"}) {
    json::array* oc = MutArr(v, key);
    const json::array* nc = Arr(new_spec, key);
    if (!oc || !nc || oc->size() != nc->size())
      continue;
    for (size_t i = 0; i < oc->size(); ++i) {
      if (!(*oc)[i].is_object() || !(*nc)[i].is_object())
        continue;
      if (const json::value* img = Val((*nc)[i].get_object(), "image")) {
        (*oc)[i].get_object()["image"] = *img;
      }
    }
  }
  for (std::string_view key : {"activeDeadlineSeconds", "tolerations", "schedulingGates"}) {
    if (const json::value* nv = Val(new_spec, key)) {
      v[key] = *nv;
    } else {
      v.erase(key);
    }
  }
  // terminationGracePeriodSeconds may go from negative to 1.
  if (Int(old_spec, "terminationGracePeriodSeconds").value_or(0) < 0 &&
      Int(new_spec, "terminationGracePeriodSeconds") == 1) {
    v["terminationGracePeriodSeconds"] = 1;
  }
  // Node binding happens through the binding subresource, but an unset nodeName in the new
  // object is the same as the old one only if both agree; keep strict equality.
  return v;
}

void ValidatePod(const json::object& obj, const json::object* old, Errors& errs) {
  static const json::object kEmpty;
  const json::object* spec = Obj(obj, "spec");
  if (!old) {
    ValidatePodSpec(spec ? *spec : kEmpty, "spec", errs);
    return;
  }
  ValidatePodSpec(spec ? *spec : kEmpty, "spec", errs);
  const json::object* old_spec = Obj(*old, "spec");
  json::object view = MutableView(old_spec ? *old_spec : kEmpty, spec ? *spec : kEmpty);
  if (json::value(view) != json::value(spec ? *spec : kEmpty)) {
    errs.Forbidden("spec", kPodUpdateForbidden);
  }
  // Tolerations may only be added.
  const json::array* ot = old_spec ? Arr(*old_spec, "tolerations") : nullptr;
  const json::array* nt = spec ? Arr(*spec, "tolerations") : nullptr;
  if (ot) {
    for (const auto& t : *ot) {
      bool kept = nt && std::find(nt->begin(), nt->end(), t) != nt->end();
      if (!kept) {
        errs.Forbidden("spec.tolerations",
                       "existing toleration can not be modified except its tolerationSeconds");
        break;
      }
    }
  }
}

bool ConditionTrue(const json::object& status, std::string_view type) {
  if (const json::array* conds = Arr(status, "conditions")) {
    for (const auto& c : *conds) {
      const json::object* co = c.if_object();
      if (co && Str(*co, "type") == type)
        return Str(*co, "status") == "True";
    }
  }
  return false;
}

bool IsRestartableInit(const json::object* c) { return c && Str(*c, "restartPolicy") == "Always"; }

// Finishes the later of the two timestamps in `latest`.
void TrackLatest(const json::object& cs, std::optional<TimePoint>& latest) {
  const json::object* lts = Obj(cs, "lastState");
  const json::object* term = lts ? Obj(*lts, "terminated") : nullptr;
  if (!term)
    return;
  auto t = ParseRfc3339(Str(*term, "finishedAt"));
  if (t && (!latest || *t > *latest))
    latest = t;
}

std::string TerminatedReason(const json::object& term, std::string_view prefix) {
  std::string_view r = Str(term, "reason");
  if (!r.empty())
    return std::string(prefix) + std::string(r);
  int64_t sig = Int(term, "signal").value_or(0);
  if (sig != 0)
    return std::string(prefix) + "Signal:" + std::to_string(sig);
  return std::string(prefix) + "ExitCode:" + std::to_string(Int(term, "exitCode").value_or(0));
}

json::array PodRow(const json::object& obj, TimePoint now) {
  static const json::object kEmpty;
  const json::object* sp = Obj(obj, "spec");
  const json::object* st = Obj(obj, "status");
  const json::object& spec = sp ? *sp : kEmpty;
  const json::object& status = st ? *st : kEmpty;
  const json::object* meta = Obj(obj, "metadata");

  const json::array* containers = Arr(spec, "containers");
  const json::array* init_containers = Arr(spec, "initContainers");
  int64_t total = containers ? static_cast<int64_t>(containers->size()) : 0;
  int64_t ready = 0;
  int64_t restarts = 0, restartable_init_restarts = 0;
  std::optional<TimePoint> last_restart, last_restartable_init_restart;

  std::string reason(Str(status, "phase"));
  if (!Str(status, "reason").empty())
    reason = std::string(Str(status, "reason"));
  if (const json::array* conds = Arr(status, "conditions")) {
    for (const auto& c : *conds) {
      const json::object* co = c.if_object();
      if (co && Str(*co, "type") == "PodScheduled" && Str(*co, "reason") == "SchedulingGated") {
        reason = "SchedulingGated";
      }
    }
  }

  std::map<std::string_view, const json::object*> init_by_name;
  size_t n_init = 0;
  if (init_containers) {
    n_init = init_containers->size();
    for (const auto& c : *init_containers) {
      const json::object* co = c.if_object();
      if (!co)
        continue;
      init_by_name[Str(*co, "name")] = co;
      if (IsRestartableInit(co))
        ++total;
    }
  }

  bool initializing = false;
  if (const json::array* ics = Arr(status, "initContainerStatuses")) {
    for (size_t i = 0; i < ics->size(); ++i) {
      const json::object* cs = (*ics)[i].if_object();
      if (!cs)
        continue;
      int64_t rc = Int(*cs, "restartCount").value_or(0);
      restarts += rc;
      TrackLatest(*cs, last_restart);
      auto it = init_by_name.find(Str(*cs, "name"));
      bool restartable = it != init_by_name.end() && IsRestartableInit(it->second);
      if (restartable) {
        restartable_init_restarts += rc;
        TrackLatest(*cs, last_restartable_init_restart);
      }
      const json::object* state = Obj(*cs, "state");
      const json::object* term = state ? Obj(*state, "terminated") : nullptr;
      const json::object* waiting = state ? Obj(*state, "waiting") : nullptr;
      if (term && Int(*term, "exitCode").value_or(0) == 0)
        continue;
      if (restartable && Bool(*cs, "started")) {
        if (Bool(*cs, "ready"))
          ++ready;
        continue;
      }
      if (term) {
        reason = TerminatedReason(*term, "Init:");
      } else if (waiting && !Str(*waiting, "reason").empty() &&
                 Str(*waiting, "reason") != "PodInitializing") {
        reason = "Init:" + std::string(Str(*waiting, "reason"));
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(n_init);
      }
      initializing = true;
      break;
    }
  }

  if (!initializing || ConditionTrue(status, "Initialized")) {
    restarts = restartable_init_restarts;
    last_restart = last_restartable_init_restart;
    bool has_running = false;
    if (const json::array* css = Arr(status, "containerStatuses")) {
      for (size_t k = css->size(); k-- > 0;) {
        const json::object* cs = (*css)[k].if_object();
        if (!cs)
          continue;
        restarts += Int(*cs, "restartCount").value_or(0);
        TrackLatest(*cs, last_restart);
        const json::object* state = Obj(*cs, "state");
        const json::object* term = state ? Obj(*state, "terminated") : nullptr;
        const json::object* waiting = state ? Obj(*state, "waiting") : nullptr;
        const json::object* running = state ? Obj(*state, "running") : nullptr;
        if (waiting && !Str(*waiting, "reason").empty()) {
          reason = std::string(Str(*waiting, "reason"));
        } else if (term) {
          reason = TerminatedReason(*term, "");
        } else if (Bool(*cs, "ready") && running) {
          has_running = true;
          ++ready;
        }
      }
    }
    if (reason == "Completed" && has_running) {
      reason = ConditionTrue(status, "Ready") ? "Running" : "NotReady";
    }
  }

  bool deleting = meta && IsSet(*meta, "deletionTimestamp");
  std::string_view phase = Str(status, "phase");
  if (deleting && Str(status, "reason") == "NodeLost") {
    reason = "Unknown";
  } else if (deleting && phase != "Succeeded" && phase != "Failed") {
    reason = "Terminating";
  }

  std::string restarts_str = std::to_string(restarts);
  if (restarts != 0 && last_restart) {
    restarts_str += " (" + HumanDuration(now - *last_restart) + " ago)";
  }

  std::string pod_ip;
  if (const json::array* ips = Arr(status, "podIPs");
      ips && !ips->empty() && (*ips)[0].is_object()) {
    pod_ip = std::string(Str((*ips)[0].get_object(), "ip"));
  }
  std::string readiness_gates = "<none>";
  if (const json::array* gates = Arr(spec, "readinessGates"); gates && !gates->empty()) {
    int true_conditions = 0;
    for (const auto& g : *gates) {
      const json::object* go = g.if_object();
      if (!go)
        continue;
      std::string_view ct = Str(*go, "conditionType");
      if (const json::array* conds = Arr(status, "conditions")) {
        for (const auto& c : *conds) {
          const json::object* co = c.if_object();
          if (co && Str(*co, "type") == ct) {
            if (Str(*co, "status") == "True")
              ++true_conditions;
            break;
          }
        }
      }
    }
    readiness_gates = std::to_string(true_conditions) + "/" + std::to_string(gates->size());
  }

  json::array row;
  row.reserve(9);
  row.emplace_back(MetaName(obj));
  row.emplace_back(std::to_string(ready) + "/" + std::to_string(total));
  row.emplace_back(reason);
  row.emplace_back(restarts_str);
  row.emplace_back(Since(meta ? Str(*meta, "creationTimestamp") : "", now));
  row.emplace_back(OrNone(pod_ip));
  row.emplace_back(OrNone(Str(spec, "nodeName")));
  row.emplace_back(OrNone(Str(status, "nominatedNodeName")));
  row.emplace_back(readiness_gates);
  return row;
}

std::optional<std::string> PodField(const json::object& obj, std::string_view field) {
  if (auto m = MetaField(obj, field))
    return m;
  static const json::object kEmpty;
  const json::object* sp = Obj(obj, "spec");
  const json::object* st = Obj(obj, "status");
  const json::object& spec = sp ? *sp : kEmpty;
  const json::object& status = st ? *st : kEmpty;
  if (field == "spec.nodeName" || field == "spec.host")
    return std::string(Str(spec, "nodeName"));
  if (field == "spec.restartPolicy")
    return std::string(Str(spec, "restartPolicy"));
  if (field == "spec.schedulerName")
    return std::string(Str(spec, "schedulerName"));
  if (field == "spec.serviceAccountName")
    return std::string(Str(spec, "serviceAccountName"));
  if (field == "spec.hostNetwork")
    return Bool(spec, "hostNetwork") ? "true" : "false";
  if (field == "status.phase")
    return std::string(Str(status, "phase"));
  if (field == "status.nominatedNodeName")
    return std::string(Str(status, "nominatedNodeName"));
  if (field == "status.podIP" || field == "status.podIPs") {
    // kube's GetAttrs derives status.podIP from podIPs[0]; "status.podIPs" passes the label
    // conversion but is absent from the field set, so it compares as "" there. Serving podIPs[0]
    // for it is the useful reading of the same data; documented as a deliberate difference.
    const json::array* ips = Arr(status, "podIPs");
    if (ips && !ips->empty() && (*ips)[0].is_object()) {
      return std::string(Str((*ips)[0].get_object(), "ip"));
    }
    return std::string(Str(status, "podIP"));
  }
  return std::nullopt;
}

}  // namespace

ResourceInfo MakePod() {
  ResourceInfo r;
  r.group = "";
  r.version = "v1";
  r.kind = "Pod";
  r.resource = "pods";
  r.singular = "pod";
  r.list_kind = "PodList";
  r.namespaced = true;
  r.short_names = {"po"};
  r.categories = {"all"};
  r.verbs = AllVerbs();
  r.has_status = true;
  r.tracks_generation = false;  // Pod generation tracking arrives in 1.33; 1.32 leaves it unset.
  r.reset_status_on_create = true;
  r.default_fn = [](json::object& obj) {
    json::object& spec = Ensure(obj, "spec");
    DefaultPodSpec(spec);
    DefaultPodOnly(spec);
    // v1 conversion keeps podIP/podIPs and hostIP/hostIPs in step (the singular field is
    // authoritative when both are set and differ).
    if (json::object* status = MutObj(obj, "status")) {
      for (auto [single, plural] :
           {std::pair<std::string_view, std::string_view>{"podIP", "podIPs"},
            {"hostIP", "hostIPs"}}) {
        std::string ip(Str(*status, single));
        json::array* ips = MutArr(*status, plural);
        bool has_list = ips && !ips->empty() && (*ips)[0].is_object();
        if (!ip.empty() && (!has_list || Str((*ips)[0].get_object(), "ip") != ip)) {
          if (has_list) {
            (*ips)[0].get_object()["ip"] = ip;
          } else {
            (*status)[plural] = json::array{json::object{{"ip", ip}}};
          }
        } else if (ip.empty() && has_list) {
          (*status)[single] = Str((*ips)[0].get_object(), "ip");
        }
      }
    }
  };
  r.prepare_create_fn = [](json::object& obj, TimePoint) {
    json::object& spec = Ensure(obj, "spec");
    // ServiceAccount admission plugin: the default service account (no token volume here).
    if (Str(spec, "serviceAccountName").empty()) {
      spec["serviceAccountName"] = "default";
      spec["serviceAccount"] = "default";
    }
    // Priority admission plugin, with no PriorityClass objects served.
    if (Str(spec, "priorityClassName").empty())
      SetIfMissing(spec, "priority", 0);
    SetIfEmptyString(spec, "preemptionPolicy", "PreemptLowerPriority");
    // DefaultTolerationSeconds admission plugin.
    json::value& tv = spec["tolerations"];
    if (!tv.is_array())
      tv = json::array();
    json::array& tols = tv.get_array();
    for (std::string_view key :
         {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
      bool tolerated = false;
      for (const auto& t : tols) {
        const json::object* to = t.if_object();
        if (!to)
          continue;
        std::string_view eff = Str(*to, "effect");
        std::string_view k = Str(*to, "key");
        if ((eff.empty() || eff == "NoExecute") && (k.empty() || k == key))
          tolerated = true;
      }
      if (!tolerated) {
        tols.push_back(json::object{{"key", key},
                                    {"operator", "Exists"},
                                    {"effect", "NoExecute"},
                                    {"tolerationSeconds", 300}});
      }
    }
    // PrepareForCreate: status is reset to Pending with the computed QoS class.
    obj["status"] = json::object{{"phase", "Pending"}, {"qosClass", PodQosClass(spec)}};
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidatePod(obj, old, errs);
    return errs.Take();
  };
  r.field_labels = {"spec.nodeName",
                    "spec.restartPolicy",
                    "spec.schedulerName",
                    "spec.serviceAccountName",
                    "spec.hostNetwork",
                    "status.phase",
                    "status.podIP",
                    "status.podIPs",
                    "status.nominatedNodeName"};
  r.field_fn = PodField;
  r.columns = {
      NameColumn(),
      Column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      Column("Status", "string", "The aggregate status of the containers in this pod."),
      Column("Restarts", "string",
             "The number of times the containers in this pod have been restarted and when the "
             "last container in this pod has restarted."),
      AgeColumn(),
      Column("IP", "string",
             "podIP address allocated to the pod. Routable at least within the cluster. Empty "
             "if not yet allocated.",
             1),
      Column("Node", "string",
             "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
             "candidate for preemption on the node.",
             1),
      Column("Nominated Node", "string",
             "nominatedNodeName is set only when this pod preempts other pods on the node, but "
             "it cannot be scheduled right away as preemption victims receive their graceful "
             "termination periods.",
             1),
      Column("Readiness Gates", "string",
             "If specified, all readiness gates will be evaluated for pod readiness. A pod is "
             "ready when all its containers are ready AND all conditions specified in the "
             "readiness gates have status equal to \"True\"",
             1),
  };
  r.row_fn = PodRow;
  return r;
}

}  // namespace kcx::apiserver::reg
