// Tests for Decimal: DynamoDB's number syntax, limits, canonical text, exact
// arithmetic, ordering, the ordered encoding and the stored size.
#include "types/decimal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace tandem {
namespace {

std::string Canon(std::string_view text) {
  StatusOr<Decimal> d = Decimal::Parse(text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status().ToString();
  return d.ok() ? d->ToString() : "<error>";
}

std::string ParseError(std::string_view text) {
  StatusOr<Decimal> d = Decimal::Parse(text);
  EXPECT_FALSE(d.ok()) << text << " parsed as " << (d.ok() ? d->ToString() : "");
  EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
  return d.ok() ? "" : d.status().message();
}

Decimal D(std::string_view text) { return Decimal::Parse(text).value(); }

std::string Sum(std::string_view a, std::string_view b) {
  StatusOr<Decimal> r = Decimal::Add(D(a), D(b));
  return r.ok() ? r->ToString() : r.status().message();
}

std::string Difference(std::string_view a, std::string_view b) {
  StatusOr<Decimal> r = Decimal::Subtract(D(a), D(b));
  return r.ok() ? r->ToString() : r.status().message();
}

const std::string kOverflow(kNumberOverflowMessage);
const std::string kUnderflow(kNumberUnderflowMessage);
const std::string kPrecision(kNumberPrecisionMessage);
const std::string k38Nines = "99999999999999999999999999999999999999";

TEST(DecimalParseTest, AcceptsDynamoDbSyntax) {
  EXPECT_EQ(Canon("1"), "1");
  EXPECT_EQ(Canon("-1.50"), "-1.5");
  EXPECT_EQ(Canon("+3"), "3");
  EXPECT_EQ(Canon(".5"), "0.5");
  EXPECT_EQ(Canon("5."), "5");
  EXPECT_EQ(Canon("-.5"), "-0.5");
  EXPECT_EQ(Canon("1e5"), "100000");
  EXPECT_EQ(Canon("1E+5"), "100000");
  EXPECT_EQ(Canon("1e-5"), "0.00001");
  EXPECT_EQ(Canon("-17.4E37"), "-174000000000000000000000000000000000000");
  EXPECT_EQ(Canon("0001.23"), "1.23");
  EXPECT_EQ(Canon("0042.1200"), "42.12");
  EXPECT_EQ(Canon("1.e1"), "10");
  EXPECT_EQ(Canon("1e000"), "1");
  EXPECT_EQ(Canon("100e-2"), "1");
  EXPECT_EQ(Canon(".001e3"), "1");
}

TEST(DecimalParseTest, CanonicalFormIsPlainNotation) {
  EXPECT_EQ(Canon("01.50"), "1.5");
  EXPECT_EQ(Canon("1e2"), "100");
  EXPECT_EQ(Canon("-0"), "0");
  EXPECT_EQ(Canon("-0.000"), "0");
  EXPECT_EQ(Canon("1.0"), "1");
  EXPECT_EQ(Canon("1E125"), "1" + std::string(125, '0'));
  EXPECT_EQ(Canon("1E-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Canon("1.00000000000000007629769841092E+50"),
            "100000000000000007629769841092000000000000000000000");
}

TEST(DecimalParseTest, RejectsWhatDynamoDbRejects) {
  const std::string prefix(kNumberNotNumericMessage);
  for (std::string_view bad : {"abc", "NaN", "Infinity", "-Infinity", "-NaN", "dog", "-dog", " 1",
                               "1 ", "0x10", "1e", "1e+", "e5", ".", "-", "+", "1.2.3", "--1",
                               "1e5.5", "1,5"}) {
    EXPECT_EQ(ParseError(bad), prefix + ": " + std::string(bad));
  }
  EXPECT_EQ(ParseError(""), prefix);  // no ": " when the text is empty
}

TEST(DecimalParseTest, SignificantDigitLimit) {
  EXPECT_EQ(Canon("12345678901234567890123456789012345678"),
            "12345678901234567890123456789012345678");
  EXPECT_EQ(Canon("3.1415926535897932384626433832795028841"),
            "3.1415926535897932384626433832795028841");
  EXPECT_EQ(Canon("31415926535897932384626433832795028841e30"),
            "31415926535897932384626433832795028841" + std::string(30, '0'));
  EXPECT_EQ(ParseError("123456789012345678901234567890123456789"), kPrecision);
  EXPECT_EQ(ParseError("-1.23456789012345678901234567890123456789"), kPrecision);
  EXPECT_EQ(ParseError("1234567890123456789012345678901234567890"), kPrecision);
  // Leading and trailing zeros are not significant.
  EXPECT_EQ(Canon("000000000000000000000000000000000000000000000000001"), "1");
  EXPECT_EQ(Canon("1.00000000000000000000000000000000000000000000000000"), "1");
  EXPECT_EQ(Canon("100000000000000000000000000000000000000000000000000e-50"), "1");
}

TEST(DecimalParseTest, MagnitudeLimits) {
  EXPECT_EQ(Canon("9.9999999999999999999999999999999999999E+125"), k38Nines + std::string(88, '0'));
  EXPECT_EQ(Canon("-9.99999999e125"), "-999999999" + std::string(117, '0'));
  EXPECT_EQ(ParseError("1e126"), kOverflow);
  EXPECT_EQ(ParseError("-1e126"), kOverflow);
  EXPECT_EQ(ParseError("11e125"), kOverflow);
  EXPECT_EQ(ParseError("1e-131"), kUnderflow);
  EXPECT_EQ(ParseError("-1e-131"), kUnderflow);
  EXPECT_EQ(ParseError("0.9e-130"), kUnderflow);
  EXPECT_EQ(Canon("10e-131"), Canon("1e-130"));
}

TEST(DecimalParseTest, HugeExponents) {
  EXPECT_EQ(ParseError("1e99999999999"), kOverflow);
  EXPECT_EQ(ParseError("-1e99999999999"), kOverflow);
  EXPECT_EQ(ParseError("1e-99999999999"), kUnderflow);
  EXPECT_EQ(ParseError("1e2147483648"), kOverflow);
  EXPECT_EQ(ParseError("1e2147483647"), kOverflow);
  EXPECT_EQ(ParseError("1e-2147483648"), kUnderflow);
  EXPECT_EQ(ParseError("1e9223372036854775807"), kOverflow);
  EXPECT_EQ(ParseError("1e-9223372036854775808"), kUnderflow);
  const std::string prefix = std::string(kNumberNotNumericMessage) + ": ";
  EXPECT_EQ(ParseError("1e9223372036854775808"), prefix + "1e9223372036854775808");
  EXPECT_EQ(ParseError("1e-9223372036854775809"), prefix + "1e-9223372036854775809");
  // A big mantissa pulls a big negative exponent back into range.
  EXPECT_EQ(Canon("1" + std::string(200, '0') + "e-200"), "1");
}

TEST(DecimalParseTest, ZeroIgnoresItsWrittenExponent) {
  EXPECT_EQ(Canon("0e125"), "0");
  EXPECT_EQ(Canon("0e-130"), "0");
  EXPECT_EQ(Canon("0e126"), "0");
  EXPECT_EQ(Canon("-0.000e-131"), "0");
  EXPECT_EQ(Canon("0e1000"), "0");
}

TEST(DecimalArithmeticTest, ExactSums) {
  EXPECT_EQ(Sum("1", "10000000000000000000000"), "10000000000000000000001");
  EXPECT_EQ(Difference("10000000000000000000000", "1"), "9999999999999999999999");
  EXPECT_EQ(Sum("0.1", "0.2"), "0.3");
  EXPECT_EQ(Sum("-0.1", "0.1"), "0");
  EXPECT_EQ(Sum("1.5", "-2.25"), "-0.75");
  EXPECT_EQ(Difference("-5", "-5"), "0");
  EXPECT_EQ(Difference("0", "7"), "-7");
  EXPECT_EQ(Sum("0", "0"), "0");
  EXPECT_EQ(Sum("99", "1"), "100");
  EXPECT_EQ(Sum("1e100", "1e100"), "2" + std::string(100, '0'));
  EXPECT_EQ(Sum(k38Nines, "-" + k38Nines), "0");
  EXPECT_EQ(Sum("1.2345678901234567890123456789012345678", "0.0000000000000000000000000000000000002"),
            "1.234567890123456789012345678901234568");
}

TEST(DecimalArithmeticTest, OutOfRangeResultsFailLikeDynamoDb) {
  EXPECT_EQ(Sum("9e125", "9e125"), kOverflow);
  EXPECT_EQ(Difference("9e125", "-9e125"), kOverflow);
  EXPECT_EQ(Sum("9.9999999999999999999999999999999999999E+125", "1E+125"), kOverflow);
  // More than 38 digits: DynamoDB says "overflow" here too.
  EXPECT_EQ(Sum("1e50", "1"), kOverflow);
  EXPECT_EQ(Difference("1e50", "1"), kOverflow);
  EXPECT_EQ(Sum(k38Nines, "1"), "1" + std::string(38, '0'));
  EXPECT_EQ(Sum(k38Nines, "0.1"), kOverflow);
  // Cancellation can leave a result below 1E-130.
  EXPECT_EQ(Difference("1.000000000000000000000000000000000001e-130", "1e-130"), kUnderflow);
}

TEST(DecimalCompareTest, NumericOrder) {
  EXPECT_EQ(Decimal::Compare(D("1"), D("1.0")), 0);
  EXPECT_EQ(Decimal::Compare(D("-0"), D("0")), 0);
  EXPECT_EQ(Decimal::Compare(D("1.2"), D("1.23")), -1);
  EXPECT_EQ(Decimal::Compare(D("-1.2"), D("-1.23")), 1);
  EXPECT_EQ(Decimal::Compare(D("10"), D("9.99")), 1);
  EXPECT_EQ(Decimal::Compare(D("-10"), D("0.001")), -1);
  EXPECT_EQ(Decimal::Compare(D("0"), D("-1e-130")), 1);
  EXPECT_TRUE(D("0").IsZero());
  EXPECT_FALSE(D("-0").IsNegative());
  EXPECT_TRUE(D("-3").IsNegative());
}

std::vector<std::string> SampleNumbers() {
  std::vector<std::string> out = {
      "0", "1", "-1", "1e-130", "-1e-130", "9.9999999999999999999999999999999999999E+125",
      "-9.9999999999999999999999999999999999999E+125", "1e125", "-1e125", "0.5", "-0.5",
      "1.2", "1.23", "1.203", "1.21", "-1.2", "-1.23", "-1.203", "10", "9.99", "100", "101",
      "110", "99", "-99", "-100", "0.01", "0.011", "0.0099", k38Nines, "-" + k38Nines,
      "1.0000000000000000000000000000000000001", "12345678901234567890123456789012345678e-20"};
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> len(1, 38);
  std::uniform_int_distribution<int> digit(0, 9);
  std::uniform_int_distribution<int> exp(-160, 80);
  for (int i = 0; i < 400; ++i) {
    std::string s = (i % 2 == 0) ? "-" : "";
    s += static_cast<char>('1' + digit(rng) % 9);
    for (int k = len(rng) - 1; k > 0; --k) {
      s += static_cast<char>('0' + digit(rng));
    }
    s += "e" + std::to_string(exp(rng));
    if (Decimal::Parse(s).ok()) {
      out.push_back(s);
    }
  }
  return out;
}

TEST(DecimalOrderedTest, MemcmpOrderEqualsNumericOrder) {
  std::vector<Decimal> values;
  for (const std::string& s : SampleNumbers()) {
    values.push_back(D(s));
  }
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  std::vector<Decimal> by_bytes = values;
  std::sort(by_bytes.begin(), by_bytes.end(), [](const Decimal& a, const Decimal& b) {
    return a.EncodeOrdered() < b.EncodeOrdered();
  });
  for (size_t i = 1; i < by_bytes.size(); ++i) {
    EXPECT_LE(Decimal::Compare(by_bytes[i - 1], by_bytes[i]), 0)
        << by_bytes[i - 1].ToString() << " vs " << by_bytes[i].ToString();
  }
  for (const Decimal& a : values) {
    for (const Decimal& b : {values[0], values[1], values[2], values[3]}) {
      int bytes = a.EncodeOrdered().compare(b.EncodeOrdered());
      EXPECT_EQ(bytes < 0 ? -1 : (bytes > 0 ? 1 : 0), Decimal::Compare(a, b));
    }
  }
}

TEST(DecimalOrderedTest, RoundTripsAndIsSelfDelimiting) {
  for (const std::string& s : SampleNumbers()) {
    Decimal d = D(s);
    std::string encoded = d.EncodeOrdered();
    StatusOr<Decimal> back = Decimal::DecodeOrdered(encoded);
    ASSERT_TRUE(back.ok()) << s;
    EXPECT_EQ(back->ToString(), d.ToString());
    size_t consumed = 0;
    StatusOr<Decimal> prefix = Decimal::DecodeOrderedPrefix(encoded + "tail", &consumed);
    ASSERT_TRUE(prefix.ok()) << s;
    EXPECT_EQ(consumed, encoded.size());
    EXPECT_EQ(prefix->ToString(), d.ToString());
  }
}

TEST(DecimalOrderedTest, RejectsCorruptBytes) {
  EXPECT_FALSE(Decimal::DecodeOrdered("").ok());
  EXPECT_FALSE(Decimal::DecodeOrdered("\x07").ok());
  EXPECT_FALSE(Decimal::DecodeOrdered(std::string("\x02\x00", 2)).ok());  // trailing byte
  std::string one = D("1").EncodeOrdered();
  EXPECT_FALSE(Decimal::DecodeOrdered(one.substr(0, one.size() - 1)).ok());  // no end byte
  std::string bad = one;
  bad[2] = static_cast<char>(200);  // not a digit pair
  EXPECT_FALSE(Decimal::DecodeOrdered(bad).ok());
}

TEST(DecimalStorageSizeTest, MatchesMeasuredDynamoDbSizes) {
  // Byte costs measured against DynamoDB's 400 KB gate (public capture).
  const std::pair<const char*, int> kCases[] = {
      {"0", 1},         {"1", 2},          {"12", 2},        {"123", 3},
      {"1234", 3},      {"12345678901234567890123456789012345678", 20},
      {"0042", 2},      {"100", 2},        {"1010", 3},      {"0.0000001", 2},
      {"1E125", 2},     {"1E-100", 2},     {"1.5", 3},       {"15", 2},
      {"1.2", 3},       {"1.200", 3},      {"1.234", 4},     {"3.14159", 5},
      {"123456", 4},    {"100.5", 4},      {"0.15", 2},      {"-42", 3},
      {"-0", 1}};
  for (const auto& [text, size] : kCases) {
    EXPECT_EQ(D(text).StorageSize(), size) << text;
  }
  // dynalite's captured sizes for 126/127-digit integers.
  EXPECT_EQ(D(std::string(38, '1') + std::string(88, '0')).StorageSize(), 20);
  EXPECT_EQ(D("11111" + std::string(121, '0')).StorageSize(), 4);
  EXPECT_EQ(D("1111111" + std::string(119, '0')).StorageSize(), 5);
  // Base-100 alignment: 110 is the pairs 1|10.
  EXPECT_EQ(D("110").StorageSize(), 3);
}

}  // namespace
}  // namespace tandem
