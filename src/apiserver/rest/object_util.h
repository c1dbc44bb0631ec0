#pragma once

// Helpers shared by the read and write handlers: Kubernetes-style errors for a resource,
// building store records, and content negotiation.

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "apiserver/http/request.h"
#include "apiserver/rest/api_registry.h"
#include "common/status.h"

namespace kcx::apiserver {

Status NotFoundError(const ResourceEntry& e, std::string_view name);
Status AlreadyExistsError(const ResourceEntry& e, std::string_view name);
Status ConflictError(const ResourceEntry& e, std::string_view name, std::string_view why);
Status InvalidError(const ResourceEntry& e, std::string_view name,
                    std::vector<StatusCause> causes);
// "the object has been modified; please apply your changes to the latest version and try again"
Status ModifiedConflict(const ResourceEntry& e, std::string_view name);

// Fills key/ns/name/labels/field values for `obj` (json and rv are set when stored).
Record PrepareRecord(const ResourceEntry& e, const boost::json::object& obj);
// Sets metadata.resourceVersion and serializes the object.
std::string SerializeWithRv(boost::json::object& obj, uint64_t rv);

// Conversion strategy None between served versions of a custom resource: the stored JSON with
// apiVersion rewritten to the entry's version (only call when e.NeedsConversion()).
std::string ConvertStoredJson(const ResourceEntry& e, const std::string& stored);
// Wraps a responder so a 2xx object body carries the entry's apiVersion instead of the storage
// version (identity when no conversion is needed).
Responder ConvertingResponder(const ResourceEntry& e, Responder r);

// What the client asked for in Accept.
enum class OutputKind { kJson, kTable, kPartialMetadata, kUnacceptable };
OutputKind NegotiateOutput(std::string_view accept, bool list);

// The field-selector getter for a record of this resource.
std::optional<std::string> RecordField(const ResourceEntry& e, const Record& r,
                                       std::string_view field);

}  // namespace kcx::apiserver
