#pragma once

// meta.k8s.io/v1 Table and PartialObjectMetadata output.

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "apiserver/rest/api_registry.h"

namespace kcx::apiserver {

enum class IncludeObject { kNone, kMetadata, kObject };
IncludeObject ParseIncludeObject(std::string_view v);

boost::json::array TableColumns(const ResourceEntry& e);
// One row for a parsed object.
boost::json::object TableRow(const ResourceEntry& e, const boost::json::object& obj,
                             IncludeObject include, std::chrono::system_clock::time_point now);
// A whole Table for `objects` (already parsed).
boost::json::object MakeTable(const ResourceEntry& e,
                              const std::vector<boost::json::object>& objects,
                              IncludeObject include, std::chrono::system_clock::time_point now,
                              std::string_view resource_version, std::string_view continue_token,
                              bool with_columns = true);
boost::json::object PartialObjectMetadata(const boost::json::object& obj);

inline constexpr const char* kTableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

}  // namespace kcx::apiserver
