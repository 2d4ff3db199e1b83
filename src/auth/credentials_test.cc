#include "auth/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

namespace tandem::auth {
namespace {

TEST(ParseCredentials, ReadsEveryProfileWithCommentsAndBlanks) {
  constexpr std::string_view kText =
      "# written by aws configure\n"
      "; another comment\n"
      "\n"
      "[default]\n"
      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
      "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY   \n"
      "  region = us-east-1\n"
      "\r\n"
      "[ replication ]\r\n"
      "AWS_Access_Key_ID\t=\tAKIAREPLICATION00001\r\n"
      "aws_secret_access_key = abc+/def\r\n"
      "aws_session_token = ignored\r\n"
      "[settings-only]\n"
      "region = eu-west-1\n";
  StatusOr<KeyStore> store = ParseCredentials(kText, "creds");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->size(), 2u);
  ASSERT_NE(store->FindSecret("AKIAIOSFODNN7EXAMPLE"), nullptr);
  EXPECT_EQ(*store->FindSecret("AKIAIOSFODNN7EXAMPLE"), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  ASSERT_NE(store->FindSecret("AKIAREPLICATION00001"), nullptr);
  EXPECT_EQ(*store->FindSecret("AKIAREPLICATION00001"), "abc+/def");
  EXPECT_EQ(store->pairs()[1].profile, "replication");
  EXPECT_EQ(store->FindSecret("AKIANOTTHERE"), nullptr);
}

void ExpectParseError(std::string_view text, std::string_view message) {
  StatusOr<KeyStore> store = ParseCredentials(text, "creds");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store.status().message(), message);
}

TEST(ParseCredentials, ErrorsNameFileAndLine) {
  ExpectParseError("aws_access_key_id = A\n", "creds:1: 'aws_access_key_id' outside any [profile]");
  ExpectParseError("[a]\njunk\n", "creds:2: expected '[profile]' or 'key = value'");
  ExpectParseError("[a\n", "creds:1: profile header must end with ']'");
  ExpectParseError("[]\n", "creds:1: empty profile name");
  ExpectParseError("# c\n[a]\naws_access_key_id = A\n",
                   "creds:2: profile 'a' has aws_access_key_id but no aws_secret_access_key");
  ExpectParseError("[a]\naws_secret_access_key = S\n[b]\n",
                   "creds:1: profile 'a' has aws_secret_access_key but no aws_access_key_id");
  ExpectParseError("[a]\naws_access_key_id = A\naws_secret_access_key = S\n[a]\n",
                   "creds:4: profile 'a' appears twice");
  ExpectParseError("[a]\naws_access_key_id =\n", "creds:2: aws_access_key_id is empty");
  ExpectParseError("[a]\naws_access_key_id = A B\n", "creds:2: aws_access_key_id contains blanks");
  ExpectParseError("[a]\naws_access_key_id = A\naws_access_key_id = B\n",
                   "creds:3: aws_access_key_id given twice in profile 'a'");
  ExpectParseError(
      "[a]\naws_access_key_id = A\naws_secret_access_key = S\n"
      "[b]\naws_access_key_id = A\naws_secret_access_key = T\n",
      "creds:4: access key id A appears with two different secrets (profiles 'a' and 'b')");
  ExpectParseError("# nothing\n[a]\nregion = x\n",
                   "creds: no profile with aws_access_key_id and aws_secret_access_key");
}

TEST(ParseCredentials, SamePairInTwoProfilesIsOnePair) {
  StatusOr<KeyStore> store = ParseCredentials(
      "[a]\naws_access_key_id = A\naws_secret_access_key = S\n"
      "[b]\naws_access_key_id = A\naws_secret_access_key = S\n",
      "creds");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store->size(), 1u);
}

TEST(MakeLookup, FindsSecrets) {
  auto store = std::make_shared<KeyStore>();
  ASSERT_TRUE(store->Add({"default", "AKIA1", "S1"}).ok());
  CredentialLookup lookup = MakeLookup(store);
  EXPECT_EQ(lookup("AKIA1"), std::optional<std::string>("S1"));
  EXPECT_EQ(lookup("AKIA2"), std::nullopt);
}

TEST(GenerateKeyPair, HasAwsShapeAndIsRandom) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    StatusOr<KeyPair> pair = GenerateKeyPair();
    ASSERT_TRUE(pair.ok());
    EXPECT_EQ(pair->profile, "default");
    ASSERT_EQ(pair->access_key_id.size(), 20u);
    EXPECT_EQ(pair->access_key_id.substr(0, 4), "AKIA");
    for (char c : pair->access_key_id) {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) << pair->access_key_id;
    }
    ASSERT_EQ(pair->secret_access_key.size(), 40u);
    for (char c : pair->secret_access_key) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/');
    }
    ids.insert(pair->access_key_id);
  }
  EXPECT_EQ(ids.size(), 50u);
}

TEST(WriteCredentialsFile, WritesMode0600AndRoundTrips) {
  char dir_template[] = "/tmp/tandem_auth_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string path = std::string(dir_template) + "/credentials";
  StatusOr<KeyPair> a = GenerateKeyPair("default");
  StatusOr<KeyPair> b = GenerateKeyPair("replication");
  ASSERT_TRUE(a.ok() && b.ok());
  // An existing file with loose permissions is replaced by a private one.
  { std::ofstream(path) << "old"; }
  chmod(path.c_str(), 0644);
  ASSERT_TRUE(WriteCredentialsFile(path, {*a, *b}).ok());

  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  StatusOr<KeyStore> store = LoadCredentialsFile(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->size(), 2u);
  EXPECT_EQ(*store->FindSecret(a->access_key_id), a->secret_access_key);
  EXPECT_EQ(*store->FindSecret(b->access_key_id), b->secret_access_key);

  unlink(path.c_str());
  rmdir(dir_template);
}

TEST(LoadCredentialsFile, MissingFileIsIOError) {
  StatusOr<KeyStore> store = LoadCredentialsFile("/nonexistent/tandem/credentials");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace tandem::auth
