#include "runtime/object.h"

#include "api/json.h"

namespace kcx::runtime {

namespace json = boost::json;

std::string ObjectKey(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string k;
  k.reserve(ns.size() + 1 + name.size());
  k.append(ns).append("/").append(name);
  return k;
}

Result<ObjectPtr> Object::FromJson(std::string text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return BadRequest("object is not a JSON object");
  auto o = std::shared_ptr<Object>(new Object());
  o->json_ = std::move(text);
  o->json_.shrink_to_fit();
  o->Index(v.get_object());
  return ObjectPtr(std::move(o));
}

ObjectPtr Object::FromValue(const json::object& obj) {
  auto o = std::shared_ptr<Object>(new Object());
  o->json_ = json::serialize(obj);
  o->Index(obj);
  return o;
}

void Object::Index(const json::object& obj) {
  const json::object* meta = api::GetObject(obj, "metadata");
  if (!meta) return;
  ns_ = api::GetString(*meta, "namespace");
  name_ = api::GetString(*meta, "name");
  uid_ = api::GetString(*meta, "uid");
  rv_ = api::GetString(*meta, "resourceVersion");
  generation_ = api::GetInt(*meta, "generation", 0);
  deleting_ = !api::GetString(*meta, "deletionTimestamp").empty();
  labels_ = api::LabelSetFromJson(meta->if_contains("labels"));
  if (const json::object* ann = api::GetObject(*meta, "annotations"); ann && !ann->empty()) {
    // Key order is the server's serialization order, which is stable for one object.
    annotations_hash_ = std::hash<std::string>()(json::serialize(*ann)) | 1;
  }
  if (const json::array* refs = api::GetArray(*meta, "ownerReferences")) {
    for (const auto& r : *refs) {
      const json::object* ro = r.if_object();
      if (!ro) continue;
      const json::value* c = ro->if_contains("controller");
      if (c && c->is_bool() && c->get_bool()) {
        controller_ = ControllerRef{std::string(api::GetString(*ro, "apiVersion")),
                                    std::string(api::GetString(*ro, "kind")),
                                    std::string(api::GetString(*ro, "name")),
                                    std::string(api::GetString(*ro, "uid"))};
        break;
      }
    }
  }
}

std::string Object::Key() const { return ObjectKey(ns_, name_); }

json::value Object::Value() const { return json::parse(json_); }

size_t Object::HeapBytes() const {
  auto cap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  size_t n = sizeof(Object) + cap(json_) + cap(ns_) + cap(name_) + cap(uid_) + cap(rv_);
  n += labels_.capacity() * sizeof(labels_[0]);
  for (const auto& [k, v] : labels_) n += cap(k) + cap(v);
  if (controller_) {
    n += cap(controller_->api_version) + cap(controller_->kind) + cap(controller_->name) +
         cap(controller_->uid);
  }
  return n;
}

}  // namespace kcx::runtime
