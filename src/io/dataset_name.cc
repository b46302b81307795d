#include "dpkit/io/dataset_name.h"

namespace dpkit::io {

std::string DatasetNameFromPath(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (std::string_view ext : {".csv.gz", ".csv", ".tsv", ".gz"}) {
    if (base.size() > ext.size() && base.ends_with(ext)) {
      return std::string(base.substr(0, base.size() - ext.size()));
    }
  }
  return std::string(base);
}

}  // namespace dpkit::io
