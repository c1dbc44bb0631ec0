#pragma once

// The subset of Kubernetes JSONPath used by CRD additionalPrinterColumns (kube evaluates
// "{" + jsonPath + "}" with client-go's jsonpath): field steps `.a.b`, quoted steps `['a.b']`,
// indexes `[0]` and `[-1]`, wildcards `[*]` / `.*`, and filters
// `[?(@.type=="Ready")]` (==, !=, <, <=, >, >= against strings, numbers and booleans; a bare
// `[?(@.field)]` tests existence).
//
// Parsed once per CRD; evaluation is a pure function, safe to call concurrently.

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace kcx::apiserver::crd {

class JsonPath {
 public:
  // Parses `.spec.replicas`, `{.spec.replicas}`, `.status.conditions[?(@.type=="Ready")].status`.
  static Result<JsonPath> Parse(std::string_view expr);

  // Every value the path selects, in document order.
  std::vector<const boost::json::value*> Eval(const boost::json::value& root) const;
  // The first value, or null if none.
  const boost::json::value* First(const boost::json::value& root) const;

  struct Step;

 private:
  std::shared_ptr<const std::vector<Step>> steps_;
};

struct JsonPath::Step {
  enum Kind { kField, kIndex, kWildcard, kFilter } kind = kField;
  std::string field;
  int64_t index = 0;
  // Filter: the relative path after `@`, the operator ("" = existence) and the literal.
  std::vector<Step> filter_path;
  std::string op;
  boost::json::value literal;
};

}  // namespace kcx::apiserver::crd
