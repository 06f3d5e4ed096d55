// rewire/data/batches.hpp - mini-batches of a data set, reshuffled every epoch.
#pragma once

#include <rewire/core/error.hpp>
#include <rewire/data/clusters.hpp>
#include <rewire/random/rng.hpp>

#include <algorithm>
#include <numeric>
#include <vector>

namespace rewire {

/// The order in which one epoch visits the `size` samples of a data set, in
/// batches of `batch_size`. Each start_epoch() draws a new order
/// (Fisher-Yates); the last batch of an epoch is partial when the batch size
/// does not divide the size (12,000 = 93 * 128 + 96). Shared by every
/// sampler (BatchSampler for points, TrialBatchSampler for trials), so all
/// data kinds are shuffled by the same draws.
class BatchOrder {
 public:
  BatchOrder(Index size, Index batch_size) : batch_size_(batch_size) {
    detail::require(batch_size > 0, "batch_size must be > 0");
    detail::require(size > 0, "cannot sample batches from an empty data set");
    order_.resize(std::size_t(size));
    std::iota(order_.begin(), order_.end(), Index(0));
  }

  /// Batches per epoch, counting the partial last one.
  Index batches_per_epoch() const { return (size() + batch_size_ - 1) / batch_size_; }
  Index size() const { return Index(order_.size()); }

  /// Reshuffles the order for a new epoch.
  void start_epoch(Rng& rng) {
    for (std::size_t i = order_.size() - 1; i > 0; --i) {
      const std::size_t j = rng.below(std::uint32_t(i + 1));
      std::swap(order_[i], order_[j]);
    }
    next_ = 0;
  }

  /// The sample indices of the next batch (`count` of them from `rows`);
  /// false when the epoch is exhausted.
  bool next(const Index*& rows, Index& count) {
    if (next_ >= size()) return false;
    count = std::min(batch_size_, size() - next_);
    rows = order_.data() + next_;
    next_ += count;
    return true;
  }

 private:
  Index batch_size_;
  std::vector<Index> order_;  // (size): this epoch's permutation of the samples
  Index next_ = 0;
};

/// Iterates one data set of points in mini-batches (see BatchOrder).
class BatchSampler {
 public:
  BatchSampler(const Dataset& data, Index batch_size) : data_(&data), order_(data.size(), batch_size) {
    detail::require(data.labels.size() == data.size(), "the data set needs one label per input row");
  }

  /// Batches per epoch, counting the partial last one.
  Index batches_per_epoch() const { return order_.batches_per_epoch(); }

  /// Reshuffles the order for a new epoch.
  void start_epoch(Rng& rng) { order_.start_epoch(rng); }

  /// Copies the next batch into (X, y); false when the epoch is exhausted.
  bool next(Matrix& X, Labels& y) {
    const Index* rows = nullptr;
    Index count = 0;
    if (!order_.next(rows, count)) return false;
    X.resize(count, data_->inputs.cols());
    y.resize(count);
    for (Index k = 0; k < count; ++k) {
      X.row(k) = data_->inputs.row(rows[k]);
      y[k] = data_->labels[rows[k]];
    }
    return true;
  }

 private:
  const Dataset* data_;
  BatchOrder order_;
};

}  // namespace rewire
