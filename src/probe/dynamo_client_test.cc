#include "probe/dynamo_client.h"

#include <gtest/gtest.h>

namespace tandem::probe {
namespace {

TEST(ApiErrorStatus, DynamoExceptionsKeepTheirMessage) {
  Status s = ApiErrorStatus(
      400, R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
           R"("message":"Requested resource not found"})");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "Requested resource not found");

  s = ApiErrorStatus(400, R"({"__type":"com.amazon.coral.service#InvalidSignatureException",)"
                          R"("message":"The request signature we calculated does not match"})");
  EXPECT_EQ(s.code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(s.message(), "The request signature we calculated does not match");

  s = ApiErrorStatus(400, R"({"__type":"com.amazon.coral.validate#ValidationException",)"
                          R"("message":"One of the required keys was not given a value"})");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
}

TEST(ApiErrorStatus, CapitalMessageAndMissingMessage) {
  Status s = ApiErrorStatus(
      400, R"({"__type":"com.amazon.coral.service#SerializationException","Message":"bad json"})");
  EXPECT_EQ(s.message(), "bad json");
  s = ApiErrorStatus(400, R"({"__type":"com.amazon.coral.service#UnknownOperationException"})");
  EXPECT_EQ(s.message(), "UnknownOperationException");
  EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition);
  s = ApiErrorStatus(500, R"({"__type":"x#InternalServerError","message":"oops"})");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
}

TEST(ApiErrorStatus, NotADynamoError) {
  Status s = ApiErrorStatus(502, "<html>Bad Gateway</html>\n");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_EQ(s.message(), "HTTP 502: <html>Bad Gateway</html>");
  s = ApiErrorStatus(404, "");
  EXPECT_EQ(s.message(), "HTTP 404");
  s = ApiErrorStatus(400, std::string(500, 'x'));
  EXPECT_EQ(s.message(), "HTTP 400: " + std::string(200, 'x') + "...");
}

}  // namespace
}  // namespace tandem::probe
