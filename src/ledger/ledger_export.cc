// The ledger's JSON export: every budget with its full audit trail and the chain head.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/json_format.h"
#include "ledger/ledger_impl.h"
#include "nlohmann/json.hpp"

namespace dpkit::ledger {

using accounting::AccountantKindName;
using internal::FormatTimeUs;

namespace internal {

nlohmann::json BudgetJson(const Budget& b) {
  nlohmann::json j;
  if (b.is_rho()) {
    j["rho"] = b.rho;
  } else {
    j["epsilon"] = b.epsilon;
    j["delta"] = b.delta;
  }
  return j;
}

nlohmann::json ChainHeadJson(const ChainHead& head) {
  return {{"id", head.id}, {"hash", head.hash}, {"text", head.ToString()}};
}

nlohmann::json ChargeJson(const Budget& b, const ChargeRecord& r) {
  nlohmann::json jc;
  jc["id"] = r.charge_id;
  jc["timestamp"] = FormatTimeUs(r.timestamp_micros);
  jc["timestamp_us"] = r.timestamp_micros;
  jc["status"] = r.status;
  jc["mechanism"] = r.mechanism;
  jc["privacy_maps"] = nlohmann::json::array();
  for (const PrivacyMap& m : r.maps) {
    jc["privacy_maps"].push_back(nlohmann::json::parse(m.ToJson()));
  }
  jc["operation"] = r.operation;
  jc["caller"] = r.caller;
  jc["spent_after"] = SpendJson(b, r.spent_after);
  if (!r.note.empty()) jc["note"] = r.note;
  jc["insecure_seed"] = r.insecure_seed;
  jc["hash"] = r.hash;
  return jc;
}

}  // namespace internal

using internal::BudgetJson;
using internal::ChainHeadJson;
using internal::ChargeJson;

absl::StatusOr<std::string> Ledger::Impl::ExportJson(const std::string& dataset) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_.get());
  DPKIT_RETURN_IF_ERROR(txn.Begin(/*immediate=*/false));
  DPKIT_ASSIGN_OR_RETURN(std::vector<BudgetRow> rows, AllBudgets(dataset));
  nlohmann::json doc;
  doc["format"] = "dpkit-ledger-export";
  doc["schema_version"] = kSchemaVersion;
  doc["ledger"] = path();
  doc["exported_at"] = FormatTimeUs(env_->NowMicros());
  DPKIT_ASSIGN_OR_RETURN(const ChainHead head, HeadLocked());
  doc["chain_head"] = ChainHeadJson(head);
  doc["budgets"] = nlohmann::json::array();
  for (const BudgetRow& b : rows) {
    DPKIT_ASSIGN_OR_RETURN(BudgetStatus st, StatusLocked(b));
    DPKIT_ASSIGN_OR_RETURN(std::vector<ChargeRecord> hist, HistoryLocked(b, {}));
    nlohmann::json jb;
    jb["dataset"] = b.dataset;
    jb["unit"] = b.unit;
    jb["neighbouring"] = NeighbouringRelation(b.unit);
    jb["accountant"] = AccountantKindName(b.accountant);
    jb["budget"] = BudgetJson(b.budget);
    jb["spent"] = internal::SpendJson(b.budget, st.spent);
    jb["remaining"] = internal::SpendJson(b.budget, st.remaining);
    jb["num_charges"] = st.num_charges;
    jb["num_refused"] = st.num_refused;
    jb["num_insecure_seed"] = st.num_insecure_seed;
    jb["created_at"] = FormatTimeUs(b.created_us);
    jb["notes"] = st.notes;
    jb["charges"] = nlohmann::json::array();
    for (const ChargeRecord& r : hist) jb["charges"].push_back(ChargeJson(b.budget, r));
    doc["budgets"].push_back(std::move(jb));
  }
  DPKIT_RETURN_IF_ERROR(txn.Commit());
  return doc.dump(2);
}

}  // namespace dpkit::ledger
