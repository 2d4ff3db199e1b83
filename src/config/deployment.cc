#include "config/deployment.h"

#include <set>

#include "config/toml_reader.h"

namespace tandem::config {

const NodeConfig* Deployment::FindNode(std::string_view region) const {
  for (const auto& n : nodes) {
    if (n.region == region) return &n;
  }
  return nullptr;
}

StatusOr<Deployment> ParseDeployment(std::string_view text, const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseToml(text, path));
  TomlReader r(path);
  Deployment d;
  d.path = path;
  if (const toml::node* cluster = root.get("cluster")) {
    const toml::table* t = cluster->as_table();
    if (t == nullptr) {
      return r.Error(*cluster, "[cluster] must be a table");
    }
    TANDEM_RETURN_IF_ERROR(r.Path(*t, "secret_file", false, &d.cluster.secret_file));
    TANDEM_RETURN_IF_ERROR(r.Path(*t, "ca_file", false, &d.cluster.ca_file));
  }
  if (const toml::node* nodes = root.get("node")) {
    const toml::array* arr = nodes->as_array();
    if (arr == nullptr || !arr->is_array_of_tables()) {
      return r.Error(*nodes, "'node' must be an array of tables ([[node]])");
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
      TANDEM_RETURN_IF_ERROR(r.Path(t, "data_dir", true, &node.data_dir));
      TANDEM_RETURN_IF_ERROR(r.Path(t, "credentials", false, &node.credentials));
      TANDEM_RETURN_IF_ERROR(r.Path(t, "tls_cert", false, &node.tls_cert));
      TANDEM_RETURN_IF_ERROR(r.Path(t, "tls_key", false, &node.tls_key));
      TANDEM_RETURN_IF_ERROR(r.PositiveInteger(t, "ready_lag", &node.ready_lag));
      if (!ValidHostPort(node.listen)) {
        return r.Error(*t.get("listen"), "listen must be HOST:PORT, got '" + node.listen + "'");
      }
      if (node.tls_cert.empty() != node.tls_key.empty()) {
        return r.Error(t, "tls_cert and tls_key go together");
      }
      if (node.url.empty()) {
        node.url = (node.tls_cert.empty() ? "http://" : "https://") + node.listen;
      }
      if (!node.url.starts_with("http://") && !node.url.starts_with("https://")) {
        return r.Error(*t.get("url"), "url must start with http:// or https://");
      }
      if (!regions.insert(node.region).second) {
        return r.Error(*t.get("region"), "region '" + node.region + "' appears twice");
      }
      d.nodes.push_back(std::move(node));
    }
  }
  return d;
}

StatusOr<Deployment> LoadDeployment(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseDeployment(text, path);
}

}  // namespace tandem::config
