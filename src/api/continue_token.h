#pragma once

// List continue tokens in kube-apiserver's format (apiserver/pkg/storage/continue.go):
// base64url without padding of {"v":"meta.k8s.io/v1","rv":N,"start":"<key after prefix>"}.
// A client that pages with ?limit=&continue= gets tokens it cannot tell from kube's.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kcx::api {

struct ContinueToken {
  // The resource version the first page was served at; later pages read at the same one.
  uint64_t resource_version = 0;
  // The next key to read, relative to the resource's key prefix, without a leading "/"
  // (e.g. "ns1/name2"); callers prepend their prefix.
  std::string start_key;
};

// `start_key` is relative to the resource's key prefix (a leading "/" is kept as given).
std::string EncodeContinue(uint64_t resource_version, std::string_view start_key);

// BadRequest for anything kube would reject, with kube's messages:
//   "continue key is not valid: <decode error>"
//   "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
//   "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"
//   "continue key is not valid: server does not recognize this encoded version <v>"
//   "continue key is not valid: <start>"  (a start key that path.Clean would change, e.g. "../x")
Result<ContinueToken> DecodeContinue(std::string_view token);

}  // namespace kcx::api
