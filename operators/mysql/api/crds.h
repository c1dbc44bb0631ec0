#pragma once

// MOCO's CustomResourceDefinitions (deploy/crds/*.yaml, compiled into the binary) and their
// installation: create the missing ones, bring changed ones up to date with server-side apply,
// and wait until each is Established.

#include <boost/json.hpp>
#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

#include "client/rest_client.h"
#include "common/status.h"

namespace kcx::mysql::api {

// (file name, YAML text) of every deploy/crds/*.yaml, sorted by file name. Generated at build
// time by embed_files.cmake.
std::vector<std::pair<std::string_view, std::string_view>> EmbeddedCrdFiles();

// The embedded CRDs as JSON objects (apiextensions.k8s.io/v1 CustomResourceDefinition).
Result<std::vector<boost::json::object>> EmbeddedCrds();

// True if every member `want` sets has the same value in `have` (recursively for objects;
// arrays must have the same length and match element by element). Members only `have` has
// (server defaults such as spec.conversion) do not count as a difference.
bool IsSubset(const boost::json::value& want, const boost::json::value& have);

// Installs MOCO's CRDs through `c`:
//   - a missing CRD is created;
//   - an existing CRD whose spec already holds everything the embedded one sets is left alone;
//     otherwise the embedded one is server-side applied (field manager "moco-controller",
//     force) — an older kcx or MOCO install is upgraded, extra fields others added survive;
//   - then waits, polling, until every CRD has condition Established=True, for at most `wait`.
// Errors: the failing request's Status, or Timeout naming the CRDs not yet Established.
Status EnsureCrds(client::RestClient& c, std::chrono::milliseconds wait);

}  // namespace kcx::mysql::api
