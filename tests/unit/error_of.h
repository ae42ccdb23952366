#pragma once
/// The message of the mini::Error that `f` throws, or "(no error)": for EXPECT_EQ on exact
/// error messages.
#include <functional>
#include <string>

#include "common/error.h"

namespace mini {

inline std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace mini
