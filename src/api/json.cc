#include "api/json.h"

namespace kcx::api {

Result<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  // Boost.JSON's default depth limit (32) rejects real objects, e.g. CRDs whose
  // openAPIV3Schema embeds a PodTemplateSpec; allow what any sane object needs.
  json::parse_options opt;
  opt.max_depth = 1000;
  json::value v = json::parse(text, ec, {}, opt);
  if (ec)
    return BadRequest("invalid JSON: " + ec.message());
  return v;
}

std::string Serialize(const json::value& v) { return json::serialize(v); }

const json::value* FindPath(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (std::string_view k : path) {
    const json::object* o = cur->if_object();
    if (!o)
      return nullptr;
    auto it = o->find(k);
    if (it == o->end())
      return nullptr;
    cur = &it->value();
  }
  return cur;
}

json::value* FindPath(json::value& v, std::initializer_list<std::string_view> path) {
  return const_cast<json::value*>(FindPath(static_cast<const json::value&>(v), path));
}

const json::object* GetObject(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : it->value().if_object();
}

json::object* GetObject(json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : it->value().if_object();
}

const json::array* GetArray(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : it->value().if_array();
}

std::string_view GetString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end())
    return {};
  const json::string* s = it->value().if_string();
  return s ? std::string_view(*s) : std::string_view();
}

std::string_view GetStringPath(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* f = FindPath(v, path);
  if (!f)
    return {};
  const json::string* s = f->if_string();
  return s ? std::string_view(*s) : std::string_view();
}

std::string_view GetStringPath(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  size_t i = 0, n = path.size();
  for (std::string_view key : path) {
    auto it = cur->find(key);
    if (it == cur->end())
      return {};
    if (++i == n) {
      const json::string* s = it->value().if_string();
      return s ? std::string_view(*s) : std::string_view();
    }
    cur = it->value().if_object();
    if (!cur)
      return {};
  }
  return {};
}

int64_t GetInt(const json::object& o, std::string_view key, int64_t def) {
  auto it = o.find(key);
  if (it == o.end())
    return def;
  const json::value& v = it->value();
  if (v.is_int64())
    return v.get_int64();
  if (v.is_uint64())
    return static_cast<int64_t>(v.get_uint64());
  if (v.is_double()) {
    double d = v.get_double();
    if (d == static_cast<double>(static_cast<int64_t>(d)))
      return static_cast<int64_t>(d);
  }
  return def;
}

bool GetBool(const json::object& o, std::string_view key, bool def) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool())
    return def;
  return it->value().get_bool();
}

json::object& EnsureObject(json::object& o, std::string_view key) {
  json::value& v = o[key];
  if (!v.is_object())
    v = json::object();
  return v.get_object();
}

}  // namespace kcx::api
