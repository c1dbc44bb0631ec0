#include "operators/mysql/api/webhook.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/json.h"
#include "common/strings.h"

namespace kcx::mysql::api {
namespace {

namespace json = boost::json;

json::object Cluster(int replicas) {
  json::object c = json::parse(R"({"apiVersion":"moco.cybozu.com/v1beta2","kind":"MySQLCluster",
    "metadata":{"namespace":"foo","name":"test"},
    "spec":{"serverIDBase":100,
      "podTemplate":{"spec":{"containers":[{"name":"mysqld","image":"mysql:8.0.28"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"mysql-data"},
        "spec":{"resources":{"requests":{"storage":"1Gi"}}}}]}})")
                       .as_object();
  c["spec"].as_object()["replicas"] = replicas;
  return c;
}

json::object Request(std::string_view op, json::value obj, json::value old = nullptr) {
  return json::object{
      {"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
      {"kind", {{"group", "moco.cybozu.com"}, {"version", "v1beta2"}, {"kind", "MySQLCluster"}}},
      {"resource",
       {{"group", "moco.cybozu.com"}, {"version", "v1beta2"}, {"resource", "mysqlclusters"}}},
      {"name", "test"},
      {"namespace", "foo"},
      {"operation", op},
      {"object", std::move(obj)},
      {"oldObject", std::move(old)}};
}

StorageClassLookup NoClasses() {
  StorageClassLookup l;
  l.get = [](const std::string&) -> Result<std::optional<json::object>> {
    return std::optional<json::object>();
  };
  l.list = []() -> Result<std::vector<json::object>> { return std::vector<json::object>(); };
  return l;
}

TEST(MutateReviewTest, CreateGetsAJsonPatch) {
  json::object c = Cluster(1);
  c["spec"].as_object().erase("serverIDBase");
  json::object r = MutateReview(Request("CREATE", c), [] { return 42; });
  EXPECT_EQ(r.at("uid"), "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(r.at("allowed"), true);
  EXPECT_EQ(r.at("patchType"), "JSONPatch");
  auto patch = Base64Decode(r.at("patch").as_string());
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(json::parse(*patch), json::parse(R"([
    {"op":"add","path":"/metadata/finalizers","value":["moco.cybozu.com/mysqlcluster"]},
    {"op":"add","path":"/spec/serverIDBase","value":42}])"));
}

TEST(MutateReviewTest, NoPatchWhenNothingChangesAndOnlyOnCreate) {
  json::object c = Cluster(1);
  c["metadata"].as_object()["finalizers"] = json::array{"moco.cybozu.com/mysqlcluster"};
  json::object r = MutateReview(Request("CREATE", c));
  EXPECT_EQ(r.at("allowed"), true);
  EXPECT_FALSE(r.contains("patch"));
  EXPECT_FALSE(r.contains("patchType"));
  json::object u = MutateReview(Request("UPDATE", Cluster(1), Cluster(1)));
  EXPECT_EQ(u.at("allowed"), true);
  EXPECT_FALSE(u.contains("patch"));
}

TEST(ValidateReviewTest, AllowsValidCreateAndDelete) {
  EXPECT_EQ(ValidateReview(Request("CREATE", Cluster(3)), NoClasses()).at("allowed"), true);
  EXPECT_EQ(ValidateReview(Request("DELETE", nullptr, Cluster(3)), NoClasses()).at("allowed"),
            true);
}

TEST(ValidateReviewTest, DenialCarriesTheInvalidStatus) {
  json::object r = ValidateReview(Request("CREATE", Cluster(2)), NoClasses());
  EXPECT_EQ(r.at("allowed"), false);
  const json::object& st = r.at("status").as_object();
  EXPECT_EQ(st.at("code"), 422);
  EXPECT_EQ(st.at("reason"), "Invalid");
  EXPECT_EQ(st.at("status"), "Failure");
  EXPECT_EQ(st.at("message"),
            "MySQLCluster.moco.cybozu.com \"test\" is invalid: spec.replicas: Invalid value: 2: "
            "replicas must be a positive odd number");
  EXPECT_EQ(st.at("details"), json::parse(R"({"name":"test","group":"moco.cybozu.com",
    "kind":"MySQLCluster","causes":[{"reason":"FieldValueInvalid",
    "message":"Invalid value: 2: replicas must be a positive odd number",
    "field":"spec.replicas"}]})"));
}

TEST(ValidateReviewTest, UpdateIsCheckedAgainstOldObject) {
  json::object r = ValidateReview(Request("UPDATE", Cluster(1), Cluster(3)), NoClasses());
  EXPECT_EQ(r.at("allowed"), false);
  EXPECT_EQ(r.at("status").at("message"),
            "MySQLCluster.moco.cybozu.com \"test\" is invalid: spec.replicas: Forbidden: "
            "decreasing replicas is not supported yet");
  EXPECT_EQ(ValidateReview(Request("UPDATE", Cluster(5), Cluster(3)), NoClasses()).at("allowed"),
            true);
  json::object missing = ValidateReview(Request("UPDATE", Cluster(5)), NoClasses());
  EXPECT_EQ(missing.at("allowed"), false);
  EXPECT_EQ(missing.at("status").at("code"), 400);
}

TEST(ValidateReviewTest, OtherKindsAreForbidden) {
  json::object req = Request("CREATE", Cluster(1));
  req["kind"] = json::object{{"group", ""}, {"version", "v1"}, {"kind", "ConfigMap"}};
  json::object r = ValidateReview(req, NoClasses());
  EXPECT_EQ(r.at("allowed"), false);
  EXPECT_EQ(r.at("status").at("code"), 403);
  EXPECT_EQ(r.at("status").at("message"), "this webhook only admits MySQLCluster.moco.cybozu.com");
  EXPECT_EQ(MutateReview(req).at("allowed"), false);
}

TEST(ServeAdmissionTest, WholeReviews) {
  json::object review{{"apiVersion", "admission.k8s.io/v1"},
                      {"kind", "AdmissionReview"},
                      {"request", Request("CREATE", Cluster(2))}};
  net::HttpRequest req{"POST", std::string(kValidatePath) + "?timeout=10s", json::serialize(review),
                       "application/json"};
  net::HttpResponse res = ServeAdmission(req, NoClasses());
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "application/json");
  json::value out = json::parse(res.body);
  EXPECT_EQ(out.at("apiVersion"), "admission.k8s.io/v1");
  EXPECT_EQ(out.at("kind"), "AdmissionReview");
  EXPECT_EQ(out.at("response").at("uid"), "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(out.at("response").at("allowed"), false);

  req.target = std::string(kMutatePath);
  out = json::parse(ServeAdmission(req, NoClasses()).body);
  EXPECT_EQ(out.at("response").at("allowed"), true);
  EXPECT_EQ(out.at("response").at("patchType"), "JSONPatch");

  EXPECT_EQ(ServeAdmission({"POST", "/other", "{}", ""}, NoClasses()).status, 404);
  EXPECT_EQ(ServeAdmission({"GET", std::string(kMutatePath), "", ""}, NoClasses()).status, 405);
  EXPECT_EQ(ServeAdmission({"POST", std::string(kMutatePath), "not json", ""}, NoClasses()).status,
            400);
  EXPECT_EQ(ServeAdmission({"POST", std::string(kMutatePath), "{}", ""}, NoClasses()).status, 400);
}

}  // namespace
}  // namespace kcx::mysql::api
