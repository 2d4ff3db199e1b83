// Master files and RDATA text through Knot's libzscanner.
extern "C" {  // error.h has no C++ guard of its own
#include <libzscanner/error.h>
#include <libzscanner/scanner.h>
}

#include <memory>
#include <string>
#include <utility>

#include "dns/wire.h"
#include "dns/zone.h"

namespace tandem::dns {
namespace {

constexpr uint16_t kClassIn = 1;
constexpr uint32_t kDefaultTtl = 3600;  // Knot's default-ttl

struct ScannerDeleter {
  void operator()(zs_scanner_t* s) const {
    zs_deinit(s);
    delete s;
  }
};
using Scanner = std::unique_ptr<zs_scanner_t, ScannerDeleter>;

// A scanner for `origin` (the scanner is ~200 KB: never on the stack).
StatusOr<Scanner> NewScanner(const std::string& origin, uint32_t default_ttl) {
  auto* raw = new zs_scanner_t;
  if (zs_init(raw, origin.c_str(), kClassIn, default_ttl) != 0) {
    const int code = raw->error.code;
    zs_deinit(raw);
    delete raw;
    return Status::InvalidArgument("bad origin \"" + origin + "\": " + zs_strerror(code));
  }
  return Scanner(raw);
}

std::string LowerName(const uint8_t* data, size_t size) {
  std::string name(reinterpret_cast<const char*>(data), size);
  for (char& c : name) {
    c = static_cast<char>(AsciiLower(static_cast<uint8_t>(c)));
  }
  return name;
}

// What the callbacks of one ReadZoneFile share; the scanner of an $INCLUDEd
// file is a different object with the same `process.data`.
struct FileContext {
  const zs_scanner_t* top = nullptr;
  std::shared_ptr<const std::string> top_file;
  std::shared_ptr<const std::string> include_file;  // the last included file seen
  std::vector<ZoneRecord> records;
  std::string error;  // the first one
};

const std::shared_ptr<const std::string>& FileOf(zs_scanner_t* s, FileContext* ctx) {
  if (s == ctx->top || s->file.name == nullptr) {
    return ctx->top_file;
  }
  if (!ctx->include_file || *ctx->include_file != s->file.name) {
    ctx->include_file = std::make_shared<const std::string>(s->file.name);
  }
  return ctx->include_file;
}

void Fail(zs_scanner_t* s, FileContext* ctx, const std::string& problem) {
  if (ctx->error.empty()) {
    ctx->error = *FileOf(s, ctx) + ":" + std::to_string(s->line_counter) + ": " + problem;
  }
  s->state = ZS_STATE_STOP;
}

void OnRecord(zs_scanner_t* s) {
  auto* ctx = static_cast<FileContext*>(s->process.data);
  if (s->r_class != kClassIn) {
    Fail(s, ctx, "class " + std::to_string(s->r_class) + " is not IN (only IN is served)");
    return;
  }
  ZoneRecord r;
  r.owner = LowerName(s->r_owner, s->r_owner_length);
  r.type = s->r_type;
  r.ttl = s->r_ttl;
  r.rdata.assign(reinterpret_cast<const char*>(s->r_data), s->r_data_length);
  r.line = static_cast<int>(s->line_counter);
  r.file = FileOf(s, ctx);
  ctx->records.push_back(std::move(r));
}

void OnError(zs_scanner_t* s) {
  auto* ctx = static_cast<FileContext*>(s->process.data);
  Fail(s, ctx, zs_strerror(s->error.code));
}

// For RdataFromText: the one record of a synthetic line.
struct TextContext {
  int records = 0;
  std::string rdata;
  int error = 0;
};

void OnTextRecord(zs_scanner_t* s) {
  auto* ctx = static_cast<TextContext*>(s->process.data);
  if (++ctx->records == 1) {
    ctx->rdata.assign(reinterpret_cast<const char*>(s->r_data), s->r_data_length);
  }
}

void OnTextError(zs_scanner_t* s) {
  auto* ctx = static_cast<TextContext*>(s->process.data);
  if (ctx->error == 0) {
    ctx->error = s->error.code;
  }
  s->state = ZS_STATE_STOP;
}

std::string AbsoluteOrigin(std::string_view origin) {
  std::string o(origin);
  if (o.empty() || o.back() != '.') {
    o.push_back('.');
  }
  return o;
}

}  // namespace

StatusOr<std::vector<ZoneRecord>> ReadZoneFile(const std::string& path, std::string_view origin) {
  TANDEM_ASSIGN_OR_RETURN(Scanner scanner, NewScanner(AbsoluteOrigin(origin), kDefaultTtl));
  FileContext ctx;
  ctx.top = scanner.get();
  ctx.top_file = std::make_shared<const std::string>(path);
  if (zs_set_input_file(scanner.get(), path.c_str()) != 0) {
    return Status::InvalidArgument(path + ": " + zs_strerror(scanner->error.code));
  }
  if (zs_set_processing(scanner.get(), OnRecord, OnError, &ctx) != 0) {
    return Status::Internal(path + ": cannot set up the zone scanner");
  }
  const int result = zs_parse_all(scanner.get());
  if (!ctx.error.empty()) {
    return Status::InvalidArgument(ctx.error);
  }
  if (result != 0) {
    return Status::InvalidArgument(path + ":" + std::to_string(scanner->line_counter) + ": " +
                                   zs_strerror(scanner->error.code));
  }
  return std::move(ctx.records);
}

StatusOr<std::string> RdataFromText(uint16_t type, std::string_view text, std::string_view origin) {
  const std::string type_name = TypeName(type);
  if (type == 0) {
    return Status::InvalidArgument("record type 0 has no RDATA");
  }
  if (text.find_first_of("\n\r") != std::string_view::npos) {
    return Status::InvalidArgument(type_name + " value must be on one line");
  }
  TANDEM_ASSIGN_OR_RETURN(Scanner scanner, NewScanner(AbsoluteOrigin(origin), 0));
  const std::string input = "@ 0 IN " + type_name + " " + std::string(text) + "\n";
  TextContext ctx;
  if (zs_set_input_string(scanner.get(), input.data(), input.size()) != 0 ||
      zs_set_processing(scanner.get(), OnTextRecord, OnTextError, &ctx) != 0) {
    return Status::Internal("cannot set up the zone scanner");
  }
  const int result = zs_parse_all(scanner.get());
  if (ctx.error != 0 || result != 0) {
    const int code = ctx.error != 0 ? ctx.error : scanner->error.code;
    return Status::InvalidArgument("bad " + type_name + " value \"" + std::string(text) +
                                   "\": " + zs_strerror(code));
  }
  if (ctx.records != 1) {
    return Status::InvalidArgument("bad " + type_name + " value \"" + std::string(text) +
                                   "\": expected one record");
  }
  return std::move(ctx.rdata);
}

}  // namespace tandem::dns
