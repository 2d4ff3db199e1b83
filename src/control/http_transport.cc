#include "control/http_transport.h"

#include "probe/http_client.h"
#include "probe/url.h"

namespace tandem::control {
namespace {

class BeastTransport : public HttpTransport {
 public:
  explicit BeastTransport(std::shared_ptr<boost::asio::ssl::context> tls) : tls_(std::move(tls)) {}

  StatusOr<HttpReply> Do(const HttpCall& call) override {
    TANDEM_ASSIGN_OR_RETURN(probe::Url url, probe::ParseUrl(call.url));
    // A network per call: calls on several threads share nothing but the
    // TLS context, which OpenSSL lets threads share once configured.
    probe::Network network(tls_, /*verify_names=*/true);
    probe::HttpConnection connection(&network, url);
    probe::HttpRequest request;
    request.method = call.method;
    request.target = url.target;
    request.headers = call.headers;
    request.headers.push_back({"User-Agent", "tandem-control"});
    if (!call.body.empty() || call.method == "POST") {
      bool typed = false;
      for (const auto& h : call.headers) {
        typed = typed || h.name == "Content-Type";
      }
      if (!typed) {
        request.headers.push_back({"Content-Type", "application/json"});
      }
    }
    request.body = call.body;
    const auto deadline = std::chrono::steady_clock::now() + call.timeout;
    TANDEM_ASSIGN_OR_RETURN(probe::HttpResponse response, connection.RoundTrip(request, deadline));
    return HttpReply{response.status, std::move(response.body)};
  }

 private:
  std::shared_ptr<boost::asio::ssl::context> tls_;
};

}  // namespace

StatusOr<std::unique_ptr<HttpTransport>> NewHttpTransport(const std::string& ca_file) {
  TANDEM_ASSIGN_OR_RETURN(auto tls, probe::MakeClientTlsContext({ca_file, false}));
  return std::unique_ptr<HttpTransport>(std::make_unique<BeastTransport>(std::move(tls)));
}

}  // namespace tandem::control
