// Integration tests of kcx apiserver's REST semantics over real HTTPS, against a server
// started in-process on port 0.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <thread>

#include "api/json.h"
#include "test/apiserver/watch_reader.h"
#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

namespace json = boost::json;

json::value ConfigMap(const std::string& name, json::object labels = {},
                      json::object data = {{"k", "v"}}) {
  json::object meta{{"name", name}};
  if (!labels.empty()) meta["labels"] = std::move(labels);
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", std::move(meta)},
                      {"data", std::move(data)}};
}

std::string Str(const json::value& v, std::initializer_list<std::string_view> path) {
  return std::string(api::GetStringPath(v, path));
}

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = TestApiServer::Start(); }
  std::unique_ptr<TestApiServer> srv_;
  const std::string cms_ = "/api/v1/namespaces/default/configmaps";
};

TEST_F(RestTest, DiscoveryListsServedTypes) {
  auto api = srv_->Call("GET", "/api");
  ASSERT_EQ(api.code, 200);
  EXPECT_EQ(api.json.at("versions").at(0), "v1");
  auto v1 = srv_->Call("GET", "/api/v1");
  ASSERT_EQ(v1.code, 200) << v1.body;
  std::set<std::string> names;
  for (const auto& r : v1.json.at("resources").as_array()) {
    names.insert(std::string(r.at("name").as_string()));
  }
  for (const char* n : {"namespaces", "pods", "pods/status", "services", "endpoints", "configmaps",
                        "secrets", "persistentvolumeclaims", "persistentvolumes",
                        "serviceaccounts", "events", "nodes", "namespaces/finalize"}) {
    EXPECT_TRUE(names.count(n)) << n;
  }
  auto apis = srv_->Call("GET", "/apis");
  ASSERT_EQ(apis.code, 200);
  std::set<std::string> groups;
  for (const auto& g : apis.json.at("groups").as_array()) {
    groups.insert(std::string(g.at("name").as_string()));
  }
  for (const char* g : {"apps", "policy", "coordination.k8s.io", "storage.k8s.io",
                        "events.k8s.io"}) {
    EXPECT_TRUE(groups.count(g)) << g;
  }
  auto agg = srv_->Call("GET", "/apis", "", "",
                        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                        "application/json");
  ASSERT_EQ(agg.code, 200);
  EXPECT_EQ(agg.content_type, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  EXPECT_EQ(agg.json.at("kind"), "APIGroupDiscoveryList");
  EXPECT_EQ(srv_->Call("GET", "/version").json.at("major"), "1");
  EXPECT_EQ(srv_->Call("GET", "/healthz").body, "ok");
}

TEST_F(RestTest, RequestsWithoutCredentialsGet401) {
  auto conn = srv_->Connect();
  client::HttpRequest req;
  req.target = "/api/v1/namespaces";
  auto r = conn->RoundTrip(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 401);
  EXPECT_NE(r->body.find("\"reason\":\"Unauthorized\""), std::string::npos);
  EXPECT_EQ(r->body.find("default"), std::string::npos);
  req.bearer_token = "not-the-token";
  auto conn2 = srv_->Connect();
  r = conn2->RoundTrip(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 401);
}

TEST_F(RestTest, ClientCertificateAuthenticates) {
  client::TlsConfig tls;
  tls.ca_pem = srv_->server().ca_pem();
  tls.client_cert_pem = srv_->server().admin_cert_pem();
  tls.client_key_pem = srv_->server().admin_key_pem();
  auto conn = client::Connection::Open({"127.0.0.1", srv_->port()}, tls);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  client::HttpRequest req;
  req.target = "/api/v1/namespaces/default";
  auto r = (*conn)->RoundTrip(req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->code, 200) << r->body;
}

TEST_F(RestTest, CreateGetUpdateDeleteConfigMap) {
  auto c = srv_->Call("POST", cms_, ConfigMap("a"));
  ASSERT_EQ(c.code, 201) << c.body;
  std::string uid = Str(c.json, {"metadata", "uid"});
  std::string rv1 = Str(c.json, {"metadata", "resourceVersion"});
  EXPECT_EQ(uid.size(), 36u);
  EXPECT_FALSE(rv1.empty());
  EXPECT_FALSE(Str(c.json, {"metadata", "creationTimestamp"}).empty());
  EXPECT_EQ(Str(c.json, {"metadata", "namespace"}), "default");

  auto dup = srv_->Call("POST", cms_, ConfigMap("a"));
  EXPECT_EQ(dup.code, 409);
  EXPECT_EQ(dup.json.at("reason"), "AlreadyExists");
  EXPECT_EQ(dup.json.at("message"), "configmaps \"a\" already exists");
  EXPECT_EQ(dup.json.at("details").at("kind"), "configmaps");

  json::value upd = c.json;
  upd.at("data").as_object()["k"] = "v2";
  auto u = srv_->Call("PUT", cms_ + "/a", upd);
  ASSERT_EQ(u.code, 200) << u.body;
  std::string rv2 = Str(u.json, {"metadata", "resourceVersion"});
  EXPECT_GT(std::stoull(rv2), std::stoull(rv1));
  EXPECT_EQ(Str(u.json, {"metadata", "uid"}), uid);

  // The first version's resourceVersion is now stale.
  auto stale = srv_->Call("PUT", cms_ + "/a", upd);
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(stale.json.at("reason"), "Conflict");

  // An update that changes nothing keeps the resourceVersion.
  auto same = srv_->Call("PUT", cms_ + "/a", u.json);
  ASSERT_EQ(same.code, 200);
  EXPECT_EQ(Str(same.json, {"metadata", "resourceVersion"}), rv2);

  auto g = srv_->Call("GET", cms_ + "/a");
  ASSERT_EQ(g.code, 200);
  EXPECT_EQ(g.json.at("data").at("k"), "v2");

  auto d = srv_->Call("DELETE", cms_ + "/a");
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(d.json.at("status"), "Success");
  auto nf = srv_->Call("GET", cms_ + "/a");
  EXPECT_EQ(nf.code, 404);
  EXPECT_EQ(nf.json.at("kind"), "Status");
  EXPECT_EQ(nf.json.at("reason"), "NotFound");
  EXPECT_EQ(nf.json.at("message"), "configmaps \"a\" not found");
}

TEST_F(RestTest, CreateInMissingNamespaceFails) {
  auto r = srv_->Call("POST", "/api/v1/namespaces/nope/configmaps", ConfigMap("a"));
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.json.at("message"), "namespaces \"nope\" not found");
}

TEST_F(RestTest, GenerateName) {
  json::value cm = ConfigMap("");
  auto& meta = cm.at("metadata").as_object();
  meta.erase("name");
  meta["generateName"] = "gen-";
  auto a = srv_->Call("POST", cms_, cm);
  auto b = srv_->Call("POST", cms_, cm);
  ASSERT_EQ(a.code, 201) << a.body;
  ASSERT_EQ(b.code, 201);
  std::string na = Str(a.json, {"metadata", "name"});
  EXPECT_EQ(na.size(), 9u);
  EXPECT_EQ(na.substr(0, 4), "gen-");
  EXPECT_NE(na, Str(b.json, {"metadata", "name"}));
}

TEST_F(RestTest, ValidationErrorsAre422WithCauses) {
  auto r = srv_->Call("POST", cms_, ConfigMap("Bad_Name"));
  ASSERT_EQ(r.code, 422) << r.body;
  EXPECT_EQ(r.json.at("reason"), "Invalid");
  const auto& causes = r.json.at("details").at("causes").as_array();
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes[0].at("field"), "metadata.name");
  EXPECT_NE(std::string(r.json.at("message").as_string()).find("ConfigMap \"Bad_Name\" is invalid"),
            std::string::npos);
  auto l = srv_->Call("POST", cms_, ConfigMap("ok", {{"bad key!", "v"}}));
  EXPECT_EQ(l.code, 422) << l.body;
  auto missing = srv_->Call("POST", cms_, json::object{{"apiVersion", "v1"},
                                                       {"kind", "ConfigMap"},
                                                       {"metadata", json::object()}});
  EXPECT_EQ(missing.code, 422);
}

TEST_F(RestTest, BadInputGetsStatusErrors) {
  auto bad = srv_->Call("POST", cms_, std::string("{not json"));
  EXPECT_EQ(bad.code, 400);
  EXPECT_EQ(bad.json.at("kind"), "Status");
  EXPECT_EQ(bad.json.at("reason"), "BadRequest");
  auto wrongkind = srv_->Call("POST", cms_, json::object{{"apiVersion", "v1"},
                                                         {"kind", "Secret"},
                                                         {"metadata", {{"name", "x"}}}});
  EXPECT_EQ(wrongkind.code, 400);
  std::string big(4 << 20, 'x');
  auto huge = srv_->Call("POST", cms_,
                         json::serialize(ConfigMap("big", {}, {{"k", json::string(big)}})));
  EXPECT_EQ(huge.code, 413);
  auto patch = srv_->Call("POST", cms_, ConfigMap("p"));
  ASSERT_EQ(patch.code, 201);
  auto unsup = srv_->Call("PATCH", cms_ + "/p", std::string("{}"), "text/plain");
  EXPECT_EQ(unsup.code, 415);
  auto method = srv_->Call("POST", cms_ + "/p", ConfigMap("p"));
  EXPECT_EQ(method.code, 405);
  auto nores = srv_->Call("GET", "/api/v1/widgets");
  EXPECT_EQ(nores.code, 404);
  // Nothing above changed the stored object.
  auto g = srv_->Call("GET", cms_ + "/p");
  EXPECT_EQ(g.json.at("data").at("k"), "v");
  EXPECT_EQ(Str(g.json, {"metadata", "resourceVersion"}),
            Str(patch.json, {"metadata", "resourceVersion"}));
}

TEST_F(RestTest, MergeAndJsonPatch) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("p")).code, 201);
  auto m = srv_->Call("PATCH", cms_ + "/p", std::string(R"({"data":{"k":null,"n":"1"}})"),
                      "application/merge-patch+json");
  ASSERT_EQ(m.code, 200) << m.body;
  EXPECT_FALSE(m.json.at("data").as_object().contains("k"));
  EXPECT_EQ(m.json.at("data").at("n"), "1");
  auto j = srv_->Call("PATCH", cms_ + "/p",
                      std::string(R"([{"op":"add","path":"/data/x","value":"y"}])"),
                      "application/json-patch+json");
  ASSERT_EQ(j.code, 200) << j.body;
  EXPECT_EQ(j.json.at("data").at("x"), "y");
  auto failed = srv_->Call("PATCH", cms_ + "/p",
                           std::string(R"([{"op":"test","path":"/data/x","value":"z"},
                                           {"op":"add","path":"/data/q","value":"w"}])"),
                           "application/json-patch+json");
  EXPECT_EQ(failed.code, 422) << failed.body;
  EXPECT_FALSE(srv_->Call("GET", cms_ + "/p").json.at("data").as_object().contains("q"));
  // A patch carrying a stale resourceVersion is a conflict.
  auto stale = srv_->Call("PATCH", cms_ + "/p",
                          std::string(R"({"metadata":{"resourceVersion":"1"},"data":{"a":"b"}})"),
                          "application/merge-patch+json");
  EXPECT_EQ(stale.code, 409);
  auto nf = srv_->Call("PATCH", cms_ + "/nope", std::string("{}"),
                       "application/merge-patch+json");
  EXPECT_EQ(nf.code, 404);
}

TEST_F(RestTest, DryRunWritesNothing) {
  auto r = srv_->Call("POST", cms_ + "?dryRun=All", ConfigMap("dry"));
  EXPECT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(srv_->Call("GET", cms_ + "/dry").code, 404);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("real")).code, 201);
  EXPECT_EQ(srv_->Call("DELETE", cms_ + "/real?dryRun=All").code, 200);
  EXPECT_EQ(srv_->Call("GET", cms_ + "/real").code, 200);
}

TEST_F(RestTest, StatusSubresourceSeparatesSpecAndStatus) {
  const std::string pvcs = "/api/v1/namespaces/default/persistentvolumeclaims";
  json::value pvc = json::parse(R"({"apiVersion":"v1","kind":"PersistentVolumeClaim",
    "metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
    "resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound"}})");
  auto c = srv_->Call("POST", pvcs, pvc);
  ASSERT_EQ(c.code, 201) << c.body;
  EXPECT_EQ(Str(c.json, {"status", "phase"}), "Pending");  // status is not settable on create
  json::value s = c.json;
  s.at("status").as_object()["phase"] = "Bound";
  s.at("metadata").as_object()["labels"] = json::object{{"a", "b"}};
  auto st = srv_->Call("PUT", pvcs + "/data/status", s);
  ASSERT_EQ(st.code, 200) << st.body;
  EXPECT_EQ(Str(st.json, {"status", "phase"}), "Bound");
  EXPECT_EQ(st.json.at("metadata").as_object().count("labels"), 0u);  // only status changed
  json::value m = st.json;
  m.at("status").as_object()["phase"] = "Lost";
  m.at("metadata").as_object()["labels"] = json::object{{"a", "b"}};
  auto main = srv_->Call("PUT", pvcs + "/data", m);
  ASSERT_EQ(main.code, 200) << main.body;
  EXPECT_EQ(Str(main.json, {"status", "phase"}), "Bound");  // main resource ignores status
  EXPECT_EQ(Str(main.json, {"metadata", "labels", "a"}), "b");
}

TEST_F(RestTest, GenerationIncreasesOnSpecChangesOnly) {
  const std::string deps = "/apis/apps/v1/namespaces/default/deployments";
  json::value d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
      {"name":"c","image":"nginx:1"}]}}}})");
  auto c = srv_->Call("POST", deps, d);
  ASSERT_EQ(c.code, 201) << c.body;
  EXPECT_EQ(c.json.at("metadata").at("generation"), 1);
  auto lab = srv_->Call("PATCH", deps + "/web", std::string(R"({"metadata":{"labels":{"x":"y"}}})"),
                        "application/merge-patch+json");
  ASSERT_EQ(lab.code, 200);
  EXPECT_EQ(lab.json.at("metadata").at("generation"), 1);
  auto sp = srv_->Call("PATCH", deps + "/web", std::string(R"({"spec":{"replicas":3}})"),
                       "application/merge-patch+json");
  ASSERT_EQ(sp.code, 200);
  EXPECT_EQ(sp.json.at("metadata").at("generation"), 2);
}

TEST_F(RestTest, LabelAndFieldSelectors) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("a", {{"env", "prod"}, {"tier", "web"}})).code,
            201);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("b", {{"env", "dev"}})).code, 201);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("c")).code, 201);
  auto names = [&](const std::string& q) {
    auto r = srv_->Call("GET", cms_ + "?" + q);
    EXPECT_EQ(r.code, 200) << q << ": " << r.body;
    std::vector<std::string> out;
    if (r.code != 200) return out;
    for (const auto& i : r.json.at("items").as_array()) out.push_back(Str(i, {"metadata", "name"}));
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("labelSelector=env%3Dprod"), V{"a"});
  EXPECT_EQ(names("labelSelector=env%3D%3Dprod"), V{"a"});
  EXPECT_EQ(names("labelSelector=env!%3Dprod"), (V{"b", "c"}));
  EXPECT_EQ(names("labelSelector=env+in+(prod,dev)"), (V{"a", "b"}));
  EXPECT_EQ(names("labelSelector=env+notin+(prod)"), (V{"b", "c"}));
  EXPECT_EQ(names("labelSelector=tier"), V{"a"});
  EXPECT_EQ(names("labelSelector=!env"), V{"c"});
  EXPECT_EQ(names("fieldSelector=metadata.name%3Db"), V{"b"});
  EXPECT_EQ(names("fieldSelector=metadata.name!%3Db"), (V{"a", "c"}));
  EXPECT_EQ(srv_->Call("GET", cms_ + "?labelSelector=env+in+").code, 400);
  EXPECT_EQ(srv_->Call("GET", cms_ + "?fieldSelector=data.k%3Dv").code, 400);
  // Secret type is a field label.
  const std::string secrets = "/api/v1/namespaces/default/secrets";
  ASSERT_EQ(srv_->Call("POST", secrets,
                       json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},
                         "type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""}})"))
                .code,
            201);
  ASSERT_EQ(srv_->Call("POST", secrets,
                       json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s2"}})"))
                .code,
            201);
  auto tls = srv_->Call("GET", secrets + "?fieldSelector=type%3Dkubernetes.io%2Ftls");
  ASSERT_EQ(tls.code, 200);
  ASSERT_EQ(tls.json.at("items").as_array().size(), 1u);
  EXPECT_EQ(Str(tls.json.at("items").at(0), {"metadata", "name"}), "s1");
}

TEST_F(RestTest, PaginationIsConsistent) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("cm-" + std::to_string(100 + i))).code, 201);
  }
  auto p1 = srv_->Call("GET", cms_ + "?limit=10");
  ASSERT_EQ(p1.code, 200);
  ASSERT_EQ(p1.json.at("items").as_array().size(), 10u);
  std::string cont(p1.json.at("metadata").at("continue").as_string());
  std::string rv = Str(p1.json, {"metadata", "resourceVersion"});
  // Changes after the first page do not show in later pages.
  ASSERT_EQ(srv_->Call("DELETE", cms_ + "/cm-120").code, 200);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("cm-999")).code, 201);
  std::vector<std::string> seen;
  for (const auto& i : p1.json.at("items").as_array()) seen.push_back(Str(i, {"metadata", "name"}));
  while (!cont.empty()) {
    auto p = srv_->Call("GET", cms_ + "?limit=10&continue=" + client::QueryEscape(cont));
    ASSERT_EQ(p.code, 200) << p.body;
    EXPECT_EQ(Str(p.json, {"metadata", "resourceVersion"}), rv);
    for (const auto& i : p.json.at("items").as_array()) seen.push_back(Str(i, {"metadata", "name"}));
    auto* c = p.json.at("metadata").as_object().if_contains("continue");
    cont = c ? std::string(c->as_string()) : "";
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "cm-100");
  EXPECT_EQ(seen.back(), "cm-124");
  EXPECT_NE(std::find(seen.begin(), seen.end(), "cm-120"), seen.end());
  EXPECT_EQ(srv_->Call("GET", cms_ + "?limit=10&continue=garbage").code, 400);
}

TEST(RestHistoryTest, ExpiredContinueAndTooOldWatchGet410) {
  TestApiServer::Options o;
  o.watch_history = 5;
  auto srv = TestApiServer::Start(o);
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(srv->Call("POST", cms, ConfigMap("c" + std::to_string(i))).code, 201);
  }
  auto p1 = srv->Call("GET", cms + "?limit=2");
  std::string cont(p1.json.at("metadata").at("continue").as_string());
  std::string rv = Str(p1.json, {"metadata", "resourceVersion"});
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(srv->Call("POST", cms, ConfigMap("d" + std::to_string(i))).code, 201);
  }
  auto p2 = srv->Call("GET", cms + "?limit=2&continue=" + client::QueryEscape(cont));
  EXPECT_EQ(p2.code, 410) << p2.body;
  EXPECT_EQ(p2.json.at("reason"), "Expired");
  WatchReader w(*srv, cms + "?watch=true&resourceVersion=" + rv);
  ASSERT_EQ(w.code(), 200);
  auto ev = w.Next();
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ(ev->at("type"), "ERROR");
  EXPECT_EQ(ev->at("object").at("code"), 410);
}

TEST_F(RestTest, WatchDeliversChangesAndResumes) {
  auto c = srv_->Call("POST", cms_, ConfigMap("w1"));
  std::string rv0 = Str(c.json, {"metadata", "resourceVersion"});
  WatchReader w(*srv_, cms_ + "?watch=true&resourceVersion=" + rv0);
  ASSERT_EQ(w.code(), 200);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("w2")).code, 201);
  auto u = srv_->Call("PATCH", cms_ + "/w1", std::string(R"({"data":{"k":"z"}})"),
                      "application/merge-patch+json");
  ASSERT_EQ(srv_->Call("DELETE", cms_ + "/w2").code, 200);
  auto e1 = w.Next(), e2 = w.Next(), e3 = w.Next();
  ASSERT_TRUE(e1 && e2 && e3);
  EXPECT_EQ(e1->at("type"), "ADDED");
  EXPECT_EQ(Str(e1->at("object"), {"metadata", "name"}), "w2");
  EXPECT_EQ(e2->at("type"), "MODIFIED");
  EXPECT_EQ(e3->at("type"), "DELETED");
  EXPECT_EQ(Str(e3->at("object"), {"metadata", "name"}), "w2");
  // The DELETED object carries the deletion's resourceVersion, newer than every earlier event.
  EXPECT_GT(std::stoull(Str(e3->at("object"), {"metadata", "resourceVersion"})),
            std::stoull(Str(e2->at("object"), {"metadata", "resourceVersion"})));
  // Resuming from the MODIFIED event's version replays only the DELETED.
  std::string rv_mod = Str(e2->at("object"), {"metadata", "resourceVersion"});
  WatchReader again(*srv_, cms_ + "?watch=1&resourceVersion=" + rv_mod);
  auto r1 = again.Next();
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->at("type"), "DELETED");
}

TEST_F(RestTest, WatchWithoutVersionStartsWithInitialAdds) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("i1")).code, 201);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("i2")).code, 201);
  WatchReader w(*srv_, cms_ + "?watch=true");
  auto a = w.Next(), b = w.Next();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->at("type"), "ADDED");
  EXPECT_EQ(b->at("type"), "ADDED");
}

TEST_F(RestTest, WatchSelectorTransitions) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("t", {{"app", "x"}})).code, 201);
  auto cur = srv_->Call("GET", cms_);
  std::string rv = Str(cur.json, {"metadata", "resourceVersion"});
  WatchReader w(*srv_, cms_ + "?watch=true&labelSelector=app%3Dx&resourceVersion=" + rv);
  auto off = srv_->Call("PATCH", cms_ + "/t", std::string(R"({"metadata":{"labels":{"app":"y"}}})"),
                        "application/merge-patch+json");
  ASSERT_EQ(off.code, 200);
  auto on = srv_->Call("PATCH", cms_ + "/t", std::string(R"({"metadata":{"labels":{"app":"x"}}})"),
                       "application/merge-patch+json");
  ASSERT_EQ(on.code, 200);
  auto e1 = w.Next(), e2 = w.Next();
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(e1->at("type"), "DELETED");
  // The DELETED carries the last matching content, stamped with the change's version.
  EXPECT_EQ(Str(e1->at("object"), {"metadata", "labels", "app"}), "x");
  EXPECT_EQ(Str(e1->at("object"), {"metadata", "resourceVersion"}),
            Str(off.json, {"metadata", "resourceVersion"}));
  EXPECT_EQ(e2->at("type"), "ADDED");
  EXPECT_EQ(Str(e2->at("object"), {"metadata", "labels", "app"}), "x");
}

TEST(RestWatchTest, BookmarksAndInitialEventsEnd) {
  TestApiServer::Options o;
  o.bookmark_interval_ms = 100;
  auto srv = TestApiServer::Start(o);
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  ASSERT_EQ(srv->Call("POST", cms, ConfigMap("b1")).code, 201);
  WatchReader w(*srv, cms + "?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"
                            "&resourceVersionMatch=NotOlderThan&resourceVersion=");
  auto a = w.Next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->at("type"), "ADDED");
  auto end = w.Next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->at("type"), "BOOKMARK");
  EXPECT_EQ(Str(end->at("object"), {"metadata", "annotations", "k8s.io/initial-events-end"}),
            "true");
  ASSERT_EQ(srv->Call("POST", cms, ConfigMap("b2")).code, 201);
  auto added = w.Next();
  ASSERT_TRUE(added);
  EXPECT_EQ(added->at("type"), "ADDED");
  auto periodic = w.Next(2000);
  ASSERT_TRUE(periodic);
  EXPECT_EQ(periodic->at("type"), "BOOKMARK");
  EXPECT_EQ(Str(periodic->at("object"), {"kind"}), "ConfigMap");
}

TEST_F(RestTest, WatchTimeoutEndsStream) {
  WatchReader w(*srv_, cms_ + "?watch=true&timeoutSeconds=1");
  auto start = std::chrono::steady_clock::now();
  while (!w.Ended() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    w.Next(500);
  }
  EXPECT_TRUE(w.Ended());
}

TEST_F(RestTest, TableOutput) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("tb", {}, {{"a", "1"}, {"b", "2"}})).code, 201);
  auto t = srv_->Call("GET", cms_, "", "",
                      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  ASSERT_EQ(t.code, 200) << t.body;
  EXPECT_EQ(t.json.at("kind"), "Table");
  const auto& cols = t.json.at("columnDefinitions").as_array();
  ASSERT_GE(cols.size(), 3u);
  EXPECT_EQ(cols[0].at("name"), "Name");
  EXPECT_EQ(cols[1].at("name"), "Data");
  const auto& row = t.json.at("rows").at(0);
  EXPECT_EQ(row.at("cells").at(0), "tb");
  EXPECT_EQ(row.at("cells").at(1), 2);
  EXPECT_EQ(row.at("object").at("kind"), "PartialObjectMetadata");
  auto proto = srv_->Call("GET", cms_, "", "", "application/vnd.kubernetes.protobuf");
  EXPECT_EQ(proto.code, 406);
}

TEST_F(RestTest, DeletingNamespaceDeletesContents) {
  ASSERT_EQ(srv_->Call("POST", "/api/v1/namespaces",
                       json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"tmp"}})"))
                .code,
            201);
  const std::string tmp_cms = "/api/v1/namespaces/tmp/configmaps";
  ASSERT_EQ(srv_->Call("POST", tmp_cms, ConfigMap("x")).code, 201);
  auto d = srv_->Call("DELETE", "/api/v1/namespaces/tmp");
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(Str(d.json, {"status", "phase"}), "Terminating");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int code = 200;
  while (code != 404 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    code = srv_->Call("GET", "/api/v1/namespaces/tmp").code;
  }
  EXPECT_EQ(code, 404);
  EXPECT_EQ(srv_->Call("GET", tmp_cms + "/x").code, 404);
}

TEST_F(RestTest, FinalizersHoldDeletion) {
  json::value cm = ConfigMap("f");
  cm.at("metadata").as_object()["finalizers"] = json::array{"example.com/hold"};
  ASSERT_EQ(srv_->Call("POST", cms_, cm).code, 201);
  auto d = srv_->Call("DELETE", cms_ + "/f");
  ASSERT_EQ(d.code, 200);
  EXPECT_FALSE(Str(d.json, {"metadata", "deletionTimestamp"}).empty());
  EXPECT_EQ(srv_->Call("GET", cms_ + "/f").code, 200);
  auto add = srv_->Call("PATCH", cms_ + "/f",
                        std::string(R"({"metadata":{"finalizers":["example.com/hold","b/c"]}})"),
                        "application/merge-patch+json");
  EXPECT_EQ(add.code, 422) << add.body;
  auto rm = srv_->Call("PATCH", cms_ + "/f", std::string(R"({"metadata":{"finalizers":null}})"),
                       "application/merge-patch+json");
  EXPECT_EQ(rm.code, 200) << rm.body;
  EXPECT_EQ(srv_->Call("GET", cms_ + "/f").code, 404);
}

TEST_F(RestTest, DeleteCollectionWithSelector) {
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("x1", {{"g", "1"}})).code, 201);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("x2", {{"g", "1"}})).code, 201);
  ASSERT_EQ(srv_->Call("POST", cms_, ConfigMap("x3")).code, 201);
  auto d = srv_->Call("DELETE", cms_ + "?labelSelector=g%3D1");
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(d.json.at("items").as_array().size(), 2u);
  auto l = srv_->Call("GET", cms_);
  ASSERT_EQ(l.json.at("items").as_array().size(), 1u);
}

TEST_F(RestTest, DeletePreconditions) {
  auto c = srv_->Call("POST", cms_, ConfigMap("pre"));
  ASSERT_EQ(c.code, 201);
  auto bad = srv_->Call("DELETE", cms_ + "/pre",
                        std::string(R"({"kind":"DeleteOptions","apiVersion":"v1",
                          "preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}})"));
  EXPECT_EQ(bad.code, 409);
  auto ok = srv_->Call("DELETE", cms_ + "/pre",
                       json::object{{"kind", "DeleteOptions"},
                                    {"apiVersion", "v1"},
                                    {"preconditions",
                                     {{"uid", Str(c.json, {"metadata", "uid"})}}}});
  EXPECT_EQ(ok.code, 200) << ok.body;
}

TEST(RestDurableTest, RestartKeepsObjectsAndVersionCounter) {
  TempDir dir("kcx-durable");
  std::string rv;
  {
    TestApiServer::Options o;
    o.durable = true;
    o.data_dir = dir.path();
    auto srv = TestApiServer::Start(o);
    auto c = srv->Call("POST", "/api/v1/namespaces/default/configmaps", ConfigMap("keep"));
    ASSERT_EQ(c.code, 201);
    rv = Str(c.json, {"metadata", "resourceVersion"});
  }
  TestApiServer::Options o;
  o.durable = true;
  o.data_dir = dir.path();
  auto srv = TestApiServer::Start(o);
  auto g = srv->Call("GET", "/api/v1/namespaces/default/configmaps/keep");
  ASSERT_EQ(g.code, 200);
  EXPECT_EQ(Str(g.json, {"metadata", "resourceVersion"}), rv);
  auto c = srv->Call("POST", "/api/v1/namespaces/default/configmaps", ConfigMap("next"));
  ASSERT_EQ(c.code, 201);
  EXPECT_GT(std::stoull(Str(c.json, {"metadata", "resourceVersion"})), std::stoull(rv));
}

}  // namespace
}  // namespace kcx::testenv
