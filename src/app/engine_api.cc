// The operations the HTTP API adds to the Engine: playbooks from text and API
// keys (random, shown once, stored as BLAKE2b hashes, revocable).
#include <sodium.h>

#include "app/engine.h"
#include "playbook/playbook.h"

namespace leadgate {
namespace {

constexpr size_t kIdBytes = 8, kSecretBytes = 32, kHashBytes = 32;

std::string Hex(const unsigned char* p, size_t n) {
  std::string out(n * 2, '0');
  static const char* digits = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

std::string KeyHash(std::string_view key) {
  unsigned char h[kHashBytes];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                     nullptr, 0);
  return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Status Engine::ApplyPlaybookText(const std::string& yaml, const std::string& name, Micros at,
                                 int64_t* version) {
  auto pb = LoadPlaybook(yaml, name);
  if (!pb.ok()) return pb.status();
  return ApplyLoaded(*pb, name, at, version);
}

Result<NewKey> Engine::CreateKey(const std::string& user, bool ingest_only, Micros now) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  auto u = store_->GetUser(user);
  if (!u.ok()) return u.status();
  if (!*u) {
    return Status::NotFound("unknown user '" + user + "': add them with 'leadgate user add " +
                            user + " --role rep'");
  }
  unsigned char id[kIdBytes], secret[kSecretBytes];
  randombytes_buf(id, sizeof id);
  randombytes_buf(secret, sizeof secret);
  NewKey k;
  k.id = Hex(id, sizeof id);
  k.key = "lg_" + k.id + "_" + Hex(secret, sizeof secret);
  sodium_memzero(secret, sizeof secret);
  k.user = user;
  k.ingest_only = ingest_only;
  KeyRecord rec;
  rec.id = k.id;
  rec.user = user;
  rec.hash = KeyHash(k.key);
  rec.ingest_only = ingest_only;
  rec.created_at = now;
  if (Status s = store_->Begin(); !s.ok()) return s;
  if (Status s = store_->AddKey(rec); !s.ok()) {
    store_->Rollback();
    return s;
  }
  if (Status s = store_->Commit(); !s.ok()) return s;
  return k;
}

Result<std::vector<KeyRecord>> Engine::Keys() { return store_->Keys(); }

Status Engine::RevokeKey(const std::string& id, Micros now) {
  auto k = store_->GetKey(id);
  if (!k.ok()) return k.status();
  if (!*k) return Status::NotFound("no key '" + id + "'");
  if ((*k)->revoked_at) {
    return Status::Refused("key '" + id + "' was revoked already at " +
                           FormatRfc3339(*(*k)->revoked_at));
  }
  if (Status s = store_->Begin(); !s.ok()) return s;
  auto r = store_->RevokeKey(id, now);
  if (!r.ok()) {
    store_->Rollback();
    return r.status();
  }
  return store_->Commit();
}

Result<Principal> Engine::Authenticate(std::string_view key) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  // lg_<16 hex id>_<64 hex secret>
  const size_t want = 3 + 2 * kIdBytes + 1 + 2 * kSecretBytes;
  if (key.size() != want || key.substr(0, 3) != "lg_" || key[3 + 2 * kIdBytes] != '_' ||
      !IsHex(key.substr(3, 2 * kIdBytes)) || !IsHex(key.substr(4 + 2 * kIdBytes))) {
    return Status::NotFound("the API key is malformed (keys look like lg_<id>_<secret>)");
  }
  const std::string id(key.substr(3, 2 * kIdBytes));
  auto rec = store_->GetKey(id);
  if (!rec.ok()) return rec.status();
  // Hash either way so an unknown id costs the same as a wrong secret.
  const std::string h = KeyHash(key);
  if (!*rec || (*rec)->hash.size() != h.size() ||
      sodium_memcmp((*rec)->hash.data(), h.data(), h.size()) != 0) {
    return Status::NotFound("the API key is not valid");
  }
  if ((*rec)->revoked_at) return Status::NotFound("the API key " + id + " was revoked");
  auto u = store_->GetUser((*rec)->user);
  if (!u.ok()) return u.status();
  if (!*u) return Status::NotFound("the API key's user '" + (*rec)->user + "' no longer exists");
  Principal p;
  p.key_id = id;
  p.user = (*u)->name;
  p.role = (*u)->role;
  p.ingest_only = (*rec)->ingest_only;
  return p;
}

}  // namespace leadgate
