// Presentation <-> wire form of names, and record type mnemonics.
#include <array>
#include <charconv>
#include <string>
#include <utility>

#include "dns/wire.h"
#include "dns/zone.h"

namespace tandem::dns {
namespace {

struct TypeEntry {
  uint16_t type;
  const char* name;
};

constexpr TypeEntry kTypes[] = {
    {1, "A"},           {2, "NS"},          {3, "MD"},      {4, "MF"},      {5, "CNAME"},
    {6, "SOA"},         {7, "MB"},          {8, "MG"},      {9, "MR"},      {10, "NULL"},
    {11, "WKS"},        {12, "PTR"},        {13, "HINFO"},  {14, "MINFO"},  {15, "MX"},
    {16, "TXT"},        {17, "RP"},         {18, "AFSDB"},  {19, "X25"},    {20, "ISDN"},
    {21, "RT"},         {22, "NSAP"},       {24, "SIG"},    {25, "KEY"},    {26, "PX"},
    {27, "GPOS"},       {28, "AAAA"},       {29, "LOC"},    {30, "NXT"},    {33, "SRV"},
    {35, "NAPTR"},      {36, "KX"},         {37, "CERT"},   {38, "A6"},     {39, "DNAME"},
    {41, "OPT"},        {42, "APL"},        {43, "DS"},     {44, "SSHFP"},  {45, "IPSECKEY"},
    {46, "RRSIG"},      {47, "NSEC"},       {48, "DNSKEY"}, {49, "DHCID"},  {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},       {53, "SMIMEA"}, {55, "HIP"},    {59, "CDS"},
    {60, "CDNSKEY"},    {61, "OPENPGPKEY"}, {62, "CSYNC"},  {63, "ZONEMD"}, {64, "SVCB"},
    {65, "HTTPS"},      {99, "SPF"},        {104, "NID"},   {105, "L32"},   {106, "L64"},
    {107, "LP"},        {108, "EUI48"},     {109, "EUI64"}, {249, "TKEY"},  {250, "TSIG"},
    {251, "IXFR"},      {252, "AXFR"},      {253, "MAILB"}, {254, "MAILA"}, {255, "ANY"},
    {256, "URI"},       {257, "CAA"},       {32769, "DLV"},
};

bool EqualsUpper(std::string_view text, const char* upper) {
  size_t i = 0;
  for (; i < text.size() && upper[i] != 0; ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    if (c != upper[i]) {
      return false;
    }
  }
  return i == text.size() && upper[i] == 0;
}

// Parses presentation form into lower-case wire labels (without the root
// byte, so a relative name can be joined to its origin). `absolute` tells
// whether it ended with an unescaped dot.
Status ParseLabels(std::string_view text, std::string* wire, bool* absolute) {
  *absolute = false;
  wire->clear();
  if (text == ".") {
    *absolute = true;
    return Status::OK();
  }
  if (text.empty()) {
    return Status::InvalidArgument("empty name");
  }
  std::string label;
  size_t i = 0;
  auto end_label = [&]() -> Status {
    if (label.empty()) {
      return Status::InvalidArgument("empty label in \"" + std::string(text) + "\"");
    }
    if (label.size() > 63) {
      return Status::InvalidArgument("label longer than 63 bytes in \"" + std::string(text) + "\"");
    }
    wire->push_back(static_cast<char>(label.size()));
    *wire += label;
    label.clear();
    return Status::OK();
  };
  while (i < text.size()) {
    char c = text[i++];
    if (c == '.') {
      TANDEM_RETURN_IF_ERROR(end_label());
      if (i == text.size()) {
        *absolute = true;
      }
      continue;
    }
    if (c == '\\') {
      if (i >= text.size()) {
        return Status::InvalidArgument("dangling backslash in \"" + std::string(text) + "\"");
      }
      if (text[i] >= '0' && text[i] <= '9') {
        unsigned value = 0;
        if (i + 3 > text.size() ||
            std::from_chars(text.data() + i, text.data() + i + 3, value).ptr !=
                text.data() + i + 3 ||
            value > 255) {
          return Status::InvalidArgument("bad \\DDD escape in \"" + std::string(text) + "\"");
        }
        c = static_cast<char>(value);
        i += 3;
      } else {
        c = text[i++];
      }
    }
    label.push_back(static_cast<char>(AsciiLower(static_cast<uint8_t>(c))));
  }
  if (!label.empty()) {
    TANDEM_RETURN_IF_ERROR(end_label());
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::string> NameToWire(std::string_view name, std::string_view origin) {
  std::string wire;
  bool absolute = false;
  if (name == "@") {
    if (origin == "@") {
      return Status::InvalidArgument("origin may not be @");
    }
    return NameToWire(origin, ".");
  }
  TANDEM_RETURN_IF_ERROR(ParseLabels(name, &wire, &absolute));
  if (!absolute) {
    std::string origin_wire;
    bool origin_absolute = false;
    TANDEM_RETURN_IF_ERROR(ParseLabels(origin, &origin_wire, &origin_absolute));
    wire += origin_wire;  // an origin without its final dot is taken as absolute
  }
  wire.push_back('\0');
  if (wire.size() > kMaxNameLength) {
    return Status::InvalidArgument("name longer than 255 bytes: \"" + std::string(name) + "\"");
  }
  return wire;
}

std::string WireToName(std::string_view wire) {
  std::string out;
  size_t at = 0;
  while (at < wire.size() && wire[at] != 0) {
    const size_t len = static_cast<uint8_t>(wire[at]);
    for (size_t k = 1; k <= len && at + k < wire.size(); ++k) {
      const auto c = static_cast<uint8_t>(wire[at + k]);
      if (c <= 0x20 || c >= 0x7F) {
        char buf[5] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                       static_cast<char>('0' + c % 10), 0};
        out += buf;
      } else {
        if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' ||
            c == '$') {
          out.push_back('\\');
        }
        out.push_back(static_cast<char>(c));
      }
    }
    out.push_back('.');
    at += 1 + len;
  }
  return out.empty() ? "." : out;
}

uint16_t TypeFromName(std::string_view name) {
  for (const TypeEntry& e : kTypes) {
    if (EqualsUpper(name, e.name)) {
      return e.type;
    }
  }
  if (name.size() > 4 && EqualsUpper(name.substr(0, 4), "TYPE")) {
    unsigned value = 0;
    const char* end = name.data() + name.size();
    auto [ptr, ec] = std::from_chars(name.data() + 4, end, value);
    if (ec == std::errc() && ptr == end && value <= 65535) {
      return static_cast<uint16_t>(value);
    }
  }
  return 0;
}

std::string TypeName(uint16_t type) {
  for (const TypeEntry& e : kTypes) {
    if (e.type == type) {
      return e.name;
    }
  }
  return "TYPE" + std::to_string(type);
}

}  // namespace tandem::dns
