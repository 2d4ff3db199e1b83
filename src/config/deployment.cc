#include "config/deployment.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
// The data plane is exception-free; toml++ reports errors as values here.
#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

namespace tandem::config {
namespace {

std::string Where(const std::string& path, const toml::source_region& src) {
  return path + ":" + std::to_string(src.begin.line);
}

class Reader {
 public:
  Reader(const std::string& path, const std::string& base) : path_(path), base_(base) {}

  // A string member; absent gives "" (or an error when required).
  Status String(const toml::table& table, const char* key, bool required, std::string* out,
                bool is_path = false) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (required) {
        return Status::InvalidArgument(Where(path_, table.source()) + ": missing required key '" +
                                       key + "'");
      }
      return Status::OK();
    }
    const auto* s = node->as_string();
    if (s == nullptr || s->get().empty()) {
      return Status::InvalidArgument(Where(path_, node->source()) + ": '" + key +
                                     "' must be a non-empty string");
    }
    *out = s->get();
    if (is_path && !std::filesystem::path(*out).is_absolute()) {
      *out = (std::filesystem::path(base_) / *out).lexically_normal().string();
    }
    return Status::OK();
  }

  // A positive integer member; absent leaves `out` unset.
  Status PositiveInteger(const toml::table& table, const char* key, std::optional<uint64_t>* out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return Status::OK();
    const auto* i = node->as_integer();
    if (i == nullptr || i->get() < 1) {
      return Status::InvalidArgument(Where(path_, node->source()) + ": '" + key +
                                     "' must be a positive integer");
    }
    *out = static_cast<uint64_t>(i->get());
    return Status::OK();
  }

  Status NoUnknownKeys(const toml::table& table, std::initializer_list<const char*> known,
                       const char* section) {
    for (const auto& [key, node] : table) {
      bool ok = false;
      for (const char* k : known) ok = ok || key.str() == k;
      if (!ok) {
        return Status::InvalidArgument(Where(path_, node.source()) + ": unknown key '" +
                                       std::string(key.str()) + "' in [" + section + "]");
      }
    }
    return Status::OK();
  }

 private:
  const std::string& path_;
  const std::string& base_;
};

bool ValidHostPort(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return false;
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return std::stoul(s.substr(colon + 1)) <= 65535;
}

}  // namespace

const NodeConfig* Deployment::FindNode(std::string_view region) const {
  for (const auto& n : nodes) {
    if (n.region == region) return &n;
  }
  return nullptr;
}

StatusOr<Deployment> ParseDeployment(std::string_view text, const std::string& path) {
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const auto& err = parsed.error();
    return Status::InvalidArgument(path + ":" + std::to_string(err.source().begin.line) + ": " +
                                   std::string(err.description()));
  }
  const toml::table& root = parsed.table();
  const std::string base = std::filesystem::path(path).parent_path().string();
  Reader r(path, base);
  Deployment d;
  d.path = path;
  if (const toml::node* cluster = root.get("cluster")) {
    const toml::table* t = cluster->as_table();
    if (t == nullptr) {
      return Status::InvalidArgument(Where(path, cluster->source()) +
                                     ": [cluster] must be a table");
    }
    TANDEM_RETURN_IF_ERROR(r.String(*t, "secret_file", false, &d.cluster.secret_file, true));
    TANDEM_RETURN_IF_ERROR(r.String(*t, "ca_file", false, &d.cluster.ca_file, true));
  }
  if (const toml::node* nodes = root.get("node")) {
    const toml::array* arr = nodes->as_array();
    if (arr == nullptr || !arr->is_array_of_tables()) {
      return Status::InvalidArgument(Where(path, nodes->source()) +
                                     ": 'node' must be an array of tables ([[node]])");
    }
    std::set<std::string> regions;
    for (const toml::node& n : *arr) {
      const toml::table& t = *n.as_table();
      TANDEM_RETURN_IF_ERROR(r.NoUnknownKeys(t,
                                             {"region", "listen", "url", "data_dir", "credentials",
                                              "tls_cert", "tls_key", "ready_lag"},
                                             "[node]"));
      NodeConfig node;
      TANDEM_RETURN_IF_ERROR(r.String(t, "region", true, &node.region));
      TANDEM_RETURN_IF_ERROR(r.String(t, "listen", true, &node.listen));
      TANDEM_RETURN_IF_ERROR(r.String(t, "url", false, &node.url));
      TANDEM_RETURN_IF_ERROR(r.String(t, "data_dir", true, &node.data_dir, true));
      TANDEM_RETURN_IF_ERROR(r.String(t, "credentials", false, &node.credentials, true));
      TANDEM_RETURN_IF_ERROR(r.String(t, "tls_cert", false, &node.tls_cert, true));
      TANDEM_RETURN_IF_ERROR(r.String(t, "tls_key", false, &node.tls_key, true));
      TANDEM_RETURN_IF_ERROR(r.PositiveInteger(t, "ready_lag", &node.ready_lag));
      if (!ValidHostPort(node.listen)) {
        return Status::InvalidArgument(Where(path, t.get("listen")->source()) +
                                       ": listen must be HOST:PORT, got '" + node.listen + "'");
      }
      if (node.tls_cert.empty() != node.tls_key.empty()) {
        return Status::InvalidArgument(Where(path, t.source()) +
                                       ": tls_cert and tls_key go together");
      }
      if (node.url.empty()) {
        node.url = (node.tls_cert.empty() ? "http://" : "https://") + node.listen;
      }
      if (!node.url.starts_with("http://") && !node.url.starts_with("https://")) {
        return Status::InvalidArgument(Where(path, t.get("url")->source()) +
                                       ": url must start with http:// or https://");
      }
      if (!regions.insert(node.region).second) {
        return Status::InvalidArgument(Where(path, t.get("region")->source()) + ": region '" +
                                       node.region + "' appears twice");
      }
      d.nodes.push_back(std::move(node));
    }
  }
  return d;
}

StatusOr<Deployment> LoadDeployment(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read configuration file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseDeployment(buffer.str(), path);
}

}  // namespace tandem::config
