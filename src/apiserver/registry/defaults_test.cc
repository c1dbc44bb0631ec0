#include "apiserver/registry/test_util.h"

namespace kcx::apiserver {
namespace {

using namespace testing;  // NOLINT
namespace json = boost::json;

// Defaulting twice gives the same object as defaulting once.
void ExpectIdempotent(const ResourceInfo& r, const json::object& in) {
  json::object once = Defaulted(r, in);
  json::object twice = Defaulted(r, once);
  EXPECT_EQ(json::value(once), json::value(twice)) << json::serialize(once);
}

const json::value& At(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::value* cur = nullptr;
  const json::object* obj = &o;
  static const json::value kMissing = "<missing>";
  for (auto k : path) {
    if (!obj)
      return kMissing;
    auto it = obj->find(k);
    if (it == obj->end())
      return kMissing;
    cur = &it->value();
    obj = cur->if_object();
  }
  return cur ? *cur : kMissing;
}

TEST(PodDefaultsTest, SpecContainerAndStatus) {
  const auto& r = Info("", "pods");
  json::object in = J(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
    "spec":{"containers":[
      {"name":"a","image":"nginx","ports":[{"containerPort":80}],
       "livenessProbe":{"httpGet":{"port":80}},
       "env":[{"name":"N","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],
       "resources":{"limits":{"cpu":"1","memory":"1Gi"}}},
      {"name":"b","image":"nginx:1.27"},
      {"name":"c","image":"nginx:latest"},
      {"name":"d","image":"registry:5000/app"},
      {"name":"e","image":"registry:5000/app:v2"},
      {"name":"f","image":"nginx@sha256:0123456789abcdef"}],
     "volumes":[{"name":"v"},{"name":"s","secret":{"secretName":"x"}},
                {"name":"c","configMap":{"name":"y"}}]},
    "status":{"phase":"Running"}})");
  json::object p = Created(r, in);
  const json::object& spec = p["spec"].as_object();
  EXPECT_EQ(spec.at("restartPolicy"), "Always");
  EXPECT_EQ(spec.at("dnsPolicy"), "ClusterFirst");
  EXPECT_EQ(spec.at("schedulerName"), "default-scheduler");
  EXPECT_EQ(spec.at("terminationGracePeriodSeconds"), 30);
  EXPECT_EQ(spec.at("securityContext"), json::object());
  EXPECT_EQ(spec.at("enableServiceLinks"), true);
  // Admission plugins of the real server on create.
  EXPECT_EQ(spec.at("serviceAccountName"), "default");
  EXPECT_EQ(spec.at("serviceAccount"), "default");
  EXPECT_EQ(spec.at("priority"), 0);
  EXPECT_EQ(spec.at("preemptionPolicy"), "PreemptLowerPriority");
  ASSERT_EQ(spec.at("tolerations").as_array().size(), 2u);
  EXPECT_EQ(spec.at("tolerations").as_array()[0],
            J(R"({"key":"node.kubernetes.io/not-ready","operator":"Exists",
                  "effect":"NoExecute","tolerationSeconds":300})"));
  const json::array& cs = spec.at("containers").as_array();
  const json::object& a = cs[0].as_object();
  EXPECT_EQ(a.at("imagePullPolicy"), "Always");
  EXPECT_EQ(a.at("terminationMessagePath"), "/dev/termination-log");
  EXPECT_EQ(a.at("terminationMessagePolicy"), "File");
  EXPECT_EQ(At(a, {"ports"}).as_array()[0].as_object().at("protocol"), "TCP");
  EXPECT_EQ(At(a, {"livenessProbe", "timeoutSeconds"}), 1);
  EXPECT_EQ(At(a, {"livenessProbe", "periodSeconds"}), 10);
  EXPECT_EQ(At(a, {"livenessProbe", "successThreshold"}), 1);
  EXPECT_EQ(At(a, {"livenessProbe", "failureThreshold"}), 3);
  EXPECT_EQ(At(a, {"livenessProbe", "httpGet", "path"}), "/");
  EXPECT_EQ(At(a, {"livenessProbe", "httpGet", "scheme"}), "HTTP");
  EXPECT_EQ(At(a.at("env").as_array()[0].as_object(), {"valueFrom", "fieldRef", "apiVersion"}),
            "v1");
  // Requests default to limits on Pods.
  EXPECT_EQ(At(a, {"resources", "requests"}), J(R"({"cpu":"1","memory":"1Gi"})"));
  EXPECT_EQ(cs[1].as_object().at("imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(cs[2].as_object().at("imagePullPolicy"), "Always");
  EXPECT_EQ(cs[3].as_object().at("imagePullPolicy"), "Always");  // port is not a tag
  EXPECT_EQ(cs[4].as_object().at("imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(cs[5].as_object().at("imagePullPolicy"), "IfNotPresent");  // digest only
  EXPECT_EQ(cs[1].as_object().at("resources"), json::object());
  const json::array& vols = spec.at("volumes").as_array();
  EXPECT_EQ(vols[0].as_object().at("emptyDir"), json::object());
  EXPECT_EQ(At(vols[1].as_object(), {"secret", "defaultMode"}), 420);
  EXPECT_EQ(At(vols[2].as_object(), {"configMap", "defaultMode"}), 420);
  // Status is reset on create: Pending with the QoS class (limits == requests: Guaranteed
  // would need every container to have both; b..f have none, so Burstable).
  EXPECT_EQ(p["status"], J(R"({"phase":"Pending","qosClass":"Burstable"})"));
  ExpectIdempotent(r, in);
  ExpectIdempotent(r, p);
}

TEST(PodDefaultsTest, PodIpAndPodIpsStayInStep) {
  const auto& r = Info("", "pods");
  json::object a = Defaulted(r, J(R"({"status":{"podIP":"10.0.0.1","hostIP":"192.168.0.2"}})"));
  EXPECT_EQ(At(a, {"status", "podIPs"}), J(R"({"x":[{"ip":"10.0.0.1"}]})").at("x"));
  EXPECT_EQ(At(a, {"status", "hostIPs"}), J(R"({"x":[{"ip":"192.168.0.2"}]})").at("x"));
  json::object b = Defaulted(r, J(R"({"status":{"podIPs":[{"ip":"10.0.0.2"},{"ip":"fd00::2"}]}})"));
  EXPECT_EQ(At(b, {"status", "podIP"}), "10.0.0.2");
  EXPECT_EQ(At(b, {"status", "podIPs"}).as_array().size(), 2u);
  json::object c =
      Defaulted(r, J(R"({"status":{"podIP":"10.0.0.3","podIPs":[{"ip":"10.0.0.2"}]}})"));
  EXPECT_EQ(At(c, {"status", "podIPs"}), J(R"({"x":[{"ip":"10.0.0.3"}]})").at("x"));
  ExpectIdempotent(r, J(R"({"status":{"podIP":"10.0.0.1"}})"));
}

TEST(PodDefaultsTest, QosClasses) {
  const auto& r = Info("", "pods");
  auto qos = [&](std::string_view containers) {
    json::object p = Created(r, J(std::string(R"({"metadata":{"name":"p"},"spec":{"containers":)") +
                                  std::string(containers) + "}}"));
    return std::string(p["status"].as_object().at("qosClass").as_string());
  };
  EXPECT_EQ(qos(R"([{"name":"a","image":"i"}])"), "BestEffort");
  EXPECT_EQ(qos(R"([{"name":"a","image":"i","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}])"),
            "Guaranteed");
  EXPECT_EQ(qos(R"([{"name":"a","image":"i","resources":{"limits":{"cpu":"1000m","memory":"1Gi"},
      "requests":{"cpu":"1","memory":"1024Mi"}}}])"),
            "Guaranteed");
  EXPECT_EQ(qos(R"([{"name":"a","image":"i","resources":{"limits":{"cpu":"1","memory":"1Gi"},
      "requests":{"cpu":"500m"}}}])"),
            "Burstable");
  EXPECT_EQ(qos(R"([{"name":"a","image":"i","resources":{"requests":{"memory":"1Gi"}}}])"),
            "Burstable");
  EXPECT_EQ(qos(R"([{"name":"a","image":"i","resources":{"limits":{"cpu":"1"}}}])"), "Burstable");
}

TEST(PodDefaultsTest, KeepsUserValuesAndServiceAccountAlias) {
  const auto& r = Info("", "pods");
  json::object p = Created(r, J(R"({"metadata":{"name":"p"},"spec":{
      "restartPolicy":"Never","dnsPolicy":"Default","serviceAccount":"builder",
      "terminationGracePeriodSeconds":5,"enableServiceLinks":false,
      "tolerations":[{"operator":"Exists"}],
      "containers":[{"name":"a","image":"x","imagePullPolicy":"Never"}]}})"));
  const json::object& spec = p["spec"].as_object();
  EXPECT_EQ(spec.at("restartPolicy"), "Never");
  EXPECT_EQ(spec.at("dnsPolicy"), "Default");
  EXPECT_EQ(spec.at("serviceAccountName"), "builder");
  EXPECT_EQ(spec.at("terminationGracePeriodSeconds"), 5);
  EXPECT_EQ(spec.at("enableServiceLinks"), false);
  EXPECT_EQ(spec.at("tolerations").as_array().size(), 1u);  // already tolerates everything
  EXPECT_EQ(spec.at("containers").as_array()[0].as_object().at("imagePullPolicy"), "Never");
}

TEST(ServiceDefaultsTest, TypePortsAndFamilies) {
  const auto& r = Info("", "services");
  json::object in = J(R"({"metadata":{"name":"s"},"spec":{"selector":{"app":"a"},
      "ports":[{"port":80},{"port":443,"targetPort":"https","protocol":"UDP"},
               {"port":53,"targetPort":0}]}})");
  json::object s = Created(r, in);
  const json::object& spec = s["spec"].as_object();
  EXPECT_EQ(spec.at("type"), "ClusterIP");
  EXPECT_EQ(spec.at("sessionAffinity"), "None");
  EXPECT_EQ(spec.at("internalTrafficPolicy"), "Cluster");
  EXPECT_EQ(spec.at("ipFamilyPolicy"), "SingleStack");
  EXPECT_EQ(spec.at("ipFamilies"), json::array{"IPv4"});
  EXPECT_FALSE(spec.contains("externalTrafficPolicy"));
  const json::array& ports = spec.at("ports").as_array();
  EXPECT_EQ(ports[0], J(R"({"port":80,"protocol":"TCP","targetPort":80})"));
  EXPECT_EQ(ports[1], J(R"({"port":443,"targetPort":"https","protocol":"UDP"})"));
  EXPECT_EQ(ports[2].as_object().at("targetPort"), 53);
  EXPECT_EQ(s["status"], J(R"({"loadBalancer":{}})"));
  ExpectIdempotent(r, in);
}

TEST(ServiceDefaultsTest, NodePortLoadBalancerClientIpAndClusterIps) {
  const auto& r = Info("", "services");
  json::object s = Created(r, J(R"({"metadata":{"name":"s"},"spec":{"type":"LoadBalancer",
      "sessionAffinity":"ClientIP","clusterIP":"10.0.0.7","ports":[{"port":80}]}})"));
  const json::object& spec = s["spec"].as_object();
  EXPECT_EQ(spec.at("externalTrafficPolicy"), "Cluster");
  EXPECT_EQ(spec.at("allocateLoadBalancerNodePorts"), true);
  EXPECT_EQ(At(spec, {"sessionAffinityConfig", "clientIP", "timeoutSeconds"}), 10800);
  EXPECT_EQ(spec.at("clusterIPs"), json::array{"10.0.0.7"});
  json::object ext = Created(r, J(R"({"metadata":{"name":"s"},"spec":{"type":"ExternalName",
      "externalName":"example.com"}})"));
  EXPECT_FALSE(ext["spec"].as_object().contains("ipFamilyPolicy"));
  EXPECT_FALSE(ext["spec"].as_object().contains("internalTrafficPolicy"));
  json::object v6 = Created(r, J(R"({"metadata":{"name":"s"},"spec":{"clusterIPs":["fd00::1"],
      "ports":[{"port":80}]}})"));
  EXPECT_EQ(v6["spec"].as_object().at("clusterIP"), "fd00::1");
  EXPECT_EQ(v6["spec"].as_object().at("ipFamilies"), json::array{"IPv6"});
}

TEST(ServiceStrategyTest, UpdateKeepsAllocatedValues) {
  const auto& r = Info("", "services");
  json::object old = Created(r, J(R"({"metadata":{"name":"s"},"spec":{"type":"NodePort",
      "clusterIP":"10.0.0.9","ports":[{"port":80,"nodePort":30080},{"port":81,"nodePort":30081,
      "name":"b"}]}})"));
  old["spec"].as_object()["ports"].as_array()[0].as_object()["name"] = "a";
  json::object upd = J(R"({"metadata":{"name":"s"},"spec":{"type":"NodePort",
      "ports":[{"name":"a","port":80},{"name":"b","port":81,"nodePort":30099}]}})");
  r.default_fn(upd);
  r.prepare_update_fn(upd, old);
  r.default_fn(upd);
  const json::object& spec = upd["spec"].as_object();
  EXPECT_EQ(spec.at("clusterIP"), "10.0.0.9");
  EXPECT_EQ(spec.at("clusterIPs"), json::array{"10.0.0.9"});
  EXPECT_EQ(spec.at("ports").as_array()[0].as_object().at("nodePort"), 30080);
  EXPECT_EQ(spec.at("ports").as_array()[1].as_object().at("nodePort"), 30099);
  EXPECT_TRUE(Validate(r, upd, &old).empty()) << Describe(Validate(r, upd, &old));
}

TEST(StatefulSetDefaultsTest, SpecTemplateAndClaims) {
  const auto& r = Info("apps", "statefulsets");
  json::object in = J(R"({"metadata":{"name":"db"},"spec":{"serviceName":"db",
      "selector":{"matchLabels":{"app":"db"}},
      "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"m","image":"mysql:8"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
        "resources":{"requests":{"storage":"1Gi"}}}}]}})");
  json::object s = Created(r, in);
  const json::object& spec = s["spec"].as_object();
  EXPECT_EQ(spec.at("replicas"), 1);
  EXPECT_EQ(spec.at("podManagementPolicy"), "OrderedReady");
  EXPECT_EQ(spec.at("revisionHistoryLimit"), 10);
  EXPECT_EQ(spec.at("updateStrategy"),
            J(R"({"type":"RollingUpdate","rollingUpdate":{"partition":0}})"));
  EXPECT_EQ(spec.at("persistentVolumeClaimRetentionPolicy"),
            J(R"({"whenDeleted":"Retain","whenScaled":"Retain"})"));
  const json::object& ps = At(spec, {"template", "spec"}).as_object();
  EXPECT_EQ(ps.at("restartPolicy"), "Always");
  EXPECT_EQ(ps.at("dnsPolicy"), "ClusterFirst");
  EXPECT_FALSE(ps.contains("enableServiceLinks"));  // a Pod-only default
  EXPECT_EQ(ps.at("containers").as_array()[0].as_object().at("imagePullPolicy"), "IfNotPresent");
  const json::object& vct = spec.at("volumeClaimTemplates").as_array()[0].as_object();
  EXPECT_EQ(At(vct, {"spec", "volumeMode"}), "Filesystem");
  EXPECT_EQ(At(vct, {"status", "phase"}), "Pending");
  EXPECT_EQ(vct.at("kind"), "PersistentVolumeClaim");
  EXPECT_EQ(s["status"], J(R"({"replicas":0,"availableReplicas":0})"));
  ExpectIdempotent(r, in);
  // An explicit OnDelete strategy gets no rollingUpdate.
  json::object od = Defaulted(r, J(R"({"spec":{"updateStrategy":{"type":"OnDelete"}}})"));
  EXPECT_EQ(At(od, {"spec", "updateStrategy"}), J(R"({"type":"OnDelete"})"));
}

TEST(DeploymentDefaultsTest, SpecAndStrategy) {
  const auto& r = Info("apps", "deployments");
  json::object in = J(R"({"metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"w"}},
      "template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"w","image":"nginx"}]}}},
      "status":{"replicas":3}})");
  json::object d = Created(r, in);
  const json::object& spec = d["spec"].as_object();
  EXPECT_EQ(spec.at("replicas"), 1);
  EXPECT_EQ(
      spec.at("strategy"),
      J(R"({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}})"));
  EXPECT_EQ(spec.at("revisionHistoryLimit"), 10);
  EXPECT_EQ(spec.at("progressDeadlineSeconds"), 600);
  EXPECT_EQ(At(spec, {"template", "spec", "terminationGracePeriodSeconds"}), 30);
  EXPECT_EQ(d["status"], json::object());
  ExpectIdempotent(r, in);
  json::object rec = Defaulted(r, J(R"({"spec":{"strategy":{"type":"Recreate"}}})"));
  EXPECT_EQ(At(rec, {"spec", "strategy"}), J(R"({"type":"Recreate"})"));
}

TEST(GenerationTest, SpecChangesAndDeploymentAnnotations) {
  const auto& sts = Info("apps", "statefulsets");
  const auto& dep = Info("apps", "deployments");
  const auto& pdb = Info("policy", "poddisruptionbudgets");
  json::object a = J(R"({"metadata":{"annotations":{"x":"1"}},"spec":{"replicas":1}})");
  json::object b = J(R"({"metadata":{"annotations":{"x":"2"}},"spec":{"replicas":1}})");
  json::object c = J(R"({"metadata":{"annotations":{"x":"1"}},"spec":{"replicas":2}})");
  for (const ResourceInfo* r : {&sts, &dep, &pdb}) {
    EXPECT_FALSE(r->bumps_generation_fn(a, a));
    EXPECT_TRUE(r->bumps_generation_fn(c, a));
  }
  EXPECT_FALSE(sts.bumps_generation_fn(b, a));
  EXPECT_FALSE(pdb.bumps_generation_fn(b, a));
  EXPECT_TRUE(dep.bumps_generation_fn(b, a));
}

TEST(PvcPvDefaultsTest, ModesPhasesAndPolicies) {
  const auto& pvc = Info("", "persistentvolumeclaims");
  json::object c =
      Created(pvc, J(R"({"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound"}})"));
  EXPECT_EQ(At(c, {"spec", "volumeMode"}), "Filesystem");
  EXPECT_EQ(c["status"], J(R"({"phase":"Pending"})"));
  ExpectIdempotent(pvc, c);
  const auto& pv = Info("", "persistentvolumes");
  auto now = T("2026-11-25T10:00:00Z");
  json::object v = Created(pv, J(R"({"metadata":{"name":"v"},"spec":{"capacity":{"storage":"1Gi"},
      "accessModes":["ReadWriteOnce"],"hostPath":{"path":"/x"}}})"),
                           now);
  EXPECT_EQ(At(v, {"spec", "persistentVolumeReclaimPolicy"}), "Retain");
  EXPECT_EQ(At(v, {"spec", "volumeMode"}), "Filesystem");
  EXPECT_EQ(At(v, {"spec", "hostPath", "type"}), "");
  EXPECT_EQ(v["status"],
            J(R"({"phase":"Pending","lastPhaseTransitionTime":"2026-11-25T10:00:00Z"})"));
  ExpectIdempotent(pv, v);
}

TEST(NamespaceDefaultsTest, LabelFinalizerPhase) {
  const auto& r = Info("", "namespaces");
  json::object n = Created(r, J(R"({"metadata":{"name":"team-a","labels":{"x":"y"}},
      "status":{"phase":"Terminating"}})"));
  EXPECT_EQ(At(n, {"metadata", "labels"}),
            J(R"({"x":"y","kubernetes.io/metadata.name":"team-a"})"));
  EXPECT_EQ(At(n, {"spec", "finalizers"}), json::array{"kubernetes"});
  EXPECT_EQ(n["status"], J(R"({"phase":"Active"})"));
  ExpectIdempotent(r, n);
  // The label always follows the name, even if a client tries to change it.
  json::object m =
      Defaulted(r, J(R"({"metadata":{"name":"b","labels":{"kubernetes.io/metadata.name":"z"}}})"));
  EXPECT_EQ(At(m, {"metadata", "labels", "kubernetes.io/metadata.name"}), "b");
  // Finalizers only change through /finalize.
  json::object upd = J(R"({"metadata":{"name":"team-a"},"spec":{"finalizers":[]}})");
  r.prepare_update_fn(upd, n);
  EXPECT_EQ(At(upd, {"spec", "finalizers"}), json::array{"kubernetes"});
}

TEST(SecretDefaultsTest, TypeAndStringData) {
  const auto& r = Info("", "secrets");
  json::object s = Defaulted(r, J(R"({"metadata":{"name":"s"},"data":{"a":"eA=="},
      "stringData":{"b":"hello","a":"y"}})"));
  EXPECT_EQ(s.at("type"), "Opaque");
  EXPECT_FALSE(s.contains("stringData"));
  EXPECT_EQ(s.at("data"), J(R"({"a":"eQ==","b":"aGVsbG8="})"));
  ExpectIdempotent(r, s);
  json::object tls = Defaulted(r, J(R"({"type":"kubernetes.io/tls"})"));
  EXPECT_EQ(tls.at("type"), "kubernetes.io/tls");
}

TEST(OtherDefaultsTest, StorageClassEndpointsNodePdb) {
  const auto& sc = Info("storage.k8s.io", "storageclasses");
  json::object c = Defaulted(sc, J(R"({"metadata":{"name":"std"},"provisioner":"x.io/p"})"));
  EXPECT_EQ(c.at("reclaimPolicy"), "Delete");
  EXPECT_EQ(c.at("volumeBindingMode"), "Immediate");
  ExpectIdempotent(sc, c);
  const auto& ep = Info("", "endpoints");
  json::object e =
      Defaulted(ep, J(R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]})"));
  EXPECT_EQ(
      e["subsets"].as_array()[0].as_object().at("ports").as_array()[0].as_object().at("protocol"),
      "TCP");
  const auto& node = Info("", "nodes");
  json::object n =
      Created(node, J(R"({"metadata":{"name":"n"},"status":{"capacity":{"cpu":"4"}}})"));
  EXPECT_EQ(At(n, {"status", "capacity"}), J(R"({"cpu":"4"})"));  // not reset on create
  EXPECT_EQ(At(n, {"status", "allocatable"}), J(R"({"cpu":"4"})"));
  ExpectIdempotent(node, n);
  const auto& pdb = Info("policy", "poddisruptionbudgets");
  json::object p = Created(pdb, J(R"({"metadata":{"name":"p"},"spec":{"minAvailable":1},
      "status":{"currentHealthy":5}})"));
  EXPECT_EQ(
      p["status"],
      J(R"({"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0})"));
  ExpectIdempotent(pdb, p);
}

}  // namespace
}  // namespace kcx::apiserver
