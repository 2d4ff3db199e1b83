// ApiError: the one client-facing error of the DynamoDB API.
//
// Every failure that reaches a client is an ApiError: HTTP status, the
// `__type` sent on the wire (namespace#Name) and DynamoDB's message. Inner
// layers return Status values; FromStatus() converts them here, in one place.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <boost/json/object.hpp>

#include "common/status.h"

namespace tandem::node {

struct ApiError {
  int http_status = 400;
  std::string type;     // full __type, e.g. "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
  std::string message;  // DynamoDB's text; empty means no message field
  // Extra members of the error body (e.g. "Item" for ConditionalCheckFailed
  // with ReturnValuesOnConditionCheckFailure=ALL_OLD).
  boost::json::object extra;
  // Whether the message member is spelled "Message" (some coral errors).
  bool capital_message = false;

  std::string ShortType() const {
    auto pos = type.find('#');
    return pos == std::string::npos ? type : type.substr(pos + 1);
  }
  std::string Body() const;

  static ApiError Validation(std::string message);
  static ApiError ResourceNotFound(std::string message = "Requested resource not found");
  static ApiError ResourceInUse(std::string message);
  static ApiError ConditionalCheckFailed(std::string message = "The conditional request failed");
  static ApiError Serialization(std::string message);
  static ApiError UnknownOperation();
  static ApiError Internal(std::string message = "The server encountered an internal error trying to fulfill the request");
  static ApiError LimitExceeded(std::string message);
  static ApiError Coral(int http_status, std::string name, std::string message);
  static ApiError Dynamo(int http_status, std::string name, std::string message);
  static ApiError FromStatus(const Status& status);
};

// Result of an API operation: a JSON body or an error.
template <typename T>
class Result {
 public:
  Result(ApiError e) : error_(std::move(e)) {}  // NOLINT
  Result(T v) : value_(std::move(v)) {}         // NOLINT
  bool ok() const { return !error_.has_value(); }
  const ApiError& error() const { return *error_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }

 private:
  std::optional<ApiError> error_;
  std::optional<T> value_;
};

}  // namespace tandem::node

#define TANDEM_API_TRY(lhs, rexpr)                                        \
  TANDEM_API_TRY_IMPL(TANDEM_CONCAT(_api_result_, __LINE__), lhs, rexpr)
#define TANDEM_API_TRY_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                        \
  if (!tmp.ok()) return tmp.error();         \
  lhs = std::move(tmp.value())
