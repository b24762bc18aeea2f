// The binary form of events in the log: compact, self-delimiting, lossless
// for everything the fold and show use (every property and trait as parsed,
// nested values as their JSON text). A refold decodes it instead of running a
// JSON parser over the whole log.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/binary.h"
#include "common/status.h"
#include "fold/timeline.h"

namespace leadgate {

// The same, decoding into (*pool)[*used ...] and advancing *used: the slots'
// strings keep their capacity, so a long scan allocates almost nothing.
Status DecodeEventsInto(std::string_view data, int64_t n, const std::string& lead_id,
                        std::vector<Event>* pool, size_t* used);

// Walks `n` encoded events without decoding them: fn(ts, messageId, offset,
// length) for each (its bytes are data[offset, offset + length)).
Status ScanEvents(std::string_view data, int64_t n,
                  const std::function<void(Micros, std::string_view, size_t, size_t)>& fn);

// One value: a kind byte, then its payload.
void EncodeValue(const Value& v, std::string* out);
bool DecodeValue(bin::Reader& r, Value* v);

// Appends one event (message_id, type, ts, name, props) to `out`.
void EncodeEvent(const Event& e, std::string* out);
// Decodes `n` events from `data` (lead_id set from the argument) into `out`.
Status DecodeEvents(std::string_view data, int64_t n, const std::string& lead_id,
                    std::vector<Event>* out);

// A batch of events on its way into the log, in compact form: each event
// encoded once (by the thread that parsed it), grouped by lead into chunk
// blobs of at most `chunk_events`, in (lead, ts, messageId) order, and
// indexed by messageId hash for the idempotency check.
class EventBatch {
 public:
  static constexpr size_t kChunkEvents = 256;
  void Add(const Event& e);
  // Sorts and builds the chunks; call once, after the last Add.
  void Finish();
  size_t size() const { return items_.size(); }
  size_t bytes() const { return arena_.size() + chunks_data_.size(); }

  struct Item {
    int64_t hash;
    int64_t ts;
    uint32_t lead;   // index into leads()
    uint32_t chunk;  // index into chunks() (after Finish)
    uint32_t off;    // encoding: [off, off + len) of the arena (chunk data after Finish)
    uint32_t len;
    uint32_t id_off;  // messageId bytes within the encoding
    uint32_t id_len;
  };
  struct Chunk {
    uint32_t lead;
    uint32_t first, count;  // items in by_lead() order
    uint32_t off, len;      // blob in chunk data
    int64_t max_ts;
  };
  const std::vector<std::string>& leads() const { return leads_; }
  const std::vector<Item>& items() const { return items_; }
  // Item indexes sorted by (hash, arrival).
  const std::vector<uint32_t>& by_hash() const { return by_hash_; }
  // Item indexes sorted by (lead id, ts, messageId).
  const std::vector<uint32_t>& by_lead() const { return by_lead_; }
  const std::vector<Chunk>& chunks() const { return chunks_; }
  std::string_view message_id(const Item& it) const {
    return std::string_view(base() + it.off + it.id_off, it.id_len);
  }
  std::string_view encoding(const Item& it) const {
    return std::string_view(base() + it.off, it.len);
  }
  std::string_view chunk_data(const Chunk& c) const {
    return std::string_view(chunks_data_.data() + c.off, c.len);
  }

 private:
  const char* base() const { return finished_ ? chunks_data_.data() : arena_.data(); }
  bool finished_ = false;
  std::string arena_, chunks_data_;
  std::vector<std::string> leads_;
  std::unordered_map<std::string, uint32_t> lead_index_;
  std::vector<Item> items_;
  std::vector<uint32_t> by_hash_, by_lead_;
  std::vector<Chunk> chunks_;
};

// A stable 64-bit digest of a messageId (SipHash-2-4 with a fixed key), the
// key of the idempotency index.
int64_t MessageIdHash(std::string_view message_id);
// Tests: keep only these bits of the hash, to force collisions.
void SetMessageIdHashMaskForTesting(uint64_t mask);

}  // namespace leadgate
