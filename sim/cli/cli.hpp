#pragma once
// The `slsim` command line (CLI11). Exit codes: 0 ok, 1 an expectation or
// comparison failed, 2 bad input (message on stderr).
namespace slsim {
int slsim_main(int argc, char** argv);
}
