#pragma once

// Helpers over Boost.JSON used by every module that handles Kubernetes objects.
// Objects are boost::json::value trees; these helpers never throw.

#include <boost/json.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kcx::api {

namespace json = boost::json;

// Parses a JSON document. Malformed input gives BadRequest with the parser's message.
Result<json::value> ParseJson(std::string_view text);
std::string Serialize(const json::value& v);

// Walks object keys; nullptr if any step is missing or not an object.
const json::value* FindPath(const json::value& v, std::initializer_list<std::string_view> path);
json::value* FindPath(json::value& v, std::initializer_list<std::string_view> path);

// Member lookups that tolerate wrong types: a missing or mistyped member is "not there".
const json::object* GetObject(const json::object& o, std::string_view key);
json::object* GetObject(json::object& o, std::string_view key);
const json::array* GetArray(const json::object& o, std::string_view key);
std::string_view GetString(const json::object& o, std::string_view key);
std::string_view GetStringPath(const json::value& v, std::initializer_list<std::string_view> path);
// The same from an object, without copying it into a value (a view into a temporary
// json::value(obj) would dangle).
std::string_view GetStringPath(const json::object& o, std::initializer_list<std::string_view> path);
// Integer member (int64 or uint64 or an integral double); `def` otherwise.
int64_t GetInt(const json::object& o, std::string_view key, int64_t def = 0);
bool GetBool(const json::object& o, std::string_view key, bool def = false);

// Returns o[key] as an object, replacing a non-object value with {}.
json::object& EnsureObject(json::object& o, std::string_view key);

}  // namespace kcx::api
