#include "apiserver/crd_controller.h"

#include <future>

#include "api/json.h"
#include "apiserver/crd/crd.h"
#include "common/log.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace json = boost::json;

namespace {

bool HasFinalizer(const json::object& obj, std::string_view f) {
  const json::object* m = api::GetObject(obj, "metadata");
  const json::array* fs = m ? api::GetArray(*m, "finalizers") : nullptr;
  if (!fs)
    return false;
  for (const auto& x : *fs) {
    if (x.is_string() && x.get_string() == f)
      return true;
  }
  return false;
}

// Sets a condition the way kube's SetCRDCondition does (lastTransitionTime changes only with
// the status). Returns whether anything changed.
bool SetCondition(json::object& status, const std::string& type, const std::string& st,
                  const std::string& reason, const std::string& message, const std::string& now) {
  if (!status["conditions"].is_array())
    status["conditions"] = json::array();
  json::array& conds = status["conditions"].get_array();
  for (auto& c : conds) {
    json::object* co = c.if_object();
    if (!co || api::GetString(*co, "type") != type)
      continue;
    if (api::GetString(*co, "status") == st && api::GetString(*co, "reason") == reason &&
        api::GetString(*co, "message") == message) {
      return false;
    }
    if (api::GetString(*co, "status") != st)
      (*co)["lastTransitionTime"] = now;
    (*co)["status"] = st;
    (*co)["reason"] = reason;
    (*co)["message"] = message;
    return true;
  }
  conds.push_back(json::object{{"type", type},
                               {"status", st},
                               {"lastTransitionTime", now},
                               {"reason", reason},
                               {"message", message}});
  return true;
}

}  // namespace

CrdController::CrdController(ApiRegistry* registry, RestHandler* handler, ResourceEntry* crd_entry,
                             Clock* clock)
    : registry_(registry), handler_(handler), crd_entry_(crd_entry), clock_(clock) {}

CrdController::~CrdController() { Stop(); }

void CrdController::RegisterStored(const json::object& crd) {
  std::string name(api::GetStringPath(crd, {"metadata", "name"}));
  std::string why;
  if (!Serve(name, crd, &why))
    log::Warn("crd {}: not served after restart: {}", name, why);
}

void CrdController::Start() {
  StartWatch();
  thread_ = std::thread([this] { Loop(); });
}

void CrdController::Stop() {
  {
    std::lock_guard l(mu_);
    if (stopping_)
      return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable())
    thread_.join();
  if (watcher_)
    crd_entry_->store->Unwatch(watcher_);
}

void CrdController::StartWatch() {
  if (watcher_)
    crd_entry_->store->Unwatch(watcher_);
  watcher_ = std::make_shared<Watcher>(RecordFilter{}, 0, size_t{64} << 20);
  watcher_->SetWakeup([this] {
    // Runs on a writer's thread, possibly under the store lock: only flag the work.
    std::lock_guard l(mu_);
    woken_ = true;
    cv_.notify_all();
  });
  Status st = crd_entry_->store->Watch(watcher_, true, 0, {});
  if (!st.ok())
    log::Error("crd controller: cannot watch CRDs: {}", st.message());
}

void CrdController::Loop() {
  std::unique_lock l(mu_);
  while (!stopping_) {
    // Retries (CRDs waiting for their objects to go) poll every 100 ms.
    cv_.wait_for(l, std::chrono::milliseconds(retry_.empty() ? 1000 : 100),
                 [this] { return stopping_ || woken_; });
    if (stopping_)
      break;
    woken_ = false;
    l.unlock();
    std::set<std::string> names = std::move(retry_);
    retry_.clear();
    bool closed = watcher_->Closed();
    for (WatchItem& it : watcher_->Drain()) {
      if (it.obj)
        names.insert(it.obj->name);
    }
    if (closed) {
      // Fell behind: start over with a full list (the initial ADDED events).
      StartWatch();
      for (const auto& [n, s] : served_)
        names.insert(n);
    }
    for (const auto& n : names) {
      if (Sync(n))
        retry_.insert(n);
    }
    l.lock();
  }
}

bool CrdController::Serve(const std::string& name, const json::object& crd, std::string* why) {
  std::string uid(api::GetStringPath(crd, {"metadata", "uid"}));
  const json::object* meta = api::GetObject(crd, "metadata");
  int64_t gen = meta ? api::GetInt(*meta, "generation", 0) : 0;
  auto it = served_.find(name);
  if (it != served_.end() && it->second.uid == uid && it->second.generation == gen)
    return true;
  auto sr = crd::BuildServedResource(crd);
  if (!sr.ok()) {
    *why = sr.status().message();
    return false;
  }
  // Names must not clash with another served CRD of the group (kube's naming controller).
  const std::string& kind = sr->versions.front()->kind;
  for (const auto& [other, s] : served_) {
    if (other == name || s.group != sr->group)
      continue;
    if (s.plural == sr->plural) {
      *why = "PluralConflict: \"" + sr->plural + "\" is already in use";
      return false;
    }
    if (s.kind == kind) {
      *why = "KindConflict: \"" + kind + "\" is already in use";
      return false;
    }
  }
  if (FindBuiltinResource(sr->group, sr->plural)) {
    *why = "PluralConflict: \"" + sr->plural + "\" is already in use";
    return false;
  }
  if (it != served_.end() && (it->second.group != sr->group || it->second.plural != sr->plural)) {
    Unserve(name);
  }
  registry_->AddCustom(std::move(sr->versions), sr->storage_version, nullptr);
  served_[name] = Served{sr->group, sr->plural, kind, uid, gen};
  return true;
}

void CrdController::Unserve(const std::string& name) {
  auto it = served_.find(name);
  if (it == served_.end())
    return;
  if (auto store = registry_->Remove(it->second.group, it->second.plural)) {
    store->CloseAllWatchers("the custom resource definition was removed");
  }
  served_.erase(it);
}

Response CrdController::UpdateStatusSync(const std::string& name,
                                         std::function<Status(json::object&)> mutate) {
  std::promise<Response> done;
  auto f = done.get_future();
  handler_->UpdateObject(crd_entry_, "", name, "status", std::move(mutate),
                         [&done](Response r) { done.set_value(std::move(r)); });
  return f.get();
}

bool CrdController::Sync(const std::string& name) {
  RecordPtr rec = crd_entry_->store->Get(name);
  if (!rec) {
    Unserve(name);
    return false;
  }
  auto v = api::ParseJson(rec->json);
  if (!v.ok() || !v->is_object())
    return false;
  const json::object& crd = v->get_object();
  if (!api::GetStringPath(crd, {"metadata", "deletionTimestamp"}).empty()) {
    return SyncDeleting(name, crd);
  }
  std::string why;
  bool ok = Serve(name, crd, &why);
  std::string now = FormatRfc3339(clock_->WallNow());
  Response r = UpdateStatusSync(name, [&](json::object& obj) {
    json::object& status = api::EnsureObject(obj, "status");
    if (!ok) {
      std::string reason = why.substr(0, why.find(':'));
      std::string msg = why.find(": ") == std::string::npos ? why : why.substr(why.find(": ") + 2);
      SetCondition(status, "NamesAccepted", "False", reason, msg, now);
      SetCondition(status, "Established", "False", "NotAccepted", "not all names are accepted",
                   now);
      return Status::Ok();
    }
    const json::object* spec = api::GetObject(obj, "spec");
    const json::object* names = spec ? api::GetObject(*spec, "names") : nullptr;
    if (names)
      status["acceptedNames"] = *names;
    SetCondition(status, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now);
    SetCondition(status, "Established", "True", "InitialNamesAccepted",
                 "the initial names have been accepted", now);
    return Status::Ok();
  });
  if (r.code == 404)
    return false;
  return r.code >= 300;  // conflict or transient error: try again
}

bool CrdController::SyncDeleting(const std::string& name, const json::object& crd) {
  if (!HasFinalizer(crd, crd::kCleanupFinalizer))
    return false;
  auto it = served_.find(name);
  if (it != served_.end()) {
    for (const auto& e : registry_->entries()) {
      if (e->info->group == it->second.group && e->info->resource == it->second.plural) {
        e->terminating.store(true);
      }
    }
    ResourceEntry* e = nullptr;
    for (const auto& x : registry_->entries()) {
      if (x->info->group == it->second.group && x->info->resource == it->second.plural &&
          !x->NeedsConversion()) {
        e = x.get();
      }
    }
    if (e) {
      std::string now = FormatRfc3339(clock_->WallNow());
      UpdateStatusSync(name, [&](json::object& obj) {
        SetCondition(api::EnsureObject(obj, "status"), "Terminating", "True",
                     "InstanceDeletionInProgress", "CustomResource deletion is in progress", now);
        return Status::Ok();
      });
      auto list = e->store->List(RecordFilter{}, 0, "", 0);
      if (list.ok() && !list->items.empty()) {
        for (const auto& item : list->items) {
          if (item->json.find("\"deletionTimestamp\"") != std::string::npos)
            continue;
          std::promise<void> done;
          handler_->DeleteObject(e, item->ns, item->name, DeleteOptions{},
                                 [&done](Response) { done.set_value(); });
          done.get_future().wait();
        }
        // Objects with finalizers of their own stay until those are removed (as in kube).
        if (e->store->Size() > 0)
          return true;
      }
    }
    Unserve(name);
  }
  std::promise<Response> done;
  auto f = done.get_future();
  handler_->UpdateObject(
      crd_entry_, "", name, "",
      [](json::object& obj) {
        json::object& meta = api::EnsureObject(obj, "metadata");
        if (json::array* fs =
                meta.contains("finalizers") ? meta["finalizers"].if_array() : nullptr) {
          json::array kept;
          for (auto& x : *fs) {
            if (!(x.is_string() && x.get_string() == crd::kCleanupFinalizer))
              kept.push_back(x);
          }
          if (kept.empty()) {
            meta.erase("finalizers");
          } else {
            *fs = std::move(kept);
          }
        }
        return Status::Ok();
      },
      [&done](Response r) { done.set_value(std::move(r)); });
  Response r = f.get();
  return r.code >= 300 && r.code != 404;
}

}  // namespace kcx::apiserver
