// tests/support/test_random.h — test code only. A fixed-seed xorshift64 generator for the
// randomized differential tests: the same values on every run and machine, so a failure repeats.
#pragma once

#include <cstdint>

namespace sipedge::testing {

class TestRandom {
 public:
  explicit TestRandom(uint64_t seed) : state_(seed ? seed : 1) {}
  uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  // A value in [0, n).
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

}  // namespace sipedge::testing
