#include "api/ssa/fieldpath.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace kcx::api::ssa {

namespace {

bool IsInt(const json::value& v) { return v.is_int64() || v.is_uint64(); }

double AsDouble(const json::value& v) {
  if (v.is_int64())
    return static_cast<double>(v.get_int64());
  if (v.is_uint64())
    return static_cast<double>(v.get_uint64());
  return v.get_double();
}

template <typename T>
int Cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareInts(const json::value& a, const json::value& b) {
  if (a.is_int64() && b.is_int64())
    return Cmp(a.get_int64(), b.get_int64());
  if (a.is_uint64() && b.is_uint64())
    return Cmp(a.get_uint64(), b.get_uint64());
  // Mixed signedness: a negative int64 is smaller than any uint64.
  if (a.is_int64())
    return a.get_int64() < 0 ? -1 : Cmp<uint64_t>(a.get_int64(), b.get_uint64());
  return b.get_int64() < 0 ? 1 : Cmp<uint64_t>(a.get_uint64(), b.get_int64());
}

int CompareStrings(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int CompareObjects(const json::object& a, const json::object& b) {
  if (a.empty() && b.empty())
    return 0;
  // Walk the union of keys in lexical order (SMD's MapCompare with LexicalKeyOrder).
  std::vector<std::string_view> keys;
  keys.reserve(a.size() + b.size());
  for (const auto& kv : a)
    keys.push_back(kv.key());
  for (const auto& kv : b)
    keys.push_back(kv.key());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  size_t i = 0;
  for (std::string_view k : keys) {
    int c;
    const json::value* l = a.if_contains(k);
    const json::value* r = b.if_contains(k);
    if (i == a.size()) {
      c = -1;
    } else if (i == b.size()) {
      c = 1;
    } else if (l == nullptr) {
      c = 1;
    } else if (r == nullptr) {
      c = -1;
    } else {
      c = CompareValues(*l, *r);
    }
    if (c != 0)
      return c;
    ++i;
  }
  return 0;
}

void AppendGoFloat(std::string& out, double f) {
  char buf[64];
  double abs = std::fabs(f);
  bool exp = abs != 0 && (abs < 1e-6 || abs >= 1e21);
  auto res = std::to_chars(buf, buf + sizeof(buf), f,
                           exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, res.ptr);
  if (exp) {
    // Go writes e-07 as e-7.
    size_t e = s.find('e');
    if (e != std::string::npos && e + 3 < s.size() + 1 && s[e + 1] == '-' && s[e + 2] == '0') {
      s.erase(e + 2, 1);
    }
  }
  out += s;
}

void AppendGoQuoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Go's %v of a value (value.ToString).
void AppendToString(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::double_:
      AppendGoFloat(out, v.get_double());
      break;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case json::kind::string:
      AppendGoQuoted(out, v.get_string());
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out.push_back(',');
        first = false;
        AppendToString(out, e);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object:
      for (const auto& kv : v.get_object()) {
        out += kv.key();
        out.push_back('=');
        AppendToString(out, kv.value());
      }
      break;
  }
}

}  // namespace

int CompareValues(const json::value& a, const json::value& b) {
  if (a.is_double()) {
    if (!b.is_double()) {
      if (IsInt(b))
        return Cmp(a.get_double(), AsDouble(b));
      return -1;
    }
    return Cmp(a.get_double(), b.get_double());
  }
  if (b.is_double()) {
    if (IsInt(a))
      return Cmp(AsDouble(a), b.get_double());
    return 1;
  }
  if (IsInt(a)) {
    if (!IsInt(b))
      return -1;
    return CompareInts(a, b);
  }
  if (IsInt(b))
    return 1;
  if (a.is_string()) {
    if (!b.is_string())
      return -1;
    return CompareStrings(a.get_string(), b.get_string());
  }
  if (b.is_string())
    return 1;
  if (a.is_bool()) {
    if (!b.is_bool())
      return -1;
    return Cmp(a.get_bool(), b.get_bool());
  }
  if (b.is_bool())
    return 1;
  if (a.is_array()) {
    if (!b.is_array())
      return -1;
    const auto& la = a.get_array();
    const auto& lb = b.get_array();
    for (size_t i = 0;; ++i) {
      if (i >= la.size() && i >= lb.size())
        return 0;
      if (i >= la.size())
        return -1;
      if (i >= lb.size())
        return 1;
      if (int c = CompareValues(la[i], lb[i]); c != 0)
        return c;
    }
  }
  if (b.is_array())
    return 1;
  if (a.is_object()) {
    if (!b.is_object())
      return -1;
    return CompareObjects(a.get_object(), b.get_object());
  }
  if (b.is_object())
    return 1;
  return 0;  // both null
}

PathElement PathElement::Key(std::vector<KeyField> fields) {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const KeyField& a, const KeyField& b) { return a.name < b.name; });
  PathElement pe;
  pe.kind = Kind::kKey;
  pe.key = std::move(fields);
  return pe;
}

int PathElement::Compare(const PathElement& o) const {
  if (kind != o.kind)
    return kind < o.kind ? -1 : 1;
  switch (kind) {
    case Kind::kField:
      return CompareStrings(field, o.field);
    case Kind::kKey:
      for (size_t i = 0;; ++i) {
        if (i >= key.size() && i >= o.key.size())
          return 0;
        if (i >= key.size())
          return -1;
        if (i >= o.key.size())
          return 1;
        if (int c = CompareStrings(key[i].name, o.key[i].name); c != 0)
          return c;
        if (int c = CompareValues(key[i].value, o.key[i].value); c != 0)
          return c;
      }
    case Kind::kValue:
      return CompareValues(value, o.value);
    case Kind::kIndex:
      return Cmp(index, o.index);
  }
  return 0;
}

std::string PathElement::String() const {
  std::string out;
  switch (kind) {
    case Kind::kField:
      out = "." + field;
      break;
    case Kind::kKey:
      out.push_back('[');
      for (size_t i = 0; i < key.size(); ++i) {
        if (i > 0)
          out.push_back(',');
        out += key[i].name;
        out.push_back('=');
        AppendToString(out, key[i].value);
      }
      out.push_back(']');
      break;
    case Kind::kValue:
      out = "[=";
      AppendToString(out, value);
      out.push_back(']');
      break;
    case Kind::kIndex:
      out = "[" + std::to_string(index) + "]";
      break;
  }
  return out;
}

std::string PathElement::Serialize() const {
  std::string out;
  switch (kind) {
    case Kind::kField:
      out = "f:" + field;
      break;
    case Kind::kKey:
      out = "k:{";
      for (size_t i = 0; i < key.size(); ++i) {
        if (i > 0)
          out.push_back(',');
        AppendGoJsonString(out, key[i].name);
        out.push_back(':');
        AppendGoJson(out, key[i].value);
      }
      out.push_back('}');
      break;
    case Kind::kValue:
      out = "v:";
      AppendGoJson(out, value);
      break;
    case Kind::kIndex:
      out = "i:" + std::to_string(index);
      break;
  }
  return out;
}

std::string PathString(const Path& p) {
  std::string out;
  for (const auto& pe : p)
    out += pe.String();
  return out;
}

Result<PathElement> DeserializePathElement(std::string_view s) {
  if (s.size() < 2)
    return BadRequest("key must be 2 characters long:");
  if (s[1] != ':')
    return BadRequest("missing colon: " + std::string(s));
  std::string_view rest = s.substr(2);
  switch (s[0]) {
    case 'f':
      return PathElement::Field(std::string(rest));
    case 'v': {
      boost::system::error_code ec;
      json::value v = json::parse(rest, ec);
      if (ec)
        return BadRequest("invalid value in " + std::string(s) + ": " + ec.message());
      return PathElement::Value(std::move(v));
    }
    case 'k': {
      boost::system::error_code ec;
      json::value v = json::parse(rest, ec);
      if (ec || !v.is_object())
        return BadRequest("invalid key in " + std::string(s));
      std::vector<KeyField> fields;
      for (auto& kv : v.get_object())
        fields.push_back({std::string(kv.key()), kv.value()});
      return PathElement::Key(std::move(fields));
    }
    case 'i': {
      std::string_view digits = rest;
      if (!digits.empty() && digits[0] == '+')
        digits.remove_prefix(1);
      int64_t i = 0;
      auto res = std::from_chars(digits.data(), digits.data() + digits.size(), i);
      if (digits.empty() || res.ec != std::errc() || res.ptr != digits.data() + digits.size()) {
        return BadRequest("invalid index in " + std::string(s));
      }
      return PathElement::Index(i);
    }
    default:
      return NotFound("unknown path element type");
  }
}

// ---- Set ----

bool Set::Empty() const {
  if (!members_.empty())
    return false;
  for (const auto& c : children_) {
    if (!c.set.Empty())
      return false;
  }
  return true;
}

size_t Set::Size() const {
  size_t n = members_.size();
  for (const auto& c : children_)
    n += c.set.Size();
  return n;
}

namespace {

template <typename V, typename Proj>
auto LowerBound(V& v, const PathElement& pe, Proj proj) {
  return std::lower_bound(v.begin(), v.end(), pe, [&](const auto& item, const PathElement& x) {
    return proj(item).Compare(x) < 0;
  });
}

const PathElement& NodePe(const SetNode& n) { return n.pe; }
const PathElement& SelfPe(const PathElement& pe) { return pe; }

}  // namespace

bool Set::HasMember(const PathElement& pe) const {
  auto it = LowerBound(members_, pe, SelfPe);
  return it != members_.end() && it->Compare(pe) == 0;
}

const Set* Set::Child(const PathElement& pe) const {
  auto it = LowerBound(children_, pe, NodePe);
  if (it != children_.end() && it->pe.Compare(pe) == 0)
    return &it->set;
  return nullptr;
}

Set* Set::DescendMutable(const PathElement& pe) {
  auto it = LowerBound(children_, pe, NodePe);
  if (it != children_.end() && it->pe.Compare(pe) == 0)
    return &it->set;
  it = children_.insert(it, SetNode{pe, Set()});
  return &it->set;
}

void Set::Insert(const Path& p) {
  if (p.empty())
    return;  // SMD never tracks the whole object.
  Set* s = this;
  for (size_t i = 0; i + 1 < p.size(); ++i)
    s = s->DescendMutable(p[i]);
  auto it = LowerBound(s->members_, p.back(), SelfPe);
  if (it == s->members_.end() || it->Compare(p.back()) != 0)
    s->members_.insert(it, p.back());
}

bool Set::Has(const Path& p) const {
  if (p.empty())
    return false;
  const Set* s = this;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    s = s->Child(p[i]);
    if (s == nullptr)
      return false;
  }
  return s->HasMember(p.back());
}

namespace {

std::vector<PathElement> MembersUnion(const std::vector<PathElement>& a,
                                      const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].Compare(b[j]);
    if (c < 0) {
      out.push_back(a[i++]);
    } else if (c > 0) {
      out.push_back(b[j++]);
    } else {
      out.push_back(a[i++]);
      ++j;
    }
  }
  for (; i < a.size(); ++i)
    out.push_back(a[i]);
  for (; j < b.size(); ++j)
    out.push_back(b[j]);
  return out;
}

std::vector<PathElement> MembersIntersection(const std::vector<PathElement>& a,
                                             const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].Compare(b[j]);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      out.push_back(a[i++]);
      ++j;
    }
  }
  return out;
}

std::vector<PathElement> MembersDifference(const std::vector<PathElement>& a,
                                           const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  out.reserve(a.size());
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].Compare(b[j]);
    if (c < 0) {
      out.push_back(a[i++]);
    } else if (c > 0) {
      ++j;
    } else {
      ++i;
      ++j;
    }
  }
  for (; i < a.size(); ++i)
    out.push_back(a[i]);
  return out;
}

}  // namespace

Set Set::Union(const Set& o) const {
  Set out;
  out.members_ = MembersUnion(members_, o.members_);
  out.children_.reserve(children_.size() + o.children_.size());
  size_t i = 0, j = 0;
  while (i < children_.size() && j < o.children_.size()) {
    int c = children_[i].pe.Compare(o.children_[j].pe);
    if (c < 0) {
      out.children_.push_back(children_[i++]);
    } else if (c > 0) {
      out.children_.push_back(o.children_[j++]);
    } else {
      out.children_.push_back(SetNode{children_[i].pe, children_[i].set.Union(o.children_[j].set)});
      ++i;
      ++j;
    }
  }
  for (; i < children_.size(); ++i)
    out.children_.push_back(children_[i]);
  for (; j < o.children_.size(); ++j)
    out.children_.push_back(o.children_[j]);
  return out;
}

Set Set::Intersection(const Set& o) const {
  Set out;
  out.members_ = MembersIntersection(members_, o.members_);
  size_t i = 0, j = 0;
  while (i < children_.size() && j < o.children_.size()) {
    int c = children_[i].pe.Compare(o.children_[j].pe);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      Set s = children_[i].set.Intersection(o.children_[j].set);
      if (!s.Empty())
        out.children_.push_back(SetNode{children_[i].pe, std::move(s)});
      ++i;
      ++j;
    }
  }
  return out;
}

Set Set::Difference(const Set& o) const {
  Set out;
  out.members_ = MembersDifference(members_, o.members_);
  size_t i = 0, j = 0;
  while (i < children_.size() && j < o.children_.size()) {
    int c = children_[i].pe.Compare(o.children_[j].pe);
    if (c < 0) {
      out.children_.push_back(children_[i++]);
    } else if (c > 0) {
      ++j;
    } else {
      Set s = children_[i].set.Difference(o.children_[j].set);
      if (!s.Empty())
        out.children_.push_back(SetNode{children_[i].pe, std::move(s)});
      ++i;
      ++j;
    }
  }
  for (; i < children_.size(); ++i)
    out.children_.push_back(children_[i]);
  return out;
}

Set Set::RecursiveDifference(const Set& o) const {
  Set out;
  out.members_ = MembersDifference(members_, o.members_);
  size_t i = 0, j = 0;
  while (i < children_.size() && j < o.children_.size()) {
    int c = children_[i].pe.Compare(o.children_[j].pe);
    if (c < 0) {
      if (!o.HasMember(children_[i].pe))
        out.children_.push_back(children_[i]);
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      if (!o.HasMember(children_[i].pe)) {
        Set s = children_[i].set.RecursiveDifference(o.children_[j].set);
        if (!s.Empty())
          out.children_.push_back(SetNode{children_[i].pe, std::move(s)});
      }
      ++i;
      ++j;
    }
  }
  for (; i < children_.size(); ++i) {
    if (!o.HasMember(children_[i].pe))
      out.children_.push_back(children_[i]);
  }
  return out;
}

void Set::Erase(const Set& o) {
  if (o.members_.empty() && o.children_.empty())
    return;
  if (!o.members_.empty())
    members_ = MembersDifference(members_, o.members_);
  size_t j = 0;
  for (auto it = children_.begin(); it != children_.end();) {
    while (j < o.children_.size() && o.children_[j].pe.Compare(it->pe) < 0)
      ++j;
    if (j < o.children_.size() && o.children_[j].pe.Compare(it->pe) == 0) {
      it->set.Erase(o.children_[j].set);
      if (it->set.Empty()) {
        it = children_.erase(it);
        continue;
      }
    }
    ++it;
  }
}

void Set::EraseRecursive(const Set& o) {
  if (o.members_.empty() && o.children_.empty())
    return;
  if (!o.members_.empty())
    members_ = MembersDifference(members_, o.members_);
  size_t j = 0;
  for (auto it = children_.begin(); it != children_.end();) {
    if (o.HasMember(it->pe)) {
      it = children_.erase(it);
      continue;
    }
    while (j < o.children_.size() && o.children_[j].pe.Compare(it->pe) < 0)
      ++j;
    if (j < o.children_.size() && o.children_[j].pe.Compare(it->pe) == 0) {
      it->set.EraseRecursive(o.children_[j].set);
      if (it->set.Empty()) {
        it = children_.erase(it);
        continue;
      }
    }
    ++it;
  }
}

bool Set::operator==(const Set& o) const {
  if (members_.size() != o.members_.size() || children_.size() != o.children_.size()) {
    return false;
  }
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].Compare(o.members_[i]) != 0)
      return false;
  }
  for (size_t i = 0; i < children_.size(); ++i) {
    if (children_[i].pe.Compare(o.children_[i].pe) != 0)
      return false;
    if (!(children_[i].set == o.children_[i].set))
      return false;
  }
  return true;
}

std::vector<Path> Set::Paths() const {
  std::vector<Path> out;
  Iterate([&](const Path& p) { out.push_back(p); });
  return out;
}

void Set::Normalize() {
  // Usually already sorted (decoded FieldsV1, struct fields in order): check first.
  bool sorted = true;
  for (size_t i = 1; i < members_.size() && sorted; ++i) {
    sorted = members_[i - 1].Compare(members_[i]) < 0;
  }
  for (size_t i = 0; i < children_.size() && sorted; ++i) {
    sorted =
        (i == 0 || children_[i - 1].pe.Compare(children_[i].pe) < 0) && !children_[i].set.Empty();
  }
  if (sorted)
    return;
  std::sort(members_.begin(), members_.end());
  members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
  std::sort(children_.begin(), children_.end(),
            [](const SetNode& a, const SetNode& b) { return a.pe.Compare(b.pe) < 0; });
  // Merge duplicate children (possible only with duplicate list items).
  std::vector<SetNode> merged;
  merged.reserve(children_.size());
  for (auto& c : children_) {
    if (!merged.empty() && merged.back().pe.Compare(c.pe) == 0) {
      merged.back().set = merged.back().set.Union(c.set);
    } else if (!c.set.Empty()) {
      merged.push_back(std::move(c));
    }
  }
  children_ = std::move(merged);
}

void Set::EmitFieldsV1(bool include_self, std::string& out) const {
  bool first = true;
  auto pre = [&] {
    if (!first)
      out.push_back(',');
    first = false;
  };
  if (include_self && !(members_.empty() && children_.empty())) {
    pre();
    out += "\".\":{}";
  }
  size_t mi = 0, ci = 0;
  while (mi < members_.size() || ci < children_.size()) {
    int c;
    if (mi >= members_.size()) {
      c = 1;
    } else if (ci >= children_.size()) {
      c = -1;
    } else {
      c = members_[mi].Compare(children_[ci].pe);
    }
    pre();
    if (c < 0) {
      AppendGoJsonString(out, members_[mi].Serialize());
      out += ":{}";
      ++mi;
    } else {
      AppendGoJsonString(out, children_[ci].pe.Serialize());
      out += ":{";
      children_[ci].set.EmitFieldsV1(c == 0, out);
      out.push_back('}');
      if (c == 0)
        ++mi;
      ++ci;
    }
  }
}

void Set::EmitFieldsV1Value(bool include_self, json::object& out) const {
  out.reserve(members_.size() + children_.size() + 1);
  if (include_self && !(members_.empty() && children_.empty()))
    out.emplace(".", json::object());
  size_t mi = 0, ci = 0;
  while (mi < members_.size() || ci < children_.size()) {
    int c;
    if (mi >= members_.size()) {
      c = 1;
    } else if (ci >= children_.size()) {
      c = -1;
    } else {
      c = members_[mi].Compare(children_[ci].pe);
    }
    if (c < 0) {
      out.emplace(members_[mi].Serialize(), json::object());
      ++mi;
    } else {
      json::object child;
      children_[ci].set.EmitFieldsV1Value(c == 0, child);
      out.emplace(children_[ci].pe.Serialize(), std::move(child));
      if (c == 0)
        ++mi;
      ++ci;
    }
  }
}

json::object Set::ToFieldsV1Value() const {
  json::object out;
  EmitFieldsV1Value(false, out);
  return out;
}

std::string Set::ToFieldsV1() const {
  std::string out = "{";
  EmitFieldsV1(false, out);
  out.push_back('}');
  return out;
}

namespace {

// Reads one FieldsV1 node; returns whether the node is itself a member of its parent.
Status ReadFieldsV1(const json::object& o, Set& children, bool& is_member) {
  bool has_children = false;
  is_member = false;
  for (const auto& kv : o) {
    if (kv.key() == ".") {
      is_member = true;
      continue;
    }
    auto pe = DeserializePathElement(kv.key());
    if (!pe.ok()) {
      if (pe.status().reason() == Reason::kNotFound)
        continue;  // future element types
      return pe.status();
    }
    if (!kv.value().is_object()) {
      return BadRequest("FieldsV1: value of " + std::string(kv.key()) + " is not an object");
    }
    Set grand;
    bool child_member = false;
    KCX_RETURN_IF_ERROR(ReadFieldsV1(kv.value().get_object(), grand, child_member));
    if (child_member) {
      children.mutable_members().push_back(*pe);
      has_children = true;
    }
    if (!grand.Empty()) {
      children.mutable_children().push_back(SetNode{std::move(*pe), std::move(grand)});
      has_children = true;
    }
  }
  children.Normalize();
  if (!has_children)
    is_member = true;
  return Status::Ok();
}

}  // namespace

Result<Set> Set::FromFieldsV1(const json::value& v) {
  if (v.is_null())
    return Set();
  if (!v.is_object())
    return BadRequest("FieldsV1 must be a JSON object");
  Set s;
  bool member = false;
  KCX_RETURN_IF_ERROR(ReadFieldsV1(v.get_object(), s, member));
  return s;
}

Result<Set> Set::FromFieldsV1String(std::string_view s) {
  boost::system::error_code ec;
  json::value v = json::parse(s, ec);
  if (ec)
    return BadRequest("FieldsV1: " + ec.message());
  return FromFieldsV1(v);
}

void AppendGoJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
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
      case '<':
      case '>':
      case '&':
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
        continue;
      default:
        break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8 / E2 80 A9).
    if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  out.push_back('"');
}

void AppendGoJson(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case json::kind::double_:
      AppendGoFloat(out, v.get_double());
      break;
    case json::kind::string:
      AppendGoJsonString(out, v.get_string());
      break;
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out.push_back(',');
        first = false;
        AppendGoJson(out, e);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      std::vector<const json::key_value_pair*> kvs;
      for (const auto& kv : v.get_object())
        kvs.push_back(&kv);
      std::sort(kvs.begin(), kvs.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out.push_back('{');
      bool first = true;
      for (const auto* kv : kvs) {
        if (!first)
          out.push_back(',');
        first = false;
        AppendGoJsonString(out, kv->key());
        out.push_back(':');
        AppendGoJson(out, kv->value());
      }
      out.push_back('}');
      break;
    }
  }
}

}  // namespace kcx::api::ssa
