#pragma once

// AdmissionChain: kube-apiserver's MutatingAdmissionWebhook and ValidatingAdmissionWebhook
// plugins for kcx apiserver. The REST write path (rest/write_handlers.cc) calls Mutate before
// the server's own validation and Validate after it, on CREATE, UPDATE (incl. patch) and
// DELETE of every resource, custom resources included.
//
// Configurations are read from the registry's own stores of mutatingwebhookconfigurations and
// validatingwebhookconfigurations and re-parsed only when one of them changes.
//
// Threading: Mutate/Validate are called from any thread (HTTP io threads, store commit
// threads) and never block on the network: when a webhook matches, the calls run on the
// chain's small worker pool and `done` is called there; when none matches (the common case),
// `done` runs inline before Mutate/Validate return. `done` is called exactly once.

#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/admission/caller.h"
#include "apiserver/admission/rules.h"

namespace kcx::apiserver {
class ApiRegistry;
}

namespace kcx::apiserver::admission {

struct Outcome {
  // A metav1.Status (with "code") that rejects the request; nullopt = admitted.
  std::optional<boost::json::object> error;
  std::vector<std::string> warnings;  // from the webhooks' responses, for Warning headers
  bool mutated = false;               // a mutating webhook changed the object
};
using Done = std::function<void(Outcome)>;

struct ChainOptions {
  size_t threads = 4;  // worker threads for webhook calls (started on first use)
};

class AdmissionChain {
 public:
  AdmissionChain(ApiRegistry* registry, std::unique_ptr<WebhookCaller> caller,
                 ChainOptions opts = {});
  ~AdmissionChain();  // finishes queued calls, then joins the workers
  AdmissionChain(const AdmissionChain&) = delete;
  AdmissionChain& operator=(const AdmissionChain&) = delete;

  // Mutating webhooks in kube's order (configurations by name, then webhook order), applying
  // their JSON patches to *attrs->object; IfNeeded webhooks are re-invoked once when a later
  // webhook changed the object.
  void Mutate(std::shared_ptr<Attributes> attrs, Done done);
  // Validating webhooks, called in parallel; the first rejection in configuration order wins.
  void Validate(std::shared_ptr<Attributes> attrs, Done done);

  struct Snapshot;
  struct Matched;

 private:
  std::shared_ptr<const Snapshot> Current();
  // The webhooks of `hooks` that apply to the request (or an error, e.g. an unusable webhook).
  std::vector<Matched> Match(const std::vector<Webhook>& hooks, const Attributes& a,
                             std::optional<boost::json::object>& error);
  // One blocking webhook call (worker thread). On success returns the parsed response.
  struct CallResult;
  CallResult Call(const Matched& m, const Attributes& a, const boost::json::object* object,
                  const boost::json::object* old_object);
  void RunMutating(std::shared_ptr<Attributes> attrs, std::vector<Matched> hooks, Done done);
  void Post(std::function<void()> task);
  void WorkerLoop();

  ApiRegistry* registry_;
  std::unique_ptr<WebhookCaller> caller_;
  ChainOptions opts_;

  std::mutex snap_mu_;
  std::shared_ptr<const Snapshot> snap_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace kcx::apiserver::admission
