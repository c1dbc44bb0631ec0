#include "apiserver/rest/table.h"

#include "api/json.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace json = boost::json;

IncludeObject ParseIncludeObject(std::string_view v) {
  if (v == "None") return IncludeObject::kNone;
  if (v == "Object") return IncludeObject::kObject;
  return IncludeObject::kMetadata;
}

json::object PartialObjectMetadata(const json::object& obj) {
  json::object o;
  o["kind"] = "PartialObjectMetadata";
  o["apiVersion"] = "meta.k8s.io/v1";
  auto it = obj.find("metadata");
  o["metadata"] = it != obj.end() ? it->value() : json::object();
  return o;
}

json::array TableColumns(const ResourceEntry& e) {
  json::array cols;
  const auto& defs = e.info->columns;
  if (defs.empty()) {
    cols.push_back(json::object{{"name", "Name"},
                                {"type", "string"},
                                {"format", "name"},
                                {"description", "Name must be unique within a namespace."},
                                {"priority", 0}});
    cols.push_back(json::object{{"name", "Created At"},
                                {"type", "date"},
                                {"format", ""},
                                {"description", "CreationTimestamp is a timestamp representing "
                                                "the server time when this object was created."},
                                {"priority", 0}});
    return cols;
  }
  for (const auto& c : defs) {
    cols.push_back(json::object{{"name", c.name},
                                {"type", c.type},
                                {"format", c.format},
                                {"description", c.description},
                                {"priority", c.priority}});
  }
  return cols;
}

json::object TableRow(const ResourceEntry& e, const json::object& obj, IncludeObject include,
                      std::chrono::system_clock::time_point now) {
  json::array cells;
  if (e.info->row_fn && !e.info->columns.empty()) {
    cells = e.info->row_fn(obj, now);
  } else {
    const json::object* meta = api::GetObject(obj, "metadata");
    cells.push_back(json::string(meta ? api::GetString(*meta, "name") : ""));
    cells.push_back(json::string(meta ? api::GetString(*meta, "creationTimestamp") : ""));
  }
  json::object row{{"cells", std::move(cells)}};
  if (include == IncludeObject::kMetadata) {
    row["object"] = PartialObjectMetadata(obj);
  } else if (include == IncludeObject::kObject) {
    row["object"] = obj;
  }
  return row;
}

json::object MakeTable(const ResourceEntry& e, const std::vector<json::object>& objects,
                       IncludeObject include, std::chrono::system_clock::time_point now,
                       std::string_view resource_version, std::string_view continue_token,
                       bool with_columns) {
  json::object t;
  t["kind"] = "Table";
  t["apiVersion"] = "meta.k8s.io/v1";
  json::object meta;
  if (!resource_version.empty()) meta["resourceVersion"] = resource_version;
  if (!continue_token.empty()) meta["continue"] = continue_token;
  t["metadata"] = std::move(meta);
  t["columnDefinitions"] = with_columns ? TableColumns(e) : json::array();
  json::array rows;
  rows.reserve(objects.size());
  for (const auto& o : objects) rows.push_back(TableRow(e, o, include, now));
  t["rows"] = std::move(rows);
  return t;
}

}  // namespace kcx::apiserver
