// kubectl 1.32 against kcx apiserver: CustomResourceDefinitions end to end — apply a CRD, wait
// for Established, create and list custom resources with their printer columns, short names
// and categories, validation and unknown-field errors, `kubectl scale`, and deleting the CRD.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "test/testenv/apiserver_fixture.h"

namespace kcx::testenv {
namespace {

const char* kCrdYaml = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    kind: Widget
    shortNames: [wd]
    categories: [toys]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Size
      type: string
      jsonPath: .spec.size
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    - name: Port
      type: string
      priority: 1
      jsonPath: .spec.port
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas:
                type: integer
                minimum: 0
                default: 1
              size:
                type: string
                enum: [S, M, L]
                default: M
              port:
                x-kubernetes-int-or-string: true
              template:
                type: object
                x-kubernetes-embedded-resource: true
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              replicas:
                type: integer
)";

std::string WidgetYaml(const std::string& name, const std::string& spec) {
  return "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: " + name + "\nspec:\n" +
         spec;
}

// Splits kubectl's table output into rows of column → cell.
std::vector<std::map<std::string, std::string>> ParseTable(const std::string& out,
                                                           std::vector<std::string>* header) {
  std::vector<std::map<std::string, std::string>> rows;
  std::istringstream in(out);
  std::string line;
  std::vector<std::pair<std::string, size_t>> cols;
  while (std::getline(in, line)) {
    if (line.empty())
      continue;
    if (cols.empty()) {
      size_t i = 0;
      while (i < line.size()) {
        size_t start = i;
        while (i < line.size() && !(line[i] == ' ' && (i + 1 >= line.size() || line[i + 1] == ' ')))
          ++i;
        cols.emplace_back(line.substr(start, i - start), start);
        while (i < line.size() && line[i] == ' ')
          ++i;
      }
      if (header) {
        for (auto& c : cols)
          header->push_back(c.first);
      }
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < cols.size(); ++c) {
      size_t start = cols[c].second;
      size_t end = c + 1 < cols.size() ? cols[c + 1].second : line.size();
      std::string cell = start < line.size() ? line.substr(start, end - start) : "";
      while (!cell.empty() && cell.back() == ' ')
        cell.pop_back();
      row[cols[c].first] = cell;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

class KubectlCrdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    srv_ = TestApiServer::Start();
    auto r = Run({"apply", "-f", "-"}, kCrdYaml);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n");
    auto w =
        Run({"wait", "--for", "condition=established", "--timeout=20s", "crd/widgets.example.com"});
    ASSERT_EQ(w.exit_code, 0) << w.out << w.err;
    EXPECT_EQ(w.out,
              "customresourcedefinition.apiextensions.k8s.io/widgets.example.com "
              "condition met\n");
  }

  CommandResult Run(const std::vector<std::string>& args, const std::string& in = "") {
    return srv_->Kubectl(args, in);
  }
  std::string Ok(const std::vector<std::string>& args, const std::string& in = "") {
    auto r = Run(args, in);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.out;
  }

  std::unique_ptr<TestApiServer> srv_;
};

TEST_F(KubectlCrdTest, CreateAndListWithPrinterColumns) {
  EXPECT_EQ(Ok({"apply", "-f", "-"}, WidgetYaml("w1", "  replicas: 3\n  port: http\n")),
            "widget.example.com/w1 created\n");
  EXPECT_EQ(Ok({"create", "-f", "-"}, WidgetYaml("w2", "  size: L\n")),
            "widget.example.com/w2 created\n");
  std::vector<std::string> header;
  auto rows = ParseTable(Ok({"get", "widgets"}), &header);
  EXPECT_EQ(header, (std::vector<std::string>{"NAME", "REPLICAS", "SIZE", "AGE"}));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["NAME"], "w1");
  EXPECT_EQ(rows[0]["REPLICAS"], "3");
  EXPECT_EQ(rows[0]["SIZE"], "M");  // defaulted
  EXPECT_EQ(rows[1]["NAME"], "w2");
  EXPECT_EQ(rows[1]["REPLICAS"], "1");
  EXPECT_EQ(rows[1]["SIZE"], "L");
  EXPECT_FALSE(rows[0]["AGE"].empty());
  // -o wide adds the priority-1 column.
  header.clear();
  rows = ParseTable(Ok({"get", "wd", "-o", "wide"}), &header);
  EXPECT_EQ(header, (std::vector<std::string>{"NAME", "REPLICAS", "SIZE", "AGE", "PORT"}));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["PORT"], "http");
  EXPECT_EQ(rows[1]["PORT"], "");  // a missing value is a null cell, printed empty
  // Category and short name resolve.
  rows = ParseTable(Ok({"get", "toys"}), nullptr);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(Ok({"get", "wd", "w1", "-o", "jsonpath={.spec.replicas}"}), "3");
  EXPECT_EQ(Ok({"get", "widget.example.com/w2", "-o", "name"}), "widget.example.com/w2\n");
  // The CRD list.
  header.clear();
  rows = ParseTable(Ok({"get", "crd"}), &header);
  EXPECT_EQ(header, (std::vector<std::string>{"NAME", "CREATED AT"}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["NAME"], "widgets.example.com");
  // api-resources lists the new type.
  auto ar = Ok({"api-resources", "--api-group=example.com"});
  EXPECT_NE(ar.find("widgets"), std::string::npos) << ar;
  EXPECT_NE(ar.find("wd"), std::string::npos) << ar;
}

TEST_F(KubectlCrdTest, ValidationAndUnknownFieldErrors) {
  auto r = Run({"apply", "-f", "-"}, WidgetYaml("bad", "  replicas: three\n"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("The Widget \"bad\" is invalid: spec.replicas: Invalid value: \"string\": "
                       "spec.replicas in body must be of type integer: \"string\""),
            std::string::npos)
      << r.err;
  r = Run({"apply", "-f", "-"}, WidgetYaml("bad", "  size: XL\n"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("spec.size: Unsupported value: \"XL\": supported values: \"S\", \"M\", "
                       "\"L\""),
            std::string::npos)
      << r.err;
  // kubectl validates strictly by default: the server refuses unknown fields.
  r = Run({"create", "-f", "-"}, WidgetYaml("unknown", "  replicas: 1\n  foo: bar\n"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("strict decoding error: unknown field \"spec.foo\""), std::string::npos)
      << r.err;
  // --validate=warn: created, pruned, with kubectl printing the server's warning.
  r = Run({"create", "--validate=warn", "-f", "-"},
          WidgetYaml("unknown", "  replicas: 1\n  foo: bar\n"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("Warning: unknown field \"spec.foo\""), std::string::npos) << r.err;
  EXPECT_EQ(Ok({"get", "widget", "unknown", "-o", "jsonpath={.spec}"}),
            "{\"replicas\":1,\"size\":\"M\"}");
}

TEST_F(KubectlCrdTest, ScaleSubresource) {
  Ok({"apply", "-f", "-"}, WidgetYaml("s", "  replicas: 2\n"));
  EXPECT_EQ(Ok({"scale", "widget/s", "--replicas=5"}), "widget.example.com/s scaled\n");
  EXPECT_EQ(Ok({"get", "widget", "s", "-o", "jsonpath={.spec.replicas}"}), "5");
  auto r = Run({"scale", "widget/s", "--current-replicas=2", "--replicas=7"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(Ok({"get", "widget", "s", "-o", "jsonpath={.spec.replicas}"}), "5");
}

TEST_F(KubectlCrdTest, DeletingTheCrdDeletesItsObjects) {
  Ok({"apply", "-f", "-"}, WidgetYaml("d1", "  replicas: 1\n"));
  Ok({"apply", "-f", "-"}, WidgetYaml("d2", "  replicas: 1\n"));
  EXPECT_EQ(Ok({"delete", "crd", "widgets.example.com"}),
            "customresourcedefinition.apiextensions.k8s.io \"widgets.example.com\" deleted\n");
  auto r = Run({"get", "widgets"});
  EXPECT_NE(r.exit_code, 0);
  // kubectl's discovery cache may still know the type (then the list itself is 404).
  EXPECT_TRUE(r.err.find("the server doesn't have a resource type \"widgets\"") !=
                  std::string::npos ||
              r.err.find("Unable to list \"example.com/v1, Resource=widgets\": the server could "
                         "not find the requested resource") != std::string::npos)
      << r.err;
  // Re-created, the type starts empty: the objects went with the CRD.
  Ok({"apply", "-f", "-"}, kCrdYaml);
  Ok({"wait", "--for", "condition=established", "--timeout=20s", "crd/widgets.example.com"});
  auto g = Run({"get", "widgets"});
  EXPECT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out, "");
  EXPECT_EQ(g.err, "No resources found in default namespace.\n");
}

}  // namespace
}  // namespace kcx::testenv
