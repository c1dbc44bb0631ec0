#include "apiserver/registry/test_util.h"

namespace kcx::apiserver {
namespace {

using namespace testing;  // NOLINT
namespace json = boost::json;

// Validates the object after the create pipeline, as the server would.
std::vector<StatusCause> CreateCauses(const ResourceInfo& r, std::string_view text) {
  json::object obj = Created(r, J(text));
  return Validate(r, obj);
}

#define EXPECT_CAUSE(causes, type, field)                                               \
  EXPECT_TRUE(HasCause(causes, type, field)) << "want " << type << " " << field << "\n" \
                                             << Describe(causes)

TEST(PodValidationTest, ValidPodPasses) {
  const auto& r = Info("", "pods");
  auto causes = CreateCauses(r, R"({"metadata":{"name":"p"},"spec":{"containers":[
      {"name":"a","image":"nginx","ports":[{"containerPort":80,"name":"http"}],
       "volumeMounts":[{"name":"v","mountPath":"/data"}]}],"volumes":[{"name":"v"}]}})");
  EXPECT_TRUE(causes.empty()) << Describe(causes);
}

TEST(PodValidationTest, ContainersRequired) {
  const auto& r = Info("", "pods");
  auto causes = CreateCauses(r, R"({"metadata":{"name":"p"},"spec":{}})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.containers");
  const StatusCause* c = FindCause(causes, "spec.containers");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->message, "Required value");
}

TEST(PodValidationTest, ContainerFields) {
  const auto& r = Info("", "pods");
  auto causes = CreateCauses(r, R"({"metadata":{"name":"p"},"spec":{"containers":[
      {"image":"x"},{"name":"B_ad","image":"x"},{"name":"c"},{"name":"c","image":"y",
       "ports":[{"containerPort":0},{"containerPort":70000,"protocol":"ICMP"},
                {"containerPort":80,"name":"this-name-is-way-too-long"}],
       "imagePullPolicy":"Sometimes",
       "env":[{"value":"x"}],
       "volumeMounts":[{"name":"missing","mountPath":"/m"},{"name":"v"}],
       "resources":{"requests":{"cpu":"2"},"limits":{"cpu":"1"}}}],
      "volumes":[{"name":"v"},{"name":"v"}],"restartPolicy":"Sometimes"}})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.containers[0].name");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.containers[1].name");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.containers[2].image");
  EXPECT_CAUSE(causes, "FieldValueDuplicate", "spec.containers[3].name");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.containers[3].ports[0].containerPort");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.containers[3].ports[1].containerPort");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.containers[3].ports[1].protocol");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.containers[3].ports[2].name");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.containers[3].imagePullPolicy");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.containers[3].env[0].name");
  EXPECT_CAUSE(causes, "FieldValueNotFound", "spec.containers[3].volumeMounts[0].name");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.containers[3].volumeMounts[1].mountPath");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.containers[3].resources.requests[cpu]");
  EXPECT_CAUSE(causes, "FieldValueDuplicate", "spec.volumes[1].name");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.restartPolicy");
  const StatusCause* port = FindCause(causes, "spec.containers[3].ports[0].containerPort");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->message, "Invalid value: 0: must be between 1 and 65535, inclusive");
  const StatusCause* pol = FindCause(causes, "spec.containers[3].imagePullPolicy");
  ASSERT_NE(pol, nullptr);
  EXPECT_EQ(pol->message,
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", "
            "\"Never\"");
  const StatusCause* res = FindCause(causes, "spec.containers[3].resources.requests[cpu]");
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->message, "Invalid value: \"2\": must be less than or equal to cpu limit of 1");
}

TEST(PodValidationTest, UpdateMayOnlyChangeImagesAndFriends) {
  const auto& r = Info("", "pods");
  json::object old = Created(r, J(R"({"metadata":{"name":"p"},"spec":{"containers":[
      {"name":"a","image":"nginx:1"}]}})"));
  json::object img = old;
  img["spec"].as_object()["containers"].as_array()[0].as_object()["image"] = "nginx:2";
  EXPECT_TRUE(Validate(r, img, &old).empty()) << Describe(Validate(r, img, &old));
  json::object added_tol = old;
  added_tol["spec"].as_object()["tolerations"].as_array().push_back(
      J(R"({"key":"k","operator":"Exists"})"));
  EXPECT_TRUE(Validate(r, added_tol, &old).empty()) << Describe(Validate(r, added_tol, &old));
  json::object removed_tol = old;
  removed_tol["spec"].as_object()["tolerations"].as_array().pop_back();
  EXPECT_CAUSE(Validate(r, removed_tol, &old), "FieldValueForbidden", "spec.tolerations");
  json::object env = old;
  env["spec"].as_object()["containers"].as_array()[0].as_object()["env"] =
      json::array{J(R"({"name":"X","value":"1"})")};
  auto causes = Validate(r, env, &old);
  EXPECT_CAUSE(causes, "FieldValueForbidden", "spec");
  const StatusCause* c = FindCause(causes, "spec");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->message.rfind("Forbidden: pod updates may not change fields other than "
                             "`spec.containers[*].image`",
                             0),
            0u);
  json::object node = old;
  node["spec"].as_object()["nodeName"] = "n1";
  EXPECT_CAUSE(Validate(r, node, &old), "FieldValueForbidden", "spec");
}

TEST(ServiceValidationTest, Rules) {
  const auto& r = Info("", "services");
  EXPECT_TRUE(
      CreateCauses(r, R"({"metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}})").empty());
  EXPECT_CAUSE(CreateCauses(r, R"({"metadata":{"name":"s"},"spec":{"selector":{"a":"b"}}})"),
               "FieldValueRequired", "spec.ports");
  // Headless services and ExternalName need no ports.
  EXPECT_TRUE(CreateCauses(r, R"({"metadata":{"name":"s"},"spec":{"clusterIP":"None"}})").empty());
  EXPECT_TRUE(CreateCauses(r, R"({"metadata":{"name":"s"},"spec":{"type":"ExternalName",
      "externalName":"db.example.com"}})")
                  .empty());
  EXPECT_CAUSE(CreateCauses(r, R"({"metadata":{"name":"s"},"spec":{"type":"ExternalName"}})"),
               "FieldValueRequired", "spec.externalName");
  auto causes = CreateCauses(r, R"({"metadata":{"name":"s"},"spec":{"type":"Magic",
      "sessionAffinity":"Sticky","ports":[{"port":0},{"port":80,"protocol":"ICMP","name":"a"},
      {"port":81,"name":"a","targetPort":"Bad_Name"},{"port":82,"name":"n","nodePort":30000}]}})");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.type");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.sessionAffinity");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.ports[0].name");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.ports[0].port");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.ports[1].protocol");
  EXPECT_CAUSE(causes, "FieldValueDuplicate", "spec.ports[2].name");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.ports[2].targetPort");
  EXPECT_CAUSE(causes, "FieldValueForbidden", "spec.ports[3].nodePort");
  EXPECT_CAUSE(CreateCauses(r, R"({"metadata":{"name":"s"},"spec":{"clusterIP":"10.0.0.300",
      "ports":[{"port":80}]}})"),
               "FieldValueInvalid", "spec.clusterIPs[0]");
}

TEST(ServiceValidationTest, ClusterIpIsImmutable) {
  const auto& r = Info("", "services");
  json::object old = Created(r, J(R"({"metadata":{"name":"s"},"spec":{"clusterIP":"10.0.0.5",
      "ports":[{"port":80}]}})"));
  json::object same = old;
  EXPECT_TRUE(Validate(r, same, &old).empty());
  json::object changed = old;
  changed["spec"].as_object()["clusterIP"] = "10.0.0.6";
  changed["spec"].as_object()["clusterIPs"] = json::array{"10.0.0.6"};
  auto causes = Validate(r, changed, &old);
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.clusterIPs[0]");
  EXPECT_NE(FindCause(causes, "spec.clusterIPs[0]")->message.find("may not change once set"),
            std::string::npos);
  // Moving to ExternalName may drop the IP.
  json::object ext = J(R"({"metadata":{"name":"s"},"spec":{"type":"ExternalName",
      "externalName":"x.example.com"}})");
  r.default_fn(ext);
  r.prepare_update_fn(ext, old);
  EXPECT_TRUE(Validate(r, ext, &old).empty()) << Describe(Validate(r, ext, &old));
}

TEST(StatefulSetValidationTest, CreateRules) {
  const auto& r = Info("apps", "statefulsets");
  const char* valid = R"({"metadata":{"name":"db"},"spec":{"serviceName":"db",
      "selector":{"matchLabels":{"app":"db"}},
      "template":{"metadata":{"labels":{"app":"db","x":"y"}},"spec":{"containers":[{"name":"m","image":"mysql"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
        "resources":{"requests":{"storage":"1Gi"}}}}]}})";
  EXPECT_TRUE(CreateCauses(r, valid).empty()) << Describe(CreateCauses(r, valid));
  auto causes = CreateCauses(r, R"({"metadata":{"name":"db"},"spec":{
      "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"m"}]}}}})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.selector");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.template.spec.containers[0].image");
  causes = CreateCauses(r, R"({"metadata":{"name":"db"},"spec":{"replicas":-1,
      "selector":{"matchLabels":{"app":"other"}},"podManagementPolicy":"Random",
      "template":{"metadata":{"labels":{"app":"db"}},"spec":{"restartPolicy":"Never",
        "containers":[{"name":"m","image":"i"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{}}]}})");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.replicas");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.template.metadata.labels");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.podManagementPolicy");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.template.spec.restartPolicy");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.volumeClaimTemplates[0].spec.accessModes");
  EXPECT_CAUSE(causes, "FieldValueRequired",
               "spec.volumeClaimTemplates[0].spec.resources[storage]");
  EXPECT_EQ(FindCause(causes, "spec.template.metadata.labels")->message,
            "Invalid value: map[string]string{\"app\":\"db\"}: `selector` does not match "
            "template `labels`");
  EXPECT_CAUSE(CreateCauses(r, R"({"metadata":{"name":"db"},"spec":{"selector":{},
      "template":{"spec":{"containers":[{"name":"m","image":"i"}]}}}})"),
               "FieldValueInvalid", "spec.selector");
}

TEST(StatefulSetValidationTest, UpdateOnlyMutableFields) {
  const auto& r = Info("apps", "statefulsets");
  json::object old = Created(r, J(R"({"metadata":{"name":"db"},"spec":{"serviceName":"db",
      "selector":{"matchLabels":{"app":"db"}},
      "template":{"metadata":{"labels":{"app":"db"}},"spec":{"containers":[{"name":"m","image":"mysql"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
        "resources":{"requests":{"storage":"1Gi"}}}}]}})"));
  json::object scaled = old;
  scaled["spec"].as_object()["replicas"] = 3;
  scaled["spec"]
      .as_object()["template"]
      .as_object()["spec"]
      .as_object()["containers"]
      .as_array()[0]
      .as_object()["image"] = "mysql:9";
  EXPECT_TRUE(Validate(r, scaled, &old).empty()) << Describe(Validate(r, scaled, &old));
  for (const char* change : {R"({"serviceName":"other"})", R"({"volumeClaimTemplates":[]})",
                             R"({"podManagementPolicy":"Parallel"})"}) {
    json::object upd = old;
    for (const auto& kv : J(change))
      upd["spec"].as_object()[kv.key()] = kv.value();
    auto causes = Validate(r, upd, &old);
    EXPECT_CAUSE(causes, "FieldValueForbidden", "spec");
  }
  json::object sel = old;
  sel["spec"].as_object()["selector"] = J(R"({"matchLabels":{"app":"db","v":"2"}})");
  sel["spec"].as_object()["template"].as_object()["metadata"] =
      J(R"({"labels":{"app":"db","v":"2"}})");
  EXPECT_CAUSE(Validate(r, sel, &old), "FieldValueForbidden", "spec");
}

TEST(DeploymentValidationTest, Rules) {
  const auto& r = Info("apps", "deployments");
  const char* valid = R"({"metadata":{"name":"w"},"spec":{
      "selector":{"matchExpressions":[{"key":"app","operator":"In","values":["w","x"]}]},
      "template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"w","image":"nginx"}]}}}})";
  EXPECT_TRUE(CreateCauses(r, valid).empty()) << Describe(CreateCauses(r, valid));
  auto causes = CreateCauses(r, R"({"metadata":{"name":"w"},"spec":{
      "selector":{"matchLabels":{"app":"x"}},
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":"0%"}},
      "progressDeadlineSeconds":5,"minReadySeconds":10,
      "template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"w","image":"nginx"}]}}}})");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.template.metadata.labels");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.strategy.rollingUpdate.maxUnavailable");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.progressDeadlineSeconds");
  causes = CreateCauses(r, R"({"metadata":{"name":"w"},"spec":{
      "selector":{"matchExpressions":[{"key":"app","operator":"Near"},{"key":"b","operator":"In"}]},
      "strategy":{"type":"Recreate","rollingUpdate":{}},
      "template":{"spec":{"containers":[{"name":"w","image":"nginx"}]}}}})");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.selector.matchExpressions[0].operator");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.selector.matchExpressions[1].values");
  EXPECT_CAUSE(causes, "FieldValueForbidden", "spec.strategy.rollingUpdate");
  causes = CreateCauses(r, R"({"metadata":{"name":"w"},"spec":{"strategy":{"type":"BlueGreen"}}})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.selector");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.template");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.strategy.type");
}

TEST(DeploymentValidationTest, SelectorIsImmutable) {
  const auto& r = Info("apps", "deployments");
  json::object old = Created(r, J(R"({"metadata":{"name":"w"},"spec":{
      "selector":{"matchLabels":{"app":"w"}},
      "template":{"metadata":{"labels":{"app":"w","v":"1"}},"spec":{"containers":[{"name":"w","image":"nginx"}]}}}})"));
  json::object upd = old;
  upd["spec"].as_object()["replicas"] = 5;
  EXPECT_TRUE(Validate(r, upd, &old).empty());
  upd["spec"].as_object()["selector"] = J(R"({"matchLabels":{"app":"w","v":"1"}})");
  auto causes = Validate(r, upd, &old);
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.selector");
  EXPECT_NE(FindCause(causes, "spec.selector")->message.find("field is immutable"),
            std::string::npos);
}

TEST(PvcValidationTest, Rules) {
  const auto& r = Info("", "persistentvolumeclaims");
  EXPECT_TRUE(CreateCauses(r, R"({"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"1Gi"}}}})")
                  .empty());
  auto causes = CreateCauses(r, R"({"metadata":{"name":"c"},"spec":{}})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.accessModes");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.resources[storage]");
  EXPECT_EQ(FindCause(causes, "spec.accessModes")->message,
            "Required value: at least 1 access mode is required");
  causes = CreateCauses(r, R"({"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteSome"],
      "resources":{"requests":{"storage":"0"}},"volumeMode":"Tape"}})");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.accessModes");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.resources[storage]");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.volumeMode");
  EXPECT_CAUSE(CreateCauses(r, R"({"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"lots"}}}})"),
               "FieldValueInvalid", "spec.resources[storage]");
}

TEST(PvcValidationTest, UpdateAllowsExpansionAndBindingOnly) {
  const auto& r = Info("", "persistentvolumeclaims");
  json::object old =
      Created(r, J(R"({"metadata":{"name":"c"},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"1Gi"}}}})"));
  json::object bound = old;
  bound["spec"].as_object()["volumeName"] = "pv-1";
  EXPECT_TRUE(Validate(r, bound, &old).empty()) << Describe(Validate(r, bound, &old));
  json::object grown = bound;
  grown["spec"].as_object()["resources"].as_object()["requests"].as_object()["storage"] = "2Gi";
  EXPECT_TRUE(Validate(r, grown, &bound).empty()) << Describe(Validate(r, grown, &bound));
  EXPECT_CAUSE(Validate(r, bound, &grown), "FieldValueForbidden",
               "spec.resources.requests.storage");
  json::object modes = bound;
  modes["spec"].as_object()["accessModes"] = json::array{"ReadWriteMany"};
  EXPECT_CAUSE(Validate(r, modes, &bound), "FieldValueForbidden", "spec");
  json::object rebound = bound;
  rebound["spec"].as_object()["volumeName"] = "pv-2";
  EXPECT_CAUSE(Validate(r, rebound, &bound), "FieldValueForbidden", "spec");
}

TEST(PvValidationTest, Rules) {
  const auto& r = Info("", "persistentvolumes");
  EXPECT_TRUE(CreateCauses(r, R"({"metadata":{"name":"v"},"spec":{"capacity":{"storage":"1Gi"},
      "accessModes":["ReadWriteOnce"],"hostPath":{"path":"/x"}}})")
                  .empty());
  auto causes = CreateCauses(r, R"({"metadata":{"name":"v"},"spec":{}})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.capacity");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.accessModes");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec");
  causes = CreateCauses(r, R"({"metadata":{"name":"v"},"spec":{"capacity":{"storage":"1Gi"},
      "accessModes":["ReadWriteOnce"],"hostPath":{"path":"/x"},"nfs":{"server":"s","path":"/"},
      "persistentVolumeReclaimPolicy":"Shred"}})");
  EXPECT_CAUSE(causes, "FieldValueForbidden", "spec");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.persistentVolumeReclaimPolicy");
}

TEST(ConfigMapValidationTest, KeysSizeAndImmutability) {
  const auto& r = Info("", "configmaps");
  EXPECT_TRUE(
      CreateCauses(r, R"({"metadata":{"name":"c"},"data":{"a.conf":"x","B_2-c":"y"}})").empty());
  auto causes =
      CreateCauses(r, R"({"metadata":{"name":"c"},"data":{"bad key":"x","..x":"y","k":"1"},
      "binaryData":{"k":"eA=="}})");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "data[bad key]");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "data[..x]");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "data[k]");
  EXPECT_NE(FindCause(causes, "data[bad key]")->message.find("a valid config key must consist of"),
            std::string::npos);
  json::object big = J(R"({"metadata":{"name":"c"}})");
  big["data"] = json::object{{"a", std::string(1024 * 1024 + 1, 'x')}};
  EXPECT_CAUSE(Validate(r, big), "FieldValueTooLong", "");
  json::object old = J(R"({"metadata":{"name":"c"},"immutable":true,"data":{"a":"1"}})");
  json::object upd = J(R"({"metadata":{"name":"c"},"immutable":true,"data":{"a":"2"}})");
  EXPECT_CAUSE(Validate(r, upd, &old), "FieldValueForbidden", "data");
  json::object unset = J(R"({"metadata":{"name":"c"},"data":{"a":"1"}})");
  EXPECT_CAUSE(Validate(r, unset, &old), "FieldValueForbidden", "immutable");
  json::object meta_only = old;
  meta_only["metadata"].as_object()["labels"] = J(R"({"x":"y"})");
  EXPECT_TRUE(Validate(r, meta_only, &old).empty());
  // Mutable ConfigMaps may change and may become immutable.
  json::object mut_old = J(R"({"metadata":{"name":"c"},"data":{"a":"1"}})");
  EXPECT_TRUE(Validate(r, upd, &mut_old).empty());
  // Decoding: binaryData must be base64, data values strings.
  EXPECT_FALSE(r.decode_fn(J(R"({"binaryData":{"k":"not base64!"}})")).value_or("").empty());
  EXPECT_FALSE(r.decode_fn(J(R"({"data":{"k":5}})")).value_or("").empty());
  EXPECT_FALSE(r.decode_fn(J(R"({"data":{"k":"5"},"binaryData":{"b":"eA=="}})")).has_value());
}

TEST(SecretValidationTest, DecodeKeysTypesAndImmutability) {
  const auto& r = Info("", "secrets");
  EXPECT_FALSE(r.decode_fn(J(R"({"data":{"a":"aGVsbG8=","b":"","c":"YQ==\n"}})")).has_value());
  auto err = r.decode_fn(J(R"({"data":{"a":"hello!"}})"));
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(*err,
            "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input "
            "byte 5");
  EXPECT_TRUE(r.decode_fn(J(R"({"data":{"a":"aGVsbG8"}})")).has_value());  // missing padding
  EXPECT_TRUE(r.decode_fn(J(R"({"data":{"a":"YQ==YQ=="}})")).has_value());
  EXPECT_TRUE(r.decode_fn(J(R"({"data":{"a":"Y==="}})")).has_value());
  EXPECT_TRUE(r.decode_fn(J(R"({"data":{"a":5}})")).has_value());
  EXPECT_TRUE(CreateCauses(r, R"({"metadata":{"name":"s"},"data":{"a":"eA=="}})").empty());
  EXPECT_CAUSE(CreateCauses(r, R"({"metadata":{"name":"s"},"data":{"a/b":"eA=="}})"),
               "FieldValueInvalid", "data[a/b]");
  auto causes =
      CreateCauses(r, R"({"metadata":{"name":"s"},"type":"kubernetes.io/tls","data":{}})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "data[tls.crt]");
  EXPECT_CAUSE(causes, "FieldValueRequired", "data[tls.key]");
  EXPECT_CAUSE(CreateCauses(r, R"({"metadata":{"name":"s"},"type":"kubernetes.io/ssh-auth"})"),
               "FieldValueRequired", "data[ssh-privatekey]");
  EXPECT_CAUSE(
      CreateCauses(r, R"({"metadata":{"name":"s"},"type":"kubernetes.io/dockerconfigjson"})"),
      "FieldValueRequired", "data[.dockerconfigjson]");
  EXPECT_CAUSE(
      CreateCauses(r, R"({"metadata":{"name":"s"},"type":"kubernetes.io/service-account-token"})"),
      "FieldValueRequired", "metadata.annotations[kubernetes.io/service-account.name]");
  json::object old =
      Created(r, J(R"({"metadata":{"name":"s"},"immutable":true,"data":{"a":"eA=="}})"));
  json::object upd = old;
  upd["data"].as_object()["a"] = "eQ==";
  EXPECT_CAUSE(Validate(r, upd, &old), "FieldValueForbidden", "data");
  json::object retyped = old;
  retyped["type"] = "kubernetes.io/basic-auth";
  EXPECT_CAUSE(Validate(r, retyped, &old), "FieldValueInvalid", "type");
}

TEST(OtherValidationTest, PdbLeaseStorageClassNodeEndpointsNamespace) {
  const auto& pdb = Info("policy", "poddisruptionbudgets");
  EXPECT_TRUE(CreateCauses(pdb, R"({"metadata":{"name":"p"},"spec":{"minAvailable":"50%",
      "selector":{"matchLabels":{"a":"b"}}}})")
                  .empty());
  auto causes = CreateCauses(pdb, R"({"metadata":{"name":"p"},"spec":{"minAvailable":1,
      "maxUnavailable":"150%","unhealthyPodEvictionPolicy":"Never"}})");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.maxUnavailable");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.unhealthyPodEvictionPolicy");
  EXPECT_CAUSE(CreateCauses(pdb, R"({"metadata":{"name":"p"},"spec":{"minAvailable":-1}})"),
               "FieldValueInvalid", "spec.minAvailable");

  const auto& lease = Info("coordination.k8s.io", "leases");
  EXPECT_TRUE(CreateCauses(lease, R"({"metadata":{"name":"l"},"spec":{"holderIdentity":"a",
      "leaseDurationSeconds":15}})")
                  .empty());
  causes = CreateCauses(lease, R"({"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":0,
      "leaseTransitions":-1}})");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.leaseDurationSeconds");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "spec.leaseTransitions");

  const auto& sc = Info("storage.k8s.io", "storageclasses");
  EXPECT_TRUE(CreateCauses(sc, R"({"metadata":{"name":"s"},"provisioner":"rancher.io/local-path"})")
                  .empty());
  causes = CreateCauses(sc, R"({"metadata":{"name":"s"},"reclaimPolicy":"Recycle",
      "volumeBindingMode":"Later"})");
  EXPECT_CAUSE(causes, "FieldValueRequired", "provisioner");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "reclaimPolicy");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "volumeBindingMode");
  json::object old =
      Created(sc, J(R"({"metadata":{"name":"s"},"provisioner":"a.io/b","parameters":{"x":"1"}})"));
  json::object upd = old;
  upd["parameters"] = J(R"({"x":"2"})");
  upd["provisioner"] = "c.io/d";
  causes = Validate(sc, upd, &old);
  EXPECT_CAUSE(causes, "FieldValueForbidden", "parameters");
  EXPECT_CAUSE(causes, "FieldValueForbidden", "provisioner");
  json::object labelled = old;
  labelled["allowVolumeExpansion"] = true;
  EXPECT_TRUE(Validate(sc, labelled, &old).empty());

  const auto& node = Info("", "nodes");
  causes = CreateCauses(node, R"({"metadata":{"name":"n"},"spec":{"taints":[
      {"key":"a","effect":"NoSchedule"},{"key":"a","effect":"NoSchedule"},{"key":"b"},
      {"key":"c","effect":"Sometimes"}]}})");
  EXPECT_CAUSE(causes, "FieldValueDuplicate", "spec.taints[1]");
  EXPECT_CAUSE(causes, "FieldValueRequired", "spec.taints[2].effect");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "spec.taints[3].effect");
  json::object nold = J(R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.0.0.0/24"}})");
  json::object nnew = J(R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.1.0.0/24"}})");
  EXPECT_CAUSE(Validate(node, nnew, &nold), "FieldValueForbidden", "spec.podCIDRs");

  const auto& ep = Info("", "endpoints");
  causes = CreateCauses(ep, R"({"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"x"}],
      "ports":[{"port":0},{"port":80,"protocol":"ICMP"}]}]})");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "subsets[0].addresses[0].ip");
  EXPECT_CAUSE(causes, "FieldValueRequired", "subsets[0].ports[0].name");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "subsets[0].ports[0].port");
  EXPECT_CAUSE(causes, "FieldValueNotSupported", "subsets[0].ports[1].protocol");

  const auto& ns = Info("", "namespaces");
  EXPECT_TRUE(CreateCauses(ns, R"({"metadata":{"name":"team"}})").empty());
}

TEST(EventValidationTest, CoreAndEventsV1) {
  const auto& core = Info("", "events");
  EXPECT_TRUE(CreateCauses(core, R"({"metadata":{"name":"e","namespace":"default"},
      "involvedObject":{"kind":"Pod","name":"p","namespace":"default"},"reason":"Started"})")
                  .empty());
  EXPECT_CAUSE(CreateCauses(core, R"({"metadata":{"name":"e","namespace":"default"},
      "involvedObject":{"kind":"Pod","name":"p","namespace":"other"}})"),
               "FieldValueInvalid", "involvedObject.namespace");
  const auto& v1 = Info("events.k8s.io", "events");
  const char* valid = R"({"metadata":{"name":"e","namespace":"default"},
      "eventTime":"2026-11-25T10:00:00.000000Z","reportingController":"kcx.io/ctrl",
      "reportingInstance":"ctrl-1","action":"Scale","reason":"Scaled","type":"Normal",
      "regarding":{"kind":"Deployment","name":"d","namespace":"default"},"note":"scaled"})";
  EXPECT_TRUE(CreateCauses(v1, valid).empty()) << Describe(CreateCauses(v1, valid));
  auto causes = CreateCauses(v1, R"({"metadata":{"name":"e","namespace":"default"},
      "type":"Bad","deprecatedCount":3,"series":{"count":1}})");
  for (const char* f : {"eventTime", "reportingController", "reportingInstance", "action", "reason",
                        "series.lastObservedTime"}) {
    EXPECT_CAUSE(causes, "FieldValueRequired", f);
  }
  EXPECT_CAUSE(causes, "FieldValueInvalid", "type");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "deprecatedCount");
  EXPECT_CAUSE(causes, "FieldValueInvalid", "series.count");
  json::object old = J(valid);
  json::object upd = old;
  upd["series"] = J(R"({"count":2,"lastObservedTime":"2026-11-25T10:01:00.000000Z"})");
  EXPECT_TRUE(Validate(v1, upd, &old).empty());
  upd["note"] = "changed";
  EXPECT_CAUSE(Validate(v1, upd, &old), "FieldValueInvalid", "note");
}

}  // namespace
}  // namespace kcx::apiserver
