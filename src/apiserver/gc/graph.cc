#include "apiserver/gc/graph.h"

#include <algorithm>

#include "api/json.h"
#include "apiserver/gc/deletion_policy.h"

namespace kcx::apiserver::gc {

namespace json = boost::json;

MetaSummary SummarizeMeta(const json::object& obj) {
  MetaSummary m;
  const json::object* meta = api::GetObject(obj, "metadata");
  if (!meta)
    return m;
  m.uid = std::string(api::GetString(*meta, "uid"));
  m.ns = std::string(api::GetString(*meta, "namespace"));
  m.name = std::string(api::GetString(*meta, "name"));
  m.deleting = !api::GetString(*meta, "deletionTimestamp").empty();
  if (const json::array* f = api::GetArray(*meta, "finalizers")) {
    for (const auto& x : *f) {
      if (!x.is_string()) continue;
      std::string_view s = x.get_string();
      m.orphan_finalizer |= s == kFinalizerOrphan;
      m.foreground_finalizer |= s == kFinalizerForeground;
    }
  }
  if (const json::array* refs = api::GetArray(*meta, "ownerReferences")) {
    m.owners.reserve(refs->size());
    for (const auto& r : *refs) {
      const json::object* o = r.if_object();
      if (!o)
        continue;
      OwnerRef ref;
      ref.api_version = std::string(api::GetString(*o, "apiVersion"));
      ref.kind = std::string(api::GetString(*o, "kind"));
      ref.name = std::string(api::GetString(*o, "name"));
      ref.uid = std::string(api::GetString(*o, "uid"));
      auto c = o->find("controller");
      ref.controller = c != o->end() && c->value().is_bool() && c->value().get_bool();
      auto b = o->find("blockOwnerDeletion");
      ref.block_owner_deletion = b != o->end() && b->value().is_bool() && b->value().get_bool();
      if (ref.uid.empty())
        continue;  // validation rejects these; never index them
      m.owners.push_back(std::move(ref));
    }
  }
  return m;
}

namespace {

const OwnerRef* FindRef(const std::vector<OwnerRef>& refs, const std::string& uid) {
  for (const auto& r : refs) {
    if (r.uid == uid)
      return &r;
  }
  return nullptr;
}

}  // namespace

void Graph::Upsert(const void* resource, const MetaSummary& m, GraphWork& out) {
  if (m.uid.empty())
    return;
  auto it = nodes_.find(m.uid);
  bool wants_node = !m.owners.empty() || m.DeletingDependents() || m.Orphaning();
  if (it == nodes_.end()) {
    if (!wants_node)
      return;
    it = nodes_.emplace(m.uid, Node{}).first;
  }
  Node& n = it->second;
  n.resource = resource;
  n.ns = m.ns;
  n.name = m.name;

  // Owner references that went away or stopped blocking: an owner waiting for its blocking
  // dependents may be able to finish now.
  for (const OwnerRef& old : n.owners) {
    const OwnerRef* now = FindRef(m.owners, old.uid);
    if (!now) {
      auto d = dependents_.find(old.uid);
      if (d != dependents_.end()) {
        d->second.erase(m.uid);
        if (d->second.empty())
          dependents_.erase(d);
      }
    }
    if (!now || (old.block_owner_deletion && !now->block_owner_deletion)) {
      auto o = nodes_.find(old.uid);
      if (o != nodes_.end() && o->second.deleting_dependents) {
        out.attempt_to_delete.push_back(old.uid);
      }
    }
  }
  bool added = false;
  for (const OwnerRef& r : m.owners) {
    if (!FindRef(n.owners, r.uid)) {
      dependents_[r.uid].insert(m.uid);
      added = true;
    }
  }
  n.owners = m.owners;
  // A new reference: verify that its owner exists (and is not waiting for its dependents).
  if (added)
    out.attempt_to_delete.push_back(m.uid);

  if (m.DeletingDependents() && !n.deleting_dependents) {
    if (auto d = dependents_.find(m.uid); d != dependents_.end()) {
      for (const auto& dep : d->second)
        out.attempt_to_delete.push_back(dep);
    }
    out.attempt_to_delete.push_back(m.uid);
  }
  if (m.Orphaning() && !n.orphaning)
    out.attempt_to_orphan.push_back(m.uid);
  n.deleting = m.deleting;
  n.deleting_dependents = m.DeletingDependents();
  n.orphaning = m.Orphaning();
  if (!wants_node)
    nodes_.erase(it);
}

void Graph::Unlink(const std::string& uid, const Node& n, GraphWork& out) {
  for (const OwnerRef& r : n.owners) {
    auto d = dependents_.find(r.uid);
    if (d != dependents_.end()) {
      d->second.erase(uid);
      if (d->second.empty())
        dependents_.erase(d);
    }
    auto o = nodes_.find(r.uid);
    if (o != nodes_.end() && o->second.deleting_dependents) {
      out.attempt_to_delete.push_back(r.uid);
    }
  }
}

void Graph::Remove(const std::string& uid, GraphWork& out) {
  if (uid.empty())
    return;
  if (auto it = nodes_.find(uid); it != nodes_.end()) {
    Unlink(uid, it->second, out);
    nodes_.erase(it);
  }
  // Its dependents lost an owner: each is checked (and collected once no owner remains).
  if (auto d = dependents_.find(uid); d != dependents_.end()) {
    for (const auto& dep : d->second)
      out.attempt_to_delete.push_back(dep);
  }
}

void Graph::RemoveResource(const void* resource) {
  GraphWork ignored;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (it->second.resource == resource) {
      Unlink(it->first, it->second, ignored);
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
}

const Graph::Node* Graph::Find(const std::string& uid) const {
  auto it = nodes_.find(uid);
  return it == nodes_.end() ? nullptr : &it->second;
}

const std::unordered_set<std::string>* Graph::Dependents(const std::string& owner_uid) const {
  auto it = dependents_.find(owner_uid);
  return it == dependents_.end() ? nullptr : &it->second;
}

std::vector<std::string> Graph::BlockingDependents(const std::string& owner_uid) const {
  std::vector<std::string> out;
  const auto* deps = Dependents(owner_uid);
  if (!deps)
    return out;
  for (const auto& dep : *deps) {
    const Node* n = Find(dep);
    if (!n)
      continue;
    const OwnerRef* r = FindRef(n->owners, owner_uid);
    if (r && r->block_owner_deletion)
      out.push_back(dep);
  }
  return out;
}

Decision DecideDependent(const MetaSummary& item, const std::vector<OwnerState>& states,
                         bool has_dependents, bool dependent_deleting_dependents) {
  Decision d;
  if (item.owners.empty())
    return d;
  bool solid = false, waiting = false;
  for (size_t i = 0; i < item.owners.size() && i < states.size(); ++i) {
    switch (states[i]) {
      case OwnerState::kUnresolvable:
        // kube gives up on the item (retrying only when the kind may become served).
        return Decision{};
      case OwnerState::kSolid:
        solid = true;
        break;
      case OwnerState::kDangling:
        d.remove_uids.push_back(item.owners[i].uid);
        break;
      case OwnerState::kWaiting:
        waiting = true;
        d.remove_uids.push_back(item.owners[i].uid);
        break;
    }
  }
  if (solid) {
    // A live owner keeps the object; references to absent owners and to owners waiting for
    // their dependents are dropped so that those owners do not wait on it.
    if (!d.remove_uids.empty())
      d.kind = Decision::kRemoveRefs;
    return d;
  }
  d.remove_uids.clear();
  if (waiting && has_dependents) {
    // The object blocks an owner's foreground deletion and has dependents of its own: delete
    // it in the foreground too, unblocking first when a dependent waits on it (cycle hint).
    d.kind = dependent_deleting_dependents ? Decision::kUnblockAndDeleteForeground
                                           : Decision::kDeleteForeground;
    d.policy = "Foreground";
    return d;
  }
  d.kind = Decision::kDelete;
  if (item.orphan_finalizer) {
    d.policy = "Orphan";
  } else if (item.foreground_finalizer) {
    d.policy = "Foreground";
  } else {
    d.policy = "Background";
  }
  return d;
}

}  // namespace kcx::apiserver::gc
