// The HTML form of a run report: one self-contained file (inline CSS and SVG, no scripts, no
// network) with a summary, line charts of the per-second series with fault periods shaded, and
// tables of expectations, invariants, faults, events and CPU per component. Its input is the JSON
// report (docs/reports.md describes the schema); missing sections are left out, not invented.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace herd::reports {

std::string render_html(const nlohmann::json& report);

// One line chart as an SVG element: `series` maps a name to one value per element of `x`;
// `shaded` holds [start, end] x-ranges drawn behind the lines (fault periods).
std::string render_line_chart(
    const std::string& title, const std::vector<double>& x,
    const std::vector<std::pair<std::string, std::vector<double>>>& series,
    const std::vector<std::pair<double, double>>& shaded, const std::string& y_label);

std::string escape_html(std::string_view text);

}  // namespace herd::reports
