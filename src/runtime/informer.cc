#include "runtime/informer.h"

#include <random>

#include "api/json.h"
#include "client/errors.h"
#include "common/log.h"

namespace kcx::runtime {

namespace json = boost::json;
using namespace std::chrono_literals;

struct SharedIndexInformer::Notification {
  enum Type { kAdd, kUpdate, kDelete } type;
  ObjectPtr old_obj, obj;
  bool initial = false;
};

class SharedIndexInformer::Listener : public HandlerRegistration,
                                      public std::enable_shared_from_this<Listener> {
 public:
  Listener(std::shared_ptr<ResourceEventHandler> h, std::chrono::nanoseconds resync,
           std::shared_ptr<std::atomic<bool>> informer_synced)
      : handler_(std::move(h)), resync_(resync), informer_synced_(std::move(informer_synced)) {}
  ~Listener() override {
    if (thread_.joinable()) thread_.detach();
  }

  bool HasSynced() const override {
    return informer_synced_->load() && initial_pending_.load() == 0;
  }

  void Start() {
    auto self = shared_from_this();
    thread_ = std::thread([self] { self->Run(); });
    thread_id_ = thread_.get_id();
  }
  // Called with the informer's deltas lock held.
  void Push(const Notification& n) {
    std::lock_guard l(mu_);
    if (stopped_) return;
    if (n.initial) initial_pending_.fetch_add(1);
    buf_.push_back(n);
    cv_.notify_one();
  }
  // Stops delivery: buffered notifications are dropped; a callback already started finishes.
  void Stop() {
    std::lock_guard l(mu_);
    stopped_ = true;
    buf_.clear();
    cv_.notify_all();
  }
  bool OnOwnThread() const { return std::this_thread::get_id() == thread_id_; }
  void Join() {
    if (!thread_.joinable()) return;
    if (OnOwnThread()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  void Detach() {
    if (thread_.joinable()) thread_.detach();
  }

  std::chrono::nanoseconds resync() const { return resync_; }
  Clock::MonoTime next_resync{};

 private:
  void Run() {
    for (;;) {
      Notification n;
      {
        std::unique_lock l(mu_);
        cv_.wait(l, [this] { return stopped_ || !buf_.empty(); });
        if (stopped_) return;
        n = std::move(buf_.front());
        buf_.pop_front();
      }
      switch (n.type) {
        case Notification::kAdd:
          handler_->OnAdd(n.obj, n.initial);
          break;
        case Notification::kUpdate:
          handler_->OnUpdate(n.old_obj, n.obj);
          break;
        case Notification::kDelete:
          handler_->OnDelete(n.old_obj);
          break;
      }
      if (n.initial) initial_pending_.fetch_sub(1);
    }
  }

  std::shared_ptr<ResourceEventHandler> handler_;
  const std::chrono::nanoseconds resync_;
  std::shared_ptr<std::atomic<bool>> informer_synced_;
  std::atomic<int64_t> initial_pending_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Notification> buf_;
  bool stopped_ = false;
  std::thread thread_;
  std::thread::id thread_id_;
};

SharedIndexInformer::SharedIndexInformer(client::RestClient* client, InformerOptions opts)
    : client_(client),
      opts_(std::move(opts)),
      clock_(opts_.clock ? *opts_.clock : RealClock()),
      synced_flag_(std::make_shared<std::atomic<bool>>(false)) {}

SharedIndexInformer::~SharedIndexInformer() { Stop(); }

void SharedIndexInformer::Run() {
  std::lock_guard l(mu_);
  if (started_ || stopped_) return;
  started_ = true;
  reflector_ = std::thread([this] { ReflectorLoop(); });
  resyncer_ = std::thread([this] { ResyncLoop(); });
}

void SharedIndexInformer::Stop() {
  {
    std::lock_guard l(mu_);
    if (stopped_) return;
    stopped_ = true;
    if (stream_) stream_->Close();
    cv_.notify_all();
  }
  if (reflector_.joinable()) reflector_.join();
  if (resyncer_.joinable()) resyncer_.join();
  std::vector<std::shared_ptr<Listener>> ls;
  {
    std::lock_guard d(deltas_mu_);
    ls.swap(listeners_);
  }
  for (auto& l : ls) l->Stop();
  for (auto& l : ls) l->Join();
}

bool SharedIndexInformer::IsStopped() const {
  std::lock_guard l(mu_);
  return stopped_;
}

bool SharedIndexInformer::HasSynced() const { return synced_flag_->load(); }

bool SharedIndexInformer::WaitForCacheSync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock l(mu_);
  while (!synced_flag_->load() && !stopped_) {
    if (cv_.wait_until(l, deadline) == std::cv_status::timeout) break;
  }
  return synced_flag_->load();
}

std::string SharedIndexInformer::LastSyncResourceVersion() const {
  std::lock_guard l(mu_);
  return rv_;
}

Result<RegistrationPtr> SharedIndexInformer::AddEventHandler(
    std::shared_ptr<ResourceEventHandler> handler, std::chrono::nanoseconds resync) {
  if (IsStopped()) {
    return Status(Reason::kBadRequest,
                  "handler cannot be added to a stopped informer");
  }
  auto l = std::make_shared<Listener>(std::move(handler), resync, synced_flag_);
  l->next_resync = clock_.Now() + resync;
  {
    std::lock_guard d(deltas_mu_);
    // The cache as it is now is this handler's initial list; later changes follow in order
    // because the reflector distributes under the same lock.
    indexer_.ForEach([&](const ObjectPtr& o) {
      l->Push(Notification{Notification::kAdd, nullptr, o, true});
    });
    listeners_.push_back(l);
    l->Start();
  }
  cv_.notify_all();  // the resync loop may need to wake earlier
  return RegistrationPtr(l);
}

Status SharedIndexInformer::RemoveEventHandler(const RegistrationPtr& reg) {
  auto l = std::dynamic_pointer_cast<Listener>(reg);
  if (reg && !l) return BadRequest("registration does not belong to an informer");
  if (!l) return Status::Ok();
  {
    std::lock_guard d(deltas_mu_);
    auto it = std::find(listeners_.begin(), listeners_.end(), l);
    if (it != listeners_.end()) listeners_.erase(it);
    l->Stop();
  }
  return Status::Ok();
}

Status SharedIndexInformer::ShutDownEventHandler(const RegistrationPtr& reg) {
  auto l = std::dynamic_pointer_cast<Listener>(reg);
  if (l && l->OnOwnThread()) {
    // Waiting for our own thread would never return.
    return BadRequest("ShutDownEventHandler called from inside the handler; use "
                      "RemoveEventHandler there");
  }
  KCX_RETURN_IF_ERROR(RemoveEventHandler(reg));
  if (l) l->Join();
  return Status::Ok();
}

void SharedIndexInformer::Distribute(const Notification& n) {
  for (auto& l : listeners_) l->Push(n);
}

bool SharedIndexInformer::WaitFor(std::chrono::nanoseconds d) {
  auto deadline = clock_.Now() + d;
  std::unique_lock l(mu_);
  while (!stopped_ && clock_.Now() < deadline) clock_.WaitUntil(cv_, l, deadline);
  return !stopped_;
}

void SharedIndexInformer::ReflectorLoop() {
  bool relist = true;
  std::chrono::nanoseconds backoff = 800ms;
  Clock::MonoTime last_backoff{};
  while (!IsStopped()) {
    Status st;
    if (relist) {
      st = List();
      if (st.ok()) relist = false;
    }
    if (st.ok()) st = Watch(&relist);
    if (IsStopped()) break;
    if (st.ok()) continue;  // the watch ended normally (its timeout): watch again
    if (relist && client::IsExpiredOrGone(st)) continue;  // 410: relist right away
    auto now = clock_.Now();
    if (now - last_backoff > 2min) backoff = 800ms;  // healthy for 2 minutes: reset
    last_backoff = now;
    log::Warn("informer {}: {}; retrying in {} ms", opts_.path, st.ToString(),
              std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
    if (!WaitFor(backoff)) break;
    backoff = std::min<std::chrono::nanoseconds>(backoff * 2, 30s);
  }
}

Status SharedIndexInformer::List() {
  ++lists_;
  std::unordered_map<std::string, ObjectPtr> items;
  std::string cont, rv;
  do {
    client::RestRequest req;
    req.path = opts_.path;
    req.query.emplace_back("limit", std::to_string(opts_.page_size));
    if (!cont.empty()) req.query.emplace_back("continue", cont);
    if (!opts_.label_selector.empty()) req.query.emplace_back("labelSelector", opts_.label_selector);
    if (!opts_.field_selector.empty()) req.query.emplace_back("fieldSelector", opts_.field_selector);
    auto r = client_->Do(req);
    if (!r.ok()) return r.status();
    boost::system::error_code ec;
    json::value page = json::parse(r->body, ec);
    if (ec || !page.is_object()) return Internal("list " + opts_.path + ": undecodable response");
    json::object& po = page.get_object();
    if (json::value* av = po.if_contains("items"); av && av->is_array()) {
      json::array* arr = &av->get_array();
      items.reserve(items.size() + arr->size());
      for (auto& it : *arr) {
        json::object* o = it.if_object();
        if (!o) continue;
        const json::object* m = api::GetObject(*o, "metadata");
        if (!m) continue;
        std::string key = ObjectKey(api::GetString(*m, "namespace"), api::GetString(*m, "name"));
        ObjectPtr cached = indexer_.Get(key);
        if (cached && cached->resource_version() == api::GetString(*m, "resourceVersion")) {
          items.emplace(std::move(key), std::move(cached));  // unchanged: share the snapshot
        } else {
          items.emplace(std::move(key), Object::FromValue(*o));
        }
      }
    }
    const json::object* lm = api::GetObject(po, "metadata");
    cont = lm ? std::string(api::GetString(*lm, "continue")) : "";
    rv = lm ? std::string(api::GetString(*lm, "resourceVersion")) : "";
  } while (!cont.empty() && !IsStopped());
  if (IsStopped()) return Status::Ok();
  {
    std::lock_guard d(deltas_mu_);
    bool initial = !synced_flag_->load();
    for (auto& delta : indexer_.Replace(std::move(items))) {
      switch (delta.type) {
        case StoreDelta::kAdded:
          Distribute({Notification::kAdd, nullptr, delta.obj, initial});
          break;
        case StoreDelta::kUpdated:
          Distribute({Notification::kUpdate, delta.old_obj, delta.obj, false});
          break;
        case StoreDelta::kDeleted:
          Distribute({Notification::kDelete, delta.old_obj, nullptr, false});
          break;
      }
    }
  }
  {
    std::lock_guard l(mu_);
    rv_ = rv;
    synced_flag_->store(true);
  }
  cv_.notify_all();
  return Status::Ok();
}

Status SharedIndexInformer::Watch(bool* relist) {
  static thread_local std::mt19937 rng(std::random_device{}());
  int lo = opts_.min_watch_timeout_s, hi = std::max(opts_.min_watch_timeout_s,
                                                    opts_.max_watch_timeout_s);
  int timeout_s = std::uniform_int_distribution<int>(lo, hi)(rng);
  client::RestRequest req;
  req.path = opts_.path;
  req.query = {{"watch", "true"},
               {"allowWatchBookmarks", "true"},
               {"resourceVersion", LastSyncResourceVersion()},
               {"timeoutSeconds", std::to_string(timeout_s)}};
  if (!opts_.label_selector.empty()) req.query.emplace_back("labelSelector", opts_.label_selector);
  if (!opts_.field_selector.empty()) req.query.emplace_back("fieldSelector", opts_.field_selector);
  ++watches_;
  auto w = client_->Watch(req);
  if (!w.ok()) {
    if (client::IsExpiredOrGone(w.status())) *relist = true;
    return w.status();
  }
  client::WatchStream* stream = w->get();
  {
    std::lock_guard l(mu_);
    if (stopped_) return Status::Ok();
    stream_ = std::move(*w);
  }
  Status result;
  for (;;) {
    // The server ends the watch after timeout_s; allow for bookmarks' spacing on top.
    auto ev = stream->Next((timeout_s + 60) * 1000);
    if (!ev.ok()) {
      result = IsStopped() ? Status::Ok() : ev.status();
      break;
    }
    if (!ev->has_value()) break;  // normal end
    const client::WatchEvent& e = **ev;
    if (e.type == "ERROR") {
      auto v = json::parse(e.object);
      int code = static_cast<int>(api::GetInt(v.as_object(), "code", 500));
      std::string reason(api::GetString(v.as_object(), "reason"));
      Status st(ReasonFromString(reason, code), std::string(api::GetString(v.as_object(), "message")));
      if (code == 410) *relist = true;
      result = st;
      break;
    }
    auto obj = Object::FromJson(e.object);
    if (!obj.ok()) {
      result = obj.status();
      break;
    }
    std::string new_rv((*obj)->resource_version());
    if (e.type == "BOOKMARK") {
      std::lock_guard l(mu_);
      rv_ = new_rv;
      continue;
    }
    {
      std::lock_guard d(deltas_mu_);
      if (e.type == "ADDED" || e.type == "MODIFIED") {
        ObjectPtr old = indexer_.Upsert(*obj);
        if (old) {
          Distribute({Notification::kUpdate, old, *obj, false});
        } else {
          Distribute({Notification::kAdd, nullptr, *obj, false});
        }
      } else if (e.type == "DELETED") {
        indexer_.Delete((*obj)->Key());
        Distribute({Notification::kDelete, *obj, nullptr, false});
      }
    }
    std::lock_guard l(mu_);
    rv_ = new_rv;
  }
  std::lock_guard l(mu_);
  stream_.reset();
  return result;
}

void SharedIndexInformer::ResyncLoop() {
  std::unique_lock l(mu_);
  while (!stopped_) {
    Clock::MonoTime next = Clock::MonoTime::max();
    std::vector<std::shared_ptr<Listener>> due;
    {
      std::lock_guard d(deltas_mu_);
      auto now = clock_.Now();
      for (auto& li : listeners_) {
        if (li->resync().count() <= 0) continue;
        if (li->next_resync <= now && synced_flag_->load()) {
          due.push_back(li);
          li->next_resync = now + li->resync();
        }
        next = std::min(next, li->next_resync);
      }
      for (auto& li : due) {
        indexer_.ForEach([&](const ObjectPtr& o) {
          li->Push(Notification{Notification::kUpdate, o, o, false});
        });
      }
    }
    if (next == Clock::MonoTime::max()) {
      cv_.wait(l);
    } else {
      clock_.WaitUntil(cv_, l, std::min(next, clock_.Now() + 1s));
    }
  }
}

}  // namespace kcx::runtime
