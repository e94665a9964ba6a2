// common/prefetch.h — any thread. Starts loading the cache line holding `p`, for code that knows
// where its next miss is and has other work to do first. A hint: it never faults, whatever `p` is.
#pragma once

namespace sipedge {

inline void prefetch(const void* p) noexcept {
#if defined(__x86_64__)
  // GCC 12 drops a __builtin_prefetch behind a branch and a mask (HashIndex::prefetch, checked in
  // the object code); an asm it has to keep.
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace sipedge
