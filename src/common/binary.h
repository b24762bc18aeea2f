// A tiny binary encoding shared by the log's event chunks and the stored
// projections: varints, zigzag integers, length-prefixed bytes, raw doubles.
// Readers never run past their input: every getter reports failure instead.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace leadgate::bin {

inline void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline void PutInt(int64_t v, std::string* out) { PutVarint(ZigZag(v), out); }
inline void PutBytes(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s.data(), s.size());
}
inline void PutDouble(double d, std::string* out) {
  char buf[8];
  std::memcpy(buf, &d, 8);
  out->append(buf, 8);
}

class Reader {
 public:
  explicit Reader(std::string_view d) : p_(d.data()), end_(d.data() + d.size()) {}
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      auto b = static_cast<uint8_t>(*p_++);
      r |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Int(int64_t* v) {
    uint64_t u = 0;
    if (!Varint(&u)) return false;
    *v = UnZigZag(u);
    return true;
  }
  bool Bytes(std::string* s) {
    uint64_t n = 0;
    if (!Varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    s->assign(p_, n);
    p_ += n;
    return true;
  }
  bool Byte(uint8_t* b) {
    if (p_ == end_) return false;
    *b = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool Double(double* d) {
    if (end_ - p_ < 8) return false;
    std::memcpy(d, p_, 8);
    p_ += 8;
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > static_cast<uint64_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  bool done() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace leadgate::bin
