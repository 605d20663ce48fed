// Memory for constant weights in 2 MB pages (transparent huge pages, asked for with madvise).
//
// A model streams its weights from memory on every run (ResNet-50 ~110 MB with its Winograd
// weights, BERT-base 340 MB at batch 1), and with 4 KB pages each 4 KB costs a TLB miss. Where THP is off the
// madvise hint does nothing and the pages stay 4 KB.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace huge_pages {

constexpr size_t kPage = 2 << 20;

inline size_t RoundUp(size_t bytes, size_t unit) { return (bytes + unit - 1) / unit * unit; }

// `bytes` rounded up to whole 2 MB pages; release with std::free.
inline void* Allocate(size_t bytes) {
  const size_t length = RoundUp(bytes, kPage);
  void* p = std::aligned_alloc(kPage, length);
  if (p == nullptr) throw std::bad_alloc();
  madvise(p, length, MADV_HUGEPAGE);
  return p;
}

// For std::vector: buffers of at least half a huge page get whole huge pages, smaller ones
// cache-line-aligned memory.
template <typename T>
struct Allocator {
  using value_type = T;
  Allocator() = default;
  template <typename U>
  Allocator(const Allocator<U>&) {}  // NOLINT(runtime/explicit)

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes >= kPage / 2) return static_cast<T*>(Allocate(bytes));
    void* p = std::aligned_alloc(64, RoundUp(bytes, 64));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <typename U>
  bool operator==(const Allocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const Allocator<U>&) const { return false; }
};

}  // namespace huge_pages
