#include "apiserver/admission/chain.h"

#include <atomic>

#include "api/json.h"
#include "api/patch.h"
#include "apiserver/admission/review.h"
#include "apiserver/rest/api_registry.h"
#include "client/transport.h"
#include "common/log.h"
#include "common/strings.h"

namespace kcx::apiserver::admission {

namespace json = boost::json;

namespace {

constexpr std::string_view kGroup = "admissionregistration.k8s.io";

using Ids = std::vector<std::pair<std::string, uint64_t>>;

// The stored configurations of one kind, in name order (the store lists in key order and the
// key of a cluster-scoped object is its name: kube sorts configurations by name too).
std::vector<RecordPtr> ListConfigs(ApiRegistry* registry, std::string_view resource) {
  ResourceEntry* e = registry->Find(kGroup, "v1", resource);
  if (!e)
    return {};
  auto l = e->store->List(RecordFilter{}, 0, "", 0);
  if (!l.ok())
    return {};
  return std::move(l->items);
}

Ids IdsOf(const std::vector<RecordPtr>& recs) {
  Ids ids;
  ids.reserve(recs.size());
  for (const auto& r : recs)
    ids.emplace_back(r->key, r->rv);
  return ids;
}

std::vector<Webhook> ParseAll(const std::vector<RecordPtr>& recs, bool mutating) {
  std::vector<Webhook> out;
  for (const auto& r : recs) {
    auto v = api::ParseJson(r->json);
    if (!v.ok() || !v->is_object())
      continue;
    auto hooks = ParseConfiguration(v->get_object(), mutating);
    for (auto& h : hooks)
      out.push_back(std::move(h));
  }
  return out;
}

bool SupportsDryRun(const Webhook& w) {
  return w.side_effects == "None" || w.side_effects == "NoneOnDryRun";
}

std::string GroupVersion(const GroupVersionResource& r) {
  return r.group.empty() ? r.version : r.group + "/" + r.version;
}

}  // namespace

struct AdmissionChain::Snapshot {
  Ids mutating_ids, validating_ids;
  std::vector<Webhook> mutating, validating;
};

struct AdmissionChain::Matched {
  std::shared_ptr<const Snapshot> snap;  // keeps `hook` alive
  const Webhook* hook = nullptr;
  GroupVersionResource resource;  // the version the webhook is called with
  GroupVersionKind kind;
  bool converted = false;  // differs from the request's version (matchPolicy Equivalent)
};

struct AdmissionChain::CallResult {
  bool failed = false;  // the call itself failed (subject to failurePolicy)
  std::string error;    // "failed calling webhook ...: ..." when failed
  ReviewResult review;
};

AdmissionChain::AdmissionChain(ApiRegistry* registry, std::unique_ptr<WebhookCaller> caller,
                               ChainOptions opts)
    : registry_(registry), caller_(std::move(caller)), opts_(opts) {
  if (opts_.threads == 0)
    opts_.threads = 1;
}

AdmissionChain::~AdmissionChain() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_)
    t.join();
}

void AdmissionChain::Post(std::function<void()> task) {
  {
    std::lock_guard l(mu_);
    if (workers_.empty()) {
      for (size_t i = 0; i < opts_.threads; ++i)
        workers_.emplace_back([this] { WorkerLoop(); });
    }
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void AdmissionChain::WorkerLoop() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock l(mu_);
      cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

std::shared_ptr<const AdmissionChain::Snapshot> AdmissionChain::Current() {
  auto mut = ListConfigs(registry_, "mutatingwebhookconfigurations");
  auto val = ListConfigs(registry_, "validatingwebhookconfigurations");
  Ids mids = IdsOf(mut), vids = IdsOf(val);
  std::lock_guard l(snap_mu_);
  if (snap_ && snap_->mutating_ids == mids && snap_->validating_ids == vids)
    return snap_;
  auto s = std::make_shared<Snapshot>();
  s->mutating_ids = std::move(mids);
  s->validating_ids = std::move(vids);
  s->mutating = ParseAll(mut, true);
  s->validating = ParseAll(val, false);
  snap_ = s;
  return s;
}

std::vector<AdmissionChain::Matched> AdmissionChain::Match(const std::vector<Webhook>& hooks,
                                                           const Attributes& a,
                                                           std::optional<json::object>& error) {
  std::vector<Matched> out;
  if (hooks.empty() || IsExemptResource(a.resource))
    return out;
  bool is_namespace = a.resource.group.empty() && a.resource.resource == "namespaces";
  RecordPtr ns_rec;
  bool ns_loaded = false;
  for (const Webhook& w : hooks) {
    Matched m;
    m.hook = &w;
    RuleSubject subj{a.operation, &a.resource, a.subresource, a.ns};
    if (AnyRuleMatches(w.rules, subj)) {
      m.resource = a.resource;
      m.kind = a.kind;
    } else if (w.match_equivalent) {
      // matchPolicy Equivalent: the same resource served at another version of its group
      // (a CRD with several versions). kcx serves every built-in type at one version only.
      bool found = false;
      for (const auto& rv : w.rules) {
        const json::object* rule = rv.if_object();
        const json::array* versions = rule ? api::GetArray(*rule, "apiVersions") : nullptr;
        if (!versions)
          continue;
        for (const auto& vv : *versions) {
          if (!vv.is_string() || vv == "*" || vv.get_string() == a.resource.version)
            continue;
          ResourceEntry* e =
              registry_->Find(a.resource.group, vv.get_string(), a.resource.resource);
          if (!e)
            continue;
          GroupVersionResource alt{a.resource.group, std::string(vv.get_string()),
                                   a.resource.resource};
          RuleSubject s2{a.operation, &alt, a.subresource, a.ns};
          if (!RuleMatches(*rule, s2))
            continue;
          m.resource = alt;
          m.kind = GroupVersionKind{a.kind.group, alt.version, e->info->kind};
          m.converted = true;
          found = true;
          break;
        }
        if (found)
          break;
      }
      if (!found)
        continue;
    } else {
      continue;
    }
    if (!w.invalid.empty()) {
      error = InternalErrorStatus("failed calling webhook \"" + w.name + "\": " + w.invalid);
      return {};
    }
    // namespaceSelector: cluster-scoped objects other than Namespaces always match.
    if (!w.namespace_selector.Empty() && (!a.ns.empty() || is_namespace)) {
      bool matches;
      if (is_namespace && a.operation != Operation::kDelete && a.object) {
        // Creating or updating a Namespace: its labels as they are about to be written.
        const json::object* meta = api::GetObject(*a.object, "metadata");
        matches = w.namespace_selector.MatchesJson(meta ? meta->if_contains("labels") : nullptr);
      } else {
        if (!ns_loaded) {
          ns_loaded = true;
          if (ResourceEntry* nse = registry_->namespaces())
            ns_rec = nse->store->GetLatest(a.ns);
        }
        matches = w.namespace_selector.Matches(ns_rec ? ns_rec->labels : api::LabelSet{});
      }
      if (!matches)
        continue;
    }
    if (!ObjectSelectorMatches(w.object_selector, a.object.get(), a.old_object.get()))
      continue;
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

// Where a webhook is reached: clientConfig.url, or clientConfig.service resolved through the
// Endpoints of the Service (there is no cluster network; the endpoint addresses are dialed
// directly and the certificate must be valid for <service>.<namespace>.svc, as in kube).
Result<CallTarget> ResolveTarget(ApiRegistry* registry, const Webhook& w) {
  CallTarget t;
  std::string q = "?timeout=" + std::to_string(w.timeout_seconds) + "s";
  t.ca_pem = w.ca_pem;
  if (!w.url.empty()) {
    KCX_ASSIGN_OR_RETURN(client::Endpoint ep, client::Endpoint::FromUrl(w.url));
    t.host = ep.host;
    t.port = ep.port;
    t.server_name = ep.host;
    std::string_view rest = w.url;
    if (size_t p = rest.find("://"); p != std::string_view::npos)
      rest.remove_prefix(p + 3);
    size_t slash = rest.find('/');
    std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    t.target = path + q;
    t.url = w.url + q;
    return t;
  }
  std::string path = w.service_path.empty() ? "/" : w.service_path;
  std::string host = w.service_name + "." + w.service_namespace + ".svc";
  t.server_name = host;
  t.target = path + q;
  t.url = "https://" + host + ":" + std::to_string(w.service_port) + path + q;
  std::string key = w.service_namespace + "/" + w.service_name;
  ResourceEntry* se = registry->Find("", "v1", "services");
  ResourceEntry* ee = registry->Find("", "v1", "endpoints");
  RecordPtr svc = se ? se->store->GetLatest(key) : nullptr;
  if (!svc)
    return Status(Reason::kNotFound, "service \"" + w.service_name + "\" not found");
  auto sv = api::ParseJson(svc->json);
  std::string port_name;
  bool port_found = false;
  if (sv.ok() && sv->is_object()) {
    const json::object* spec = api::GetObject(sv->get_object(), "spec");
    const json::array* ports = spec ? api::GetArray(*spec, "ports") : nullptr;
    if (ports) {
      for (const auto& p : *ports) {
        const json::object* po = p.if_object();
        if (po && api::GetInt(*po, "port", 0) == w.service_port) {
          port_name = std::string(api::GetString(*po, "name"));
          port_found = true;
          break;
        }
      }
    }
  }
  if (!port_found) {
    return Status(Reason::kUnavailable, "no service port " + std::to_string(w.service_port) +
                                            " found for service \"" + w.service_name + "\"");
  }
  RecordPtr eps = ee ? ee->store->GetLatest(key) : nullptr;
  auto ev = eps ? api::ParseJson(eps->json) : Result<json::value>(json::value());
  const json::array* subsets =
      ev.ok() && ev->is_object() ? api::GetArray(ev->get_object(), "subsets") : nullptr;
  if (subsets) {
    for (const auto& sub : *subsets) {
      const json::object* so = sub.if_object();
      if (!so)
        continue;
      const json::array* addrs = api::GetArray(*so, "addresses");
      const json::array* ports = api::GetArray(*so, "ports");
      if (!addrs || addrs->empty() || !ports)
        continue;
      for (const auto& p : *ports) {
        const json::object* po = p.if_object();
        if (!po || api::GetString(*po, "name") != port_name)
          continue;
        const json::object* a0 = (*addrs)[0].if_object();
        if (!a0 || api::GetString(*a0, "ip").empty())
          continue;
        t.host = std::string(api::GetString(*a0, "ip"));
        t.port = static_cast<uint16_t>(api::GetInt(*po, "port", 0));
        return t;
      }
    }
  }
  return Status(Reason::kUnavailable,
                "no endpoints available for service \"" + w.service_name + "\"");
}

// The object as the webhook's version shows it (conversion strategy None: apiVersion only).
json::object Converted(const json::object& o, const GroupVersionResource& r) {
  json::object c = o;
  c["apiVersion"] = GroupVersion(r);
  return c;
}

}  // namespace

AdmissionChain::CallResult AdmissionChain::Call(const Matched& m, const Attributes& a,
                                                const json::object* object,
                                                const json::object* old_object) {
  const Webhook& w = *m.hook;
  CallResult out;
  auto fail = [&](std::string msg) {
    out.failed = true;
    out.error = "failed calling webhook \"" + w.name + "\": " + msg;
    return out;
  };
  auto target = ResolveTarget(registry_, w);
  std::string url = !w.url.empty() ? w.url
                                   : "https://" + w.service_name + "." + w.service_namespace +
                                         ".svc:" + std::to_string(w.service_port) +
                                         (w.service_path.empty() ? "/" : w.service_path);
  if (!target.ok()) {
    return fail("failed to call webhook: Post \"" + url + "?timeout=" +
                std::to_string(w.timeout_seconds) + "s\": " + target.status().message());
  }
  std::string uid = NewUuid();
  Invocation inv{m.resource, m.kind, object, old_object};
  std::string body = json::serialize(BuildReview(w, a, inv, uid));
  auto resp = caller_->Post(*target, body, std::chrono::seconds(w.timeout_seconds));
  if (!resp.ok()) {
    return fail("failed to call webhook: Post \"" + target->url + "\": " + resp.status().message());
  }
  auto parsed = ParseReviewResponse(*resp, uid, w.review_version, w.mutating);
  if (!parsed.ok())
    return fail(parsed.status().message());
  out.review = std::move(*parsed);
  return out;
}

void AdmissionChain::Mutate(std::shared_ptr<Attributes> attrs, Done done) {
  auto snap = Current();
  if (snap->mutating.empty())
    return done({});
  std::optional<json::object> error;
  auto hooks = Match(snap->mutating, *attrs, error);
  if (error)
    return done(Outcome{std::move(error), {}});
  if (hooks.empty())
    return done({});
  for (auto& h : hooks)
    h.snap = snap;
  Post([this, attrs, hooks = std::move(hooks), done = std::move(done)]() mutable {
    RunMutating(std::move(attrs), std::move(hooks), std::move(done));
  });
}

void AdmissionChain::RunMutating(std::shared_ptr<Attributes> attrs, std::vector<Matched> hooks,
                                 Done done) {
  Outcome out;
  json::object* obj = attrs->object.get();
  uint64_t version = 0;  // bumped whenever a webhook changes the object
  std::vector<uint64_t> seen(hooks.size(), 0);
  std::vector<bool> called(hooks.size(), false);
  // Calls hooks[i]; false when the request is rejected (out.error set).
  auto invoke = [&](size_t i) -> bool {
    const Matched& m = hooks[i];
    const Webhook& w = *m.hook;
    if (attrs->dry_run && !SupportsDryRun(w)) {
      out.error = BadRequestStatus("admission webhook \"" + w.name + "\" does not support dry run");
      return false;
    }
    std::optional<json::object> conv_obj, conv_old;
    const json::object* send_obj = obj;
    const json::object* send_old = attrs->old_object.get();
    if (m.converted) {
      if (obj)
        send_obj = &conv_obj.emplace(Converted(*obj, m.resource));
      if (send_old)
        send_old = &conv_old.emplace(Converted(*send_old, m.resource));
    }
    CallResult cr = Call(m, *attrs, send_obj, send_old);
    called[i] = true;
    if (cr.failed) {
      if (w.fail_closed) {
        out.error = InternalErrorStatus(cr.error);
        return false;
      }
      log::Warn("admission: failurePolicy Ignore: {}", cr.error);
      seen[i] = version;
      return true;
    }
    for (auto& s : cr.review.warnings)
      out.warnings.push_back(std::move(s));
    if (!cr.review.allowed) {
      out.error = DenialStatus(w.name, std::move(cr.review.status));
      return false;
    }
    if (cr.review.patch && obj) {
      auto patched = api::ApplyJsonPatch(json::value(*send_obj), *cr.review.patch);
      if (!patched.ok() || !patched->is_object()) {
        out.error = InternalErrorStatus(patched.ok() ? "the patch of webhook \"" + w.name +
                                                           "\" did not produce an object"
                                                     : patched.status().message());
        return false;
      }
      json::object& po = patched->get_object();
      if (m.converted)
        po["apiVersion"] = GroupVersion(attrs->resource);
      if (po != *obj) {
        *obj = std::move(po);
        ++version;
      }
    }
    seen[i] = version;
    return true;
  };
  bool ok = true;
  for (size_t i = 0; ok && i < hooks.size(); ++i)
    ok = invoke(i);
  // reinvocationPolicy IfNeeded: once more for webhooks that ran before a later change.
  for (size_t i = 0; ok && i < hooks.size(); ++i) {
    if (hooks[i].hook->reinvoke_if_needed && called[i] && seen[i] < version)
      ok = invoke(i);
  }
  out.mutated = version > 0;
  done(std::move(out));
}

void AdmissionChain::Validate(std::shared_ptr<Attributes> attrs, Done done) {
  auto snap = Current();
  if (snap->validating.empty())
    return done({});
  std::optional<json::object> error;
  auto hooks = Match(snap->validating, *attrs, error);
  if (error)
    return done(Outcome{std::move(error), {}});
  if (hooks.empty())
    return done({});
  for (const auto& h : hooks) {
    if (attrs->dry_run && !SupportsDryRun(*h.hook)) {
      return done(Outcome{
          BadRequestStatus("admission webhook \"" + h.hook->name + "\" does not support dry run"),
          {}});
    }
  }
  struct State {
    std::shared_ptr<const Snapshot> snap;
    std::shared_ptr<Attributes> attrs;
    std::vector<Matched> hooks;
    std::vector<CallResult> results;
    std::atomic<size_t> left;
    Done done;
  };
  auto st = std::make_shared<State>();
  st->snap = snap;
  st->attrs = std::move(attrs);
  st->hooks = std::move(hooks);
  st->results.resize(st->hooks.size());
  st->left = st->hooks.size();
  st->done = std::move(done);
  for (size_t i = 0; i < st->hooks.size(); ++i) {
    Post([this, st, i] {
      const Matched& m = st->hooks[i];
      const Attributes& a = *st->attrs;
      std::optional<json::object> conv_obj, conv_old;
      const json::object* o = a.object.get();
      const json::object* old = a.old_object.get();
      if (m.converted) {
        if (o)
          o = &conv_obj.emplace(Converted(*o, m.resource));
        if (old)
          old = &conv_old.emplace(Converted(*old, m.resource));
      }
      st->results[i] = Call(m, a, o, old);
      if (st->left.fetch_sub(1) != 1)
        return;
      // The last call to finish decides, in configuration order (deterministic, unlike
      // kube's first-to-arrive).
      Outcome out;
      for (size_t k = 0; k < st->hooks.size(); ++k) {
        CallResult& r = st->results[k];
        const Webhook& w = *st->hooks[k].hook;
        if (r.failed) {
          if (w.fail_closed) {
            if (!out.error)
              out.error = InternalErrorStatus(r.error);
          } else {
            log::Warn("admission: failurePolicy Ignore: {}", r.error);
          }
          continue;
        }
        for (auto& s : r.review.warnings)
          out.warnings.push_back(std::move(s));
        if (!r.review.allowed && !out.error) {
          out.error = DenialStatus(w.name, std::move(r.review.status));
        }
      }
      st->done(std::move(out));
    });
  }
}

}  // namespace kcx::apiserver::admission
