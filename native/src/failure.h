// The one exception type of the runtime: a status code (paddlec.h) and a message. The C API
// turns it, and anything else thrown below it, into a return code + PC_GetLastError().
#pragma once

#include <stdexcept>
#include <string>

#include "paddlec.h"

namespace paddlec {

class Failure : public std::runtime_error {
 public:
  Failure(PC_Status code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  PC_Status code() const { return code_; }

 private:
  PC_Status code_;
};

}  // namespace paddlec
