// Merge schemas of the built-in types kcx apiserver serves.
//
// Kubernetes derives these from the Go types: every struct field is declared, lists without
// markers are atomic, lists with `+listType=map`/`+listMapKey` (or, on older fields,
// `patchStrategy=merge` + `patchMergeKey`) are associative by those keys, lists with only
// `patchStrategy=merge` or `+listType=set` are sets, and `+structType=atomic` /
// `+mapType=atomic` make a struct or map atomic. kcx models a built-in type as a "typed
// default" (every key is a declared struct field; lists atomic) overlaid with the table below
// of the paths Kubernetes declares otherwise. Declared-vs-undeclared only matters for
// non-empty object values, where it decides whether FieldsV1 carries a "." entry, so the
// default is right for every string-valued map (labels, data, resources.limits, ...).

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/ssa/schema.h"

namespace kcx::api::ssa {

namespace {

class Builder {
 public:
  explicit Builder(TypeSchema* arena) : a_(arena) {}

  // scalar | atomic list | struct whose every key is a declared field of this same type.
  const Type* Typed() {
    if (typed_ == nullptr) {
      Type* t = a_->NewType();
      t->scalar = t->is_list = t->is_map = true;
      t->all_fields_declared = true;
      t->map_elem = t;
      t->list_kind = ListKind::kAtomic;
      t->list_elem = UntypedAtomicType();
      typed_ = t;
    }
    return typed_;
  }

  const Type* Scalar() {
    if (scalar_ == nullptr) {
      Type* t = a_->NewType();
      t->scalar = true;
      scalar_ = t;
    }
    return scalar_;
  }

  struct F {
    std::string name;
    const Type* type;
    const char* default_string = nullptr;
  };

  const Type* Struct(std::vector<F> fields) {
    Type* t = a_->NewType();
    t->is_map = true;
    t->all_fields_declared = true;
    t->map_elem = Typed();
    for (auto& f : fields) {
      StructField sf;
      sf.name = std::move(f.name);
      sf.type = f.type;
      if (f.default_string != nullptr) {
        sf.has_default = true;
        sf.default_value = f.default_string;
      }
      t->fields.push_back(std::move(sf));
    }
    std::sort(t->fields.begin(), t->fields.end(),
              [](const StructField& x, const StructField& y) { return x.name < y.name; });
    return t;
  }

  const Type* AtomicStruct() {
    if (atomic_struct_ == nullptr) {
      Type* t = a_->NewType();
      t->is_map = true;
      t->map_atomic = true;
      t->map_elem = UntypedAtomicType();
      atomic_struct_ = t;
    }
    return atomic_struct_;
  }

  // A granular map of scalars (labels, annotations, data, ...).
  const Type* StringMap() {
    if (string_map_ == nullptr) {
      Type* t = a_->NewType();
      t->is_map = true;
      t->map_elem = Scalar();
      string_map_ = t;
    }
    return string_map_;
  }

  const Type* ListMap(std::vector<std::string> keys, const Type* elem) {
    Type* t = a_->NewType();
    t->is_list = true;
    t->list_kind = ListKind::kMap;
    t->keys = std::move(keys);
    t->list_elem = elem;
    return t;
  }

  const Type* ListSet() {
    if (set_ == nullptr) {
      Type* t = a_->NewType();
      t->is_list = true;
      t->list_kind = ListKind::kSet;
      t->list_elem = Scalar();
      set_ = t;
    }
    return set_;
  }

  const Type* AtomicList() {
    if (atomic_list_ == nullptr) {
      Type* t = a_->NewType();
      t->is_list = true;
      t->list_kind = ListKind::kAtomic;
      t->list_elem = UntypedAtomicType();
      atomic_list_ = t;
    }
    return atomic_list_;
  }

  const Type* ConditionList() { return ListMap({"type"}, Struct({})); }

 private:
  TypeSchema* a_;
  const Type* typed_ = nullptr;
  const Type* scalar_ = nullptr;
  const Type* atomic_struct_ = nullptr;
  const Type* string_map_ = nullptr;
  const Type* set_ = nullptr;
  const Type* atomic_list_ = nullptr;
};

// Empty Go objects as runtime.DefaultUnstructuredConverter renders them: non-pointer structs
// are always present, fields without omitempty are present with their zero value.
boost::json::value Zero(const std::string& group, const std::string& kind) {
  static const std::map<std::pair<std::string, std::string>, const char*> kZero = {
      {{"", "Namespace"}, R"({"spec":{},"status":{}})"},
      {{"", "Pod"}, R"({"spec":{"containers":null},"status":{}})"},
      {{"", "Service"}, R"({"spec":{},"status":{"loadBalancer":{}}})"},
      {{"", "PersistentVolumeClaim"}, R"({"spec":{"resources":{}},"status":{}})"},
      {{"", "PersistentVolume"}, R"({"spec":{},"status":{}})"},
      {{"", "Event"},
       R"({"involvedObject":{},"source":{},"firstTimestamp":null,"lastTimestamp":null,)"
       R"("eventTime":null,"reportingComponent":"","reportingInstance":""})"},
      {{"", "Node"},
       R"({"spec":{},"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},)"
       R"("nodeInfo":{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"",)"
       R"("osImage":"","containerRuntimeVersion":"","kubeletVersion":"",)"
       R"("kubeProxyVersion":"","operatingSystem":"","architecture":""}}})"},
      {{"apps", "StatefulSet"},
       R"({"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},)"
       R"("spec":{"containers":null}},"updateStrategy":{}},)"
       R"("status":{"replicas":0,"availableReplicas":0}})"},
      {{"apps", "Deployment"},
       R"({"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},)"
       R"("spec":{"containers":null}},"strategy":{}},"status":{}})"},
      {{"apps", "ReplicaSet"},
       R"({"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},)"
       R"("spec":{"containers":null}}},"status":{"replicas":0}})"},
      {{"apps", "DaemonSet"},
       R"({"spec":{"selector":null,"template":{"metadata":{"creationTimestamp":null},)"
       R"("spec":{"containers":null}},"updateStrategy":{}},"status":{"currentNumberScheduled":0,)"
       R"("numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}})"},
      {{"policy", "PodDisruptionBudget"},
       R"({"spec":{},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,)"
       R"("expectedPods":0}})"},
      {{"coordination.k8s.io", "Lease"}, R"({"spec":{}})"},
      {{"storage.k8s.io", "StorageClass"}, R"({"provisioner":""})"},
      {{"events.k8s.io", "Event"}, R"({"eventTime":null})"},
      {{"apiextensions.k8s.io", "CustomResourceDefinition"},
       R"({"spec":{"group":"","names":{"plural":"","kind":""},"scope":"","versions":null},)"
       R"("status":{"acceptedNames":{"plural":"","kind":""},"storedVersions":null}})"},
  };
  boost::json::value z = boost::json::object();
  if (auto it = kZero.find({group, kind}); it != kZero.end())
    z = boost::json::parse(it->second);
  z.as_object()["metadata"] = boost::json::object{{"creationTimestamp", nullptr}};
  return z;
}

struct Builtins {
  TypeSchema arena;
  const Type* object_meta = nullptr;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<TypeSchema>> kinds;
  TypeSchema deduced;

  Builtins() {
    deduced.set_root(DeducedType());
    Builder b(&arena);
    const Type* atomic = b.AtomicStruct();  // +structType=atomic (LabelSelector, *Reference)

    object_meta = b.Struct({
        {"labels", b.StringMap()},
        {"annotations", b.StringMap()},
        {"finalizers", b.ListSet()},
        {"ownerReferences", b.ListMap({"uid"}, b.Struct({}))},
        {"managedFields", b.AtomicList()},
    });

    const Type* env_var = b.Struct({
        {"valueFrom", b.Struct({{"configMapKeyRef", atomic},
                                {"secretKeyRef", atomic},
                                {"fieldRef", atomic},
                                {"resourceFieldRef", atomic}})},
    });
    const Type* container = b.Struct({
        {"ports",
         b.ListMap({"containerPort", "protocol"}, b.Struct({{"protocol", b.Scalar(), "TCP"}}))},
        {"env", b.ListMap({"name"}, env_var)},
        {"volumeMounts", b.ListMap({"mountPath"}, b.Struct({}))},
        {"volumeDevices", b.ListMap({"devicePath"}, b.Struct({}))},
        {"resources", b.Struct({{"claims", b.ListMap({"name"}, b.Struct({}))},
                                {"limits", b.StringMap()},
                                {"requests", b.StringMap()}})},
    });
    const Type* node_selector_holder = b.Struct({{"required", atomic}});
    const Type* pod_spec = b.Struct({
        {"containers", b.ListMap({"name"}, container)},
        {"initContainers", b.ListMap({"name"}, container)},
        {"ephemeralContainers", b.ListMap({"name"}, container)},
        {"volumes", b.ListMap({"name"}, b.Struct({}))},
        {"imagePullSecrets", b.ListMap({"name"}, atomic)},
        {"hostAliases", b.ListMap({"ip"}, b.Struct({}))},
        {"topologySpreadConstraints",
         b.ListMap({"topologyKey", "whenUnsatisfiable"}, b.Struct({{"labelSelector", atomic}}))},
        {"resourceClaims", b.ListMap({"name"}, b.Struct({}))},
        {"schedulingGates", b.ListMap({"name"}, b.Struct({}))},
        {"nodeSelector", atomic},  // +mapType=atomic
        {"affinity",
         b.Struct({{"nodeAffinity",
                    b.Struct({{"requiredDuringSchedulingIgnoredDuringExecution", atomic}})}})},
    });
    const Type* pod_template = b.Struct({{"metadata", object_meta}, {"spec", pod_spec}});
    const Type* conditions_status = b.Struct({{"conditions", b.ConditionList()}});

    auto root = [&](std::vector<Builder::F> fields) {
      fields.push_back({"metadata", object_meta});
      return b.Struct(std::move(fields));
    };
    auto add = [&](std::string group, std::string kind, const Type* t) {
      auto s = std::make_unique<TypeSchema>();
      s->set_root(t);
      s->set_zero(Zero(group, kind));
      kinds[{std::move(group), std::move(kind)}] = std::move(s);
    };

    add("", "Namespace", root({{"status", conditions_status}}));
    add("", "Pod",
        root({{"spec", pod_spec},
              {"status", b.Struct({{"conditions", b.ConditionList()},
                                   {"podIPs", b.ListMap({"ip"}, b.Struct({}))},
                                   {"hostIPs", b.ListMap({"ip"}, b.Struct({}))}})}}));
    add("", "Service",
        root({{"spec", b.Struct({{"ports", b.ListMap({"port", "protocol"},
                                                     b.Struct({{"protocol", b.Scalar(), "TCP"}}))},
                                 {"selector", atomic}})},  // +mapType=atomic
              {"status", conditions_status}}));
    add("", "Endpoints", root({}));
    add("", "ConfigMap", root({{"data", b.StringMap()}, {"binaryData", b.StringMap()}}));
    add("", "Secret", root({{"data", b.StringMap()}, {"stringData", b.StringMap()}}));
    add("", "PersistentVolumeClaim",
        root({{"spec", b.Struct({{"selector", atomic}, {"dataSource", atomic}})},
              {"status", conditions_status}}));
    add("", "PersistentVolume",
        root({{"spec", b.Struct({{"claimRef", atomic}, {"nodeAffinity", node_selector_holder}})}}));
    add("", "ServiceAccount", root({{"secrets", b.ListMap({"name"}, atomic)}}));
    add("", "Event", root({{"involvedObject", atomic}, {"related", atomic}}));
    add("", "Node",
        root({{"spec", b.Struct({{"podCIDRs", b.ListSet()}})},
              {"status", b.Struct({{"conditions", b.ConditionList()},
                                   {"addresses", b.ListMap({"type"}, b.Struct({}))}})}}));
    const Type* workload_status = conditions_status;
    add("apps", "StatefulSet",
        root({{"spec", b.Struct({{"selector", atomic},
                                 {"template", pod_template},
                                 {"volumeClaimTemplates", b.AtomicList()}})},
              {"status", workload_status}}));
    add("apps", "Deployment",
        root({{"spec", b.Struct({{"selector", atomic}, {"template", pod_template}})},
              {"status", workload_status}}));
    add("apps", "ReplicaSet",
        root({{"spec", b.Struct({{"selector", atomic}, {"template", pod_template}})},
              {"status", workload_status}}));
    add("apps", "DaemonSet",
        root({{"spec", b.Struct({{"selector", atomic}, {"template", pod_template}})},
              {"status", workload_status}}));
    add("policy", "PodDisruptionBudget",
        root({{"spec", b.Struct({{"selector", atomic}})}, {"status", conditions_status}}));
    add("coordination.k8s.io", "Lease", root({}));
    add("storage.k8s.io", "StorageClass", root({{"parameters", b.StringMap()}}));
    add("events.k8s.io", "Event", root({{"regarding", atomic}, {"related", atomic}}));
    const Type* webhooks =
        b.ListMap({"name"}, b.Struct({{"namespaceSelector", atomic}, {"objectSelector", atomic}}));
    add("admissionregistration.k8s.io", "MutatingWebhookConfiguration",
        root({{"webhooks", webhooks}}));
    add("admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
        root({{"webhooks", webhooks}}));
    add("apiextensions.k8s.io", "CustomResourceDefinition", root({{"status", conditions_status}}));
  }
};

const Builtins& GetBuiltins() {
  static const Builtins* b = new Builtins();
  return *b;
}

}  // namespace

const Type* ObjectMetaType() { return GetBuiltins().object_meta; }

const TypeSchema* BuiltinSchema(std::string_view group, std::string_view kind) {
  const Builtins& b = GetBuiltins();
  auto it = b.kinds.find({std::string(group), std::string(kind)});
  if (it == b.kinds.end())
    return &b.deduced;
  return it->second.get();
}

}  // namespace kcx::api::ssa
