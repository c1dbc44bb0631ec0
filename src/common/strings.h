#pragma once

// Small string helpers shared by every module: time formats, base64, random identifiers.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kcx {

// RFC 3339 in UTC with second precision ("2026-11-25T17:00:00Z"), as metav1.Time.
std::string FormatRfc3339(std::chrono::system_clock::time_point t);
// RFC 3339 in UTC with microseconds ("2026-11-25T17:00:00.123456Z"), as metav1.MicroTime.
std::string FormatRfc3339Micro(std::chrono::system_clock::time_point t);
// Parses both forms above, and numeric offsets ("+09:00"). nullopt on malformed input.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view s);

std::string Base64Encode(std::string_view in);
// The whole content of a file, nullopt if it cannot be read.
std::optional<std::string> ReadWholeFile(const std::string& path);
// Standard alphabet with padding; also accepts missing padding. nullopt on bad input.
std::optional<std::string> Base64Decode(std::string_view in);
std::string Base64UrlEncode(std::string_view in);  // no padding
std::optional<std::string> Base64UrlDecode(std::string_view in);

// Cryptographically random bytes from OpenSSL's RAND_bytes.
std::string RandomBytes(size_t n);
// n random characters from [a-z0-9] without vowels-free tricks: like Kubernetes' generateName
// suffix alphabet "bcdfghjklmnpqrstvwxz2456789".
std::string RandomSuffix(size_t n);
// A random RFC 4122 version 4 UUID, lower-case.
std::string NewUuid();
std::string HexEncode(std::string_view in);

std::vector<std::string_view> Split(std::string_view s, char sep);
std::string_view Trim(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);

}  // namespace kcx
