// in_use.hpp - one call at a time per network.
//
// The module releases the GIL while C++ computes, so Python threads can run
// calls side by side. Two calls on the same network must not: a call that
// changes a network (set_mask, set_kernel_path, prune_to, ...) while another
// thread trains it would resize the buffers that training is using. Every
// call that computes on a network without the GIL holds a `Computing` for
// it; every call that changes a network or one of its layers first asks
// `require_idle`, which raises RuntimeError when another thread is computing
// on it. The thread that computes may still use the network (the training
// calls' on_epoch callback runs in that thread between epochs, when the
// network is at rest).
//
// The register is only touched with the GIL held, so the GIL is its lock.
#pragma once

#include "bindings.hpp"

#include <algorithm>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace rewire_python {

/// The register of networks in use (internal to require_idle and Computing).
namespace busy {

/// A network some thread is computing on: the addresses of the network and
/// of its layers (what a Python object of this module can refer to).
struct Entry {
  std::vector<const void*> parts;
  std::thread::id thread;
};

inline std::vector<Entry>& entries() {
  static std::vector<Entry> register_;  // guarded by the GIL
  return register_;
}

template <class Net>
std::vector<const void*> parts_of(const Net& net) {
  std::vector<const void*> parts{&net};
  for (std::size_t l = 0; l < net.num_layers(); ++l) parts.push_back(&net.layer(l));
  return parts;
}

inline std::vector<const void*> parts_of(const rewire::MaskedLinear& layer) { return {&layer}; }

}  // namespace busy

/// Raises RuntimeError when another thread is computing on `x` (a network or
/// a layer), on the network of layer `x`, or on a layer of network `x`.
/// Call with the GIL held.
template <class T>
void require_idle(const T& x) {
  const std::vector<const void*> mine = busy::parts_of(x);
  const std::thread::id self = std::this_thread::get_id();
  for (const busy::Entry& b : busy::entries())
    for (const void* part : mine)
      if (b.thread != self && std::find(b.parts.begin(), b.parts.end(), part) != b.parts.end())
        throw std::runtime_error(
            "this network is in use by a call running in another thread: a network (and its layers) "
            "takes one call at a time; give each thread its own network (copy.deepcopy)");
}

/// Marks `net` as computed on by this thread and releases the GIL, for the
/// lifetime of the object; the constructor refuses (RuntimeError) a network
/// another thread is computing on. Construct and destroy with the GIL held.
class Computing {
 public:
  template <class Net>
  explicit Computing(const Net& net) : key_(&net) {
    require_idle(net);
    busy::entries().push_back({busy::parts_of(net), std::this_thread::get_id()});
    nogil_ = std::make_unique<py::gil_scoped_release>();
  }
  Computing(const Computing&) = delete;
  Computing& operator=(const Computing&) = delete;
  ~Computing() {
    nogil_.reset();  // the GIL again, before the register is touched
    auto& entries = busy::entries();
    const std::thread::id self = std::this_thread::get_id();
    // The newest entry of this thread for this network (a callback may nest calls).
    for (auto it = entries.rbegin(); it != entries.rend(); ++it)
      if (it->thread == self && it->parts.front() == key_) {
        entries.erase(std::next(it).base());
        return;
      }
  }

 private:
  const void* key_;
  // On the heap rather than in a std::optional: GCC 12 at -O3 warns that the
  // optional's gil_scoped_release "may be used uninitialized" in its
  // destructor (-Wmaybe-uninitialized, a false positive that -Werror made a
  // build error of training.cpp).
  std::unique_ptr<py::gil_scoped_release> nogil_;
};

}  // namespace rewire_python
