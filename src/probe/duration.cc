#include "probe/duration.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace tandem::probe {

StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  const auto bad = [&] {
    return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                   "': give seconds (2, 0.5, 2s) or milliseconds (500ms), more "
                                   "than 0 and at most 3600s");
  };
  std::string_view number = text;
  double scale = 1000;  // to milliseconds
  if (number.ends_with("ms")) {
    number.remove_suffix(2);
    scale = 1;
  } else if (number.ends_with('s')) {
    number.remove_suffix(1);
  }
  if (number.empty() || number.find_first_not_of("0123456789.") != std::string_view::npos) {
    return bad();
  }
  const std::string copy(number);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) {
    return bad();
  }
  const double millis = value * scale;
  if (!(millis >= 1) || millis > 3600 * 1000 || std::abs(millis - std::round(millis)) > 1e-6) {
    return bad();
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::round(millis)));
}

std::string FormatDuration(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms % 1000 == 0) {
    return fmt::format("{}s", ms / 1000);
  }
  std::string frac = fmt::format("{:03}", ms % 1000);
  while (frac.back() == '0') {
    frac.pop_back();
  }
  return fmt::format("{}.{}s", ms / 1000, frac);
}

}  // namespace tandem::probe
