// common/result.h — any thread. A value or an error, for protocol paths where failure is normal
// input (C++20 has no std::expected). Never throws; accessing the wrong side is a bug (assert).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace sipedge {

template <class E>
struct Err {
  // A constructor rather than aggregate init, so `Err(x)` compiles on clang 14 (fuzz builds).
  explicit Err(E e) : error(std::move(e)) {}
  E error;
};
template <class E>
Err(E) -> Err<E>;

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Err<E> err) : v_(std::in_place_index<1>, std::move(err.error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return *std::get_if<0>(&v_); }
  const T& value() const& { assert(ok()); return *std::get_if<0>(&v_); }
  T&& value() && { assert(ok()); return std::move(*std::get_if<0>(&v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const { assert(!ok()); return *std::get_if<1>(&v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace sipedge
