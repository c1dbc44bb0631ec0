#include "operators/mysql/ha/config.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/strings.h"

namespace kcx::mysql::ha {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path);
  if (!f)
    return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view s, int default_port) {
  s = Trim(s);
  Endpoint ep;
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    ep.host = std::string(s);
    ep.port = default_port;
  } else {
    ep.host = std::string(s.substr(0, colon));
    auto p = s.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), ep.port);
    if (ec != std::errc() || ptr != p.data() + p.size() || ep.port < 0 || ep.port > 65535) {
      return Invalid("bad port in " + std::string(s));
    }
  }
  if (ep.host.empty())
    return Invalid("empty host in " + std::string(s));
  return ep;
}

Result<HaConfig> ParseHaConfig(const std::string& text, const std::string& base_dir) {
  HaConfig c;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const std::exception& e) {
    return Invalid(std::string("config: ") + e.what());
  }
  try {
    if (root["name"])
      c.name = root["name"].as<std::string>();
    if (!root["instances"] || !root["instances"].IsSequence() || root["instances"].size() == 0) {
      return Invalid("config: instances must be a non-empty list of host:port");
    }
    for (const auto& n : root["instances"]) {
      KCX_ASSIGN_OR_RETURN(auto ep, ParseEndpoint(n.as<std::string>(), 3306));
      if (ep.port == 0)
        return Invalid("config: instance port 0");
      c.instances.push_back(ep);
    }
    if (root["serverIdBase"])
      c.server_id_base = root["serverIdBase"].as<uint32_t>();
    if (root["checkIntervalMs"]) {
      c.check_interval = std::chrono::milliseconds(root["checkIntervalMs"].as<int>());
    }
    if (c.check_interval.count() <= 0)
      return Invalid("config: checkIntervalMs must be positive");
    if (root["hungTimeoutSeconds"])
      c.hung_timeout_s = root["hungTimeoutSeconds"].as<int>();
    if (c.hung_timeout_s < 1 || c.hung_timeout_s > 5) {
      return Invalid("config: hungTimeoutSeconds must be within 1..5");
    }
    if (root["listen"]) {
      KCX_ASSIGN_OR_RETURN(auto ep, ParseEndpoint(root["listen"].as<std::string>(), 9180));
      c.listen_host = ep.host;
      c.listen_port = ep.port;
    }
    if (root["stateFile"]) {
      c.state_file = root["stateFile"].as<std::string>();
      if (!c.state_file.empty() && c.state_file[0] != '/')
        c.state_file = base_dir + "/" + c.state_file;
    }
    std::map<std::string, std::string> pw;
    if (root["passwordsFile"]) {
      std::string path = root["passwordsFile"].as<std::string>();
      if (!path.empty() && path[0] != '/')
        path = base_dir + "/" + path;
      KCX_ASSIGN_OR_RETURN(std::string body, ReadFile(path));
      for (auto line : Split(body, '\n')) {
        line = Trim(line);
        if (line.empty() || line[0] == '#')
          continue;
        auto eq = line.find('=');
        if (eq == std::string_view::npos)
          return Invalid("passwordsFile: expected KEY=VALUE lines");
        pw[std::string(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
      }
    }
    if (root["passwords"]) {
      for (const auto& kv : root["passwords"]) {
        pw[kv.first.as<std::string>()] = kv.second.as<std::string>();
      }
    }
    KCX_ASSIGN_OR_RETURN(c.passwords, Passwords::FromMap(pw));
  } catch (const std::exception& e) {
    return Invalid(std::string("config: ") + e.what());
  }
  return c;
}

Result<HaConfig> LoadHaConfig(const std::string& path) {
  KCX_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty())
    dir = ".";
  return ParseHaConfig(text, dir);
}

Result<HaState> LoadHaState(const std::string& path) {
  HaState s;
  if (path.empty() || !std::filesystem::exists(path))
    return s;
  KCX_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object())
    return Invalid("state file " + path + " is not a JSON object");
  const auto& o = v.as_object();
  if (auto* p = o.if_contains("currentPrimary"); p && p->is_int64()) {
    s.current_primary = static_cast<int>(p->as_int64());
  }
  if (auto* e = o.if_contains("errant"); e && e->is_array()) {
    for (const auto& x : e->as_array()) {
      if (x.is_int64())
        s.errant.insert(static_cast<int>(x.as_int64()));
    }
  }
  return s;
}

Status SaveHaState(const std::string& path, const HaState& s) {
  if (path.empty())
    return Status::Ok();
  boost::json::object o;
  o["currentPrimary"] = s.current_primary;
  boost::json::array e;
  for (int i : s.errant)
    e.push_back(i);
  o["errant"] = std::move(e);
  const std::string body = boost::json::serialize(o) + "\n";
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return Internal("cannot write " + tmp);
  bool ok = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  ok = ok && fsync(fd) == 0;
  close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot save " + path);
  return Status::Ok();
}

}  // namespace kcx::mysql::ha
