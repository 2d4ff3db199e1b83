// Decimal: an exact decimal number with DynamoDB's precision and range.
//
// DynamoDB numbers have up to 38 significant digits and a magnitude between
// 1E-130 and 9.9999999999999999999999999999999999999E+125 (or zero). Values
// are exact: arithmetic never goes through a double. A Decimal is a small value
// (coefficient, exponent, sign); copy it freely. Thread-safe as a value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem {

class Decimal {
 public:
  Decimal() = default;  // zero

  // Parses DynamoDB's number syntax (optional sign, digits, optional fraction,
  // optional exponent; leading/trailing zeros allowed). On failure returns
  // InvalidArgument with DynamoDB's message, e.g.
  //   "The parameter cannot be converted to a numeric value: abc"
  //   "Attempting to store more than 38 significant digits in a Number"
  //   "Number overflow. Attempting to store a number with magnitude larger than supported range"
  //   "Number underflow. Attempting to store a number with magnitude smaller than supported range"
  static StatusOr<Decimal> Parse(std::string_view text);

  // Canonical text as DynamoDB returns numbers (no leading or trailing zeros,
  // no exponent notation needed to read it back: e.g. "100", "-0.5", "1E+100"
  // style only where DynamoDB itself uses it).
  std::string ToString() const;

  // Exact arithmetic; fails with DynamoDB's overflow/underflow/precision
  // messages when the result does not fit.
  static StatusOr<Decimal> Add(const Decimal& a, const Decimal& b);
  static StatusOr<Decimal> Subtract(const Decimal& a, const Decimal& b);

  // -1, 0 or 1.
  static int Compare(const Decimal& a, const Decimal& b);

  // A byte string whose memcmp order equals numeric order (used in storage
  // keys), and its inverse.
  std::string EncodeOrdered() const;
  static StatusOr<Decimal> DecodeOrdered(std::string_view bytes);

  bool IsZero() const { return coefficient_ == 0; }
  bool IsNegative() const { return negative_; }

  // Approximate stored size in bytes by DynamoDB's rule (used for item size
  // and capacity units): about one byte per two significant digits, plus one.
  int StorageSize() const;

 private:
  unsigned __int128 coefficient_ = 0;  // < 10^38
  int32_t exponent_ = 0;               // value = coefficient * 10^exponent
  bool negative_ = false;
};

}  // namespace tandem
