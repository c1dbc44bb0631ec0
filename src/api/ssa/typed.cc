#include "api/ssa/typed.h"

#include <algorithm>

namespace kcx::api::ssa {

namespace {

enum class Atom { kMap, kScalar, kList };

bool IsScalarValue(const json::value& v) {
  return v.is_string() || v.is_bool() || v.is_int64() || v.is_uint64() || v.is_double();
}

// SMD's deduceAtom + handleAtom's preference (map, then scalar, then list).
Atom Deduce(const Type& t, const json::value* v) {
  if (v != nullptr) {
    if (IsScalarValue(*v) && t.scalar)
      return Atom::kScalar;
    if (v->is_array() && t.is_list)
      return Atom::kList;
    if (v->is_object() && t.is_map)
      return Atom::kMap;
  }
  if (t.is_map)
    return Atom::kMap;
  if (t.scalar)
    return Atom::kScalar;
  return Atom::kList;
}

const Type& ListElem(const Type& t) {
  return t.list_elem != nullptr ? *t.list_elem : *UntypedAtomicType();
}

Result<PathElement> ListItemPe(const Type& t, size_t index, const json::value& item) {
  if (t.list_kind == ListKind::kMap) {
    if (item.is_null())
      return BadRequest("associative list with keys may not have a null element");
    if (!item.is_object()) {
      return BadRequest("associative list with keys may not have non-map elements");
    }
    const json::object& o = item.get_object();
    std::vector<KeyField> key;
    key.reserve(t.keys.size());
    for (const std::string& k : t.keys) {
      if (const json::value* v = o.if_contains(k)) {
        key.push_back({k, *v});
        continue;
      }
      const StructField* f = ListElem(t).FindField(k);
      if (f != nullptr && f->has_default) {
        key.push_back({k, f->default_value});
        continue;
      }
      return BadRequest("associative list with keys has an element that omits key field \"" + k +
                        "\" (and doesn't have default value)");
    }
    return PathElement::Key(std::move(key));
  }
  if (t.list_kind == ListKind::kSet) {
    if (item.is_object()) {
      return BadRequest("associative list without keys has an element that's a map type");
    }
    if (item.is_array()) {
      return BadRequest("not supported: associative list with lists as elements");
    }
    if (item.is_null()) {
      return BadRequest("associative list without keys has an element that's an explicit null");
    }
    return PathElement::Value(item);
  }
  return PathElement::Index(static_cast<int64_t>(index));
}

// ---- ToFieldSet ----

Result<bool> WalkFieldSet(const json::value& v, const Type& t, Set& out, bool strict);

Status WalkFieldSetMap(const json::object& o, const Type& t, Set& out, bool strict) {
  for (const auto& kv : o) {
    const Type* ft;
    bool declared = t.LookupField(kv.key(), &ft);
    Set child;
    KCX_ASSIGN_OR_RETURN(bool member, WalkFieldSet(kv.value(), *ft, child, strict));
    const json::value& val = kv.value();
    bool insert =
        member || val.is_null() || (val.is_object() && val.get_object().empty()) || !declared;
    PathElement pe = PathElement::Field(std::string(kv.key()));
    if (!child.Empty()) {
      if (insert)
        out.mutable_members().push_back(pe);
      out.mutable_children().push_back(SetNode{std::move(pe), std::move(child)});
    } else if (insert) {
      out.mutable_members().push_back(std::move(pe));
    }
  }
  out.Normalize();
  return Status::Ok();
}

Result<bool> WalkFieldSet(const json::value& v, const Type& t, Set& out, bool strict) {
  switch (Deduce(t, &v)) {
    case Atom::kScalar:
      return true;
    case Atom::kList: {
      if (t.list_kind == ListKind::kAtomic)
        return true;
      if (!v.is_array())
        return false;
      const json::array& a = v.get_array();
      const Type& elem = ListElem(t);
      for (size_t i = 0; i < a.size(); ++i) {
        KCX_ASSIGN_OR_RETURN(PathElement pe, ListItemPe(t, i, a[i]));
        Set child;
        KCX_RETURN_IF_ERROR(WalkFieldSet(a[i], elem, child, strict).status());
        out.mutable_members().push_back(pe);
        if (!child.Empty())
          out.mutable_children().push_back(SetNode{std::move(pe), std::move(child)});
      }
      if (strict && t.list_kind != ListKind::kAtomic) {
        std::vector<const PathElement*> seen;
        seen.reserve(out.members().size());
        for (const auto& pe : out.members())
          seen.push_back(&pe);
        std::sort(seen.begin(), seen.end(), [](auto* x, auto* y) { return *x < *y; });
        for (size_t i = 1; i < seen.size(); ++i) {
          if (*seen[i - 1] == *seen[i]) {
            return BadRequest("duplicate entries for key " + seen[i]->String());
          }
        }
      }
      out.Normalize();
      return false;
    }
    case Atom::kMap: {
      if (t.map_atomic)
        return true;
      if (!v.is_object())
        return false;
      KCX_RETURN_IF_ERROR(WalkFieldSetMap(v.get_object(), t, out, strict));
      return false;
    }
  }
  return false;
}

// ---- Merge ----

struct ListIndex {
  std::vector<std::pair<PathElement, const json::value*>> items;  // sorted by pe

  const json::value* Find(const PathElement& pe) const {
    auto it = std::lower_bound(items.begin(), items.end(), pe,
                               [](const auto& x, const PathElement& p) { return x.first < p; });
    if (it != items.end() && it->first == pe)
      return it->second;
    return nullptr;
  }
};

// Deep equality without copies (boost::json 1.81's object equality copies every member).
// Strict about numbers (1 != 1.0): callers only use it to skip work.
bool SameJson(const json::value& a, const json::value& b) {
  if (a.kind() != b.kind()) {
    if (a.is_int64() && b.is_uint64())
      return a.get_int64() >= 0 && uint64_t(a.get_int64()) == b.get_uint64();
    if (a.is_uint64() && b.is_int64())
      return SameJson(b, a);
    return false;
  }
  switch (a.kind()) {
    case json::kind::object: {
      const json::object& x = a.get_object();
      const json::object& y = b.get_object();
      if (x.size() != y.size())
        return false;
      auto yi = y.begin();
      for (const auto& kv : x) {
        // Same insertion order is the common case; fall back to lookup.
        const json::value* other = nullptr;
        if (yi != y.end() && yi->key() == kv.key()) {
          other = &yi->value();
          ++yi;
        } else {
          other = y.if_contains(kv.key());
          yi = y.end();
        }
        if (other == nullptr || !SameJson(kv.value(), *other))
          return false;
      }
      return true;
    }
    case json::kind::array: {
      const json::array& x = a.get_array();
      const json::array& y = b.get_array();
      if (x.size() != y.size())
        return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!SameJson(x[i], y[i]))
          return false;
      }
      return true;
    }
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::int64:
      return a.get_int64() == b.get_int64();
    case json::kind::uint64:
      return a.get_uint64() == b.get_uint64();
    case json::kind::double_:
      return a.get_double() == b.get_double();
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::null:
      return true;
  }
  return false;
}

bool EmptyList(const json::value* v) {
  return v == nullptr || v->is_null() || (v->is_array() && v->get_array().empty());
}
bool EmptyMap(const json::value* v) {
  return v == nullptr || v->is_null() || (v->is_object() && v->get_object().empty());
}

// Walks lhs and rhs together like SMD's mergingWalker. Mode kMerge builds the merged value;
// mode kCompare records added/modified/removed paths.
class Walker {
 public:
  enum class Mode { kMerge, kCompare };
  Walker(Mode mode, Skip skip) : mode_(mode), skip_(skip) {}

  Comparison& comparison() { return cmp_; }

  // Returns the merged value (kMerge) in *out; *has_out false means "absent".
  Status Walk(const json::value* lhs, const json::value* rhs, const Type& t, json::value* out,
              bool* has_out) {
    // Shortcuts that cannot change the outcome: equal subtrees merge to themselves and differ
    // nowhere; a one-sided subtree merges to itself (the applied side was validated by
    // ToFieldSet). boost::json equality is stricter than SMD's (1 != 1.0), so a miss only
    // means walking.
    if (lhs != nullptr && rhs != nullptr && SameJson(*lhs, *rhs)) {
      if (mode_ == Mode::kMerge) {
        *out = *rhs;
        *has_out = true;
      }
      return Status::Ok();
    }
    if (mode_ == Mode::kMerge && (lhs == nullptr || rhs == nullptr) && !HoldsSkipped(lhs)) {
      *out = rhs != nullptr ? *rhs : *lhs;
      *has_out = true;
      return Status::Ok();
    }
    Atom al = Deduce(t, lhs);
    Atom ar = Deduce(t, rhs);
    // A type change (e.g. map → scalar) is a leaf replacement.
    if (lhs != nullptr && rhs != nullptr && al != ar)
      return Leaf(lhs, rhs, out, has_out);
    Atom a = rhs != nullptr ? ar : al;
    switch (a) {
      case Atom::kScalar:
        return Leaf(lhs, rhs, out, has_out);
      case Atom::kList:
        if (t.list_kind == ListKind::kAtomic || (EmptyList(lhs) && EmptyList(rhs))) {
          return Leaf(lhs, rhs, out, has_out);
        }
        KCX_RETURN_IF_ERROR(VisitList(lhs, rhs, t, out, has_out));
        break;
      case Atom::kMap:
        if (t.map_atomic || (EmptyMap(lhs) && EmptyMap(rhs))) {
          return Leaf(lhs, rhs, out, has_out);
        }
        KCX_RETURN_IF_ERROR(VisitMap(lhs, rhs, t, out, has_out));
        break;
    }
    if (mode_ == Mode::kCompare) {
      if (lhs == nullptr) {
        cmp_.added.Insert(path_);
      } else if (rhs == nullptr) {
        cmp_.removed.Insert(path_);
      }
    }
    return Status::Ok();
  }

 private:
  // Whether v directly holds the skipped lhs value (metadata holding managedFields).
  bool HoldsSkipped(const json::value* v) const {
    if (skip_.lhs == nullptr || v == nullptr || !v->is_object())
      return false;
    for (const auto& kv : v->get_object()) {
      if (&kv.value() == skip_.lhs)
        return true;
    }
    return false;
  }

  Status Leaf(const json::value* lhs, const json::value* rhs, json::value* out, bool* has_out) {
    if (mode_ == Mode::kMerge) {
      *out = rhs != nullptr ? *rhs : *lhs;
      *has_out = true;
      return Status::Ok();
    }
    if (lhs == nullptr) {
      cmp_.added.Insert(path_);
    } else if (rhs == nullptr) {
      cmp_.removed.Insert(path_);
    } else if (!ValuesEqual(*lhs, *rhs)) {
      cmp_.modified.Insert(path_);
    }
    return Status::Ok();
  }

  Status VisitList(const json::value* lhs, const json::value* rhs, const Type& t, json::value* out,
                   bool* has_out) {
    const json::array* la = lhs != nullptr && lhs->is_array() ? &lhs->get_array() : nullptr;
    const json::array* ra = rhs != nullptr && rhs->is_array() ? &rhs->get_array() : nullptr;
    const Type& elem = ListElem(t);
    ListIndex rindex;
    std::vector<const PathElement*> rorder;
    if (ra != nullptr) {
      rindex.items.reserve(ra->size());
      for (size_t i = 0; i < ra->size(); ++i) {
        KCX_ASSIGN_OR_RETURN(PathElement pe, ListItemPe(t, i, (*ra)[i]));
        rindex.items.emplace_back(std::move(pe), &(*ra)[i]);
      }
      // Order of first appearance for appending new rhs items.
      std::vector<size_t> idx(rindex.items.size());
      for (size_t i = 0; i < idx.size(); ++i)
        idx[i] = i;
      std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) {
        return rindex.items[x].first < rindex.items[y].first;
      });
      for (size_t i = 1; i < idx.size(); ++i) {
        if (rindex.items[idx[i - 1]].first == rindex.items[idx[i]].first) {
          return BadRequest("rhs: duplicate entries for key " +
                            rindex.items[idx[i]].first.String());
        }
      }
      std::vector<std::pair<PathElement, const json::value*>> sorted;
      sorted.reserve(idx.size());
      for (size_t i : idx)
        sorted.push_back(rindex.items[i]);
      // Keep rhs order separately (pointers into `sorted` are stable from here on).
      rindex.items = std::move(sorted);
      rorder.resize(ra->size());
      for (auto& item : rindex.items) {
        rorder[static_cast<size_t>(item.second - ra->data())] = &item.first;
      }
    }
    json::array merged;
    std::vector<PathElement> lseen;
    if (la != nullptr) {
      lseen.reserve(la->size());
      for (size_t i = 0; i < la->size(); ++i) {
        KCX_ASSIGN_OR_RETURN(PathElement pe, ListItemPe(t, i, (*la)[i]));
        bool dup = false;
        for (const auto& s : lseen) {
          if (s == pe) {
            dup = true;
            break;
          }
        }
        if (dup)
          continue;  // SMD v4.1 rejects; newer versions tolerate duplicates in live.
        const json::value* r = rindex.Find(pe);
        path_.push_back(pe);
        json::value child;
        bool has = false;
        KCX_RETURN_IF_ERROR(Walk(&(*la)[i], r, elem, &child, &has));
        path_.pop_back();
        if (has)
          merged.push_back(std::move(child));
        lseen.push_back(std::move(pe));
      }
    }
    if (ra != nullptr) {
      std::sort(lseen.begin(), lseen.end());
      for (size_t i = 0; i < ra->size(); ++i) {
        const PathElement& pe = *rorder[i];
        if (std::binary_search(lseen.begin(), lseen.end(), pe))
          continue;
        path_.push_back(pe);
        json::value child;
        bool has = false;
        KCX_RETURN_IF_ERROR(Walk(nullptr, &(*ra)[i], elem, &child, &has));
        path_.pop_back();
        if (has)
          merged.push_back(std::move(child));
      }
    }
    if (mode_ == Mode::kMerge && !merged.empty()) {
      *out = std::move(merged);
      *has_out = true;
    }
    return Status::Ok();
  }

  Status VisitMap(const json::value* lhs, const json::value* rhs, const Type& t, json::value* out,
                  bool* has_out) {
    const json::object* lo = lhs != nullptr && lhs->is_object() ? &lhs->get_object() : nullptr;
    const json::object* ro = rhs != nullptr && rhs->is_object() ? &rhs->get_object() : nullptr;
    return VisitObjects(lo, ro, t, out, has_out);
  }

 public:
  Status VisitObjects(const json::object* lo, const json::object* ro, const Type& t,
                      json::value* out, bool* has_out) {
    json::object merged;
    if (mode_ == Mode::kMerge) {
      merged.reserve((lo != nullptr ? lo->size() : 0) + (ro != nullptr ? ro->size() : 0));
    }
    auto visit = [&](std::string_view key, const json::value* l, const json::value* r) -> Status {
      const Type* ft;
      t.LookupField(key, &ft);
      json::value child;
      bool has = false;
      if (mode_ == Mode::kMerge) {
        KCX_RETURN_IF_ERROR(Walk(l, r, *ft, &child, &has));
        if (has)
          merged.emplace(key, std::move(child));
        return Status::Ok();
      }
      path_.push_back(PathElement::Field(std::string(key)));
      Status st = Walk(l, r, *ft, &child, &has);
      path_.pop_back();
      return st;
    };
    if (lo != nullptr) {
      for (const auto& kv : *lo) {
        if (&kv.value() == skip_.lhs)
          continue;
        const json::value* r = ro != nullptr ? ro->if_contains(kv.key()) : nullptr;
        if (r != nullptr && r == skip_.rhs)
          r = nullptr;
        KCX_RETURN_IF_ERROR(visit(kv.key(), &kv.value(), r));
      }
    }
    if (ro != nullptr) {
      for (const auto& kv : *ro) {
        if (&kv.value() == skip_.rhs)
          continue;
        if (lo != nullptr) {
          const json::value* l = lo->if_contains(kv.key());
          if (l != nullptr && l != skip_.lhs)
            continue;
        }
        KCX_RETURN_IF_ERROR(visit(kv.key(), nullptr, &kv.value()));
      }
    }
    if (mode_ == Mode::kMerge && !merged.empty()) {
      *out = std::move(merged);
      *has_out = true;
    }
    return Status::Ok();
  }

 private:
  Mode mode_;
  Skip skip_;
  Path path_;
  Comparison cmp_;
};

// ---- RemoveItems ----

json::value Remove(const json::value& v, const Set& remove, const Type& t) {
  switch (Deduce(t, &v)) {
    case Atom::kScalar:
      return v;
    case Atom::kList: {
      if (!v.is_array() || v.get_array().empty())
        return nullptr;
      if (t.list_kind == ListKind::kAtomic)
        return nullptr;
      const json::array& a = v.get_array();
      const Type& elem = ListElem(t);
      json::array out;
      for (size_t i = 0; i < a.size(); ++i) {
        auto pe = ListItemPe(t, i, a[i]);
        if (!pe.ok()) {
          out.push_back(a[i]);
          continue;
        }
        if (remove.HasMember(*pe))
          continue;
        if (const Set* sub = remove.Child(*pe); sub != nullptr && !sub->Empty()) {
          out.push_back(Remove(a[i], *sub, elem));
        } else {
          out.push_back(a[i]);
        }
      }
      if (out.empty())
        return nullptr;
      return out;
    }
    case Atom::kMap: {
      if (!v.is_object() || v.get_object().empty())
        return nullptr;
      if (t.map_atomic)
        return nullptr;
      json::object out;
      for (const auto& kv : v.get_object()) {
        PathElement pe = PathElement::Field(std::string(kv.key()));
        if (remove.HasMember(pe))
          continue;
        if (const Set* sub = remove.Child(pe); sub != nullptr && !sub->Empty()) {
          const Type* ft;
          t.LookupField(kv.key(), &ft);
          out[kv.key()] = Remove(kv.value(), *sub, *ft);
        } else {
          out[kv.key()] = kv.value();
        }
      }
      if (out.empty())
        return nullptr;
      return out;
    }
  }
  return v;
}

}  // namespace

Result<Set> ToFieldSet(const json::value& v, const Type& t) {
  Set s;
  KCX_RETURN_IF_ERROR(WalkFieldSet(v, t, s, false).status());
  return s;
}

Result<json::value> MergeValues(const json::value* lhs, const json::value& rhs, const Type& t,
                                Skip skip) {
  Walker w(Walker::Mode::kMerge, skip);
  json::value out;
  bool has = false;
  KCX_RETURN_IF_ERROR(w.Walk(lhs, &rhs, t, &out, &has));
  if (!has)
    return json::value(json::object());
  return out;
}

Result<Comparison> Diff(const json::value* lhs, const json::value* rhs, const Type& t, Skip skip) {
  Walker w(Walker::Mode::kCompare, skip);
  json::value out;
  bool has = false;
  if (lhs == nullptr && rhs == nullptr)
    return Comparison{};
  KCX_RETURN_IF_ERROR(w.Walk(lhs, rhs, t, &out, &has));
  return std::move(w.comparison());
}

Result<Set> ToFieldSet(const json::object& o, const Type& t, bool reject_duplicates) {
  Set s;
  KCX_RETURN_IF_ERROR(WalkFieldSetMap(o, t, s, reject_duplicates));
  return s;
}

Result<json::value> MergeObjects(const json::object* lhs, const json::object& rhs, const Type& t,
                                 Skip skip) {
  Walker w(Walker::Mode::kMerge, skip);
  json::value out;
  bool has = false;
  KCX_RETURN_IF_ERROR(w.VisitObjects(lhs, &rhs, t, &out, &has));
  if (!has)
    return json::value(json::object());
  return out;
}

Result<Comparison> DiffObjects(const json::object* lhs, const json::object* rhs, const Type& t,
                               Skip skip) {
  Walker w(Walker::Mode::kCompare, skip);
  json::value out;
  bool has = false;
  KCX_RETURN_IF_ERROR(w.VisitObjects(lhs, rhs, t, &out, &has));
  return std::move(w.comparison());
}

json::value RemoveItems(const json::value& v, const Set& remove, const Type& t) {
  return Remove(v, remove, t);
}

Set EnsureNamedFieldsAreMembers(const Set& s, const Type& t) {
  Set out;
  out.mutable_members() = s.members();
  for (const SetNode& n : s.children()) {
    const Type* ct = nullptr;
    if (n.pe.kind == PathElement::Kind::kField && t.is_map) {
      const Type* ft;
      bool declared = t.LookupField(n.pe.field, &ft);
      if (declared)
        out.mutable_members().push_back(n.pe);
      ct = ft;
    } else if (n.pe.kind == PathElement::Kind::kKey && t.is_list) {
      ct = &ListElem(t);
    }
    if (ct != nullptr) {
      out.mutable_children().push_back(SetNode{n.pe, EnsureNamedFieldsAreMembers(n.set, *ct)});
    } else {
      out.mutable_children().push_back(n);
    }
  }
  out.Normalize();
  return out;
}

}  // namespace kcx::api::ssa
