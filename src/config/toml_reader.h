// TomlReader: typed reads from a parsed TOML table of the deployment file,
// every problem reported as InvalidArgument "file:line: problem" (the
// configuration's own terms). Shared by the sections' parsers.
//
// toml++ is used header-only and without exceptions; include this header
// only from configuration parsers. Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#include <toml++/toml.h>

#include "common/status.h"

namespace tandem::config {

class TomlReader {
 public:
  // `path` names the file in messages; relative paths resolve against its
  // directory.
  explicit TomlReader(std::string path);

  const std::string& path() const { return path_; }
  // "file:line" of `node`.
  std::string Where(const toml::node& node) const;
  Status Error(const toml::node& node, const std::string& problem) const;

  // Each reader leaves `out` unchanged when `key` is absent (an error
  // instead when `required`), and fails on a value of the wrong type or
  // range.
  Status String(const toml::table& table, const char* key, bool required, std::string* out) const;
  // A string naming a file: made absolute against the file's directory.
  Status Path(const toml::table& table, const char* key, bool required, std::string* out) const;
  Status Integer(const toml::table& table, const char* key, int64_t min, int64_t max, bool required,
                 int64_t* out) const;
  Status PositiveInteger(const toml::table& table, const char* key,
                         std::optional<uint64_t>* out) const;
  Status Bool(const toml::table& table, const char* key, bool* out) const;
  Status Double(const toml::table& table, const char* key, double min, double max,
                double* out) const;
  // "100ms", "1s", "1.5s", "2m", "1h".
  Status Duration(const toml::table& table, const char* key, std::chrono::milliseconds* out) const;
  Status StringArray(const toml::table& table, const char* key,
                     std::vector<std::string>* out) const;
  // The tables of an array of tables ([[section]]) or of inline tables;
  // absent gives none.
  Status Tables(const toml::table& table, const char* key,
                std::vector<const toml::table*>* out) const;
  Status NoUnknownKeys(const toml::table& table, std::initializer_list<const char*> known,
                       const char* section) const;

 private:
  std::string path_;
  std::string base_;
};

// Parses TOML text; InvalidArgument "path:line: problem" on a syntax error.
StatusOr<toml::table> ParseToml(std::string_view text, const std::string& path);
// Reads a whole file; IOError when it cannot.
StatusOr<std::string> ReadConfigFile(const std::string& path);
// Whether `s` is HOST:PORT with a numeric port up to 65535 (IPv6 as
// [addr]:port).
bool ValidHostPort(std::string_view s);
// "1s" -> 1000 ms ...; InvalidArgument otherwise.
StatusOr<std::chrono::milliseconds> ParseDurationText(std::string_view text);

}  // namespace tandem::config
