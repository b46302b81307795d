// The default dataset name of a data file: its base name without folders and without a data
// extension (.csv.gz, .csv, .tsv, .gz), e.g. "/data/customers.csv.gz" -> "customers".
// Used by the CLI workloads (synth, query, pipeline, train) to name the dataset of a new ledger
// budget when --dataset is not given. The name comes from the path the operator typed, never
// from the file's contents.
#ifndef DPKIT_IO_DATASET_NAME_H_
#define DPKIT_IO_DATASET_NAME_H_

#include <string>
#include <string_view>

namespace dpkit::io {

std::string DatasetNameFromPath(std::string_view path);

}  // namespace dpkit::io

#endif  // DPKIT_IO_DATASET_NAME_H_
