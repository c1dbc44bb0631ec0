// core/v1 types other than Pod: defaults (pkg/apis/core/v1/defaults.go), strategies
// (pkg/registry/core/*/strategy.go), validation (the commonly hit subset of
// pkg/apis/core/validation), field selectors (GetAttrs) and printers.

#include <algorithm>
#include <set>

#include "apiserver/registry/util.h"
#include "common/strings.h"

namespace kcx::apiserver::reg {

namespace {

bool Deleting(const json::object& obj) {
  const json::object* m = Obj(obj, "metadata");
  return m && IsSet(*m, "deletionTimestamp");
}

ResourceInfo Base(std::string kind, std::string resource, bool namespaced,
                  std::vector<std::string> short_names) {
  ResourceInfo r;
  r.group = "";
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
  return r;
}

// "RWO,ROX,RWX,RWOP" in helper.GetAccessModesAsString's fixed order.
std::string AccessModesString(const json::array* modes) {
  std::string out;
  if (!modes)
    return out;
  auto has = [&](std::string_view m) {
    return std::any_of(modes->begin(), modes->end(),
                       [&](const json::value& v) { return v.is_string() && v.get_string() == m; });
  };
  const std::pair<std::string_view, std::string_view> kOrder[] = {{"ReadWriteOnce", "RWO"},
                                                                  {"ReadOnlyMany", "ROX"},
                                                                  {"ReadWriteMany", "RWX"},
                                                                  {"ReadWriteOncePod", "RWOP"}};
  for (const auto& [mode, abbrev] : kOrder) {
    if (!has(mode))
      continue;
    if (!out.empty())
      out += ',';
    out += abbrev;
  }
  return out;
}

std::string QuantityText(const json::object* list, std::string_view key) {
  if (!list)
    return "0";
  const json::value* v = Val(*list, key);
  if (!v)
    return "0";
  return IntOrStringText(*v);
}

void ValidateAccessModes(const json::array* modes, const std::string& path, Errors& errs) {
  if (!modes || modes->empty()) {
    errs.Required(path, "at least 1 access mode is required");
    return;
  }
  for (const auto& m : *modes) {
    std::string_view s = m.is_string() ? std::string_view(m.get_string()) : "";
    if (s != "ReadWriteOnce" && s != "ReadOnlyMany" && s != "ReadWriteMany" &&
        s != "ReadWriteOncePod") {
      errs.NotSupported(path, s,
                        {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"});
    }
  }
  if (modes->size() > 1) {
    for (const auto& m : *modes) {
      if (m.is_string() && m.get_string() == "ReadWriteOncePod") {
        errs.Forbidden(path, "may not use ReadWriteOncePod with other access modes");
        break;
      }
    }
  }
}

// Data keys and the 1 MiB total of ConfigMaps and Secrets.
void ValidateDataKeys(const json::object* data, const std::string& path, size_t& total,
                      Errors& errs) {
  if (!data)
    return;
  for (const auto& kv : *data) {
    for (auto& e : IsConfigMapKey(kv.key()))
      errs.InvalidStr(Key(path, kv.key()), kv.key(), e);
    if (kv.value().is_string())
      total += kv.value().get_string().size();
  }
}

// The `immutable` rules shared by ConfigMaps and Secrets.
void ValidateImmutable(const json::object& obj, const json::object& old,
                       std::initializer_list<std::string_view> data_keys, Errors& errs) {
  if (!Bool(old, "immutable"))
    return;
  if (!Bool(obj, "immutable")) {
    errs.Forbidden("immutable", "field is immutable when `immutable` is set");
  }
  for (std::string_view k : data_keys) {
    if (!SameMember(obj, old, k)) {
      errs.Forbidden(std::string(k), "field is immutable when `immutable` is set");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Namespace

json::array NamespaceRow(const json::object& obj, TimePoint now) {
  const json::object& st = ObjOrEmpty(obj, "status");
  return json::array{json::value(MetaName(obj)), json::value(Str(st, "phase")),
                     json::value(CreatedSince(obj, now))};
}

// ---------------------------------------------------------------------------------------------
// Service

bool NeedsClusterIp(std::string_view type) { return type != "ExternalName"; }
bool NeedsNodePort(std::string_view type) { return type == "NodePort" || type == "LoadBalancer"; }

void DefaultService(json::object& obj) {
  json::object& spec = Ensure(obj, "spec");
  SetIfEmptyString(spec, "sessionAffinity", "None");
  SetIfEmptyString(spec, "type", "ClusterIP");
  std::string type(Str(spec, "type"));
  if (json::array* ports = MutArr(spec, "ports")) {
    for (auto& p : *ports) {
      if (!p.is_object())
        continue;
      json::object& po = p.get_object();
      SetIfEmptyString(po, "protocol", "TCP");
      const json::value* tp = Val(po, "targetPort");
      bool unset = !tp || (tp->is_string() && tp->get_string().empty()) ||
                   (tp->is_number() && Int(po, "targetPort").value_or(0) == 0);
      if (unset) {
        if (const json::value* port = Val(po, "port"))
          po["targetPort"] = *port;
      }
    }
  }
  if (NeedsNodePort(type))
    SetIfEmptyString(spec, "externalTrafficPolicy", "Cluster");
  if (NeedsClusterIp(type))
    SetIfEmptyString(spec, "internalTrafficPolicy", "Cluster");
  if (type == "LoadBalancer")
    SetIfMissing(spec, "allocateLoadBalancerNodePorts", true);
  if (Str(spec, "sessionAffinity") == "ClientIP") {
    json::object& sac = Ensure(spec, "sessionAffinityConfig");
    json::object& cip = Ensure(sac, "clientIP");
    SetIfMissing(cip, "timeoutSeconds", 10800);
  }
  // clusterIP and clusterIPs mirror each other (the service REST keeps them in step).
  std::string_view cip = Str(spec, "clusterIP");
  const json::array* cips = Arr(spec, "clusterIPs");
  if (!cip.empty() && (!cips || cips->empty())) {
    spec["clusterIPs"] = json::array{json::value(cip)};
  } else if (cip.empty() && cips && !cips->empty() && (*cips)[0].is_string()) {
    spec["clusterIP"] = (*cips)[0];
  }
  // IP family fields, as the service REST sets them for a single-stack IPv4 cluster.
  if (NeedsClusterIp(type)) {
    SetIfEmptyString(spec, "ipFamilyPolicy", "SingleStack");
    const json::array* fams = Arr(spec, "ipFamilies");
    if (!fams || fams->empty()) {
      std::string_view ip = Str(spec, "clusterIP");
      spec["ipFamilies"] = json::array{(ip != "None" && IsIpv6(ip)) ? "IPv6" : "IPv4"};
    }
  }
  json::object& status = Ensure(obj, "status");
  SetIfMissing(status, "loadBalancer", json::object());
}

void ValidateService(const json::object& obj, const json::object* old, Errors& errs) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  std::string_view type = Str(spec, "type");
  static const std::vector<std::string_view> kTypes = {"ClusterIP", "ExternalName", "LoadBalancer",
                                                       "NodePort"};
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
    errs.NotSupported("spec.type", type, kTypes);
  }
  std::string_view aff = Str(spec, "sessionAffinity");
  if (aff != "None" && aff != "ClientIP") {
    errs.NotSupported("spec.sessionAffinity", aff, {"ClientIP", "None"});
  }
  std::string_view cip = Str(spec, "clusterIP");
  bool headless = cip == "None";
  const json::array* ports = Arr(spec, "ports");
  if (type == "ExternalName") {
    std::string_view en = Str(spec, "externalName");
    if (en.empty()) {
      errs.Required("spec.externalName");
    } else {
      for (auto& e : IsDns1123Subdomain(en))
        errs.InvalidStr("spec.externalName", en, e);
    }
    if (!cip.empty()) {
      errs.Forbidden("spec.clusterIPs", "may not be set for ExternalName services");
    }
  } else if ((!ports || ports->empty()) && !headless) {
    errs.Required("spec.ports");
  }
  if (!cip.empty() && !headless && !IsValidIp(cip)) {
    errs.InvalidStr("spec.clusterIPs[0]", cip, "must be empty, 'None', or a valid IP address");
  }
  if (ports) {
    std::set<std::string> names;
    std::set<std::pair<int64_t, std::string>> port_protos;
    for (size_t i = 0; i < ports->size(); ++i) {
      std::string p = Index("spec.ports", i);
      const json::object* po = (*ports)[i].if_object();
      if (!po)
        continue;
      std::string_view name = Str(*po, "name");
      if (ports->size() > 1 && name.empty()) {
        errs.Required(Child(p, "name"));
      } else if (!name.empty()) {
        for (auto& e : IsDns1123Label(name))
          errs.InvalidStr(Child(p, "name"), name, e);
        if (!names.insert(std::string(name)).second)
          errs.Duplicate(Child(p, "name"), Quote(name));
      }
      auto port = Int(*po, "port");
      if (!port || *port < 1 || *port > 65535) {
        errs.InvalidInt(Child(p, "port"), port.value_or(0),
                        "must be between 1 and 65535, inclusive");
      }
      std::string_view proto = Str(*po, "protocol");
      if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
        errs.NotSupported(Child(p, "protocol"), proto, {"SCTP", "TCP", "UDP"});
      } else if (port && !port_protos.insert({*port, std::string(proto)}).second) {
        errs.Duplicate(p, "core.ServicePort{Port:" + std::to_string(*port) + ", Protocol:\"" +
                              std::string(proto) + "\"}");
      }
      if (const json::value* tp = Val(*po, "targetPort")) {
        if (tp->is_string()) {
          for (auto& e : IsValidPortName(tp->get_string())) {
            errs.InvalidStr(Child(p, "targetPort"), tp->get_string(), e);
          }
        } else if (auto n = Int(*po, "targetPort"); n && (*n < 1 || *n > 65535)) {
          errs.InvalidInt(Child(p, "targetPort"), *n, "must be between 1 and 65535, inclusive");
        }
      }
      if (auto np = Int(*po, "nodePort"); np && *np != 0) {
        if (!NeedsNodePort(type)) {
          errs.Forbidden(Child(p, "nodePort"),
                         "may not be used when `type` is '" + std::string(type) + "'");
        } else if (*np < 1 || *np > 65535) {
          errs.InvalidInt(Child(p, "nodePort"), *np, "must be between 1 and 65535, inclusive");
        }
      }
    }
  }
  if (const json::object* sel = Obj(spec, "selector"))
    ValidateLabels(*sel, "spec.selector", errs);
  if (old) {
    const json::object& ospec = ObjOrEmpty(*old, "spec");
    std::string_view otype = Str(ospec, "type");
    // The primary cluster IP may not change unless moving to or from ExternalName.
    std::string_view ocip = Str(ospec, "clusterIP");
    if (NeedsClusterIp(type) && NeedsClusterIp(otype) && !ocip.empty() && cip != ocip) {
      const json::array* cips = Arr(spec, "clusterIPs");
      errs.Invalid("spec.clusterIPs[0]", cips ? json::serialize(*cips) : std::string("[]"),
                   "may not change once set");
    }
  }
}

void PrepareServiceUpdate(json::object& obj, const json::object& old) {
  // patchAllocatedValues: a PUT that leaves allocated values empty keeps the old ones.
  const json::object* ospec = Obj(old, "spec");
  if (!ospec)
    return;
  json::object& spec = Ensure(obj, "spec");
  std::string_view otype = Str(*ospec, "type");
  std::string_view type = Str(spec, "type");
  if (type.empty())
    type = "ClusterIP";
  if (otype.empty())
    otype = "ClusterIP";
  if (NeedsClusterIp(otype) && NeedsClusterIp(type)) {
    if (Str(spec, "clusterIP").empty() && !Str(*ospec, "clusterIP").empty()) {
      spec["clusterIP"] = *Val(*ospec, "clusterIP");
      if (const json::value* v = Val(*ospec, "clusterIPs"))
        spec["clusterIPs"] = *v;
    }
    const json::array* fams = Arr(spec, "ipFamilies");
    if ((!fams || fams->empty()) && IsSet(*ospec, "ipFamilies")) {
      spec["ipFamilies"] = *Val(*ospec, "ipFamilies");
    }
    if (Str(spec, "ipFamilyPolicy").empty() && IsSet(*ospec, "ipFamilyPolicy")) {
      spec["ipFamilyPolicy"] = *Val(*ospec, "ipFamilyPolicy");
    }
  }
  if (NeedsNodePort(otype) && NeedsNodePort(type)) {
    json::array* ports = MutArr(spec, "ports");
    const json::array* oports = Arr(*ospec, "ports");
    if (ports && oports) {
      for (auto& p : *ports) {
        if (!p.is_object())
          continue;
        json::object& po = p.get_object();
        if (Int(po, "nodePort").value_or(0) != 0)
          continue;
        std::string_view proto = Str(po, "protocol");
        if (proto.empty())
          proto = "TCP";
        for (const auto& op : *oports) {
          const json::object* oo = op.if_object();
          if (!oo)
            continue;
          std::string_view oproto = Str(*oo, "protocol");
          if (oproto.empty())
            oproto = "TCP";
          if (Int(*oo, "port") == Int(po, "port") && oproto == proto &&
              Int(*oo, "nodePort").value_or(0) != 0) {
            po["nodePort"] = *Val(*oo, "nodePort");
            break;
          }
        }
      }
    }
    if (Int(spec, "healthCheckNodePort").value_or(0) == 0 &&
        Int(*ospec, "healthCheckNodePort").value_or(0) != 0 &&
        Str(spec, "externalTrafficPolicy") == "Local") {
      spec["healthCheckNodePort"] = *Val(*ospec, "healthCheckNodePort");
    }
  }
}

std::string LoadBalancerIps(const json::object& status) {
  // A sorted set, as loadBalancerStatusStringer builds it. The server renders with Wide on, so
  // the 16-character truncation never applies.
  std::set<std::string> ips;
  const json::object* lb = Obj(status, "loadBalancer");
  const json::array* ingress = lb ? Arr(*lb, "ingress") : nullptr;
  if (ingress) {
    for (const auto& i : *ingress) {
      const json::object* io = i.if_object();
      if (!io)
        continue;
      std::string_view v = Str(*io, "ip");
      if (v.empty())
        v = Str(*io, "hostname");
      if (!v.empty())
        ips.insert(std::string(v));
    }
  }
  std::string out;
  for (const auto& ip : ips)
    out += (out.empty() ? "" : ",") + ip;
  return out;
}

std::string JoinStrings(const json::array* a) {
  std::string out;
  if (!a)
    return out;
  for (const auto& v : *a) {
    if (!v.is_string())
      continue;
    if (!out.empty())
      out += ',';
    out += v.get_string();
  }
  return out;
}

std::string ServiceExternalIp(const json::object& obj) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  std::string_view type = Str(spec, "type");
  std::string ext = JoinStrings(Arr(spec, "externalIPs"));
  if (type == "ClusterIP" || type == "NodePort")
    return ext.empty() ? "<none>" : ext;
  if (type == "LoadBalancer") {
    std::string lb = LoadBalancerIps(ObjOrEmpty(obj, "status"));
    if (!ext.empty())
      return lb.empty() ? ext : lb + "," + ext;
    return lb.empty() ? "<pending>" : lb;
  }
  if (type == "ExternalName")
    return std::string(Str(spec, "externalName"));
  return "<unknown>";
}

std::string ServicePorts(const json::object& spec) {
  std::string out;
  const json::array* ports = Arr(spec, "ports");
  if (!ports)
    return out;
  for (const auto& p : *ports) {
    const json::object* po = p.if_object();
    if (!po)
      continue;
    if (!out.empty())
      out += ',';
    out += std::to_string(Int(*po, "port").value_or(0));
    if (int64_t np = Int(*po, "nodePort").value_or(0); np > 0)
      out += ":" + std::to_string(np);
    out += "/";
    out += Str(*po, "protocol");
  }
  return out;
}

json::array ServiceRow(const json::object& obj, TimePoint now) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  std::string internal_ip = "<none>";
  if (const json::array* cips = Arr(spec, "clusterIPs");
      cips && !cips->empty() && (*cips)[0].is_string()) {
    internal_ip = std::string((*cips)[0].get_string());
  }
  std::string ports = ServicePorts(spec);
  return json::array{json::value(MetaName(obj)),
                     json::value(Str(spec, "type")),
                     json::value(internal_ip),
                     json::value(ServiceExternalIp(obj)),
                     json::value(ports.empty() ? "<none>" : ports),
                     json::value(CreatedSince(obj, now)),
                     json::value(FormatLabels(Obj(spec, "selector")))};
}

// ---------------------------------------------------------------------------------------------
// Endpoints

void DefaultEndpoints(json::object& obj) {
  json::array* subsets = MutArr(obj, "subsets");
  if (!subsets)
    return;
  for (auto& s : *subsets) {
    if (!s.is_object())
      continue;
    if (json::array* ports = MutArr(s.get_object(), "ports")) {
      for (auto& p : *ports) {
        if (p.is_object())
          SetIfEmptyString(p.get_object(), "protocol", "TCP");
      }
    }
  }
}

void ValidateEndpoints(const json::object& obj, Errors& errs) {
  const json::array* subsets = Arr(obj, "subsets");
  if (!subsets)
    return;
  for (size_t i = 0; i < subsets->size(); ++i) {
    const json::object* s = (*subsets)[i].if_object();
    if (!s)
      continue;
    std::string sp = Index("subsets", i);
    for (std::string_view key : {"addresses", "notReadyAddresses"}) {
      const json::array* addrs = Arr(*s, key);
      if (!addrs)
        continue;
      for (size_t j = 0; j < addrs->size(); ++j) {
        const json::object* a = (*addrs)[j].if_object();
        if (!a)
          continue;
        std::string ap = Index(Child(sp, key), j);
        std::string_view ip = Str(*a, "ip");
        if (!IsValidIp(ip))
          errs.InvalidStr(Child(ap, "ip"), ip, "must be a valid IP address");
      }
    }
    const json::array* ports = Arr(*s, "ports");
    if (!ports)
      continue;
    for (size_t j = 0; j < ports->size(); ++j) {
      const json::object* p = (*ports)[j].if_object();
      if (!p)
        continue;
      std::string pp = Index(Child(sp, "ports"), j);
      if (ports->size() > 1 && Str(*p, "name").empty())
        errs.Required(Child(pp, "name"));
      auto port = Int(*p, "port");
      if (!port || *port < 1 || *port > 65535) {
        errs.InvalidInt(Child(pp, "port"), port.value_or(0),
                        "must be between 1 and 65535, inclusive");
      }
      std::string_view proto = Str(*p, "protocol");
      if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
        errs.NotSupported(Child(pp, "protocol"), proto, {"SCTP", "TCP", "UDP"});
      }
    }
  }
}

std::string FormatEndpoints(const json::object& obj) {
  const json::array* subsets = Arr(obj, "subsets");
  if (!subsets || subsets->empty())
    return "<none>";
  constexpr size_t kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  size_t count = 0;
  for (const auto& s : *subsets) {
    const json::object* so = s.if_object();
    if (!so)
      continue;
    const json::array* addrs = Arr(*so, "addresses");
    size_t n = addrs ? addrs->size() : 0;
    const json::array* ports = Arr(*so, "ports");
    if (!ports || ports->empty()) {
      count += n;
      for (size_t i = 0; i < n; ++i) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        const json::object* a = (*addrs)[i].if_object();
        list.emplace_back(a ? Str(*a, "ip") : "");
      }
      continue;
    }
    for (const auto& p : *ports) {
      const json::object* po = p.if_object();
      if (!po)
        continue;
      count += n;
      for (size_t i = 0; i < n; ++i) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        const json::object* a = (*addrs)[i].if_object();
        std::string ip(a ? Str(*a, "ip") : "");
        std::string port = std::to_string(Int(*po, "port").value_or(0));
        list.push_back(IsIpv6(ip) ? "[" + ip + "]:" + port : ip + ":" + port);
      }
    }
  }
  std::string out;
  for (size_t i = 0; i < list.size(); ++i)
    out += (i ? "," : "") + list[i];
  if (more)
    out += " + " + std::to_string(count - kMax) + " more...";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Secret

// Strict standard base64 as Go's encoding/json decodes []byte (base64.StdEncoding: padding
// required; CR and LF skipped). Returns the offset of the first illegal byte, or nullopt.
std::optional<size_t> Base64Error(std::string_view s) {
  auto is_b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  size_t quantum = 0;  // data characters in the current 4-character group
  size_t last = 0;     // offset of the last data character seen
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r' || c == '\n')
      continue;
    if (c == '=') {
      // Padding may only complete a group of 2 or 3 data characters, and nothing may follow.
      if (quantum < 2)
        return i;
      size_t need = 4 - quantum;
      size_t j = i;
      while (need > 0) {
        while (j < s.size() && (s[j] == '\r' || s[j] == '\n'))
          ++j;
        if (j >= s.size() || s[j] != '=')
          return j >= s.size() ? s.size() : j;
        ++j;
        --need;
      }
      for (; j < s.size(); ++j) {
        if (s[j] != '\r' && s[j] != '\n')
          return j;
      }
      return std::nullopt;
    }
    if (!is_b64(c))
      return i;
    last = i;
    quantum = (quantum + 1) % 4;
  }
  if (quantum != 0)
    return quantum == 1 ? last : s.size();
  return std::nullopt;
}

std::optional<std::string> DecodeSecret(const json::object& obj) {
  const json::object* data = Obj(obj, "data");
  if (!data)
    return std::nullopt;
  for (const auto& kv : *data) {
    if (kv.value().is_null())
      continue;
    if (!kv.value().is_string()) {
      return std::string(
          "Secret in version \"v1\" cannot be handled as a Secret: json: cannot unmarshal " +
          std::string(kv.value().is_number() ? "number" : "value") +
          " into Go struct field Secret.data of type []uint8");
    }
    if (auto at = Base64Error(kv.value().get_string())) {
      return "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at "
             "input byte " +
             std::to_string(*at);
    }
  }
  return std::nullopt;
}

void DefaultSecret(json::object& obj) {
  SetIfEmptyString(obj, "type", "Opaque");
  // v1 → internal conversion merges stringData into data (stringData wins) and drops it.
  if (const json::object* sd = Obj(obj, "stringData")) {
    json::object copy = *sd;
    json::object& data = Ensure(obj, "data");
    for (const auto& kv : copy) {
      if (kv.value().is_string())
        data[kv.key()] = Base64Encode(kv.value().get_string());
    }
  }
  obj.erase("stringData");
}

bool HasDataKey(const json::object* data, std::string_view k) { return data && data->contains(k); }

void ValidateSecret(const json::object& obj, const json::object* old, Errors& errs) {
  const json::object* data = Obj(obj, "data");
  size_t total = 0;
  if (data) {
    for (const auto& kv : *data) {
      for (auto& e : IsConfigMapKey(kv.key()))
        errs.InvalidStr(Key("data", kv.key()), kv.key(), e);
      if (kv.value().is_string())
        total += kv.value().get_string().size() * 3 / 4;
    }
  }
  if (total > 1024 * 1024)
    errs.TooLong("data", "may not be more than 1048576 bytes");
  std::string_view type = Str(obj, "type");
  if (type == "kubernetes.io/service-account-token") {
    const json::object* md = Obj(obj, "metadata");
    const json::object* ann = md ? Obj(*md, "annotations") : nullptr;
    if (!ann || Str(*ann, "kubernetes.io/service-account.name").empty()) {
      errs.Required("metadata.annotations[kubernetes.io/service-account.name]");
    }
  } else if (type == "kubernetes.io/dockercfg") {
    if (!HasDataKey(data, ".dockercfg"))
      errs.Required("data[.dockercfg]");
  } else if (type == "kubernetes.io/dockerconfigjson") {
    if (!HasDataKey(data, ".dockerconfigjson")) {
      errs.Required("data[.dockerconfigjson]");
    } else if (auto raw = Base64Decode(Str(*data, ".dockerconfigjson"))) {
      boost::system::error_code ec;
      auto parsed = json::parse(*raw, ec);
      (void)parsed;
      if (ec) {
        errs.Invalid("data[.dockerconfigjson]", "\"<secret contents redacted>\"",
                     "invalid character in JSON");
      }
    }
  } else if (type == "kubernetes.io/basic-auth") {
    if (!HasDataKey(data, "username") && !HasDataKey(data, "password")) {
      errs.Required("data[username]");
      errs.Required("data[password]");
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    if (!HasDataKey(data, "ssh-privatekey"))
      errs.Required("data[ssh-privatekey]");
  } else if (type == "kubernetes.io/tls") {
    if (!HasDataKey(data, "tls.key"))
      errs.Required("data[tls.key]");
    if (!HasDataKey(data, "tls.crt"))
      errs.Required("data[tls.crt]");
  }
  if (!type.empty()) {
    for (auto& e : IsQualifiedName(type))
      errs.InvalidStr("type", type, e);
  }
  if (old) {
    if (Str(*old, "type") != type)
      errs.InvalidStr("type", type, "field is immutable");
    ValidateImmutable(obj, *old, {"data"}, errs);
  }
}

// ---------------------------------------------------------------------------------------------
// ConfigMap

void ValidateConfigMap(const json::object& obj, const json::object* old, Errors& errs) {
  size_t total = 0;
  const json::object* data = Obj(obj, "data");
  const json::object* bin = Obj(obj, "binaryData");
  ValidateDataKeys(data, "data", total, errs);
  if (bin) {
    for (const auto& kv : *bin) {
      for (auto& e : IsConfigMapKey(kv.key())) {
        errs.InvalidStr(Key("binaryData", kv.key()), kv.key(), e);
      }
      if (data && data->contains(kv.key())) {
        errs.InvalidStr(Key("data", kv.key()), kv.key(), "duplicate of key present in binaryData");
      }
      if (kv.value().is_string())
        total += kv.value().get_string().size() * 3 / 4;
    }
  }
  if (total > 1024 * 1024)
    errs.TooLong("", "may not be more than 1048576 bytes");
  if (old)
    ValidateImmutable(obj, *old, {"data", "binaryData"}, errs);
}

std::optional<std::string> DecodeConfigMap(const json::object& obj) {
  if (const json::object* bin = Obj(obj, "binaryData")) {
    for (const auto& kv : *bin) {
      if (!kv.value().is_string())
        continue;
      if (auto at = Base64Error(kv.value().get_string())) {
        return "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: illegal base64 "
               "data at input byte " +
               std::to_string(*at);
      }
    }
  }
  if (const json::object* data = Obj(obj, "data")) {
    for (const auto& kv : *data) {
      if (!kv.value().is_string() && !kv.value().is_null()) {
        return std::string(
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot "
            "unmarshal " +
            std::string(kv.value().is_number() ? "number"
                        : kv.value().is_bool() ? "bool"
                                               : "object") +
            " into Go struct field ConfigMap.data of type string");
      }
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// PersistentVolumeClaim / PersistentVolume

json::array PvcRow(const json::object& obj, TimePoint now) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::object& status = ObjOrEmpty(obj, "status");
  std::string phase(Str(status, "phase"));
  if (Deleting(obj))
    phase = "Terminating";
  std::string capacity, modes;
  std::string_view volume = Str(spec, "volumeName");
  if (!volume.empty()) {
    modes = AccessModesString(Arr(status, "accessModes"));
    capacity = QuantityText(Obj(status, "capacity"), "storage");
  }
  std::string_view cls = Str(spec, "storageClassName");
  if (!IsSet(spec, "storageClassName")) {
    const json::object* md = Obj(obj, "metadata");
    const json::object* ann = md ? Obj(*md, "annotations") : nullptr;
    if (ann)
      cls = Str(*ann, "volume.beta.kubernetes.io/storage-class");
  }
  std::string_view vac = Str(spec, "volumeAttributesClassName");
  std::string_view vm = Str(spec, "volumeMode");
  return json::array{json::value(MetaName(obj)),
                     json::value(phase),
                     json::value(volume),
                     json::value(capacity),
                     json::value(modes),
                     json::value(cls),
                     json::value(vac.empty() ? "<unset>" : vac),
                     json::value(CreatedSince(obj, now)),
                     json::value(vm.empty() ? "<unset>" : vm)};
}

void ValidatePvcUpdate(const json::object& obj, const json::object& old, Errors& errs) {
  // Only resources.requests (expansion), volumeAttributesClassName and a first binding of
  // volumeName may change.
  json::object a = ObjOrEmpty(obj, "spec");
  json::object b = ObjOrEmpty(old, "spec");
  for (json::object* s : {&a, &b}) {
    if (json::object* res = MutObj(*s, "resources"))
      res->erase("requests");
    s->erase("volumeAttributesClassName");
  }
  if (Str(b, "volumeName").empty()) {
    a.erase("volumeName");
    b.erase("volumeName");
  }
  for (json::object* s : {&a, &b}) {
    if (json::object* res = MutObj(*s, "resources"); res && res->empty())
      s->erase("resources");
  }
  if (json::value(a) != json::value(b)) {
    errs.Forbidden("spec",
                   "spec is immutable after creation except resources.requests and "
                   "volumeAttributesClassName for bound claims");
  }
  // Shrinking below the current request is not supported.
  auto req = [](const json::object& o) -> std::optional<long double> {
    const json::object* spec = Obj(o, "spec");
    const json::object* res = spec ? Obj(*spec, "resources") : nullptr;
    const json::object* r = res ? Obj(*res, "requests") : nullptr;
    const json::value* v = r ? Val(*r, "storage") : nullptr;
    return v ? QuantityValue(*v) : std::nullopt;
  };
  auto nq = req(obj), oq = req(old);
  if (nq && oq && *nq < *oq && !Str(ObjOrEmpty(old, "spec"), "volumeName").empty()) {
    errs.Forbidden("spec.resources.requests.storage", "field can not be less than previous value");
  }
}

void DefaultPv(json::object& obj) {
  json::object& spec = Ensure(obj, "spec");
  SetIfEmptyString(spec, "persistentVolumeReclaimPolicy", "Retain");
  SetIfEmptyString(spec, "volumeMode", "Filesystem");
  if (json::object* hp = MutObj(spec, "hostPath"))
    SetIfMissing(*hp, "type", "");
  json::object& status = Ensure(obj, "status");
  SetIfEmptyString(status, "phase", "Pending");
}

void ValidatePv(const json::object& obj, const json::object* old, Errors& errs) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::object* cap = Obj(spec, "capacity");
  if (!cap || cap->empty()) {
    errs.Required("spec.capacity");
  } else {
    const json::value* st = Val(*cap, "storage");
    if (!st) {
      errs.NotSupported("spec.capacity", cap->begin()->key(), {"storage"});
    } else {
      auto q = QuantityValue(*st);
      if (!q || *q <= 0)
        errs.Invalid("spec.capacity.storage", Repr(*st), "must be greater than zero");
    }
  }
  ValidateAccessModes(Arr(spec, "accessModes"), "spec.accessModes", errs);
  static const std::set<std::string_view> kNonSource = {
      "accessModes",      "capacity",     "claimRef",
      "mountOptions",     "nodeAffinity", "persistentVolumeReclaimPolicy",
      "storageClassName", "volumeMode",   "volumeAttributesClassName"};
  int sources = 0;
  for (const auto& kv : spec) {
    if (!kNonSource.count(kv.key()) && !kv.value().is_null())
      ++sources;
  }
  if (sources == 0)
    errs.Required("spec", "must specify a volume type");
  if (sources > 1)
    errs.Forbidden("spec", "may not specify more than 1 volume type");
  std::string_view rp = Str(spec, "persistentVolumeReclaimPolicy");
  if (rp != "Retain" && rp != "Delete" && rp != "Recycle") {
    errs.NotSupported("spec.persistentVolumeReclaimPolicy", rp, {"Delete", "Recycle", "Retain"});
  }
  std::string_view vm = Str(spec, "volumeMode");
  if (!vm.empty() && vm != "Block" && vm != "Filesystem") {
    errs.NotSupported("spec.volumeMode", vm, {"Block", "Filesystem"});
  }
  if (old) {
    const json::object& ospec = ObjOrEmpty(*old, "spec");
    if (!SameMember(spec, ospec, "volumeMode")) {
      errs.InvalidStr("spec.volumeMode", vm, "field is immutable");
    }
  }
}

json::array PvRow(const json::object& obj, TimePoint now) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::object& status = ObjOrEmpty(obj, "status");
  std::string claim;
  if (const json::object* cr = Obj(spec, "claimRef")) {
    claim = std::string(Str(*cr, "namespace")) + "/" + std::string(Str(*cr, "name"));
  }
  std::string phase(Str(status, "phase"));
  if (Deleting(obj))
    phase = "Terminating";
  std::string_view cls = Str(spec, "storageClassName");
  if (!IsSet(spec, "storageClassName")) {
    const json::object* md = Obj(obj, "metadata");
    const json::object* ann = md ? Obj(*md, "annotations") : nullptr;
    if (ann)
      cls = Str(*ann, "volume.beta.kubernetes.io/storage-class");
  }
  std::string_view vac = Str(spec, "volumeAttributesClassName");
  std::string_view vm = Str(spec, "volumeMode");
  return json::array{json::value(MetaName(obj)),
                     json::value(QuantityText(Obj(spec, "capacity"), "storage")),
                     json::value(AccessModesString(Arr(spec, "accessModes"))),
                     json::value(Str(spec, "persistentVolumeReclaimPolicy")),
                     json::value(phase),
                     json::value(claim),
                     json::value(cls),
                     json::value(vac.empty() ? "<unset>" : vac),
                     json::value(Str(status, "reason")),
                     json::value(CreatedSince(obj, now)),
                     json::value(vm.empty() ? "<unset>" : vm)};
}

// ---------------------------------------------------------------------------------------------
// Event (core/v1)

std::string FormatEventSource(std::string_view component, std::string_view host) {
  if (host.empty())
    return std::string(component);
  return std::string(component) + ", " + std::string(host);
}

std::optional<std::string> CoreEventField(const json::object& obj, std::string_view field) {
  if (auto m = MetaField(obj, field))
    return m;
  const json::object& io = ObjOrEmpty(obj, "involvedObject");
  static const std::pair<std::string_view, std::string_view> kInvolved[] = {
      {"involvedObject.kind", "kind"},
      {"involvedObject.namespace", "namespace"},
      {"involvedObject.name", "name"},
      {"involvedObject.uid", "uid"},
      {"involvedObject.apiVersion", "apiVersion"},
      {"involvedObject.resourceVersion", "resourceVersion"},
      {"involvedObject.fieldPath", "fieldPath"}};
  for (const auto& [label, key] : kInvolved) {
    if (field == label)
      return std::string(Str(io, key));
  }
  if (field == "reason")
    return std::string(Str(obj, "reason"));
  if (field == "type")
    return std::string(Str(obj, "type"));
  if (field == "reportingComponent")
    return std::string(Str(obj, "reportingComponent"));
  if (field == "source") {
    std::string_view src = Str(ObjOrEmpty(obj, "source"), "component");
    if (src.empty())
      src = Str(obj, "reportingComponent");
    return std::string(src);
  }
  return std::nullopt;
}

void ValidateCoreEvent(const json::object& obj, Errors& errs) {
  const json::object& io = ObjOrEmpty(obj, "involvedObject");
  std::string_view ns = MetaNamespace(obj);
  std::string_view ions = Str(io, "namespace");
  // Legacy (core/v1) events only require the involved object's namespace to agree.
  if (!ions.empty() && !ns.empty() && ions != ns) {
    errs.InvalidStr("involvedObject.namespace", ions, "does not match event.namespace");
  }
  std::string_view type = Str(obj, "type");
  if (!type.empty() && type != "Normal" && type != "Warning" &&
      !Str(obj, "reportingComponent").empty()) {
    errs.NotSupported("type", type, {"Normal", "Warning"});
  }
}

// ---------------------------------------------------------------------------------------------
// Node

json::array NodeRow(const json::object& obj, TimePoint now) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  const json::object& status = ObjOrEmpty(obj, "status");
  std::string st;
  if (const json::array* conds = Arr(status, "conditions")) {
    for (const auto& c : *conds) {
      const json::object* co = c.if_object();
      if (!co || Str(*co, "type") != "Ready")
        continue;
      st = Str(*co, "status") == "True" ? "Ready" : "NotReady";
    }
  }
  if (st.empty())
    st = "Unknown";
  if (Bool(spec, "unschedulable"))
    st += ",SchedulingDisabled";
  std::set<std::string> roles;
  if (const json::object* md = Obj(obj, "metadata")) {
    if (const json::object* labels = Obj(*md, "labels")) {
      for (const auto& kv : *labels) {
        std::string_view k = kv.key();
        if (StartsWith(k, "node-role.kubernetes.io/")) {
          std::string_view role = k.substr(std::string_view("node-role.kubernetes.io/").size());
          if (!role.empty())
            roles.insert(std::string(role));
        } else if (k == "kubernetes.io/role" && kv.value().is_string() &&
                   !kv.value().get_string().empty()) {
          roles.insert(std::string(kv.value().get_string()));
        }
      }
    }
  }
  std::string role_str;
  for (const auto& r : roles)
    role_str += (role_str.empty() ? "" : ",") + r;
  const json::object& info = ObjOrEmpty(status, "nodeInfo");
  auto address = [&](std::string_view type) -> std::string {
    if (const json::array* addrs = Arr(status, "addresses")) {
      for (const auto& a : *addrs) {
        const json::object* ao = a.if_object();
        if (ao && Str(*ao, "type") == type)
          return std::string(Str(*ao, "address"));
      }
    }
    return "<none>";
  };
  auto unknown = [](std::string_view s) { return s.empty() ? std::string_view("<unknown>") : s; };
  return json::array{json::value(MetaName(obj)),
                     json::value(st),
                     json::value(role_str.empty() ? "<none>" : role_str),
                     json::value(CreatedSince(obj, now)),
                     json::value(Str(info, "kubeletVersion")),
                     json::value(address("InternalIP")),
                     json::value(address("ExternalIP")),
                     json::value(unknown(Str(info, "osImage"))),
                     json::value(unknown(Str(info, "kernelVersion"))),
                     json::value(unknown(Str(info, "containerRuntimeVersion")))};
}

void ValidateNode(const json::object& obj, const json::object* old, Errors& errs) {
  const json::object& spec = ObjOrEmpty(obj, "spec");
  if (const json::array* taints = Arr(spec, "taints")) {
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < taints->size(); ++i) {
      const json::object* t = (*taints)[i].if_object();
      if (!t)
        continue;
      std::string tp = Index("spec.taints", i);
      std::string_view key = Str(*t, "key");
      for (auto& e : IsQualifiedName(key))
        errs.InvalidStr(Child(tp, "key"), key, e);
      std::string_view eff = Str(*t, "effect");
      if (eff.empty()) {
        errs.Required(Child(tp, "effect"));
      } else if (eff != "NoSchedule" && eff != "PreferNoSchedule" && eff != "NoExecute") {
        errs.NotSupported(Child(tp, "effect"), eff,
                          {"NoExecute", "NoSchedule", "PreferNoSchedule"});
      }
      if (!seen.insert({std::string(key), std::string(eff)}).second) {
        errs.Duplicate(tp, "core.Taint{Key:" + Quote(key) + ", Effect:" + Quote(eff) + "}");
      }
    }
  }
  if (old) {
    const json::object& ospec = ObjOrEmpty(*old, "spec");
    std::string_view ocidr = Str(ospec, "podCIDR");
    if (!ocidr.empty() && Str(spec, "podCIDR") != ocidr) {
      errs.Forbidden("spec.podCIDRs",
                     "node updates may not change podCIDR except from \"\" to valid");
    }
    std::string_view opid = Str(ospec, "providerID");
    if (!opid.empty() && Str(spec, "providerID") != opid) {
      errs.Forbidden("spec.providerID",
                     "node updates may not change providerID except from \"\" to valid");
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Shared PVC spec pieces

void DefaultPvcSpec(json::object& spec) { SetIfEmptyString(spec, "volumeMode", "Filesystem"); }

void ValidatePvcSpec(const json::object& spec, const std::string& path, Errors& errs) {
  ValidateAccessModes(Arr(spec, "accessModes"), Child(path, "accessModes"), errs);
  const json::object* res = Obj(spec, "resources");
  const json::object* req = res ? Obj(*res, "requests") : nullptr;
  const json::value* storage = req ? Val(*req, "storage") : nullptr;
  if (!storage) {
    errs.Required(Key(Child(path, "resources"), "storage"));
  } else {
    auto q = QuantityValue(*storage);
    if (!q || *q <= 0) {
      errs.Invalid(Key(Child(path, "resources"), "storage"), Quote(IntOrStringText(*storage)),
                   "must be greater than zero");
    }
  }
  std::string_view vm = Str(spec, "volumeMode");
  if (!vm.empty() && vm != "Block" && vm != "Filesystem") {
    errs.NotSupported(Child(path, "volumeMode"), vm, {"Block", "Filesystem"});
  }
  if (const json::object* sel = Obj(spec, "selector")) {
    ValidateLabelSelector(*sel, Child(path, "selector"), errs);
  }
  std::string_view cls = Str(spec, "storageClassName");
  if (!cls.empty()) {
    for (auto& e : IsDns1123Subdomain(cls))
      errs.InvalidStr(Child(path, "storageClassName"), cls, e);
  }
}

// ---------------------------------------------------------------------------------------------
// Constructors

ResourceInfo MakeNamespace() {
  ResourceInfo r = Base("Namespace", "namespaces", false, {"ns"});
  // The namespace REST has no DeleteCollection.
  r.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  r.has_status = true;
  r.reset_status_on_create = true;
  r.name_rule = NameRule::kDnsLabel;
  r.default_fn = [](json::object& obj) {
    json::object& md = Ensure(obj, "metadata");
    std::string_view name = Str(md, "name");
    if (!name.empty()) {
      Ensure(md, "labels")["kubernetes.io/metadata.name"] = std::string(name);
    }
    json::object& status = Ensure(obj, "status");
    SetIfEmptyString(status, "phase", "Active");
  };
  r.prepare_create_fn = [](json::object& obj, TimePoint) {
    obj["status"] = json::object{{"phase", "Active"}};
    json::object& spec = Ensure(obj, "spec");
    json::value& f = spec["finalizers"];
    if (!f.is_array())
      f = json::array();
    json::array& fa = f.get_array();
    if (std::find(fa.begin(), fa.end(), json::value("kubernetes")) == fa.end()) {
      fa.push_back("kubernetes");
    }
  };
  r.prepare_update_fn = [](json::object& obj, const json::object& old) {
    // spec.finalizers change only through the /finalize subresource.
    const json::object* ospec = Obj(old, "spec");
    json::object& spec = Ensure(obj, "spec");
    if (ospec && IsSet(*ospec, "finalizers")) {
      spec["finalizers"] = *Val(*ospec, "finalizers");
    } else {
      spec.erase("finalizers");
    }
  };
  r.validate_fn = [](const json::object& obj, const json::object*) {
    Errors errs;
    const json::object& spec = ObjOrEmpty(obj, "spec");
    if (const json::array* fins = Arr(spec, "finalizers")) {
      for (size_t i = 0; i < fins->size(); ++i) {
        std::string_view f =
            (*fins)[i].is_string() ? std::string_view((*fins)[i].get_string()) : std::string_view();
        for (auto& e : IsQualifiedName(f))
          errs.InvalidStr(Index("spec.finalizers", i), f, e);
      }
    }
    return errs.Take();
  };
  r.field_labels = {"status.phase"};
  r.field_fn = [](const json::object& obj, std::string_view field) -> std::optional<std::string> {
    if (auto m = MetaField(obj, field))
      return m;
    if (field == "status.phase")
      return std::string(Str(ObjOrEmpty(obj, "status"), "phase"));
    return std::nullopt;
  };
  r.columns = {NameColumn(), Column("Status", "string", "The status of the namespace"),
               AgeColumn()};
  r.row_fn = NamespaceRow;
  return r;
}

ResourceInfo MakeService() {
  ResourceInfo r = Base("Service", "services", true, {"svc"});
  r.categories = {"all"};
  r.has_status = true;
  r.reset_status_on_create = true;
  r.allow_create_on_update = true;
  r.name_rule = NameRule::kDns1035Label;
  r.default_fn = DefaultService;
  r.prepare_create_fn = [](json::object& obj, TimePoint) {
    obj["status"] = json::object{{"loadBalancer", json::object()}};
  };
  r.prepare_update_fn = PrepareServiceUpdate;
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateService(obj, old, errs);
    return errs.Take();
  };
  r.field_labels = {"spec.clusterIP", "spec.type"};
  r.field_fn = [](const json::object& obj, std::string_view field) -> std::optional<std::string> {
    if (auto m = MetaField(obj, field))
      return m;
    const json::object& spec = ObjOrEmpty(obj, "spec");
    if (field == "spec.clusterIP")
      return std::string(Str(spec, "clusterIP"));
    if (field == "spec.type")
      return std::string(Str(spec, "type"));
    return std::nullopt;
  };
  r.columns = {
      NameColumn(),
      Column("Type", "string",
             "type determines how the Service is exposed. Defaults to ClusterIP. Valid options "
             "are ExternalName, ClusterIP, NodePort, and LoadBalancer."),
      Column("Cluster-IP", "string",
             "clusterIP is the IP address of the service and is usually assigned randomly."),
      Column("External-IP", "string",
             "externalIPs is a list of IP addresses for which nodes in the cluster will also "
             "accept traffic for this service."),
      Column("Port(s)", "string", "The list of ports that are exposed by this service."),
      AgeColumn(),
      Column("Selector", "string",
             "Route service traffic to pods with label keys and values matching this selector.", 1),
  };
  r.row_fn = ServiceRow;
  return r;
}

ResourceInfo MakeEndpoints() {
  ResourceInfo r = Base("Endpoints", "endpoints", true, {"ep"});
  r.singular = "endpoints";
  r.allow_create_on_update = true;
  r.default_fn = DefaultEndpoints;
  r.validate_fn = [](const json::object& obj, const json::object*) {
    Errors errs;
    ValidateEndpoints(obj, errs);
    return errs.Take();
  };
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.columns = {
      NameColumn(),
      Column("Endpoints", "string", "The set of all endpoints is the union of all subsets."),
      AgeColumn()};
  r.row_fn = [](const json::object& obj, TimePoint now) {
    return json::array{json::value(MetaName(obj)), json::value(FormatEndpoints(obj)),
                       json::value(CreatedSince(obj, now))};
  };
  return r;
}

ResourceInfo MakeConfigMap() {
  ResourceInfo r = Base("ConfigMap", "configmaps", true, {"cm"});
  r.decode_fn = DecodeConfigMap;
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateConfigMap(obj, old, errs);
    return errs.Take();
  };
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.columns = {NameColumn(), Column("Data", "string", "Data contains the configuration data."),
               AgeColumn()};
  r.row_fn = [](const json::object& obj, TimePoint now) {
    int64_t n = 0;
    if (const json::object* d = Obj(obj, "data"))
      n += static_cast<int64_t>(d->size());
    if (const json::object* d = Obj(obj, "binaryData"))
      n += static_cast<int64_t>(d->size());
    return json::array{json::value(MetaName(obj)), json::value(n),
                       json::value(CreatedSince(obj, now))};
  };
  return r;
}

ResourceInfo MakeSecret() {
  ResourceInfo r = Base("Secret", "secrets", true, {});
  r.default_fn = DefaultSecret;
  r.decode_fn = DecodeSecret;
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateSecret(obj, old, errs);
    return errs.Take();
  };
  r.field_labels = {"type"};
  r.field_fn = [](const json::object& obj, std::string_view field) -> std::optional<std::string> {
    if (auto m = MetaField(obj, field))
      return m;
    if (field == "type")
      return std::string(Str(obj, "type"));
    return std::nullopt;
  };
  r.columns = {NameColumn(), Column("Type", "string", "The type of the secret"),
               Column("Data", "string", "The number of entries in the secret"), AgeColumn()};
  r.row_fn = [](const json::object& obj, TimePoint now) {
    const json::object* d = Obj(obj, "data");
    return json::array{json::value(MetaName(obj)), json::value(Str(obj, "type")),
                       json::value(static_cast<int64_t>(d ? d->size() : 0)),
                       json::value(CreatedSince(obj, now))};
  };
  return r;
}

ResourceInfo MakePersistentVolumeClaim() {
  ResourceInfo r = Base("PersistentVolumeClaim", "persistentvolumeclaims", true, {"pvc"});
  r.has_status = true;
  r.reset_status_on_create = true;
  r.default_fn = [](json::object& obj) {
    DefaultPvcSpec(Ensure(obj, "spec"));
    SetIfEmptyString(Ensure(obj, "status"), "phase", "Pending");
  };
  r.prepare_create_fn = [](json::object& obj, TimePoint) {
    obj["status"] = json::object{{"phase", "Pending"}};
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidatePvcSpec(ObjOrEmpty(obj, "spec"), "spec", errs);
    if (old)
      ValidatePvcUpdate(obj, *old, errs);
    return errs.Take();
  };
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.columns = {
      NameColumn(),
      Column("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
      Column("Volume", "string",
             "volumeName is the binding reference to the PersistentVolume backing this claim."),
      Column("Capacity", "string",
             "capacity represents the actual resources of the underlying volume."),
      Column("Access Modes", "string",
             "accessModes contains the desired access modes the volume should have."),
      Column("StorageClass", "string",
             "storageClassName is the name of the StorageClass required by the claim."),
      Column("VolumeAttributesClass", "string",
             "volumeAttributesClassName may be used to set the VolumeAttributesClass used by "
             "this claim."),
      AgeColumn(),
      Column("VolumeMode", "string",
             "volumeMode defines what type of volume is required by the claim.", 1),
  };
  r.row_fn = PvcRow;
  return r;
}

ResourceInfo MakePersistentVolume() {
  ResourceInfo r = Base("PersistentVolume", "persistentvolumes", false, {"pv"});
  r.has_status = true;
  r.reset_status_on_create = true;
  r.default_fn = DefaultPv;
  r.prepare_create_fn = [](json::object& obj, TimePoint now) {
    // PrepareForCreate resets status; defaulting makes it Pending, and the phase transition
    // time is stamped (PersistentVolumeLastPhaseTransitionTime, GA in 1.31).
    obj["status"] =
        json::object{{"phase", "Pending"}, {"lastPhaseTransitionTime", FormatRfc3339(now)}};
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidatePv(obj, old, errs);
    return errs.Take();
  };
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.columns = {
      NameColumn(),
      Column("Capacity", "string",
             "capacity is the description of the persistent volume's resources and capacity."),
      Column("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
      Column("Reclaim Policy", "string",
             "persistentVolumeReclaimPolicy defines what happens to a persistent volume when "
             "released from its claim."),
      Column("Status", "string",
             "phase indicates if a volume is available, bound to a claim, or released by a claim."),
      Column("Claim", "string",
             "claimRef is part of a bi-directional binding between PersistentVolume and "
             "PersistentVolumeClaim."),
      Column(
          "StorageClass", "string",
          "storageClassName is the name of StorageClass to which this persistent volume belongs."),
      Column("VolumeAttributesClass", "string",
             "Name of VolumeAttributesClass to which this persistent volume belongs."),
      Column("Reason", "string",
             "reason is a brief CamelCase string that describes any failure and is meant for "
             "machine parsing and tidy display in the CLI."),
      AgeColumn(),
      Column("VolumeMode", "string",
             "volumeMode defines if a volume is intended to be used with a formatted filesystem "
             "or to remain in raw block state.",
             1),
  };
  r.row_fn = PvRow;
  return r;
}

ResourceInfo MakeServiceAccount() {
  ResourceInfo r = Base("ServiceAccount", "serviceaccounts", true, {"sa"});
  r.allow_create_on_update = true;
  r.validate_fn = [](const json::object& obj, const json::object*) {
    Errors errs;
    if (const json::array* secrets = Arr(obj, "secrets")) {
      for (size_t i = 0; i < secrets->size(); ++i) {
        const json::object* s = (*secrets)[i].if_object();
        std::string_view n = s ? Str(*s, "name") : "";
        if (!n.empty()) {
          for (auto& e : IsDns1123Subdomain(n)) {
            errs.InvalidStr(Child(Index("secrets", i), "name"), n, e);
          }
        }
      }
    }
    return errs.Take();
  };
  r.field_fn = [](const json::object& obj, std::string_view field) {
    return MetaField(obj, field);
  };
  r.columns = {NameColumn(),
               Column("Secrets", "string",
                      "Secrets is a list of the secrets in the same namespace that pods running "
                      "using this ServiceAccount are allowed to use."),
               AgeColumn()};
  r.row_fn = [](const json::object& obj, TimePoint now) {
    const json::array* s = Arr(obj, "secrets");
    return json::array{json::value(MetaName(obj)),
                       json::value(static_cast<int64_t>(s ? s->size() : 0)),
                       json::value(CreatedSince(obj, now))};
  };
  return r;
}

// The event printer over a core/v1-shaped view; events.k8s.io/v1 converts to this view first.
std::vector<TableColumn> EventColumns() {
  return {
      Column("Last Seen", "string",
             "The time at which the most recent occurrence of this event was recorded."),
      Column("Type", "string",
             "Type of this event (Normal, Warning), new types could be added in the future"),
      Column("Reason", "string",
             "This should be a short, machine understandable string that gives the reason for the "
             "transition into the object's current status."),
      Column("Object", "string", "The object that this event is about."),
      Column("Subobject", "string",
             "If referring to a piece of an object instead of an entire object, this string should "
             "contain a valid JSON/Go field access statement, such as "
             "desiredState.manifest.containers[2].",
             1),
      Column("Source", "string",
             "The component reporting this event. Should be a short machine understandable string.",
             1),
      Column("Message", "string", "A human-readable description of the status of this operation."),
      Column("First Seen", "string",
             "The time at which the event was first recorded. (Time of server receipt is in "
             "TypeMeta.)",
             1),
      Column("Count", "string", "The number of times this event has occurred.", 1),
      TableColumn{"Name", "string", "name", NameColumn().description, 1},
  };
}

json::array CoreEventRow(const json::object& obj, TimePoint now) {
  std::string_view first_ts = Str(obj, "firstTimestamp");
  std::string first = first_ts.empty() ? Since(Str(obj, "eventTime"), now) : Since(first_ts, now);
  std::string_view last_ts = Str(obj, "lastTimestamp");
  std::string last = last_ts.empty() ? first : Since(last_ts, now);
  int64_t count = Int(obj, "count").value_or(0);
  if (const json::object* series = Obj(obj, "series")) {
    last = Since(Str(*series, "lastObservedTime"), now);
    count = Int(*series, "count").value_or(0);
  } else if (count == 0) {
    count = 1;  // singleton events of the new API carry no count
  }
  const json::object& io = ObjOrEmpty(obj, "involvedObject");
  std::string kind(Str(io, "kind"));
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string target = Str(io, "name").empty() ? kind : kind + "/" + std::string(Str(io, "name"));
  const json::object& src = ObjOrEmpty(obj, "source");
  std::string_view component = Str(src, "component");
  if (component.empty())
    component = Str(obj, "reportingComponent");
  std::string_view host = Str(src, "host");
  if (host.empty())
    host = Str(obj, "reportingInstance");
  return json::array{json::value(last),
                     json::value(Str(obj, "type")),
                     json::value(Str(obj, "reason")),
                     json::value(target),
                     json::value(Str(io, "fieldPath")),
                     json::value(FormatEventSource(component, host)),
                     json::value(Trim(Str(obj, "message"))),
                     json::value(first),
                     json::value(count),
                     json::value(MetaName(obj))};
}

ResourceInfo MakeCoreEvent() {
  ResourceInfo r = Base("Event", "events", true, {"ev"});
  r.allow_create_on_update = true;
  r.validate_fn = [](const json::object& obj, const json::object*) {
    Errors errs;
    ValidateCoreEvent(obj, errs);
    return errs.Take();
  };
  r.field_labels = {"involvedObject.kind",
                    "involvedObject.namespace",
                    "involvedObject.name",
                    "involvedObject.uid",
                    "involvedObject.apiVersion",
                    "involvedObject.resourceVersion",
                    "involvedObject.fieldPath",
                    "reason",
                    "reportingComponent",
                    "source",
                    "type"};
  r.field_fn = CoreEventField;
  r.columns = EventColumns();
  r.row_fn = CoreEventRow;
  return r;
}

ResourceInfo MakeNode() {
  ResourceInfo r = Base("Node", "nodes", false, {"no"});
  r.has_status = true;
  r.reset_status_on_create =
      false;  // "Nodes allow *all* fields, including status, to be set on create."
  r.default_fn = [](json::object& obj) {
    json::object& status = Ensure(obj, "status");
    if (!IsSet(status, "allocatable") && IsSet(status, "capacity")) {
      status["allocatable"] = *Val(status, "capacity");
    }
    Ensure(obj, "spec");
  };
  r.validate_fn = [](const json::object& obj, const json::object* old) {
    Errors errs;
    ValidateNode(obj, old, errs);
    return errs.Take();
  };
  r.field_labels = {"spec.unschedulable"};
  r.field_fn = [](const json::object& obj, std::string_view field) -> std::optional<std::string> {
    if (auto m = MetaField(obj, field))
      return m;
    if (field == "spec.unschedulable") {
      return Bool(ObjOrEmpty(obj, "spec"), "unschedulable") ? "true" : "false";
    }
    return std::nullopt;
  };
  r.columns = {
      NameColumn(),
      Column("Status", "string", "The status of the node"),
      Column("Roles", "string", "The roles of the node"),
      AgeColumn(),
      Column("Version", "string", "Kubelet Version reported by the node."),
      Column("Internal-IP", "string",
             "List of addresses reachable to the node. Queried from cloud provider, if available.",
             1),
      Column("External-IP", "string",
             "List of addresses reachable to the node. Queried from cloud provider, if available.",
             1),
      Column(
          "OS-Image", "string",
          "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
          1),
      Column("Kernel-Version", "string",
             "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      Column("Container-Runtime", "string",
             "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
             "containerd://1.4.2).",
             1),
  };
  r.row_fn = NodeRow;
  return r;
}

}  // namespace kcx::apiserver::reg
