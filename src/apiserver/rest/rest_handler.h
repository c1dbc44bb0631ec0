#pragma once

// RestHandler: the Kubernetes REST semantics of kcx apiserver — routing, discovery, get, list,
// watch, create, update, patch, delete and deletecollection over the ApiRegistry's stores.
//
// Threading: Handle() runs on HTTP threads. A write completes when the store reports it
// durable, which may be on the storage commit thread; responders are thread-safe.

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "apiserver/admission/chain.h"
#include "apiserver/http/request.h"
#include "apiserver/rest/api_registry.h"
#include "common/clock.h"

namespace kcx::apiserver {

struct RestOptions {
  std::string server_address;  // host:port, for /api's serverAddressByClientCIDRs
  int min_request_timeout_s = 1800;  // watch timeout when the client gives none: [x, 2x)
};

// Parsed resource path: /api/v1/namespaces/ns/configmaps/name/status.
struct RequestScope {
  ResourceEntry* entry = nullptr;
  std::string ns;
  bool has_ns = false;
  std::string name;
  std::string subresource;
  bool watch = false;
};

// DeleteOptions as far as the server honours them.
struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "", "Orphan", "Background", "Foreground"
  std::optional<bool> orphan_dependents;  // the deprecated field; exclusive with the policy
  std::string precondition_uid;
  std::string precondition_rv;
  bool dry_run = false;
  UserInfo user;          // who asked (admission webhooks' userInfo); empty = the server itself
  bool admitted = false;  // admission webhooks already ran for this deletion
};

// How a write is attributed (managed fields) and what kind of write it is.
struct WriteOptions {
  bool dry_run = false;
  std::string manager;  // the field manager recorded in metadata.managedFields
  // Server-side apply: `apply_config` is merged into the live object (or creates it).
  bool apply = false;
  bool force = false;
  std::shared_ptr<const boost::json::object> apply_config;
};

// Parses dryRun, fieldManager (default from the User-Agent, validated as kube does, errors in
// the kind of the verb's options: "CreateOptions", "UpdateOptions", "PatchOptions") and force
// (apply only).
Result<WriteOptions> ParseWriteOptions(const Request& req, std::string_view options_kind,
                                       bool apply);

class RestHandler : public Handler {
 public:
  RestHandler(ApiRegistry* registry, Clock* clock, RestOptions opts);

  void Handle(Request req, Responder respond) override;

  // Internal API for the server's own controllers (namespace lifecycle). `done` receives the
  // final HTTP-style response. Thread-safe.
  void DeleteObject(ResourceEntry* e, const std::string& ns, const std::string& name,
                    const DeleteOptions& opts, Responder done);
  // Applies `mutate` to the newest version of an object and writes it (retrying on races).
  // `subresource` is "" for the main resource, or "status" / "finalize". The write is
  // recorded in managedFields under `manager` (kube's controllers write as
  // "kube-controller-manager").
  void UpdateObject(ResourceEntry* e, const std::string& ns, const std::string& name,
                    const std::string& subresource,
                    std::function<Status(boost::json::object& obj)> mutate, Responder done,
                    const std::string& manager = "kube-controller-manager");

  ApiRegistry* registry() const { return registry_; }
  // Set once the listening port is known, before serving discovery.
  void SetServerAddress(std::string addr) { opts_.server_address = std::move(addr); }
  // Called whenever a Namespace gets a deletionTimestamp (wakes the namespace controller).
  void SetNamespaceTerminatingHook(std::function<void()> hook) { ns_hook_ = std::move(hook); }
  // Admission webhooks for every write (apiserver/admission). Set before serving; may be null.
  void SetAdmission(admission::AdmissionChain* chain) { admission_ = chain; }

 private:
  void HandleResource(Request& req, RequestScope& scope, Responder& respond);
  void Discovery(const Request& req, Responder& respond);
  void OpenApiV3(const Request& req, Responder& respond);

  // Reads.
  void Get(const Request& req, const RequestScope& s, Responder& respond);
  void List(const Request& req, const RequestScope& s, Responder& respond);
  void Watch(const Request& req, const RequestScope& s, Responder& respond);
  // Writes.
  void Create(Request& req, const RequestScope& s, Responder respond);
  void Update(Request& req, const RequestScope& s, Responder respond);
  void Patch(Request& req, const RequestScope& s, Responder respond);
  void Delete(Request& req, const RequestScope& s, Responder respond);
  void DeleteCollection(Request& req, const RequestScope& s, Responder respond);
  // The scale subresource of custom resources (scale_handlers.cc).
  void Scale(Request& req, const RequestScope& s, Responder respond);

  // The shared update pipeline: read newest, mutate, finalize, write; retries races.
  // `user_rv`: a resourceVersion the client asked to be current ("" = unconditional).
  // `admit`: user and options for admission webhooks (null: a write of the server itself).
  void RunUpdate(ResourceEntry* e, const std::string& ns, const std::string& name,
                 const std::string& subresource, const WriteOptions& w,
                 std::function<Result<boost::json::value>(const boost::json::value& current)>
                     mutate,
                 Responder respond, int attempt,
                 std::shared_ptr<const admission::Attributes> admit = nullptr);

  // The create pipeline after the body is parsed: metadata, strategy, managed fields,
  // validation, store. `obj` already went through ApplyConfig when w.apply.
  // `attrs`: the CREATE attributes for admission webhooks (null: no admission).
  void CreateObject(ResourceEntry* e, const RequestScope& s, boost::json::object obj,
                    const WriteOptions& w, Responder respond,
                    std::shared_ptr<admission::Attributes> attrs);

  Status CheckNamespace(const RequestScope& s) const;

  ApiRegistry* registry_;
  Clock* clock_;
  RestOptions opts_;
  std::function<void()> ns_hook_;
  admission::AdmissionChain* admission_ = nullptr;
};

}  // namespace kcx::apiserver
