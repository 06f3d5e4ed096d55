// test_errors.cpp - bad input gives a clear std::invalid_argument whose
// message names the offending parameter: never a crash, never silent garbage.
#include <catch2/catch.hpp>
#include <rewire/rewire.hpp>

#include "require_invalid.hpp"
#include "test_helpers.hpp"

#include <limits>
#include <stdexcept>
#include <vector>

using namespace rewire;
using Catch::Matchers::Contains;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

Dataset small_data(Index n = 200) {
  Rng rng(stream_key(0, Purpose::data, 100));
  return make_gaussian_clusters(n, 0.8f, rng);
}

Mlp small_net() {
  Mlp net({2, 8, 4});
  Rng rng(1);
  net.init(rng);
  return net;
}

}  // namespace

TEST_CASE("mismatched shapes", "[errors][shapes]") {
  SECTION("layer forward with the wrong input width") {
    MaskedLinear layer(3, 2);
    Matrix Y;
    REQUIRE_INVALID(layer.forward(Y, Matrix::Zero(4, 5)), "input");
    REQUIRE_INVALID(layer.forward(Y, Matrix::Zero(4, 2)), "input");
    REQUIRE_NOTHROW(layer.forward(Y, Matrix::Zero(4, 3)));
    BasicMaskedLinear<double> d(3, 2);
    MatrixT<double> Yd;
    REQUIRE_INVALID(d.forward(Yd, MatrixT<double>::Zero(1, 4)), "input");
  }
  SECTION("network forward with the wrong input width; backward with the wrong dlogits shape") {
    Mlp net = small_net();
    REQUIRE_INVALID(net.forward(Matrix::Zero(5, 3), nullptr), "input");
    net.forward(Matrix::Zero(5, 2), nullptr);
    REQUIRE_INVALID(net.backward(Matrix::Zero(5, 3)), "dlogits");
    REQUIRE_INVALID(net.backward(Matrix::Zero(4, 4)), "dlogits");
    REQUIRE_NOTHROW(net.backward(Matrix::Zero(5, 4)));
  }
  SECTION("training data with the wrong number of features") {
    Mlp net({3, 8, 4});
    const Dataset data = small_data();
    Rng shuffle(2);
    REQUIRE_INVALID(train(net, data, TrainOptions{}, shuffle), "input");
  }
  SECTION("set_mask with the wrong shape or entries other than 0/1") {
    MaskedLinear layer(3, 2);
    REQUIRE_INVALID(layer.set_mask(Matrix::Ones(3, 2)), "mask");
    REQUIRE_INVALID(layer.set_mask(Matrix::Ones(2, 4)), "mask");
    Matrix half = Matrix::Ones(2, 3);
    half(1, 1) = 0.5f;
    REQUIRE_INVALID(layer.set_mask(half), "mask");
    Matrix nan = Matrix::Ones(2, 3);
    nan(0, 2) = kNaN;
    REQUIRE_INVALID(layer.set_mask(nan), "mask");
    Matrix neg = Matrix::Ones(2, 3);
    neg(0, 0) = -1.0f;
    REQUIRE_INVALID(layer.set_mask(neg), "mask");
    CHECK(layer.mask() == Matrix::Ones(2, 3));  // unchanged by the failed calls
  }
  SECTION("Mlp with fewer than two widths, or a width of 0") {
    REQUIRE_INVALID(Mlp(std::vector<Index>{}), "width");
    REQUIRE_INVALID(Mlp(std::vector<Index>{3}), "width");
    REQUIRE_INVALID(Mlp(std::vector<Index>{2, 0, 4}), "width");
    REQUIRE_INVALID(Mlp(std::vector<Index>{0, 3}), "width");
    REQUIRE_INVALID(Mlp(std::vector<Index>{2, 3, 0}), "width");
    REQUIRE_INVALID(MaskedLinear(0, 3), "width");
    REQUIRE_INVALID(MaskedLinear(3, 0), "width");
  }
  SECTION("regrowth scores of the wrong shape") {
    MaskedLinear layer(3, 2);
    Rng values(3);
    REQUIRE_INVALID(regrow_layer(layer, Matrix::Zero(3, 2), 0.5, 0.03f, values), "scores");
  }
}

TEST_CASE("negative widths", "[errors][shapes]") {
  // Index is signed, so a negative width is a plausible mistake (e.g. an
  // unchecked subtraction). It must be reported like a zero width, not as
  // std::bad_alloc from the allocation of a (3 x -1) matrix.
  REQUIRE_INVALID(MaskedLinear(-1, 3), "width");
  REQUIRE_INVALID(MaskedLinear(3, -1), "width");
  REQUIRE_INVALID(Mlp(std::vector<Index>{-2, 3, 4}), "width");
  REQUIRE_INVALID(Mlp(std::vector<Index>{2, -3, 4}), "width");
}

TEST_CASE("sparsity targets outside 0..1 or NaN", "[errors][pruning]") {
  Mlp net = small_net();
  for (const double t : {-0.1, 1.0000001, 2.0, double(kNaN), double(kInf), -double(kInf)}) {
    CAPTURE(t);
    REQUIRE_INVALID(prune_to(net, t), "target sparsity");
    REQUIRE_INVALID(prune_to(net, t, PruneScope::global), "target sparsity");
    REQUIRE_INVALID(prune_layer_to(net.layer(0), t), "target sparsity");
  }
  CHECK(net.sparsity() == 0.0);  // nothing happened
  REQUIRE_NOTHROW(prune_to(net, 0.0));
  REQUIRE_INVALID(prune_to(net, 1.0), "target sparsity");  // the quantile rule would keep the largest weights
  std::vector<float> v{1, 2, 3};
  REQUIRE_INVALID(quantile_linear(v, 1.5), "quantile");
  REQUIRE_INVALID(quantile_linear(v, double(kNaN)), "quantile");
  std::vector<float> empty;
  REQUIRE_INVALID(quantile_linear(empty, 0.5), "empty");
  REQUIRE_INVALID(sparsity_after_removing(1.5, 0.1), "current sparsity");
  REQUIRE_INVALID(sparsity_after_removing(0.5, -0.1), "fraction");
  REQUIRE_INVALID(sparsity_after_removing(0.5, double(kNaN)), "fraction");
}

TEST_CASE("zero or negative batch sizes", "[errors][batches]") {
  const Dataset data = small_data();
  REQUIRE_INVALID(BatchSampler(data, 0), "batch_size");
  REQUIRE_INVALID(BatchSampler(data, -5), "batch_size");
  Mlp net = small_net();
  Rng shuffle(4);
  TrainOptions opt;
  opt.batch_size = 0;
  REQUIRE_INVALID(opt.validate(), "batch_size");
  REQUIRE_INVALID(train(net, data, opt, shuffle), "batch_size");
  RegrowOptions r;
  r.batch_size = 0;
  Rng values(5);
  REQUIRE_INVALID(regrow_by_gradient(net, data, r, shuffle, values), "batch_size");
  REQUIRE_INVALID(gradient_scores(net, data, 3, 0, shuffle), "batch_size");
  REQUIRE_INVALID(BatchSampler(Dataset{}, 16), "empty");
}

TEST_CASE("NaN, negative, zero or infinite learning rates, and zero epochs", "[errors][training]") {
  const Dataset data = small_data();
  Mlp net = small_net();
  const auto before = rewire_test::parameter_bytes(net);
  Rng shuffle(6);
  for (const float lr : {kNaN, -1e-3f, 0.0f, kInf, -kInf}) {
    CAPTURE(lr);
    TrainOptions opt;
    opt.lr = lr;
    REQUIRE_INVALID(train(net, data, opt, shuffle), "lr");
    NoiseSource noise(7);
    REQUIRE_INVALID(train_with_stress(net, data, opt, 0.5f, shuffle, noise), "lr");
    REQUIRE_INVALID(Adam(AdamOptions{lr}), "lr");
  }
  for (const int epochs : {0, -1}) {
    CAPTURE(epochs);
    TrainOptions opt;
    opt.epochs = epochs;
    REQUIRE_INVALID(train(net, data, opt, shuffle), "epochs");
  }
  CHECK(rewire_test::parameter_bytes(net) == before);  // no step was taken
}

TEST_CASE("negative or NaN noise levels", "[errors][noise]") {
  const Dataset data = small_data();
  Rng shuffle(8);
  NoiseSource noise(9);
  Mlp net = small_net();
  for (const float s : {-0.1f, kNaN, kInf}) {
    CAPTURE(s);
    REQUIRE_INVALID(train_with_stress(net, data, TrainOptions{}, s, shuffle, noise), "sigma0");
    net.modulation().noise_sigma = s;
    REQUIRE_INVALID(net.forward(Matrix::Zero(3, 2), &noise), "noise_sigma");
    net.modulation().noise_sigma = 0.0f;
    Rng rng(10);
    REQUIRE_INVALID(make_gaussian_clusters(10, s, rng), "sigma");
    EvalCondition c;
    c.input_sigma = s;
    REQUIRE_INVALID(accuracy(net, data, c, noise), "input_sigma");
    EvalCondition d;
    d.internal_sigma = s;
    REQUIRE_INVALID(accuracy(net, data, d, noise), "internal_sigma");
  }
  // A schedule that goes negative, or noise without a NoiseSource.
  REQUIRE_INVALID(train_scheduled(net, data, TrainOptions{}, [](int, int) { return -1.0f; }, shuffle, &noise),
                  "sigma");
  REQUIRE_INVALID(train_scheduled(net, data, TrainOptions{}, [](int, int) { return 0.5f; }, shuffle, nullptr),
                  "NoiseSource");
  net.modulation().noise_sigma = 0.5f;
  REQUIRE_INVALID(net.forward(Matrix::Zero(3, 2), nullptr), "NoiseSource");
  net.modulation().noise_sigma = 0.0f;
  net.modulation().damping = kNaN;
  REQUIRE_INVALID(net.forward(Matrix::Zero(3, 2), nullptr), "damping");
  net.modulation().damping = kInf;
  REQUIRE_INVALID(net.forward(Matrix::Zero(3, 2), nullptr), "damping");
}

TEST_CASE("NaN or infinite inputs to accuracy and predict, naming the row", "[errors][noise]") {
  // A NaN logit row has no arg-max: it would count as class 0, silently.
  const Mlp net = small_net();
  for (const float x : {kNaN, kInf, -kInf}) {
    CAPTURE(x);
    Dataset data = small_data();
    data.inputs(37, 1) = x;
    REQUIRE_INVALID(accuracy(net, data), "row 37");
    NoiseSource noise(11);
    REQUIRE_INVALID(accuracy(net, data, EvalCondition{0.5f, 0.5f}, noise), "NaN or infinite");
    REQUIRE_INVALID(predict(net, data.inputs), "row 37");
  }
}

TEST_CASE("unknown activation and prune-scope names", "[errors][names]") {
  REQUIRE_INVALID(parse_activation("sigmoid"), "activation");
  REQUIRE_INVALID(parse_activation("ReLU"), "activation");
  REQUIRE_INVALID(parse_activation(""), "activation");
  REQUIRE_INVALID(parse_prune_scope("layerwise"), "prune scope");
  REQUIRE_INVALID(parse_prune_scope("Global"), "prune scope");
}

TEST_CASE("labels out of range or of the wrong count", "[errors][labels]") {
  Matrix logits = Matrix::Zero(3, 4);
  Matrix P;
  Labels y(3);
  y << 0, 4, 1;
  REQUIRE_INVALID(softmax_cross_entropy_forward(P, logits, y), "label");
  y << 0, -1, 1;
  REQUIRE_INVALID(softmax_cross_entropy_forward(P, logits, y), "label");
  Labels short_y(2);
  short_y << 0, 1;
  REQUIRE_INVALID(softmax_cross_entropy_forward(P, logits, short_y), "label");
  // Through training: a data set with a label outside the network's classes.
  Dataset data = small_data();
  data.labels[57] = 7;
  Mlp net = small_net();
  Rng shuffle(11);
  REQUIRE_INVALID(train(net, data, TrainOptions{}, shuffle), "label");
  RegrowOptions r;
  r.batches = 2;
  r.batch_size = 200;  // one batch holds every sample, so label 7 is met
  Rng values(12);
  REQUIRE_INVALID(regrow_by_gradient(net, data, r, shuffle, values), "label");
}

TEST_CASE("a backward pass without a forward pass", "[errors][shapes]") {
  // Before any forward (and after release_buffers()) there are no
  // activations to differentiate through. Even a dlogits whose shape matches
  // the (empty) last logits must be refused with a message, and the
  // gradients must keep their parameters' shapes and values (an optimiser
  // reads `size` entries through ParamRef::grad).
  Mlp net = small_net();
  const auto require_gradients_unchanged = [&](const std::vector<Matrix>& dW, const std::vector<Vector>& db) {
    for (std::size_t l = 0; l < net.num_layers(); ++l) {
      CAPTURE(l);
      REQUIRE(rewire_test::bitwise_equal(net.layer(l).weight_grad(), dW[l]));
      REQUIRE(rewire_test::bitwise_equal(net.layer(l).bias_grad(), db[l]));
    }
  };
  std::vector<Matrix> dW;
  std::vector<Vector> db;
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    REQUIRE(net.layer(l).weight_grad().rows() == net.layer(l).weight().rows());
    REQUIRE(net.layer(l).weight_grad().cols() == net.layer(l).weight().cols());
    dW.push_back(net.layer(l).weight_grad());
    db.push_back(net.layer(l).bias_grad());
  }
  // 0 x 4 has the last logits' row count (0) and the classes' column count:
  // only the missing forward pass is wrong with it.
  REQUIRE_INVALID(net.backward(Matrix::Zero(0, 4)), "forward pass");
  REQUIRE_INVALID(net.backward(Matrix()), "forward pass");
  REQUIRE_INVALID(net.backward(Matrix::Zero(5, 4)), "forward pass");
  require_gradients_unchanged(dW, db);

  // After a forward the same call works; after release_buffers() it is
  // refused again.
  net.forward(Matrix::Zero(5, 2), nullptr);
  REQUIRE_NOTHROW(net.backward(Matrix::Ones(5, 4)));
  dW.clear();
  db.clear();
  for (std::size_t l = 0; l < net.num_layers(); ++l) {
    dW.push_back(net.layer(l).weight_grad());
    db.push_back(net.layer(l).bias_grad());
  }
  net.release_buffers();
  REQUIRE_INVALID(net.backward(Matrix::Ones(5, 4)), "forward pass");
  REQUIRE_INVALID(net.backward(Matrix::Zero(0, 4)), "forward pass");
  require_gradients_unchanged(dW, db);
}

TEST_CASE("other invalid options", "[errors][options]") {
  const Dataset data = small_data();
  Mlp net = small_net();
  Rng shuffle(14), values(15);
  RegrowOptions r;
  r.batches = 0;
  REQUIRE_INVALID(regrow_by_gradient(net, data, r, shuffle, values), "batches");
  REQUIRE_INVALID(gradient_scores(net, data, 0, 16, shuffle), "batches");
  r = RegrowOptions{};
  r.fraction = 1.5;
  REQUIRE_INVALID(regrow_by_gradient(net, data, r, shuffle, values), "fraction");
  r.fraction = double(kNaN);
  REQUIRE_INVALID(regrow_by_gradient(net, data, r, shuffle, values), "fraction");
  r = RegrowOptions{};
  r.init_sd = -0.03f;
  REQUIRE_INVALID(regrow_by_gradient(net, data, r, shuffle, values), "init_sd");
  NoiseSource noise(16);
  REQUIRE_INVALID(accuracy(net, data, EvalCondition{}, noise, 0), "chunk");
  REQUIRE_INVALID(accuracy(net, Dataset{}, EvalCondition{}, noise), "empty");
  Rng rng(17);
  REQUIRE_INVALID(make_gaussian_clusters(0, 0.8f, rng), "point");
  REQUIRE_INVALID(make_gaussian_clusters(10, 0.8f, rng, {}), "centre");
}

TEST_CASE("a call that throws leaves the network's noise sigma as it was", "[errors][noise]") {
  // train / gradient_scores / accuracy switch the sigma for their duration
  // and restore it on return; an exception thrown half-way must not leave
  // the network silently modified.
  Dataset bad = small_data();
  bad.labels[3] = 9;  // met in the first batch of every pass below (batch = all 200)
  NoiseSource noise(18);
  SECTION("train") {
    Mlp net = small_net();
    net.modulation().noise_sigma = 0.3f;
    TrainOptions opt;
    opt.batch_size = 200;
    Rng shuffle(19);
    REQUIRE_INVALID(train(net, bad, opt, shuffle), "label");
    CHECK(net.modulation().noise_sigma == 0.3f);
  }
  SECTION("train_with_stress") {
    Mlp net = small_net();
    net.modulation().noise_sigma = 0.3f;
    TrainOptions opt;
    opt.batch_size = 200;
    Rng shuffle(20);
    REQUIRE_INVALID(train_with_stress(net, bad, opt, 1.0f, shuffle, noise), "label");
    CHECK(net.modulation().noise_sigma == 0.3f);
  }
  SECTION("gradient_scores") {
    Mlp net = small_net();
    net.modulation().noise_sigma = 0.3f;
    Rng shuffle(21);
    REQUIRE_INVALID(gradient_scores(net, bad, 1, 200, shuffle), "label");
    CHECK(net.modulation().noise_sigma == 0.3f);
  }
  SECTION("accuracy") {
    Mlp net({3, 8, 4});  // the data have 2 features
    net.modulation().noise_sigma = 0.3f;
    EvalCondition c;
    c.internal_sigma = 1.0f;
    REQUIRE_INVALID(accuracy(net, small_data(), c, noise), "input");
    CHECK(net.modulation().noise_sigma == 0.3f);
  }
}

// The last two cases feed inconsistent labels to code that does not check
// them yet: under AddressSanitizer the out-of-bounds access aborts the
// process, so they come last (CTest runs every case in its own process).
TEST_CASE("labels out of range in the backward pass and in count_correct", "[errors][labels]") {
  // softmax_cross_entropy_backward and count_correct are public too; with a
  // label >= classes the backward writes dlogits(n, y[n]) out of bounds.
  Matrix P = Matrix::Constant(2, 4, 0.25f);
  Labels y(2);
  y << 1, 4;
  Matrix d;
  REQUIRE_INVALID(softmax_cross_entropy_backward(d, P, y), "label");
  REQUIRE_INVALID(count_correct(P, y), "label");
}

TEST_CASE("a data set whose label count differs from its row count", "[errors][labels]") {
  // BatchSampler reads labels[row] for every sampled row: with fewer labels
  // than rows that read is out of bounds.
  Dataset data = small_data(100);
  data.labels.conservativeResize(50);
  REQUIRE_INVALID(BatchSampler(data, 16), "label");
  Mlp net = small_net();
  NoiseSource noise(13);
  REQUIRE_INVALID(accuracy(net, data, EvalCondition{}, noise), "label");
}
