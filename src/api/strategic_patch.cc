#include "api/strategic_patch.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "api/json.h"

namespace kcx::api {

const PatchField* PatchMeta::Field(std::string_view field) const {
  auto it = fields_.find(field);
  return it == fields_.end() ? nullptr : &it->second;
}

namespace {

namespace json = boost::json;

constexpr std::string_view kDirectiveMarker = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// ---------------------------------------------------------------------------------------------
// Go's fmt %v of decoded JSON, so error messages read as kube's.

void GoFormat(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::null:
      out += "<nil>";
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
    case json::kind::double_: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v.get_double());
      out += buf;
      break;
    }
    case json::kind::string:
      out.append(v.get_string().data(), v.get_string().size());
      break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out += ' ';
        first = false;
        GoFormat(e, out);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      // Go prints maps with sorted keys.
      std::vector<const json::key_value_pair*> kvs;
      for (const auto& kv : v.get_object())
        kvs.push_back(&kv);
      std::sort(kvs.begin(), kvs.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += "map[";
      bool first = true;
      for (const auto* kv : kvs) {
        if (!first)
          out += ' ';
        first = false;
        out.append(kv->key().data(), kv->key().size());
        out += ':';
        GoFormat(kv->value(), out);
      }
      out += ']';
      break;
    }
  }
}

std::string GoV(const json::value& v) {
  std::string s;
  GoFormat(v, s);
  return s;
}

// reflect.TypeOf(x).String() of a decoded JSON value.
std::string_view GoType(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "<nil>";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
      return "int64";
    case json::kind::double_:
      return "float64";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "[]interface {}";
    case json::kind::object:
      return "map[string]interface {}";
  }
  return "<nil>";
}

// mergepatch's errors, in its words.
Status ErrNoMergeKey(const json::object& m, std::string_view key) {
  return BadRequest("map: " + GoV(m) + " does not contain declared merge key: " + std::string(key));
}
Status ErrBadArgType(std::string_view expected, const json::value& actual) {
  return BadRequest("expected a " + std::string(expected) + ", but received a " +
                    std::string(GoType(actual)));
}
Status ErrBadPatchType(const json::value& t, const json::object& m) {
  return BadRequest("unknown patch type: " + GoV(t) + " in map: " + GoV(m));
}
Status ErrBadPatchFormatForRetainKeys() { return BadRequest("invalid patch format of retainKeys"); }
Status ErrNoListOfLists() {
  // kube-apiserver answers this one with a generic 422.
  return Invalid("the server rejected our request due to an error in our request",
                 {StatusCause{"UnexpectedServerResponse", "lists of lists are not supported", ""}});
}

// Identity of a scalar, or of a merge key value, as Go's == compares decoded JSON values:
// same type and value (an int64 80 and a float64 80 differ, as in Go).
std::string ScalarId(const json::value& v) { return Serialize(v); }

// The Go type class of a list element; lists must be homogeneous.
int ElementClass(const json::value& v) {
  switch (v.kind()) {
    case json::kind::uint64:
      return static_cast<int>(json::kind::int64);
    default:
      return static_cast<int>(v.kind());
  }
}

// sliceElementType: all elements of both lists share one type, which is not a list. Returns
// the json kind of the elements (null when both lists are empty).
Result<json::kind> SliceElementKind(const json::array& a, const json::array& b) {
  int cls = -1;
  json::kind kind = json::kind::null;
  for (const json::array* s : {&a, &b}) {
    for (const auto& v : *s) {
      int c = ElementClass(v);
      if (cls < 0) {
        cls = c;
        kind = v.kind();
        if (v.is_array())
          return ErrNoListOfLists();
      } else if (c != cls) {
        return BadRequest("list element types are not identical: [" + GoV(a) + " " + GoV(b) + "]");
      }
    }
  }
  return kind;
}

// The identity of a list item for ordering: its merge key value (maps) or itself (scalars).
Result<std::string> ItemId(const json::value& v, std::string_view merge_key, bool maps) {
  if (!maps)
    return ScalarId(v);
  const json::object* o = v.if_object();
  if (!o)
    return ErrBadArgType("map[string]interface {}", v);
  const json::value* k = o->if_contains(merge_key);
  if (!k)
    return ErrNoMergeKey(*o, merge_key);
  return ScalarId(*k);
}

Result<std::vector<std::string>> ItemIds(const json::array& list, std::string_view merge_key,
                                         bool maps) {
  std::vector<std::string> ids;
  ids.reserve(list.size());
  for (const auto& v : list) {
    KCX_ASSIGN_OR_RETURN(std::string id, ItemId(v, merge_key, maps));
    ids.push_back(std::move(id));
  }
  return ids;
}

// Position of each id (first occurrence).
std::unordered_map<std::string, size_t> IndexOf(const std::vector<std::string>& ids) {
  std::unordered_map<std::string, size_t> m;
  m.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i)
    m.emplace(ids[i], i);
  return m;
}

// kube's partition + normalizeElementOrder + mergeSortedSlice: the items of `merged` named in
// `patch_order` come in that order; the others (server-only) keep their order in
// `server_order`, and the two sequences are interleaved so that a server-only item goes before
// a patch item when the live list had it in front.
Result<json::array> NormalizeElementOrder(json::array merged,
                                          const std::vector<std::string>& patch_order,
                                          const std::vector<std::string>& server_order,
                                          std::string_view merge_key, bool maps) {
  constexpr size_t kMissing = std::numeric_limits<size_t>::max();
  auto pidx = IndexOf(patch_order);
  auto sidx = IndexOf(server_order);
  struct Item {
    size_t order;   // position in the list that sorts its partition
    size_t server;  // position in server_order, or kMissing
    json::value* v;
  };
  std::vector<Item> patch_items, server_items;
  for (auto& v : merged) {
    KCX_ASSIGN_OR_RETURN(std::string id, ItemId(v, merge_key, maps));
    auto s = sidx.find(id);
    size_t server = s == sidx.end() ? kMissing : s->second;
    if (auto p = pidx.find(id); p != pidx.end()) {
      patch_items.push_back({p->second, server, &v});
    } else {
      server_items.push_back({server, server, &v});
    }
  }
  auto by_order = [](const Item& a, const Item& b) { return a.order < b.order; };
  std::stable_sort(patch_items.begin(), patch_items.end(), by_order);
  std::stable_sort(server_items.begin(), server_items.end(), by_order);
  json::array out(merged.storage());
  out.reserve(merged.size());
  size_t i = 0, j = 0;
  while (i < server_items.size() || j < patch_items.size()) {
    bool take_left;
    if (j >= patch_items.size()) {
      take_left = true;
    } else if (i >= server_items.size()) {
      take_left = false;
    } else {
      const Item& l = server_items[i];
      const Item& r = patch_items[j];
      take_left = l.server != kMissing && r.server != kMissing && l.server < r.server;
    }
    if (take_left) {
      out.push_back(std::move(*server_items[i++].v));
    } else {
      out.push_back(std::move(*patch_items[j++].v));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The merge.

Status MergeMap(json::object& original, json::object patch, const PatchMeta* meta);
Result<json::array> MergeSliceHandler(json::array original, json::array patch,
                                      const PatchField* field, bool is_delete_list);

bool IsDirectiveKey(std::string_view k) {
  return k == kDirectiveMarker || k == kRetainKeys || StartsWith(k, kSetElementOrderPrefix) ||
         StartsWith(k, kDeleteFromPrimitiveListPrefix);
}

// A patch value stored as it is (a replaced list or map, an appended list item): kube stores it
// verbatim and decoding into the Go type then drops null members and the directive keys it
// does not know. kcx keeps objects as JSON, so it drops them here.
void DecodeClean(json::value& v) {
  if (json::object* o = v.if_object()) {
    for (auto it = o->begin(); it != o->end();) {
      if (it->value().is_null() || IsDirectiveKey(it->key())) {
        it = o->stable_erase(it);
      } else {
        DecodeClean(it->value());
        ++it;
      }
    }
  } else if (json::array* a = v.if_array()) {
    for (auto& e : *a)
      DecodeClean(e);
  }
}

// kube's removeDirectives for a value the original lacks (or has with another type): maps that
// carry `$patch` go, as values and as list elements. Returns false if `v` itself goes.
bool RemoveDirectives(json::value& v) {
  if (json::object* o = v.if_object()) {
    if (o->contains(kDirectiveMarker))
      return false;
    for (auto it = o->begin(); it != o->end();) {
      if (RemoveDirectives(it->value())) {
        ++it;
      } else {
        it = o->stable_erase(it);
      }
    }
  } else if (json::array* a = v.if_array()) {
    a->erase(
        std::remove_if(a->begin(), a->end(), [](json::value& e) { return !RemoveDirectives(e); }),
        a->end());
  }
  return true;
}

// Sets original[key] to a value the original did not have there: nulls discarded, directives
// removed (discardNullValuesFromPatch + removeDirectives), then what decoding drops.
void SetNew(json::object& original, std::string_view key, json::value v) {
  if (!RemoveDirectives(v)) {
    original.stable_erase(key);
    return;
  }
  DecodeClean(v);
  original[key] = std::move(v);
}

// mergeSliceWithSpecialElements + mergeSliceWithoutSpecialElements + the ordering, for a list
// of maps merged by `merge_key`.
Result<json::array> MergeMapList(json::array original, json::array patch, const PatchMeta* elem,
                                 std::string_view merge_key) {
  // Directives among the elements: deletions by merge key, and replace.
  json::array plain(patch.storage());
  plain.reserve(patch.size());
  bool replace = false;
  for (auto& v : patch) {
    json::object& o = v.get_object();  // the caller checked the element kind
    const json::value* d = o.if_contains(kDirectiveMarker);
    if (!d) {
      plain.push_back(std::move(v));
      continue;
    }
    if (d->is_string() && d->get_string() == "delete") {
      const json::value* key = o.if_contains(merge_key);
      if (!key)
        return ErrNoMergeKey(o, merge_key);
      std::string id = ScalarId(*key);
      auto matches = [&](const json::value& e) {
        const json::object* eo = e.if_object();
        const json::value* ek = eo ? eo->if_contains(merge_key) : nullptr;
        return ek && ScalarId(*ek) == id;
      };
      original.erase(std::remove_if(original.begin(), original.end(), matches), original.end());
    } else if (d->is_string() && d->get_string() == "replace") {
      replace = true;  // keep going: the other directives are pruned as well
    } else if (d->is_string() && d->get_string() == "merge") {
      return BadRequest("merging lists cannot yet be specified in the patch");
    } else {
      return ErrBadPatchType(*d, o);
    }
  }
  if (replace) {
    original = std::move(plain);
    plain = json::array();
    for (auto& v : original)
      DecodeClean(v);
  }

  // Server order: the live list after deletions (items without the key have no position).
  std::vector<std::string> server_order;
  server_order.reserve(original.size());
  std::unordered_map<std::string, size_t> position;  // merge key -> index in `original`
  for (size_t i = 0; i < original.size(); ++i) {
    const json::object* o = original[i].if_object();
    const json::value* k = o ? o->if_contains(merge_key) : nullptr;
    if (!o)
      return BadRequest("value for key " + std::to_string(i) + " is not a map.");
    if (!k)
      continue;  // never matched; partitioning below reports it, as kube does
    std::string id = ScalarId(*k);
    position.emplace(id, i);
    server_order.push_back(std::move(id));
  }
  std::vector<std::string> patch_order;
  patch_order.reserve(plain.size());
  for (auto& v : plain) {
    json::object& o = v.get_object();
    const json::value* k = o.if_contains(merge_key);
    if (!k)
      return ErrNoMergeKey(o, merge_key);
    std::string id = ScalarId(*k);
    patch_order.push_back(id);
    if (auto it = position.find(id); it != position.end()) {
      json::value& target = original[it->second];
      KCX_RETURN_IF_ERROR(MergeMap(target.get_object(), std::move(o), elem));
    } else {
      DecodeClean(v);
      position.emplace(std::move(id), original.size());
      original.push_back(std::move(v));
    }
  }
  return NormalizeElementOrder(std::move(original), patch_order, server_order, merge_key, true);
}

// mergeSlice.
Result<json::array> MergeSlice(json::array original, json::array patch, const PatchMeta* elem,
                               std::string_view merge_key, bool is_delete_list,
                               std::string_view field_name) {
  if (original.empty() && patch.empty())
    return original;
  KCX_ASSIGN_OR_RETURN(json::kind kind, SliceElementKind(original, patch));
  if (kind == json::kind::object) {
    if (merge_key.empty()) {
      return BadRequest("cannot merge lists without merge key for " + std::string(field_name));
    }
    return MergeMapList(std::move(original), std::move(patch), elem, merge_key);
  }
  if (is_delete_list) {
    // $deleteFromPrimitiveList: drop every occurrence of the listed values.
    std::unordered_set<std::string> drop;
    for (const auto& v : patch)
      drop.insert(ScalarId(v));
    original.erase(std::remove_if(original.begin(), original.end(),
                                  [&](const json::value& v) { return drop.count(ScalarId(v)); }),
                   original.end());
    return original;
  }
  // A union without duplicates, then kube's ordering.
  KCX_ASSIGN_OR_RETURN(auto server_order, ItemIds(original, "", false));
  KCX_ASSIGN_OR_RETURN(auto patch_order, ItemIds(patch, "", false));
  std::unordered_set<std::string> seen;
  json::array merged(original.storage());
  merged.reserve(original.size() + patch.size());
  for (json::array* s : {&original, &patch}) {
    const auto& ids = s == &original ? server_order : patch_order;
    for (size_t i = 0; i < s->size(); ++i) {
      if (seen.insert(ids[i]).second)
        merged.push_back(std::move((*s)[i]));
    }
  }
  return NormalizeElementOrder(std::move(merged), patch_order, server_order, "", false);
}

// mergeSliceHandler: merge lists merge (and deletion lists always do); others are replaced.
Result<json::array> MergeSliceHandler(json::array original, json::array patch,
                                      const PatchField* field, bool is_delete_list) {
  uint8_t strategy = field ? field->strategy : uint8_t{kPatchStrategyNone};
  const PatchMeta* elem = field ? field->type : nullptr;
  if ((strategy & kPatchStrategyMerge) || is_delete_list) {
    return MergeSlice(std::move(original), std::move(patch), elem,
                      field ? std::string_view(field->merge_key) : std::string_view(),
                      is_delete_list, elem ? std::string_view(elem->name()) : "list");
  }
  // Replaced by the patch's list.
  for (auto& v : patch)
    DecodeClean(v);
  return patch;
}

// validatePatchWithSetOrderList: the patch list's items (deletions aside) appear in the
// $setElementOrder list, in the same relative order.
Status ValidatePatchWithSetOrderList(const json::array& patch_list, const json::array& order,
                                     std::string_view merge_key) {
  if (order.empty() || patch_list.empty())
    return Status::Ok();
  std::vector<const json::value*> non_delete;
  for (const auto& v : patch_list) {
    if (!merge_key.empty()) {
      const json::object* o = v.if_object();
      if (!o)
        return ErrBadArgType("map[string]interface {}", v);
      const json::value* d = o->if_contains(kDirectiveMarker);
      if (d && d->is_string() && d->get_string() == "delete")
        continue;
    }
    non_delete.push_back(&v);
  }
  size_t pi = 0, oi = 0;
  while (pi < non_delete.size() && oi < order.size()) {
    const json::value& item = *non_delete[pi];
    if (item.is_object() && item.get_object().contains(kDirectiveMarker)) {
      ++pi;
      continue;
    }
    bool equal;
    if (merge_key.empty()) {
      equal = ScalarId(item) == ScalarId(order[oi]);
    } else {
      KCX_ASSIGN_OR_RETURN(std::string a, ItemId(item, merge_key, true));
      KCX_ASSIGN_OR_RETURN(std::string b, ItemId(order[oi], merge_key, true));
      equal = a == b;
    }
    if (equal)
      ++pi;
    ++oi;
  }
  if (pi < non_delete.size() && oi >= order.size()) {
    return BadRequest("The order in patch list:\n" + GoV(json::value(patch_list)) +
                      "\n doesn't match $setElementOrder list:\n" + GoV(json::value(order)) + "\n");
  }
  return Status::Ok();
}

// mergePatchIntoOriginal: each `$setElementOrder/<field>` with its patch list.
Status MergeSetElementOrder(json::object& original, json::object& patch, const PatchMeta* meta) {
  std::vector<std::pair<std::string, json::value>> orders;
  for (auto it = patch.begin(); it != patch.end();) {
    if (StartsWith(it->key(), kSetElementOrderPrefix)) {
      orders.emplace_back(std::string(it->key()), std::move(it->value()));
      it = patch.stable_erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [key, order_value] : orders) {
    if (!order_value.is_array())
      return ErrBadArgType("[]interface {}", order_value);
    const json::array& order = order_value.get_array();
    std::string field = key.substr(kSetElementOrderPrefix.size());
    json::value* ov = original.if_contains(field);
    json::value* pv = patch.if_contains(field);
    if (ov && !ov->is_array())
      return ErrBadArgType("[]interface {}", *ov);
    if (pv && !pv->is_array())
      return ErrBadArgType("[]interface {}", *pv);
    if (!ov && !pv)
      continue;
    const PatchField* f = meta ? meta->Field(field) : nullptr;
    std::string_view merge_key = f ? std::string_view(f->merge_key) : std::string_view();
    static const json::array kEmpty;
    const json::array& original_list = ov ? ov->get_array() : kEmpty;
    const json::array& patch_list = pv ? pv->get_array() : kEmpty;
    KCX_RETURN_IF_ERROR(ValidatePatchWithSetOrderList(patch_list, order, merge_key));
    KCX_ASSIGN_OR_RETURN(json::kind kind, SliceElementKind(original_list, patch_list));
    bool maps = kind == json::kind::object;
    // The live order, before the merge (as kube keeps it). A list of maps without a merge key
    // (one this server replaces) has no identities to order by: it is taken as merged.
    bool ordered = !(maps && merge_key.empty());
    std::vector<std::string> server_order, patch_order;
    if (ordered) {
      KCX_ASSIGN_OR_RETURN(server_order, ItemIds(original_list, merge_key, maps));
      KCX_ASSIGN_OR_RETURN(patch_order, ItemIds(order, merge_key, maps));
    }
    json::array merged;
    if (ov && !pv) {
      merged = std::move(ov->get_array());
    } else {
      KCX_ASSIGN_OR_RETURN(merged,
                           MergeSliceHandler(ov ? std::move(ov->get_array()) : json::array(),
                                             std::move(pv->get_array()), f, false));
    }
    if (ordered && !merged.empty()) {
      KCX_ASSIGN_OR_RETURN(merged, NormalizeElementOrder(std::move(merged), patch_order,
                                                         server_order, merge_key, maps));
    }
    original[field] = std::move(merged);
    patch.stable_erase(field);
  }
  return Status::Ok();
}

// One key of the patch (after the directives above).
Status MergeField(json::object& original, std::string_view key, json::value patch_value,
                  const PatchMeta* meta, bool is_delete_list) {
  if (patch_value.is_null()) {
    original.stable_erase(key);
    return Status::Ok();
  }
  const PatchField* f = meta ? meta->Field(key) : nullptr;
  auto it = original.find(key);
  if (it == original.end()) {
    if (!is_delete_list)
      SetNew(original, key, std::move(patch_value));
    return Status::Ok();
  }
  json::value& ov = it->value();
  if (ov.is_object() && patch_value.is_object()) {
    if (f && (f->strategy & kPatchStrategyReplace)) {
      ov = std::move(patch_value);
      DecodeClean(ov);
      return Status::Ok();
    }
    return MergeMap(ov.get_object(), std::move(patch_value.get_object()), f ? f->type : nullptr);
  }
  if (ov.is_array() && patch_value.is_array()) {
    KCX_ASSIGN_OR_RETURN(json::array merged,
                         MergeSliceHandler(std::move(ov.get_array()),
                                           std::move(patch_value.get_array()), f, is_delete_list));
    ov = std::move(merged);
    return Status::Ok();
  }
  if (!is_delete_list)
    SetNew(original, key, std::move(patch_value));
  return Status::Ok();
}

// mergeMap.
Status MergeMap(json::object& original, json::object patch, const PatchMeta* meta) {
  if (const json::value* d = patch.if_contains(kDirectiveMarker)) {
    if (d->is_string() && d->get_string() == "replace") {
      json::value v(std::move(patch));
      DecodeClean(v);  // drops the marker too
      original = std::move(v.get_object());
      return Status::Ok();
    }
    if (d->is_string() && d->get_string() == "delete") {
      original.clear();
      return Status::Ok();
    }
    return ErrBadPatchType(*d, patch);
  }

  if (auto it = patch.find(kRetainKeys); it != patch.end()) {
    json::value keys = std::move(it->value());
    patch.stable_erase(it);
    if (!keys.is_array())
      return ErrBadPatchFormatForRetainKeys();
    std::unordered_set<std::string_view> keep;
    for (const auto& k : keys.get_array()) {
      if (k.is_string())
        keep.insert(std::string_view(k.get_string()));
    }
    for (const auto& kv : patch) {
      if (kv.value().is_null() || StartsWith(kv.key(), kDeleteFromPrimitiveListPrefix) ||
          StartsWith(kv.key(), kSetElementOrderPrefix)) {
        continue;
      }
      if (!keep.count(std::string_view(kv.key())))
        return ErrBadPatchFormatForRetainKeys();
    }
    for (auto o = original.begin(); o != original.end();) {
      if (keep.count(std::string_view(o->key()))) {
        ++o;
      } else {
        o = original.stable_erase(o);
      }
    }
  }

  KCX_RETURN_IF_ERROR(MergeSetElementOrder(original, patch, meta));

  // Deletions from primitive lists first, so that a patch that both deletes and adds values
  // of one list gives the same result whatever its key order.
  for (auto& kv : patch) {
    if (!StartsWith(kv.key(), kDeleteFromPrimitiveListPrefix))
      continue;
    std::string_view field =
        std::string_view(kv.key()).substr(kDeleteFromPrimitiveListPrefix.size());
    KCX_RETURN_IF_ERROR(MergeField(original, field, std::move(kv.value()), meta, true));
  }
  for (auto& kv : patch) {
    if (StartsWith(kv.key(), kDeleteFromPrimitiveListPrefix))
      continue;
    KCX_RETURN_IF_ERROR(MergeField(original, kv.key(), std::move(kv.value()), meta, false));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Patch metadata of the built-in types (Kubernetes 1.32 struct tags).

class BuiltinMetas {
 public:
  BuiltinMetas() { Build(); }

  const PatchMeta* Find(std::string_view group, std::string_view kind) const {
    for (const auto& [g, k, m] : kinds_) {
      if (g == group && k == kind)
        return m;
    }
    return nullptr;
  }

 private:
  PatchMeta* New(std::string name) { return &types_.emplace_back(std::move(name)); }
  static void Merge(PatchMeta* t, std::string field, std::string key = "",
                    const PatchMeta* elem = nullptr, uint8_t extra = 0) {
    t->Set(std::move(field),
           PatchField{static_cast<uint8_t>(kPatchStrategyMerge | extra), std::move(key), elem});
  }
  static void Struct(PatchMeta* t, std::string field, const PatchMeta* type,
                     uint8_t strategy = kPatchStrategyNone) {
    t->Set(std::move(field), PatchField{strategy, "", type});
  }
  void Kind(std::string group, std::string kind, const PatchMeta* m) {
    kinds_.push_back({std::move(group), std::move(kind), m});
  }
  // A top-level type with metadata, and optionally spec and status.
  PatchMeta* Top(const std::string& name, const PatchMeta* spec = nullptr,
                 const PatchMeta* status = nullptr) {
    PatchMeta* t = New(name);
    Struct(t, "metadata", object_meta_);
    if (spec)
      Struct(t, "spec", spec);
    if (status)
      Struct(t, "status", status);
    return t;
  }
  // A status whose only patch metadata is conditions merged by type.
  PatchMeta* ConditionsStatus(const std::string& name) {
    PatchMeta* t = New(name);
    Merge(t, "conditions", "type");
    return t;
  }

  void Build() {
    // meta/v1 ObjectMeta.
    PatchMeta* om = object_meta_ = New("ObjectMeta");
    Merge(om, "finalizers");
    Merge(om, "ownerReferences", "uid");

    // core/v1 Container (and EphemeralContainer, which has the same fields).
    PatchMeta* container = New("Container");
    Merge(container, "ports", "containerPort");
    Merge(container, "env", "name");
    Merge(container, "volumeMounts", "mountPath");
    Merge(container, "volumeDevices", "devicePath");

    PatchMeta* resource_status = New("ResourceStatus");
    Merge(resource_status, "resources", "resourceID");
    PatchMeta* container_status = New("ContainerStatus");
    Merge(container_status, "volumeMounts", "mountPath");
    Merge(container_status, "allocatedResourcesStatus", "name", resource_status);

    PatchMeta* pod_spec = New("PodSpec");
    Merge(pod_spec, "volumes", "name", nullptr, kPatchStrategyRetainKeys);
    Merge(pod_spec, "initContainers", "name", container);
    Merge(pod_spec, "containers", "name", container);
    Merge(pod_spec, "ephemeralContainers", "name", container);
    Merge(pod_spec, "imagePullSecrets", "name");
    Merge(pod_spec, "hostAliases", "ip");
    Merge(pod_spec, "topologySpreadConstraints", "topologyKey");
    Merge(pod_spec, "resourceClaims", "name", nullptr, kPatchStrategyRetainKeys);
    Merge(pod_spec, "schedulingGates", "name");

    PatchMeta* pod_status = New("PodStatus");
    Merge(pod_status, "conditions", "type");
    Merge(pod_status, "podIPs", "ip");
    Merge(pod_status, "hostIPs", "ip");
    Merge(pod_status, "resourceClaimStatuses", "name", nullptr, kPatchStrategyRetainKeys);
    Struct(pod_status, "initContainerStatuses", container_status);
    Struct(pod_status, "containerStatuses", container_status);
    Struct(pod_status, "ephemeralContainerStatuses", container_status);

    PatchMeta* pod_template = New("PodTemplateSpec");
    Struct(pod_template, "metadata", object_meta_);
    Struct(pod_template, "spec", pod_spec);

    Kind("", "Pod", Top("Pod", pod_spec, pod_status));
    Kind("", "Namespace", Top("Namespace", nullptr, ConditionsStatus("NamespaceStatus")));

    PatchMeta* service_spec = New("ServiceSpec");
    Merge(service_spec, "ports", "port");
    Kind("", "Service", Top("Service", service_spec, ConditionsStatus("ServiceStatus")));

    Kind("", "Endpoints", Top("Endpoints"));
    Kind("", "ConfigMap", Top("ConfigMap"));
    Kind("", "Secret", Top("Secret"));

    PatchMeta* pvc =
        Top("PersistentVolumeClaim", nullptr, ConditionsStatus("PersistentVolumeClaimStatus"));
    Kind("", "PersistentVolumeClaim", pvc);
    Kind("", "PersistentVolume", Top("PersistentVolume"));

    PatchMeta* sa = Top("ServiceAccount");
    Merge(sa, "secrets", "name");
    Kind("", "ServiceAccount", sa);
    Kind("", "Event", Top("Event"));

    PatchMeta* node_spec = New("NodeSpec");
    Merge(node_spec, "podCIDRs");
    PatchMeta* node_status = ConditionsStatus("NodeStatus");
    Merge(node_status, "addresses", "type");
    Kind("", "Node", Top("Node", node_spec, node_status));

    // apps/v1.
    PatchMeta* sts_spec = New("StatefulSetSpec");
    Struct(sts_spec, "template", pod_template);
    Struct(sts_spec, "volumeClaimTemplates", pvc);  // no strategy: replaced as a whole
    Kind("apps", "StatefulSet",
         Top("StatefulSet", sts_spec, ConditionsStatus("StatefulSetStatus")));

    PatchMeta* deploy_spec = New("DeploymentSpec");
    Struct(deploy_spec, "template", pod_template);
    Struct(deploy_spec, "strategy", nullptr, kPatchStrategyRetainKeys);
    Kind("apps", "Deployment",
         Top("Deployment", deploy_spec, ConditionsStatus("DeploymentStatus")));

    Kind("policy", "PodDisruptionBudget",
         Top("PodDisruptionBudget", nullptr, ConditionsStatus("PodDisruptionBudgetStatus")));
    Kind("coordination.k8s.io", "Lease", Top("Lease"));
    Kind("storage.k8s.io", "StorageClass", Top("StorageClass"));
    Kind("events.k8s.io", "Event", Top("Event"));

    // admissionregistration.k8s.io/v1: webhooks merge by name.
    PatchMeta* mwc = Top("MutatingWebhookConfiguration");
    Merge(mwc, "webhooks", "name");
    Kind("admissionregistration.k8s.io", "MutatingWebhookConfiguration", mwc);
    PatchMeta* vwc = Top("ValidatingWebhookConfiguration");
    Merge(vwc, "webhooks", "name");
    Kind("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", vwc);
    // apiextensions.k8s.io/v1: no patch strategies (conditions merge by type in status).
    Kind("apiextensions.k8s.io", "CustomResourceDefinition",
         Top("CustomResourceDefinition", nullptr,
             ConditionsStatus("CustomResourceDefinitionStatus")));
  }

  std::deque<PatchMeta> types_;  // stable addresses
  struct KindEntry {
    std::string group, kind;
    const PatchMeta* meta;
  };
  std::vector<KindEntry> kinds_;
  PatchMeta* object_meta_ = nullptr;
};

}  // namespace

const PatchMeta* BuiltinPatchMeta(std::string_view group, std::string_view kind) {
  static const BuiltinMetas* metas = new BuiltinMetas();
  return metas->Find(group, kind);
}

Result<json::value> ApplyStrategicMergePatch(const json::value& original, const json::value& patch,
                                             const PatchMeta* meta) {
  if (!patch.is_object()) {
    std::string_view what = patch.is_array()    ? "array"
                            : patch.is_string() ? "string"
                            : patch.is_bool()   ? "bool"
                            : patch.is_null()   ? "null"
                                                : "number";
    if (!patch.is_null()) {
      return BadRequest("json: cannot unmarshal " + std::string(what) +
                        " into Go value of type map[string]interface {}");
    }
  }
  json::object result;
  if (const json::object* o = original.if_object())
    result = *o;
  if (patch.is_null())
    return json::value(std::move(result));
  KCX_RETURN_IF_ERROR(MergeMap(result, patch.get_object(), meta));
  return json::value(std::move(result));
}

}  // namespace kcx::api
