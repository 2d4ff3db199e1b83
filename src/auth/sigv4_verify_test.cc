// The verifier against DynamoDB-shaped requests: acceptance, and each way
// DynamoDB refuses a request, with its exact type and message.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "auth/canonical.h"
#include "auth/crypto.h"
#include "auth/sigv4.h"

namespace tandem::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

constexpr std::string_view kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kBody = R"({"TableName":"shop-orders","Limit":10})";

TimePoint At(std::string_view amz_date) { return *ParseAmzDate(amz_date); }

// A DynamoDB JSON 1.0 request whose headers the test may edit before signing.
struct TestRequest {
  std::string method = "POST";
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "localhost:8000"},
      {"Content-Type", "application/x-amz-json-1.0"},
      {"X-Amz-Target", "DynamoDB_20120810.Scan"},
  };
  std::string body = std::string(kBody);

  // Signs with `creds` at `when` for `region`/`service` and keeps the headers.
  void Sign(TimePoint when, std::string_view region = "us-east-1",
            std::string_view service = "dynamodb", std::string_view secret = kSecret,
            std::string_view session_token = "") {
    std::vector<Header> view_headers = Headers();
    HttpRequestView view{method, path, query, view_headers, body};
    auto added =
        SignRequest(view, {std::string(kKeyId), std::string(secret), std::string(session_token)},
                    region, service, when);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    for (OwnedHeader& h : *added) {
      headers.emplace_back(std::move(h.name), std::move(h.value));
    }
  }

  std::vector<Header> Headers() const {
    std::vector<Header> out;
    for (const auto& [n, v] : headers) {
      out.push_back({n, v});
    }
    return out;
  }

  std::string* Find(std::string_view name) {
    for (auto& [n, v] : headers) {
      if (EqualsIgnoreCase(n, name)) {
        return &v;
      }
    }
    return nullptr;
  }
};

class VerifyTest : public ::testing::Test {
 protected:
  VerifyTest() : verifier_(Options(true)) {}

  static VerifierOptions Options(bool explain) {
    return VerifierOptions{"us-east-1", "dynamodb", minutes(15), explain,
                           [](std::string_view id) -> std::optional<std::string> {
                             if (id == kKeyId) {
                               return std::string(kSecret);
                             }
                             return std::nullopt;
                           }};
  }

  AuthResult Verify(const TestRequest& r, TimePoint now) {
    std::vector<Header> headers = r.Headers();
    return verifier_.Verify(HttpRequestView{r.method, r.path, r.query, headers, r.body}, now);
  }

  // Expects a refusal with `type` and exactly `message`.
  void ExpectError(const AuthResult& result, std::string_view type, std::string_view message) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error->type, type);
    EXPECT_EQ(result.error->FullType(), "com.amazon.coral.service#" + std::string(type));
    EXPECT_EQ(result.error->message, message);
    EXPECT_EQ(result.error->http_status, 400);
  }

  SigV4Verifier verifier_;
  const TimePoint now_ = At("20250101T001500Z");
};

TEST_F(VerifyTest, AcceptsSignedDynamoDbRequest) {
  TestRequest r;
  r.Sign(now_);
  AuthResult result = Verify(r, now_);
  ASSERT_TRUE(result.ok()) << result.error->message;
  EXPECT_EQ(result.access_key_id, kKeyId);
  EXPECT_EQ(result.session_token, "");
  // Twice: the second uses the cached signing key.
  EXPECT_TRUE(Verify(r, now_ + seconds(1)).ok());
}

TEST_F(VerifyTest, AcceptsSessionTokenWithoutValidatingIt) {
  TestRequest r;
  r.Sign(now_, "us-east-1", "dynamodb", kSecret, "FQoGZXIvYXdzEXAMPLETOKEN");
  AuthResult result = Verify(r, now_);
  ASSERT_TRUE(result.ok()) << result.error->message;
  EXPECT_EQ(result.session_token, "FQoGZXIvYXdzEXAMPLETOKEN");
  // The token is signed: changing it breaks the signature.
  *r.Find("X-Amz-Security-Token") = "other";
  EXPECT_FALSE(Verify(r, now_).ok());
}

TEST_F(VerifyTest, AcceptsHeaderNamesInAnyCaseAndXAmzContentSha256) {
  TestRequest r;
  r.headers = {{"host", "localhost:8000"},
               {"CONTENT-TYPE", "application/x-amz-json-1.0"},
               {"x-amz-target", "DynamoDB_20120810.Scan"},
               {"X-Amz-Content-Sha256", Sha256Hex(kBody)}};
  r.Sign(now_);
  EXPECT_TRUE(Verify(r, now_).ok());
}

TEST_F(VerifyTest, AcceptsDateHeaderInsteadOfXAmzDate) {
  TestRequest r;
  r.headers.push_back({"Date", "Wed, 01 Jan 2025 00:15:00 GMT"});
  std::vector<Header> headers = r.Headers();
  headers.push_back({"X-Amz-Date", "20250101T001500Z"});  // only for computing the signature
  auto parts = ComputeSignature(HttpRequestView{r.method, r.path, r.query, headers, r.body},
                                {std::string(kKeyId), std::string(kSecret), ""}, "us-east-1",
                                "dynamodb", "content-type;date;host;x-amz-target");
  ASSERT_TRUE(parts.ok());
  r.headers.push_back({"Authorization", parts->authorization});
  AuthResult result = Verify(r, now_);
  EXPECT_TRUE(result.ok()) << result.error->message;
}

TEST_F(VerifyTest, TimeSkewUpToFifteenMinutesEitherWayIsAccepted) {
  TestRequest early;
  early.Sign(now_ - minutes(15));
  EXPECT_TRUE(Verify(early, now_).ok());
  TestRequest late;
  late.Sign(now_ + minutes(15));
  EXPECT_TRUE(Verify(late, now_).ok());
}

TEST_F(VerifyTest, MissingAuthorization) {
  TestRequest r;
  ExpectError(Verify(r, now_), "MissingAuthenticationTokenException",
              "Request is missing Authentication Token");
  r.headers.push_back({"Authorization", "Bearer abc"});
  ExpectError(Verify(r, now_), "MissingAuthenticationTokenException",
              "Request is missing Authentication Token");
}

TEST_F(VerifyTest, HeaderAndQueryAuthTogether) {
  TestRequest r;
  r.query = "X-Amz-Algorithm";
  r.headers.push_back({"Authorization", "X"});
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
              "header.");
}

TEST_F(VerifyTest, IncompleteAuthorizationHeader) {
  TestRequest r;
  r.headers.push_back({"Authorization", "AWS4-"});
  ExpectError(Verify(r, now_), "IncompleteSignatureException",
              "Authorization header requires 'Credential' parameter. Authorization header "
              "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
              "parameter. Authorization header requires existence of either a 'X-Amz-Date' or "
              "a 'Date' header. Authorization=AWS4-");

  TestRequest r2;
  r2.headers.push_back({"Authorization", "AWS4- Signature=b, Credential=a"});
  r2.headers.push_back({"Date", "a"});
  ExpectError(Verify(r2, now_), "IncompleteSignatureException",
              "Authorization header requires 'SignedHeaders' parameter. "
              "Authorization=AWS4- Signature=b, Credential=a");
}

TEST_F(VerifyTest, KeyWithoutEqualSign) {
  TestRequest r;
  r.headers.push_back(
      {"Authorization", "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders"});
  ExpectError(Verify(r, now_), "IncompleteSignatureException",
              "'Credential' not a valid key=value pair (missing equal-sign) in Authorization "
              "header: 'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'.");
}

TEST_F(VerifyTest, MalformedDate) {
  TestRequest r;
  r.headers.push_back({"X-Amz-Date", "201"});
  r.headers.push_back(
      {"Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=f"});
  ExpectError(Verify(r, now_), "IncompleteSignatureException",
              "Date must be in ISO-8601 'basic format'. Got '201'. See "
              "http://en.wikipedia.org/wiki/ISO_8601");
}

TEST_F(VerifyTest, SignatureExpired) {
  TestRequest r;
  r.Sign(At("20130101T000000Z"));
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "Signature expired: 20130101T000000Z is now earlier than 20250101T000000Z "
              "(20250101T001500Z - 15 min.)");
  TestRequest just_past;
  just_past.Sign(now_ - minutes(15) - seconds(1));
  EXPECT_FALSE(Verify(just_past, now_).ok());
}

TEST_F(VerifyTest, SignatureNotYetCurrent) {
  TestRequest r;
  r.Sign(At("20250101T010000Z"));
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "Signature not yet current: 20250101T010000Z is still later than 20250101T003000Z "
              "(20250101T001500Z + 15 min.)");
}

TEST_F(VerifyTest, HostMustBeSigned) {
  TestRequest r;
  r.headers.push_back({"X-Amz-Date", "20250101T001500Z"});
  r.headers.push_back({"Authorization",
                       "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=x-amz-date, "
                       "Signature=f"});
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "'Host' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST_F(VerifyTest, UnsupportedAlgorithm) {
  TestRequest r;
  r.headers.push_back({"X-Amz-Date", "20250101T001500Z"});
  r.headers.push_back(
      {"Authorization", "AWS4-HMAC-SHA25 Credential=a/b/c/d/e, SignedHeaders=host, Signature=f"});
  ExpectError(Verify(r, now_), "IncompleteSignatureException",
              "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ");
}

TEST_F(VerifyTest, CredentialNeedsFiveElements) {
  TestRequest r;
  r.headers.push_back({"X-Amz-Date", "20250101T001500Z"});
  r.headers.push_back(
      {"Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=f"});
  ExpectError(Verify(r, now_), "IncompleteSignatureException",
              "Credential must have exactly 5 slash-delimited elements, e.g. "
              "keyid/date/region/service/term, got 'a/b/c/d'");
}

TEST_F(VerifyTest, WrongRegion) {
  TestRequest r;
  r.Sign(now_, "eu-west-1");
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "Credential should be scoped to a valid region, not 'eu-west-1'. ");
}

TEST_F(VerifyTest, WrongService) {
  TestRequest r;
  r.Sign(now_, "us-east-1", "kinesis");
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "Credential should be scoped to correct service: 'dynamodb'. ");
}

TEST_F(VerifyTest, EveryWrongScopePartInOneMessage) {
  TestRequest r;
  r.headers.push_back({"X-Amz-Date", "20250101T001500Z"});
  r.headers.push_back(
      {"Authorization", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=f"});
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "Credential should be scoped to a valid region, not 'c'. "
              "Credential should be scoped to correct service: 'dynamodb'. "
              "Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. "
              "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
              "from HTTP: 'b' != '20250101', from '20250101T001500Z'.");
}

TEST_F(VerifyTest, UnknownAccessKey) {
  TestRequest r;
  r.Sign(now_);
  std::string* auth = r.Find("Authorization");
  auth->replace(auth->find(kKeyId), kKeyId.size(), "AKIAUNKNOWNKEY000000");
  ExpectError(Verify(r, now_), "UnrecognizedClientException",
              "The security token included in the request is invalid.");
}

TEST_F(VerifyTest, WrongSecretExplainsCanonicalRequest) {
  TestRequest r;
  r.Sign(now_, "us-east-1", "dynamodb", "not-the-secret");
  std::vector<Header> headers = r.Headers();
  HttpRequestView view{r.method, r.path, r.query, headers, r.body};
  std::string signed_headers = "content-type;host;x-amz-date;x-amz-target";
  std::string canonical = CanonicalRequest(view, signed_headers, Sha256Hex(kBody));
  std::string sts =
      StringToSign("20250101T001500Z", "20250101/us-east-1/dynamodb/aws4_request", canonical);
  ExpectError(Verify(r, now_), "InvalidSignatureException",
              "The request signature we calculated does not match the signature you provided. "
              "Check your AWS Secret Access Key and signing method. Consult the service "
              "documentation for details.\n\nThe Canonical String for this request should have "
              "been\n'" +
                  canonical + "'\n\nThe String-to-Sign should have been\n'" + sts + "'\n");
  EXPECT_NE(canonical.find("content-type:application/x-amz-json-1.0\nhost:localhost:8000\n"),
            std::string::npos);
}

TEST_F(VerifyTest, WrongSecretPlainMessageWhenNotExplaining) {
  SigV4Verifier terse(Options(false));
  TestRequest r;
  r.Sign(now_, "us-east-1", "dynamodb", "not-the-secret");
  std::vector<Header> headers = r.Headers();
  ExpectError(terse.Verify(HttpRequestView{r.method, r.path, r.query, headers, r.body}, now_),
              "InvalidSignatureException",
              "The request signature we calculated does not match the signature you provided. "
              "Check your AWS Secret Access Key and signing method. Consult the service "
              "documentation for details.");
}

TEST_F(VerifyTest, TamperedBodyOrSignedHeaderIsRefused) {
  TestRequest r;
  r.Sign(now_);
  r.body = R"({"TableName":"shop-orders","Limit":11})";
  EXPECT_EQ(Verify(r, now_).error->type, "InvalidSignatureException");

  TestRequest r2;
  r2.Sign(now_);
  *r2.Find("X-Amz-Target") = "DynamoDB_20120810.DeleteTable";
  EXPECT_EQ(Verify(r2, now_).error->type, "InvalidSignatureException");

  // A lying X-Amz-Content-Sha256 does not stand in for the body.
  TestRequest r3;
  r3.headers.push_back({"X-Amz-Content-Sha256", Sha256Hex(kBody)});
  r3.Sign(now_);
  r3.body = "{}";
  EXPECT_EQ(Verify(r3, now_).error->type, "InvalidSignatureException");
}

TEST_F(VerifyTest, IncompletePresignedQuery) {
  TestRequest r;
  r.query = "X-Amz-Algorithm";
  ExpectError(Verify(r, now_), "IncompleteSignatureException",
              "AWS query-string parameters must include 'X-Amz-Algorithm'. "
              "AWS query-string parameters must include 'X-Amz-Credential'. "
              "AWS query-string parameters must include 'X-Amz-Signature'. "
              "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
              "AWS query-string parameters must include 'X-Amz-Date'. "
              "Re-examine the query-string parameters.");
  r.query = "X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d";
  ExpectError(Verify(r, now_), "IncompleteSignatureException",
              "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
              "Re-examine the query-string parameters.");
}

TEST_F(VerifyTest, PresignedQueryIsVerified) {
  TestRequest r;
  r.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + std::string(kKeyId) +
            "%2F20250101%2Fus-east-1%2Fdynamodb%2Faws4_request&X-Amz-Date=20250101T001000Z"
            "&X-Amz-Expires=600&X-Amz-SignedHeaders=host";
  std::vector<Header> headers = r.Headers();
  HttpRequestView view{r.method, r.path, r.query, headers, r.body};
  std::string canonical = CanonicalRequest(view, "host", Sha256Hex(r.body));
  std::string sts =
      StringToSign("20250101T001000Z", "20250101/us-east-1/dynamodb/aws4_request", canonical);
  Digest key = DeriveSigningKey(kSecret, "20250101", "us-east-1", "dynamodb");
  std::string sig = HexEncode(
      HmacSha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), sts));
  r.query += "&X-Amz-Signature=" + sig;
  AuthResult ok = Verify(r, now_);
  ASSERT_TRUE(ok.ok()) << ok.error->message;
  EXPECT_EQ(ok.access_key_id, kKeyId);
  // Past X-Amz-Expires (600 s after 00:10:00).
  AuthResult late = Verify(r, At("20250101T002001Z"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error->message,
            "Signature expired: 20250101T001000Z is now earlier than 20250101T001001Z "
            "(20250101T002001Z - 600 sec.)");
}

TEST_F(VerifyTest, ConcurrentVerificationIsSafe) {
  TestRequest r;
  r.Sign(now_);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (Verify(r, now_).ok()) {
          accepted.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(accepted.load(), 800);
}

TEST(SignRequest, RefusesRequestWithoutHostOrWithDate) {
  std::vector<Header> no_host = {{"Content-Type", "application/x-amz-json-1.0"}};
  EXPECT_FALSE(SignRequest(HttpRequestView{"POST", "/", "", no_host, "{}"}, {"AK", "SK", ""},
                           "us-east-1", "dynamodb", std::chrono::system_clock::now())
                   .ok());
  std::vector<Header> dated = {{"Host", "h"}, {"X-Amz-Date", "20250101T000000Z"}};
  EXPECT_FALSE(SignRequest(HttpRequestView{"POST", "/", "", dated, "{}"}, {"AK", "SK", ""},
                           "us-east-1", "dynamodb", std::chrono::system_clock::now())
                   .ok());
}

TEST(SigningKeyCache, ReturnsDerivedKey) {
  SigningKeyCache cache;
  Digest a = cache.Get("secret", "20250101", "us-east-1", "dynamodb");
  EXPECT_EQ(a, DeriveSigningKey("secret", "20250101", "us-east-1", "dynamodb"));
  EXPECT_EQ(cache.Get("secret", "20250101", "us-east-1", "dynamodb"), a);
  EXPECT_NE(cache.Get("secret2", "20250101", "us-east-1", "dynamodb"), a);
  EXPECT_NE(cache.Get("secret", "20250102", "us-east-1", "dynamodb"), a);
}

TEST(ConstantTimeEquals, ComparesBytes) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace tandem::auth
