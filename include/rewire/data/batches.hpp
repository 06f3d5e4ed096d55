// rewire/data/batches.hpp - mini-batches of a data set, reshuffled every epoch.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/random/rng.hpp>

#include <numeric>
#include <vector>

namespace rewire {

/// Iterates one data set in mini-batches. Each call to start_epoch() draws a
/// new order (Fisher-Yates); the last batch of an epoch is partial when the
/// batch size does not divide the data set (12,000 = 93 * 128 + 96).
class BatchSampler {
 public:
  BatchSampler(const Dataset& data, Index batch_size) : data_(&data), batch_size_(batch_size) {
    detail::require(batch_size > 0, "batch_size must be > 0");
    detail::require(data.size() > 0, "cannot sample batches from an empty data set");
    detail::require(data.labels.size() == data.size(), "the data set needs one label per input row");
    order_.resize(std::size_t(data.size()));
    std::iota(order_.begin(), order_.end(), Index(0));
  }

  /// Batches per epoch, counting the partial last one.
  Index batches_per_epoch() const { return (data_->size() + batch_size_ - 1) / batch_size_; }

  /// Reshuffles the order for a new epoch.
  void start_epoch(Rng& rng) {
    for (std::size_t i = order_.size() - 1; i > 0; --i) {
      const std::size_t j = rng.below(std::uint32_t(i + 1));
      std::swap(order_[i], order_[j]);
    }
    next_ = 0;
  }

  /// Copies the next batch into (X, y); false when the epoch is exhausted.
  bool next(Matrix& X, Labels& y) {
    const Index n = data_->size();
    if (next_ >= n) return false;
    const Index count = std::min(batch_size_, n - next_);
    X.resize(count, data_->inputs.cols());
    y.resize(count);
    for (Index k = 0; k < count; ++k) {
      const Index src = order_[std::size_t(next_ + k)];
      X.row(k) = data_->inputs.row(src);
      y[k] = data_->labels[src];
    }
    next_ += count;
    return true;
  }

 private:
  const Dataset* data_;
  Index batch_size_;
  std::vector<Index> order_;  // (n): this epoch's permutation of the rows
  Index next_ = 0;
};

}  // namespace rewire
