#include "drill/report.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "up/workspace.h"

namespace tandem::drill {
namespace {

namespace json = boost::json;

// A timeline step lasts 100 ms (result.h); the last step ends this long after it starts.
constexpr double kStepS = 0.1;

// `v` with `decimals` decimals, trailing zeros dropped but one kept: 0.740 -> "0.74",
// 12 -> "12.0".
std::string Fixed(double v, int decimals) {
  char buf[400];  // fits DBL_MAX with its decimals
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  std::string s(buf);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.push_back('0');
  }
  return s == "-0.0" ? "0.0" : s;
}

// A count or backlog: "1234" when whole, "0.125" otherwise.
std::string Amount(double v) {
  return v == std::floor(v) && std::fabs(v) < 1e15 ? std::to_string(static_cast<int64_t>(v))
                                                   : Fixed(v, 3);
}

std::string Seconds(const std::optional<double>& s) { return s ? Fixed(*s, 2) + " s" : "-"; }

template <typename T>
std::string OrDash(const std::optional<T>& v) {
  return v ? std::to_string(*v) : "-";
}

std::string YesNo(const std::optional<bool>& v) { return v ? (*v ? "yes" : "no") : "-"; }

// ---- report.json

json::value Secs(const std::optional<double>& s) {
  if (!s || !std::isfinite(*s)) return nullptr;
  return std::round(*s * 1000) / 1000;
}

template <typename T>
json::value Nullable(const std::optional<T>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::object ScenarioJson(const ScenarioResult& s) {
  json::object o;
  o["name"] = s.name;
  o["description"] = s.description;
  o["passed"] = s.passed;
  o["error"] = s.error;
  o["duration_s"] = Secs(s.duration_s);
  o["detection_s"] = Secs(s.detection_s);
  o["dns_flip_s"] = Secs(s.dns_flip_s);
  o["client_outage_s"] = Secs(s.client_outage_s);
  o["acked_writes"] = s.acked_writes;
  o["failed_writes"] = s.failed_writes;
  o["lost_during_outage"] = Nullable(s.lost_during_outage);
  o["lost_after_recovery"] = Nullable(s.lost_after_recovery);
  o["failback_s"] = Secs(s.failback_s);
  o["consistent"] = Nullable(s.consistent);
  o["traffic_moves"] = s.traffic_moves;
  o["verify_output"] = s.verify_output;
  json::array& not_real = o["not_real"].emplace_array();
  for (const auto& n : s.not_real) not_real.emplace_back(n);
  json::array& expectations = o["expectations"].emplace_array();
  for (const auto& e : s.expectations) {
    expectations.push_back(json::object{
        {"name", e.name}, {"expected", e.expected}, {"actual", e.actual}, {"held", e.held}});
  }
  json::array& events = o["events"].emplace_array();
  for (const auto& e : s.events) {
    events.push_back(json::object{{"t_s", Secs(e.t_s)}, {"kind", e.kind}, {"text", e.text}});
  }
  json::array& timeline = o["timeline"].emplace_array();
  for (const auto& t : s.timeline) {
    timeline.push_back(json::object{{"t_s", Secs(t.t_s)},
                                    {"answer", t.answer},
                                    {"answer_region", t.answer_region},
                                    {"client_ok", t.client_ok},
                                    {"client_errors", t.client_errors},
                                    {"replication_pending", Secs(t.replication_pending)}});
  }
  return o;
}

bool IsScalar(const json::value& v) { return !v.is_object() && !v.is_array(); }

// An object or array of scalars only: written on one line.
bool IsFlat(const json::value& v) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    return std::all_of(o.begin(), o.end(), [](const auto& kv) { return IsScalar(kv.value()); });
  }
  if (v.is_array()) return std::all_of(v.get_array().begin(), v.get_array().end(), IsScalar);
  return true;
}

// Writes `v` indented by `indent`: an object one member per line, an array one element
// per line with a flat element on its line. A negative indent writes all on one line.
void Write(const json::value& v, int indent, std::string& out) {
  const bool compact = indent < 0;
  const std::string first = compact ? "" : "\n" + std::string(indent + 2, ' ');
  const std::string next = compact ? ", " : ",\n" + std::string(indent + 2, ' ');
  const std::string last = compact ? "" : "\n" + std::string(indent, ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += '{';
    const std::string* sep = &first;
    for (const auto& kv : v.get_object()) {
      out += *sep + json::serialize(json::value(kv.key())) + ": ";
      Write(kv.value(), compact ? -1 : indent + 2, out);
      sep = &next;
    }
    out += last + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out += '[';
    const std::string* sep = &first;
    for (const auto& e : v.get_array()) {
      out += *sep;
      Write(e, compact || IsFlat(e) ? -1 : indent + 2, out);
      sep = &next;
    }
    out += last + "]";
  } else if (v.is_double()) {
    // Boost writes 0.74 as 7.4E-1; a person reads this file too.
    out += std::isfinite(v.get_double()) ? Fixed(v.get_double(), 3) : "null";
  } else {
    out += json::serialize(v);
  }
}

// ---- report.html

std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const char* entity = c == '&'    ? "&amp;"
                         : c == '<'  ? "&lt;"
                         : c == '>'  ? "&gt;"
                         : c == '"'  ? "&quot;"
                         : c == '\'' ? "&#39;"
                                     : nullptr;
    if (entity) {
      out += entity;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Verdict(bool passed) {
  return passed ? R"(<span class="badge pass">PASSED</span>)"
                : R"(<span class="badge fail">FAILED</span>)";
}

std::string Mark(bool held) {
  return held ? R"(<span class="pass">&#10004;</span>)" : R"(<span class="fail">&#10008;</span>)";
}

constexpr char kUnknownRegion[] = "unknown";  // an answer that belongs to no region

// Each region keeps its colour in every plot of the report.
std::map<std::string, std::string> RegionColours(const DrillReport& r) {
  static constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#76b7b2", "#b07aa1",
                                             "#edc948", "#9c755f", "#ff9da7"};
  std::set<std::string> names;
  for (const auto& s : r.scenarios) {
    for (const auto& t : s.timeline) {
      if (!t.answer_region.empty()) names.insert(t.answer_region);
    }
  }
  std::map<std::string, std::string> colours;
  size_t i = 0;
  for (const auto& n : names) colours[n] = kPalette[i++ % std::size(kPalette)];
  colours[kUnknownRegion] = "#bab0ac";
  return colours;
}

const char* KindColour(std::string_view kind) {
  if (kind == "fault") return "#d62728";
  if (kind == "repair") return "#2ca02c";
  if (kind == "detected") return "#ff7f0e";
  if (kind == "dns") return "#1f77b4";
  if (kind == "control") return "#9467bd";
  return "#7f7f7f";
}

// The region a step's answer is drawn in; "" when no answer was served.
std::string RegionOf(const TimelineStep& t) {
  if (!t.answer_region.empty()) return t.answer_region;
  return t.answer.empty() ? "" : kUnknownRegion;
}

double StepEnd(const std::vector<TimelineStep>& steps, size_t i) {
  if (i + 1 < steps.size() && steps[i + 1].t_s > steps[i].t_s) return steps[i + 1].t_s;
  return steps[i].t_s + kStepS;
}

// Adjacent steps merged so that a plot shows at most `max_bars` bars.
struct Bar {
  double t0 = 0, t1 = 0;
  uint64_t ok = 0, errors = 0;
  std::optional<double> pending;  // the largest of the merged steps
};

std::vector<Bar> Merge(const std::vector<TimelineStep>& steps, size_t max_bars, size_t* per_bar) {
  const size_t n = steps.size();
  const size_t k = std::max<size_t>(1, (n + max_bars - 1) / max_bars);
  *per_bar = k;
  std::vector<Bar> bars;
  for (size_t i = 0; i < n; i += k) {
    const size_t last = std::min(i + k, n) - 1;
    Bar b;
    b.t0 = steps[i].t_s;
    b.t1 = StepEnd(steps, last);
    for (size_t j = i; j <= last; ++j) {
      b.ok += steps[j].client_ok;
      b.errors += steps[j].client_errors;
      if (steps[j].replication_pending && std::isfinite(*steps[j].replication_pending)) {
        b.pending = std::max(b.pending.value_or(*steps[j].replication_pending),
                             *steps[j].replication_pending);
      }
    }
    bars.push_back(b);
  }
  return bars;
}

// Plot geometry, in SVG pixels, top to bottom.
constexpr double kWidth = 960, kLeft = 120, kRight = 24, kPlotW = kWidth - kLeft - kRight;
constexpr double kLegendY = 14, kLabelY = 32, kLabelRowH = 11;
constexpr int kLabelRows = 4;
constexpr double kDnsTop = 72, kDnsH = 24;
constexpr double kClientTop = kDnsTop + kDnsH + 10, kClientH = 80;
constexpr double kClientMid = kClientTop + kClientH / 2;
constexpr double kPendingTop = kClientTop + kClientH + 10, kPendingH = 50;
constexpr double kPlotBottom = kPendingTop + kPendingH;
constexpr double kHeight = kPlotBottom + 30;
constexpr double kCharW = 6;  // width of one character of the 10 px labels, roughly

std::string Px(double v) { return Fixed(v, 1); }

class Plot {
 public:
  explicit Plot(double span) : span_(span > 0 ? span : 1) {}
  double X(double t) const { return kLeft + std::clamp(t, 0.0, span_) / span_ * kPlotW; }
  double span() const { return span_; }

 private:
  double span_;
};

void SvgText(std::string& out, double x, double y, std::string_view text,
             std::string_view attrs = "") {
  out += "<text x=\"" + Px(x) + "\" y=\"" + Px(y) + "\"" + (attrs.empty() ? "" : " ") +
         std::string(attrs) + ">" + Esc(text) + "</text>\n";
}

void SvgRect(std::string& out, double x, double y, double w, double h, std::string_view fill) {
  out += "<rect x=\"" + Px(x) + "\" y=\"" + Px(y) + "\" width=\"" + Px(w) + "\" height=\"" + Px(h) +
         "\" fill=\"" + std::string(fill) + "\"/>\n";
}

void SvgLine(std::string& out, double x1, double y1, double x2, double y2, std::string_view attrs) {
  out += "<line x1=\"" + Px(x1) + "\" y1=\"" + Px(y1) + "\" x2=\"" + Px(x2) + "\" y2=\"" + Px(y2) +
         "\" " + std::string(attrs) + "/>\n";
}

void SvgLegend(std::string& out, const ScenarioResult& s,
               const std::map<std::string, std::string>& colours) {
  std::vector<std::pair<std::string, std::string>> entries;  // label, colour
  std::set<std::string> regions, kinds;
  for (const auto& t : s.timeline) regions.insert(RegionOf(t));
  for (const auto& [name, colour] : colours) {
    if (regions.count(name)) entries.emplace_back(name, colour);
  }
  for (const auto& e : s.events) {
    if (kinds.insert(e.kind).second) entries.emplace_back(e.kind, KindColour(e.kind));
  }
  double x = kLeft;
  for (const auto& [label, colour] : entries) {
    SvgRect(out, x, kLegendY - 9, 10, 10, colour);
    SvgText(out, x + 14, kLegendY, label);
    x += 14 + kCharW * label.size() + 14;
  }
}

void SvgAxis(std::string& out, const Plot& p) {
  const double raw = p.span() / 10;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  SvgLine(out, kLeft, kPlotBottom, kLeft + kPlotW, kPlotBottom, "stroke=\"#888\"");
  for (int i = 0; i * step <= p.span() + 1e-9; ++i) {
    const double t = i * step;
    SvgLine(out, p.X(t), kDnsTop, p.X(t), kPlotBottom + 4, "stroke=\"#e4e4e4\"");
    SvgText(out, p.X(t), kPlotBottom + 16, Amount(std::round(t * 1000) / 1000) + " s",
            "text-anchor=\"middle\"");
  }
}

void SvgAnswers(std::string& out, const Plot& p, const std::vector<TimelineStep>& steps,
                const std::map<std::string, std::string>& colours) {
  SvgText(out, 8, kDnsTop + kDnsH / 2 + 4, "DNS answer");
  for (size_t i = 0; i < steps.size();) {
    const std::string region = RegionOf(steps[i]);
    size_t j = i;
    while (j + 1 < steps.size() && RegionOf(steps[j + 1]) == region) ++j;
    if (!region.empty()) {
      const double x0 = p.X(steps[i].t_s);
      SvgRect(out, x0, kDnsTop, std::max(p.X(StepEnd(steps, j)) - x0, 0.5), kDnsH,
              colours.at(region));
    }
    i = j + 1;
  }
}

void SvgClients(std::string& out, const Plot& p, const std::vector<Bar>& bars, size_t per_bar) {
  SvgText(out, 8, kClientMid - 6, "client ok \u2191");
  SvgText(out, 8, kClientMid + 14, "client errors \u2193");
  uint64_t peak = 1;
  for (const auto& b : bars) peak = std::max({peak, b.ok, b.errors});
  const double half = kClientH / 2;
  for (const auto& b : bars) {
    const double x0 = p.X(b.t0), w = p.X(b.t1) - x0;
    const double bw = std::max(w > 2 ? w - 0.5 : w, 0.5);
    if (b.ok > 0) {
      const double h = half * static_cast<double>(b.ok) / static_cast<double>(peak);
      SvgRect(out, x0, kClientMid - h, bw, h, "#2ca02c");
    }
    if (b.errors > 0) {
      SvgRect(out, x0, kClientMid, bw,
              half * static_cast<double>(b.errors) / static_cast<double>(peak), "#d62728");
    }
  }
  SvgLine(out, kLeft, kClientMid, kLeft + kPlotW, kClientMid, "stroke=\"#888\"");
  SvgText(out, 8, kClientTop + kClientH - 2,
          "peak " + std::to_string(peak) + " per " + Fixed(kStepS * per_bar, 1) + " s",
          "fill=\"#555\" font-size=\"9\"");
}

void SvgPending(std::string& out, const Plot& p, const std::vector<Bar>& bars) {
  SvgText(out, 8, kPendingTop + 12, "replication");
  SvgText(out, 8, kPendingTop + 25, "pending");
  const Bar* max = nullptr;
  for (const auto& b : bars) {
    if (b.pending && (!max || *b.pending > *max->pending)) max = &b;
  }
  if (!max) {
    SvgText(out, kLeft + 4, kPendingTop + kPendingH / 2 + 4, "not measured", "fill=\"#555\"");
    return;
  }
  const double scale = *max->pending > 0 ? *max->pending : 1;
  auto y = [&](double v) { return kPendingTop + kPendingH - std::max(v, 0.0) / scale * kPendingH; };
  std::string points;
  auto flush = [&] {
    if (!points.empty()) {
      out += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"" + points +
             "\"/>\n";
    }
    points.clear();
  };
  for (const auto& b : bars) {
    if (!b.pending) {
      flush();
      continue;
    }
    for (double t : {b.t0, b.t1}) points += Px(p.X(t)) + "," + Px(y(*b.pending)) + " ";
  }
  flush();
  const double mx = p.X((max->t0 + max->t1) / 2);
  out += "<circle cx=\"" + Px(mx) + "\" cy=\"" + Px(y(*max->pending)) +
         "\" r=\"2.5\" fill=\"#1f77b4\"/>\n";
  SvgText(out, 8, kPendingTop + 38,
          "max " + Amount(*max->pending) + " at " + Fixed(max->t0, 1) + " s",
          "fill=\"#1f77b4\" font-size=\"9\"");
}

// A vertical line per event across the lanes, numbered as in the list under the plot; a
// label goes in the first row above the lanes where it does not cover another.
void SvgEvents(std::string& out, const Plot& p, const std::vector<TimelineEvent>& events) {
  double row_end[kLabelRows];
  std::fill(std::begin(row_end), std::end(row_end), -1e9);
  for (size_t i = 0; i < events.size(); ++i) {
    const TimelineEvent& e = events[i];
    const double x = p.X(e.t_s);
    const bool solid = e.kind == "fault" || e.kind == "repair";
    out += "<g><title>" + Esc(Fixed(e.t_s, 2) + " s " + e.kind + ": " + e.text) + "</title>";
    SvgLine(out, x, kLabelY - 10, x, kPlotBottom,
            std::string("stroke=\"") + KindColour(e.kind) + "\" stroke-width=\"1.5\"" +
                (solid ? "" : " stroke-dasharray=\"4,3\""));
    const std::string label = std::to_string(i + 1) + " " + e.kind;
    const double w = kCharW * label.size() + 4;
    const bool right = x + w <= kWidth;
    const double start = right ? x : x - w;
    for (int r = 0; r < kLabelRows; ++r) {
      if (row_end[r] < start) {
        row_end[r] = start + w;
        SvgText(out, right ? x + 3 : x - 3, kLabelY + r * kLabelRowH, label,
                std::string("fill=\"") + KindColour(e.kind) +
                    "\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\"" +
                    (right ? "" : " text-anchor=\"end\""));
        break;
      }
    }
    out += "</g>\n";
  }
}

void ScenarioSvg(std::string& out, const ScenarioResult& s,
                 const std::map<std::string, std::string>& colours) {
  double span = s.duration_s;
  if (!s.timeline.empty()) span = std::max(span, StepEnd(s.timeline, s.timeline.size() - 1));
  for (const auto& e : s.events) span = std::max(span, e.t_s);
  const Plot p(span);
  size_t per_bar = 1;
  const std::vector<Bar> bars = Merge(s.timeline, static_cast<size_t>(kPlotW / 2), &per_bar);
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Px(kWidth) + "\" height=\"" +
         Px(kHeight) + "\" viewBox=\"0 0 " + Px(kWidth) + " " + Px(kHeight) +
         "\" font-size=\"10\" role=\"img\" aria-label=\"timeline of " + Esc(s.name) + "\">\n";
  SvgLegend(out, s, colours);
  for (const auto& [top, h] :
       {std::pair{kDnsTop, kDnsH}, {kClientTop, kClientH}, {kPendingTop, kPendingH}}) {
    SvgRect(out, kLeft, top, kPlotW, h, "#f6f6f6");
  }
  SvgAxis(out, p);
  SvgAnswers(out, p, s.timeline, colours);
  SvgClients(out, p, bars, per_bar);
  SvgPending(out, p, bars);
  if (s.timeline.empty()) {
    SvgText(out, kLeft + 4, kDnsTop + kDnsH / 2 + 4, "no timeline recorded", "fill=\"#555\"");
  }
  SvgEvents(out, p, s.events);
  out += "</svg>\n";
}

constexpr char kStyle[] = R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;
margin:24px;color:#222;max-width:1010px}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}
.badge{padding:1px 8px;border-radius:4px;color:#fff;font-size:80%}
.badge.pass{background:#1a7f37;color:#fff}.badge.fail{background:#cf222e;color:#fff}
tr.failed td{background:#fff5f5}
.chip{display:inline-block;margin:1px 10px 1px 0;white-space:nowrap}
.error{background:#ffebe9;border:1px solid #cf222e;padding:8px;margin:8px 0}
.notreal{background:#fff8c5;border:1px solid #d4a72c;padding:8px;margin:8px 0}
.notreal ul{margin:4px 0}.warn{color:#9a6700}
section{border-top:2px solid #ddd;margin-top:28px}
svg{display:block;margin:8px 0;background:#fff;max-width:100%;height:auto}
pre{background:#f6f8fa;padding:8px;overflow:auto}
)";

void ScenarioSection(std::string& out, size_t index, const ScenarioResult& s,
                     const std::map<std::string, std::string>& colours) {
  out += "<section id=\"scenario-" + std::to_string(index) + "\">\n<h2>" + Esc(s.name) + " " +
         Verdict(s.passed) + " <small>" + Fixed(s.duration_s, 1) + " s</small></h2>\n";
  if (!s.description.empty()) out += "<p>" + Esc(s.description) + "</p>\n";
  if (!s.error.empty()) {
    out += "<div class=\"error\"><b>Did not run to the end:</b> " + Esc(s.error) + "</div>\n";
  }
  if (!s.not_real.empty()) {
    out += "<div class=\"notreal\"><b>Not real in this environment:</b><ul>\n";
    for (const auto& n : s.not_real) out += "<li>" + Esc(n) + "</li>\n";
    out += "</ul></div>\n";
  }
  if (!s.expectations.empty()) {
    out += "<table><tr><th>expectation</th><th>expected</th><th>actual</th><th></th></tr>\n";
    for (const auto& e : s.expectations) {
      out += std::string(e.held ? "<tr>" : "<tr class=\"failed\">") + "<td>" + Esc(e.name) +
             "</td><td>" + Esc(e.expected) + "</td><td>" + Esc(e.actual) + "</td><td>" +
             Mark(e.held) + (e.held ? " ok" : " <span class=\"fail\">FAILED</span>") +
             "</td></tr>\n";
    }
    out += "</table>\n";
  }
  out += "<p>detection <b>" + Seconds(s.detection_s) + "</b> · DNS flip <b>" +
         Seconds(s.dns_flip_s) + "</b> · client outage <b>" + Seconds(s.client_outage_s) +
         "</b> · acked <b>" + std::to_string(s.acked_writes) + "</b> · failed writes <b>" +
         std::to_string(s.failed_writes) + "</b> · lost during outage <b>" +
         OrDash(s.lost_during_outage) + "</b> · lost after recovery <b>" +
         OrDash(s.lost_after_recovery) + "</b> · failback <b>" + Seconds(s.failback_s) +
         "</b> · consistent <b>" + YesNo(s.consistent) + "</b> · traffic moves <b>" +
         std::to_string(s.traffic_moves) + "</b></p>\n";
  ScenarioSvg(out, s, colours);
  if (!s.events.empty()) {
    out += "<table><tr><th>#</th><th>t</th><th>kind</th><th>what happened</th></tr>\n";
    for (size_t i = 0; i < s.events.size(); ++i) {
      const TimelineEvent& e = s.events[i];
      out += "<tr><td class=\"n\">" + std::to_string(i + 1) + "</td><td class=\"n\">" +
             Fixed(e.t_s, 2) + " s</td><td style=\"color:" + KindColour(e.kind) + "\">" +
             Esc(e.kind) + "</td><td>" + Esc(e.text) + "</td></tr>\n";
    }
    out += "</table>\n";
  }
  if (!s.verify_output.empty()) {
    out += "<p>tandem verify:</p><pre>" + Esc(s.verify_output) + "</pre>\n";
  }
  out += "</section>\n";
}

}  // namespace

std::string ReportJson(const DrillReport& r) {
  json::object o;
  o["started"] = r.started;
  o["environment"] = r.environment;
  o["regions"] = r.regions;
  o["quick"] = r.quick;
  o["check_interval_s"] = Secs(r.check_interval_s);
  o["failure_threshold"] = r.failure_threshold;
  o["ttl_s"] = r.ttl_s;
  o["passed"] = r.passed();
  json::array& scenarios = o["scenarios"].emplace_array();
  for (const auto& s : r.scenarios) scenarios.push_back(ScenarioJson(s));
  std::string out;
  Write(o, 0, out);
  return out + "\n";
}

std::string ReportHtml(const DrillReport& r) {
  const auto colours = RegionColours(r);
  const char* verdict = r.passed() ? "PASSED" : "FAILED";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>Tandem drill " + std::string(verdict) + " - " + Esc(r.started) + "</title>\n";
  out += "<style>\n" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<h1>Tandem drill " + Verdict(r.passed()) + "</h1>\n<table>\n";
  out += "<tr><th>started</th><td>" + Esc(r.started) + "</td></tr>\n";
  out += "<tr><th>environment</th><td>" + Esc(r.environment) + "</td></tr>\n";
  out += "<tr><th>settings</th><td>" + std::to_string(r.regions) + " regions" +
         (r.quick ? ", quick" : "") + ", check interval " + Fixed(r.check_interval_s, 3) +
         " s, failure threshold " + std::to_string(r.failure_threshold) + ", TTL " +
         std::to_string(r.ttl_s) + " s</td></tr>\n</table>\n";
  out +=
      "<h2>Summary</h2>\n<table>\n<tr><th>scenario</th><th>result</th><th>duration</th>"
      "<th>detection</th><th>DNS flip</th><th>client outage</th><th>lost after recovery</th>"
      "<th>consistent</th><th>expectations</th></tr>\n";
  for (size_t i = 0; i < r.scenarios.size(); ++i) {
    const ScenarioResult& s = r.scenarios[i];
    out += std::string(s.passed ? "<tr>" : "<tr class=\"failed\">") + "<td><a href=\"#scenario-" +
           std::to_string(i) + "\">" + Esc(s.name) + "</a></td><td>" + Verdict(s.passed) +
           "</td><td class=\"n\">" + Fixed(s.duration_s, 1) + " s</td><td class=\"n\">" +
           Seconds(s.detection_s) + "</td><td class=\"n\">" + Seconds(s.dns_flip_s) +
           "</td><td class=\"n\">" + Seconds(s.client_outage_s) + "</td><td class=\"n\">" +
           OrDash(s.lost_after_recovery) + "</td><td>" + YesNo(s.consistent) + "</td><td>";
    if (!s.error.empty()) out += "<span class=\"fail\">error: " + Esc(s.error) + "</span><br>";
    for (const auto& n : s.not_real)
      out += "<span class=\"warn\">not real: " + Esc(n) + "</span><br>";
    for (const auto& e : s.expectations) {
      out += "<span class=\"chip\" title=\"expected " + Esc(e.expected) + "\">" + Mark(e.held) +
             " " + Esc(e.name) + ": " + Esc(e.actual) + "</span>";
    }
    out += "</td></tr>\n";
  }
  out += "</table>\n";
  if (r.scenarios.empty()) out += "<p class=\"fail\">No scenario ran.</p>\n";
  for (size_t i = 0; i < r.scenarios.size(); ++i) ScenarioSection(out, i, r.scenarios[i], colours);
  out += "</body>\n</html>\n";
  return out;
}

std::string SummaryTable(const DrillReport& r) {
  size_t name_w = 0, exp_w = 0, expected_w = 0, actual_w = 0;
  for (const auto& s : r.scenarios) {
    name_w = std::max(name_w, s.name.size());
    for (const auto& e : s.expectations) {
      exp_w = std::max(exp_w, e.name.size());
      expected_w = std::max(expected_w, e.expected.size());
      actual_w = std::max(actual_w, e.actual.size());
    }
  }
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w - s.size() + 2, ' '); };
  std::string out;
  std::vector<std::string> failed;
  for (const auto& s : r.scenarios) {
    if (!s.passed) failed.push_back(s.name);
    out += pad(s.name, name_w) + (s.passed ? "PASSED" : "FAILED") + "  (" + Fixed(s.duration_s, 1) +
           " s)\n";
    if (!s.error.empty()) out += "  error: " + s.error + "\n";
    for (const auto& n : s.not_real) out += "  not real: " + n + "\n";
    for (const auto& e : s.expectations) {
      out += "  " + pad(e.name, exp_w) + pad(e.expected, expected_w) + pad(e.actual, actual_w) +
             (e.held ? "ok" : "FAILED") + "\n";
    }
    out += "  detection " + Seconds(s.detection_s) + ", dns flip " + Seconds(s.dns_flip_s) +
           ", client outage " + Seconds(s.client_outage_s) + ", acked " +
           std::to_string(s.acked_writes) + ", lost during outage " + OrDash(s.lost_during_outage) +
           ", lost after recovery " + OrDash(s.lost_after_recovery) + ", failback " +
           Seconds(s.failback_s) + ", consistent " + YesNo(s.consistent) + "\n\n";
  }
  const std::string total = std::to_string(r.scenarios.size());
  if (r.scenarios.empty()) return out + "drill FAILED: no scenarios ran\n";
  if (failed.empty()) return out + "drill PASSED: " + total + " of " + total + " scenarios\n";
  std::string names;
  for (const auto& n : failed) names += (names.empty() ? "" : ", ") + n;
  return out + "drill FAILED: " + std::to_string(failed.size()) + " of " + total +
         " scenarios failed (" + names + ")\n";
}

Status WriteReport(const DrillReport& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec && !std::filesystem::is_directory(dir, ec)) {
    ec = std::make_error_code(std::errc::not_a_directory);
  }
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  TANDEM_RETURN_IF_ERROR(up::WriteFileAtomically(dir + "/report.json", ReportJson(r)));
  return up::WriteFileAtomically(dir + "/report.html", ReportHtml(r));
}

}  // namespace tandem::drill
