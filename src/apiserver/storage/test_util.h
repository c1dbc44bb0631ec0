#pragma once

// Helpers shared by the storage tests.

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>

#include "apiserver/storage/backend.h"

namespace kcx::apiserver::testing {

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/kcx-storage-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct Loaded {
  Status status;
  uint64_t max_rv = 0;
  std::map<std::string, StoredRecord> records;
};

inline Loaded LoadAll(Backend& b) {
  Loaded out;
  auto r = b.Load([&](StoredRecord&& rec) {
    std::string key = rec.key;
    out.records.emplace(std::move(key), std::move(rec));
  });
  if (!r.ok()) {
    out.status = r.status();
  } else {
    out.max_rv = *r;
  }
  return out;
}

}  // namespace kcx::apiserver::testing
