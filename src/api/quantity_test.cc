#include "api/quantity.h"

#include <gtest/gtest.h>

#include <random>

namespace kcx::api {
namespace {

using F = Quantity::Format;

struct Case {
  std::string in;
  std::string canonical;
  F format;
};

// Expected strings are what resource.MustParse(in).String() prints in Go.
TEST(QuantityTest, Canonical) {
  const std::vector<Case> cases = {
      {"0", "0", F::kDecimalSI},
      {"-0", "0", F::kDecimalSI},
      {"000", "0", F::kDecimalSI},
      {"0Ki", "0", F::kBinarySI},
      {"1", "1", F::kDecimalSI},
      {"1.5Gi", "1536Mi", F::kBinarySI},
      {"1500m", "1500m", F::kDecimalSI},
      {"1000m", "1", F::kDecimalSI},
      {"1e3", "1e3", F::kDecimalExponent},
      {"1E3", "1E3", F::kDecimalExponent},  // canonical input is kept as given
      {"1.5e3", "1500", F::kDecimalExponent},
      {"12e-1", "1200e-3", F::kDecimalExponent},
      {"1e-3", "1e-3", F::kDecimalExponent},
      {"0.5", "500m", F::kDecimalSI},
      {".5", "500m", F::kDecimalSI},
      {"0.1", "100m", F::kDecimalSI},
      {"-1.5", "-1500m", F::kDecimalSI},
      {"1Ki", "1Ki", F::kBinarySI},
      {"8Ki", "8Ki", F::kBinarySI},
      {"1024Ki", "1Mi", F::kBinarySI},
      {"1.5Ki", "1536", F::kBinarySI},
      {"0.5Ki", "512", F::kBinarySI},
      {"1023", "1023", F::kDecimalSI},
      {"1024", "1024", F::kDecimalSI},
      {"10Gi", "10Gi", F::kBinarySI},
      {"-1Ki", "-1Ki", F::kBinarySI},
      {"-1.5Ki", "-1536", F::kBinarySI},
      {"100M", "100M", F::kDecimalSI},
      {"1000k", "1M", F::kDecimalSI},
      {"1.5k", "1500", F::kDecimalSI},
      {"1.500k", "1.500k", F::kDecimalSI},  // Go keeps this input string as is
      {"+1Ki", "+1Ki", F::kBinarySI},       // likewise
      {"5n", "5n", F::kDecimalSI},
      {"5u", "5u", F::kDecimalSI},
      {"1E", "1E", F::kDecimalSI},
      {"0.0000000001", "1n", F::kDecimalSI},  // rounds up to the smallest unit
      {"-0.0000000001", "-1n", F::kDecimalSI},
      {"1.0000000001Ki", "1024000000103n", F::kBinarySI},  // printed as DecimalSI
      {"9223372036854775807", "9223372036854775807", F::kDecimalSI},
      {"9223372036854775808", "9223372036854775807", F::kDecimalSI},  // capped
      {"8Ei", "9223372036854775807", F::kBinarySI},
      {"100000000000000000000000000000", "9223372036854775807", F::kDecimalSI},
      {"1.", "1.", F::kDecimalSI},  // Go keeps it too
      {"1.0", "1", F::kDecimalSI},
  };
  for (const Case& c : cases) {
    auto q = Quantity::Parse(c.in);
    ASSERT_TRUE(q.ok()) << c.in << ": " << q.status().ToString();
    EXPECT_EQ(q->String(), c.canonical) << c.in;
    // Round trip: the canonical string parses to an equal quantity with the same string.
    auto again = Quantity::Parse(q->String());
    ASSERT_TRUE(again.ok()) << q->String();
    EXPECT_EQ(again->Compare(*q), 0) << c.in;
    EXPECT_EQ(again->String(), c.canonical) << c.in;
    if (c.canonical != "0") {
      EXPECT_EQ(q->format(), c.format) << c.in;
    }
  }
}

TEST(QuantityTest, Errors) {
  const std::string kFormat =
      "quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  const std::string kSuffix = "unable to parse quantity's suffix";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", kFormat},     {"1.5.5", kFormat}, {"abc", kFormat}, {"1Gb", kFormat},
      {"1 Gi", kFormat}, {"1Kii", kSuffix},  {"1e", kSuffix},  {"1x", kFormat},
      {"1KiB", kFormat}, {"1mi", kSuffix},   {"--1", kSuffix}, {"1e1.5", kFormat},
  };
  for (const auto& [in, msg] : cases) {
    auto q = Quantity::Parse(in);
    ASSERT_FALSE(q.ok()) << in << " parsed as " << q->String();
    EXPECT_EQ(q.status().reason(), Reason::kBadRequest);
    EXPECT_EQ(q.status().message(), msg) << in;
  }
}

Quantity Q(std::string_view s) {
  auto q = Quantity::Parse(s);
  EXPECT_TRUE(q.ok()) << s;
  return q.ok() ? *q : Quantity();
}

TEST(QuantityTest, Compare) {
  EXPECT_EQ(Q("1Gi").Compare(Q("1073741824")), 0);
  EXPECT_EQ(Q("1G").Compare(Q("1Gi")), -1);
  EXPECT_EQ(Q("2Gi").Compare(Q("1Gi")), 1);
  EXPECT_EQ(Q("1500m").Compare(Q("1.5")), 0);
  EXPECT_EQ(Q("1e3").Compare(Q("1k")), 0);
  EXPECT_EQ(Q("-1").Compare(Q("1n")), -1);
  EXPECT_EQ(Q("-2").Compare(Q("-1")), -1);
  EXPECT_EQ(Q("0").Compare(Q("-0")), 0);
  EXPECT_EQ(Q("999m").Compare(Q("1")), -1);
  EXPECT_EQ(Q("1e100").Compare(Q("8Ei")), 1);  // the fast path does not cap
  EXPECT_TRUE(Q("10Gi") > Q("5Gi"));
  EXPECT_TRUE(Q("5Gi") == Q("5120Mi"));
}

TEST(QuantityTest, Values) {
  EXPECT_EQ(Q("1.5Gi").AsInt64(), int64_t{1610612736});
  EXPECT_EQ(Q("10Gi").Value(), int64_t{10} << 30);
  EXPECT_EQ(Q("1500m").Value(), 2);    // rounds up
  EXPECT_EQ(Q("-1500m").Value(), -2);  // away from zero
  EXPECT_EQ(Q("1500m").AsInt64(), std::nullopt);
  EXPECT_EQ(Q("1500m").MilliValue(), 1500);
  EXPECT_EQ(Q("1n").MilliValue(), 1);
  EXPECT_EQ(Q("1e3").AsInt64(), 1000);
  EXPECT_EQ(Q("1e100").AsInt64(), std::nullopt);
  EXPECT_EQ(Q("1e100").Value(), INT64_MAX);
  EXPECT_EQ(Q("0").Value(), 0);
  EXPECT_EQ(Q("9223372036854775807").AsInt64(), INT64_MAX);
  EXPECT_EQ(Quantity::FromInt64(1 << 20, F::kBinarySI).String(), "1Mi");
  EXPECT_EQ(Quantity::FromInt64(1500).String(), "1500");
  EXPECT_EQ(Quantity::FromMilli(250).String(), "250m");
}

// Random strings: parsing never crashes; whatever parses prints a string that parses back to
// the same value and the same string.
TEST(QuantityTest, RandomStringsRoundTrip) {
  const std::string_view kAlphabet[] = {"0", "1", "5", "9",  ".",  "+",         "-",  "e",
                                        "E", "i", "n", "u",  "m",  "k",         "K",  "M",
                                        "G", "T", "P", "Ki", "Gi", "999999999", "000"};
  std::mt19937 rng(7);
  int parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string in;
    int n = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < n; ++k)
      in += kAlphabet[rng() % std::size(kAlphabet)];
    auto q = Quantity::Parse(in);
    if (!q.ok()) {
      EXPECT_EQ(q.status().reason(), Reason::kBadRequest);
      continue;
    }
    ++parsed;
    std::string out = q->String();
    auto again = Quantity::Parse(out);
    ASSERT_TRUE(again.ok()) << in << " -> " << out;
    EXPECT_EQ(again->Compare(*q), 0) << in << " -> " << out;
    EXPECT_EQ(again->String(), out) << in;
  }
  EXPECT_GT(parsed, 1000);
}

}  // namespace
}  // namespace kcx::api
