// XGBoost's C API, loaded when a model first needs it (dlopen of Debian's
// libxgboost) instead of linked: the library and what it pulls in (dmlc,
// OpenMP, their static initialisers) cost every leadgate process ~2 ms at
// start, and only training, saving and loading tree models use it
// (docs/predictive.md, docs/benchmarks.md "Process start").
#pragma once

#include <xgboost/c_api.h>

#include <string>

namespace leadgate::model {

struct XgbApi {
  decltype(&::XGBGetLastError) XGBGetLastError;
  decltype(&::XGDMatrixCreateFromMat) XGDMatrixCreateFromMat;
  decltype(&::XGDMatrixSetStrFeatureInfo) XGDMatrixSetStrFeatureInfo;
  decltype(&::XGDMatrixSetFloatInfo) XGDMatrixSetFloatInfo;
  decltype(&::XGDMatrixFree) XGDMatrixFree;
  decltype(&::XGBoosterCreate) XGBoosterCreate;
  decltype(&::XGBoosterFree) XGBoosterFree;
  decltype(&::XGBoosterSetParam) XGBoosterSetParam;
  decltype(&::XGBoosterSetStrFeatureInfo) XGBoosterSetStrFeatureInfo;
  decltype(&::XGBoosterGetStrFeatureInfo) XGBoosterGetStrFeatureInfo;
  decltype(&::XGBoosterUpdateOneIter) XGBoosterUpdateOneIter;
  decltype(&::XGBoosterEvalOneIter) XGBoosterEvalOneIter;
  decltype(&::XGBoosterSlice) XGBoosterSlice;
  decltype(&::XGBoosterPredictFromDMatrix) XGBoosterPredictFromDMatrix;
  decltype(&::XGBoosterSaveModelToBuffer) XGBoosterSaveModelToBuffer;
  decltype(&::XGBoosterLoadModelFromBuffer) XGBoosterLoadModelFromBuffer;
};

// The API, loaded once (thread-safe). Null when the library or one of its
// functions cannot be loaded; then *why says which and what to install.
const XgbApi* LoadXgb(std::string* why);
// The API after a LoadXgb that succeeded (a booster exists only then).
const XgbApi& Xgb();

}  // namespace leadgate::model
