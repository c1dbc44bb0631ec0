#include "api/quantity.h"

#include <algorithm>
#include <vector>

namespace kcx::api {
namespace {

using i128 = __int128;

constexpr std::string_view kErrFormatWrong =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kErrSuffix = "unable to parse quantity's suffix";

constexpr int64_t kMaxInt64 = INT64_MAX;
constexpr i128 kNanosPerUnit = 1000000000;
constexpr i128 kMaxNanos = static_cast<i128>(kMaxInt64) * kNanosPerUnit;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

i128 Pow10(int n) {
  i128 r = 1;
  for (int i = 0; i < n; ++i)
    r *= 10;
  return r;
}

int DigitCount(i128 v) {
  if (v < 0)
    v = -v;
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

std::string ToString(i128 v) {
  if (v == 0)
    return "0";
  bool neg = v < 0;
  // Magnitudes here are far below 2^127, so negation cannot overflow.
  if (neg)
    v = -v;
  std::string s;
  while (v > 0) {
    s += static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  if (neg)
    s += '-';
  std::reverse(s.begin(), s.end());
  return s;
}

struct Suffix {
  int base;  // 10 or 2
  int32_t exponent;
  Quantity::Format format;
};

std::optional<Suffix> InterpretSuffix(std::string_view s) {
  static constexpr std::pair<std::string_view, int32_t> kDecimal[] = {
      {"n", -9}, {"u", -6}, {"m", -3}, {"", 0},   {"k", 3},
      {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18},
  };
  static constexpr std::pair<std::string_view, int32_t> kBinary[] = {
      {"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60},
  };
  for (const auto& [suf, e] : kDecimal) {
    if (s == suf)
      return Suffix{10, e, Quantity::Format::kDecimalSI};
  }
  for (const auto& [suf, e] : kBinary) {
    if (s == suf)
      return Suffix{2, e, Quantity::Format::kBinarySI};
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    // strconv.ParseInt(s[1:], 10, 64): optional sign, then digits.
    std::string_view d = s.substr(1);
    bool neg = false;
    if (d[0] == '+' || d[0] == '-') {
      neg = d[0] == '-';
      d.remove_prefix(1);
    }
    if (d.empty() || d.size() > 9)
      return std::nullopt;  // beyond int32: reject
    int32_t v = 0;
    for (char c : d) {
      if (!IsDigit(c))
        return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return Suffix{10, neg ? -v : v, Quantity::Format::kDecimalExponent};
  }
  return std::nullopt;
}

std::string_view DecimalSuffix(int32_t e) {
  switch (e) {
    case -9:
      return "n";
    case -6:
      return "u";
    case -3:
      return "m";
    case 0:
      return "";
    case 3:
      return "k";
    case 6:
      return "M";
    case 9:
      return "G";
    case 12:
      return "T";
    case 15:
      return "P";
    case 18:
      return "E";
    default:
      return "?";
  }
}

// Multiplies a decimal digit string (most significant first) by 2, in place.
void DoubleDigits(std::string& d) {
  int carry = 0;
  for (size_t i = d.size(); i-- > 0;) {
    int v = (d[i] - '0') * 2 + carry;
    d[i] = static_cast<char>('0' + v % 10);
    carry = v / 10;
  }
  if (carry)
    d.insert(d.begin(), static_cast<char>('0' + carry));
}

// Parses up to 38 decimal digits.
i128 ParseDigits(std::string_view d) {
  i128 v = 0;
  for (char c : d)
    v = v * 10 + (c - '0');
  return v;
}

}  // namespace

Quantity::Quantity(i128 unscaled, int32_t exp, Format format)
    : unscaled_(unscaled), exp_(exp), format_(format) {
  Normalize();
}

void Quantity::Normalize() {
  if (unscaled_ == 0) {
    exp_ = 0;
    return;
  }
  while (unscaled_ % 10 == 0) {
    unscaled_ /= 10;
    ++exp_;
  }
}

Quantity Quantity::FromInt64(int64_t value, Format format) { return Quantity(value, 0, format); }
Quantity Quantity::FromMilli(int64_t milli, Format format) { return Quantity(milli, -3, format); }

Result<Quantity> Quantity::Parse(std::string_view str) {
  if (str.empty())
    return BadRequest(std::string(kErrFormatWrong));
  if (str == "0") {
    Quantity q;
    q.original_ = "0";
    return q;
  }

  // parseQuantityString
  bool positive = true;
  size_t pos = 0;
  const size_t end = str.size();
  std::string_view num, denom, suffix;
  if (str[0] == '-') {
    positive = false;
    ++pos;
  } else if (str[0] == '+') {
    ++pos;
  }
  while (pos < end && str[pos] == '0')
    ++pos;
  if (pos >= end) {
    num = "0";
  } else {
    size_t i = pos;
    while (i < end && IsDigit(str[i]))
      ++i;
    num = str.substr(pos, i - pos);
    pos = i;
    if (num.empty())
      num = "0";
    bool done = pos >= end;
    if (!done && str[pos] == '.') {
      ++pos;
      i = pos;
      while (i < end && IsDigit(str[i]))
        ++i;
      denom = str.substr(pos, i - pos);
      pos = i;
      done = pos >= end;
    }
    if (!done) {
      size_t suffix_start = pos;
      i = pos;
      while (i < end && std::string_view("eEinumkKMGTP").find(str[i]) != std::string_view::npos) {
        ++i;
      }
      if (i < end) {
        pos = i;
        if (str[pos] == '-' || str[pos] == '+')
          ++pos;
        i = pos;
        while (i < end && IsDigit(str[i]))
          ++i;
        if (i < end)
          return BadRequest(std::string(kErrFormatWrong));
      }
      suffix = str.substr(suffix_start);
    }
  }

  std::optional<Suffix> suf = InterpretSuffix(suffix);
  if (!suf)
    return BadRequest(std::string(kErrSuffix));

  // The fast path of ParseQuantity: exact, and keeps the input string when canonical.
  int32_t precision = 0;
  int32_t scale = 0;
  int64_t mantissa = 1;
  if (suf->format == Format::kBinarySI) {
    if (suf->exponent >= 0 && denom.empty()) {
      mantissa = int64_t{1} << suf->exponent;
      precision = 15 - static_cast<int32_t>(num.size()) -
                  static_cast<int32_t>(static_cast<float>(suf->exponent) * 3 / 10) - 1;
    } else {
      precision = -1;
    }
  } else {
    scale = suf->exponent;
    precision = 18 - static_cast<int32_t>(num.size() + denom.size());
  }
  if (precision >= 0) {
    scale -= static_cast<int32_t>(denom.size());
    if (scale >= -9) {
      std::string shifted = std::string(num) + std::string(denom);
      int64_t value = static_cast<int64_t>(ParseDigits(shifted));  // <= 18 digits
      i128 result = static_cast<i128>(value) * mantissa;
      if (result <= kMaxInt64) {
        if (!positive)
          result = -result;
        Quantity q(result, scale, suf->format);
        bool canonical =
            suf->format == Format::kBinarySI
                ? (suf->exponent % 10 == 0 && (value & 0x07) != 0)
                : (scale % 3 == 0 &&
                   !(shifted.size() >= 3 && shifted.compare(shifted.size() - 3, 3, "000") == 0) &&
                   shifted[0] != '0');
        if (canonical)
          q.original_ = std::string(str);
        return q;
      }
    }
  }

  // The slow path: exact arithmetic, then round up to 1n and cap at 2^63-1.
  std::string digits = std::string(num) + std::string(denom);
  size_t nz = digits.find_first_not_of('0');
  if (nz == std::string::npos)
    return Quantity(0, 0, suf->format);
  digits.erase(0, nz);
  int64_t e10 = (suf->base == 10 ? suf->exponent : 0) - static_cast<int64_t>(denom.size());
  if (suf->base == 2) {
    for (int k = 0; k < suf->exponent; ++k)
      DoubleDigits(digits);
  }
  int64_t shift = e10 + 9;  // digits * 10^shift nanos
  int64_t len = static_cast<int64_t>(digits.size());
  i128 nanos;
  if (shift >= 0) {
    if (len + shift > 30) {
      nanos = kMaxNanos;
    } else {
      nanos = ParseDigits(digits) * Pow10(static_cast<int>(shift));
    }
  } else {
    int64_t k = len + shift;  // digits before the decimal point (in nanos)
    if (k <= 0) {
      nanos = 1;  // a non-zero amount below 1n rounds up to 1n
    } else if (k > 30) {
      nanos = kMaxNanos;
    } else {
      nanos = ParseDigits(std::string_view(digits).substr(0, static_cast<size_t>(k)));
      if (digits.find_first_not_of('0', static_cast<size_t>(k)) != std::string::npos)
        ++nanos;
    }
  }
  if (nanos > kMaxNanos)
    nanos = kMaxNanos;
  Format format = suf->format;
  if (format == Format::kBinarySI && nanos < kNanosPerUnit)
    format = Format::kDecimalSI;
  return Quantity(positive ? nanos : -nanos, -9, format);
}

int Quantity::Compare(const Quantity& o) const {
  int sa = Sign(), sb = o.Sign();
  if (sa != sb)
    return sa < sb ? -1 : 1;
  if (sa == 0)
    return 0;
  i128 a = unscaled_ < 0 ? -unscaled_ : unscaled_;
  i128 b = o.unscaled_ < 0 ? -o.unscaled_ : o.unscaled_;
  int64_t ma = DigitCount(a) + static_cast<int64_t>(exp_);
  int64_t mb = DigitCount(b) + static_cast<int64_t>(o.exp_);
  int mag;
  if (ma != mb) {
    mag = ma < mb ? -1 : 1;
  } else {
    // Same order of magnitude: aligning cannot overflow (both have <= 38 digits then).
    if (exp_ > o.exp_) {
      a *= Pow10(exp_ - o.exp_);
    } else if (o.exp_ > exp_) {
      b *= Pow10(o.exp_ - exp_);
    }
    mag = a < b ? -1 : a > b ? 1 : 0;
  }
  return sa > 0 ? mag : -mag;
}

int64_t Quantity::ScaledValue(int32_t scale) const {
  if (unscaled_ == 0)
    return 0;
  bool neg = unscaled_ < 0;
  i128 mag = neg ? -unscaled_ : unscaled_;
  int64_t d = static_cast<int64_t>(exp_) - scale;
  i128 r;
  if (d >= 0) {
    if (d > 19 || DigitCount(mag) + d > 20) {
      r = static_cast<i128>(kMaxInt64) + 1;
    } else {
      r = mag * Pow10(static_cast<int>(d));
    }
  } else if (-d > 38) {
    r = 1;  // rounds up
  } else {
    i128 div = Pow10(static_cast<int>(-d));
    r = mag / div + (mag % div != 0 ? 1 : 0);
  }
  if (neg) {
    if (r > static_cast<i128>(kMaxInt64) + 1)
      r = static_cast<i128>(kMaxInt64) + 1;
    return static_cast<int64_t>(-r);
  }
  if (r > kMaxInt64)
    r = kMaxInt64;
  return static_cast<int64_t>(r);
}

std::optional<int64_t> Quantity::AsInt64() const {
  if (unscaled_ == 0)
    return 0;
  if (exp_ < 0)
    return std::nullopt;
  if (exp_ > 19 || DigitCount(unscaled_) + exp_ > 19)
    return std::nullopt;
  i128 v = unscaled_ * Pow10(exp_);
  if (v > kMaxInt64 || v < INT64_MIN)
    return std::nullopt;
  return static_cast<int64_t>(v);
}

std::string Quantity::String() const {
  if (!original_.empty())
    return original_;
  if (unscaled_ == 0)
    return "0";
  Format format = format_;
  if (format == Format::kBinarySI) {
    if (Compare(FromInt64(-1024)) > 0 && Compare(FromInt64(1024)) < 0) {
      format = Format::kDecimalSI;
    } else if (exp_ < 0) {
      format = Format::kDecimalSI;  // not an integer: do not lose precision
    }
  }
  if (format == Format::kBinarySI) {
    // Integral and |v| <= 2^63 here, so it fits.
    i128 v = unscaled_ * Pow10(exp_);
    int e = 0;
    while (e < 6 && v % 1024 == 0) {
      v /= 1024;
      ++e;
    }
    static constexpr std::string_view kBin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return ToString(v) + std::string(kBin[e]);
  }
  // Decimal: exponent down to a multiple of 3.
  int32_t r = ((exp_ % 3) + 3) % 3;
  i128 amount = unscaled_ * Pow10(r);
  int32_t e = exp_ - r;
  std::string out = ToString(amount);
  if (format == Format::kDecimalSI) {
    std::string_view s = DecimalSuffix(e);
    if (s != "?") {
      out.append(s);
      return out;
    }
    // No SI suffix for this exponent: fall through to exponent form (see header).
  }
  if (e != 0) {
    out.push_back('e');
    out.append(std::to_string(e));
  }
  return out;
}

}  // namespace kcx::api
