#pragma once

// CrdController: the server's own controller for CustomResourceDefinitions (kube's naming,
// establishing, finalizer and discovery controllers in one). It watches the CRD store and
//   - serves a CRD's versions (ApiRegistry::AddCustom) as soon as its names are accepted, then
//     sets the NamesAccepted and Established conditions and status.acceptedNames;
//   - republishes the versions when the CRD's spec changes (generation);
//   - on deletion (the CRD carries customresourcecleanup.apiextensions.k8s.io), refuses new
//     objects, deletes every custom resource, stops serving the resource and removes the
//     finalizer so the CRD goes away.
//
// Threading: one worker thread; Start/Stop from the owner. RegisterStored runs at startup
// before serving (no concurrency). The watcher's wake-up only flags work for the thread.

#include <boost/json.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "apiserver/rest/api_registry.h"
#include "apiserver/rest/rest_handler.h"
#include "common/clock.h"

namespace kcx::apiserver {

class CrdController {
 public:
  CrdController(ApiRegistry* registry, RestHandler* handler, ResourceEntry* crd_entry,
                Clock* clock);
  ~CrdController();
  CrdController(const CrdController&) = delete;
  CrdController& operator=(const CrdController&) = delete;

  // Startup only: serves the resources of a CRD loaded from storage, so that the custom
  // resources stored after it find their entry.
  void RegisterStored(const boost::json::object& crd);

  void Start();
  void Stop();

 private:
  struct Served {
    std::string group, plural, kind, uid;
    int64_t generation = 0;
  };

  void Loop();
  void StartWatch();
  // Reconciles one CRD by name; returns true if it must be retried later.
  bool Sync(const std::string& name);
  bool SyncDeleting(const std::string& name, const boost::json::object& crd);
  // Serves the CRD's versions if not already at this generation. Returns false on a names
  // conflict (`why` says which).
  bool Serve(const std::string& name, const boost::json::object& crd, std::string* why);
  void Unserve(const std::string& name);
  Response UpdateStatusSync(const std::string& name,
                            std::function<Status(boost::json::object&)> mutate);

  ApiRegistry* registry_;
  RestHandler* handler_;
  ResourceEntry* crd_entry_;
  Clock* clock_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
  WatcherPtr watcher_;

  // Worker thread only (and RegisterStored before Start).
  std::map<std::string, Served> served_;  // CRD name → what is served
  std::set<std::string> retry_;
};

}  // namespace kcx::apiserver
