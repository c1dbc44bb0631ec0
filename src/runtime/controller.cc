#include "runtime/controller.h"

#include "client/errors.h"
#include "common/log.h"

namespace kcx::runtime {

std::string ResourceKind::CollectionPath(std::string_view ns) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p.append("/namespaces/").append(ns);
  p.append("/").append(resource);
  return p;
}

Predicate GenerationChanged() {
  return [](const Event& e) {
    if (e.type != Event::kUpdate) return true;
    return !e.old_obj || e.old_obj->generation() != e.obj->generation();
  };
}

Predicate LabelsChanged() {
  return [](const Event& e) {
    if (e.type != Event::kUpdate) return true;
    return !e.old_obj || e.old_obj->labels() != e.obj->labels();
  };
}

Predicate AnnotationsChanged() {
  return [](const Event& e) {
    if (e.type != Event::kUpdate) return true;
    return !e.old_obj || e.old_obj->annotations_hash() != e.obj->annotations_hash();
  };
}

// ------------------------------------------------------------------------------------------
// InformerFactory

namespace {
std::string FactoryKey(const std::string& path, const std::string& ls, const std::string& fs) {
  return path + "\n" + ls + "\n" + fs;
}
}  // namespace

InformerFactory::~InformerFactory() { Stop(); }

SharedIndexInformer* InformerFactory::Get(const std::string& path, const std::string& ls,
                                          const std::string& fs) {
  std::lock_guard l(mu_);
  auto& inf = informers_[FactoryKey(path, ls, fs)];
  if (!inf) {
    InformerOptions o;
    o.path = path;
    o.label_selector = ls;
    o.field_selector = fs;
    inf = std::make_unique<SharedIndexInformer>(client_, o);
    if (started_) inf->Run();
  }
  return inf.get();
}

void InformerFactory::Start() {
  std::lock_guard l(mu_);
  started_ = true;
  for (auto& [k, inf] : informers_) inf->Run();
}

bool InformerFactory::WaitForCacheSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<SharedIndexInformer*> all;
  {
    std::lock_guard l(mu_);
    for (auto& [k, inf] : informers_) all.push_back(inf.get());
  }
  for (auto* inf : all) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!inf->WaitForCacheSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void InformerFactory::Remove(const std::string& path, const std::string& ls,
                             const std::string& fs) {
  std::unique_ptr<SharedIndexInformer> gone;
  {
    std::lock_guard l(mu_);
    auto it = informers_.find(FactoryKey(path, ls, fs));
    if (it == informers_.end()) return;
    gone = std::move(it->second);
    informers_.erase(it);
  }
  gone->Stop();
}

void InformerFactory::Stop() {
  std::map<std::string, std::unique_ptr<SharedIndexInformer>> all;
  {
    std::lock_guard l(mu_);
    all.swap(informers_);
  }
  for (auto& [k, inf] : all) inf->Stop();
}

// ------------------------------------------------------------------------------------------
// Controller

Controller::Controller(std::string name, InformerFactory* factory, Reconciler reconciler)
    : name_(std::move(name)), factory_(factory), reconciler_(std::move(reconciler)) {}

Controller::~Controller() { Stop(); }

Controller& Controller::For(const ResourceKind& kind, std::vector<Predicate> predicates) {
  has_for_ = true;
  // For() is always the first source: Owns() reads the owner kind from it.
  sources_.insert(sources_.begin(), Source{kind,
                      [](const ObjectPtr& o) {
                        return std::vector<Request>{{std::string(o->ns()), std::string(o->name())}};
                      },
                      std::move(predicates)});
  return *this;
}

Controller& Controller::Owns(const ResourceKind& kind, std::vector<Predicate> predicates) {
  // Children map to their controller owner when it is of the For() kind. The owner kind is
  // looked up when the event arrives, so For() may come after Owns().
  sources_.push_back({kind,
                      [this](const ObjectPtr& o) {
                        std::vector<Request> out;
                        const auto& ref = o->controller();
                        if (!ref || sources_.empty()) return out;
                        const ResourceKind& owner = sources_.front().kind;
                        std::string_view av = ref->api_version;
                        std::string_view group = av.substr(0, av.find('/'));
                        if (av.find('/') == std::string_view::npos) group = "";
                        if (ref->kind == owner.kind && group == owner.group) {
                          out.push_back({std::string(o->ns()), ref->name});
                        }
                        return out;
                      },
                      std::move(predicates)});
  return *this;
}

Controller& Controller::Watches(const ResourceKind& kind, MapFn map,
                                std::vector<Predicate> predicates) {
  sources_.push_back({kind, std::move(map), std::move(predicates)});
  return *this;
}

Controller& Controller::MaxConcurrentReconciles(int n) {
  workers_n_ = std::max(1, n);
  return *this;
}
Controller& Controller::WithMetrics(ControllerMetrics* m) {
  metrics_ = m;
  return *this;
}
Controller& Controller::WithQueueMetrics(WorkQueueMetrics* m) {
  queue_metrics_ = m;
  return *this;
}
Controller& Controller::InNamespace(std::string ns) {
  ns_ = std::move(ns);
  return *this;
}

Controller& Controller::WithLabelSelector(const ResourceKind& kind, std::string selector) {
  selectors_[kind.CollectionPath()] = std::move(selector);
  return *this;
}

SharedIndexInformer* Controller::InformerFor(const ResourceKind& kind) {
  auto it = selectors_.find(kind.CollectionPath());
  return factory_->Get(kind.CollectionPath(ns_), it == selectors_.end() ? "" : it->second);
}

void Controller::Enqueue(const Source& s, const Event& e) {
  for (const auto& p : s.predicates) {
    if (!p(e)) return;
  }
  const ObjectPtr& o = e.obj ? e.obj : e.old_obj;
  for (auto& r : s.map(o)) queue_->Add(r);
  if (e.type == Event::kUpdate && e.old_obj && &s != &sources_.front()) {
    // A child that changed owner: the old owner must hear about it too (controller-runtime's
    // EnqueueRequestForOwner does the same).
    for (auto& r : s.map(e.old_obj)) queue_->Add(r);
  }
}

Status Controller::Start(std::chrono::milliseconds sync_timeout) {
  {
    std::lock_guard l(mu_);
    if (started_) return Status::Ok();
    if (!has_for_) return BadRequest("controller " + name_ + ": For() was not called");
    started_ = true;
  }
  WorkQueue<Request, RequestHash>::Options qo;
  qo.metrics = queue_metrics_;
  queue_ = std::make_unique<WorkQueue<Request, RequestHash>>(std::move(qo));
  for (const auto& s : sources_) {
    SharedIndexInformer* inf = InformerFor(s.kind);
    auto h = std::make_shared<FuncHandler>();
    const Source* src = &s;
    h->on_add = [this, src](const ObjectPtr& o, bool) {
      Enqueue(*src, Event{Event::kCreate, nullptr, o});
    };
    h->on_update = [this, src](const ObjectPtr& a, const ObjectPtr& b) {
      Enqueue(*src, Event{Event::kUpdate, a, b});
    };
    h->on_delete = [this, src](const ObjectPtr& o) {
      Enqueue(*src, Event{Event::kDelete, nullptr, o});
    };
    auto reg = inf->AddEventHandler(h);
    if (!reg.ok()) return reg.status();
    registrations_.emplace_back(inf, *reg);
  }
  factory_->Start();
  auto deadline = std::chrono::steady_clock::now() + sync_timeout;
  if (!factory_->WaitForCacheSync(sync_timeout)) {
    return Timeout("controller " + name_ + ": caches did not sync");
  }
  for (auto& [inf, reg] : registrations_) {
    while (!reg->HasSynced()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Timeout("controller " + name_ + ": event handlers did not sync");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (int i = 0; i < workers_n_; ++i) workers_.emplace_back([this] { Worker(); });
  log::Info("controller {} started with {} workers", name_, workers_n_);
  return Status::Ok();
}

void Controller::Worker() {
  while (auto item = queue_->Get()) {
    if (stopping_.load()) {  // stop taking work: drop what is still queued
      queue_->Done(*item);
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    Result<ReconcileResult> r = reconciler_(*item);
    ++reconciles_;
    if (metrics_) metrics_->OnReconcile(name_, !r.ok(), std::chrono::steady_clock::now() - start);
    if (!r.ok()) {
      log::Warn("controller {}: reconcile {} failed: {}", name_, item->Key(),
                r.status().ToString());
      queue_->AddRateLimited(*item);
    } else if (r->requeue_after.count() > 0) {
      queue_->Forget(*item);
      queue_->AddAfter(*item, r->requeue_after);
    } else if (r->requeue) {
      queue_->AddRateLimited(*item);
    } else {
      queue_->Forget(*item);
    }
    queue_->Done(*item);
  }
}

void Controller::Stop() {
  {
    std::lock_guard l(mu_);
    if (!started_ || stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  for (auto& [inf, reg] : registrations_) inf->RemoveEventHandler(reg).IgnoreError();
  // Stop taking work: queued requests are dropped, in-flight reconciles finish.
  queue_->ShutDownWithDrain();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

}  // namespace kcx::runtime
