#pragma once

// Object: an immutable snapshot of one API object as the runtime caches it.
//
// Why this representation: an informer's cache holds every object of a resource, so memory per
// object matters (issue goal: ≤ 1.5 × the object's JSON size; client-go's typed Pods use 13–36
// KiB each). A parsed JSON tree costs several times the text, so the cache keeps the compact
// JSON text plus the few metadata fields every consumer needs (keys, resourceVersion, labels,
// the controller owner). Consumers that need more parse on demand (Value()) or decode into a
// typed struct. Objects are shared (shared_ptr<const Object>) between the store, event
// handlers and listers without copying.
//
// Thread-safe: immutable after construction.

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/label_selector.h"
#include "common/status.h"

namespace kcx::runtime {

// An ownerReference with controller=true.
struct ControllerRef {
  std::string api_version, kind, name, uid;
};

class Object;
using ObjectPtr = std::shared_ptr<const Object>;

class Object {
 public:
  // Parses and indexes a JSON object. BadRequest if it is not a JSON object.
  static Result<ObjectPtr> FromJson(std::string json);
  // From an already parsed value (serialized compactly once).
  static ObjectPtr FromValue(const boost::json::object& obj);

  const std::string& json() const { return json_; }
  std::string_view ns() const { return ns_; }
  std::string_view name() const { return name_; }
  std::string_view uid() const { return uid_; }
  std::string_view resource_version() const { return rv_; }
  int64_t generation() const { return generation_; }
  bool deleting() const { return deleting_; }
  const api::LabelSet& labels() const { return labels_; }
  const std::optional<ControllerRef>& controller() const { return controller_; }
  // A hash of metadata.annotations (0 when there are none), to detect changes cheaply.
  uint64_t annotations_hash() const { return annotations_hash_; }
  // "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc).
  std::string Key() const;

  // The full object, parsed on demand.
  boost::json::value Value() const;

  // Heap bytes this object holds (for memory accounting in benchmarks).
  size_t HeapBytes() const;

 private:
  Object() = default;
  void Index(const boost::json::object& obj);

  std::string json_;
  std::string ns_, name_, uid_, rv_;
  int64_t generation_ = 0;
  bool deleting_ = false;
  api::LabelSet labels_;
  std::optional<ControllerRef> controller_;
  uint64_t annotations_hash_ = 0;
};

// "namespace/name" or "name".
std::string ObjectKey(std::string_view ns, std::string_view name);

}  // namespace kcx::runtime
