#include "api/ssa/schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

namespace kcx::api::ssa {

namespace {

struct DeducedTypes {
  Type atomic;
  Type deduced;
  DeducedTypes() {
    atomic.scalar = atomic.is_list = atomic.is_map = true;
    atomic.map_atomic = true;
    atomic.map_elem = &atomic;
    atomic.list_kind = ListKind::kAtomic;
    atomic.list_elem = &atomic;
    deduced.scalar = deduced.is_list = deduced.is_map = true;
    deduced.map_elem = &deduced;
    deduced.list_kind = ListKind::kAtomic;
    deduced.list_elem = &atomic;
  }
};

const DeducedTypes& Deduced() {
  static const DeducedTypes* t = new DeducedTypes();
  return *t;
}

}  // namespace

const Type* DeducedType() { return &Deduced().deduced; }
const Type* UntypedAtomicType() { return &Deduced().atomic; }

const StructField* Type::FindField(std::string_view name) const {
  auto it = std::lower_bound(fields.begin(), fields.end(), name,
                             [](const StructField& f, std::string_view n) { return f.name < n; });
  if (it != fields.end() && it->name == name)
    return &*it;
  return nullptr;
}

bool Type::LookupField(std::string_view key, const Type** type) const {
  if (const StructField* f = FindField(key)) {
    *type = f->type != nullptr ? f->type : DeducedType();
    return true;
  }
  *type = map_elem != nullptr ? map_elem : DeducedType();
  return all_fields_declared;
}

// ---- SMD YAML schemas ----

namespace {

boost::json::value YamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    boost::json::object o;
    for (const auto& kv : n)
      o[kv.first.as<std::string>()] = YamlToJson(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    boost::json::array a;
    for (const auto& e : n)
      a.push_back(YamlToJson(e));
    return a;
  }
  if (n.IsNull())
    return nullptr;
  const std::string& s = n.Scalar();
  if (n.Tag() != "!") {  // unquoted: try int, float, bool
    int64_t i;
    if (YAML::convert<int64_t>::decode(n, i))
      return i;
    double d;
    if (YAML::convert<double>::decode(n, d))
      return d;
    bool b;
    if (YAML::convert<bool>::decode(n, b))
      return b;
  }
  return boost::json::value(s);
}

class SmdLoader {
 public:
  explicit SmdLoader(TypeSchema* schema) : schema_(schema) {}

  Status Load(const YAML::Node& doc) {
    const YAML::Node types = doc["types"];
    if (!types || !types.IsSequence())
      return BadRequest("schema: missing types");
    // First pass: allocate every named type so references can be forward.
    for (size_t i = 0; i < types.size(); ++i) {
      const YAML::Node t = types[i];
      std::string name = t["name"].as<std::string>("");
      if (name.empty())
        return BadRequest("schema: type without name");
      named_[name] = schema_->NewType();
      defs_[name] = t;
    }
    for (auto& [name, t] : named_)
      KCX_RETURN_IF_ERROR(FillAtom(defs_[name], t));
    return Status::Ok();
  }

  Result<const Type*> Named(const std::string& name) {
    auto it = named_.find(name);
    if (it != named_.end())
      return static_cast<const Type*>(it->second);
    if (name == "__untyped_atomic_")
      return UntypedAtomicType();
    if (name == "__untyped_deduced_")
      return DeducedType();
    return BadRequest("schema: no type found matching: " + name);
  }

 private:
  Result<const Type*> Ref(const YAML::Node& ref) {
    if (!ref || ref.IsNull())
      return static_cast<const Type*>(nullptr);
    if (ref["namedType"])
      return Named(ref["namedType"].as<std::string>());
    Type* t = schema_->NewType();
    KCX_RETURN_IF_ERROR(FillAtom(ref, t));
    return static_cast<const Type*>(t);
  }

  Status FillAtom(const YAML::Node& n, Type* t) {
    if (n["scalar"])
      t->scalar = true;
    if (const YAML::Node m = n["map"]) {
      t->is_map = true;
      std::string rel = m["elementRelationship"].as<std::string>("");
      t->map_atomic = rel == "atomic";
      KCX_ASSIGN_OR_RETURN(t->map_elem, Ref(m["elementType"]));
      if (const YAML::Node fs = m["fields"]) {
        for (const auto& f : fs) {
          StructField sf;
          sf.name = f["name"].as<std::string>("");
          KCX_ASSIGN_OR_RETURN(sf.type, Ref(f["type"]));
          if (f["default"]) {
            sf.has_default = true;
            sf.default_value = YamlToJson(f["default"]);
          }
          t->fields.push_back(std::move(sf));
        }
        std::sort(t->fields.begin(), t->fields.end(),
                  [](const StructField& a, const StructField& b) { return a.name < b.name; });
      }
    }
    if (const YAML::Node l = n["list"]) {
      t->is_list = true;
      std::string rel = l["elementRelationship"].as<std::string>("");
      KCX_ASSIGN_OR_RETURN(t->list_elem, Ref(l["elementType"]));
      if (rel == "associative") {
        if (const YAML::Node keys = l["keys"]; keys && keys.size() > 0) {
          t->list_kind = ListKind::kMap;
          for (const auto& k : keys)
            t->keys.push_back(k.as<std::string>());
        } else {
          t->list_kind = ListKind::kSet;
        }
      } else {
        t->list_kind = ListKind::kAtomic;
      }
    }
    if (n["untyped"]) {
      t->scalar = t->is_list = t->is_map = true;
      t->map_elem = DeducedType();
      t->list_elem = UntypedAtomicType();
    }
    if (!t->scalar && !t->is_list && !t->is_map) {
      return BadRequest("schema: invalid atom");
    }
    return Status::Ok();
  }

  TypeSchema* schema_;
  std::map<std::string, Type*> named_;
  std::map<std::string, YAML::Node> defs_;
};

}  // namespace

Result<std::shared_ptr<const TypeSchema>> LoadSmdSchema(std::string_view yaml,
                                                        std::string_view root_type) {
  auto schema = std::make_shared<TypeSchema>();
  SmdLoader loader(schema.get());
  try {
    YAML::Node doc = YAML::Load(std::string(yaml));
    KCX_RETURN_IF_ERROR(loader.Load(doc));
    KCX_ASSIGN_OR_RETURN(const Type* root, loader.Named(std::string(root_type)));
    schema->set_root(root);
  } catch (const YAML::Exception& e) {
    return BadRequest(std::string("schema: ") + e.what());
  }
  return std::shared_ptr<const TypeSchema>(std::move(schema));
}

// ---- CRD openAPIV3Schema ----

namespace {

class OpenApiConverter {
 public:
  explicit OpenApiConverter(TypeSchema* s) : s_(s) {}

  Result<const Type*> Convert(const boost::json::object& o, bool root) {
    auto str = [&](std::string_view k) -> std::string_view {
      const auto* v = o.if_contains(k);
      return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : "";
    };
    auto flag = [&](std::string_view k) {
      const auto* v = o.if_contains(k);
      return v != nullptr && v->is_bool() && v->get_bool();
    };
    if (flag("x-kubernetes-int-or-string")) {
      Type* t = s_->NewType();
      t->scalar = true;
      return static_cast<const Type*>(t);
    }
    std::string_view type = str("type");
    const auto* props = o.if_contains("properties");
    const auto* addl = o.if_contains("additionalProperties");
    bool preserve = flag("x-kubernetes-preserve-unknown-fields");
    bool embedded = flag("x-kubernetes-embedded-resource");
    if (type == "array") {
      Type* t = s_->NewType();
      t->is_list = true;
      std::string_view lt = str("x-kubernetes-list-type");
      const auto* items = o.if_contains("items");
      if (items != nullptr && items->is_object()) {
        KCX_ASSIGN_OR_RETURN(t->list_elem, Convert(items->get_object(), false));
      } else {
        t->list_elem = DeducedType();
      }
      if (lt == "map") {
        t->list_kind = ListKind::kMap;
        if (const auto* keys = o.if_contains("x-kubernetes-list-map-keys");
            keys != nullptr && keys->is_array()) {
          for (const auto& k : keys->get_array()) {
            if (k.is_string())
              t->keys.emplace_back(k.get_string());
          }
        }
        if (t->keys.empty())
          return BadRequest("x-kubernetes-list-type map requires keys");
      } else if (lt == "set") {
        t->list_kind = ListKind::kSet;
      } else {
        t->list_kind = ListKind::kAtomic;
      }
      return static_cast<const Type*>(t);
    }
    if (type == "object" || props != nullptr || addl != nullptr || embedded || root) {
      Type* t = s_->NewType();
      t->is_map = true;
      t->map_atomic = str("x-kubernetes-map-type") == "atomic";
      if (props != nullptr && props->is_object()) {
        for (const auto& kv : props->get_object()) {
          if (!kv.value().is_object())
            continue;
          StructField f;
          f.name = std::string(kv.key());
          KCX_ASSIGN_OR_RETURN(f.type, Convert(kv.value().get_object(), false));
          if (const auto* d = kv.value().get_object().if_contains("default")) {
            f.has_default = true;
            f.default_value = *d;
          }
          t->fields.push_back(std::move(f));
        }
      }
      if (embedded || root) {
        auto add = [&](std::string_view name, const Type* ft) {
          if (t->FindField(name) != nullptr)
            return;
          for (auto& f : t->fields) {
            if (f.name == name)
              return;
          }
          StructField f;
          f.name = std::string(name);
          f.type = ft;
          t->fields.push_back(std::move(f));
        };
        add("apiVersion", ScalarType());
        add("kind", ScalarType());
        // The metadata of a (embedded) resource is ObjectMeta whatever the schema says.
        for (auto& f : t->fields) {
          if (f.name == "metadata")
            f.type = ObjectMetaType();
        }
        add("metadata", ObjectMetaType());
      }
      std::sort(t->fields.begin(), t->fields.end(),
                [](const StructField& a, const StructField& b) { return a.name < b.name; });
      if (addl != nullptr && addl->is_object()) {
        KCX_ASSIGN_OR_RETURN(t->map_elem, Convert(addl->get_object(), false));
      } else if (preserve || (props == nullptr && !embedded && !root)) {
        t->map_elem = DeducedType();
      } else {
        t->map_elem = DeducedType();
      }
      return static_cast<const Type*>(t);
    }
    if (type.empty() && preserve)
      return DeducedType();
    return ScalarType();
  }

 private:
  const Type* ScalarType() {
    if (scalar_ == nullptr) {
      Type* t = s_->NewType();
      t->scalar = true;
      scalar_ = t;
    }
    return scalar_;
  }

  TypeSchema* s_;
  const Type* scalar_ = nullptr;
};

}  // namespace

Result<std::shared_ptr<const TypeSchema>> SchemaFromOpenApi(const boost::json::object& schema) {
  auto s = std::make_shared<TypeSchema>();
  OpenApiConverter conv(s.get());
  KCX_ASSIGN_OR_RETURN(const Type* root, conv.Convert(schema, true));
  s->set_root(root);
  return std::shared_ptr<const TypeSchema>(std::move(s));
}

}  // namespace kcx::api::ssa
