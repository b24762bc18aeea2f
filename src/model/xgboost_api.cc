#include "model/xgboost_api.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <type_traits>

#ifndef LG_XGBOOST_SONAME
#define LG_XGBOOST_SONAME "libxgboost.so.0"
#endif

namespace leadgate::model {
namespace {

XgbApi api;
const XgbApi* loaded = nullptr;
std::string failure;

void Load() {
  // LEADGATE_XGBOOST_LIB: another build of the library (a path or a soname).
  const char* env = std::getenv("LEADGATE_XGBOOST_LIB");
  const std::string name = env != nullptr && *env != '\0' ? env : LG_XGBOOST_SONAME;
  void* lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* e = dlerror();
    failure = "cannot load XGBoost, which tree models need (" + name +
              "): " + (e ? e : "unknown error") +
              (env != nullptr && *env != '\0'
                   ? "; check LEADGATE_XGBOOST_LIB"
                   : "; install Debian's libxgboost0 (scripts/install-deps.sh does)");
    return;
  }
  bool ok = true;
  const std::string& lib_name = name;
  auto get = [&](auto& fn, const char* name) {
    void* sym = dlsym(lib, name);
    if (sym == nullptr) {
      if (ok) failure = "XGBoost library " + lib_name + " has no " + name;
      ok = false;
      return;
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
  };
#define LG_XGB(name) get(api.name, #name)
  LG_XGB(XGBGetLastError);
  LG_XGB(XGDMatrixCreateFromMat);
  LG_XGB(XGDMatrixSetStrFeatureInfo);
  LG_XGB(XGDMatrixSetFloatInfo);
  LG_XGB(XGDMatrixFree);
  LG_XGB(XGBoosterCreate);
  LG_XGB(XGBoosterFree);
  LG_XGB(XGBoosterSetParam);
  LG_XGB(XGBoosterSetStrFeatureInfo);
  LG_XGB(XGBoosterGetStrFeatureInfo);
  LG_XGB(XGBoosterUpdateOneIter);
  LG_XGB(XGBoosterEvalOneIter);
  LG_XGB(XGBoosterSlice);
  LG_XGB(XGBoosterPredictFromDMatrix);
  LG_XGB(XGBoosterSaveModelToBuffer);
  LG_XGB(XGBoosterLoadModelFromBuffer);
#undef LG_XGB
  if (ok) loaded = &api;  // the library stays loaded for the process's life
}

}  // namespace

const XgbApi* LoadXgb(std::string* why) {
  static std::once_flag once;
  std::call_once(once, Load);
  if (loaded == nullptr && why != nullptr) *why = failure;
  return loaded;
}

const XgbApi& Xgb() { return api; }

}  // namespace leadgate::model
