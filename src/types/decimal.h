// Decimal: an exact decimal number with DynamoDB's precision and range.
//
// DynamoDB numbers have up to 38 significant digits and a magnitude between
// 1E-130 and 9.9999999999999999999999999999999999999E+125 (or zero). Values
// are exact: arithmetic never goes through a double. A Decimal is a small value
// (coefficient, exponent, sign); copy it freely. Thread-safe as a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem {

// DynamoDB's wording for number errors (ValidationException). The "cannot be
// converted" message is followed by ": " and the offending text, if any.
inline constexpr std::string_view kNumberNotNumericMessage =
    "The parameter cannot be converted to a numeric value";
inline constexpr std::string_view kNumberPrecisionMessage =
    "Attempting to store more than 38 significant digits in a Number";
inline constexpr std::string_view kNumberOverflowMessage =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
inline constexpr std::string_view kNumberUnderflowMessage =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";

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

  // Canonical text as DynamoDB returns numbers: plain notation, never an
  // exponent, no leading or trailing zeros, no "-0": "100", "-0.5", and 1E+100
  // as "1" followed by 100 zeros (DynamoDB returns it that way).
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
  // Like DecodeOrdered, but `bytes` may continue after the encoding (the
  // encoding is self-delimiting); *consumed receives its length.
  static StatusOr<Decimal> DecodeOrderedPrefix(std::string_view bytes, size_t* consumed);

  bool IsZero() const { return coefficient_ == 0; }
  bool IsNegative() const { return negative_; }

  // Stored size in bytes by DynamoDB's rule (used for item size and capacity
  // units): one byte, plus one per base-100 digit of the value with the
  // base-100 digits aligned on the decimal point, plus one if negative; zero
  // is 1. So "1.5" is 3 and "15" is 2, "1E125" is 2, "-42" is 3.
  int StorageSize() const;

 private:
  enum class Origin { kParse, kArithmetic };
  // Builds a Decimal from a digit string (leading/trailing zeros allowed) whose
  // last digit has weight 10^last_exponent, checking DynamoDB's limits.
  static StatusOr<Decimal> FromDigits(bool negative, std::string_view digits,
                                      __int128 last_exponent, Origin origin);
  std::string CoefficientDigits() const;
  int32_t Magnitude() const;  // exponent of the leading digit; 0 for zero

  unsigned __int128 coefficient_ = 0;  // < 10^38
  int32_t exponent_ = 0;               // value = coefficient * 10^exponent
  bool negative_ = false;
};

}  // namespace tandem
