#include <map>
#include <set>

#include "apiserver/registry/test_util.h"

namespace kcx::apiserver {
namespace {

using namespace testing;  // NOLINT
namespace json = boost::json;

using Labels = std::vector<std::string>;

TEST(FieldLabelsTest, ExactlyAsKubernetes) {
  EXPECT_EQ(Info("", "pods").field_labels,
            (Labels{"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                    "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                    "status.podIPs", "status.nominatedNodeName"}));
  EXPECT_EQ(Info("", "secrets").field_labels, (Labels{"type"}));
  EXPECT_EQ(Info("", "nodes").field_labels, (Labels{"spec.unschedulable"}));
  EXPECT_EQ(Info("", "namespaces").field_labels, (Labels{"status.phase"}));
  EXPECT_EQ(Info("", "services").field_labels, (Labels{"spec.clusterIP", "spec.type"}));
  EXPECT_EQ(
      Info("", "events").field_labels,
      (Labels{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}));
  EXPECT_EQ(Info("events.k8s.io", "events").field_labels,
            (Labels{"regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                    "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath",
                    "reason", "reportingController", "source", "type"}));
  for (const auto& r : BuiltinResources()) {
    static const std::set<std::string> kWithLabels = {"/pods",
                                                      "/secrets",
                                                      "/nodes",
                                                      "/namespaces",
                                                      "/services",
                                                      "/events",
                                                      "events.k8s.io/events"};
    if (!kWithLabels.count(r.group + "/" + r.resource)) {
      EXPECT_TRUE(r.field_labels.empty()) << r.group << "/" << r.resource;
    }
  }
}

// Checks every label of a type against expected values for one object, and that every
// declared label has an expectation.
void ExpectFields(std::string_view group, std::string_view resource, std::string_view obj_text,
                  const std::map<std::string, std::string>& want) {
  const auto& r = Info(group, resource);
  json::object obj = J(obj_text);
  for (const auto& label : r.field_labels) {
    auto it = want.find(label);
    ASSERT_NE(it, want.end()) << "no expectation for " << label;
    EXPECT_EQ(r.field_fn(obj, label), it->second) << label;
  }
  for (const auto& [label, value] : want)
    EXPECT_EQ(r.field_fn(obj, label), value) << label;
  EXPECT_EQ(r.field_fn(obj, "metadata.name"), "n");
  EXPECT_EQ(r.field_fn(obj, "metadata.namespace"), r.namespaced ? "ns" : "");
  EXPECT_FALSE(r.field_fn(obj, "spec.bogus").has_value());
}

TEST(FieldFnTest, Pod) {
  ExpectFields("", "pods", R"({"metadata":{"name":"n","namespace":"ns"},
      "spec":{"nodeName":"node1","restartPolicy":"Always","schedulerName":"default-scheduler",
        "serviceAccountName":"sa","hostNetwork":true},
      "status":{"phase":"Running","podIP":"10.0.0.1","podIPs":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}],
        "nominatedNodeName":"node2"}})",
               {{"spec.nodeName", "node1"},
                {"spec.restartPolicy", "Always"},
                {"spec.schedulerName", "default-scheduler"},
                {"spec.serviceAccountName", "sa"},
                {"spec.hostNetwork", "true"},
                {"status.phase", "Running"},
                {"status.podIP", "10.0.0.1"},
                {"status.podIPs", "10.0.0.1"},
                {"status.nominatedNodeName", "node2"},
                {"spec.host", "node1"}});
  // Unset values compare as "" (and hostNetwork as "false").
  ExpectFields("", "pods", R"({"metadata":{"name":"n","namespace":"ns"}})",
               {{"spec.nodeName", ""},
                {"spec.restartPolicy", ""},
                {"spec.schedulerName", ""},
                {"spec.serviceAccountName", ""},
                {"spec.hostNetwork", "false"},
                {"status.phase", ""},
                {"status.podIP", ""},
                {"status.podIPs", ""},
                {"status.nominatedNodeName", ""}});
}

TEST(FieldFnTest, SecretNodeNamespaceService) {
  ExpectFields("", "secrets",
               R"({"metadata":{"name":"n","namespace":"ns"},"type":"kubernetes.io/tls"})",
               {{"type", "kubernetes.io/tls"}});
  ExpectFields("", "nodes", R"({"metadata":{"name":"n"},"spec":{"unschedulable":true}})",
               {{"spec.unschedulable", "true"}});
  ExpectFields("", "nodes", R"({"metadata":{"name":"n"}})", {{"spec.unschedulable", "false"}});
  ExpectFields("", "namespaces", R"({"metadata":{"name":"n"},"status":{"phase":"Active"}})",
               {{"status.phase", "Active"}});
  ExpectFields("", "services", R"({"metadata":{"name":"n","namespace":"ns"},
      "spec":{"clusterIP":"None","type":"ClusterIP"}})",
               {{"spec.clusterIP", "None"}, {"spec.type", "ClusterIP"}});
}

TEST(FieldFnTest, Events) {
  const char* core = R"({"metadata":{"name":"n","namespace":"ns"},
      "involvedObject":{"kind":"Pod","namespace":"ns","name":"p","uid":"u-1","apiVersion":"v1",
        "resourceVersion":"42","fieldPath":"spec.containers{a}"},
      "reason":"Started","reportingComponent":"kubelet","source":{"component":"kubelet-src"},
      "type":"Normal"})";
  ExpectFields("", "events", core,
               {{"involvedObject.kind", "Pod"},
                {"involvedObject.namespace", "ns"},
                {"involvedObject.name", "p"},
                {"involvedObject.uid", "u-1"},
                {"involvedObject.apiVersion", "v1"},
                {"involvedObject.resourceVersion", "42"},
                {"involvedObject.fieldPath", "spec.containers{a}"},
                {"reason", "Started"},
                {"reportingComponent", "kubelet"},
                {"source", "kubelet-src"},
                {"type", "Normal"}});
  // "source" falls back to the reporting controller when the legacy source is empty.
  EXPECT_EQ(Info("", "events").field_fn(J(R"({"reportingComponent":"ctrl"})"), "source"), "ctrl");
  ExpectFields("events.k8s.io", "events", R"({"metadata":{"name":"n","namespace":"ns"},
      "regarding":{"kind":"Pod","namespace":"ns","name":"p","uid":"u-1","apiVersion":"v1",
        "resourceVersion":"42","fieldPath":"spec.containers{a}"},
      "reason":"Started","reportingController":"kubelet","type":"Warning"})",
               {{"regarding.kind", "Pod"},
                {"regarding.namespace", "ns"},
                {"regarding.name", "p"},
                {"regarding.uid", "u-1"},
                {"regarding.apiVersion", "v1"},
                {"regarding.resourceVersion", "42"},
                {"regarding.fieldPath", "spec.containers{a}"},
                {"reason", "Started"},
                {"reportingController", "kubelet"},
                {"source", "kubelet"},
                {"type", "Warning"}});
  EXPECT_EQ(
      Info("events.k8s.io", "events")
          .field_fn(J(R"({"deprecatedSource":{"component":"old"},"reportingController":"c"})"),
                    "source"),
      "old");
}

TEST(FieldFnTest, MetadataOnlyTypes) {
  for (const auto& r : BuiltinResources()) {
    if (!r.field_labels.empty())
      continue;
    SCOPED_TRACE(r.group + "/" + r.resource);
    json::object obj = J(R"({"metadata":{"name":"n","namespace":"ns"}})");
    EXPECT_EQ(r.field_fn(obj, "metadata.name"), "n");
    EXPECT_EQ(r.field_fn(obj, "metadata.namespace"), "ns");
    EXPECT_FALSE(r.field_fn(obj, "status.phase").has_value());
  }
}

}  // namespace
}  // namespace kcx::apiserver
