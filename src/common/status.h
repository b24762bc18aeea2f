// Status and Result<T>: errors as values at every boundary. A Status is cheap
// when OK and carries a code plus a message a user can act on (what, where,
// why). Library exceptions are caught at adapters and turned into these.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace leadgate {

enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // bad file, bad line, bad playbook: exit 1
  kRefused,       // an action the rules do not allow: exit 1
  kNotFound,      // unknown lead / user: exit 1
  kUsage,         // wrong command line: exit 2
  kInternal,      // storage failure and the like
  kForbidden,     // the role rules do not let this user do it: exit 1
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status Invalid(std::string m) { return {StatusCode::kInvalidInput, std::move(m)}; }
  static Status Refused(std::string m) { return {StatusCode::kRefused, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Usage(std::string m) { return {StatusCode::kUsage, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Forbidden(std::string m) { return {StatusCode::kForbidden, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace leadgate
