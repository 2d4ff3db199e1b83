#include "node/api_error.h"

#include <boost/json.hpp>

namespace tandem::node {
namespace {
constexpr char kDynamo[] = "com.amazonaws.dynamodb.v20120810#";
constexpr char kCoral[] = "com.amazon.coral.service#";
}  // namespace

std::string ApiError::Body() const {
  boost::json::object obj;
  obj["__type"] = type;
  if (!message.empty()) obj[capital_message ? "Message" : "message"] = message;
  for (const auto& [k, v] : extra) obj[k] = v;
  return boost::json::serialize(obj);
}

ApiError ApiError::Validation(std::string message) {
  return {400, "com.amazon.coral.validate#ValidationException", std::move(message)};
}
ApiError ApiError::ResourceNotFound(std::string message) {
  return Dynamo(400, "ResourceNotFoundException", std::move(message));
}
ApiError ApiError::ResourceInUse(std::string message) {
  return Dynamo(400, "ResourceInUseException", std::move(message));
}
ApiError ApiError::ConditionalCheckFailed(std::string message) {
  return Dynamo(400, "ConditionalCheckFailedException", std::move(message));
}
ApiError ApiError::Serialization(std::string message) {
  ApiError e = Coral(400, "SerializationException", std::move(message));
  e.capital_message = true;
  return e;
}
ApiError ApiError::UnknownOperation() { return Coral(400, "UnknownOperationException", ""); }
ApiError ApiError::Internal(std::string message) {
  return Dynamo(500, "InternalServerError", std::move(message));
}
ApiError ApiError::LimitExceeded(std::string message) {
  return Dynamo(400, "LimitExceededException", std::move(message));
}
ApiError ApiError::Coral(int http_status, std::string name, std::string message) {
  return {http_status, kCoral + name, std::move(message)};
}
ApiError ApiError::Dynamo(int http_status, std::string name, std::string message) {
  return {http_status, kDynamo + name, std::move(message)};
}

ApiError ApiError::FromStatus(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
      return Validation(status.message());
    case Status::Code::kNotFound:
      return ResourceNotFound();
    case Status::Code::kAlreadyExists:
      return ResourceInUse(status.message());
    case Status::Code::kFailedPrecondition:
      return ConditionalCheckFailed();
    case Status::Code::kResourceExhausted:
      return LimitExceeded(status.message());
    case Status::Code::kUnavailable:
      return Dynamo(503, "ServiceUnavailable", status.message());
    default:
      return Internal();
  }
}

}  // namespace tandem::node
