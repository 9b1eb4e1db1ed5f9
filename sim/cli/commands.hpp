#pragma once
// The subcommands that live in files of their own (sim/cli/NAME.cpp): each
// declares itself on the application and hands back how to run it (see
// cli::Command). cli.cpp adds them in the order below.
#include <CLI/CLI.hpp>

#include "sim/cli/common.hpp"

namespace slsim::cli {

Command add_sweep_command(CLI::App& app);  // sweep.cpp
Command add_merge_command(CLI::App& app);  // merge.cpp
Command add_analyze_command(CLI::App& app);  // analyze.cpp: an analytic estimate beside a simulation
Command add_compare_command(CLI::App& app);  // compare.cpp
Command add_import_command(CLI::App& app);  // import.cpp
Command add_lesson_command(CLI::App& app);  // lesson.cpp: list the lessons, or run one

}  // namespace slsim::cli
