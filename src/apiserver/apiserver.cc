#include "apiserver/apiserver.h"

#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "api/json.h"
#include "apiserver/crd/crd.h"
#include "apiserver/crd_controller.h"
#include "apiserver/gc/garbage_collector.h"
#include "apiserver/http/server.h"
#include "apiserver/pki/pki.h"
#include "apiserver/registry/resource_info.h"
#include "apiserver/rest/api_registry.h"
#include "apiserver/rest/object_util.h"
#include "apiserver/rest/rest_handler.h"
#include "apiserver/storage/backend.h"
#include "common/log.h"
#include "common/strings.h"

namespace kcx::apiserver {

std::string MakeBookmarkJson(const ResourceEntry& e, uint64_t rv);  // read_handlers.cc

namespace json = boost::json;

// Named, not anonymous: members of the Impl below use these types (-Wsubobject-linkage
// in unity builds).
namespace apiserver_detail {

// Feeds the Sequencer's writes to the durable backend, one mutation per batch; the backend's
// commit thread groups whatever is queued into one transaction.
class BackendSink : public Sequencer::Sink {
 public:
  explicit BackendSink(Backend* b) : b_(b) {}
  void Submit(const std::string& key, uint64_t rv, const std::string* value,
              std::function<void(Status)> done) override {
    std::vector<Mutation> batch(1);
    batch[0].key = key;
    batch[0].resource_version = rv;
    if (value) batch[0].value = *value;
    b_->Submit(std::move(batch), std::move(done));
  }

 private:
  Backend* b_;
};

Response CallSync(Handler& h, Request req) {
  std::promise<Response> p;
  auto f = p.get_future();
  h.Handle(std::move(req), [&p](Response r) { p.set_value(std::move(r)); });
  return f.get();
}

}  // namespace apiserver_detail
using namespace apiserver_detail;

struct ApiServer::Impl {
  ApiServerOptions opts;
  Clock* clock;
  Pki pki;
  std::string token;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<BackendSink> sink;
  std::unique_ptr<Sequencer> seq;
  std::unique_ptr<ApiRegistry> registry;
  std::unique_ptr<RestHandler> handler;
  std::unique_ptr<CrdController> crd_controller;
  std::unique_ptr<admission::AdmissionChain> admission;  // drained before the handler goes
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<gc::GarbageCollector> gc;
  std::string kubeconfig;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool ns_dirty = true;
  std::thread bookmark_thread;
  std::thread ns_thread;
  bool started = false;
  bool stopped = false;

  void BookmarkLoop() {
    std::unique_lock l(mu);
    while (!stopping) {
      cv.wait_for(l, std::chrono::milliseconds(opts.bookmark_interval_ms));
      if (stopping) break;
      l.unlock();
      for (const auto& e : registry->entries()) {
        if (e->NeedsConversion()) continue;  // the storage version's entry covers the store
        ResourceEntry* ep = e.get();
        e->store->Bookmark([](const Watcher& w) { return w.allow_bookmarks; },
                           [ep](uint64_t rv) { return MakeBookmarkJson(*ep, rv); });
      }
      l.lock();
    }
  }

  // The namespace lifecycle controller: empties Terminating namespaces, then removes the
  // `kubernetes` finalizer so the namespace itself goes away.
  void NamespaceLoop() {
    std::unique_lock l(mu);
    while (!stopping) {
      cv.wait_for(l, std::chrono::seconds(1), [this] { return stopping || ns_dirty; });
      if (stopping) break;
      ns_dirty = false;
      l.unlock();
      bool again = SyncTerminatingNamespaces();
      l.lock();
      if (again) ns_dirty = true;
    }
  }

  bool SyncTerminatingNamespaces() {
    ResourceEntry* nse = registry->namespaces();
    auto list = nse->store->List(RecordFilter{}, 0, "", 0);
    if (!list.ok()) return false;
    bool again = false;
    for (const auto& rec : list->items) {
      if (rec->json.find("\"deletionTimestamp\"") == std::string::npos) continue;
      const std::string& ns = rec->name;
      size_t remaining = 0;
      for (const auto& e : registry->entries()) {
        if (!e->info->namespaced || e->NeedsConversion()) continue;
        RecordFilter f;
        f.ns = ns;
        auto items = e->store->List(f, 0, "", 0);
        if (!items.ok()) continue;
        for (const auto& it : items->items) {
          ++remaining;
          if (it->json.find("\"deletionTimestamp\"") != std::string::npos) continue;
          std::promise<void> done;
          handler->DeleteObject(e.get(), it->ns, it->name, DeleteOptions{},
                                [&done](Response) { done.set_value(); });
          done.get_future().wait();
        }
      }
      if (remaining > 0) {
        again = true;
        continue;
      }
      std::promise<Response> done;
      handler->UpdateObject(
          nse, "", ns, "finalize",
          [](json::object& obj) {
            json::object& spec = api::EnsureObject(obj, "spec");
            if (json::array* f = spec.if_contains("finalizers")
                                     ? spec["finalizers"].if_array()
                                     : nullptr) {
              json::array kept;
              for (auto& x : *f) {
                if (x != "kubernetes") kept.push_back(x);
              }
              if (kept.empty()) {
                spec.erase("finalizers");
              } else {
                *f = std::move(kept);
              }
            }
            return Status::Ok();
          },
          [&done](Response r) { done.set_value(std::move(r)); });
      done.get_future().wait();
    }
    return again;
  }
};

ApiServer::ApiServer(ApiServerOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(opts);
  impl_->clock = impl_->opts.clock ? impl_->opts.clock : &RealClock();
}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Start() {
  Impl& m = *impl_;
  const ApiServerOptions& o = m.opts;
  if (o.storage != "memory" && o.storage != "sqlite") {
    return BadRequest("--storage must be \"memory\" or \"sqlite\", not \"" + o.storage + "\"");
  }
  if (o.storage == "sqlite" && o.data_dir.empty()) {
    return BadRequest("durable storage needs --data-dir");
  }
  std::vector<std::string> hosts = {o.bind_address};
  m.kubeconfig = o.kubeconfig_path.empty() && !o.data_dir.empty() ? o.data_dir + "/kubeconfig"
                                                                  : o.kubeconfig_path;
  if (!m.kubeconfig.empty()) {
    // A kubeconfig left by an earlier run points at its old port: remove it so that a script
    // waiting for the file only ever sees this server's.
    std::error_code ec;
    std::filesystem::remove(m.kubeconfig, ec);
  }
  if (!o.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.data_dir, ec);
    if (ec) return Internal("cannot create data dir " + o.data_dir + ": " + ec.message());
    ::chmod(o.data_dir.c_str(), 0700);
    KCX_ASSIGN_OR_RETURN(m.pki, LoadOrCreatePki(o.data_dir + "/pki", hosts));
    KCX_ASSIGN_OR_RETURN(m.token, LoadOrCreateToken(o.data_dir + "/pki"));
  } else {
    KCX_ASSIGN_OR_RETURN(m.pki, GeneratePki(hosts));
    m.token = HexEncode(RandomBytes(32));
  }

  if (o.storage == "sqlite") {
    KCX_ASSIGN_OR_RETURN(m.backend, OpenSqliteBackend(o.data_dir + "/kcx.db"));
    m.sink = std::make_unique<BackendSink>(m.backend.get());
  }
  m.seq = std::make_unique<Sequencer>(m.sink.get());
  m.registry = std::make_unique<ApiRegistry>(m.seq.get(), o.watch_history);
  for (const ResourceInfo& info : BuiltinResources()) m.registry->Add(&info);
  ResourceEntry* crd_entry = m.registry->Add(&crd::CrdResourceInfo());

  RestOptions ro;
  ro.min_request_timeout_s = o.min_request_timeout_s;
  m.handler = std::make_unique<RestHandler>(m.registry.get(), m.clock, ro);
  m.crd_controller =
      std::make_unique<CrdController>(m.registry.get(), m.handler.get(), crd_entry, m.clock);

  uint64_t max_rv = 0;
  if (m.backend) {
    size_t bad = 0;
    // Custom resources need their CRD's entry, which exists only once the CRDs are loaded:
    // records of unknown prefixes wait until every CRD has been registered.
    std::vector<StoredRecord> deferred;
    auto load_one = [&](StoredRecord&& r, bool may_defer) {
      ResourceEntry* e = m.registry->FindByStoragePrefix(r.key);
      if (!e && may_defer) {
        deferred.push_back(std::move(r));
        return;
      }
      auto v = api::ParseJson(r.value);
      if (!e || !v.ok() || !v->is_object()) {
        ++bad;
        return;
      }
      if (e == crd_entry &&
          api::GetStringPath(*v, {"metadata", "name"}).size() > 0) {
        m.crd_controller->RegisterStored(v->get_object());
      }
      auto rec = std::make_shared<Record>(PrepareRecord(*e, v->get_object()));
      rec->json = std::move(r.value);
      rec->rv = r.resource_version;
      e->store->LoadRecord(std::move(rec));
    };
    auto loaded = m.backend->Load([&](StoredRecord&& r) { load_one(std::move(r), true); });
    if (!loaded.ok()) return loaded.status();
    for (auto& r : deferred) load_one(std::move(r), false);
    max_rv = *loaded;
    if (bad) log::Warn("storage: skipped {} unreadable records", bad);
  }
  m.seq->SetCurrent(max_rv);
  {
    // Versions of one custom resource share a store: finish each store once.
    std::set<ResourceStore*> done;
    for (const auto& e : m.registry->entries()) {
      if (done.insert(e->store.get()).second) e->store->FinishLoad(max_rv);
    }
  }

  m.admission = std::make_unique<admission::AdmissionChain>(m.registry.get(),
                                                            admission::NewHttpsCaller());
  m.handler->SetAdmission(m.admission.get());
  m.handler->SetNamespaceTerminatingHook([this] {
    std::lock_guard l(impl_->mu);
    impl_->ns_dirty = true;
    impl_->cv.notify_all();
  });

  // The garbage collector watches every resource, and those added later (CRDs).
  m.gc = std::make_unique<gc::GarbageCollector>(m.handler.get(), m.clock);
  // One watch per resource: a custom resource's versions share a store, so only the entry of
  // its storage version is watched.
  for (const auto& e : m.registry->entries()) {
    if (!e->NeedsConversion()) m.gc->AddResource(e.get());
  }
  m.registry->SetOnAdd([gc = m.gc.get()](ResourceEntry* e) { gc->AddResource(e); });
  m.registry->SetOnRemove([gc = m.gc.get()](ResourceEntry* e) { gc->RemoveResource(e); });
  m.gc->Start();

  // The namespaces every cluster starts with.
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    if (m.registry->namespaces()->store->Get(ns)) continue;
    Request req;
    req.method = "POST";
    req.path = "/api/v1/namespaces";
    req.body = std::string(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")") +
               ns + "\"}}";
    req.user.authenticated = true;
    Response r = CallSync(*m.handler, std::move(req));
    if (r.code != 201 && r.code != 409) {
      return Internal("creating namespace " + std::string(ns) + ": " + r.body);
    }
  }

  HttpServerOptions ho;
  ho.bind_address = o.bind_address;
  ho.port = o.port;
  ho.cert_pem = m.pki.serving_cert_pem;
  ho.key_pem = m.pki.serving_key_pem;
  ho.client_ca_pem = m.pki.ca_cert_pem;
  ho.token = m.token;
  ho.threads = o.threads;
  m.server = std::make_unique<HttpServer>(ho, m.handler.get());
  KCX_RETURN_IF_ERROR(m.server->Start());
  // The handler needs the address for discovery; set it now that the port is known.
  m.handler->SetServerAddress(o.bind_address + ":" + std::to_string(m.server->port()));

  m.crd_controller->Start();
  m.bookmark_thread = std::thread([this] { impl_->BookmarkLoop(); });
  m.ns_thread = std::thread([this] { impl_->NamespaceLoop(); });
  m.started = true;

  if (!m.kubeconfig.empty()) {
    KubeconfigSpec k;
    k.server_url = url();
    k.ca_pem = m.pki.ca_cert_pem;
    k.token = m.token;
    KCX_RETURN_IF_ERROR(WriteKubeconfig(m.kubeconfig, k));
  }
  return Status::Ok();
}

void ApiServer::Stop() {
  Impl& m = *impl_;
  if (!m.started || m.stopped) return;
  m.stopped = true;
  {
    std::lock_guard l(m.mu);
    m.stopping = true;
    m.cv.notify_all();
  }
  m.crd_controller->Stop();
  for (const auto& e : m.registry->entries()) e->store->CloseAllWatchers("server shutting down");
  m.server->Stop();
  if (m.bookmark_thread.joinable()) m.bookmark_thread.join();
  if (m.ns_thread.joinable()) m.ns_thread.join();
  if (m.gc) m.gc->Stop();
  if (m.backend) m.backend->Close();
}

uint16_t ApiServer::port() const { return impl_->server ? impl_->server->port() : 0; }
std::string ApiServer::url() const {
  std::string host = impl_->opts.bind_address;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "https://" + host + ":" + std::to_string(port());
}
const std::string& ApiServer::kubeconfig_path() const { return impl_->kubeconfig; }
const std::string& ApiServer::token() const { return impl_->token; }
const std::string& ApiServer::ca_pem() const { return impl_->pki.ca_cert_pem; }
const std::string& ApiServer::admin_cert_pem() const { return impl_->pki.admin_cert_pem; }
const std::string& ApiServer::admin_key_pem() const { return impl_->pki.admin_key_pem; }

}  // namespace kcx::apiserver
