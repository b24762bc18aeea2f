// Scoring leads from their state with a stored model (docs/benchmarks.md,
// "Predictive scoring"): what `show` and `queue --sort probability` do per
// lead after reading it, in memory. 1,000,000 synthetic lead states (traits,
// playbook explanation lines, scores), a logistic and a trees model trained
// on 50,000 of them, then features + scoring in batches of 65,536.
//   predict_bench [--leads N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/model_data.h"
#include "common/splitmix.h"
#include "model/forest.h"

using namespace leadgate;

namespace {

double Secs(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

uint64_t Mix(uint64_t z) { return leadgate::SplitMix(z); }

LeadState Lead(size_t i, uint8_t* y) {
  const uint64_t h = Mix(i);
  static const char* kTitles[] = {
      "VP Finance", "Analyst",           "Head of IT",        "CEO",
      "Student",    "Marketing Manager", "Director of Sales", "Engineer"};
  static const char* kInd[] = {"software", "finance", "retail", "healthcare", "education"};
  static const char* kSrc[] = {"referral", "webinar", "paid_search", "organic", "event"};
  LeadState s;
  s.exists = true;
  s.id = "L-" + std::to_string(i);
  s.traits["job_title"] = Value::String(kTitles[h % 8]);
  s.traits["industry"] = Value::String(kInd[(h >> 8) % 5]);
  s.traits["lead_source"] = Value::String(kSrc[(h >> 16) % 5]);
  s.traits["company_size"] = Value::Number(static_cast<double>((h >> 24) % 5000));
  s.traits["country"] = Value::String((h >> 40) % 3 ? "US" : "DE");
  s.fit = static_cast<double>((h >> 32) % 60);
  s.engagement = static_cast<double>((h >> 44) % 100);
  s.events = static_cast<int64_t>((h >> 52) % 40);
  s.first_at = 0;
  s.last_activity_at = static_cast<Micros>((h >> 20) % 1000) * kHour;
  if (h % 8 < 4) s.explanation.push_back({"decision-maker", "fit", 1, 25});
  if ((h >> 8) % 5 < 2) s.explanation.push_back({"target-industry", "fit", 1, 15});
  if ((h >> 5) % 3 == 0) s.explanation.push_back({"pricing-page", "engagement", 2, 20});
  if ((h >> 7) % 4 == 0) s.explanation.push_back({"demo-request", "engagement", 1, 40});
  const int score = (h % 8 < 4) + ((h >> 16) % 5 == 0) * 2 + ((h >> 7) % 4 == 0);
  *y = static_cast<uint8_t>(Mix(h) % 4 < static_cast<uint64_t>(score));
  return s;
}

double CpuSecs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The trees model alone on the encoded features of every lead: the compiled
// forest (1 and 2 threads) against XGBoost's predict, wall and CPU seconds.
void ModelOnly(model::StoredModel* sm, const std::vector<LeadState>& states, Micros now) {
  const size_t leads = states.size();
  const size_t p = sm->encoder.width();
  std::vector<float> x;
  x.reserve(leads * p);
  std::vector<std::vector<FeatureCell>> batch(65536);
  for (size_t b = 0; b < leads; b += 65536) {
    size_t used = 0;
    for (size_t i = b; i < std::min(leads, b + 65536); ++i)
      LeadFeaturesInto(states[i], now, &batch[used++]);
    const model::Dataset bd = BuildFeatureTable(batch, &sm->columns, used);
    if (!sm->encoder.Bind(bd).ok()) return;
    std::vector<uint32_t> rows(used);
    for (uint32_t i = 0; i < used; ++i) rows[i] = i;
    const auto e = sm->encoder.Encode(bd, rows, true);
    x.insert(x.end(), e.begin(), e.end());
  }
  const model::Forest* f = sm->trees->forest();
  if (!f) {
    std::printf("trees: no compiled forest (XGBoost scores)\n");
    return;
  }
  std::printf("trees: forest of %zu trees, %zu nodes (%zu categorical), %zu features\n", f->trees(),
              f->nodes(), f->categorical_nodes(), p);
  std::vector<double> out(leads);
  double max_diff = 0;
  for (int threads : {1, 2}) {
    const double c0 = CpuSecs();
    const auto t0 = std::chrono::steady_clock::now();
    f->Predict(x.data(), leads, p, out.data(), threads);
    const double wall = Secs(t0), cpu = CpuSecs() - c0;
    std::printf(
        "trees: model only, compiled forest, %d thread(s): %zu leads in %.3f s = %.2f M leads/s "
        "(CPU %.3f s = %.2f M leads per CPU second)\n",
        threads, leads, wall, static_cast<double>(leads) / wall / 1e6, cpu,
        static_cast<double>(leads) / cpu / 1e6);
  }
  const double c0 = CpuSecs();
  const auto t0 = std::chrono::steady_clock::now();
  auto g = sm->trees->PredictXgboost(x.data(), leads, p);
  const double wall = Secs(t0), cpu = CpuSecs() - c0;
  if (!g.ok()) return;
  for (size_t i = 0; i < leads; ++i) max_diff = std::max(max_diff, std::abs((*g)[i] - out[i]));
  std::printf(
      "trees: model only, XGBoost predict: %zu leads in %.3f s = %.2f M leads/s (CPU %.3f s); "
      "largest difference from the forest %.2e\n",
      leads, wall, static_cast<double>(leads) / wall / 1e6, cpu, max_diff);
}

}  // namespace

int main(int argc, char** argv) {
  size_t leads = 1000000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--leads") == 0) leads = std::strtoull(argv[i + 1], nullptr, 10);
  const Micros now = 1000 * kHour;
  std::vector<LeadState> states;
  std::vector<uint8_t> y(leads);
  for (size_t i = 0; i < leads; ++i) states.push_back(Lead(i, &y[i]));
  // Train on the first 50,000.
  const size_t n_train = std::min<size_t>(50000, leads);
  std::vector<std::vector<FeatureCell>> rows;
  for (size_t i = 0; i < n_train; ++i) rows.push_back(LeadFeatures(states[i], now));
  model::Dataset d = BuildFeatureTable(rows, nullptr);
  d.y.assign(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n_train));
  for (const char* kind : {"logistic", "trees"}) {
    model::EvalOptions o;
    auto m = model::StoredModel::Fit(
        d, std::strcmp(kind, "trees") == 0 ? model::ModelKind::kTrees : model::ModelKind::kLogistic,
        o);
    if (!m.ok()) {
      std::fprintf(stderr, "%s\n", m.status().message().c_str());
      return 1;
    }
    // Round trip through the stored JSON, as the engine loads it.
    auto sm = model::StoredModel::FromJson((*m)->ToJson());
    if (!sm.ok()) return 1;
    auto t0 = std::chrono::steady_clock::now();
    double feat = 0, sum = 0;
    // As the queue does it: cells reused from batch to batch.
    std::vector<std::vector<FeatureCell>> batch(65536);
    for (size_t b = 0; b < leads; b += 65536) {
      auto tf = std::chrono::steady_clock::now();
      size_t used = 0;
      for (size_t i = b; i < std::min(leads, b + 65536); ++i)
        LeadFeaturesInto(states[i], now, &batch[used++]);
      const model::Dataset bd = BuildFeatureTable(batch, &(*sm)->columns, used);
      feat += Secs(tf);
      auto p = (*sm)->Score(bd);
      if (!p.ok()) return 1;
      for (double v : *p) sum += v;
    }
    const double total = Secs(t0);
    std::printf(
        "%s: %zu leads scored from their state in %.2f s = %.2f M leads/s (features %.2f s, "
        "model %.2f s); mean p %.4f\n",
        kind, leads, total, static_cast<double>(leads) / total / 1e6, feat, total - feat,
        sum / static_cast<double>(leads));
    t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < 1000; ++i) {
      const model::Dataset one = BuildFeatureTable({LeadFeatures(states[i], now)}, &(*sm)->columns);
      auto f = (*sm)->Explain(one, 0, 5);
      if (!f.ok()) return 1;
    }
    std::printf("%s: one lead's prediction with its factors (show): %.1f us\n", kind,
                Secs(t0) * 1e3);
    if (std::strcmp(kind, "trees") == 0) ModelOnly(&**sm, states, now);
  }
  return 0;
}
