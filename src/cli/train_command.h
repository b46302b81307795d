// What `dpkit train` and `dpkit-train train` register: the same verb in two executables. The
// verb runs in dpkit-train, the only executable that links LibTorch (cmd_train.cc); dpkit's
// `train` only starts it (cmd_train_launcher.cc), so no other command pays LibTorch's start-up.
#ifndef DPKIT_SRC_CLI_TRAIN_COMMAND_H_
#define DPKIT_SRC_CLI_TRAIN_COMMAND_H_

namespace dpkit::cli {

inline constexpr char kTrainDescription[] =
    "DP-SGD: train a model on a CSV table with a target (epsilon, delta)";
// The executable that runs the verb, installed in the same folder as dpkit.
inline constexpr char kTrainExecutable[] = "dpkit-train";

}  // namespace dpkit::cli

#endif  // DPKIT_SRC_CLI_TRAIN_COMMAND_H_
