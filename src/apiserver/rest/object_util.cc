#include "apiserver/rest/object_util.h"

#include "api/json.h"
#include "apiserver/http/request.h"
#include "api/label_selector.h"
#include "api/validation.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace {
Status WithDetails(Status s, const ResourceEntry& e, std::string_view name) {
  StatusDetails& d = s.mutable_details();
  d.name = std::string(name);
  d.group = e.info->group;
  d.kind = e.info->resource;
  return s;
}
}  // namespace

Status NotFoundError(const ResourceEntry& e, std::string_view name) {
  return WithDetails(NotFound(e.qualified + " \"" + std::string(name) + "\" not found"), e, name);
}

Status AlreadyExistsError(const ResourceEntry& e, std::string_view name) {
  return WithDetails(AlreadyExists(e.qualified + " \"" + std::string(name) + "\" already exists"),
                     e, name);
}

Status ConflictError(const ResourceEntry& e, std::string_view name, std::string_view why) {
  return WithDetails(Conflict("Operation cannot be fulfilled on " + e.qualified + " \"" +
                              std::string(name) + "\": " + std::string(why)),
                     e, name);
}

Status ModifiedConflict(const ResourceEntry& e, std::string_view name) {
  return ConflictError(e, name,
                       "the object has been modified; please apply your changes to the latest "
                       "version and try again");
}

Status InvalidError(const ResourceEntry& e, std::string_view name,
                    std::vector<StatusCause> causes) {
  std::string msg = api::FormatInvalidMessage(e.info->kind, name, causes);
  Status s = Invalid(std::move(msg), std::move(causes));
  StatusDetails& d = s.mutable_details();
  d.name = std::string(name);
  d.group = e.info->group;
  d.kind = e.info->kind;
  return s;
}

std::string ConvertStoredJson(const ResourceEntry& e, const std::string& stored) {
  auto v = api::ParseJson(stored);
  if (!v.ok() || !v->is_object()) return stored;
  boost::json::object& o = v->get_object();
  if (api::GetString(o, "apiVersion") != e.storage_group_version) return stored;
  o["apiVersion"] = e.group_version;
  return boost::json::serialize(o);
}

Responder ConvertingResponder(const ResourceEntry& e, Responder r) {
  if (!e.NeedsConversion()) return r;
  return [&e, r = std::move(r)](Response resp) {
    if (resp.code >= 200 && resp.code < 300 && !resp.body.empty()) {
      resp.body = ConvertStoredJson(e, resp.body);
    }
    r(std::move(resp));
  };
}

Record PrepareRecord(const ResourceEntry& e, const boost::json::object& obj) {
  Record r;
  const boost::json::object* meta = api::GetObject(obj, "metadata");
  std::string_view name, ns;
  const boost::json::value* labels = nullptr;
  if (meta) {
    name = api::GetString(*meta, "name");
    ns = api::GetString(*meta, "namespace");
    auto it = meta->find("labels");
    if (it != meta->end()) labels = &it->value();
  }
  r.name = std::string(name);
  r.ns = e.info->namespaced ? std::string(ns) : std::string();
  r.key = e.Key(r.ns, r.name);
  r.labels = api::LabelSetFromJson(labels);
  if (e.info->field_fn) {
    r.fields.reserve(e.info->field_labels.size());
    for (const auto& f : e.info->field_labels) {
      r.fields.push_back(e.info->field_fn(obj, f).value_or(""));
    }
  }
  return r;
}

std::string SerializeWithRv(boost::json::object& obj, uint64_t rv) {
  api::EnsureObject(obj, "metadata")["resourceVersion"] = std::to_string(rv);
  return boost::json::serialize(obj);
}

OutputKind NegotiateOutput(std::string_view accept, bool list) {
  if (accept.empty()) return OutputKind::kJson;
  // Take the first media range we can produce, in the client's order.
  for (std::string_view range : Split(accept, ',')) {
    range = Trim(range);
    auto parts = Split(range, ';');
    std::string_view mime = Trim(parts[0]);
    std::string_view as, g;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string_view p = Trim(parts[i]);
      if (StartsWith(p, "as=")) as = p.substr(3);
      if (StartsWith(p, "g=")) g = p.substr(2);
    }
    bool json_ok = mime == "application/json" || mime == "*/*" || mime == "application/*";
    if (!json_ok) continue;
    if (as.empty()) return OutputKind::kJson;
    if (g != "meta.k8s.io") continue;
    if (as == "Table") return OutputKind::kTable;
    if (as == (list ? "PartialObjectMetadataList" : "PartialObjectMetadata")) {
      return OutputKind::kPartialMetadata;
    }
  }
  return OutputKind::kUnacceptable;
}

std::optional<std::string> RecordField(const ResourceEntry& e, const Record& r,
                                       std::string_view field) {
  if (field == "metadata.name") return r.name;
  if (field == "metadata.namespace") return r.ns;
  const auto& labels = e.info->field_labels;
  for (size_t i = 0; i < labels.size() && i < r.fields.size(); ++i) {
    if (labels[i] == field) return r.fields[i];
  }
  return std::nullopt;
}

}  // namespace kcx::apiserver
