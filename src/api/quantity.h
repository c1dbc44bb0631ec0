#pragma once

// resource.Quantity (k8s.io/apimachinery/pkg/api/resource/quantity.go): "1.5Gi", "500m",
// "1e3". Parsing follows ParseQuantity (including rounding up to 1n and the cap at 2^63-1 on
// its slow path) and String() prints what Quantity.String() prints, so values round-trip
// through kcx exactly as through kube-apiserver ("1.5Gi" -> "1536Mi", "0.5" -> "500m").
//
// Known divergence: Go prints a DecimalSI value whose exponent has no SI suffix (only
// reachable with inputs like "1000E") without any suffix, silently changing the value; we
// print exponent form ("1e21") instead.
//
// Thread-safety: a value type; const methods may be called concurrently.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kcx::api {

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  // Zero ("0"), DecimalSI.
  Quantity() = default;
  // resource.NewQuantity(value, format).
  static Quantity FromInt64(int64_t value, Format format = Format::kDecimalSI);
  // resource.NewMilliQuantity(milli, format).
  static Quantity FromMilli(int64_t milli, Format format = Format::kDecimalSI);

  // BadRequest with apimachinery's messages for malformed input:
  //   "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
  //   "unable to parse quantity's suffix"
  static Result<Quantity> Parse(std::string_view s);

  // What Quantity.String() returns (the input itself when it was already canonical).
  std::string String() const;

  Format format() const { return format_; }
  bool IsZero() const { return unscaled_ == 0; }
  int Sign() const { return unscaled_ < 0 ? -1 : unscaled_ > 0 ? 1 : 0; }

  // -1, 0, 1 by numeric value (format is ignored, as Quantity.Cmp does).
  int Compare(const Quantity& other) const;
  bool operator==(const Quantity& o) const { return Compare(o) == 0; }
  std::strong_ordering operator<=>(const Quantity& o) const { return Compare(o) <=> 0; }

  // Quantity.Value(): the value rounded up (away from zero) to an integer; saturates at the
  // int64 range.
  int64_t Value() const { return ScaledValue(0); }
  // Quantity.MilliValue().
  int64_t MilliValue() const { return ScaledValue(-3); }
  // value / 10^scale rounded up (away from zero), saturating.
  int64_t ScaledValue(int32_t scale) const;
  // The exact integer value if it is one and fits in int64 (e.g. bytes of a PVC size).
  std::optional<int64_t> AsInt64() const;

 private:
  Quantity(__int128 unscaled, int32_t exp, Format format);
  void Normalize();

  // value = unscaled_ * 10^exp_, trailing zeros of unscaled_ moved into exp_.
  __int128 unscaled_ = 0;
  int32_t exp_ = 0;
  Format format_ = Format::kDecimalSI;
  // The input string when ParseQuantity would keep it (already canonical).
  std::string original_;
};

}  // namespace kcx::api
