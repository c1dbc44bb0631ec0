// Server-side apply cost inside the library: ApplyConfig / UpdateManagedFields on a
// Deployment of about 50 fields owned by two managers (issue 3's throughput goal needs
// ≥ 5,000 applies/s on 2 cores including HTTP and storage, so the engine must stay in the
// tens of microseconds).

#include <benchmark/benchmark.h>

#include <string>

#include "api/ssa/field_manager.h"
#include "api/ssa/fieldpath.h"
#include "api/ssa/typed.h"

namespace {

namespace json = boost::json;
using kcx::api::ssa::ApplyConfig;
using kcx::api::ssa::BuiltinSchema;
using kcx::api::ssa::UpdateManagedFields;
using kcx::api::ssa::WriteContext;

json::object Config(int replicas) {
  std::string s = R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default",
      "labels":{"app":"web","tier":"frontend","team":"a","env":"prod","version":"v1"},
      "annotations":{"owner":"x","note":"y","ticket":"z"}},
    "spec":{"replicas":)" +
                  std::to_string(replicas) + R"(,
      "selector":{"matchLabels":{"app":"web"}},
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}},
      "template":{"metadata":{"labels":{"app":"web","tier":"frontend"}},
        "spec":{"serviceAccountName":"web","terminationGracePeriodSeconds":30,
          "containers":[
            {"name":"app","image":"example/app:1.2.3","imagePullPolicy":"IfNotPresent",
             "args":["--port=8080","--verbose"],
             "ports":[{"containerPort":8080,"name":"http"},{"containerPort":9090,"name":"metrics"}],
             "env":[{"name":"A","value":"1"},{"name":"B","value":"2"},{"name":"C","value":"3"},
                    {"name":"D","value":"4"}],
             "resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m","memory":"512Mi"}},
             "volumeMounts":[{"name":"data","mountPath":"/data"},{"name":"conf","mountPath":"/etc/app"}],
             "readinessProbe":{"httpGet":{"path":"/ready","port":8080},"periodSeconds":5}},
            {"name":"sidecar","image":"example/sidecar:2.0","env":[{"name":"X","value":"1"}]}],
          "volumes":[{"name":"data","emptyDir":{}},{"name":"conf","configMap":{"name":"web"}}]}}}})";
  return json::parse(s).as_object();
}

json::object Scaler(int replicas) {
  return json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web",
      "namespace":"default","labels":{"scaled":"yes"}},"spec":{"replicas":)" +
                     std::to_string(replicas) + "}}")
      .as_object();
}

WriteContext Ctx(const char* manager) {
  WriteContext c;
  c.manager = manager;
  c.api_version = "apps/v1";
  c.kind = "Deployment";
  c.time = "2026-11-25T20:00:00Z";
  c.has_status_subresource = true;
  return c;
}

// Live object owned by "deployer" (everything) and "scaler" (replicas, one label).
json::object Live() {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  auto a = ApplyConfig(schema, nullptr, Config(3), Ctx("deployer"), false);
  auto b = ApplyConfig(schema, &*a, Scaler(3), Ctx("scaler"), false);
  return std::move(*b);
}

void BM_ApplyUnchanged(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  json::object live = Live();
  json::object cfg = Config(3);
  WriteContext ctx = Ctx("deployer");
  for (auto _ : state) {
    auto r = ApplyConfig(schema, &live, cfg, ctx, false);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyUnchanged);

void BM_ApplyChangedForce(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  json::object live = Live();
  WriteContext ctx = Ctx("deployer");
  int n = 0;
  for (auto _ : state) {
    auto r = ApplyConfig(schema, &live, Config(4 + (n++ % 2)), ctx, true);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyChangedForce);

void BM_ApplyDroppingFields(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  json::object live = Live();
  json::object cfg = Config(3);
  cfg["spec"].as_object()["template"].as_object()["spec"].as_object().erase("volumes");
  WriteContext ctx = Ctx("deployer");
  for (auto _ : state) {
    auto r = ApplyConfig(schema, &live, cfg, ctx, false);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyDroppingFields);

void BM_UpdateManagedFields(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  json::object live = Live();
  json::object next = live;
  next["spec"].as_object()["replicas"] = 7;
  WriteContext ctx = Ctx("kubectl-edit");
  for (auto _ : state) {
    json::object obj = next;
    auto st = UpdateManagedFields(schema, &live, obj, ctx);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_UpdateManagedFields);

}  // namespace

// The phases of an apply, to see where the time goes.
namespace phases {

using namespace kcx::api::ssa;  // NOLINT

void BM_PhaseDecodeFieldsV1(benchmark::State& state) {
  json::object live = Live();
  const json::value& f = live.at("metadata").at("managedFields").at(0).at("fieldsV1");
  for (auto _ : state) {
    auto s = Set::FromFieldsV1(f);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_PhaseDecodeFieldsV1);

void BM_PhaseToFieldSet(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  json::object cfg = Config(3);
  for (auto _ : state) {
    auto s = ToFieldSet(cfg, *schema.root());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_PhaseToFieldSet);

void BM_PhaseMerge(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  json::object live = Live();
  json::object cfg = Config(3);
  for (auto _ : state) {
    auto m = MergeObjects(&live, cfg, *schema.root());
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_PhaseMerge);

void BM_PhaseDiff(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  json::object live = Live();
  json::object other = live;
  other["spec"].as_object()["replicas"] = 9;
  for (auto _ : state) {
    auto d = DiffObjects(&live, &other, *schema.root());
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_PhaseDiff);

void BM_PhaseSetUnionAndEncode(benchmark::State& state) {
  const auto& schema = *BuiltinSchema("apps", "Deployment");
  auto s = ToFieldSet(Config(3), *schema.root());
  for (auto _ : state) {
    Set u = s->Union(*s);
    json::object o = u.ToFieldsV1Value();
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(BM_PhaseSetUnionAndEncode);

void BM_PhaseCopyObject(benchmark::State& state) {
  json::object live = Live();
  for (auto _ : state) {
    json::object c = live;
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_PhaseCopyObject);

}  // namespace phases

BENCHMARK_MAIN();
