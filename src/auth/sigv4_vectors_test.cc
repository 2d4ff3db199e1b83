// AWS's published SigV4 test-suite vectors (aws-sig-v4-test-suite, as kept in
// awslabs/aws-c-auth tests/aws-signing-test-suite/v4), signed with ours and
// then accepted by our verifier.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/canonical.h"
#include "auth/crypto.h"
#include "auth/sigv4.h"

namespace tandem::auth {
namespace {

constexpr std::string_view kKeyId = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kSuiteDate = "20150830T123600Z";

struct Vector {
  std::string name;
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // besides Host and X-Amz-Date
  std::string body;
  std::string signed_headers;
  std::string signature;
  std::string session_token;
};

class SuiteTest : public ::testing::TestWithParam<Vector> {};

TEST_P(SuiteTest, SignsToPublishedSignatureAndVerifies) {
  const Vector& v = GetParam();
  std::vector<Header> headers = {{"Host", "example.amazonaws.com"}};
  for (const auto& [name, value] : v.extra_headers) {
    headers.push_back({name, value});
  }
  headers.push_back({"X-Amz-Date", kSuiteDate});
  if (!v.session_token.empty()) {
    headers.push_back({"X-Amz-Security-Token", v.session_token});
  }
  HttpRequestView request{v.method, v.path, v.query, headers, v.body};
  SigningCredentials creds{std::string(kKeyId), std::string(kSecret), v.session_token};

  StatusOr<SignatureParts> parts =
      ComputeSignature(request, creds, "us-east-1", "service", v.signed_headers);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ(parts->signature, v.signature) << parts->canonical_request;
  EXPECT_EQ(parts->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=" +
                v.signed_headers + ", Signature=" + v.signature);

  // The same request, carrying the published Authorization, passes the verifier.
  headers.push_back({"Authorization", parts->authorization});
  request.headers = headers;
  SigV4Verifier verifier(VerifierOptions{"us-east-1", "service", std::chrono::minutes(15), true,
                                         [](std::string_view id) -> std::optional<std::string> {
                                           if (id == kKeyId) {
                                             return std::string(kSecret);
                                           }
                                           return std::nullopt;
                                         }});
  AuthResult result = verifier.Verify(request, *ParseAmzDate(kSuiteDate));
  ASSERT_TRUE(result.ok()) << result.error->message;
  EXPECT_EQ(result.access_key_id, kKeyId);
  EXPECT_EQ(result.session_token, v.session_token);
}

INSTANTIATE_TEST_SUITE_P(
    AwsSigV4TestSuite, SuiteTest,
    ::testing::Values(
        Vector{"get_vanilla",
               "GET",
               "/",
               "",
               {},
               "",
               "host;x-amz-date",
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
               ""},
        Vector{"post_vanilla",
               "POST",
               "/",
               "",
               {},
               "",
               "host;x-amz-date",
               "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
               ""},
        Vector{"get_vanilla_query_order_key_case",
               "GET",
               "/",
               "Param2=value2&Param1=value1",
               {},
               "",
               "host;x-amz-date",
               "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
               ""},
        Vector{"get_vanilla_utf8_query",
               "GET",
               "/",
               "\xE1\x88\xB4=bar",
               {},
               "",
               "host;x-amz-date",
               "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
               ""},
        Vector{"get_header_value_trim",
               "GET",
               "/",
               "",
               {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
               "",
               "host;my-header1;my-header2;x-amz-date",
               "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
               ""},
        Vector{"get_header_key_duplicate",
               "GET",
               "/",
               "",
               {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
               "",
               "host;my-header1;x-amz-date",
               "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
               ""},
        Vector{"get_utf8",
               "GET",
               "/\xE1\x88\xB4",
               "",
               {},
               "",
               "host;x-amz-date",
               "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
               ""},
        Vector{"get_space_normalized",
               "GET",
               "/example space/",
               "",
               {},
               "",
               "host;x-amz-date",
               "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
               ""},
        Vector{"get_slashes_normalized",
               "GET",
               "//example//",
               "",
               {},
               "",
               "host;x-amz-date",
               "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
               ""},
        Vector{"get_relative_relative_normalized",
               "GET",
               "/example1/example2/../..",
               "",
               {},
               "",
               "host;x-amz-date",
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
               ""},
        Vector{"get_slash_dot_slash_normalized",
               "GET",
               "/./",
               "",
               {},
               "",
               "host;x-amz-date",
               "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
               ""},
        Vector{"get_unreserved",
               "GET",
               "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
               "",
               {},
               "",
               "host;x-amz-date",
               "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
               ""},
        Vector{"get_vanilla_with_session_token",
               "GET",
               "/",
               "",
               {},
               "",
               "host;x-amz-date;x-amz-security-token",
               "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
               "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"},
        Vector{"post_x_www_form_urlencoded",
               "POST",
               "/",
               "",
               {{"Content-Type", "application/x-www-form-urlencoded"}},
               "Param1=value1",
               "content-type;host;x-amz-date",
               "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
               ""}),
    [](const ::testing::TestParamInfo<Vector>& info) { return info.param.name; });

TEST(SuiteIntermediates, GetVanillaCanonicalRequestAndStringToSign) {
  std::vector<Header> headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}};
  HttpRequestView request{"GET", "/", "", headers, ""};
  StatusOr<SignatureParts> parts = ComputeSignature(
      request, {std::string(kKeyId), std::string(kSecret), ""}, "us-east-1", "service");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(parts->string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST(SuiteIntermediates, PostFormStringToSign) {
  std::vector<Header> headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                                 {"Host", "example.amazonaws.com"},
                                 {"X-Amz-Date", kSuiteDate}};
  HttpRequestView request{"POST", "/", "", headers, "Param1=value1"};
  StatusOr<SignatureParts> parts = ComputeSignature(
      request, {std::string(kKeyId), std::string(kSecret), ""}, "us-east-1", "service");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
}

TEST(DeriveSigningKey, MatchesAwsDocumentationIamExample) {
  EXPECT_EQ(HexEncode(DeriveSigningKey(kSecret, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(Canonical, QueryIsDecodedReencodedAndSorted) {
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
  EXPECT_EQ(CanonicalQuery("k=a%2Fb&s=x+y&t=%7e"), "k=a%2Fb&s=x%2By&t=~");
  EXPECT_EQ(CanonicalQuery("X-Amz-Signature=ab&z=1", "X-Amz-Signature"), "z=1");
  EXPECT_EQ(CanonicalQuery(""), "");
}

TEST(Canonical, PathIsNormalizedAndEncodedAsGiven) {
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/"), "/");
  EXPECT_EQ(CanonicalUri("/a/./b/../c/"), "/a/c/");
  // A path received percent-encoded is encoded again (non-S3 services).
  EXPECT_EQ(CanonicalUri("/a%20b"), "/a%2520b");
}

TEST(Dates, FormatAndParse) {
  auto t = ParseAmzDate("20150830T123600Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatAmzDate(*t), "20150830T123600Z");
  EXPECT_EQ(ParseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"), t);
  EXPECT_FALSE(ParseAmzDate("20150830T123600").has_value());
  EXPECT_FALSE(ParseAmzDate("20151330T123600Z").has_value());
  EXPECT_FALSE(ParseAmzDate("20150230T123600Z").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 30 Foo 2015 12:36:00 GMT").has_value());
}

}  // namespace
}  // namespace tandem::auth
