#pragma once

// MOCO's MySQLCluster admission webhooks over HTTPS (AdmissionReview admission.k8s.io/v1):
//   POST /mutate-moco-cybozu-com-v1beta2-mysqlcluster    finalizer + random serverIDBase
//   POST /validate-moco-cybozu-com-v1beta2-mysqlcluster  the rules of validation.h
// The handlers are pure functions of the review (plus the StorageClass lookup), so they are
// unit-tested without a server; WebhookServer puts them behind net::HttpServer with TLS.

#include <atomic>
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "client/rest_client.h"
#include "common/status.h"
#include "net/http_server.h"
#include "operators/mysql/api/validation.h"

namespace kcx::mysql::api {

inline constexpr std::string_view kMutatePath = "/mutate-moco-cybozu-com-v1beta2-mysqlcluster";
inline constexpr std::string_view kValidatePath = "/validate-moco-cybozu-com-v1beta2-mysqlcluster";
// The webhook names MOCO registers (config/webhook/manifests.yaml).
inline constexpr std::string_view kMutatingWebhookName = "mmysqlcluster.kb.io";
inline constexpr std::string_view kValidatingWebhookName = "vmysqlcluster.kb.io";

// The AdmissionReview `response` for a review `request` (uid copied):
//   mutating: CREATE gets allowed + patchType JSONPatch with DefaultingPatch (no patch when
//     nothing changes); other operations are allowed unchanged.
//   validating: CREATE → ValidateCreate, UPDATE → ValidateUpdate against oldObject, DELETE and
//     CONNECT allowed. A denial is allowed=false with status {code 422, reason Invalid,
//     message `MySQLCluster.moco.cybozu.com "<name>" is invalid: ...`, details.causes}; a
//     review that is not about a MySQLCluster, or has no object, is denied with 403/400.
boost::json::object MutateReview(const boost::json::object& request,
                                 const std::function<int32_t()>& random = RandomServerIdBase);
boost::json::object ValidateReview(const boost::json::object& request,
                                   const StorageClassLookup& storage_classes);

// A whole AdmissionReview body in, a whole AdmissionReview body out (same apiVersion), for the
// path: kMutatePath or kValidatePath. 400 for a body that is not an AdmissionReview, 404 for
// another path.
net::HttpResponse ServeAdmission(const net::HttpRequest& req,
                                 const StorageClassLookup& storage_classes,
                                 const std::function<int32_t()>& random = RandomServerIdBase);

// StorageClasses read through the REST client (GET /apis/storage.k8s.io/v1/storageclasses...).
// Threading: as the client, any thread. `c` must outlive the lookup.
StorageClassLookup ClientStorageClassLookup(client::RestClient& c);

// The HTTPS webhook server. Threading: handlers run on the server's I/O threads; the
// StorageClass lookup is called there.
class WebhookServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    int port = 9443;  // controller-runtime's default webhook port; 0 picks one
    std::string cert_pem, key_pem;
    StorageClassLookup storage_classes;
    int threads = 2;
  };
  Status Start(Options opts);
  void Stop();
  int port() const { return server_.port(); }
  // Reviews answered and connections accepted since Start.
  int reviews_served() const { return reviews_.load(); }
  int connections_accepted() const { return server_.connections_accepted(); }

 private:
  Options opts_;
  std::atomic<int> reviews_{0};
  net::HttpServer server_;
};

}  // namespace kcx::mysql::api
