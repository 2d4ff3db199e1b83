// Fuzzes the expression language: every parser on arbitrary text, then
// evaluation, update application and projection of whatever parsed, on a
// fixed item. Any crash or sanitizer report is a bug.
#include <cstdint>
#include <string>

#include "expr/condition.h"
#include "expr/context.h"
#include "expr/key_condition.h"
#include "expr/projection.h"
#include "expr/update.h"

namespace {

using tandem::Value;

const tandem::Item& SampleItem() {
  static const tandem::Item item = [] {
    tandem::Item i;
    i["id"] = Value::S("k");
    i["n"] = Value::N("42");
    i["s"] = Value::S("hello");
    i["l"] = Value::List({Value::N("1"), Value::S("x"), Value::List({Value::Bool(true)})});
    i["m"] = Value::Map({{"a", Value::N("1")}, {"b", Value::Map({{"c", Value::Null()}})}});
    i["ss"] = Value::Set(tandem::ValueType::kSS, {"a", "b"});
    i["ns"] = Value::Set(tandem::ValueType::kNS, {"1", "2"});
    i["b"] = Value::B(std::string("\x00\x01", 2));
    return i;
  }();
  return item;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tandem::ExpressionContext::NameMap names = {
      {"#a", "n"}, {"#b", "m"}, {"#c", "l"}, {"#d", "id"}};
  static const tandem::ExpressionContext::ValueMap values = {
      {":n", Value::N("7")},
      {":s", Value::S("he")},
      {":l", Value::List({Value::N("3")})},
      {":ss", Value::Set(tandem::ValueType::kSS, {"c"})},
      {":ns", Value::Set(tandem::ValueType::kNS, {"9"})},
      {":big", Value::N("99999999999999999999999999999999999999")}};
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  {
    tandem::ExpressionContext ctx(&names, &values);
    auto c = tandem::ParseCondition(text, "ConditionExpression", &ctx);
    if (c.ok()) {
      (void)tandem::Evaluate(*c, SampleItem());
      (void)tandem::Evaluate(*c, tandem::Item{});
    }
    (void)ctx.CheckUnused();
  }
  {
    tandem::ExpressionContext ctx(&names, &values);
    auto u = tandem::ParseUpdate(text, &ctx);
    if (u.ok()) {
      tandem::Item item = SampleItem();
      std::vector<tandem::Path> touched;
      if (tandem::ApplyUpdate(*u, &item, &touched).ok()) {
        (void)tandem::ProjectPaths(touched, item);
      }
    }
  }
  {
    tandem::ExpressionContext ctx(&names, &values);
    auto p = tandem::ParseProjection(text, &ctx);
    if (p.ok()) (void)tandem::Project(*p, SampleItem());
  }
  {
    tandem::ExpressionContext ctx(&names, &values);
    tandem::KeySchemaInfo schema{"id", tandem::ValueType::kS, std::string("n"),
                                 tandem::ValueType::kN};
    auto k = tandem::ParseKeyCondition(text, &ctx, schema);
    if (k.ok() && k->range) (void)k->range->Matches(Value::N("5"));
  }
  return 0;
}
