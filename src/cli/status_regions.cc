#include "cli/status_regions.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tandem::cli {
namespace {

std::string Readiness(const control::NodeHealth& h) {
  switch (h.readiness) {
    case control::NodeReadiness::kReady:
      return "ready";
    case control::NodeReadiness::kCatchingUp:
      return "catching up (" + h.why + ")";
    case control::NodeReadiness::kDown:
      return "down (" + h.why + ")";
    case control::NodeReadiness::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace

std::string DirectUrl(const config::NodeConfig& node) {
  return (node.tls_cert.empty() ? "http://" : "https://") + node.listen;
}

std::vector<RegionView> ReadRegions(const config::Deployment& deployment,
                                    control::NodeSource* source) {
  std::vector<RegionView> out;
  for (const auto& node : deployment.nodes) {
    RegionView v;
    v.region = node.region;
    v.url = DirectUrl(node);
    v.health = source->Health(v.url);
    if (v.health.readiness != control::NodeReadiness::kDown) {
      auto pending = source->Pending(v.url);
      if (pending.ok()) {
        v.pending = *pending;
      } else {
        v.pending_error = pending.status().message();
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string FormatRegions(const std::vector<RegionView>& regions) {
  if (regions.empty()) return "";
  size_t region_w = 0, url_w = 0, ready_w = 0;
  std::vector<std::string> ready;
  for (const auto& r : regions) {
    ready.push_back(Readiness(r.health));
    region_w = std::max(region_w, r.region.size());
    url_w = std::max(url_w, r.url.size());
    ready_w = std::max(ready_w, ready.back().size());
  }
  std::string out = "Regions\n";
  for (size_t i = 0; i < regions.size(); ++i) {
    const auto& r = regions[i];
    std::string backlog;
    if (r.pending) {
      backlog = "replication backlog " + std::to_string(std::llround(*r.pending));
    } else if (r.health.readiness != control::NodeReadiness::kDown) {
      backlog = "replication backlog unknown";
    }
    char line[1024];
    std::snprintf(line, sizeof(line), "  %-*s  %-*s  %-*s  %s", static_cast<int>(region_w),
                  r.region.c_str(), static_cast<int>(url_w), r.url.c_str(),
                  static_cast<int>(ready_w), ready[i].c_str(), backlog.c_str());
    std::string l = line;
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  }
  return out;
}

}  // namespace tandem::cli
