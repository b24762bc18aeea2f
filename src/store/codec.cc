#include "store/codec.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common/binary.h"

namespace leadgate {
namespace {

using bin::PutBytes;
using bin::PutVarint;
using bin::Reader;
using bin::UnZigZag;
using bin::ZigZag;

}  // namespace

void EncodeValue(const Value& v, std::string* out) {
  out->push_back(static_cast<char>(v.kind));
  switch (v.kind) {
    case Value::Kind::kNull:
      break;
    case Value::Kind::kBool:
      out->push_back(v.b ? 1 : 0);
      break;
    case Value::Kind::kNumber:
      bin::PutDouble(v.num, out);
      break;
    case Value::Kind::kString:
    case Value::Kind::kNested:
      PutBytes(v.str, out);
      break;
  }
}

bool DecodeValue(bin::Reader& r, Value* v) {
  uint8_t kind = 0;
  if (!r.Byte(&kind) || kind > 4) return false;
  v->kind = static_cast<Value::Kind>(kind);
  if (kind != static_cast<uint8_t>(Value::Kind::kString) &&
      kind != static_cast<uint8_t>(Value::Kind::kNested)) {
    v->str.clear();
  }
  v->b = false;
  v->num = 0;
  switch (v->kind) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool: {
      uint8_t b = 0;
      if (!r.Byte(&b)) return false;
      v->b = b != 0;
      return true;
    }
    case Value::Kind::kNumber:
      return r.Double(&v->num);
    case Value::Kind::kString:
    case Value::Kind::kNested:
      return r.Bytes(&v->str);
  }
  return false;
}

void EncodeEvent(const Event& e, std::string* out) {
  PutBytes(e.message_id, out);
  out->push_back(static_cast<char>(e.type));
  PutVarint(ZigZag(e.ts), out);
  PutBytes(e.name, out);
  PutVarint(e.props.size(), out);
  for (const auto& [k, v] : e.props) {
    PutBytes(k, out);
    EncodeValue(v, out);
  }
}

Status DecodeEventsInto(std::string_view data, int64_t n, const std::string& lead_id,
                        std::vector<Event>* pool, size_t* used) {
  Reader r(data);
  auto bad = [&] {
    return Status::Internal("a stored event of lead '" + lead_id +
                            "' is unreadable (the store is damaged)");
  };
  for (int64_t i = 0; i < n; ++i) {
    if (*used == pool->size()) pool->emplace_back();
    Event& e = (*pool)[(*used)++];
    e.lead_id = lead_id;
    uint8_t type = 0;
    uint64_t ts = 0, nprops = 0;
    if (!r.Bytes(&e.message_id) || !r.Byte(&type) || type > 3 || !r.Varint(&ts) ||
        !r.Bytes(&e.name) || !r.Varint(&nprops) || nprops > r.left()) {
      return bad();
    }
    e.type = static_cast<EventType>(type);
    e.ts = UnZigZag(ts);
    e.props.resize(nprops);
    for (auto& [k, v] : e.props) {
      if (!r.Bytes(&k) || !DecodeValue(r, &v)) return bad();
    }
  }
  return Status::Ok();
}

Status DecodeEvents(std::string_view data, int64_t n, const std::string& lead_id,
                    std::vector<Event>* out) {
  size_t used = out->size();
  out->reserve(used + static_cast<size_t>(n));
  Status s = DecodeEventsInto(data, n, lead_id, out, &used);
  out->resize(used);
  return s;
}

Status ScanEvents(std::string_view data, int64_t n,
                  const std::function<void(Micros, std::string_view, size_t, size_t)>& fn) {
  Reader r(data);
  auto bad = [] { return Status::Internal("a stored event is unreadable (the store is damaged)"); };
  for (int64_t i = 0; i < n; ++i) {
    size_t start = data.size() - r.left();
    uint64_t len = 0, ts = 0, nprops = 0;
    uint8_t type = 0;
    if (!r.Varint(&len) || len > r.left()) return bad();
    std::string_view mid = data.substr(data.size() - r.left(), len);
    if (!r.Skip(len) || !r.Byte(&type) || !r.Varint(&ts) || !r.Varint(&len) || !r.Skip(len) ||
        !r.Varint(&nprops)) {
      return bad();
    }
    for (uint64_t p = 0; p < nprops; ++p) {
      uint8_t kind = 0;
      if (!r.Varint(&len) || !r.Skip(len) || !r.Byte(&kind)) return bad();
      switch (static_cast<Value::Kind>(kind)) {
        case Value::Kind::kNull:
          break;
        case Value::Kind::kBool:
          if (!r.Skip(1)) return bad();
          break;
        case Value::Kind::kNumber:
          if (!r.Skip(8)) return bad();
          break;
        case Value::Kind::kString:
        case Value::Kind::kNested:
          if (!r.Varint(&len) || !r.Skip(len)) return bad();
          break;
        default:
          return bad();
      }
    }
    fn(UnZigZag(ts), mid, start, data.size() - r.left() - start);
  }
  return Status::Ok();
}

void EventBatch::Add(const Event& e) {
  auto [it, fresh] = lead_index_.try_emplace(e.lead_id, static_cast<uint32_t>(leads_.size()));
  if (fresh) leads_.push_back(e.lead_id);
  Item item;
  item.hash = MessageIdHash(e.message_id);
  item.ts = e.ts;
  item.lead = it->second;
  item.chunk = 0;
  item.off = static_cast<uint32_t>(arena_.size());
  EncodeEvent(e, &arena_);
  item.len = static_cast<uint32_t>(arena_.size() - item.off);
  // EncodeEvent starts with the length-prefixed messageId.
  size_t prefix = 1;
  for (size_t n = e.message_id.size(); n >= 0x80; n >>= 7) ++prefix;
  item.id_off = static_cast<uint32_t>(prefix);
  item.id_len = static_cast<uint32_t>(e.message_id.size());
  items_.push_back(item);
}

void EventBatch::Finish() {
  const size_t n = items_.size();
  by_hash_.resize(n);
  by_lead_.resize(n);
  for (uint32_t i = 0; i < n; ++i) by_hash_[i] = by_lead_[i] = i;
  std::sort(by_hash_.begin(), by_hash_.end(), [&](uint32_t a, uint32_t b) {
    if (items_[a].hash != items_[b].hash) return items_[a].hash < items_[b].hash;
    return a < b;
  });
  // Leads in id order, so chunks go into the clustered table in key order.
  std::vector<uint32_t> rank(leads_.size());
  {
    std::vector<uint32_t> order(leads_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](uint32_t a, uint32_t b) { return leads_[a] < leads_[b]; });
    for (uint32_t r = 0; r < order.size(); ++r) rank[order[r]] = r;
  }
  auto id = [&](const Item& it) {
    return std::string_view(arena_.data() + it.off + it.id_off, it.id_len);
  };
  std::sort(by_lead_.begin(), by_lead_.end(), [&](uint32_t a, uint32_t b) {
    const Item& x = items_[a];
    const Item& y = items_[b];
    if (x.lead != y.lead) return rank[x.lead] < rank[y.lead];
    if (x.ts != y.ts) return x.ts < y.ts;
    return id(x) < id(y);
  });
  chunks_data_.reserve(arena_.size());
  for (size_t i = 0; i < n;) {
    uint32_t lead = items_[by_lead_[i]].lead;
    size_t j = i;
    while (j < n && items_[by_lead_[j]].lead == lead) ++j;
    for (size_t k = i; k < j; k += kChunkEvents) {
      size_t end = std::min(j, k + kChunkEvents);
      Chunk c{lead,
              static_cast<uint32_t>(k),
              static_cast<uint32_t>(end - k),
              static_cast<uint32_t>(chunks_data_.size()),
              0,
              INT64_MIN};
      for (size_t m = k; m < end; ++m) {
        Item& it = items_[by_lead_[m]];
        uint32_t off = static_cast<uint32_t>(chunks_data_.size());
        chunks_data_.append(arena_, it.off, it.len);
        it.off = off;
        it.chunk = static_cast<uint32_t>(chunks_.size());
        c.max_ts = std::max(c.max_ts, it.ts);
      }
      c.len = static_cast<uint32_t>(chunks_data_.size()) - c.off;
      chunks_.push_back(c);
    }
    i = j;
  }
  finished_ = true;
  std::string().swap(arena_);
  lead_index_.clear();
}

namespace {
std::atomic<uint64_t> g_hash_mask{~uint64_t{0}};
}  // namespace

void SetMessageIdHashMaskForTesting(uint64_t mask) { g_hash_mask = mask; }

int64_t MessageIdHash(std::string_view message_id) {
  static const unsigned char kKey[crypto_shorthash_KEYBYTES] = {
      'l', 'e', 'a', 'd', 'g', 'a', 't', 'e', '-', 'm', 's', 'g', '-', 'i', 'd', '1'};
  unsigned char h[crypto_shorthash_BYTES];
  crypto_shorthash(h, reinterpret_cast<const unsigned char*>(message_id.data()), message_id.size(),
                   kKey);
  uint64_t v = 0;
  std::memcpy(&v, h, sizeof v);
  return static_cast<int64_t>(v & g_hash_mask.load(std::memory_order_relaxed));
}

}  // namespace leadgate
