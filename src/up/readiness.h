// Readiness: whether a started process serves yet, and whether an address
// is free before anything binds it.
//
//   kHttp  GET http://host:port/path answers 200 (and, when set, the body
//          holds body_contains) — a node's or a probe's /health
//   kDns   an A query for dns_name over UDP to host:port is answered NOERROR
//          with at least one answer — a tandem dns server
//   kFile  the file at `file` holds a complete line (one ending in '\n')
//          beyond its first `file_from` bytes — `tandem control`'s audit
//          log, which gets a line once the controller has polled and leads
//
// Thread-safety: pure functions over their arguments, safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace tandem::up {

struct Endpoint {
  std::string host;  // an IP address
  uint16_t port = 0;
  bool udp = false;

  std::string ToString() const;  // "127.0.0.1:5353/udp", "127.0.0.1:8000"
};

struct ReadyCheck {
  enum class Kind { kNone, kHttp, kDns, kFile } kind = Kind::kNone;
  Endpoint endpoint;
  std::string path = "/health";  // kHttp
  std::string body_contains;     // kHttp, optional
  std::string dns_name;          // kDns, absolute
  std::string file;              // kFile, absolute
  // kFile: the bytes already there, whose lines do not count. A file now
  // shorter than this (rotated, removed) counts from its start.
  uint64_t file_from = 0;

  // "GET http://127.0.0.1:8000/health", "A www.shop.example. @127.0.0.1:5353",
  // "a new line in /dir/control-audit.jsonl".
  std::string Describe() const;
};

// A kFile check of `path` that counts only lines written after this call
// (file_from is the file's size now; 0 when it does not exist).
ReadyCheck NewLineIn(const std::string& path);

// OK when ready; otherwise Unavailable with why not ("HTTP 503: {...}",
// "cannot connect to 127.0.0.1:8000: Connection refused", "no answer within
// 500 ms", "NXDOMAIN", "no new line yet (412 bytes)"). Returns within about `timeout`. kNone is
// always OK.
Status CheckReady(const ReadyCheck& check, std::chrono::milliseconds timeout);

// OK when `endpoint` can be bound now; FailedPrecondition "127.0.0.1:8000 is
// already in use (Address already in use)" otherwise. TCP binds with
// SO_REUSEADDR, as servers do, so lingering TIME_WAIT connections of a
// previous run do not count as use.
Status CheckFree(const Endpoint& endpoint);

// The DNS query CheckReady sends (id `id`, RD clear, one question, class IN)
// and the check of its response; exposed for tests.
std::string BuildQuery(uint16_t id, const std::string& name, uint16_t qtype);
// OK when `response` answers query `id` with NOERROR and at least one answer
// record; Unavailable naming the rcode or the problem otherwise.
Status CheckDnsResponse(const std::string& response, uint16_t id);

}  // namespace tandem::up
