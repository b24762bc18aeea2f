// The stored, versioned predictive models (schema: the `models` table).
// Versions count up from 1; the newest is active unless another was
// activated (`leadgate model activate V`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "store/store.h"

namespace leadgate {

struct ModelRecord {
  int64_t version = 0;
  std::string kind, label;
  Micros created_at = 0;
  bool active = false;
  std::string summary, metrics;  // JSON text
  std::string model;             // JSON text (model::StoredModel::ToJson); empty when not loaded
};

// Adds a model as the next version and makes it the active one.
Result<int64_t> SaveModel(Store& store, const ModelRecord& m);
// Every model, oldest first, without the model body.
Result<std::vector<ModelRecord>> ListModels(Store& store);
// One version (0 = the active one), with its body; nullopt when none.
Result<std::optional<ModelRecord>> GetModel(Store& store, int64_t version);
// The active version (0 when there is no model): cheap, for cache checks.
Result<int64_t> ActiveModelVersion(Store& store);
Status ActivateModel(Store& store, int64_t version);

}  // namespace leadgate
