#include "node/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace tandem::node {
namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites: ECDHE key exchange and AEAD ciphers only (Mozilla's
// "intermediate" profile without DHE, so no DH parameters are needed).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Fails with a message naming `file` when it cannot be opened for reading.
Status CheckReadable(const std::string& file, const char* what) {
  std::ifstream in(file);
  if (!in) {
    return Status::InvalidArgument(std::string("cannot read TLS ") + what + " file " + file + ": " +
                                   std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<ssl::context>> MakeServerTlsContext(const TlsFiles& files) {
  if (files.cert_chain_file.empty() || files.private_key_file.empty()) {
    return Status::InvalidArgument(
        "TLS needs both a certificate chain file and a private key file");
  }
  TANDEM_RETURN_IF_ERROR(CheckReadable(files.cert_chain_file, "certificate"));
  TANDEM_RETURN_IF_ERROR(CheckReadable(files.private_key_file, "private key"));

  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Status::Internal("cannot configure TLS: " +
                            std::string(ERR_reason_error_string(ERR_get_error())));
  }
  // An encrypted key would make OpenSSL prompt on the terminal; fail instead.
  ctx->set_password_callback([](size_t, ssl::context::password_purpose) { return std::string(); });

  boost::system::error_code ec;
  ctx->use_certificate_chain_file(files.cert_chain_file, ec);
  if (ec) {
    return Status::InvalidArgument("cannot load the TLS certificate chain from " +
                                   files.cert_chain_file + ": " + ec.message() +
                                   " (expected PEM certificates)");
  }
  ctx->use_private_key_file(files.private_key_file, ssl::context::pem, ec);
  if (ec && ec.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_LIB(ec.value()) == ERR_LIB_X509 &&
      ERR_GET_REASON(ec.value()) == X509_R_KEY_VALUES_MISMATCH) {
    return Status::InvalidArgument("the TLS private key in " + files.private_key_file +
                                   " does not match the certificate in " + files.cert_chain_file);
  }
  if (ec) {
    return Status::InvalidArgument("cannot load the TLS private key from " +
                                   files.private_key_file + ": " + ec.message() +
                                   " (expected an unencrypted PEM key)");
  }
  if (SSL_CTX_check_private_key(native) != 1) {  // in case OpenSSL took it anyway
    ERR_clear_error();
    return Status::InvalidArgument("the TLS private key in " + files.private_key_file +
                                   " does not match the certificate in " + files.cert_chain_file);
  }
  if (X509* cert = SSL_CTX_get0_certificate(native)) {
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
      spdlog::warn("the TLS certificate in {} has expired; clients will refuse it",
                   files.cert_chain_file);
    } else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
      spdlog::warn("the TLS certificate in {} is not valid yet; clients will refuse it",
                   files.cert_chain_file);
    }
  }
  return ctx;
}

}  // namespace tandem::node
