// Differential test: every case under cases/ runs through kcx's SSA engine and through
// Kubernetes' structured-merge-diff (the Go program main.go, built offline by build_go.sh);
// after every operation the merged object, each manager's FieldsV1 (byte for byte), its
// apiVersion and Apply/Update kind, and the conflicts must be identical.
//
// KCX_SSA_DIFF_GO names the Go binary (run_diff.sh sets it).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "api/json.h"
#include "api/ssa/schema.h"
#include "api/ssa/updater.h"

namespace kcx::api::ssa {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> CaseFiles() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(KCX_SSA_DIFF_CASES)) {
    if (e.path().extension() == ".json")
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Runs the reference on all cases at once; name → result.
const std::map<std::string, json::value>& GoResults() {
  static const auto* results = [] {
    auto* m = new std::map<std::string, json::value>();
    const char* bin = std::getenv("KCX_SSA_DIFF_GO");
    if (bin == nullptr)
      return m;
    std::string cmd = bin;
    for (const auto& f : CaseFiles())
      cmd += " '" + f.string() + "'";
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr)
      return m;
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
      out.append(buf, n);
    pclose(p);
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty())
        continue;
      json::value v = json::parse(line);
      (*m)[std::string(v.at("name").as_string())] = std::move(v);
    }
    return m;
  }();
  return *results;
}

// kcx's engine on one case, in the Go program's output format.
json::value RunKcx(const fs::path& file) {
  json::value c = json::parse(ReadFile(file));
  std::string schema_text(c.at("schema").as_string());
  if (!schema_text.empty() && schema_text[0] == '@') {
    schema_text = ReadFile(file.parent_path() / schema_text.substr(1));
  }
  auto schema = LoadSmdSchema(schema_text, std::string(c.at("rootType").as_string()));
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  if (!schema.ok())
    return nullptr;
  std::string version(c.at("version").as_string());
  json::object live;
  if (const json::value* l = c.as_object().if_contains("live"))
    live = l->as_object();
  ManagedFields managers;
  json::array steps;
  for (const json::value& op : c.at("ops").as_array()) {
    json::object step;
    json::array conflicts;
    std::string manager(op.at("manager").as_string());
    const json::object& obj = op.at("object").as_object();
    bool changed = false;
    std::string error;
    if (op.at("op").as_string() == "apply") {
      auto r =
          UpdaterApply(**schema, &live, obj, version, managers, manager, op.at("force").as_bool());
      if (!r.ok()) {
        error = r.status().ToString();
      } else if (!r->conflicts.empty()) {
        for (const auto& cf : r->conflicts) {
          conflicts.push_back(json::object{{"manager", cf.manager}, {"path", PathString(cf.path)}});
        }
      } else if (r->changed) {
        live = std::move(r->object.as_object());
        changed = true;
      }
    } else {
      Status st = UpdaterUpdate(**schema, &live, obj, version, managers, manager);
      if (!st.ok()) {
        error = st.ToString();
      } else {
        live = obj;
      }
    }
    std::sort(conflicts.begin(), conflicts.end(), [](const json::value& a, const json::value& b) {
      if (a.at("manager") != b.at("manager")) {
        return a.at("manager").as_string() < b.at("manager").as_string();
      }
      return a.at("path").as_string() < b.at("path").as_string();
    });
    json::object mgrs;
    for (const auto& [name, vs] : managers) {
      mgrs[name] = json::object{{"fieldsV1", vs.set.ToFieldsV1()},
                                {"apiVersion", vs.api_version},
                                {"applied", vs.applied}};
    }
    step["object"] = live;
    step["managers"] = std::move(mgrs);
    step["changed"] = changed;
    step["conflicts"] = std::move(conflicts);
    step["error"] = error;
    steps.push_back(std::move(step));
  }
  return json::object{{"name", c.at("name")}, {"steps", std::move(steps)}};
}

class SsaDiffTest : public ::testing::TestWithParam<fs::path> {};

TEST_P(SsaDiffTest, SameAsStructuredMergeDiff) {
  ASSERT_NE(std::getenv("KCX_SSA_DIFF_GO"), nullptr) << "run through run_diff.sh (ctest)";
  json::value kcx = RunKcx(GetParam());
  ASSERT_TRUE(kcx.is_object());
  std::string name(kcx.at("name").as_string());
  auto it = GoResults().find(name);
  ASSERT_NE(it, GoResults().end()) << "the Go reference produced no result for " << name;
  const json::array& want = it->second.at("steps").as_array();
  const json::array& got = kcx.at("steps").as_array();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    const json::object& w = want[i].as_object();
    const json::object& g = got[i].as_object();
    // Errors: the wording differs (Go vs kcx); both must fail or both succeed.
    EXPECT_EQ(w.at("error").as_string().empty(), g.at("error").as_string().empty())
        << "go: " << w.at("error") << "\nkcx: " << g.at("error");
    EXPECT_EQ(w.at("conflicts"), g.at("conflicts"))
        << "go: " << w.at("conflicts") << "\nkcx: " << g.at("conflicts");
    EXPECT_EQ(w.at("changed"), g.at("changed"));
    EXPECT_EQ(w.at("object"), g.at("object"))
        << "go: " << w.at("object") << "\nkcx: " << g.at("object");
    EXPECT_EQ(w.at("managers"), g.at("managers"))
        << "go: " << w.at("managers") << "\nkcx: " << g.at("managers");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SsaDiffTest, ::testing::ValuesIn(CaseFiles()),
                         [](const ::testing::TestParamInfo<fs::path>& info) {
                           return info.param.stem().string();
                         });

}  // namespace
}  // namespace kcx::api::ssa
