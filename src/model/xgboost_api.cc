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
bool loaded = false;
std::string failure;

void Load() {
  // LEADGATE_XGBOOST_LIB: another build of the library (a path or a soname).
  const char* env = std::getenv("LEADGATE_XGBOOST_LIB");
  const bool overridden = env != nullptr && *env != '\0';
  const std::string lib_name = overridden ? env : LG_XGBOOST_SONAME;
  void* lib = dlopen(lib_name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* e = dlerror();
    failure = "cannot load XGBoost, which tree models need (" + lib_name +
              "): " + (e ? e : "unknown error") +
              (overridden ? "; check LEADGATE_XGBOOST_LIB"
                          : "; install Debian's libxgboost0 (scripts/install-deps.sh does)");
    return;
  }
  auto get = [&](auto& fn, const char* name) {
    void* sym = dlsym(lib, name);
    if (sym == nullptr && failure.empty()) {
      failure = "XGBoost library " + lib_name + " has no " + name;
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
  };
#define LG_XGB_GET(name) get(api.name, #name);
  LG_XGB_FUNCTIONS(LG_XGB_GET)
#undef LG_XGB_GET
  loaded = failure.empty();  // the library stays loaded for the process's life
}

}  // namespace

const XgbApi* LoadXgb(std::string* why) {
  static std::once_flag once;
  std::call_once(once, Load);
  if (!loaded && why != nullptr) *why = failure;
  return loaded ? &api : nullptr;
}

const XgbApi& Xgb() { return api; }

}  // namespace leadgate::model
