// Learning from the store (docs/predictive.md): the label of every closed
// lead and the moment it was decided, the lead's features as of just before
// that moment (so nothing after the outcome leaks in), and the same features
// for open leads at read time (scoring). Features:
// - every trait (numeric when every present value is a number, else
//   categorical; rare values grouped by the encoder; job titles also by
//   word), except contact details and ids (email, phone, names, *id);
// - behaviour: the fit and engagement scores, the number of events, each
//   playbook rule that counted ("rule <id>": its count, 1 for a fit rule),
//   days since the last activity. (Not the lead's age: at the cut-off that is
//   the length of the sales cycle, which says how a deal was closed, not
//   whether an open lead will be.)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/engine.h"
#include "model/dataset.h"
#include "model/stored.h"

namespace leadgate {

enum class TrainLabel { kWon, kSql };
const char* TrainLabelName(TrainLabel l);

struct TrainingOptions {
  TrainLabel label = TrainLabel::kWon;
  Micros at = INT64_MAX;  // the history as of this time (later events and actions ignored)
};

struct TrainingTable {
  model::Dataset data;
  std::vector<std::string> lead;                 // per row
  std::vector<Micros> label_at;                  // per row: when the outcome was decided
  std::vector<std::vector<std::string>> tokens;  // per row: patterns for `model suggest`
  int64_t leads = 0, open_excluded = 0, no_history = 0;
  Micros first_label = 0, last_label = 0;
};

// One lead's feature cells (before typing into a Dataset column).
struct FeatureCell {
  std::string name;
  bool numeric = false;
  double num = 0;
  std::string text;
  bool zero_default = false;  // behaviour: absent means 0, not missing
};
std::vector<FeatureCell> LeadFeatures(const LeadState& s, Micros t);
// The same into *out, reusing its cells' memory (the queue's batches).
void LeadFeaturesInto(const LeadState& s, Micros t, std::vector<FeatureCell>* out);

// Columns inferred from the cells (training), or fixed to `schema` (scoring:
// the model's columns; cells it does not know are ignored).
// Only the first `count` rows are used.
model::Dataset BuildFeatureTable(const std::vector<std::vector<FeatureCell>>& rows,
                                 const std::vector<std::pair<std::string, bool>>* schema,
                                 size_t count = SIZE_MAX);

// The active model, loaded once per engine.
struct ActiveModel {
  int64_t version = 0;
  std::string label;
  std::unique_ptr<model::StoredModel> model;
};

}  // namespace leadgate
