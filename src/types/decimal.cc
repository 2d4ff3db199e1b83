// Decimal: parsing, canonical text, exact addition, ordering and the
// order-preserving byte encoding of DynamoDB numbers.
//
// A non-zero Decimal holds a coefficient without trailing zeros (so each value
// has exactly one representation); zero is coefficient 0, exponent 0, positive.
#include "types/decimal.h"

#include <algorithm>
#include <string>

namespace tandem {

namespace {

constexpr int kMaxDigits = 38;
constexpr int kMaxMagnitude = 125;
constexpr int kMinMagnitude = -130;

// Bytes of the ordered encoding (see EncodeOrdered).
constexpr unsigned char kClassNegative = 0x01;
constexpr unsigned char kClassZero = 0x02;
constexpr unsigned char kClassPositive = 0x03;
constexpr unsigned char kEndPositive = 0x00;
constexpr unsigned char kEndNegative = 0xFF;

Status NotNumeric(std::string_view text) {
  // DynamoDB names the offending text, except when it is empty.
  std::string msg(kNumberNotNumericMessage);
  if (!text.empty()) {
    msg += ": ";
    msg.append(text);
  }
  return Status::InvalidArgument(std::move(msg));
}

Status Overflow() { return Status::InvalidArgument(std::string(kNumberOverflowMessage)); }
Status Underflow() { return Status::InvalidArgument(std::string(kNumberUnderflowMessage)); }
Status Corrupt() { return Status::Internal("corrupt ordered number encoding"); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Adds two non-negative digit strings.
std::string AddDigits(const std::string& x, const std::string& y) {
  std::string out;
  out.reserve(std::max(x.size(), y.size()) + 1);
  int carry = 0;
  for (size_t i = 0; i < x.size() || i < y.size() || carry != 0; ++i) {
    int sum = carry;
    if (i < x.size()) {
      sum += x[x.size() - 1 - i] - '0';
    }
    if (i < y.size()) {
      sum += y[y.size() - 1 - i] - '0';
    }
    out.push_back(static_cast<char>('0' + sum % 10));
    carry = sum / 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Subtracts digit string y from x; requires x >= y (same length or longer).
std::string SubtractDigits(const std::string& x, const std::string& y) {
  std::string out;
  out.reserve(x.size());
  int borrow = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    int diff = (x[x.size() - 1 - i] - '0') - borrow;
    if (i < y.size()) {
      diff -= y[y.size() - 1 - i] - '0';
    }
    borrow = diff < 0 ? 1 : 0;
    out.push_back(static_cast<char>('0' + diff + 10 * borrow));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Compares digit strings without leading zeros numerically.
int CompareDigitStrings(const std::string& x, const std::string& y) {
  if (x.size() != y.size()) {
    return x.size() < y.size() ? -1 : 1;
  }
  int c = x.compare(y);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int FloorHalf(int x) { return x >= 0 ? x / 2 : -((1 - x) / 2); }

}  // namespace

StatusOr<Decimal> Decimal::FromDigits(bool negative, std::string_view digits,
                                      __int128 last_exponent, Origin origin) {
  size_t first = digits.find_first_not_of('0');
  if (first == std::string_view::npos) {
    return Decimal();
  }
  size_t last = digits.find_last_not_of('0');
  last_exponent += static_cast<__int128>(digits.size() - 1 - last);
  std::string_view significant = digits.substr(first, last - first + 1);
  __int128 magnitude = last_exponent + static_cast<__int128>(significant.size()) - 1;
  if (magnitude > kMaxMagnitude) {
    return Overflow();
  }
  if (magnitude < kMinMagnitude) {
    return Underflow();
  }
  if (significant.size() > static_cast<size_t>(kMaxDigits)) {
    // DynamoDB reports an inexact arithmetic result as an overflow.
    return origin == Origin::kParse
               ? Status::InvalidArgument(std::string(kNumberPrecisionMessage))
               : Overflow();
  }
  Decimal d;
  for (char c : significant) {
    d.coefficient_ = d.coefficient_ * 10 + static_cast<unsigned>(c - '0');
  }
  d.exponent_ = static_cast<int32_t>(last_exponent);
  d.negative_ = negative;
  return d;
}

StatusOr<Decimal> Decimal::Parse(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  std::string digits;  // mantissa digits from the first non-zero one
  int64_t fraction_digits = 0;
  bool seen_point = false;
  bool seen_digit = false;
  for (; i < n; ++i) {
    char c = text[i];
    if (IsDigit(c)) {
      seen_digit = true;
      if (seen_point) {
        ++fraction_digits;
      }
      if (!digits.empty() || c != '0') {
        digits.push_back(c);
      }
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!seen_digit) {
    return NotNumeric(text);
  }
  int64_t exponent = 0;
  if (i < n) {
    if (text[i] != 'e' && text[i] != 'E') {
      return NotNumeric(text);
    }
    ++i;
    bool exponent_negative = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) {
      exponent_negative = text[i] == '-';
      ++i;
    }
    if (i == n) {
      return NotNumeric(text);
    }
    // An exponent that does not fit a 64-bit integer cannot be converted;
    // anything smaller is range-checked (as DynamoDB does).
    const uint64_t limit = exponent_negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
    uint64_t acc = 0;
    for (; i < n; ++i) {
      if (!IsDigit(text[i])) {
        return NotNumeric(text);
      }
      uint64_t digit = static_cast<uint64_t>(text[i] - '0');
      if (acc > (limit - digit) / 10) {
        return NotNumeric(text);
      }
      acc = acc * 10 + digit;
    }
    exponent = exponent_negative ? static_cast<int64_t>(0 - acc) : static_cast<int64_t>(acc);
  }
  __int128 last_exponent = static_cast<__int128>(exponent) - fraction_digits;
  if (digits.empty()) {
    // Zero is zero whatever exponent it is written with: DynamoDB accepts
    // "0e1000" (ScyllaDB's alternator suite checks this against DynamoDB).
    return Decimal();
  }
  return FromDigits(negative, digits, last_exponent, Origin::kParse);
}

std::string Decimal::CoefficientDigits() const {
  if (coefficient_ == 0) {
    return "0";
  }
  std::string out;
  unsigned __int128 v = coefficient_;
  while (v != 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

int32_t Decimal::Magnitude() const {
  if (IsZero()) {
    return 0;
  }
  return exponent_ + static_cast<int32_t>(CoefficientDigits().size()) - 1;
}

std::string Decimal::ToString() const {
  if (IsZero()) {
    return "0";
  }
  std::string digits = CoefficientDigits();
  std::string out = negative_ ? "-" : "";
  if (exponent_ >= 0) {
    out += digits;
    out.append(static_cast<size_t>(exponent_), '0');
    return out;
  }
  size_t fraction = static_cast<size_t>(-static_cast<int64_t>(exponent_));
  if (digits.size() > fraction) {
    out += digits.substr(0, digits.size() - fraction);
    out += '.';
    out += digits.substr(digits.size() - fraction);
  } else {
    out += "0.";
    out.append(fraction - digits.size(), '0');
    out += digits;
  }
  return out;
}

StatusOr<Decimal> Decimal::Add(const Decimal& a, const Decimal& b) {
  if (a.IsZero()) {
    return b;
  }
  if (b.IsZero()) {
    return a;
  }
  // Align both coefficients on the smaller exponent; magnitudes are bounded
  // by the range, so the strings stay under ~300 digits.
  int32_t exponent = std::min(a.exponent_, b.exponent_);
  std::string da = a.CoefficientDigits();
  da.append(static_cast<size_t>(a.exponent_ - exponent), '0');
  std::string db = b.CoefficientDigits();
  db.append(static_cast<size_t>(b.exponent_ - exponent), '0');
  if (a.negative_ == b.negative_) {
    return FromDigits(a.negative_, AddDigits(da, db), exponent, Origin::kArithmetic);
  }
  int c = CompareDigitStrings(da, db);
  if (c == 0) {
    return Decimal();
  }
  if (c > 0) {
    return FromDigits(a.negative_, SubtractDigits(da, db), exponent, Origin::kArithmetic);
  }
  return FromDigits(b.negative_, SubtractDigits(db, da), exponent, Origin::kArithmetic);
}

StatusOr<Decimal> Decimal::Subtract(const Decimal& a, const Decimal& b) {
  Decimal negated = b;
  if (!negated.IsZero()) {
    negated.negative_ = !negated.negative_;
  }
  return Add(a, negated);
}

int Decimal::Compare(const Decimal& a, const Decimal& b) {
  int sa = a.IsZero() ? 0 : (a.negative_ ? -1 : 1);
  int sb = b.IsZero() ? 0 : (b.negative_ ? -1 : 1);
  if (sa != sb) {
    return sa < sb ? -1 : 1;
  }
  if (sa == 0) {
    return 0;
  }
  int magnitude_order = 0;
  int32_t ma = a.Magnitude();
  int32_t mb = b.Magnitude();
  if (ma != mb) {
    magnitude_order = ma < mb ? -1 : 1;
  } else {
    // Same leading-digit position: digit strings compare lexicographically.
    int c = a.CoefficientDigits().compare(b.CoefficientDigits());
    magnitude_order = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return sa > 0 ? magnitude_order : -magnitude_order;
}

// Layout: a class byte (negative < zero < positive); for non-zero values the
// magnitude + 130 as one byte, then base-100 digit pairs (value + 1, so 1..100)
// from the leading digit, the last pair padded with a 0 digit, then an end
// byte 0x00. For negatives every byte after the class is inverted (255 - b)
// and the end byte is 0xFF, so larger magnitudes and longer digit strings
// sort first. Zero is the single class byte.
std::string Decimal::EncodeOrdered() const {
  if (IsZero()) {
    return std::string(1, static_cast<char>(kClassZero));
  }
  auto put = [this](std::string* out, unsigned char b) {
    out->push_back(static_cast<char>(negative_ ? 255 - b : b));
  };
  std::string digits = CoefficientDigits();
  std::string out(1, static_cast<char>(negative_ ? kClassNegative : kClassPositive));
  put(&out, static_cast<unsigned char>(Magnitude() - kMinMagnitude));
  if (digits.size() % 2 != 0) {
    digits.push_back('0');
  }
  for (size_t i = 0; i < digits.size(); i += 2) {
    put(&out, static_cast<unsigned char>((digits[i] - '0') * 10 + (digits[i + 1] - '0') + 1));
  }
  out.push_back(static_cast<char>(negative_ ? kEndNegative : kEndPositive));
  return out;
}

StatusOr<Decimal> Decimal::DecodeOrderedPrefix(std::string_view bytes, size_t* consumed) {
  if (bytes.empty()) {
    return Corrupt();
  }
  unsigned char cls = static_cast<unsigned char>(bytes[0]);
  if (cls == kClassZero) {
    *consumed = 1;
    return Decimal();
  }
  if (cls != kClassNegative && cls != kClassPositive) {
    return Corrupt();
  }
  bool negative = cls == kClassNegative;
  auto get = [&](size_t i) {
    unsigned char b = static_cast<unsigned char>(bytes[i]);
    return negative ? static_cast<unsigned char>(255 - b) : b;
  };
  if (bytes.size() < 4) {
    return Corrupt();
  }
  int magnitude = static_cast<int>(get(1)) + kMinMagnitude;
  if (magnitude > kMaxMagnitude) {
    return Corrupt();
  }
  std::string digits;
  size_t i = 2;
  for (; i < bytes.size(); ++i) {
    unsigned char b = get(i);
    if (b == 0) {
      break;  // the end byte (0x00, or 0xFF inverted)
    }
    if (b > 100 || digits.size() >= static_cast<size_t>(kMaxDigits + 1)) {
      return Corrupt();
    }
    int pair = b - 1;
    digits.push_back(static_cast<char>('0' + pair / 10));
    digits.push_back(static_cast<char>('0' + pair % 10));
  }
  if (i == bytes.size() || digits.empty() || digits[0] == '0' ||
      (digits.size() >= 2 && digits.substr(digits.size() - 2) == "00")) {
    return Corrupt();
  }
  __int128 last_exponent = static_cast<__int128>(magnitude) - (digits.size() - 1);
  StatusOr<Decimal> d = FromDigits(negative, digits, last_exponent, Origin::kParse);
  if (!d.ok()) {
    return Corrupt();
  }
  *consumed = i + 1;
  return d;
}

StatusOr<Decimal> Decimal::DecodeOrdered(std::string_view bytes) {
  size_t consumed = 0;
  StatusOr<Decimal> d = DecodeOrderedPrefix(bytes, &consumed);
  if (d.ok() && consumed != bytes.size()) {
    return Corrupt();
  }
  return d;
}

int Decimal::StorageSize() const {
  if (IsZero()) {
    return 1;
  }
  // Count base-100 digits aligned on the decimal point: the pair holding the
  // leading digit down to the pair holding the last digit.
  int pairs = FloorHalf(Magnitude()) - FloorHalf(exponent_) + 1;
  return 1 + pairs + (negative_ ? 1 : 0);
}

}  // namespace tandem
