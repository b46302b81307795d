#include "dpkit/train/idx.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"

namespace dpkit::train {
namespace {

struct Idx {
  std::vector<int64_t> dims;
  std::string data;
  size_t offset = 0;
};

absl::StatusOr<Idx> ReadIdx(const std::string& path, int want_dims) {
  DPKIT_ASSIGN_OR_RETURN(std::string raw, Env::Default()->ReadFile(path));
  DPKIT_ASSIGN_OR_RETURN(std::string data, io::MaybeGunzip(std::move(raw), path));
  auto u8 = [&](size_t i) { return static_cast<uint8_t>(data[i]); };
  if (data.size() < 4 || u8(0) != 0 || u8(1) != 0) {
    return DataError(absl::StrCat(path, ": not an IDX file (bad magic number)"));
  }
  if (u8(2) != 0x08) {
    return DataError(absl::StrCat(path, ": IDX element type 0x", absl::Hex(u8(2)),
                                  " is not supported (only unsigned bytes, 0x08)"));
  }
  const int ndims = u8(3);
  if (ndims != want_dims) {
    return DataError(absl::StrCat(path, ": expected ", want_dims, " dimensions, found ", ndims));
  }
  Idx idx;
  size_t off = 4;
  int64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    if (data.size() < off + 4) return DataError(absl::StrCat(path, ": truncated header"));
    int64_t v = (int64_t{u8(off)} << 24) | (u8(off + 1) << 16) | (u8(off + 2) << 8) | u8(off + 3);
    idx.dims.push_back(v);
    total *= v;
    off += 4;
  }
  if (static_cast<int64_t>(data.size() - off) < total) {
    return DataError(absl::StrCat(path, ": truncated: header promises ", total, " bytes of data, ",
                                  data.size() - off, " present"));
  }
  idx.offset = off;
  idx.data = std::move(data);
  return idx;
}

}  // namespace

absl::StatusOr<torch::Tensor> ReadIdxImages(const std::string& path, int64_t max_items) {
  DPKIT_ASSIGN_OR_RETURN(Idx idx, ReadIdx(path, 3));
  int64_t n = idx.dims[0];
  if (max_items >= 0) n = std::min(n, max_items);
  const int64_t h = idx.dims[1], w = idx.dims[2];
  torch::Tensor t = torch::from_blob(idx.data.data() + idx.offset, {n, 1, h, w}, torch::kUInt8)
                        .to(torch::kFloat)
                        .div_(255.0);
  return t;
}

absl::StatusOr<torch::Tensor> ReadIdxLabels(const std::string& path, int64_t max_items) {
  DPKIT_ASSIGN_OR_RETURN(Idx idx, ReadIdx(path, 1));
  int64_t n = idx.dims[0];
  if (max_items >= 0) n = std::min(n, max_items);
  return torch::from_blob(idx.data.data() + idx.offset, {n}, torch::kUInt8).to(torch::kLong);
}

}  // namespace dpkit::train
