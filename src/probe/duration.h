// Durations as the probe's flags take them and its messages print them.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem::probe {

// Parses "2", "2s", "0.5", "1.5s" (seconds) or "500ms" (milliseconds).
// InvalidArgument unless the result is positive and at most one hour, in
// whole milliseconds.
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Seconds, as short as exact to the millisecond: "2s", "0.5s", "1.25s".
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace tandem::probe
