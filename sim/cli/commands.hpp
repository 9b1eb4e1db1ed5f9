#pragma once
// The subcommands that live in files of their own (sim/cli/NAME.cpp): each
// declares itself on the application and hands back how to run it (see
// cli::Command). cli.cpp adds them in the order below.
#include <CLI/CLI.hpp>

#include "sim/cli/common.hpp"

namespace slsim::cli {

// `slsim analyze FILE`: an analytic estimate beside a short simulation (analyze.cpp).
Command add_analyze_command(CLI::App& app);

}  // namespace slsim::cli
