#include "dpkit/train/grad_sample.h"

#include <cmath>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "train/torch_util.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;
using torch::Tensor;

enum class LayerKind { kStateless, kLinear, kConv2d, kEmbedding, kLayerNorm, kGroupNorm };

// Relative safety margin of the clip factor (see header).
constexpr double kClipSafety = 1e-5;

template <typename... Ts>
bool IsOneOf(nn::Module* m) {
  return ((dynamic_cast<Ts*>(m) != nullptr) || ...);
}

bool IsPerExampleStateless(nn::Module* m) {
  return IsOneOf<nn::ReLUImpl, nn::ReLU6Impl, nn::LeakyReLUImpl, nn::ELUImpl, nn::SELUImpl,
                 nn::CELUImpl, nn::GELUImpl, nn::SiLUImpl, nn::MishImpl, nn::TanhImpl,
                 nn::SigmoidImpl, nn::SoftplusImpl, nn::SoftsignImpl, nn::HardtanhImpl,
                 nn::FlattenImpl, nn::UnflattenImpl,
                 nn::IdentityImpl, nn::DropoutImpl, nn::Dropout2dImpl, nn::MaxPool1dImpl,
                 nn::MaxPool2dImpl, nn::AvgPool1dImpl, nn::AvgPool2dImpl,
                 nn::AdaptiveAvgPool1dImpl, nn::AdaptiveAvgPool2dImpl, nn::AdaptiveMaxPool2dImpl,
                 nn::ZeroPad2dImpl>(m);
}

// Softmax/LogSoftmax act per example only when they do not reduce over dim 0.
bool IsPerExampleSoftmax(nn::Module* m, std::string* why) {
  int64_t dim = 1;
  if (auto* s = dynamic_cast<nn::SoftmaxImpl*>(m)) {
    dim = s->options.dim();
  } else if (auto* l = dynamic_cast<nn::LogSoftmaxImpl*>(m)) {
    dim = l->options.dim();
  } else {
    return false;
  }
  if (dim == 0) {
    *why = "it normalizes over dim 0, the batch dimension, which mixes examples";
    return false;
  }
  return true;
}

constexpr const char* kSupported =
    "supported: Linear, Conv2d (zero padding), Embedding, LayerNorm, GroupNorm, Sequential and "
    "per-example activations/pooling/Flatten/Dropout";

std::string Describe(nn::Module& m) {
  std::ostringstream os;
  m.pretty_print(os);
  return os.str();
}

}  // namespace

struct GradSampleModule::Layer {
  std::string path;         // position in the Sequential
  std::string description;  // pretty_print of the module
  LayerKind kind = LayerKind::kStateless;
  // kStateless layers whose backward the plain-MLP path knows (see PlainMlpBackprops).
  enum class Activation { kOther, kRelu, kTanh } activation = Activation::kOther;
  nn::AnyModule module;
  Tensor weight;  // trainable weight or undefined
  Tensor bias;    // trainable bias or undefined
  int first_param = -1;
  int num_params = 0;
  NormMethod last_method = NormMethod::kAuto;
  // Conv2d
  int64_t kh = 0, kw = 0, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
  // Embedding
  std::optional<int64_t> padding_idx;
  // LayerNorm / GroupNorm
  std::vector<int64_t> normalized_shape;
  int64_t num_groups = 1;
  double eps = 1e-5;
};

struct GradSampleModule::Captured {
  std::vector<Tensor> activations;  // per trainable layer, detached inputs
  std::vector<Tensor> backprops;    // per trainable layer, d(sum loss)/d(output)
  Tensor losses;                    // [B]
  int64_t batch_size = 0;
};

namespace {

using Layer = GradSampleModule::Layer;

// Per-example squared norms of one layer's parameter gradients, plus explicit per-example
// gradients when they were formed (for reuse when accumulating).
struct LayerResult {
  Tensor weight_sq;  // [B] or undefined
  Tensor bias_sq;    // [B] or undefined
  Tensor weight_psg;  // [B, *weight.shape] if materialized
  Tensor bias_psg;    // [B, *bias.shape] if materialized
  Tensor SquaredNorm() const {
    if (weight_sq.defined() && bias_sq.defined()) return weight_sq + bias_sq;
    return weight_sq.defined() ? weight_sq : bias_sq;
  }
};

// Sum of squares of n values in 16 independent lanes (so the compiler vectorizes it; no
// -ffast-math reassociation needed), accumulated in the values' own precision like torch's sum.
template <typename T>
T SumOfSquares(const T* p, int64_t n) {
  constexpr int kLanes = 16;
  T acc[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += p[k + j] * p[k + j];
  }
  T s = 0;
  for (; k < n; ++k) s += p[k] * p[k];
  for (T a : acc) s += a;
  return s;
}

// Squared L2 norm of each row of a 2-D tensor, [rows]: one pass over the data, no [rows, n]
// temporary and no per-op dispatch. Other devices/dtypes use plain torch ops.
Tensor RowSquaredNorms(const Tensor& x) {
  if (x.device().type() != torch::kCPU ||
      (x.scalar_type() != torch::kFloat && x.scalar_type() != torch::kDouble)) {
    return (x * x).sum(1);
  }
  const Tensor c = x.contiguous();
  const int64_t rows = c.size(0), n = c.size(1);
  Tensor out = torch::empty({rows}, c.options());
  AT_DISPATCH_FLOATING_TYPES(c.scalar_type(), "RowSquaredNorms", [&] {
    const scalar_t* p = c.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    for (int64_t i = 0; i < rows; ++i) o[i] = SumOfSquares(p + i * n, n);
  });
  return out;
}

bool UseGhost(NormMethod method, double ghost_cost, double explicit_cost) {
  if (method == NormMethod::kGhost) return true;
  if (method == NormMethod::kExplicit) return false;
  return ghost_cost < explicit_cost;
}

LayerResult LinearNorms(Layer& l, const Tensor& a, const Tensor& g, NormMethod method,
                        bool want_psg) {
  LayerResult r;
  const int64_t B = a.size(0);
  const int64_t out = g.size(-1);
  const int64_t in = a.size(-1);
  Tensor A = a.reshape({B, -1, in});
  Tensor G = g.reshape({B, -1, out});
  const int64_t T = A.size(1);
  if (T == 1 && !want_psg && method != NormMethod::kExplicit) {
    // One position per example: ||g a^T||_F = ||g|| ||a|| and the bias gradient is g itself,
    // so both squared norms come from one pass over g and one over a (no per-example tensor).
    Tensor g2 = G.reshape({B, out});
    Tensor g_sq = RowSquaredNorms(g2);
    if (l.weight.defined()) {
      r.weight_sq = g_sq * RowSquaredNorms(A.reshape({B, in}));
      l.last_method = NormMethod::kGhost;
    }
    if (l.bias.defined()) {
      r.bias_sq = g_sq;
      r.bias_psg = g2;
    }
    return r;
  }
  if (l.weight.defined()) {
    if (!want_psg && UseGhost(method, double(T) * T * (in + out), double(T) * in * out)) {
      Tensor AA = torch::bmm(A, A.transpose(1, 2));
      Tensor GG = torch::bmm(G, G.transpose(1, 2));
      r.weight_sq = (AA * GG).sum({1, 2});
      l.last_method = NormMethod::kGhost;
    } else {
      r.weight_psg = torch::bmm(G.transpose(1, 2), A);  // [B, out, in]
      r.weight_sq = r.weight_psg.square().sum({1, 2});
      l.last_method = NormMethod::kExplicit;
    }
  }
  if (l.bias.defined()) {
    Tensor gb = G.sum(1);  // [B, out]
    r.bias_sq = gb.square().sum(1);
    r.bias_psg = gb;
  }
  return r;
}

void LinearAccumulate(const Layer& l, const Tensor& a, const Tensor& g, const LayerResult& r,
                      const Tensor& f, Tensor& wsum, Tensor& bsum) {
  const int64_t B = a.size(0);
  const int64_t out = g.size(-1);
  const int64_t in = a.size(-1);
  if (l.weight.defined() && !r.weight_psg.defined()) {
    // Book-keeping: sum_i f_i G_i^T A_i = (diag(f) G)^T A over all (example, position) rows;
    // the bias gets the column sums of the same scaled G.
    Tensor Gf = (g.reshape({B, -1, out}) * f.view({B, 1, 1})).view({-1, out});
    wsum.addmm_(Gf.t(), a.reshape({-1, in}));
    if (l.bias.defined()) bsum.add_(Gf.sum(0));
    return;
  }
  if (l.weight.defined()) wsum.add_(torch::einsum("b,boi->oi", {f, r.weight_psg}));
  if (l.bias.defined()) bsum.add_(f.matmul(r.bias_psg));
}

LayerResult Conv2dNorms(Layer& l, const Tensor& a, const Tensor& g, NormMethod method,
                        bool want_psg) {
  LayerResult r;
  const int64_t B = a.size(0);
  const int64_t cout = g.size(1);
  Tensor U = F::unfold(a, F::UnfoldFuncOptions({l.kh, l.kw})
                              .dilation({l.dh, l.dw})
                              .padding({l.ph, l.pw})
                              .stride({l.sh, l.sw}));  // [B, Cin*kh*kw, L]
  const int64_t L = U.size(2);
  const int64_t K = U.size(1) / l.groups;
  const int64_t O = cout / l.groups;
  Tensor Ug = U.view({B, l.groups, K, L});
  Tensor Gg = g.reshape({B, l.groups, O, L});
  if (l.weight.defined()) {
    if (!want_psg &&
        UseGhost(method, double(L) * L * (K + O) * l.groups, double(O) * K * L * l.groups)) {
      Tensor UU = torch::matmul(Ug.transpose(2, 3), Ug);  // [B, G, L, L]
      Tensor GG = torch::matmul(Gg.transpose(2, 3), Gg);
      r.weight_sq = (UU * GG).sum({1, 2, 3});
      l.last_method = NormMethod::kGhost;
    } else {
      Tensor psg = torch::matmul(Gg, Ug.transpose(2, 3));  // [B, G, O, K]
      r.weight_sq = psg.square().sum({1, 2, 3});
      r.weight_psg = psg.reshape({B, cout, K / (l.kh * l.kw), l.kh, l.kw});
      l.last_method = NormMethod::kExplicit;
    }
  }
  if (l.bias.defined()) {
    Tensor gb = g.reshape({B, cout, -1}).sum(2);
    r.bias_sq = gb.square().sum(1);
    r.bias_psg = gb;
  }
  return r;
}

void Conv2dAccumulate(const Layer& l, const Tensor& a, const Tensor& g, const LayerResult& r,
                      const Tensor& f, Tensor& wsum, Tensor& bsum) {
  const int64_t B = a.size(0);
  const int64_t cout = g.size(1);
  if (l.weight.defined()) {
    if (r.weight_psg.defined()) {
      wsum.add_((r.weight_psg * f.view({B, 1, 1, 1, 1})).sum(0));
    } else {
      Tensor U = F::unfold(a, F::UnfoldFuncOptions({l.kh, l.kw})
                                  .dilation({l.dh, l.dw})
                                  .padding({l.ph, l.pw})
                                  .stride({l.sh, l.sw}));
      const int64_t L = U.size(2);
      const int64_t K = U.size(1) / l.groups;
      const int64_t O = cout / l.groups;
      Tensor Ug = U.view({B, l.groups, K, L}).permute({1, 0, 3, 2}).reshape({l.groups, B * L, K});
      Tensor Gf = (g.reshape({B, l.groups, O, L}) * f.view({B, 1, 1, 1}))
                      .permute({1, 2, 0, 3})
                      .reshape({l.groups, O, B * L});
      wsum.add_(torch::bmm(Gf, Ug).reshape(wsum.sizes()));
    }
  }
  if (l.bias.defined()) bsum.add_(f.matmul(r.bias_psg));
}

LayerResult EmbeddingNorms(Layer& l, const Tensor& a, const Tensor& g, NormMethod method,
                           bool want_psg) {
  LayerResult r;
  const int64_t B = a.size(0);
  const int64_t dim = g.size(-1);
  const int64_t num = l.weight.size(0);
  Tensor I = a.reshape({B, -1});
  Tensor G = g.reshape({B, -1, dim});
  if (l.padding_idx) G = G * I.ne(*l.padding_idx).unsqueeze(2).to(G.scalar_type());
  const int64_t T = I.size(1);
  if (want_psg) {
    Tensor offsets = torch::arange(B, I.options()).unsqueeze(1) * num;
    r.weight_psg = torch::zeros({B * num, dim}, G.options())
                       .index_add_(0, (I + offsets).reshape({-1}), G.reshape({-1, dim}))
                       .view({B, num, dim});
    r.weight_sq = r.weight_psg.square().sum({1, 2});
    l.last_method = NormMethod::kExplicit;
  } else if (T == 1) {
    r.weight_sq = G.square().sum({1, 2});
    l.last_method = NormMethod::kGhost;
  } else {
    // Rows of the per-example gradient are sums of g_t over positions with the same index:
    // ||.||^2 = sum_{t,s} [I_t == I_s] <g_t, g_s>.
    Tensor same = I.unsqueeze(2).eq(I.unsqueeze(1)).to(G.scalar_type());
    r.weight_sq = (same * torch::bmm(G, G.transpose(1, 2))).sum({1, 2});
    l.last_method = NormMethod::kGhost;
  }
  (void)method;
  return r;
}

void EmbeddingAccumulate(const Layer& l, const Tensor& a, const Tensor& g, const LayerResult& r,
                         const Tensor& f, Tensor& wsum, Tensor& bsum) {
  const int64_t B = a.size(0);
  const int64_t dim = g.size(-1);
  Tensor I = a.reshape({B, -1});
  Tensor G = g.reshape({B, -1, dim}) * f.view({B, 1, 1});
  if (l.padding_idx) G = G * I.ne(*l.padding_idx).unsqueeze(2).to(G.scalar_type());
  wsum.index_add_(0, I.reshape({-1}), G.reshape({-1, dim}));
}

// LayerNorm / GroupNorm: per-example gradients of the affine parameters are small; always
// explicit. x_hat is recomputed from the input without the affine transform.
LayerResult NormLayerNorms(Layer& l, const Tensor& a, const Tensor& g) {
  LayerResult r;
  const int64_t B = a.size(0);
  Tensor xhat;
  Tensor gr;
  int64_t P;
  if (l.kind == LayerKind::kLayerNorm) {
    P = 1;
    for (int64_t s : l.normalized_shape) P *= s;
    xhat = torch::layer_norm(a, l.normalized_shape, {}, {}, l.eps);
    gr = g.reshape({B, -1, P});
    if (l.weight.defined()) r.weight_psg = (gr * xhat.reshape({B, -1, P})).sum(1);
    if (l.bias.defined()) r.bias_psg = gr.sum(1);
  } else {
    P = a.size(1);
    xhat = torch::group_norm(a, l.num_groups, {}, {}, l.eps);
    gr = g.reshape({B, P, -1});
    if (l.weight.defined()) r.weight_psg = (gr * xhat.reshape({B, P, -1})).sum(2);
    if (l.bias.defined()) r.bias_psg = gr.sum(2);
  }
  if (r.weight_psg.defined()) r.weight_sq = r.weight_psg.square().sum(1);
  if (r.bias_psg.defined()) r.bias_sq = r.bias_psg.square().sum(1);
  l.last_method = NormMethod::kExplicit;
  return r;
}

void NormLayerAccumulate(const Layer& l, const LayerResult& r, const Tensor& f, Tensor& wsum,
                         Tensor& bsum) {
  if (l.weight.defined()) wsum.add_(f.matmul(r.weight_psg).view(wsum.sizes()));
  if (l.bias.defined()) bsum.add_(f.matmul(r.bias_psg).view(bsum.sizes()));
}

LayerResult ComputeLayer(Layer& l, const Tensor& a, const Tensor& g, NormMethod method,
                         bool want_psg) {
  switch (l.kind) {
    case LayerKind::kLinear:
      return LinearNorms(l, a, g, method, want_psg);
    case LayerKind::kConv2d:
      return Conv2dNorms(l, a, g, method, want_psg);
    case LayerKind::kEmbedding:
      return EmbeddingNorms(l, a, g, method, want_psg);
    case LayerKind::kLayerNorm:
    case LayerKind::kGroupNorm:
      return NormLayerNorms(l, a, g);
    case LayerKind::kStateless:
      break;
  }
  return {};
}

void AccumulateLayer(const Layer& l, const Tensor& a, const Tensor& g, const LayerResult& r,
                     const Tensor& f, Tensor& wsum, Tensor& bsum) {
  switch (l.kind) {
    case LayerKind::kLinear:
      return LinearAccumulate(l, a, g, r, f, wsum, bsum);
    case LayerKind::kConv2d:
      return Conv2dAccumulate(l, a, g, r, f, wsum, bsum);
    case LayerKind::kEmbedding:
      return EmbeddingAccumulate(l, a, g, r, f, wsum, bsum);
    case LayerKind::kLayerNorm:
    case LayerKind::kGroupNorm:
      return NormLayerAccumulate(l, r, f, wsum, bsum);
    case LayerKind::kStateless:
      break;
  }
}

// Fills the layer's kind and configuration; an error names the layer.
absl::Status Classify(Layer& l, const std::shared_ptr<nn::Module>& ptr) {
  nn::Module* m = ptr.get();
  auto where = [&]() { return absl::StrCat("layer ", l.path, " (", l.description, ")"); };
  auto trainable = [](const Tensor& t) { return t.defined() && t.requires_grad() ? t : Tensor(); };
  if (IsOneOf<nn::BatchNorm1dImpl, nn::BatchNorm2dImpl, nn::BatchNorm3dImpl>(m)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where(),
        " is not DP-compatible: it mixes examples in a batch (each example's output depends on "
        "the batch statistics, so per-example gradients are undefined); use GroupNorm"));
  }
  if (auto* lin = dynamic_cast<nn::LinearImpl*>(m)) {
    l.kind = LayerKind::kLinear;
    l.weight = trainable(lin->weight);
    l.bias = trainable(lin->bias);
  } else if (auto* conv = dynamic_cast<nn::Conv2dImpl*>(m)) {
    const auto& o = conv->options;
    if (!c10::holds_alternative<torch::enumtype::kZeros>(o.padding_mode())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), " uses a non-zero padding_mode; only zero padding has "
                                "per-sample gradient support here: pad explicitly instead"));
    }
    if (o.transposed()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), ": transposed convolutions are not supported"));
    }
    l.kind = LayerKind::kConv2d;
    l.kh = (*o.kernel_size())[0];
    l.kw = (*o.kernel_size())[1];
    l.sh = (*o.stride())[0];
    l.sw = (*o.stride())[1];
    l.dh = (*o.dilation())[0];
    l.dw = (*o.dilation())[1];
    l.groups = o.groups();
    if (auto* pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding())) {
      l.ph = (**pad)[0];
      l.pw = (**pad)[1];
    } else if (c10::holds_alternative<torch::enumtype::kSame>(o.padding())) {
      const int64_t th = l.dh * (l.kh - 1), tw = l.dw * (l.kw - 1);
      if (th % 2 != 0 || tw % 2 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            where(), ": padding='same' with an even kernel pads asymmetrically, which is not "
                     "supported; pad explicitly"));
      }
      l.ph = th / 2;
      l.pw = tw / 2;
    }
    l.weight = trainable(conv->weight);
    l.bias = trainable(conv->bias);
  } else if (auto* emb = dynamic_cast<nn::EmbeddingImpl*>(m)) {
    const auto& o = emb->options;
    if (o.max_norm() || o.scale_grad_by_freq() || o.sparse()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), ": max_norm, scale_grad_by_freq and sparse are not supported "
                                "with per-sample gradients; remove them"));
    }
    l.kind = LayerKind::kEmbedding;
    l.padding_idx = o.padding_idx() ? std::optional<int64_t>(*o.padding_idx()) : std::nullopt;
    if (l.padding_idx && *l.padding_idx < 0) *l.padding_idx += o.num_embeddings();
    l.weight = trainable(emb->weight);
  } else if (auto* ln = dynamic_cast<nn::LayerNormImpl*>(m)) {
    l.kind = LayerKind::kLayerNorm;
    l.normalized_shape = ln->options.normalized_shape();
    l.eps = ln->options.eps();
    l.weight = trainable(ln->weight);
    l.bias = trainable(ln->bias);
  } else if (auto* gn = dynamic_cast<nn::GroupNormImpl*>(m)) {
    l.kind = LayerKind::kGroupNorm;
    l.num_groups = gn->options.num_groups();
    l.eps = gn->options.eps();
    l.weight = trainable(gn->weight);
    l.bias = trainable(gn->bias);
  } else {
    std::string why;
    if (!IsPerExampleStateless(m) && !IsPerExampleSoftmax(m, &why)) {
      if (why.empty()) {
        why = ptr->parameters().empty()
                  ? "it is not known to act on each example separately"
                  : "it has no per-sample gradient support";
      }
      return absl::InvalidArgumentError(
          absl::StrCat(where(), " cannot be used for DP training: ", why, "; ", kSupported));
    }
    l.kind = LayerKind::kStateless;
    if (auto* relu = dynamic_cast<nn::ReLUImpl*>(m); relu != nullptr && !relu->options.inplace()) {
      l.activation = Layer::Activation::kRelu;
    } else if (dynamic_cast<nn::TanhImpl*>(m) != nullptr) {
      l.activation = Layer::Activation::kTanh;
    }
    for (const auto& p : ptr->parameters()) {
      if (p.requires_grad()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(), " has trainable parameters but no per-sample gradient support"));
      }
    }
  }
  if (!l.weight.defined() && !l.bias.defined()) l.kind = LayerKind::kStateless;
  return absl::OkStatus();
}

absl::Status Flatten(const nn::Sequential& seq, std::vector<std::unique_ptr<Layer>>& out) {
  size_t i = 0;
  for (const auto& any : *seq) {
    std::shared_ptr<nn::Module> ptr = any.ptr();
    auto l = std::make_unique<Layer>();
    l->path = std::to_string(i++);
    l->description = Describe(*ptr);
    l->module = any;
    DPKIT_RETURN_IF_ERROR(Classify(*l, ptr));
    out.push_back(std::move(l));
  }
  return absl::OkStatus();
}

absl::Status CheckLosses(const Tensor& losses, int64_t batch_size) {
  if (!losses.defined() || losses.dim() != 1 || losses.size(0) != batch_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the loss must return one value per example (shape [", batch_size,
        "]); got shape ", losses.defined() ? c10::str(losses.sizes()) : std::string("undefined")));
  }
  return absl::OkStatus();
}

// A plain MLP: Linear layers with a trainable weight and ReLU (not in place) / Tanh between
// them, on a [B, in] input (so each Linear sees one position per example).
bool IsPlainMlp(const std::vector<std::unique_ptr<Layer>>& layers, const Tensor& input) {
  if (input.dim() != 2) return false;
  for (const auto& l : layers) {
    const bool linear = l->kind == LayerKind::kLinear && l->weight.defined();
    if (!linear && l->activation == Layer::Activation::kOther) return false;
  }
  return true;
}

// Forward and backward of a plain MLP without autograd's graph: the forward runs under
// NoGradGuard, autograd differentiates only the loss, and the gradient is carried back by hand
// with the ops autograd would run (g W for a Linear's input, threshold_backward / tanh_backward
// on the activation's output), down to the first trainable layer. Fills the activations (layer
// inputs), backprops (d sum-loss / d layer output) and losses of each trainable layer.
absl::Status PlainMlpBackprops(const std::vector<std::unique_ptr<Layer>>& layers,
                               const Tensor& input, const Tensor& target,
                               const PerExampleLoss& loss, std::vector<Tensor>& activations,
                               std::vector<Tensor>& backprops, Tensor& losses_out) {
  std::vector<Tensor> outputs(layers.size());
  Tensor x = input;
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < layers.size(); ++i) {
      if (layers[i]->kind == LayerKind::kLinear) activations.push_back(x);
      x = outputs[i] = layers[i]->module.forward(x);
    }
  }
  Tensor logits = x.detach().requires_grad_(true);
  Tensor losses = loss(logits, target);
  DPKIT_RETURN_IF_ERROR(CheckLosses(losses, input.size(0)));
  Tensor g = torch::autograd::grad({losses.sum()}, {logits}, {}, false, false, true)[0];
  if (!g.defined()) g = torch::zeros_like(logits);
  torch::NoGradGuard no_grad;
  backprops.assign(activations.size(), Tensor());
  size_t j = activations.size();
  for (size_t i = layers.size(); i-- > 0 && j > 0;) {
    const Layer& l = *layers[i];
    if (l.kind == LayerKind::kLinear) {
      backprops[--j] = g;
      if (j > 0) g = g.mm(l.weight);
    } else if (l.activation == Layer::Activation::kRelu) {
      g = torch::threshold_backward(g, outputs[i], 0);
    } else {
      g = torch::tanh_backward(g, outputs[i]);
    }
  }
  losses_out = losses.detach();
  return absl::OkStatus();
}

}  // namespace

PerExampleLoss CrossEntropyLoss() {
  return [](const Tensor& output, const Tensor& target) {
    return F::cross_entropy(output, target, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  };
}

PerExampleLoss MseLoss() {
  return [](const Tensor& output, const Tensor& target) {
    const int64_t B = output.size(0);
    Tensor d = output.reshape({B, -1}) - target.reshape({B, -1}).to(output.scalar_type());
    return d.square().sum(1);
  };
}

PerExampleLoss BinaryCrossEntropyWithLogitsLoss() {
  return [](const Tensor& output, const Tensor& target) {
    const int64_t B = output.size(0);
    return F::binary_cross_entropy_with_logits(
               output.reshape({B, -1}), target.reshape({B, -1}).to(output.scalar_type()),
               F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
        .sum(1);
  };
}

GradSampleModule::~GradSampleModule() = default;

absl::StatusOr<std::unique_ptr<GradSampleModule>> GradSampleModule::Create(
    nn::Sequential model, ClippingOptions options) {
  if (model.is_empty()) return absl::InvalidArgumentError("model must not be null");
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("max_grad_norm", options.max_grad_norm));
  std::unique_ptr<GradSampleModule> m(new GradSampleModule());
  m->model_ = model;
  m->options_ = options;
  DPKIT_RETURN_IF_ERROR(Flatten(model, m->layers_));
  int64_t tracked = 0;
  for (size_t i = 0; i < m->layers_.size(); ++i) {
    Layer& l = *m->layers_[i];
    if (l.kind == LayerKind::kStateless) continue;
    m->trainable_layers_.push_back(static_cast<int>(i));
    l.first_param = static_cast<int>(m->params_.size());
    for (const Tensor& p : {l.weight, l.bias}) {
      if (!p.defined()) continue;
      m->params_.push_back(p);
      m->sums_.push_back(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
      m->num_parameters_ += p.numel();
      ++l.num_params;
      ++tracked;
    }
  }
  int64_t all_trainable = 0;
  for (const auto& p : model->parameters()) all_trainable += p.requires_grad() ? 1 : 0;
  if (all_trainable != tracked) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the model has ", all_trainable, " trainable parameter tensors but only ", tracked,
        " belong to layers with per-sample gradient support (a parameter registered outside a "
        "supported layer cannot be clipped)"));
  }
  if (m->trainable_layers_.empty()) {
    return absl::InvalidArgumentError("the model has no trainable parameters");
  }
  const size_t L = m->trainable_layers_.size();
  if (options.mode == ClippingMode::kFlat) {
    m->thresholds_ = {options.max_grad_norm};
    m->sensitivity_ = options.max_grad_norm;
  } else {
    if (options.per_layer_max_grad_norms.empty()) {
      m->thresholds_.assign(L, options.max_grad_norm / std::sqrt(static_cast<double>(L)));
    } else {
      if (options.per_layer_max_grad_norms.size() != L) {
        return absl::InvalidArgumentError(absl::StrCat(
            "per_layer_max_grad_norms has ", options.per_layer_max_grad_norms.size(),
            " entries but the model has ", L, " trainable layers"));
      }
      for (double c : options.per_layer_max_grad_norms) {
        DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("per_layer_max_grad_norms[i]", c));
      }
      m->thresholds_ = options.per_layer_max_grad_norms;
    }
    double s = 0;
    for (double c : m->thresholds_) s += c * c;
    m->sensitivity_ = std::sqrt(s);
  }
  return m;
}

std::vector<std::string> GradSampleModule::LayerDescriptions() const {
  std::vector<std::string> out;
  for (const auto& l : layers_) {
    std::string method;
    if (l->kind != LayerKind::kStateless) {
      method = l->last_method == NormMethod::kGhost      ? " [ghost norm]"
               : l->last_method == NormMethod::kExplicit ? " [per-sample grad]"
                                                         : " [trainable]";
    }
    out.push_back(absl::StrCat(l->path, ": ", l->description, method));
  }
  return out;
}

void GradSampleModule::ZeroClippedGradientSum() {
  for (auto& s : sums_) s.zero_();
}

absl::StatusOr<GradSampleModule::Captured> GradSampleModule::ForwardBackward(
    const Tensor& input, const Tensor& target, const PerExampleLoss& loss) {
  Captured c;
  if (!input.defined() || input.dim() == 0) {
    return absl::InvalidArgumentError("input must be a tensor of shape [batch, ...]");
  }
  c.batch_size = input.size(0);
  if (!target.defined() || target.dim() == 0 || target.size(0) != c.batch_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target must have the same batch size as input (", c.batch_size, ")"));
  }
  if (c.batch_size == 0) return c;
  if (IsPlainMlp(layers_, input)) {
    DPKIT_RETURN_IF_ERROR(
        PlainMlpBackprops(layers_, input, target, loss, c.activations, c.backprops, c.losses));
    return c;
  }
  std::vector<Tensor> outputs;
  std::vector<int64_t> versions;
  Tensor x = input;
  for (auto& lp : layers_) {
    if (lp->kind == LayerKind::kStateless) {
      x = lp->module.forward(x);
      continue;
    }
    c.activations.push_back(x.detach());
    x = lp->module.forward(x);
    outputs.push_back(x);
    versions.push_back(x._version());
  }
  Tensor losses = loss(x, target);
  DPKIT_RETURN_IF_ERROR(CheckLosses(losses, c.batch_size));
  for (size_t j = 0; j < outputs.size(); ++j) {
    if (outputs[j]._version() != versions[j]) {
      const Layer& l = *layers_[trainable_layers_[j]];
      return absl::InvalidArgumentError(absl::StrCat(
          "the output of layer ", l.path, " (", l.description,
          ") was modified in place by a later layer; use inplace=false activations"));
    }
  }
  c.backprops = torch::autograd::grad({losses.sum()}, outputs, /*grad_outputs=*/{},
                                      /*retain_graph=*/false, /*create_graph=*/false,
                                      /*allow_unused=*/true);
  for (size_t j = 0; j < c.backprops.size(); ++j) {
    if (!c.backprops[j].defined()) c.backprops[j] = torch::zeros_like(outputs[j]);
  }
  c.losses = losses.detach();
  return c;
}

absl::StatusOr<ClipStats> GradSampleModule::AccumulateClippedGradients(
    const Tensor& input, const Tensor& target, const PerExampleLoss& loss) {
  return GuardTorch("clipping", [&]() -> absl::StatusOr<ClipStats> {
    DPKIT_ASSIGN_OR_RETURN(Captured c, ForwardBackward(input, target, loss));
    ClipStats stats;
    stats.batch_size = c.batch_size;
    if (c.batch_size == 0) {
      stats.norms = torch::zeros({0});
      return stats;
    }
    torch::NoGradGuard guard;
    const size_t L = trainable_layers_.size();
    std::vector<LayerResult> results(L);
    std::vector<Tensor> layer_sq(L);
    for (size_t j = 0; j < L; ++j) {
      Layer& l = *layers_[trainable_layers_[j]];
      results[j] = ComputeLayer(l, c.activations[j], c.backprops[j], options_.norm_method, false);
      layer_sq[j] = results[j].SquaredNorm();
    }
    Tensor total_sq = layer_sq[0].clone();
    for (size_t j = 1; j < L; ++j) total_sq.add_(layer_sq[j]);
    stats.norms = total_sq.sqrt();
    std::vector<Tensor> factors(L);
    if (options_.mode == ClippingMode::kFlat) {
      const double c_eff = thresholds_[0] * (1 - kClipSafety);
      Tensor f = (c_eff / stats.norms.clamp_min(1e-30)).clamp_max(1.0);
      stats.num_clipped = f.lt(1.0).sum().item<int64_t>();
      for (size_t j = 0; j < L; ++j) factors[j] = f;
    } else {
      Tensor any_clipped = torch::zeros({c.batch_size}, torch::kBool);
      for (size_t j = 0; j < L; ++j) {
        const double c_eff = thresholds_[j] * (1 - kClipSafety);
        factors[j] = (c_eff / layer_sq[j].sqrt().clamp_min(1e-30)).clamp_max(1.0);
        any_clipped |= factors[j].lt(1.0);
      }
      stats.num_clipped = any_clipped.sum().item<int64_t>();
    }
    for (size_t j = 0; j < L; ++j) {
      const Layer& l = *layers_[trainable_layers_[j]];
      Tensor empty;
      Tensor& wsum = l.weight.defined() ? sums_[l.first_param] : empty;
      Tensor& bsum = l.bias.defined() ? sums_[l.first_param + (l.weight.defined() ? 1 : 0)] : empty;
      AccumulateLayer(l, c.activations[j], c.backprops[j], results[j],
                      factors[j].to(c.backprops[j].scalar_type()), wsum, bsum);
    }
    stats.loss_sum = c.losses.sum().item<double>();
    return stats;
  });
}

absl::StatusOr<Tensor> GradSampleModule::PerExampleGradientNorms(const Tensor& input,
                                                                 const Tensor& target,
                                                                 const PerExampleLoss& loss) {
  return GuardTorch("per-example norms", [&]() -> absl::StatusOr<Tensor> {
    DPKIT_ASSIGN_OR_RETURN(Captured c, ForwardBackward(input, target, loss));
    if (c.batch_size == 0) return torch::zeros({0});
    torch::NoGradGuard guard;
    Tensor total;
    for (size_t j = 0; j < trainable_layers_.size(); ++j) {
      Layer& l = *layers_[trainable_layers_[j]];
      Tensor sq =
          ComputeLayer(l, c.activations[j], c.backprops[j], options_.norm_method, false).SquaredNorm();
      total = total.defined() ? total + sq : sq;
    }
    return total.sqrt();
  });
}

absl::StatusOr<std::vector<Tensor>> GradSampleModule::PerExampleGradients(
    const Tensor& input, const Tensor& target, const PerExampleLoss& loss) {
  return GuardTorch("per-example gradients", [&]() -> absl::StatusOr<std::vector<Tensor>> {
    DPKIT_ASSIGN_OR_RETURN(Captured c, ForwardBackward(input, target, loss));
    std::vector<Tensor> out;
    torch::NoGradGuard guard;
    for (size_t j = 0; j < trainable_layers_.size(); ++j) {
      Layer& l = *layers_[trainable_layers_[j]];
      if (c.batch_size == 0) {
        for (const Tensor& p : {l.weight, l.bias}) {
          if (!p.defined()) continue;
          std::vector<int64_t> shape = {0};
          for (int64_t s : p.sizes()) shape.push_back(s);
          out.push_back(torch::zeros(shape, p.options()));
        }
        continue;
      }
      LayerResult r = ComputeLayer(l, c.activations[j], c.backprops[j], NormMethod::kExplicit, true);
      const int64_t B = c.batch_size;
      auto with_batch = [B](const Tensor& p) {
        std::vector<int64_t> shape = {B};
        for (int64_t s : p.sizes()) shape.push_back(s);
        return shape;
      };
      if (l.weight.defined()) out.push_back(r.weight_psg.reshape(with_batch(l.weight)));
      if (l.bias.defined()) out.push_back(r.bias_psg.reshape(with_batch(l.bias)));
    }
    return out;
  });
}

}  // namespace dpkit::train
