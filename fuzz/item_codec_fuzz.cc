// Fuzzes the on-disk decoders: items, version records and item keys must
// reject any corrupt bytes with a status, never crash; whatever decodes must
// re-encode to a form that decodes to the same item.
#include <cstdint>
#include <string>

#include "storage/item_codec.h"
#include "storage/key_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto item = tandem::storage::DecodeItem(bytes);
  if (item.ok()) {
    auto again = tandem::storage::DecodeItem(tandem::storage::EncodeItem(*item));
    if (!again.ok() || !(tandem::Value::Map(*again) == tandem::Value::Map(*item))) __builtin_trap();
  }
  auto meta = tandem::storage::DecodeRecordMeta(bytes);
  if (meta.ok() && !meta->tombstone) (void)tandem::storage::DecodeRecordItem(bytes);
  (void)tandem::storage::DecodeItemKey(bytes, tandem::ValueType::kS, tandem::ValueType::kN);
  (void)tandem::storage::DecodeItemKey(bytes, tandem::ValueType::kB, std::nullopt);
  std::string_view in = bytes;
  (void)tandem::storage::DecodeKeyPart(&in, tandem::ValueType::kN);
  return 0;
}
