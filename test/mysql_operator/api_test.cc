// MOCO's API on kcx: EnsureCrds against a real kcx apiserver (in-process, HTTPS), MOCO's
// documentation manifest applied unchanged with kubectl, printer columns, server-side apply
// merging containers by name, and the MySQLCluster admission webhooks served over HTTPS by
// WebhookServer with their own CA — every outcome seen through kubectl as a user sees it.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "api/json.h"
#include "apiserver/pki/pki.h"
#include "client/config.h"
#include "client/rest_client.h"
#include "client/transport.h"
#include "common/strings.h"
#include "operators/mysql/api/crds.h"
#include "operators/mysql/api/webhook.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::mysql::api {
namespace {

namespace json = boost::json;
using testenv::CommandResult;
using testenv::TestApiServer;

// MOCO's documentation example, byte for byte.
constexpr const char* kDocManifest = R"(apiVersion: moco.cybozu.com/v1beta2
kind: MySQLCluster
metadata: {namespace: foo, name: default}
spec:
  mysqlConfigMapName: mycnf
  podTemplate:
    spec:
      containers:
      - name: mysqld
        image: quay.io/cybozu/mysql:8.0.28
  volumeClaimTemplates:
  - metadata: {name: mysql-data}
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources: {requests: {storage: 1Gi}}
)";

// The same cluster as JSON, for variations.
json::object Cluster(const std::string& name) {
  return json::parse(R"({"apiVersion":"moco.cybozu.com/v1beta2","kind":"MySQLCluster",
    "metadata":{"namespace":"foo","name":")" +
                     name + R"("},
    "spec":{"podTemplate":{"spec":{"containers":[{"name":"mysqld",
      "image":"quay.io/cybozu/mysql:8.0.28"}]}},
     "volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},
      "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}})")
      .as_object();
}

json::object& Spec(json::object& c) { return c["spec"].as_object(); }
json::array& Containers(json::object& c) {
  return Spec(c)["podTemplate"].as_object()["spec"].as_object()["containers"].as_array();
}

class MysqlApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = TestApiServer::Start();
    client::KubeconfigOptions o;
    o.explicit_path = srv_->kubeconfig();
    auto cfg = client::LoadKubeconfig(o);
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    cfg->qps = 0;
    auto c = client::RestClient::Create(*cfg);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
    Status s = EnsureCrds(*client_, std::chrono::seconds(30));
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto ns =
        Kubectl({"apply", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n");
    ASSERT_EQ(ns.exit_code, 0) << ns.err;
  }

  void TearDown() override {
    if (webhook_)
      webhook_->Stop();
  }

  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& in = "") {
    return srv_->Kubectl(args, in);
  }

  json::object GetJson(const std::string& name) {
    auto r = Kubectl({"get", "mysqlcluster", "-n", "foo", name, "-o", "json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto v = kcx::api::ParseJson(r.out);
    return v.ok() && v->is_object() ? v->get_object() : json::object();
  }

  // Starts the webhook server (own CA) and registers both configurations with kubectl.
  void StartWebhooks() {
    auto pki = apiserver::GeneratePki({"127.0.0.1"});
    ASSERT_TRUE(pki.ok()) << pki.status().ToString();
    webhook_ = std::make_unique<WebhookServer>();
    WebhookServer::Options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.cert_pem = pki->serving_cert_pem;
    o.key_pem = pki->serving_key_pem;
    o.storage_classes = ClientStorageClassLookup(*client_);
    Status s = webhook_->Start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::string base = "https://127.0.0.1:" + std::to_string(webhook_->port());
    std::string ca = Base64Encode(pki->ca_cert_pem);
    auto hook = [&](const std::string& name, const std::string& path, const std::string& ops) {
      return "- name: " + name + "\n  admissionReviewVersions: [v1]\n  sideEffects: None\n" +
             "  failurePolicy: Fail\n  clientConfig:\n    url: " + base + path +
             "\n    caBundle: " + ca + "\n  rules:\n  - operations: " + ops +
             "\n    apiGroups: [moco.cybozu.com]\n    apiVersions: [v1beta2]\n"
             "    resources: [mysqlclusters]\n";
    };
    std::string cfg =
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\n"
        "metadata:\n  name: moco-mutating-webhook-configuration\nwebhooks:\n" +
        hook(std::string(kMutatingWebhookName), std::string(kMutatePath), "[CREATE]") +
        "---\napiVersion: admissionregistration.k8s.io/v1\n"
        "kind: ValidatingWebhookConfiguration\n"
        "metadata:\n  name: moco-validating-webhook-configuration\nwebhooks:\n" +
        hook(std::string(kValidatingWebhookName), std::string(kValidatePath), "[CREATE, UPDATE]");
    auto r = Kubectl({"apply", "-f", "-"}, cfg);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CommandResult Apply(const json::object& obj) {
    return Kubectl({"apply", "-f", "-"}, json::serialize(obj));
  }

  // What kubectl prints for the webhook's denial: the Status is Invalid with details (kind,
  // name, causes), so kubectl prints the causes as it does for MOCO on kube-apiserver (the
  // "admission webhook ... denied the request" message is only the Status' message).
  std::string Denied(const std::string& name, const std::string& causes) {
    return "The MySQLCluster \"" + name + "\" is invalid: " + causes + "\n";
  }

  // Creation refused with exactly this kubectl error.
  void ExpectCreateDenied(const json::object& obj, const std::string& causes) {
    auto r = Apply(obj);
    EXPECT_NE(r.exit_code, 0) << r.out;
    std::string name(kcx::api::GetStringPath(obj.at("metadata"), {"name"}));
    EXPECT_EQ(r.err, Denied(name, causes));
  }

  // A merge patch refused with exactly this kubectl error.
  void ExpectPatchDenied(const std::string& name, const std::string& patch,
                         const std::string& causes) {
    auto r = Kubectl({"patch", "mysqlcluster", "-n", "foo", name, "--type", "merge", "-p", patch});
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.err, Denied(name, causes));
  }

  void CreateStorageClass(const std::string& name, bool expandable, bool is_default) {
    json::object sc{{"apiVersion", "storage.k8s.io/v1"},
                    {"kind", "StorageClass"},
                    {"metadata", {{"name", name}}},
                    {"provisioner", "kcx.test/local"},
                    {"allowVolumeExpansion", expandable}};
    if (is_default) {
      sc["metadata"].as_object()["annotations"] =
          json::object{{"storageclass.kubernetes.io/is-default-class", "true"}};
    }
    auto r = Apply(sc);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::unique_ptr<TestApiServer> srv_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<WebhookServer> webhook_;
};

TEST_F(MysqlApiTest, EnsureCrdsInstallsEstablishedServedCrds) {
  for (const char* name : {"mysqlclusters.moco.cybozu.com", "backuppolicies.moco.cybozu.com"}) {
    auto r = Kubectl({"get", "crd", name, "-o",
                      "jsonpath={.status.conditions[?(@.type==\"Established\")].status} "
                      "{.spec.versions[0].name} {.spec.versions[0].served} "
                      "{.spec.versions[0].storage}"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "True v1beta2 true true") << name;
  }
  auto list = Kubectl({"get", "mysqlclusters,backuppolicies", "-A"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.err, "No resources found\n");

  // Idempotent: an up-to-date CRD is not written again.
  auto rv = [&] {
    return Kubectl({"get", "crd", "mysqlclusters.moco.cybozu.com", "-o",
                    "jsonpath={.metadata.resourceVersion}"})
        .out;
  };
  std::string before = rv();
  ASSERT_TRUE(EnsureCrds(*client_, std::chrono::seconds(30)).ok());
  EXPECT_EQ(rv(), before);

  // A CRD that differs (an older install without the printer columns) is brought up to date
  // with server-side apply by moco-controller.
  auto p = Kubectl({"patch", "crd", "mysqlclusters.moco.cybozu.com", "--type", "json", "-p",
                    R"([{"op":"remove","path":"/spec/versions/0/additionalPrinterColumns"}])"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  Status s = EnsureCrds(*client_, std::chrono::seconds(30));
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto cols = Kubectl({"get", "crd", "mysqlclusters.moco.cybozu.com", "-o",
                       "jsonpath={.spec.versions[0].additionalPrinterColumns[*].name}"});
  EXPECT_EQ(cols.out,
            "Available Healthy Primary Synced replicas Errant replicas Clustering Active "
            "Reconcile Active Last backup");
  auto mgr = Kubectl({"get", "crd", "mysqlclusters.moco.cybozu.com", "--show-managed-fields", "-o",
                      "jsonpath={.metadata.managedFields[*].manager}"});
  EXPECT_NE(mgr.out.find("moco-controller"), std::string::npos) << mgr.out;
}

TEST_F(MysqlApiTest, DocumentationManifestAppliesUnchangedWithDefaults) {
  auto r = Kubectl({"apply", "-f", "-"}, kDocManifest);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "mysqlcluster.moco.cybozu.com/default created\n");

  json::object got = GetJson("default");
  const json::object& spec = got.at("spec").as_object();
  EXPECT_EQ(spec.at("replicas"), 1);
  EXPECT_EQ(spec.at("maxDelaySeconds"), 60);
  EXPECT_EQ(spec.at("maxDelaySecondsForPodDeletion"), 0);
  EXPECT_EQ(spec.at("startupWaitSeconds"), 3600);
  EXPECT_EQ(spec.at("initializeTimezoneData"), false);
  EXPECT_EQ(spec.at("mysqlConfigMapName"), "mycnf");
  const json::object& vct = spec.at("volumeClaimTemplates").at(0).as_object();
  EXPECT_EQ(vct.at("spec").at("resources").at("requests").at("storage"), "1Gi");
  EXPECT_EQ(vct.at("spec").at("accessModes"), (json::array{"ReadWriteOnce"}));
  EXPECT_EQ(spec.at("podTemplate").at("spec").at("containers").at(0).at("image"),
            "quay.io/cybozu/mysql:8.0.28");

  // Applying it again changes nothing.
  auto again = Kubectl({"apply", "-f", "-"}, kDocManifest);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "mysqlcluster.moco.cybozu.com/default unchanged\n");

  // Schema validation: a negative maxDelaySeconds and an unknown overwrite container.
  json::object bad = Cluster("bad");
  Spec(bad)["maxDelaySeconds"] = -1;
  auto b = Apply(bad);
  EXPECT_NE(b.exit_code, 0);
  EXPECT_NE(b.err.find("spec.maxDelaySeconds: Invalid value: -1: spec.maxDelaySeconds in body "
                       "should be greater than or equal to 0"),
            std::string::npos)
      << b.err;
}

TEST_F(MysqlApiTest, BackupPolicyWithDefaults) {
  auto r = Kubectl({"apply", "-f", "-"}, R"(apiVersion: moco.cybozu.com/v1beta2
kind: BackupPolicy
metadata: {namespace: foo, name: daily}
spec:
  schedule: "@daily"
  jobConfig:
    serviceAccountName: backup-owner
    env:
    - name: AWS_ACCESS_KEY_ID
      value: minioadmin
    bucketConfig:
      bucketName: moco
      endpointURL: http://minio.default.svc:9000
      usePathStyle: true
    workVolume:
      emptyDir: {}
)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "backuppolicy.moco.cybozu.com/daily created\n");
  auto g = Kubectl({"get", "backuppolicy", "-n", "foo", "daily", "-o",
                    "jsonpath={.spec.concurrencyPolicy} {.spec.jobConfig.threads} "
                    "{.spec.jobConfig.cpu} {.spec.jobConfig.memory} "
                    "{.spec.jobConfig.bucketConfig.backendType} "
                    "{.spec.jobConfig.workVolume.emptyDir}"});
  EXPECT_EQ(g.out, "Allow 4 4 4Gi s3 {}");
  // The schema refuses an unknown backend and a missing bucket name.
  auto bad = Kubectl({"apply", "-f", "-"}, R"(apiVersion: moco.cybozu.com/v1beta2
kind: BackupPolicy
metadata: {namespace: foo, name: bad}
spec:
  schedule: "@daily"
  jobConfig:
    serviceAccountName: backup-owner
    bucketConfig: {backendType: ftp}
    workVolume: {emptyDir: {}}
)");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("spec.jobConfig.bucketConfig.backendType: Unsupported value: \"ftp\": "
                         "supported values: \"s3\", \"gcs\", \"azure\""),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("spec.jobConfig.bucketConfig.bucketName: Required value"),
            std::string::npos)
      << bad.err;
}

TEST_F(MysqlApiTest, PrinterColumns) {
  ASSERT_EQ(Kubectl({"apply", "-f", "-"}, kDocManifest).exit_code, 0);
  auto st = Kubectl({"patch", "mysqlcluster", "-n", "foo", "default", "--subresource", "status",
                     "--type", "merge", "-p",
                     R"({"status":{"currentPrimaryIndex":0,"syncedReplicas":1,"errantReplicas":0,
          "conditions":[
           {"type":"Available","status":"True","reason":"Healthy","message":"",
            "lastTransitionTime":"2026-01-01T00:00:00Z"},
           {"type":"Healthy","status":"True","reason":"Healthy","message":"",
            "lastTransitionTime":"2026-01-01T00:00:00Z"},
           {"type":"ClusteringActive","status":"True","reason":"Active","message":"",
            "lastTransitionTime":"2026-01-01T00:00:00Z"},
           {"type":"ReconciliationActive","status":"False","reason":"Stopped","message":"",
            "lastTransitionTime":"2026-01-01T00:00:00Z"}]}})"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  auto g = Kubectl({"get", "mysqlcluster", "-n", "foo"});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  // NAME AVAILABLE HEALTHY PRIMARY SYNCED REPLICAS ERRANT REPLICAS CLUSTERING ACTIVE
  // RECONCILE ACTIVE LAST BACKUP (no AGE: a CRD with printer columns replaces the default
  // ones, as in kube), then the row.
  std::vector<std::string_view> lines = Split(g.out, '\n');
  ASSERT_GE(lines.size(), 2u) << g.out;
  for (const char* h :
       {"NAME", "AVAILABLE", "HEALTHY", "PRIMARY", "SYNCED REPLICAS", "ERRANT REPLICAS",
        "CLUSTERING ACTIVE", "RECONCILE ACTIVE", "LAST BACKUP"}) {
    EXPECT_NE(lines[0].find(h), std::string::npos) << h << "\n" << g.out;
  }
  EXPECT_LT(lines[0].find("CLUSTERING ACTIVE"), lines[0].find("RECONCILE ACTIVE"));
  EXPECT_EQ(lines[1].rfind("default ", 0), 0u) << g.out;
  // Available, Healthy, Primary, Synced, Errant, Clustering Active, Reconcile Active.
  std::vector<std::string> cells;
  for (std::string_view f : Split(lines[1], ' ')) {
    if (!f.empty())
      cells.emplace_back(f);
  }
  ASSERT_GE(cells.size(), 8u) << g.out;
  EXPECT_EQ(cells[1], "True");
  EXPECT_EQ(cells[2], "True");
  EXPECT_EQ(cells[3], "0");
  EXPECT_EQ(cells[4], "1");
  EXPECT_EQ(cells[5], "0");
  EXPECT_EQ(cells[6], "True");
  EXPECT_EQ(cells[7], "False");
}

TEST_F(MysqlApiTest, ServerSideApplyMergesContainersByName) {
  auto a = Kubectl({"apply", "--server-side", "--field-manager", "user", "-f", "-"}, kDocManifest);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  // Another manager adds a sidecar and a volume; the user's mysqld container survives.
  auto b = Kubectl({"apply", "--server-side", "--field-manager", "sidecar-injector", "-f", "-"},
                   R"(apiVersion: moco.cybozu.com/v1beta2
kind: MySQLCluster
metadata: {namespace: foo, name: default}
spec:
  podTemplate:
    spec:
      containers:
      - name: err-log
        image: example.com/filebeat:1
      volumes:
      - name: filebeat-config
        configMap: {name: fb}
)");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto names = Kubectl({"get", "mysqlcluster", "-n", "foo", "default", "-o",
                        "jsonpath={.spec.podTemplate.spec.containers[*].name} "
                        "{.spec.podTemplate.spec.volumes[*].name}"});
  EXPECT_EQ(names.out, "mysqld err-log filebeat-config");
}

TEST_F(MysqlApiTest, MutatingWebhookSetsFinalizerAndServerIdBase) {
  StartWebhooks();
  auto r = Kubectl({"apply", "-f", "-"}, kDocManifest);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::object got = GetJson("default");
  EXPECT_EQ(got.at("metadata").at("finalizers"), (json::array{"moco.cybozu.com/mysqlcluster"}));
  int64_t base = got.at("spec").at("serverIDBase").to_number<int64_t>();
  EXPECT_GE(base, 1);
  EXPECT_LE(base, int64_t(1) << 30);

  // A given serverIDBase is kept.
  json::object c = Cluster("fixed");
  Spec(c)["serverIDBase"] = 1000;
  ASSERT_EQ(Apply(c).exit_code, 0);
  EXPECT_EQ(GetJson("fixed").at("spec").at("serverIDBase"), 1000);
}

TEST_F(MysqlApiTest, ValidatingWebhookRejectsBadClusters) {
  StartWebhooks();
  std::string long_name(41, 'a');
  ExpectCreateDenied(Cluster(long_name), "metadata.name: Invalid value: \"" + long_name +
                                             "\": required name must be 40 characters or less");

  json::object even = Cluster("even");
  Spec(even)["replicas"] = 2;
  ExpectCreateDenied(even,
                     "spec.replicas: Invalid value: 2: replicas must be a positive odd number");
  // The Status behind it, as a client library sees it.
  auto raw = srv_->Call("POST", "/apis/moco.cybozu.com/v1beta2/namespaces/foo/mysqlclusters",
                        json::value(even));
  EXPECT_EQ(raw.code, 422) << raw.body;
  EXPECT_EQ(kcx::api::GetStringPath(raw.json, {"reason"}), "Invalid");
  EXPECT_EQ(kcx::api::GetStringPath(raw.json, {"message"}),
            "admission webhook \"vmysqlcluster.kb.io\" denied the request: "
            "MySQLCluster.moco.cybozu.com \"even\" is invalid: spec.replicas: Invalid value: 2: "
            "replicas must be a positive odd number");
  EXPECT_EQ(kcx::api::GetStringPath(raw.json, {"details", "kind"}), "MySQLCluster");

  json::object no_mysqld = Cluster("no-mysqld");
  Containers(no_mysqld)[0].as_object()["name"] = "mysql";
  ExpectCreateDenied(no_mysqld,
                     "spec.podTemplate.spec.containers: Required value: required container "
                     "mysqld is missing");

  json::object no_data = Cluster("no-data");
  Spec(no_data)["volumeClaimTemplates"].as_array()[0].as_object()["metadata"] =
      json::object{{"name", "data"}};
  ExpectCreateDenied(no_data,
                     "spec.volumeClaimTemplates: Required value: required volume claim "
                     "template mysql-data is missing");

  json::object agent = Cluster("agent");
  Containers(agent).push_back(json::object{{"name", "agent"}, {"image", "x"}});
  ExpectCreateDenied(agent,
                     "spec.podTemplate.spec.containers[1]: Forbidden: reserved container name");

  json::object port = Cluster("port");
  Containers(port)[0].as_object()["ports"] =
      json::array{json::object{{"containerPort", 3306}, {"name", "mysql"}}};
  ExpectCreateDenied(port,
                     "\n* spec.podTemplate.spec.containers[0].ports[0]: Invalid value: 3306: "
                     "reserved port\n* spec.podTemplate.spec.containers[0].ports[0]: Invalid "
                     "value: \"mysql\": reserved port name");

  json::object vol = Cluster("vol");
  Spec(vol)["podTemplate"].as_object()["spec"].as_object()["volumes"] =
      json::array{json::object{{"name", "mysql-conf"}, {"emptyDir", json::object()}}};
  ExpectCreateDenied(vol,
                     "spec.podTemplate.spec.volumes[0]: Invalid value: \"mysql-conf\": reserved "
                     "volume name");
  // The API server's webhook client reused its connections (keep-alive).
  EXPECT_GE(webhook_->reviews_served(), 16);
  EXPECT_GE(webhook_->connections_accepted(), 1);
  EXPECT_LT(webhook_->connections_accepted(), webhook_->reviews_served() / 2)
      << webhook_->connections_accepted() << " connections for " << webhook_->reviews_served()
      << " reviews";

  // Nothing was stored.
  auto list = Kubectl({"get", "mysqlclusters", "-n", "foo", "-o", "name"});
  EXPECT_EQ(list.out, "");
}

TEST_F(MysqlApiTest, ValidatingWebhookGuardsUpdates) {
  StartWebhooks();
  json::object c = Cluster("c");
  Spec(c)["replicas"] = 3;
  Spec(c)["replicationSourceSecretName"] = "donor";
  auto r = Apply(c);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  ExpectPatchDenied("c", R"({"spec":{"replicas":1}})",
                    "spec.replicas: Forbidden: decreasing replicas is not supported yet");
  ExpectPatchDenied("c", R"({"spec":{"replicationSourceSecretName":"other"}})",
                    "spec.replicationSourceSecretName: Forbidden: replication source secret "
                    "name cannot be modified");
  ExpectPatchDenied(
      "c", R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"512Mi"}}}}]}})",
      "spec.volumeClaimTemplates[0].spec.resources.requests.storage: Forbidden: shrinking volume "
      "claim template \"mysql-data\" from 1Gi to 512Mi is not supported: Kubernetes cannot "
      "shrink a PersistentVolumeClaim. Keep 1Gi, or create a new MySQLCluster with the smaller "
      "size, move the data to it (restore from a backup or replicate with "
      "replicationSourceSecretName) and delete this one");

  // Growth: refused on a class without expansion, allowed with an expandable default class.
  CreateStorageClass("fixed", false, false);
  std::string grow_fixed = R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},
        "spec":{"storageClassName":"fixed","accessModes":["ReadWriteOnce"],
                "resources":{"requests":{"storage":"2Gi"}}}}]}})";
  ExpectPatchDenied("c", grow_fixed,
                    "spec.volumeClaimTemplates[0].spec.storageClassName: Forbidden: storage "
                    "class \"fixed\" is not allowed to expand volume");
  std::string grow_default = R"({"spec":{"volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},
        "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}}}]}})";
  CreateStorageClass("standard", false, true);
  ExpectPatchDenied("c", grow_default,
                    "spec.volumeClaimTemplates[0]: Forbidden: default storage class "
                    "\"standard\" is not allowed to expand volume");
  CreateStorageClass("standard", true, true);
  auto ok =
      Kubectl({"patch", "mysqlcluster", "-n", "foo", "c", "--type", "merge", "-p", grow_default});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "mysqlcluster.moco.cybozu.com/c patched\n");
  EXPECT_EQ(Kubectl({"get", "mysqlcluster", "-n", "foo", "c", "-o",
                     "jsonpath={.spec.volumeClaimTemplates[0].spec.resources.requests.storage}"})
                .out,
            "2Gi");

  // Other updates still pass, and deleting is allowed.
  auto upd = Kubectl({"patch", "mysqlcluster", "-n", "foo", "c", "--type", "merge", "-p",
                      R"({"spec":{"replicas":5}})"});
  EXPECT_EQ(upd.exit_code, 0) << upd.err;
}

// deploy/webhook/gen-certs.sh --apply against kcx apiserver: the Secret, the Service and the
// webhook configurations with the CA bundle; the certificate it issues serves WebhookServer
// and verifies against that bundle.
TEST_F(MysqlApiTest, GenCertsScriptInstallsWebhookConfigurations) {
  testenv::TempDir dir("kcx-gen-certs");
  auto r = testenv::RunCommand({"sh", KCX_SOURCE_DIR "/deploy/webhook/gen-certs.sh", "--out",
                                dir.path(), "--san", "127.0.0.1", "--apply", "--kubectl",
                                "kubectl --kubeconfig " + srv_->kubeconfig()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("secret/moco-controller-cert created"), std::string::npos) << r.out;
  auto read = [&](const std::string& f) {
    auto c = testenv::RunCommand({"cat", dir.path() + "/" + f});
    return c.out;
  };
  std::string ca = read("ca.crt"), crt = read("tls.crt"), key = read("tls.key");
  ASSERT_NE(ca.find("BEGIN CERTIFICATE"), std::string::npos);

  auto secret = Kubectl({"get", "secret", "-n", "moco-system", "moco-controller-cert", "-o",
                         "jsonpath={.data.ca\\.crt}"});
  EXPECT_EQ(secret.out, Base64Encode(ca));
  for (const char* kind :
       {"mutatingwebhookconfiguration/moco-mutating-webhook-configuration",
        "validatingwebhookconfiguration/moco-validating-webhook-configuration"}) {
    auto w = Kubectl({"get", kind, "-o",
                      "jsonpath={.webhooks[0].clientConfig.caBundle} "
                      "{.webhooks[0].clientConfig.service.name} "
                      "{.webhooks[0].failurePolicy} {.webhooks[0].sideEffects} "
                      "{.webhooks[0].admissionReviewVersions}"});
    ASSERT_EQ(w.exit_code, 0) << w.err;
    EXPECT_EQ(w.out, Base64Encode(ca) + " moco-webhook-service Fail None [\"v1\"]") << kind;
  }
  auto svc = Kubectl({"get", "service", "-n", "moco-system", "moco-webhook-service", "-o",
                      "jsonpath={.spec.ports[0].port}"});
  EXPECT_EQ(svc.out, "443");

  // The issued pair serves the webhook; a client trusting the bundle accepts it.
  WebhookServer hook;
  WebhookServer::Options o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.cert_pem = crt;
  o.key_pem = key;
  ASSERT_TRUE(hook.Start(std::move(o)).ok());
  client::TlsConfig trust;
  trust.ca_pem = ca;
  auto conn = client::Connection::Open({"127.0.0.1", static_cast<uint16_t>(hook.port())}, trust);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  client::HttpRequest req;
  req.method = "POST";
  req.target = std::string(kValidatePath);
  req.content_type = "application/json";
  req.body = json::serialize(json::object{
      {"apiVersion", "admission.k8s.io/v1"},
      {"kind", "AdmissionReview"},
      {"request",
       {{"uid", "u1"},
        {"kind", {{"group", "moco.cybozu.com"}, {"version", "v1beta2"}, {"kind", "MySQLCluster"}}},
        {"operation", "DELETE"}}}});
  auto res = (*conn)->RoundTrip(req);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(json::parse(res->body).at("response"),
            (json::object{{"uid", "u1"}, {"allowed", true}}));
  hook.Stop();
}

}  // namespace
}  // namespace kcx::mysql::api
