#include "app/model_store.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace leadgate {
namespace {

template <typename F>
auto Guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("store (models): ") + e.what());
  }
}

ModelRecord Row(SQLite::Statement& q, bool body) {
  ModelRecord m;
  m.version = q.getColumn(0).getInt64();
  m.kind = q.getColumn(1).getString();
  m.label = q.getColumn(2).getString();
  m.created_at = q.getColumn(3).getInt64();
  m.active = q.getColumn(4).getInt() != 0;
  m.summary = q.getColumn(5).getString();
  m.metrics = q.getColumn(6).getString();
  if (body) m.model = q.getColumn(7).getString();
  return m;
}

}  // namespace

Result<int64_t> SaveModel(Store& store, const ModelRecord& m) {
  return Guarded([&]() -> Result<int64_t> {
    SQLite::Database& db = store.db();
    SQLite::Transaction tx(db);
    const int64_t v = db.execAndGet("SELECT COALESCE(MAX(version), 0) + 1 FROM models").getInt64();
    db.exec("UPDATE models SET active = 0 WHERE active <> 0");
    SQLite::Statement q(db,
                        "INSERT INTO models(version, kind, label, created_at, active, summary, "
                        "metrics, model) VALUES(?, ?, ?, ?, 1, ?, ?, ?)");
    q.bind(1, static_cast<int64_t>(v));
    q.bind(2, m.kind);
    q.bind(3, m.label);
    q.bind(4, static_cast<int64_t>(m.created_at));
    q.bind(5, m.summary);
    q.bind(6, m.metrics);
    q.bind(7, m.model);
    q.exec();
    tx.commit();
    return v;
  });
}

Result<std::vector<ModelRecord>> ListModels(Store& store) {
  return Guarded([&]() -> Result<std::vector<ModelRecord>> {
    SQLite::Statement q(store.db(),
                        "SELECT version, kind, label, created_at, active, summary, metrics FROM "
                        "models ORDER BY version");
    std::vector<ModelRecord> out;
    while (q.executeStep()) out.push_back(Row(q, false));
    return out;
  });
}

Result<std::optional<ModelRecord>> GetModel(Store& store, int64_t version) {
  return Guarded([&]() -> Result<std::optional<ModelRecord>> {
    SQLite::Statement q(store.db(),
                        version > 0 ? "SELECT version, kind, label, created_at, active, summary, "
                                      "metrics, model FROM models WHERE version = ?"
                                    : "SELECT version, kind, label, created_at, active, summary, "
                                      "metrics, model FROM models WHERE active <> 0 LIMIT 1");
    if (version > 0) q.bind(1, static_cast<int64_t>(version));
    if (!q.executeStep()) return std::optional<ModelRecord>();
    return std::optional<ModelRecord>(Row(q, true));
  });
}

Result<int64_t> ActiveModelVersion(Store& store) {
  return Guarded([&]() -> Result<int64_t> {
    // Prepared once per connection (every lead read asks for the active model).
    SQLite::Statement& q = store.Cached("SELECT version FROM models WHERE active <> 0 LIMIT 1");
    Store::CachedReset reset{q};
    if (!q.executeStep()) return int64_t{0};
    return q.getColumn(0).getInt64();
  });
}

Status ActivateModel(Store& store, int64_t version) {
  return Guarded([&]() -> Status {
    SQLite::Database& db = store.db();
    SQLite::Transaction tx(db);
    SQLite::Statement q(db, "SELECT 1 FROM models WHERE version = ?");
    q.bind(1, static_cast<int64_t>(version));
    if (!q.executeStep())
      return Status::NotFound("no model version " + std::to_string(version) +
                              " (see leadgate model list)");
    db.exec("UPDATE models SET active = 0 WHERE active <> 0");
    SQLite::Statement u(db, "UPDATE models SET active = 1 WHERE version = ?");
    u.bind(1, static_cast<int64_t>(version));
    u.exec();
    tx.commit();
    return Status::Ok();
  });
}

}  // namespace leadgate
