// Kubernetes' field manager layers (k8s.io/apiserver/pkg/util/managedfields/internal) over
// the SMD updater: managed-fields decoding and encoding, manager identifiers, stripping of
// metadata fields nobody owns, "current-operation" merging for updates, times, the cap on
// Update entries, reset fields and conflict errors.

#include "api/ssa/field_manager.h"

#include <algorithm>
#include <map>
#include <optional>

#include "api/ssa/fieldpath.h"
#include "api/ssa/schema.h"
#include "api/ssa/typed.h"
#include "api/ssa/updater.h"

namespace kcx::api::ssa {

namespace {

constexpr int kMaxUpdateManagers = 10;
constexpr std::string_view kAncientChanges = "ancient-changes";
constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

struct EntryMeta {
  std::string manager;
  std::string operation;
  std::string subresource;
  std::string time;  // empty: no time
};

struct Managed {
  ManagedFields fields;
  std::map<std::string, EntryMeta> meta;  // by identifier
};

// BuildManagerIdentifier: the JSON of the entry without time and fields (and, for Apply,
// without apiVersion, so an applier keeps one entry across versions).
std::string Identifier(std::string_view manager, std::string_view operation,
                       std::string_view api_version, std::string_view subresource) {
  std::string id = "{";
  bool first = true;
  auto add = [&](std::string_view k, std::string_view v) {
    if (v.empty())
      return;
    if (!first)
      id.push_back(',');
    first = false;
    AppendGoJsonString(id, k);
    id.push_back(':');
    AppendGoJsonString(id, v);
  };
  add("manager", manager);
  add("operation", operation);
  if (operation != "Apply")
    add("apiVersion", api_version);
  add("subresource", subresource);
  id.push_back('}');
  return id;
}

std::string_view Str(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : "";
}

Result<Managed> DecodeManaged(const json::value* list) {
  Managed m;
  if (list == nullptr || list->is_null())
    return m;
  if (!list->is_array())
    return BadRequest("metadata.managedFields must be a list");
  size_t i = 0;
  for (const json::value& ev : list->get_array()) {
    if (!ev.is_object())
      return BadRequest("managed fields entry must be an object");
    const json::object& e = ev.get_object();
    std::string_view op = Str(e, "operation");
    if (op != "Apply" && op != "Update") {
      return BadRequest("operation must be `Apply` or `Update`");
    }
    std::string_view av = Str(e, "apiVersion");
    if (av.empty())
      return BadRequest("apiVersion must not be empty");
    std::string_view ft = Str(e, "fieldsType");
    if (ft.empty()) {
      return BadRequest("missing fieldsType in managed fields entry " + std::to_string(i));
    }
    if (ft != "FieldsV1") {
      return BadRequest("invalid fieldsType \"" + std::string(ft) + "\" in managed fields entry " +
                        std::to_string(i));
    }
    Set set;
    if (const json::value* f = e.if_contains("fieldsV1")) {
      auto s = Set::FromFieldsV1(*f);
      if (!s.ok())
        return BadRequest("error decoding versioned set: " + s.status().message());
      set = std::move(*s);
    }
    std::string_view sub = Str(e, "subresource");
    std::string id = Identifier(Str(e, "manager"), op, av, sub);
    m.fields[id] = VersionedSet{std::move(set), std::string(av), op == "Apply"};
    m.meta[id] = EntryMeta{std::string(Str(e, "manager")), std::string(op), std::string(sub),
                           std::string(Str(e, "time"))};
    ++i;
  }
  return m;
}

Managed DecodeOrEmpty(const json::value* list) {
  auto m = DecodeManaged(list);
  return m.ok() ? std::move(*m) : Managed{};
}

// A present empty list, or a single empty entry, asks to reset the managed fields.
bool IsReset(const json::value& v) {
  if (!v.is_array())
    return false;
  const json::array& a = v.get_array();
  if (a.empty())
    return true;
  if (a.size() != 1 || !a[0].is_object())
    return false;
  for (const auto& kv : a[0].get_object()) {
    const json::value& x = kv.value();
    bool empty = x.is_null() || (x.is_string() && x.get_string().empty()) ||
                 (x.is_object() && x.get_object().empty() && kv.key() != "fieldsV1");
    if (!empty)
      return false;
  }
  return true;
}

json::array EncodeManaged(const Managed& m) {
  struct Row {
    const EntryMeta* meta;
    const VersionedSet* vs;
  };
  std::vector<Row> rows;
  rows.reserve(m.fields.size());
  for (const auto& [id, vs] : m.fields)
    rows.push_back({&m.meta.at(id), &vs});
  std::sort(rows.begin(), rows.end(), [](const Row& p, const Row& q) {
    if (p.meta->operation != q.meta->operation)
      return p.meta->operation < q.meta->operation;
    if (p.meta->time != q.meta->time)
      return p.meta->time < q.meta->time;
    if (p.meta->manager != q.meta->manager)
      return p.meta->manager < q.meta->manager;
    if (p.vs->api_version != q.vs->api_version)
      return p.vs->api_version < q.vs->api_version;
    return p.meta->subresource < q.meta->subresource;
  });
  json::array out;
  out.reserve(rows.size());
  for (const Row& r : rows) {
    json::object e;
    e["manager"] = r.meta->manager;
    e["operation"] = r.meta->operation;
    e["apiVersion"] = r.vs->api_version;
    if (!r.meta->time.empty())
      e["time"] = r.meta->time;
    e["fieldsType"] = "FieldsV1";
    e["fieldsV1"] = r.vs->set.ToFieldsV1Value();
    if (!r.meta->subresource.empty())
      e["subresource"] = r.meta->subresource;
    out.push_back(std::move(e));
  }
  return out;
}

void SetManagedFields(json::object& obj, const Managed& m) {
  if (m.fields.empty()) {
    if (json::value* md = obj.if_contains("metadata"); md != nullptr && md->is_object()) {
      md->get_object().erase("managedFields");
    }
    return;
  }
  json::value& md = obj["metadata"];
  if (!md.is_object())
    md = json::object();
  md.get_object()["managedFields"] = EncodeManaged(m);
}

const Set& StripSet() {
  static const Set* s = [] {
    auto* set = new Set();
    for (const char* f : {"apiVersion", "kind", "metadata"}) {
      set->Insert({PathElement::Field(f)});
    }
    for (const char* f : {"name", "namespace", "creationTimestamp", "selfLink", "uid",
                          "clusterName", "generation", "managedFields", "resourceVersion"}) {
      set->Insert({PathElement::Field("metadata"), PathElement::Field(f)});
    }
    return set;
  }();
  return *s;
}

// The fields a write may not own: a write to the main resource of a type with a status
// subresource does not own status; a /status write does not own spec.
Set ResetFields(const WriteContext& ctx) {
  Set s;
  if (ctx.subresource == "status") {
    s.Insert({PathElement::Field("spec")});
  } else if (ctx.subresource.empty() && ctx.has_status_subresource) {
    s.Insert({PathElement::Field("status")});
  }
  return s;
}

const json::value* ManagedFieldsOf(const json::object* obj) {
  if (obj == nullptr)
    return nullptr;
  const json::value* md = obj->if_contains("metadata");
  if (md == nullptr || !md->is_object())
    return nullptr;
  return md->get_object().if_contains("managedFields");
}

// capManagersManager: merges the oldest Update entries into "ancient-changes" buckets per
// apiVersion until at most kMaxUpdateManagers Update entries remain.
void CapUpdateManagers(Managed& m) {
  struct U {
    std::string id;
    std::string time;
  };
  std::vector<U> updaters;
  for (const auto& [id, vs] : m.fields) {
    if (!vs.applied)
      updaters.push_back({id, m.meta[id].time});
  }
  if (static_cast<int>(updaters.size()) <= kMaxUpdateManagers)
    return;
  std::sort(updaters.begin(), updaters.end(), [](const U& a, const U& b) {
    if (a.time != b.time)
      return a.time < b.time;
    return a.id < b.id;
  });
  std::map<std::string, std::string> first_of_version;
  size_t length = updaters.size();
  for (size_t i = 0; i < updaters.size() && length > kMaxUpdateManagers; ++i) {
    const std::string& id = updaters[i].id;
    VersionedSet vs = m.fields[id];
    std::string time = m.meta[id].time;
    const std::string& version = vs.api_version;
    std::string bucket = Identifier(kAncientChanges, "Update", version, "");
    auto first = first_of_version.find(version);
    if (first == first_of_version.end()) {
      first_of_version[version] = id;
      continue;
    }
    if (m.fields.find(bucket) == m.fields.end()) {
      VersionedSet s = std::move(m.fields[first->second]);
      m.fields.erase(first->second);
      m.meta.erase(first->second);
      m.fields[bucket] = std::move(s);
      m.meta[bucket] = EntryMeta{std::string(kAncientChanges), "Update", "", ""};
    }
    m.fields[bucket] = VersionedSet{vs.set.Union(m.fields[bucket].set), vs.api_version, false};
    m.fields.erase(id);
    m.meta.erase(id);
    --length;
    m.meta[bucket].time = time;
  }
}

std::string PrintManager(const EntryMeta& e, const std::string& api_version) {
  std::string s;
  AppendGoJsonString(s, e.manager);  // %q of a plain name
  if (!e.subresource.empty()) {
    s += " with subresource ";
    AppendGoJsonString(s, e.subresource);
  }
  if (e.operation == "Update")
    s += " using " + api_version;
  return s;
}

Status ConflictError(const Managed& m, const std::vector<Conflict>& conflicts) {
  std::vector<StatusCause> causes;
  std::map<std::string, std::vector<std::string>> by_manager;  // printed manager → paths
  for (const Conflict& c : conflicts) {
    auto meta = m.meta.find(c.manager);
    std::string printed = meta != m.meta.end()
                              ? PrintManager(meta->second, m.fields.at(c.manager).api_version)
                              : "\"" + c.manager + "\"";
    std::string path = PathString(c.path);
    causes.push_back(StatusCause{"FieldManagerConflict", "conflict with " + printed, path});
    by_manager[printed].push_back(path);
  }
  std::string message;
  if (conflicts.size() == 1) {
    message = "Apply failed with 1 conflict: " + causes[0].message + ": " + causes[0].field;
  } else {
    message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
    bool first = true;
    // Go sorts the raw identifiers; identifiers start with the manager name, so sorting the
    // printed names gives the same order.
    for (const auto& [printed, paths] : by_manager) {
      if (!first)
        message += "\n";
      first = false;
      message += "conflicts with " + printed + ":";
      for (const auto& p : paths)
        message += "\n- " + p;
    }
  }
  Status st = ::kcx::Conflict(std::move(message));
  st.mutable_details().causes = std::move(causes);
  return st;
}

// Drops members whose value is null, as converting to a typed object (built-in types) or
// pruning non-nullable nulls (custom resources) does after an apply.
void DropNulls(json::value& v) {
  if (v.is_object()) {
    json::object& o = v.get_object();
    for (auto it = o.begin(); it != o.end();) {
      if (it->value().is_null()) {
        it = o.erase(it);
      } else {
        DropNulls(it->value());
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (auto& e : v.get_array())
      DropNulls(e);
  }
}

// lastAppliedUpdater: kubectl's server-side apply keeps a client-side apply annotation in sync
// when the object has one.
void SyncLastApplied(json::object& obj, const json::object& config) {
  json::value* md = obj.if_contains("metadata");
  if (md == nullptr || !md->is_object())
    return;
  json::value* ann = md->get_object().if_contains("annotations");
  if (ann == nullptr || !ann->is_object() || !ann->get_object().contains(kLastApplied))
    return;
  json::value cfg = config;
  if (json::value* cmd = cfg.get_object().if_contains("metadata"); cmd && cmd->is_object()) {
    if (json::value* ca = cmd->get_object().if_contains("annotations"); ca && ca->is_object()) {
      ca->get_object().erase(kLastApplied);
    }
  }
  std::string text;
  AppendGoJson(text, cfg);
  text.push_back('\n');
  ann->get_object()[kLastApplied] = text;
}

// lastAppliedManager: the fields kubectl's client-side apply recorded in the last-applied
// annotation and that still hold their values in live. kubectl's server-side apply may take
// them over without force (nullopt: no usable annotation).
std::optional<Set> AllowedFromLastApplied(const TypeSchema& schema, const json::object& live) {
  const json::value* md = live.if_contains("metadata");
  if (md == nullptr || !md->is_object())
    return std::nullopt;
  const json::value* ann = md->get_object().if_contains("annotations");
  if (ann == nullptr || !ann->is_object())
    return std::nullopt;
  const json::value* last = ann->get_object().if_contains(kLastApplied);
  if (last == nullptr || !last->is_string() || last->get_string().empty())
    return std::nullopt;
  boost::system::error_code ec;
  json::value parsed = json::parse(last->get_string(), ec);
  if (ec || !parsed.is_object())
    return std::nullopt;
  auto set = ToFieldSet(parsed.get_object(), *schema.root(), /*reject_duplicates=*/true);
  if (!set.ok())
    return std::nullopt;
  auto cmp = DiffObjects(&parsed.get_object(), &live, *schema.root(),
                         Skip{nullptr, ManagedFieldsOf(&live)});
  if (!cmp.ok())
    return std::nullopt;
  return set->Difference(cmp->modified).Difference(cmp->added).Difference(cmp->removed);
}

}  // namespace

Status UpdateManagedFields(const TypeSchema& schema, const json::object* live, json::object& obj,
                           const WriteContext& ctx) {
  const json::value* live_mf = ManagedFieldsOf(live);
  const json::value* obj_mf = ManagedFieldsOf(&obj);
  Managed managed;
  if (!ctx.subresource.empty()) {
    // A subresource write cannot set managed fields: keep the live ones.
    managed = DecodeOrEmpty(live_mf);
  } else if (obj_mf != nullptr && IsReset(*obj_mf)) {
    managed = Managed{};
  } else {
    auto m = DecodeManaged(obj_mf);
    if (!m.ok() || m->fields.empty()) {
      // Clients that do not know managed fields must not drop them by accident.
      managed = DecodeOrEmpty(live_mf);
    } else {
      managed = std::move(*m);
    }
  }
  if (json::value* md = obj.if_contains("metadata"); md != nullptr && md->is_object()) {
    md->get_object().erase("managedFields");
  }

  const json::object* live_ptr = live != nullptr ? live : &schema.zero().get_object();
  Set reset = ResetFields(ctx);
  UpdaterOptions opts;
  opts.ignored = &reset;
  opts.skip.lhs = live_mf;
  static const std::string kCurrent = "current-operation";
  KCX_RETURN_IF_ERROR(
      UpdaterUpdate(schema, live_ptr, obj, ctx.api_version, managed.fields, kCurrent, opts));

  if (auto it = managed.fields.find(kCurrent); it != managed.fields.end()) {
    VersionedSet current = std::move(it->second);
    managed.fields.erase(it);
    current.set.Erase(StripSet());
    if (!current.set.Empty()) {
      std::string id = Identifier(ctx.manager, "Update", ctx.api_version, ctx.subresource);
      if (auto prev = managed.fields.find(id); prev != managed.fields.end()) {
        current.set = current.set.Union(prev->second.set);
      }
      managed.fields[id] = std::move(current);
      managed.meta[id] = EntryMeta{ctx.manager, "Update", ctx.subresource, ctx.time};
    }
  }
  CapUpdateManagers(managed);
  SetManagedFields(obj, managed);
  return Status::Ok();
}

Result<json::object> ApplyConfig(const TypeSchema& schema, const json::object* live,
                                 const json::object& config, const WriteContext& ctx, bool force) {
  std::string_view cfg_version = Str(config, "apiVersion");
  if (!ctx.kind.empty()) {
    std::string_view cfg_kind = Str(config, "kind");
    if (cfg_version != ctx.api_version || cfg_kind != ctx.kind) {
      std::string_view group, version = cfg_version;
      if (auto slash = cfg_version.find('/'); slash != std::string_view::npos) {
        group = cfg_version.substr(0, slash);
        version = cfg_version.substr(slash + 1);
      }
      return BadRequest("invalid object type: " + std::string(group) + "/" + std::string(version) +
                        ", Kind=" + std::string(cfg_kind));
    }
  }
  if (cfg_version != ctx.api_version) {
    return BadRequest("Incorrect version specified in apply patch. Specified patch version: " +
                      std::string(cfg_version) + ", expected: " + ctx.api_version);
  }
  if (const json::value* mf = ManagedFieldsOf(&config); mf != nullptr && !mf->is_null()) {
    return BadRequest("metadata.managedFields must be nil");
  }
  auto decoded = DecodeManaged(ManagedFieldsOf(live));
  if (!decoded.ok()) {
    return Internal("failed to decode managed fields: " + decoded.status().message());
  }
  Managed managed = std::move(*decoded);

  const json::object* live_ptr = live != nullptr ? live : &schema.zero().get_object();
  Set reset = ResetFields(ctx);
  UpdaterOptions opts;
  opts.ignored = &reset;
  opts.skip.lhs = ManagedFieldsOf(live);
  std::string id = Identifier(ctx.manager, "Apply", ctx.api_version, ctx.subresource);
  KCX_ASSIGN_OR_RETURN(ApplyResult res, UpdaterApply(schema, live_ptr, config, ctx.api_version,
                                                     managed.fields, id, force, opts));
  if (!res.conflicts.empty() && ctx.manager == "kubectl" && live != nullptr) {
    // Conflicts over fields kubectl itself applied client-side are not conflicts.
    if (std::optional<Set> allowed = AllowedFromLastApplied(schema, *live)) {
      std::vector<Conflict> remaining;
      for (auto& c : res.conflicts) {
        if (!allowed->Has(c.path))
          remaining.push_back(std::move(c));
      }
      if (!remaining.empty())
        return ConflictError(managed, remaining);
      KCX_ASSIGN_OR_RETURN(res, UpdaterApply(schema, live_ptr, config, ctx.api_version,
                                             managed.fields, id, /*force=*/true, opts));
    }
  }
  if (!res.conflicts.empty())
    return ConflictError(managed, res.conflicts);

  if (auto it = managed.fields.find(id); it != managed.fields.end()) {
    it->second.set.Erase(StripSet());
    if (it->second.set.Empty()) {
      managed.fields.erase(it);
      managed.meta.erase(id);
    } else {
      EntryMeta& meta = managed.meta[id];
      std::string keep_time = meta.time;
      meta = EntryMeta{ctx.manager, "Apply", ctx.subresource, keep_time};
    }
  }
  // kube stamps the applier's time only when the object changed. Unchanged, the merged object
  // equals live (without its managedFields), so it serves as the copy kube would make.
  if (res.changed) {
    if (auto it = managed.meta.find(id); it != managed.meta.end())
      it->second.time = ctx.time;
  }
  json::value out = std::move(res.object);
  if (!out.is_object())
    out = json::object();
  DropNulls(out);
  json::object& result = out.get_object();
  if (json::value* md = result.if_contains("metadata"); md != nullptr && md->is_object()) {
    md->get_object().erase("managedFields");
  }
  SetManagedFields(result, managed);
  if (ctx.manager == "kubectl")
    SyncLastApplied(result, config);
  return std::move(result);
}

}  // namespace kcx::api::ssa
