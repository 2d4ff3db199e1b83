#include "node/tls.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

namespace tandem::node {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr NewKey() { return KeyPtr(EVP_EC_gen("P-256"), &EVP_PKEY_free); }

// A self-signed certificate for `key`, valid from `from_days` to `to_days`
// relative to now.
CertPtr SelfSigned(EVP_PKEY* key, long from_days = -1, long to_days = 30) {
  CertPtr cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("tandem-test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key);
  X509_sign(cert.get(), key, EVP_sha256());
  return cert;
}

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("tandem-tls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteCert(const char* name, X509* cert) {
    const std::string path = (dir_ / name).string();
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    return path;
  }
  std::string WriteKey(const char* name, EVP_PKEY* key, const char* passphrase = nullptr) {
    const std::string path = (dir_ / name).string();
    FILE* f = std::fopen(path.c_str(), "w");
    if (passphrase == nullptr) {
      PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(),
                           reinterpret_cast<const unsigned char*>(passphrase),
                           static_cast<int>(std::strlen(passphrase)), nullptr, nullptr);
    }
    std::fclose(f);
    return path;
  }
  std::string WriteText(const char* name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(TlsContextTest, LoadsAMatchingCertificateAndKey) {
  KeyPtr key = NewKey();
  CertPtr cert = SelfSigned(key.get());
  auto ctx = MakeServerTlsContext({WriteCert("c.pem", cert.get()), WriteKey("k.pem", key.get())});
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_NE(*ctx, nullptr);
}

TEST_F(TlsContextTest, AKeyOfAnotherCertificateIsRefusedNamingBothFiles) {
  KeyPtr key = NewKey();
  KeyPtr other = NewKey();
  CertPtr cert = SelfSigned(key.get());
  const std::string cert_file = WriteCert("c.pem", cert.get());
  const std::string key_file = WriteKey("other.key", other.get());
  auto ctx = MakeServerTlsContext({cert_file, key_file});
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().message(), "the TLS private key in " + key_file +
                                        " does not match the certificate in " + cert_file);
}

TEST_F(TlsContextTest, MissingOrUnusableFilesAreNamed) {
  KeyPtr key = NewKey();
  CertPtr cert = SelfSigned(key.get());
  const std::string cert_file = WriteCert("c.pem", cert.get());
  const std::string key_file = WriteKey("k.pem", key.get());
  const std::string missing = (dir_ / "nope.pem").string();

  auto no_cert = MakeServerTlsContext({missing, key_file});
  ASSERT_FALSE(no_cert.ok());
  EXPECT_NE(no_cert.status().message().find("cannot read TLS certificate file " + missing),
            std::string::npos)
      << no_cert.status().message();

  auto no_key = MakeServerTlsContext({cert_file, missing});
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.status().message().find("cannot read TLS private key file " + missing),
            std::string::npos);

  const std::string garbage = WriteText("garbage.pem", "not a certificate\n");
  auto bad_cert = MakeServerTlsContext({garbage, key_file});
  ASSERT_FALSE(bad_cert.ok());
  EXPECT_NE(bad_cert.status().message().find("certificate chain from " + garbage),
            std::string::npos)
      << bad_cert.status().message();

  // The certificate given as the key, and the key as the certificate.
  auto swapped = MakeServerTlsContext({key_file, cert_file});
  ASSERT_FALSE(swapped.ok());
  EXPECT_NE(swapped.status().message().find(key_file), std::string::npos);

  auto half = MakeServerTlsContext({cert_file, ""});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("both"), std::string::npos);
}

TEST_F(TlsContextTest, AnEncryptedKeyFailsInsteadOfPrompting) {
  KeyPtr key = NewKey();
  CertPtr cert = SelfSigned(key.get());
  const std::string key_file = WriteKey("enc.key", key.get(), "passphrase");
  auto ctx = MakeServerTlsContext({WriteCert("c.pem", cert.get()), key_file});
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.status().message().find("private key from " + key_file), std::string::npos)
      << ctx.status().message();
  EXPECT_NE(ctx.status().message().find("unencrypted"), std::string::npos);
}

TEST_F(TlsContextTest, AnExpiredCertificateStillLoads) {
  KeyPtr key = NewKey();
  CertPtr cert = SelfSigned(key.get(), -30, -1);
  auto ctx = MakeServerTlsContext({WriteCert("c.pem", cert.get()), WriteKey("k.pem", key.get())});
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
}

}  // namespace
}  // namespace tandem::node
