#pragma once

// Helpers for the registry's unit tests.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/registry/resource_info.h"

namespace kcx::apiserver::testing {

inline boost::json::object J(std::string_view text) { return boost::json::parse(text).as_object(); }

inline const ResourceInfo& Info(std::string_view group, std::string_view resource) {
  const ResourceInfo* r = FindBuiltinResource(group, resource);
  if (!r) {
    ADD_FAILURE() << "no resource " << group << "/" << resource;
    static const ResourceInfo kEmpty;
    return kEmpty;
  }
  return *r;
}

// Runs default_fn (if any) and returns the result.
inline boost::json::object Defaulted(const ResourceInfo& r, boost::json::object obj) {
  if (r.default_fn)
    r.default_fn(obj);
  return obj;
}

// The full create pipeline documented in resource_info.h.
inline boost::json::object Created(const ResourceInfo& r, boost::json::object obj,
                                   std::chrono::system_clock::time_point now = {}) {
  if (r.default_fn)
    r.default_fn(obj);
  if (r.reset_status_on_create)
    obj.erase("status");
  if (r.prepare_create_fn)
    r.prepare_create_fn(obj, now);
  if (r.default_fn)
    r.default_fn(obj);
  return obj;
}

inline std::vector<StatusCause> Validate(const ResourceInfo& r, const boost::json::object& obj,
                                         const boost::json::object* old = nullptr) {
  if (!r.validate_fn)
    return {};
  return r.validate_fn(obj, old);
}

// "field: message" lines, for readable failures.
inline std::string Describe(const std::vector<StatusCause>& causes) {
  std::string out;
  for (const auto& c : causes)
    out += c.type + " " + c.field + ": " + c.message + "\n";
  return out;
}

inline bool HasCause(const std::vector<StatusCause>& causes, std::string_view type,
                     std::string_view field) {
  for (const auto& c : causes) {
    if (c.type == type && c.field == field)
      return true;
  }
  return false;
}

inline const StatusCause* FindCause(const std::vector<StatusCause>& causes,
                                    std::string_view field) {
  for (const auto& c : causes) {
    if (c.field == field)
      return &c;
  }
  return nullptr;
}

inline std::chrono::system_clock::time_point T(std::string_view rfc3339);

}  // namespace kcx::apiserver::testing

#include "common/strings.h"

namespace kcx::apiserver::testing {
inline std::chrono::system_clock::time_point T(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  if (!t)
    ADD_FAILURE() << "bad time " << rfc3339;
  return t.value_or(std::chrono::system_clock::time_point{});
}
}  // namespace kcx::apiserver::testing
