#include "sim/cli/cli.hpp"

int main(int argc, char** argv) { return slsim::slsim_main(argc, argv); }
