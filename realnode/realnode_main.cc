// realnode: runs one herd node over real TCP, disks and processes (see node_process.h).
//
// The program edge: flags are parsed here and errors become exit codes — 0 after a clean
// shutdown, 1 when the node cannot run (state dir in use or damaged, token refused), 2 for a bad
// flag.
#include <iostream>
#include <string_view>
#include <vector>

#include "realnode/node_options.h"
#include "realnode/node_process.h"

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const herd::Result<herd::realnode::NodeOptions> options =
      herd::realnode::parse_node_options(args);
  if (!options.ok()) {
    std::cerr << "realnode: " << options.status().message() << "; see realnode --help\n";
    return 2;
  }
  if (options->help) {
    std::cout << herd::realnode::kRealnodeUsage;
    return 0;
  }
  if (options->version) {
    std::cout << "realnode (herd) " << HERD_VERSION << "\n";
    return 0;
  }
  herd::realnode::NodeProcess process(*options, std::cout);
  return process.run();
}
