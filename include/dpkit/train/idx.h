// IDX files (the MNIST / Fashion-MNIST format of LeCun et al.), plain or gzip-compressed.
//
// Format: big-endian magic 0x00 0x00 <type> <ndims>, then ndims big-endian uint32 sizes, then
// the data. Only type 0x08 (unsigned byte) is supported, which is what MNIST uses.
// Errors name the file and what is wrong (DataLoss for malformed files, NotFound if missing).
#ifndef DPKIT_TRAIN_IDX_H_
#define DPKIT_TRAIN_IDX_H_

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace dpkit::train {

// Images (3-dim IDX: N x H x W) as float32 [N, 1, H, W] scaled to [0, 1]. At most max_items
// (-1 = all).
absl::StatusOr<torch::Tensor> ReadIdxImages(const std::string& path, int64_t max_items = -1);
// Labels (1-dim IDX) as int64 [N].
absl::StatusOr<torch::Tensor> ReadIdxLabels(const std::string& path, int64_t max_items = -1);

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_IDX_H_
