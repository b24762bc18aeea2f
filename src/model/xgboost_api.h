// XGBoost's C API, loaded when a model first needs it (dlopen of Debian's
// libxgboost) instead of linked: the library and what it pulls in (dmlc,
// OpenMP, their static initialisers) cost every leadgate process ~2 ms at
// start, and only training, saving and loading tree models use it
// (docs/predictive.md, docs/benchmarks.md "Process start").
#pragma once

#include <xgboost/c_api.h>

#include <string>

namespace leadgate::model {

// The functions used, once: each is a member of XgbApi and looked up by name.
#define LG_XGB_FUNCTIONS(X)      \
  X(XGBGetLastError)             \
  X(XGDMatrixCreateFromMat)      \
  X(XGDMatrixSetStrFeatureInfo)  \
  X(XGDMatrixSetFloatInfo)       \
  X(XGDMatrixFree)               \
  X(XGBoosterCreate)             \
  X(XGBoosterFree)               \
  X(XGBoosterSetParam)           \
  X(XGBoosterSetStrFeatureInfo)  \
  X(XGBoosterGetStrFeatureInfo)  \
  X(XGBoosterUpdateOneIter)      \
  X(XGBoosterEvalOneIter)        \
  X(XGBoosterSlice)              \
  X(XGBoosterPredictFromDMatrix) \
  X(XGBoosterSaveModelToBuffer)  \
  X(XGBoosterLoadModelFromBuffer)

struct XgbApi {
#define LG_XGB_MEMBER(name) decltype(&::name) name = nullptr;
  LG_XGB_FUNCTIONS(LG_XGB_MEMBER)
#undef LG_XGB_MEMBER
};

// The API, loaded once (thread-safe). Null when the library or one of its
// functions cannot be loaded; then *why says which and what to install.
const XgbApi* LoadXgb(std::string* why);
// The API after a LoadXgb that succeeded (a booster exists only then).
const XgbApi& Xgb();

}  // namespace leadgate::model
