// Private helpers: run libtorch code without letting its exceptions cross dpkit's API.
#ifndef DPKIT_SRC_TRAIN_TORCH_UTIL_H_
#define DPKIT_SRC_TRAIN_TORCH_UTIL_H_

#include <torch/torch.h>

#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dpkit::train {

// Calls f() (returning absl::Status or absl::StatusOr<T>) and converts a torch (c10::Error) or
// std::exception into InvalidArgument: in practice these are shape/dtype mismatches between
// the data and the model.
template <typename Fn>
auto GuardTorch(const char* what, Fn&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
    return absl::InvalidArgumentError(absl::StrCat(
        "torch error during ", what, ": ", msg, " (check that the data shape and types match the model)"));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("error during ", what, ": ", e.what()));
  }
}

}  // namespace dpkit::train

#endif  // DPKIT_SRC_TRAIN_TORCH_UTIL_H_
