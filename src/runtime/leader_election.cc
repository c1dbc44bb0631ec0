#include "runtime/leader_election.h"

#include <boost/json.hpp>
#include <random>

#include "api/json.h"
#include "client/errors.h"
#include "common/log.h"
#include "common/strings.h"

namespace kcx::runtime {

namespace json = boost::json;

LeaderElector::LeaderElector(client::RestClient* client, LeaderElectionConfig cfg)
    : client_(client), cfg_(std::move(cfg)), clock_(cfg_.clock ? *cfg_.clock : RealClock()) {}

std::string LeaderElector::LeasePath() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + cfg_.lease_namespace + "/leases/" +
         cfg_.lease_name;
}

std::string LeaderElector::GetLeader() const {
  std::lock_guard l(mu_);
  return observed_holder_;
}

bool LeaderElector::Sleep(std::chrono::nanoseconds d) {
  auto deadline = clock_.Now() + d;
  std::unique_lock l(mu_);
  while (!stopped_ && clock_.Now() < deadline) clock_.WaitUntil(cv_, l, deadline);
  return !stopped_;
}

void LeaderElector::Stop() {
  std::lock_guard l(mu_);
  stopped_ = true;
  cv_.notify_all();
}

bool LeaderElector::TryAcquireOrRenew() {
  std::string now = FormatRfc3339Micro(clock_.WallNow());
  int lease_s = static_cast<int>(
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(cfg_.lease_duration)
                               .count()));
  auto got = client_->Do({.path = LeasePath()});
  if (!got.ok() && !client::IsNotFound(got.status())) {
    log::Warn("leader election {}: reading the lease failed: {}", cfg_.lease_name,
              got.status().ToString());
    return false;
  }
  if (!got.ok()) {
    json::object lease{
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", json::object{{"name", cfg_.lease_name},
                                  {"namespace", cfg_.lease_namespace}}},
        {"spec", json::object{{"holderIdentity", cfg_.identity},
                              {"leaseDurationSeconds", lease_s},
                              {"acquireTime", now},
                              {"renewTime", now},
                              {"leaseTransitions", 0}}}};
    auto c = client_->Do({.verb = "POST",
                          .path = "/apis/coordination.k8s.io/v1/namespaces/" +
                                  cfg_.lease_namespace + "/leases",
                          .body = json::serialize(lease)});
    if (!c.ok()) return false;
    std::lock_guard l(mu_);
    observed_holder_ = cfg_.identity;
    observed_time_ = clock_.Now();
    observed_record_.clear();
    return true;
  }
  boost::system::error_code ec;
  json::value v = json::parse(got->body, ec);
  if (ec || !v.is_object()) return false;
  json::object& obj = v.get_object();
  json::object& spec = api::EnsureObject(obj, "spec");
  std::string holder(api::GetString(spec, "holderIdentity"));
  int64_t duration_s = api::GetInt(spec, "leaseDurationSeconds", lease_s);
  std::string record = json::serialize(spec);
  std::string rv(api::GetStringPath(v, {"metadata", "resourceVersion"}));
  bool expired;
  std::string new_leader;
  {
    std::lock_guard l(mu_);
    if (record != observed_record_) {
      // The record changed since we last looked: restart the expiry clock.
      observed_record_ = record;
      observed_time_ = clock_.Now();
      if (holder != observed_holder_ && !holder.empty() && holder != cfg_.identity) {
        new_leader = holder;
      }
      observed_holder_ = holder;
    }
    expired = clock_.Now() > observed_time_ + std::chrono::seconds(duration_s);
  }
  if (!new_leader.empty() && cfg_.on_new_leader) cfg_.on_new_leader(new_leader);
  if (!holder.empty() && holder != cfg_.identity && !expired) return false;
  if (holder != cfg_.identity) {
    spec["leaseTransitions"] = api::GetInt(spec, "leaseTransitions", 0) + (holder.empty() ? 0 : 1);
    spec["acquireTime"] = now;
  }
  spec["holderIdentity"] = cfg_.identity;
  spec["leaseDurationSeconds"] = lease_s;
  spec["renewTime"] = now;
  auto u = client_->Do({.verb = "PUT", .path = LeasePath(), .body = json::serialize(obj)});
  if (!u.ok()) return false;  // 409: somebody else wrote first
  std::lock_guard l(mu_);
  observed_holder_ = cfg_.identity;
  observed_record_ = json::serialize(spec);
  observed_time_ = clock_.Now();
  return true;
}

void LeaderElector::Release() {
  auto got = client_->Do({.path = LeasePath()});
  if (!got.ok()) return;
  boost::system::error_code ec;
  json::value v = json::parse(got->body, ec);
  if (ec || !v.is_object()) return;
  json::object& spec = api::EnsureObject(v.get_object(), "spec");
  if (api::GetString(spec, "holderIdentity") != cfg_.identity) return;
  spec["holderIdentity"] = "";
  spec["leaseDurationSeconds"] = 1;
  spec["renewTime"] = FormatRfc3339Micro(clock_.WallNow());
  auto u = client_->Do({.verb = "PUT", .path = LeasePath(), .body = json::serialize(v)});
  if (!u.ok()) log::Warn("leader election {}: release failed: {}", cfg_.lease_name,
                         u.status().ToString());
}

Status LeaderElector::Run() {
  if (cfg_.lease_name.empty() || cfg_.identity.empty()) {
    return BadRequest("leader election needs a lease name and an identity");
  }
  if (cfg_.renew_deadline >= cfg_.lease_duration || cfg_.retry_period >= cfg_.renew_deadline) {
    return BadRequest("leader election: need retry_period < renew_deadline < lease_duration");
  }
  std::mt19937 rng(std::random_device{}());
  auto jittered = [&] {
    std::uniform_real_distribution<double> j(1.0, 1.2);  // client-go's JitterFactor 1.2
    return std::chrono::duration_cast<std::chrono::nanoseconds>(cfg_.retry_period * j(rng));
  };
  // Campaign.
  while (!TryAcquireOrRenew()) {
    if (!Sleep(jittered())) return Status::Ok();
  }
  leading_ = true;
  log::Info("leader election {}: {} became leader", cfg_.lease_name, cfg_.identity);
  if (cfg_.on_new_leader) cfg_.on_new_leader(cfg_.identity);
  if (cfg_.on_started_leading) cfg_.on_started_leading();
  // Lead: renew every retry period; give up when renewals fail for renew_deadline.
  Status result;
  auto last_renew = clock_.Now();
  for (;;) {
    if (!Sleep(cfg_.retry_period)) break;
    if (TryAcquireOrRenew()) {
      last_renew = clock_.Now();
      continue;
    }
    if (clock_.Now() - last_renew >= cfg_.renew_deadline) {
      result = Unavailable("leader election " + cfg_.lease_name + ": leadership lost");
      break;
    }
  }
  leading_ = false;
  if (result.ok() && cfg_.release_on_cancel) Release();
  log::Info("leader election {}: {} stopped leading", cfg_.lease_name, cfg_.identity);
  if (cfg_.on_stopped_leading) cfg_.on_stopped_leading();
  return result;
}

}  // namespace kcx::runtime
