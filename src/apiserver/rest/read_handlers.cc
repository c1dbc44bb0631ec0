// Get, list and watch.

#include <random>

#include "api/continue_token.h"
#include "api/field_selector.h"
#include "api/json.h"
#include "api/label_selector.h"
#include "apiserver/rest/object_util.h"
#include "apiserver/rest/rest_handler.h"
#include "apiserver/rest/status_json.h"
#include "apiserver/rest/table.h"
#include "common/strings.h"

namespace kcx::apiserver {

namespace json = boost::json;

namespace {

// Builds the record filter for a list or watch: namespace, label and field selectors.
Result<RecordFilter> BuildFilter(const Request& req, const RequestScope& s) {
  RecordFilter f;
  if (s.entry->info->namespaced && s.has_ns) f.ns = s.ns;
  KCX_ASSIGN_OR_RETURN(api::LabelSelector ls, api::LabelSelector::Parse(req.Query("labelSelector")));
  KCX_ASSIGN_OR_RETURN(api::FieldSelector fs, api::FieldSelector::Parse(req.Query("fieldSelector")));
  ResourceEntry* e = s.entry;
  for (const auto& r : fs.Requirements()) {
    if (r.field == "metadata.name" || r.field == "metadata.namespace") continue;
    bool known = false;
    for (const auto& l : e->info->field_labels) known |= l == r.field;
    if (!known) {
      return BadRequest("field label not supported: " + r.field);
    }
  }
  if (auto n = fs.RequiresExactMatch("metadata.name")) f.name = *n;
  if (auto n = fs.RequiresExactMatch("metadata.namespace")) {
    if (f.ns && *f.ns != *n) {
      f.name = std::string("\x01");  // contradictory: matches nothing
    } else if (e->info->namespaced) {
      f.ns = *n;
    }
  }
  bool has_ls = !ls.Empty();
  bool has_fs = !fs.Empty();
  if (has_ls || has_fs) {
    f.extra = [ls = std::move(ls), fs = std::move(fs), has_ls, has_fs, e](const Record& r) {
      if (has_ls && !ls.Matches(r.labels)) return false;
      if (has_fs && !fs.Matches([&](std::string_view field) { return RecordField(*e, r, field); })) {
        return false;
      }
      return true;
    };
  }
  return f;
}

Result<uint64_t> ParseRv(std::string_view v) {
  if (v.empty()) return uint64_t{0};
  uint64_t out = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || out > (UINT64_MAX - 9) / 10) {
      return BadRequest("invalid resource version \"" + std::string(v) + "\"");
    }
    out = out * 10 + (c - '0');
  }
  return out;
}

std::string ListKind(const ResourceEntry& e) {
  return e.info->list_kind.empty() ? e.info->kind + "List" : e.info->list_kind;
}

std::string BookmarkJson(const ResourceEntry& e, uint64_t rv, bool initial_end) {
  json::object meta{{"resourceVersion", std::to_string(rv)}, {"creationTimestamp", nullptr}};
  if (initial_end) meta["annotations"] = json::object{{"k8s.io/initial-events-end", "true"}};
  return json::serialize(json::object{{"kind", e.info->kind},
                                      {"apiVersion", e.group_version},
                                      {"metadata", std::move(meta)}});
}

// Streams a registered Watcher as JSON lines, optionally converting objects to Tables.
class RestWatchStream : public WatchStream {
 public:
  RestWatchStream(ResourceEntry* e, WatcherPtr w, int timeout_s, OutputKind kind,
                  IncludeObject include, Clock* clock)
      : e_(e), w_(std::move(w)), timeout_s_(timeout_s), kind_(kind), include_(include),
        clock_(clock) {}
  ~RestWatchStream() override { Stop(); }

  void SetWakeup(std::function<void()> wake) override { w_->SetWakeup(std::move(wake)); }
  int TimeoutSeconds() const override { return timeout_s_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    e_->store->Unwatch(w_);
    w_->Close("stopped");
  }

  bool Next(std::vector<std::shared_ptr<const std::string>>& out) override {
    static const auto kPrefixes = [] {
      std::array<std::shared_ptr<const std::string>, 5> p;
      for (int i = 0; i < 5; ++i) {
        p[i] = std::make_shared<const std::string>(
            "{\"type\":\"" + std::string(EventTypeName(static_cast<EventType>(i))) +
            "\",\"object\":");
      }
      return p;
    }();
    static const auto kSuffix = std::make_shared<const std::string>("}\n");
    bool closed = w_->Closed();
    std::vector<WatchItem> items = w_->Drain();
    for (WatchItem& it : items) {
      const auto& prefix = kPrefixes[static_cast<int>(it.type)];
      if (!it.obj) {  // bookmark or error: raw JSON
        out.push_back(prefix);
        out.push_back(std::make_shared<const std::string>(std::move(it.raw)));
        out.push_back(kSuffix);
        continue;
      }
      if (kind_ == OutputKind::kJson && it.rv == it.obj->rv && !e_->NeedsConversion()) {
        // Zero-copy: the frame aliases the stored record's JSON.
        out.push_back(prefix);
        out.push_back(std::shared_ptr<const std::string>(it.obj, &it.obj->json));
        out.push_back(kSuffix);
        continue;
      }
      auto parsed = api::ParseJson(it.obj->json);
      if (!parsed.ok() || !parsed->is_object()) continue;
      json::object& obj = parsed->get_object();
      if (e_->NeedsConversion()) obj["apiVersion"] = e_->group_version;
      if (it.rv != it.obj->rv) {
        api::EnsureObject(obj, "metadata")["resourceVersion"] = std::to_string(it.rv);
      }
      std::string body;
      if (kind_ == OutputKind::kTable) {
        std::vector<json::object> one{obj};
        body = json::serialize(MakeTable(*e_, one, include_, clock_->WallNow(),
                                         std::to_string(it.rv), "", true));
      } else if (kind_ == OutputKind::kPartialMetadata) {
        body = json::serialize(PartialObjectMetadata(obj));
      } else {
        body = json::serialize(obj);
      }
      out.push_back(prefix);
      out.push_back(std::make_shared<const std::string>(std::move(body)));
      out.push_back(kSuffix);
    }
    return !closed;
  }

 private:
  ResourceEntry* e_;
  WatcherPtr w_;
  int timeout_s_;
  OutputKind kind_;
  IncludeObject include_;
  Clock* clock_;
  std::atomic<bool> stopped_{false};
};

Response NotAcceptableResponse() {
  return ErrorResponse(Status(Reason::kNotAcceptable,
                              "only the following media types are accepted: application/json, "
                              "application/json;as=Table;v=v1;g=meta.k8s.io"));
}

// A watch that immediately reports one error event (e.g. 410 too old resource version).
class ErrorWatchStream : public WatchStream {
 public:
  explicit ErrorWatchStream(const Status& s)
      : frame_(std::make_shared<const std::string>(
            "{\"type\":\"ERROR\",\"object\":" + json::serialize(StatusObject(s)) + "}\n")) {}
  void SetWakeup(std::function<void()> wake) override { wake(); }
  bool Next(std::vector<std::shared_ptr<const std::string>>& out) override {
    if (frame_) out.push_back(std::move(frame_));
    return false;
  }
  int TimeoutSeconds() const override { return 5; }
  void Stop() override {}

 private:
  std::shared_ptr<const std::string> frame_;
};

}  // namespace

void RestHandler::Get(const Request& req, const RequestScope& s, Responder& respond) {
  OutputKind kind = NegotiateOutput(req.accept, false);
  if (kind == OutputKind::kUnacceptable) {
    respond(NotAcceptableResponse());
    return;
  }
  RecordPtr r = s.entry->store->Get(s.entry->Key(s.ns, s.name));
  if (!r) {
    respond(ErrorResponse(NotFoundError(*s.entry, s.name)));
    return;
  }
  Response resp;
  if (kind == OutputKind::kJson) {
    resp.body = s.entry->NeedsConversion() ? ConvertStoredJson(*s.entry, r->json) : r->json;
  } else {
    auto v = api::ParseJson(r->json);
    if (!v.ok() || !v->is_object()) {
      respond(ErrorResponse(Internal("stored object is corrupt")));
      return;
    }
    if (s.entry->NeedsConversion()) v->get_object()["apiVersion"] = s.entry->group_version;
    if (kind == OutputKind::kTable) {
      std::vector<json::object> one{v->get_object()};
      resp.body = json::serialize(MakeTable(*s.entry, one,
                                            ParseIncludeObject(req.Query("includeObject")),
                                            clock_->WallNow(), std::to_string(r->rv), ""));
      resp.content_type = kTableContentType;
    } else {
      resp.body = json::serialize(PartialObjectMetadata(v->get_object()));
    }
  }
  respond(std::move(resp));
}

void RestHandler::List(const Request& req, const RequestScope& s, Responder& respond) {
  OutputKind kind = NegotiateOutput(req.accept, true);
  if (kind == OutputKind::kUnacceptable) {
    respond(NotAcceptableResponse());
    return;
  }
  auto filter = BuildFilter(req, s);
  if (!filter.ok()) {
    respond(ErrorResponse(filter.status()));
    return;
  }
  auto rv_param = ParseRv(req.Query("resourceVersion"));
  if (!rv_param.ok()) {
    respond(ErrorResponse(rv_param.status()));
    return;
  }
  std::string_view match = req.Query("resourceVersionMatch");
  std::string_view limit_s = req.Query("limit");
  size_t limit = 0;
  if (!limit_s.empty()) {
    auto l = ParseRv(limit_s);
    if (!l.ok()) {
      respond(ErrorResponse(BadRequest("invalid limit \"" + std::string(limit_s) + "\"")));
      return;
    }
    limit = *l;
  }
  std::string_view cont = req.Query("continue");
  uint64_t at_rv = 0;
  std::string start;
  if (!cont.empty()) {
    if (!req.Query("resourceVersion").empty() && req.Query("resourceVersion") != "0") {
      respond(ErrorResponse(
          BadRequest("specifying resource version is not allowed when using continue")));
      return;
    }
    auto tok = api::DecodeContinue(cont);
    if (!tok.ok()) {
      respond(ErrorResponse(tok.status()));
      return;
    }
    at_rv = tok->resource_version;
    start = tok->start_key;
  } else if (match == "Exact") {
    if (*rv_param == 0) {
      respond(ErrorResponse(Invalid(
          "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for "
          "resourceVersion \"0\"")));
      return;
    }
    at_rv = *rv_param;
  } else if (match == "NotOlderThan" || match.empty()) {
    if (match == "NotOlderThan" && req.Query("resourceVersion").empty()) {
      respond(ErrorResponse(Invalid(
          "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
          "resourceVersion is provided")));
      return;
    }
  } else {
    respond(ErrorResponse(BadRequest("invalid resourceVersionMatch \"" + std::string(match) +
                                     "\": must be one of Exact, NotOlderThan")));
    return;
  }
  auto result = s.entry->store->List(*filter, at_rv, start, limit);
  if (!result.ok()) {
    Status st = result.status();
    if (!cont.empty() && st.reason() == Reason::kExpired) {
      st = Expired(
          "The provided continue parameter is too old to display a consistent list result. You "
          "can start a new list without the continue parameter, or use the continue token in "
          "this response to retrieve the remainder of the results. Continuing with the provided "
          "token results in an inconsistent list - objects that were created, modified, or "
          "deleted between the time the first chunk was returned and now may show up in the "
          "list.");
    }
    respond(ErrorResponse(st));
    return;
  }
  // NotOlderThan a version the server has not reached yet: kube-apiserver waits up to 3 s and
  // then answers 504 "Too large resource version"; writes here become visible within
  // milliseconds of their acknowledgement, so answer at once.
  if (!at_rv && *rv_param > result->rv) {
    Status st = Timeout("Too large resource version: " + std::to_string(*rv_param) +
                        ", current: " + std::to_string(result->rv));
    st.mutable_details().retry_after_seconds = 1;
    respond(ErrorResponse(st));
    return;
  }
  std::string rv_str = std::to_string(result->rv);
  std::string next;
  if (result->next) next = api::EncodeContinue(result->rv, *result->next);

  Response resp;
  if (kind == OutputKind::kJson) {
    size_t total = 128 + next.size();
    for (const auto& r : result->items) total += r->json.size() + 1;
    std::string& b = resp.body;
    b.reserve(total);
    b += "{\"kind\":\"";
    b += ListKind(*s.entry);
    b += "\",\"apiVersion\":\"";
    b += s.entry->group_version;
    b += "\",\"metadata\":{\"resourceVersion\":\"";
    b += rv_str;
    b += '"';
    if (!next.empty()) {
      b += ",\"continue\":\"";
      b += next;
      b += '"';
      if (result->remaining >= 0) {
        b += ",\"remainingItemCount\":";
        b += std::to_string(result->remaining);
      }
    }
    b += "},\"items\":[";
    for (size_t i = 0; i < result->items.size(); ++i) {
      if (i) b += ',';
      if (s.entry->NeedsConversion()) {
        b += ConvertStoredJson(*s.entry, result->items[i]->json);
      } else {
        b += result->items[i]->json;
      }
    }
    b += "]}";
  } else {
    std::vector<json::object> objs;
    objs.reserve(result->items.size());
    for (const auto& r : result->items) {
      auto v = api::ParseJson(r->json);
      if (!v.ok() || !v->is_object()) continue;
      if (s.entry->NeedsConversion()) v->get_object()["apiVersion"] = s.entry->group_version;
      objs.push_back(std::move(v->get_object()));
    }
    if (kind == OutputKind::kTable) {
      resp.body = json::serialize(MakeTable(*s.entry, objs,
                                            ParseIncludeObject(req.Query("includeObject")),
                                            clock_->WallNow(), rv_str, next));
      resp.content_type = kTableContentType;
    } else {
      json::array items;
      for (const auto& o : objs) items.push_back(PartialObjectMetadata(o));
      json::object meta{{"resourceVersion", rv_str}};
      if (!next.empty()) meta["continue"] = next;
      resp.body = json::serialize(json::object{{"kind", "PartialObjectMetadataList"},
                                               {"apiVersion", "meta.k8s.io/v1"},
                                               {"metadata", std::move(meta)},
                                               {"items", std::move(items)}});
    }
  }
  respond(std::move(resp));
}

void RestHandler::Watch(const Request& req, const RequestScope& s, Responder& respond) {
  OutputKind kind = NegotiateOutput(req.accept, false);
  if (kind == OutputKind::kUnacceptable) {
    respond(NotAcceptableResponse());
    return;
  }
  auto filter = BuildFilter(req, s);
  if (!filter.ok()) {
    respond(ErrorResponse(filter.status()));
    return;
  }
  if (!s.name.empty()) filter->name = s.name;  // legacy /watch/.../name
  std::string_view rv_s = req.Query("resourceVersion");
  auto rv = ParseRv(rv_s);
  if (!rv.ok()) {
    respond(ErrorResponse(rv.status()));
    return;
  }
  std::string_view sie = req.Query("sendInitialEvents");
  bool send_initial = req.QueryBool("sendInitialEvents");
  if (send_initial) {
    if (req.Query("resourceVersionMatch") != "NotOlderThan") {
      respond(ErrorResponse(Invalid(
          "resourceVersionMatch: Forbidden: sendInitialEvents requires setting "
          "resourceVersionMatch to NotOlderThan")));
      return;
    }
    if (!req.QueryBool("allowWatchBookmarks")) {
      respond(ErrorResponse(Invalid(
          "allowWatchBookmarks: Forbidden: sendInitialEvents requires allowWatchBookmarks")));
      return;
    }
  }
  int timeout = 0;
  std::string_view ts = req.Query("timeoutSeconds");
  if (!ts.empty()) {
    auto t = ParseRv(ts);
    if (!t.ok()) {
      respond(ErrorResponse(BadRequest("invalid timeoutSeconds")));
      return;
    }
    timeout = static_cast<int>(std::min<uint64_t>(*t, 1u << 30));
  }
  if (timeout <= 0) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    timeout = opts_.min_request_timeout_s +
              std::uniform_int_distribution<int>(0, opts_.min_request_timeout_s - 1)(rng);
  }
  bool initial = rv_s.empty() || rv_s == "0" || send_initial;
  if (!sie.empty() && !send_initial) initial = false;
  uint64_t from = initial ? 0 : *rv;
  // sendInitialEvents=false without a resourceVersion: start at the most recent version.
  if (!initial && rv_s.empty()) from = s.entry->store->CurrentRv();

  auto w = std::make_shared<Watcher>(std::move(*filter), initial ? 0 : from, 64u << 20);
  w->allow_bookmarks = req.QueryBool("allowWatchBookmarks");
  ResourceEntry* e = s.entry;
  std::function<std::string(uint64_t)> end_bookmark;
  if (send_initial) end_bookmark = [e](uint64_t v) { return BookmarkJson(*e, v, true); };
  Status st = e->store->Watch(w, initial, from, end_bookmark);
  Response resp;
  resp.content_type = kind == OutputKind::kTable ? kTableContentType : "application/json";
  if (!st.ok()) {
    resp.watch = std::make_shared<ErrorWatchStream>(st);
  } else {
    resp.watch = std::make_shared<RestWatchStream>(
        e, w, timeout, kind, ParseIncludeObject(req.Query("includeObject")), clock_);
  }
  respond(std::move(resp));
}

std::string MakeBookmarkJson(const ResourceEntry& e, uint64_t rv) {
  return BookmarkJson(e, rv, false);
}

}  // namespace kcx::apiserver
