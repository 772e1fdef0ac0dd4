// Parsing and validating scenario files. Every error names the JSON path at fault
// ("timeline[3].target: unknown host 'w99'") and nothing runs until the whole file is valid.
#pragma once

#include <string_view>

#include "core/runtime/result.h"
#include "scenarios/scenario.h"

namespace herd::scenarios {

// Parses the text of a scenario file.
Result<Scenario> parse_scenario(std::string_view json_text);

// Reads and parses a file; io_error when it cannot be read.
Result<Scenario> load_scenario(const std::string& path);

}  // namespace herd::scenarios
