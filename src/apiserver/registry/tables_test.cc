#include "apiserver/registry/test_util.h"

namespace kcx::apiserver {
namespace {

using namespace testing;  // NOLINT
namespace json = boost::json;

const auto kNow = [] { return T("2026-11-25T12:00:00Z"); };

json::array Row(std::string_view group, std::string_view resource, std::string_view text) {
  return Info(group, resource).row_fn(J(text), kNow());
}

std::vector<std::string> ColumnNames(std::string_view group, std::string_view resource,
                                     int priority) {
  std::vector<std::string> out;
  for (const auto& c : Info(group, resource).columns) {
    if (c.priority == priority)
      out.push_back(c.name);
  }
  return out;
}

using Names = std::vector<std::string>;

TEST(TableColumnsTest, AsTheRealServerSendsThem) {
  EXPECT_EQ(ColumnNames("", "pods", 0), (Names{"Name", "Ready", "Status", "Restarts", "Age"}));
  EXPECT_EQ(ColumnNames("", "pods", 1), (Names{"IP", "Node", "Nominated Node", "Readiness Gates"}));
  EXPECT_EQ(ColumnNames("", "configmaps", 0), (Names{"Name", "Data", "Age"}));
  EXPECT_EQ(ColumnNames("", "secrets", 0), (Names{"Name", "Type", "Data", "Age"}));
  EXPECT_EQ(ColumnNames("", "services", 0),
            (Names{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"}));
  EXPECT_EQ(ColumnNames("", "services", 1), (Names{"Selector"}));
  EXPECT_EQ(ColumnNames("apps", "statefulsets", 0), (Names{"Name", "Ready", "Age"}));
  EXPECT_EQ(ColumnNames("apps", "statefulsets", 1), (Names{"Containers", "Images"}));
  EXPECT_EQ(ColumnNames("apps", "deployments", 0),
            (Names{"Name", "Ready", "Up-to-date", "Available", "Age"}));
  EXPECT_EQ(ColumnNames("apps", "deployments", 1), (Names{"Containers", "Images", "Selector"}));
  EXPECT_EQ(ColumnNames("", "namespaces", 0), (Names{"Name", "Status", "Age"}));
  EXPECT_EQ(ColumnNames("", "nodes", 0), (Names{"Name", "Status", "Roles", "Age", "Version"}));
  EXPECT_EQ(ColumnNames("", "events", 0),
            (Names{"Last Seen", "Type", "Reason", "Object", "Message"}));
  EXPECT_EQ(ColumnNames("", "events", 1),
            (Names{"Subobject", "Source", "First Seen", "Count", "Name"}));
  EXPECT_EQ(ColumnNames("", "persistentvolumeclaims", 0),
            (Names{"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
                   "VolumeAttributesClass", "Age"}));
  EXPECT_EQ(ColumnNames("", "persistentvolumes", 0),
            (Names{"Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim",
                   "StorageClass", "VolumeAttributesClass", "Reason", "Age"}));
  EXPECT_EQ(ColumnNames("", "serviceaccounts", 0), (Names{"Name", "Secrets", "Age"}));
  EXPECT_EQ(ColumnNames("", "endpoints", 0), (Names{"Name", "Endpoints", "Age"}));
  EXPECT_EQ(ColumnNames("policy", "poddisruptionbudgets", 0),
            (Names{"Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age"}));
  EXPECT_EQ(ColumnNames("coordination.k8s.io", "leases", 0), (Names{"Name", "Holder", "Age"}));
  EXPECT_EQ(ColumnNames("storage.k8s.io", "storageclasses", 0),
            (Names{"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode",
                   "AllowVolumeExpansion", "Age"}));
  const auto& pod = Info("", "pods");
  EXPECT_EQ(pod.columns[0].format, "name");
  EXPECT_EQ(pod.columns[4].type, "string");  // Age is a rendered duration, not a date
  // The real server declares these count columns as "string" but sends integer cells.
  EXPECT_EQ(Info("", "configmaps").columns[1].type, "string");
  EXPECT_EQ(Info("apps", "deployments").columns[2].type, "string");
  EXPECT_EQ(Info("policy", "poddisruptionbudgets").columns[3].type, "integer");
}

// ---- Pod STATUS / READY / RESTARTS ----

json::array PodRow(std::string_view text) { return Row("", "pods", text); }

TEST(PodTableTest, PendingPodWithoutStatuses) {
  json::array row = PodRow(R"({"metadata":{"name":"p","creationTimestamp":"2026-11-25T11:59:30Z"},
      "spec":{"containers":[{"name":"a"},{"name":"b"}]},"status":{"phase":"Pending"}})");
  EXPECT_EQ(
      row,
      J(R"({"r":["p","0/2","Pending","0","30s","<none>","<none>","<none>","<none>"]})").at("r"));
}

TEST(PodTableTest, RunningReadyWithRestartsAndWideColumns) {
  json::array row = PodRow(R"({"metadata":{"name":"p","creationTimestamp":"2026-11-20T12:00:00Z"},
      "spec":{"nodeName":"n1","containers":[{"name":"a"},{"name":"b"}],
              "readinessGates":[{"conditionType":"x/ready"},{"conditionType":"y/ready"}]},
      "status":{"phase":"Running","podIPs":[{"ip":"10.1.0.5"}],"nominatedNodeName":"n2",
        "conditions":[{"type":"x/ready","status":"True"},{"type":"y/ready","status":"False"}],
        "containerStatuses":[
          {"name":"a","ready":true,"restartCount":2,"state":{"running":{}},
           "lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-11-25T11:55:00Z"}}},
          {"name":"b","ready":false,"restartCount":1,"state":{"running":{}},
           "lastState":{"terminated":{"exitCode":1,"finishedAt":"2026-11-25T11:50:00Z"}}}]}})");
  EXPECT_EQ(row[1], "1/2");
  EXPECT_EQ(row[2], "Running");
  EXPECT_EQ(row[3], "3 (5m ago)");
  EXPECT_EQ(row[4], "5d");
  EXPECT_EQ(row[5], "10.1.0.5");
  EXPECT_EQ(row[6], "n1");
  EXPECT_EQ(row[7], "n2");
  EXPECT_EQ(row[8], "1/2");
}

TEST(PodTableTest, ContainerWaitingAndTerminatedReasons) {
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running",
      "containerStatuses":[{"name":"a","state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})")[2],
            "CrashLoopBackOff");
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending",
      "containerStatuses":[{"name":"a","state":{"waiting":{"reason":"ImagePullBackOff"}}}]}})")[2],
            "ImagePullBackOff");
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Failed",
      "containerStatuses":[{"name":"a","state":{"terminated":{"reason":"OOMKilled","exitCode":137}}}]}})")
                [2],
            "OOMKilled");
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Failed",
      "containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":3}}}]}})")[2],
            "ExitCode:3");
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Failed",
      "containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"signal":9}}}]}})")[2],
            "Signal:9");
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Succeeded",
      "containerStatuses":[{"name":"a","state":{"terminated":{"reason":"Completed","exitCode":0}}}]}})")
                [2],
            "Completed");
  // The pod-level reason wins over the phase (e.g. Evicted).
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Failed",
      "reason":"Evicted"}})")[2],
            "Evicted");
  // A finished sidecar-less container next to a running one reads Running or NotReady.
  const char* completed_and_running = R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]},
      "status":{"phase":"Running","conditions":[{"type":"Ready","status":"%s"}],
      "containerStatuses":[{"name":"a","ready":true,"state":{"running":{}}},
        {"name":"b","state":{"terminated":{"reason":"Completed","exitCode":0}}}]}})";
  char buf[1024];
  std::snprintf(buf, sizeof buf, completed_and_running, "True");
  EXPECT_EQ(PodRow(buf)[2], "Running");
  std::snprintf(buf, sizeof buf, completed_and_running, "False");
  EXPECT_EQ(PodRow(buf)[2], "NotReady");
}

TEST(PodTableTest, InitContainers) {
  const char* spec =
      R"("spec":{"initContainers":[{"name":"i1"},{"name":"i2"}],"containers":[{"name":"a"}]})";
  auto row = [&](std::string_view status) {
    return PodRow(std::string("{") + spec + ",\"status\":" + std::string(status) + "}");
  };
  EXPECT_EQ(row(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"i1","state":{"terminated":{"exitCode":0}}},
      {"name":"i2","state":{"running":{}}}]})")[2],
            "Init:1/2");
  EXPECT_EQ(row(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"i1","state":{"waiting":{"reason":"PodInitializing"}}}]})")[2],
            "Init:0/2");
  EXPECT_EQ(row(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"i1","restartCount":4,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]})")[2],
            "Init:CrashLoopBackOff");
  auto failed = row(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"i1","restartCount":4,"state":{"terminated":{"exitCode":2}}}]})");
  EXPECT_EQ(failed[2], "Init:ExitCode:2");
  EXPECT_EQ(failed[3], "4");  // init restarts count while initializing
  EXPECT_EQ(row(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"i1","state":{"terminated":{"reason":"Error","exitCode":1}}}]})")[2],
            "Init:Error");
  EXPECT_EQ(row(R"({"phase":"Pending","initContainerStatuses":[
      {"name":"i1","state":{"terminated":{"exitCode":1,"signal":15}}}]})")[2],
            "Init:Signal:15");
}

TEST(PodTableTest, RestartableInitContainersCountAsContainers) {
  json::array row = PodRow(R"({"spec":{"initContainers":[{"name":"side","restartPolicy":"Always"}],
      "containers":[{"name":"a"}]},"status":{"phase":"Running",
      "conditions":[{"type":"Initialized","status":"True"}],
      "initContainerStatuses":[{"name":"side","started":true,"ready":true,"restartCount":1,
        "state":{"running":{}}}],
      "containerStatuses":[{"name":"a","ready":true,"state":{"running":{}}}]}})");
  EXPECT_EQ(row[1], "2/2");
  EXPECT_EQ(row[2], "Running");
  EXPECT_EQ(row[3], "1");  // no lastState, so no "(ago)"
}

TEST(PodTableTest, TerminatingAndUnknown) {
  EXPECT_EQ(PodRow(R"({"metadata":{"deletionTimestamp":"2026-11-25T11:00:00Z"},
      "spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running"}})")[2],
            "Terminating");
  EXPECT_EQ(PodRow(R"({"metadata":{"deletionTimestamp":"2026-11-25T11:00:00Z"},
      "spec":{"containers":[{"name":"a"}]},"status":{"phase":"Succeeded"}})")[2],
            "Succeeded");
  EXPECT_EQ(PodRow(R"({"metadata":{"deletionTimestamp":"2026-11-25T11:00:00Z"},
      "spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running","reason":"NodeLost"}})")[2],
            "Unknown");
  EXPECT_EQ(PodRow(R"({"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending",
      "conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]}})")[2],
            "SchedulingGated");
}

// ---- Service ----

TEST(ServiceTableTest, PortsIpsAndSelector) {
  json::array row = Row("", "services", R"({"metadata":{"name":"web"},"spec":{"type":"NodePort",
      "clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"selector":{"b":"2","a":"1"},
      "ports":[{"port":80,"protocol":"TCP"},{"port":443,"nodePort":30443,"protocol":"TCP"},
               {"port":53,"protocol":"UDP"}]}})");
  EXPECT_EQ(row[1], "NodePort");
  EXPECT_EQ(row[2], "10.96.0.10");
  EXPECT_EQ(row[3], "<none>");
  EXPECT_EQ(row[4], "80/TCP,443:30443/TCP,53/UDP");
  EXPECT_EQ(row[6], "a=1,b=2");
  json::array headless = Row("", "services", R"({"spec":{"type":"ClusterIP","clusterIP":"None",
      "clusterIPs":["None"]}})");
  EXPECT_EQ(headless[2], "None");
  EXPECT_EQ(headless[4], "<none>");
  EXPECT_EQ(headless[6], "<none>");
  EXPECT_EQ(Row("", "services", R"({"spec":{"type":"ClusterIP"}})")[2], "<none>");
  EXPECT_EQ(Row("", "services",
                R"({"spec":{"type":"ClusterIP","externalIPs":["1.2.3.4","5.6.7.8"]}})")[3],
            "1.2.3.4,5.6.7.8");
  EXPECT_EQ(Row("", "services", R"({"spec":{"type":"LoadBalancer"}})")[3], "<pending>");
  EXPECT_EQ(Row("", "services", R"({"spec":{"type":"LoadBalancer","externalIPs":["9.9.9.9"]},
      "status":{"loadBalancer":{"ingress":[{"ip":"2.2.2.2"},{"hostname":"lb.example.com"},
      {"ip":"1.1.1.1"},{"ip":"2.2.2.2"}]}}})")[3],
            "1.1.1.1,2.2.2.2,lb.example.com,9.9.9.9");
  EXPECT_EQ(
      Row("", "services", R"({"spec":{"type":"ExternalName","externalName":"db.example.com"}})")[3],
      "db.example.com");
}

// ---- Workloads ----

TEST(WorkloadTableTest, StatefulSetAndDeploymentReadyCounts) {
  json::array sts = Row("apps", "statefulsets", R"({"metadata":{"name":"db"},"spec":{"replicas":3,
      "template":{"spec":{"containers":[{"name":"mysql","image":"mysql:8"},{"name":"agent","image":"agent:1"}]}}},
      "status":{"readyReplicas":2}})");
  EXPECT_EQ(sts[1], "2/3");
  EXPECT_EQ(sts[3], "mysql,agent");
  EXPECT_EQ(sts[4], "mysql:8,agent:1");
  EXPECT_EQ(Row("apps", "statefulsets", R"({"spec":{"replicas":1}})")[1], "0/1");
  json::array dep = Row("apps", "deployments", R"({"metadata":{"name":"w"},"spec":{"replicas":4,
      "selector":{"matchLabels":{"app":"w"},"matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]},
        {"key":"canary","operator":"DoesNotExist"},{"key":"env","operator":"Exists"},
        {"key":"zone","operator":"NotIn","values":["z"]}]},
      "template":{"spec":{"containers":[{"name":"w","image":"nginx"}]}}},
      "status":{"readyReplicas":3,"updatedReplicas":4,"availableReplicas":3}})");
  EXPECT_EQ(dep[1], "3/4");
  EXPECT_EQ(dep[2], 4);
  EXPECT_EQ(dep[3], 3);
  EXPECT_EQ(dep[5], "w");
  EXPECT_EQ(dep[6], "nginx");
  EXPECT_EQ(dep[7], "app=w,!canary,env,tier in (a,b),zone notin (z)");
  EXPECT_EQ(Row("apps", "deployments", R"({"spec":{"selector":{}}})")[7], "<none>");
}

// ---- Other types ----

TEST(OtherTablesTest, ConfigMapSecretNamespaceSa) {
  EXPECT_EQ(Row("", "configmaps", R"({"metadata":{"name":"c"},"data":{"a":"1","b":"2"},
      "binaryData":{"c":"eA=="}})")[1],
            3);
  json::array sec = Row("", "secrets", R"({"metadata":{"name":"s"},"type":"kubernetes.io/tls",
      "data":{"tls.crt":"","tls.key":""}})");
  EXPECT_EQ(sec[1], "kubernetes.io/tls");
  EXPECT_EQ(sec[2], 2);
  EXPECT_EQ(
      Row("", "namespaces", R"({"metadata":{"name":"n"},"status":{"phase":"Terminating"}})")[1],
      "Terminating");
  EXPECT_EQ(Row("", "serviceaccounts", R"({"secrets":[{"name":"a"}]})")[1], 1);
}

TEST(OtherTablesTest, Nodes) {
  json::array row = Row("", "nodes", R"json({"metadata":{"name":"n1","labels":{
      "node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/worker":"",
      "kubernetes.io/role":"edge"}},"spec":{"unschedulable":true},
      "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
        "addresses":[{"type":"InternalIP","address":"192.168.1.10"},{"type":"Hostname","address":"n1"}],
        "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian GNU/Linux 12 (bookworm)"}}})json");
  EXPECT_EQ(row[1], "Ready,SchedulingDisabled");
  EXPECT_EQ(row[2], "control-plane,edge,worker");
  EXPECT_EQ(row[4], "v1.32.0");
  EXPECT_EQ(row[5], "192.168.1.10");
  EXPECT_EQ(row[6], "<none>");
  EXPECT_EQ(row[7], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(row[8], "<unknown>");
  EXPECT_EQ(
      Row("", "nodes", R"({"status":{"conditions":[{"type":"Ready","status":"Unknown"}]}})")[1],
      "NotReady");
  EXPECT_EQ(Row("", "nodes", R"({})")[1], "Unknown");
  EXPECT_EQ(Row("", "nodes", R"({})")[2], "<none>");
  EXPECT_EQ(Row("", "nodes", R"({"metadata":{"labels":{"kubernetes.io/role":""}}})")[2], "<none>");
}

TEST(OtherTablesTest, EndpointsPvcPvPdbLeaseStorageClass) {
  EXPECT_EQ(Row("", "endpoints", R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],
      "ports":[{"port":80},{"port":443}]}]})")[1],
            "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...");
  EXPECT_EQ(Row("", "endpoints",
                R"({"subsets":[{"addresses":[{"ip":"fd00::1"}],"ports":[{"port":80}]}]})")[1],
            "[fd00::1]:80");
  EXPECT_EQ(Row("", "endpoints", R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]})")[1],
            "10.0.0.1");
  EXPECT_EQ(Row("", "endpoints", R"({})")[1], "<none>");

  json::array pvc = Row("", "persistentvolumeclaims", R"({"metadata":{"name":"c"},"spec":{
      "volumeName":"pv1","storageClassName":"standard","volumeMode":"Filesystem"},
      "status":{"phase":"Bound","accessModes":["ReadWriteMany","ReadWriteOnce"],"capacity":{"storage":"5Gi"}}})");
  EXPECT_EQ(
      pvc,
      J(R"({"r":["c","Bound","pv1","5Gi","RWO,RWX","standard","<unset>","<unknown>","Filesystem"]})")
          .at("r"));
  json::array pending =
      Row("", "persistentvolumeclaims", R"({"spec":{},"status":{"phase":"Pending"}})");
  EXPECT_EQ(pending[3], "");
  EXPECT_EQ(pending[8], "<unset>");

  json::array pv = Row("", "persistentvolumes", R"({"metadata":{"name":"v"},"spec":{
      "capacity":{"storage":"10Gi"},"accessModes":["ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Delete",
      "claimRef":{"namespace":"ns","name":"c"},"storageClassName":"fast","volumeMode":"Block"},
      "status":{"phase":"Bound"}})");
  EXPECT_EQ(
      pv,
      J(R"({"r":["v","10Gi","RWO","Delete","Bound","ns/c","fast","<unset>","","<unknown>","Block"]})")
          .at("r"));

  json::array pdb = Row("policy", "poddisruptionbudgets", R"({"spec":{"minAvailable":"50%"},
      "status":{"disruptionsAllowed":2}})");
  EXPECT_EQ(pdb[1], "50%");
  EXPECT_EQ(pdb[2], "N/A");
  EXPECT_EQ(pdb[3], 2);

  EXPECT_EQ(Row("coordination.k8s.io", "leases", R"({"spec":{"holderIdentity":"me"}})")[1], "me");

  json::array sc = Row("storage.k8s.io", "storageclasses", R"({"metadata":{"name":"standard",
      "annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},
      "provisioner":"rancher.io/local-path","volumeBindingMode":"WaitForFirstConsumer"})");
  EXPECT_EQ(sc[0], "standard (default)");
  EXPECT_EQ(sc[1], "rancher.io/local-path");
  EXPECT_EQ(sc[2], "Delete");
  EXPECT_EQ(sc[3], "WaitForFirstConsumer");
  EXPECT_EQ(sc[4], false);
}

TEST(EventTableTest, CoreAndEventsV1) {
  json::array core = Row("", "events", R"({"metadata":{"name":"p.1"},
      "involvedObject":{"kind":"Pod","name":"p","fieldPath":"spec.containers{a}"},
      "reason":"BackOff","type":"Warning","message":"  Back-off restarting  ","count":7,
      "firstTimestamp":"2026-11-25T11:00:00Z","lastTimestamp":"2026-11-25T11:58:00Z",
      "source":{"component":"kubelet","host":"n1"}})");
  EXPECT_EQ(core, J(R"({"r":["2m","Warning","BackOff","pod/p","spec.containers{a}","kubelet, n1",
      "Back-off restarting","60m",7,"p.1"]})")
                      .at("r"));
  json::array singleton = Row("", "events", R"({"eventTime":"2026-11-25T11:59:00.000000Z",
      "involvedObject":{"kind":"Node"},"reportingComponent":"ctrl","reportingInstance":"i"})");
  EXPECT_EQ(singleton[0], "60s");
  EXPECT_EQ(singleton[3], "node");
  EXPECT_EQ(singleton[5], "ctrl, i");
  EXPECT_EQ(singleton[7], "60s");
  EXPECT_EQ(singleton[8], 1);
  json::array v1 = Row("events.k8s.io", "events", R"({"metadata":{"name":"e"},
      "regarding":{"kind":"Deployment","name":"d"},"note":"scaled up","reason":"Scaled",
      "type":"Normal","eventTime":"2026-11-25T11:00:00.000000Z","reportingController":"dc",
      "series":{"count":4,"lastObservedTime":"2026-11-25T11:59:50.000000Z"}})");
  EXPECT_EQ(v1,
            J(R"({"r":["10s","Normal","Scaled","deployment/d","","dc","scaled up","60m",4,"e"]})")
                .at("r"));
}

}  // namespace
}  // namespace kcx::apiserver
