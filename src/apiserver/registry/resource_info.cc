#include "apiserver/registry/resource_info.h"

#include "apiserver/registry/util.h"

namespace kcx::apiserver {

const std::vector<ResourceInfo>& BuiltinResources() {
  // Built once, thread-safely (magic static), and never mutated afterwards.
  static const std::vector<ResourceInfo>* const kResources = [] {
    auto* v = new std::vector<ResourceInfo>();
    v->push_back(reg::MakeNamespace());
    v->push_back(reg::MakePod());
    v->push_back(reg::MakeService());
    v->push_back(reg::MakeEndpoints());
    v->push_back(reg::MakeConfigMap());
    v->push_back(reg::MakeSecret());
    v->push_back(reg::MakePersistentVolumeClaim());
    v->push_back(reg::MakePersistentVolume());
    v->push_back(reg::MakeServiceAccount());
    v->push_back(reg::MakeCoreEvent());
    v->push_back(reg::MakeNode());
    v->push_back(reg::MakeStatefulSet());
    v->push_back(reg::MakeDeployment());
    v->push_back(reg::MakePodDisruptionBudget());
    v->push_back(reg::MakeLease());
    v->push_back(reg::MakeStorageClass());
    v->push_back(reg::MakeEventsV1Event());
    v->push_back(reg::MakeMutatingWebhookConfiguration());
    v->push_back(reg::MakeValidatingWebhookConfiguration());
    return v;
  }();
  return *kResources;
}

const ResourceInfo* FindBuiltinResource(std::string_view group, std::string_view resource) {
  for (const ResourceInfo& r : BuiltinResources()) {
    if (r.group == group && r.resource == resource)
      return &r;
  }
  return nullptr;
}

std::string HumanDuration(std::chrono::system_clock::duration d) {
  using std::chrono::duration_cast;
  // Truncation toward zero as Go's int(d.Seconds()) and integer division of durations.
  int64_t seconds = duration_cast<std::chrono::seconds>(d).count();
  if (seconds < -1)
    return "<invalid>";
  if (seconds < 0)
    return "0s";
  if (seconds < 60 * 2)
    return std::to_string(seconds) + "s";
  int64_t minutes = duration_cast<std::chrono::minutes>(d).count();
  if (minutes < 10) {
    int64_t s = seconds % 60;
    if (s == 0)
      return std::to_string(minutes) + "m";
    return std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3)
    return std::to_string(minutes) + "m";
  int64_t hours = duration_cast<std::chrono::hours>(d).count();
  if (hours < 8) {
    int64_t m = minutes % 60;
    if (m == 0)
      return std::to_string(hours) + "h";
    return std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48)
    return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    if (h == 0)
      return std::to_string(hours / 24) + "d";
    return std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2)
    return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    if (dy == 0)
      return std::to_string(hours / 24 / 365) + "y";
    return std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

std::vector<std::string> ValidateName(NameRule rule, std::string_view name) {
  switch (rule) {
    case NameRule::kDnsLabel:
      return reg::IsDns1123Label(name);
    case NameRule::kDns1035Label:
      return reg::IsDns1035Label(name);
    case NameRule::kDnsSubdomain:
    default:
      return reg::IsDns1123Subdomain(name);
  }
}

}  // namespace kcx::apiserver
