#include "api/continue_token.h"

#include <boost/json.hpp>
#include <cstdio>
#include <vector>

namespace kcx::api {
namespace {

constexpr std::string_view kVersion = "meta.k8s.io/v1";
constexpr std::string_view kInvalid = "continue key is not valid";

// encoding/json's string encoding (HTML-safe: <, > and & escaped; U+2028/2029 escaped).
void AppendGoJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    out += static_cast<char>(c);
  }
  out += '"';
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string RawUrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) |
                 uint32_t(uint8_t(in[i + 2]));
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
  } else if (rest == 2) {
    uint32_t n = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
  }
  return out;
}

// base64.RawURLEncoding.DecodeString, with Go's "illegal base64 data at input byte N".
Result<std::string> RawUrlDecode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z')
      return c - 'A';
    if (c >= 'a' && c <= 'z')
      return c - 'a' + 26;
    if (c >= '0' && c <= '9')
      return c - '0' + 52;
    if (c == '-')
      return 62;
    if (c == '_')
      return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    // Go skips '\r' and '\n' inside base64 input.
    if (in[i] == '\r' || in[i] == '\n')
      continue;
    int v = val(in[i]);
    if (v < 0) {
      return BadRequest(std::string(kInvalid) + ": illegal base64 data at input byte " +
                        std::to_string(i));
    }
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits == 6) {  // one dangling character cannot encode a byte
    return BadRequest(std::string(kInvalid) + ": illegal base64 data at input byte " +
                      std::to_string(in.empty() ? 0 : in.size() - 1));
  }
  return out;
}

// Go's path.Clean.
std::string PathClean(std::string_view p) {
  if (p.empty())
    return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos)
      j = p.size();
    std::string_view seg = p.substr(i, j - i);
    i = j + 1;
    if (seg.empty() || seg == ".")
      continue;
    if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(seg);
      }
      continue;
    }
    parts.push_back(seg);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0)
      out += '/';
    out += parts[k];
  }
  if (out.empty())
    return ".";
  return out;
}

}  // namespace

std::string EncodeContinue(uint64_t resource_version, std::string_view start_key) {
  std::string json = "{\"v\":\"meta.k8s.io/v1\",\"rv\":";
  json += std::to_string(resource_version);
  json += ",\"start\":";
  AppendGoJsonString(json, start_key);
  json += '}';
  return RawUrlEncode(json);
}

Result<ContinueToken> DecodeContinue(std::string_view token) {
  KCX_ASSIGN_OR_RETURN(std::string data, RawUrlDecode(token));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(data, ec);
  if (ec)
    return BadRequest(std::string(kInvalid) + ": " + ec.message());
  const boost::json::object* o = v.if_object();
  if (o == nullptr) {
    return BadRequest(std::string(kInvalid) + ": json: cannot unmarshal " +
                      (v.is_array()    ? "array"
                       : v.is_string() ? "string"
                                       : "value") +
                      " into Go value of type storage.continueToken");
  }
  std::string version;
  int64_t rv = 0;
  std::string start;
  if (const boost::json::value* x = o->if_contains("v"); x && !x->is_null()) {
    if (!x->is_string()) {
      return BadRequest(std::string(kInvalid) +
                        ": json: cannot unmarshal into Go struct field continueToken.v of type "
                        "string");
    }
    version = x->get_string();
  }
  if (const boost::json::value* x = o->if_contains("rv"); x && !x->is_null()) {
    if (x->is_int64()) {
      rv = x->get_int64();
    } else {
      return BadRequest(std::string(kInvalid) +
                        ": json: cannot unmarshal into Go struct field continueToken.rv of type "
                        "int64");
    }
  }
  if (const boost::json::value* x = o->if_contains("start"); x && !x->is_null()) {
    if (!x->is_string()) {
      return BadRequest(std::string(kInvalid) +
                        ": json: cannot unmarshal into Go struct field continueToken.start of "
                        "type string");
    }
    start = x->get_string();
  }
  if (version != kVersion) {
    return BadRequest(std::string(kInvalid) + ": server does not recognize this encoded version " +
                      version);
  }
  // kube only rejects 0; a negative resource version is as meaningless to us.
  if (rv <= 0) {
    return BadRequest(std::string(kInvalid) +
                      ": incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
  if (start.empty()) {
    return BadRequest(std::string(kInvalid) + ": encoded start key empty (version meta.k8s.io/v1)");
  }
  // Defend against path traversal: the start key must already be clean.
  std::string key = start[0] == '/' ? start : "/" + start;
  if (PathClean(key) != key)
    return BadRequest(std::string(kInvalid) + ": " + start);
  return ContinueToken{static_cast<uint64_t>(rv), key.substr(1)};
}

}  // namespace kcx::api
