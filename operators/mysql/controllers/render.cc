#include "operators/mysql/controllers/render.h"

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "api/json.h"
#include "api/quantity.h"
#include "common/strings.h"
#include "operators/mysql/db/mycnf.h"

namespace kcx::mysql::controllers {

namespace json = boost::json;
using StringMap = std::map<std::string, std::string>;

namespace {

// MOCO's PreStopSeconds: the window a switchover has before mysqld gets SIGTERM.
constexpr std::string_view kPreStopSeconds = "20";
constexpr int64_t kDefaultTerminationGracePeriodSeconds = 300;
constexpr int64_t kFileMode0644 = 0644;  // 420: what the API server stores for 0644

// Resources of the containers the operator adds (MOCO's pkg/constants/container.go), written
// in canonical form so the stored value equals the applied one ("1", not MOCO's "1000m").
struct Res {
  std::string_view cpu_request, mem_request, cpu_limit, mem_limit;
};
constexpr Res kAgentResources{"100m", "100Mi", "100m", "100Mi"};
constexpr Res kInitResources{"100m", "512Mi", "1", "512Mi"};
constexpr Res kSlowLogResources{"100m", "20Mi", "100m", "20Mi"};
constexpr Res kExporterResources{"200m", "100Mi", "200m", "100Mi"};

std::string S(std::string_view v) { return std::string(v); }

json::object Labels(const StringMap& m) {
  json::object o;
  for (const auto& [k, v] : m)
    o[k] = v;  // std::map: sorted, hence stable
  return o;
}

StringMap StringMapOf(const json::object* o) {
  StringMap m;
  if (!o)
    return m;
  for (const auto& kv : *o) {
    if (kv.value().is_string())
      m[std::string(kv.key())] = std::string(kv.value().get_string());
  }
  return m;
}

// metadata in a fixed key order; empty label/annotation maps are left out.
json::object Meta(std::string_view name, std::string_view ns, const StringMap& labels,
                  const StringMap& annotations, const json::object* owner) {
  json::object md;
  md["name"] = name;
  if (!ns.empty())
    md["namespace"] = ns;
  if (!labels.empty())
    md["labels"] = Labels(labels);
  if (!annotations.empty())
    md["annotations"] = Labels(annotations);
  if (owner)
    md["ownerReferences"] = json::array{*owner};
  return md;
}

json::object Head(std::string_view api_version, std::string_view kind, json::object metadata) {
  json::object o;
  o["apiVersion"] = api_version;
  o["kind"] = kind;
  o["metadata"] = std::move(metadata);
  return o;
}

// The cluster's objects in its namespace: cluster labels, owned by the cluster.
json::object Owned(const api::MySQLCluster& c, std::string_view api_version, std::string_view kind,
                   std::string_view name, const StringMap& extra_labels = {},
                   const StringMap& annotations = {}) {
  StringMap labels = extra_labels;
  for (auto& [k, v] : api::ClusterLabels(c.name))
    labels[k] = v;  // cluster labels win
  json::object owner = OwnerReference(c);
  return Head(api_version, kind, Meta(name, c.ns, labels, annotations, &owner));
}

json::object Port(std::string_view name, int port) {
  return json::object{{"name", name}, {"containerPort", port}, {"protocol", "TCP"}};
}

json::object ServicePort(std::string_view name, int port) {
  return json::object{{"name", name}, {"protocol", "TCP"}, {"port", port}, {"targetPort", name}};
}

json::object Mount(std::string_view name, std::string_view path, bool read_only = false) {
  json::object m{{"name", name}, {"mountPath", path}};
  if (read_only)
    m["readOnly"] = true;
  return m;
}

json::object PodNameEnv() {
  return json::object{
      {"name", "POD_NAME"},
      {"valueFrom", json::object{{"fieldRef", json::object{{"apiVersion", "v1"},
                                                           {"fieldPath", "metadata.name"}}}}}};
}

json::object Resources(const Res& r) {
  return json::object{
      {"limits", json::object{{"cpu", r.cpu_limit}, {"memory", r.mem_limit}}},
      {"requests", json::object{{"cpu", r.cpu_request}, {"memory", r.mem_request}}}};
}

json::object HttpProbeHandler(std::string_view path) {
  return json::object{{"path", path}, {"port", api::kHealthPortName}, {"scheme", "HTTP"}};
}

// MOCO's updateContainerWithSecurityContext: run as 10000:10000 unless the user (or an
// overwrite) said otherwise.
void DefaultSecurityContext(json::object& container, const RenderOptions& o) {
  if (o.disable_default_security_context)
    return;
  json::object& sc = kcx::api::EnsureObject(container, "securityContext");
  if (!sc.contains("runAsUser"))
    sc["runAsUser"] = api::kContainerUid;
  if (!sc.contains("runAsGroup"))
    sc["runAsGroup"] = api::kContainerGid;
}

// MOCO's updateContainerWithOverwriteContainers: resources and securityContext from
// spec.podTemplate.overwriteContainers, applied only to the containers the operator builds.
void ApplyOverwrites(const api::MySQLCluster& c, json::object& container) {
  const json::array* ows = kcx::api::GetArray(c.pod_template, "overwriteContainers");
  if (!ows)
    return;
  std::string_view name = kcx::api::GetString(container, "name");
  for (const auto& ov : *ows) {
    const json::object* o = ov.if_object();
    if (!o || kcx::api::GetString(*o, "name") != name)
      continue;
    if (const json::value* r = o->if_contains("resources"); r && r->is_object()) {
      container["resources"] = *r;
    }
    if (const json::value* s = o->if_contains("securityContext"); s && s->is_object()) {
      container["securityContext"] = *s;
    }
  }
}

const json::object& PodSpecOf(const api::MySQLCluster& c) {
  static const json::object kEmpty;
  const json::object* spec = kcx::api::GetObject(c.pod_template, "spec");
  return spec ? *spec : kEmpty;
}

const json::object* FindContainer(const json::object& spec, std::string_view name) {
  if (const json::array* cs = kcx::api::GetArray(spec, "containers")) {
    for (const auto& v : *cs) {
      if (const json::object* o = v.if_object(); o && kcx::api::GetString(*o, "name") == name) {
        return o;
      }
    }
  }
  return nullptr;
}

// A quantity member as bytes, if it parses.
std::optional<uint64_t> QuantityBytes(const json::object* list, std::string_view key) {
  if (!list)
    return std::nullopt;
  const json::value* v = list->if_contains(key);
  if (!v)
    return std::nullopt;
  std::string text;
  if (v->is_string()) {
    text = std::string(v->get_string());
  } else if (v->is_int64() || v->is_uint64() || v->is_double()) {
    text = json::serialize(*v);
  } else {
    return std::nullopt;
  }
  auto q = kcx::api::Quantity::Parse(text);
  if (!q.ok() || q->IsZero() || q->Sign() < 0)
    return std::nullopt;
  return uint64_t(q->Value());
}

// The mysqld container's memory: its request, or its limit without one (MOCO: "requests take
// precedence over limits").
std::optional<uint64_t> MysqldMemory(const api::MySQLCluster& c) {
  const json::object* mysqld = FindContainer(PodSpecOf(c), api::kMysqldContainer);
  if (!mysqld)
    return std::nullopt;
  const json::object* res = kcx::api::GetObject(*mysqld, "resources");
  if (!res)
    return std::nullopt;
  if (auto m = QuantityBytes(kcx::api::GetObject(*res, "requests"), "memory"))
    return m;
  return QuantityBytes(kcx::api::GetObject(*res, "limits"), "memory");
}

std::string Canon(std::string k) {
  std::replace(k.begin(), k.end(), '-', '_');
  return k;
}

std::string Join(std::string_view a, std::string_view b) { return S(a) + "/" + S(b); }

// A probe on the health port: the user's timing fields stay, the handler is the operator's
// (other handler types are removed: a probe may have only one).
json::object HealthProbe(const json::value* user, std::string_view path,
                         std::optional<int64_t> period, std::optional<int64_t> failure) {
  json::object p = user && user->is_object() ? user->get_object() : json::object();
  for (std::string_view h : {"exec", "tcpSocket", "grpc"})
    p.erase(h);
  p["httpGet"] = HttpProbeHandler(path);
  if (period && !p.contains("periodSeconds"))
    p["periodSeconds"] = *period;
  if (failure && !p.contains("failureThreshold"))
    p["failureThreshold"] = *failure;
  return p;
}

json::array Append(const json::value* user, std::initializer_list<json::object> add) {
  json::array a = user && user->is_array() ? user->get_array() : json::array();
  for (const auto& o : add)
    a.push_back(o);
  return a;
}

Result<json::object> MysqldContainer(const api::MySQLCluster& c, const RenderOptions& o) {
  const json::object* src = FindContainer(PodSpecOf(c), api::kMysqldContainer);
  if (!src) {
    return Invalid(
        "spec.podTemplate.spec.containers: Required value: a container named "
        "\"mysqld\" is required");
  }
  if (kcx::api::GetString(*src, "image").empty()) {
    return Invalid("spec.podTemplate.spec.containers[mysqld].image: Required value");
  }
  json::object m = *src;
  // --defaults-file must come first on mysqld's command line, so it goes before the user's
  // args (MOCO appends it, which only works when there are none).
  json::array args{"--defaults-file=" + Join(kMySQLConfPath, kMySQLConfName)};
  if (const json::array* ua = kcx::api::GetArray(*src, "args")) {
    for (const auto& a : *ua)
      args.push_back(a);
  }
  m["args"] = std::move(args);
  m["lifecycle"] = json::object{
      {"preStop",
       json::object{{"exec", json::object{{"command", json::array{"sleep", kPreStopSeconds}}}}}}};
  m["ports"] =
      Append(src->if_contains("ports"), {Port(api::kMysqlPortName, api::kMysqlPort),
                                         Port(api::kMysqlXPortName, api::kMysqlXPort),
                                         Port(api::kMysqlAdminPortName, api::kMysqlAdminPort),
                                         Port(api::kHealthPortName, api::kMysqlHealthPort)});
  int64_t failure = std::max<int64_t>(1, c.startup_wait_seconds / 10);
  m["startupProbe"] = HealthProbe(src->if_contains("startupProbe"), "/healthz", 10, failure);
  m["livenessProbe"] =
      HealthProbe(src->if_contains("livenessProbe"), "/healthz", std::nullopt, std::nullopt);
  m["readinessProbe"] =
      HealthProbe(src->if_contains("readinessProbe"), "/readyz", std::nullopt, std::nullopt);
  m["volumeMounts"] =
      Append(src->if_contains("volumeMounts"),
             {Mount(api::kTmpVolume, kTmpPath), Mount(api::kRunVolume, kRunPath),
              Mount(api::kVarLogVolume, kLogDirPath), Mount(api::kConfVolume, kMySQLConfPath),
              Mount(api::kInitConfVolume, kMySQLInitConfPath),
              Mount(api::kConfSecretVolume, kMyCnfSecretPath, true),
              Mount(api::kDataVolume, kMySQLDataPath)});
  DefaultSecurityContext(m, o);
  return m;
}

// The agent sidecar. kcx runs its own agent (`kcx mysql agent`) from the kcx image instead of
// moco-agent; the arguments keep moco-agent's names. MOCO's agent also serves gRPC over mTLS
// with a cert-manager certificate mounted from the Secret moco-<name>-grpc; kcx's agent has no
// such certificate, so the grpc-cert volume and mount are not rendered (the port stays).
json::object AgentContainer(const api::MySQLCluster& c, const RenderOptions& o) {
  json::array args;
  // max-delay is always given (0 disables the lag check), as MOCO does since the field is
  // defaulted.
  args.push_back("--max-delay");
  args.push_back(json::string(std::to_string(c.max_delay_seconds) + "s"));
  if (!c.log_rotation_schedule.empty()) {
    args.push_back("--log-rotation-schedule");
    args.push_back(json::string(c.log_rotation_schedule));
  }
  if (c.log_rotation_size) {
    if (auto q = kcx::api::Quantity::Parse(*c.log_rotation_size); q.ok() && q->Sign() > 0) {
      args.push_back("--log-rotation-size");
      args.push_back(json::string(std::to_string(q->Value())));
    }
  }
  if (c.agent_use_localhost) {
    args.push_back("--mysqld-localhost");
    args.push_back("true");
  }
  json::object a{
      {"name", api::kAgentContainer},
      {"image", o.agent_image},
      {"command", json::array{o.agent_binary, "mysql", "agent"}},
      {"args", std::move(args)},
      {"ports", json::array{Port(api::kAgentPortName, api::kAgentPort),
                            Port(api::kAgentMetricsPortName, api::kAgentMetricsPort)}},
      {"env", json::array{PodNameEnv(), json::object{{"name", "CLUSTER_NAME"}, {"value", c.name}}}},
      {"envFrom", json::array{json::object{
                      {"secretRef", json::object{{"name", api::UserSecretName(c.name)}}}}}},
      {"volumeMounts",
       json::array{Mount(api::kRunVolume, kRunPath), Mount(api::kVarLogVolume, kLogDirPath)}},
      {"resources", Resources(kAgentResources)},
  };
  DefaultSecurityContext(a, o);
  ApplyOverwrites(c, a);
  return a;
}

json::object SlowLogContainer(const api::MySQLCluster& c, const RenderOptions& o) {
  json::object s{
      {"name", api::kSlowLogContainer},
      {"image", o.fluent_bit_image},
      {"volumeMounts", json::array{Mount(api::kSlowLogConfigVolume, kFluentBitConfigPath, true),
                                   Mount(api::kVarLogVolume, kLogDirPath)}},
      {"resources", Resources(kSlowLogResources)},
  };
  DefaultSecurityContext(s, o);
  ApplyOverwrites(c, s);
  return s;
}

json::object ExporterContainer(const api::MySQLCluster& c, const RenderOptions& o) {
  json::array args{"--config.my-cnf=" + Join(kMyCnfSecretPath, "moco-exporter-my.cnf")};
  for (const auto& col : c.collectors)
    args.push_back(json::string("--collect." + col));
  json::object e{
      {"name", api::kExporterContainer},
      {"image", o.exporter_image},
      {"args", std::move(args)},
      {"ports", json::array{Port(api::kExporterPortName, api::kExporterPort)}},
      {"volumeMounts", json::array{Mount(api::kRunVolume, kRunPath),
                                   Mount(api::kConfSecretVolume, kMyCnfSecretPath, true)}},
      {"resources", Resources(kExporterResources)},
  };
  DefaultSecurityContext(e, o);
  ApplyOverwrites(c, e);
  return e;
}

// The init step. MOCO copies its moco-init binary from the agent image into a shared emptyDir
// (copy-moco-init), then runs it in the mysqld image (moco-init) to initialize the data
// directory and write server_id = base + ordinal and report_host into /etc/mysql-conf.d. kcx
// does the same with its own binary: `kcx mysql init`, same flags as moco-init.
json::array InitContainers(const api::MySQLCluster& c, const std::string& mysqld_image,
                           const RenderOptions& o) {
  const std::string shared_binary = Join(kSharedPath, "kcx");
  json::object copy{
      {"name", api::kCopyInitContainer},
      {"image", o.agent_image},
      {"command", json::array{"cp", o.agent_binary, shared_binary}},
      {"volumeMounts", json::array{Mount(kSharedVolume, kSharedPath)}},
      {"resources", Resources(kInitResources)},
  };
  DefaultSecurityContext(copy, o);
  ApplyOverwrites(c, copy);

  json::array cmd{
      shared_binary,
      "mysql",
      "init",
      "--data-dir=" + S(kMySQLDataPath),
      "--conf-dir=" + S(kMySQLInitConfPath),
      std::string("--initialize-timezone-data=") + (c.initialize_timezone_data ? "true" : "false")};
  if (c.agent_use_localhost)
    cmd.push_back("--mysqld-localhost=true");
  cmd.push_back(json::string(std::to_string(c.server_id_base)));
  json::object init{
      {"name", api::kInitContainer},
      {"image", mysqld_image},
      {"command", std::move(cmd)},
      {"env", json::array{PodNameEnv()}},
      {"volumeMounts", json::array{Mount(api::kDataVolume, kMySQLDataPath),
                                   Mount(api::kInitConfVolume, kMySQLInitConfPath),
                                   Mount(kSharedVolume, kSharedPath)}},
      {"resources", Resources(kInitResources)},
  };
  DefaultSecurityContext(init, o);
  ApplyOverwrites(c, init);

  json::array out{std::move(copy), std::move(init)};
  if (const json::array* user = kcx::api::GetArray(PodSpecOf(c), "initContainers")) {
    for (const auto& v : *user) {
      if (!v.is_object())
        continue;
      json::object ic = v.get_object();
      DefaultSecurityContext(ic, o);
      out.push_back(std::move(ic));
    }
  }
  return out;
}

json::object EmptyDirVolume(std::string_view name) {
  return json::object{{"name", name}, {"emptyDir", json::object()}};
}

json::object ConfigMapVolume(std::string_view name, std::string_view cm) {
  return json::object{{"name", name},
                      {"configMap", json::object{{"name", cm}, {"defaultMode", kFileMode0644}}}};
}

json::object SecretVolume(std::string_view name, std::string_view secret) {
  return json::object{
      {"name", name},
      {"secret", json::object{{"secretName", secret}, {"defaultMode", kFileMode0644}}}};
}

json::object ServiceFromTemplate(const api::MySQLCluster& c,
                                 const std::optional<json::object>& tmpl, std::string_view name,
                                 std::string_view role) {
  StringMap tmpl_labels, tmpl_annotations;
  json::object spec;
  if (tmpl) {
    if (const json::object* md = kcx::api::GetObject(*tmpl, "metadata")) {
      tmpl_labels = StringMapOf(kcx::api::GetObject(*md, "labels"));
      tmpl_annotations = StringMapOf(kcx::api::GetObject(*md, "annotations"));
    }
    if (const json::object* s = kcx::api::GetObject(*tmpl, "spec"))
      spec = *s;
  }
  json::object svc = Owned(c, "v1", "Service", name, tmpl_labels, tmpl_annotations);
  // Not overridable: the cluster IP is the API server's to allocate and the selector is what
  // makes this the primary/replica Service.
  spec.erase("clusterIP");
  spec.erase("clusterIPs");
  StringMap selector = api::ClusterLabels(c.name);
  selector[std::string(api::kLabelRole)] = std::string(role);
  spec["selector"] = Labels(selector);
  // The mysql and mysqlx ports are forced: template ports with their names or numbers go.
  json::array ports;
  if (const json::array* tp = kcx::api::GetArray(spec, "ports")) {
    for (const auto& p : *tp) {
      const json::object* po = p.if_object();
      if (!po)
        continue;
      std::string_view pn = kcx::api::GetString(*po, "name");
      int64_t num = kcx::api::GetInt(*po, "port");
      if (pn == api::kMysqlPortName || pn == api::kMysqlXPortName || num == api::kMysqlPort ||
          num == api::kMysqlXPort) {
        continue;
      }
      ports.push_back(p);
    }
  }
  ports.push_back(ServicePort(api::kMysqlPortName, api::kMysqlPort));
  ports.push_back(ServicePort(api::kMysqlXPortName, api::kMysqlXPort));
  spec["ports"] = std::move(ports);
  svc["spec"] = std::move(spec);
  return svc;
}

uint32_t Fnv32a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 16777619u;
  }
  return h;
}

bool IsHex8(std::string_view s) {
  return s.size() == 8 && std::all_of(s.begin(), s.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

json::object SecretData(const StringMap& plain) {
  json::object d;
  for (const auto& [k, v] : plain)
    d[k] = Base64Encode(v);
  return d;
}

StringMap PasswordMap(const Passwords& pw) {
  StringMap m;
  for (SystemUser u : kAllSystemUsers)
    m[std::string(PasswordKey(u))] = pw.Get(u);
  return m;
}

StringMap SecretVersionAnnotation() { return {{std::string(api::kAnnSecretVersion), "1"}}; }

}  // namespace

std::string SlowLogConfigMapName(std::string_view name) {
  return "moco-slow-log-agent-config-" + S(name);
}

json::object OwnerReference(const api::MySQLCluster& c) {
  return json::object{{"apiVersion", api::kApiVersion},
                      {"kind", api::kKind},
                      {"name", c.name},
                      {"uid", c.uid},
                      {"controller", true},
                      {"blockOwnerDeletion", true}};
}

json::object RenderControllerSecret(const api::MySQLCluster& c, const Passwords& pw,
                                    const RenderOptions& o) {
  StringMap labels = api::ClusterLabels(c.name);
  labels[std::string(kLabelAppNamespace)] = c.ns;
  json::object s = Head("v1", "Secret",
                        Meta(api::ControllerSecretName(c.ns, c.name), o.controller_namespace,
                             labels, SecretVersionAnnotation(), nullptr));
  s["data"] = SecretData(PasswordMap(pw));
  return s;
}

json::object RenderUserSecret(const api::MySQLCluster& c, const Passwords& pw) {
  json::object s =
      Owned(c, "v1", "Secret", api::UserSecretName(c.name), {}, SecretVersionAnnotation());
  s["data"] = SecretData(PasswordMap(pw));
  return s;
}

json::object RenderMyCnfSecret(const api::MySQLCluster& c, const Passwords& pw) {
  StringMap files;
  for (SystemUser u : {SystemUser::kAdmin, SystemUser::kExporter, SystemUser::kBackup,
                       SystemUser::kReadonly, SystemUser::kWritable}) {
    std::string user(UserName(u));
    files[user + "-my.cnf"] = "[client]\nuser=\"" + user + "\"\npassword=\"" + pw.Get(u) + "\"\n";
  }
  json::object s =
      Owned(c, "v1", "Secret", api::MyCnfSecretName(c.name), {}, SecretVersionAnnotation());
  s["data"] = SecretData(files);
  return s;
}

std::string MyCnfContent(const api::MySQLCluster& c, const StringMap* user_conf, Flavor flavor) {
  MyCnfOptions o;
  o.flavor = flavor;
  // Overridden per Pod by the init container's file in /etc/mysql-conf.d (included last).
  o.server_id = std::max<uint32_t>(1, c.server_id_base);
  o.port = api::kMysqlPort;
  o.datadir = Join(kMySQLDataPath, "data");
  o.socket = Join(kRunPath, "mysqld.sock");
  o.pid_file = Join(kRunPath, "mysqld.pid");
  // No log_error: mysqld logs to stderr, i.e. the container log (as MOCO).
  o.memory_bytes = MysqldMemory(c);
  // MOCO's defaults the user may override.
  StringMap conf{{"tmpdir", S(kTmpPath)}, {"slow_query_log", "ON"}, {"long_query_time", "2"}};
  if (user_conf) {
    for (const auto& [k, v] : *user_conf)
      conf[k == "_include" ? k : Canon(k)] = v;
  }
  // Forced: the slow-log sidecar tails this file; the X protocol and admin ports are what the
  // Services and the operator use.
  conf["slow_query_log_file"] = Join(kLogDirPath, kSlowLogName);
  if (flavor == Flavor::kMySQL) {
    conf["mysqlx_port"] = std::to_string(api::kMysqlXPort);
    conf["admin_port"] = std::to_string(api::kMysqlAdminPort);
  }
  o.user = std::move(conf);
  return GenerateMyCnf(o) + "\n!includedir " + S(kMySQLInitConfPath) + "\n";
}

std::string MyCnfConfigMapName(std::string_view name, std::string_view content) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", Fnv32a(content));
  return api::PrefixedName(name) + "." + hex;
}

json::object RenderMyCnfConfigMap(const api::MySQLCluster& c, const StringMap* user_conf,
                                  Flavor flavor) {
  std::string content = MyCnfContent(c, user_conf, flavor);
  json::object cm = Owned(c, "v1", "ConfigMap", MyCnfConfigMapName(c.name, content));
  cm["data"] = json::object{{kMySQLConfName, content}};
  return cm;
}

std::optional<json::object> RenderSlowLogConfigMap(const api::MySQLCluster& c) {
  if (c.disable_slow_query_log_container)
    return std::nullopt;
  // fluent-bit tails the slow log and writes each record to its stdout.
  std::string conf =
      "[SERVICE]\n"
      "  Log_Level      error\n"
      "[INPUT]\n"
      "  Name           tail\n"
      "  Path           " +
      Join(kLogDirPath, kSlowLogName) +
      "\n"
      "  Read_from_Head true\n"
      "[OUTPUT]\n"
      "  Name           file\n"
      "  Match          *\n"
      "  Path           /dev\n"
      "  File           stdout\n"
      "  Format         template\n"
      "  Template       {log}\n";
  json::object cm = Owned(c, "v1", "ConfigMap", SlowLogConfigMapName(c.name));
  cm["data"] = json::object{{kFluentBitConfigName, conf}};
  return cm;
}

json::object RenderServiceAccount(const api::MySQLCluster& c) {
  return Owned(c, "v1", "ServiceAccount", api::PrefixedName(c.name));
}

json::object RenderHeadlessService(const api::MySQLCluster& c) {
  json::object svc = Owned(c, "v1", "Service", api::PrefixedName(c.name));
  svc["spec"] = json::object{
      {"clusterIP", "None"},
      {"type", "ClusterIP"},
      {"publishNotReadyAddresses", true},
      {"selector", Labels(api::ClusterLabels(c.name))},
      {"ports", json::array{ServicePort(api::kMysqlPortName, api::kMysqlPort),
                            ServicePort(api::kMysqlXPortName, api::kMysqlXPort),
                            ServicePort(api::kMysqlAdminPortName, api::kMysqlAdminPort)}},
  };
  return svc;
}

json::object RenderPrimaryService(const api::MySQLCluster& c) {
  return ServiceFromTemplate(c, c.primary_service_template, api::PrimaryServiceName(c.name),
                             api::kRolePrimary);
}

json::object RenderReplicaService(const api::MySQLCluster& c) {
  return ServiceFromTemplate(c, c.replica_service_template, api::ReplicaServiceName(c.name),
                             api::kRoleReplica);
}

Result<json::object> RenderStatefulSet(const api::MySQLCluster& c,
                                       const std::string& mycnf_configmap_name,
                                       const RenderOptions& o) {
  auto mysqld = MysqldContainer(c, o);
  if (!mysqld.ok())
    return mysqld.status();
  const std::string mysqld_image(kcx::api::GetString(*mysqld, "image"));
  const json::object& user_spec = PodSpecOf(c);
  const bool slow_log = !c.disable_slow_query_log_container;

  json::object spec = user_spec;
  spec["serviceAccountName"] = api::PrefixedName(c.name);
  if (!spec.contains("terminationGracePeriodSeconds")) {
    spec["terminationGracePeriodSeconds"] = kDefaultTerminationGracePeriodSeconds;
  }

  json::array volumes = Append(
      user_spec.if_contains("volumes"),
      {EmptyDirVolume(api::kTmpVolume), EmptyDirVolume(api::kRunVolume),
       EmptyDirVolume(api::kVarLogVolume), EmptyDirVolume(api::kInitConfVolume),
       EmptyDirVolume(kSharedVolume), ConfigMapVolume(api::kConfVolume, mycnf_configmap_name),
       SecretVolume(api::kConfSecretVolume, api::MyCnfSecretName(c.name))});
  if (slow_log) {
    volumes.push_back(ConfigMapVolume(api::kSlowLogConfigVolume, SlowLogConfigMapName(c.name)));
  }
  spec["volumes"] = std::move(volumes);

  json::array containers{std::move(*mysqld), AgentContainer(c, o)};
  if (slow_log)
    containers.push_back(SlowLogContainer(c, o));
  if (!c.collectors.empty())
    containers.push_back(ExporterContainer(c, o));
  // The user's other containers (MOCO's makeV1OptionalContainers): a user `agent` is dropped;
  // user `slow-log`/`mysqld-exporter` only stay when the operator does not add its own.
  if (const json::array* ucs = kcx::api::GetArray(user_spec, "containers")) {
    for (const auto& v : *ucs) {
      const json::object* uc = v.if_object();
      if (!uc)
        continue;
      std::string_view n = kcx::api::GetString(*uc, "name");
      if (n == api::kMysqldContainer || n == api::kAgentContainer)
        continue;
      if (n == api::kSlowLogContainer && slow_log)
        continue;
      if (n == api::kExporterContainer && !c.collectors.empty())
        continue;
      json::object copy = *uc;
      DefaultSecurityContext(copy, o);
      containers.push_back(std::move(copy));
    }
  }
  spec["containers"] = std::move(containers);
  spec["initContainers"] = InitContainers(c, mysqld_image, o);

  if (!o.disable_default_security_context) {
    json::object& psc = kcx::api::EnsureObject(spec, "securityContext");
    if (!psc.contains("fsGroup"))
      psc["fsGroup"] = api::kContainerGid;
    if (!psc.contains("fsGroupChangePolicy"))
      psc["fsGroupChangePolicy"] = "OnRootMismatch";
  }
  if (!spec.contains("affinity")) {
    // Spread instances over nodes when possible (soft: a one-node cluster still schedules).
    StringMap match{{std::string(api::kLabelAppName), std::string(api::kAppName)},
                    {std::string(api::kLabelAppInstance), c.name}};
    spec["affinity"] = json::object{
        {"podAntiAffinity",
         json::object{
             {"preferredDuringSchedulingIgnoredDuringExecution",
              json::array{json::object{
                  {"weight", 100},
                  {"podAffinityTerm",
                   json::object{{"labelSelector", json::object{{"matchLabels", Labels(match)}}},
                                {"topologyKey", "kubernetes.io/hostname"}}}}}}}}};
  }

  // Pod template metadata: the user's labels and annotations, cluster labels winning.
  StringMap tlabels, tannotations;
  if (const json::object* md = kcx::api::GetObject(c.pod_template, "metadata")) {
    tlabels = StringMapOf(kcx::api::GetObject(*md, "labels"));
    tannotations = StringMapOf(kcx::api::GetObject(*md, "annotations"));
  }
  for (auto& [k, v] : api::ClusterLabels(c.name))
    tlabels[k] = v;
  json::object tmeta;
  tmeta["labels"] = Labels(tlabels);
  if (!tannotations.empty())
    tmeta["annotations"] = Labels(tannotations);

  // Claim templates as MOCO's ToCoreV1: the user's name/labels/annotations, volumeMode
  // Filesystem (and accessModes ReadWriteOnce) by default, status.phase Pending (the API
  // server defaults it; owning it keeps the applied and stored templates equal), and an
  // ownerReference to the cluster so that PVCs go with it.
  json::array vcts;
  json::object owner = OwnerReference(c);
  for (const auto& t : c.volume_claim_templates) {
    const json::object* md = kcx::api::GetObject(t, "metadata");
    std::string_view tname = md ? kcx::api::GetString(*md, "name") : std::string_view();
    json::object pmd =
        Meta(tname, "", StringMapOf(md ? kcx::api::GetObject(*md, "labels") : nullptr),
             StringMapOf(md ? kcx::api::GetObject(*md, "annotations") : nullptr), &owner);
    const json::object* ts = kcx::api::GetObject(t, "spec");
    json::object pspec = ts ? *ts : json::object();
    const json::array* am = kcx::api::GetArray(pspec, "accessModes");
    if (!am || am->empty())
      pspec["accessModes"] = json::array{"ReadWriteOnce"};
    if (kcx::api::GetString(pspec, "volumeMode").empty())
      pspec["volumeMode"] = "Filesystem";
    json::object pvc;
    // The API server defaults these in stored templates; the list is atomic, so leaving them
    // out would make every apply differ from what is stored.
    pvc["apiVersion"] = "v1";
    pvc["kind"] = "PersistentVolumeClaim";
    pvc["metadata"] = std::move(pmd);
    pvc["spec"] = std::move(pspec);
    pvc["status"] = json::object{{"phase", "Pending"}};
    vcts.push_back(std::move(pvc));
  }

  json::object sts = Owned(c, "apps/v1", "StatefulSet", api::PrefixedName(c.name));
  json::object sspec;
  sspec["replicas"] = c.offline ? 0 : c.replicas;
  sspec["selector"] = json::object{{"matchLabels", Labels(api::ClusterLabels(c.name))}};
  sspec["podManagementPolicy"] = "Parallel";
  sspec["updateStrategy"] = json::object{{"type", "RollingUpdate"}};
  sspec["serviceName"] = api::PrefixedName(c.name);
  if (!vcts.empty())
    sspec["volumeClaimTemplates"] = std::move(vcts);
  sspec["template"] = json::object{{"metadata", std::move(tmeta)}, {"spec", std::move(spec)}};
  sts["spec"] = std::move(sspec);
  return sts;
}

std::optional<json::object> RenderPodDisruptionBudget(const api::MySQLCluster& c) {
  if (c.replicas < 3 || c.offline)
    return std::nullopt;
  json::object pdb = Owned(c, "policy/v1", "PodDisruptionBudget", api::PrefixedName(c.name));
  pdb["spec"] =
      json::object{{"maxUnavailable", c.replicas / 2},
                   {"selector", json::object{{"matchLabels", Labels(api::ClusterLabels(c.name))}}}};
  return pdb;
}

std::vector<std::string> StaleMyCnfConfigMaps(std::string_view cluster_name,
                                              std::string_view current,
                                              const std::vector<ConfigMapInfo>& existing,
                                              int limit) {
  const std::string prefix = api::PrefixedName(cluster_name) + ".";
  using Key = std::tuple<int64_t, std::string, std::string>;  // (time, timestamp, name)
  std::vector<Key> old;
  for (const auto& cm : existing) {
    if (cm.name == current || !StartsWith(cm.name, prefix))
      continue;
    if (!IsHex8(std::string_view(cm.name).substr(prefix.size())))
      continue;
    auto t = ParseRfc3339(cm.creation_timestamp);
    int64_t secs =
        t ? std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count()
          : INT64_MIN;
    old.emplace_back(secs, cm.creation_timestamp, cm.name);
  }
  // Newest first; equal times by name, so the choice is stable.
  std::sort(old.begin(), old.end(), [](const Key& a, const Key& b) {
    if (std::get<0>(a) != std::get<0>(b))
      return std::get<0>(a) > std::get<0>(b);
    return std::get<2>(a) < std::get<2>(b);
  });
  std::vector<std::string> out;
  for (size_t i = std::max(0, limit); i < old.size(); ++i)
    out.push_back(std::get<2>(old[i]));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kcx::mysql::controllers
