#include "reports/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace herd::reports {
namespace {

using nlohmann::json;

constexpr int kWidth = 860;
constexpr int kHeight = 240;
constexpr int kLeft = 64;
constexpr int kRight = 16;
constexpr int kTop = 28;
constexpr int kBottom = 36;

// A colour-blind-friendly palette (Okabe-Ito), cycled.
constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                    "#CC79A7", "#56B4E9", "#F0E442", "#000000"};

std::string number(double value) {
  char text[32];
  if (std::fabs(value) >= 1e6) {
    std::snprintf(text, sizeof(text), "%.2fM", value / 1e6);
  } else if (std::fabs(value) >= 1e4) {
    std::snprintf(text, sizeof(text), "%.1fk", value / 1e3);
  } else if (std::fabs(value - std::round(value)) < 1e-9) {
    std::snprintf(text, sizeof(text), "%.0f", value);
  } else {
    std::snprintf(text, sizeof(text), "%.3g", value);
  }
  return text;
}

// A round step that gives about `count` ticks over `span`.
double tick_step(double span, int count) {
  if (span <= 0) return 1;
  const double raw = span / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= factor * magnitude) return factor * magnitude;
  }
  return 10 * magnitude;
}

std::vector<double> numbers(const json& array) {
  std::vector<double> out;
  if (!array.is_array()) return out;
  out.reserve(array.size());
  for (const json& v : array) out.push_back(v.is_number() ? v.get<double>() : 0.0);
  return out;
}

std::string text_of(const json& report, const json::json_pointer& pointer,
                    const std::string& fallback = "") {
  if (!report.contains(pointer)) return fallback;
  const json& value = report.at(pointer);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return fallback;
  return value.dump();
}

std::string badge(bool passed) {
  return passed ? "<span class=\"badge pass\">passed</span>"
                : "<span class=\"badge fail\">failed</span>";
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_line_chart(
    const std::string& title, const std::vector<double>& x,
    const std::vector<std::pair<std::string, std::vector<double>>>& series,
    const std::vector<std::pair<double, double>>& shaded, const std::string& y_label) {
  std::ostringstream svg;
  const double x_min = x.empty() ? 0 : x.front();
  const double x_max = x.empty() ? 1 : std::max(x.back(), x_min + 1e-9);
  double y_max = 0;
  for (const auto& [name, values] : series) {
    for (double v : values) y_max = std::max(y_max, v);
  }
  if (y_max <= 0) y_max = 1;
  const double y_step = tick_step(y_max, 4);
  y_max = std::ceil(y_max / y_step) * y_step;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  const auto px = [&](double value) { return kLeft + (value - x_min) / (x_max - x_min) * plot_w; };
  const auto py = [&](double value) { return kTop + plot_h - value / y_max * plot_h; };

  svg << "<svg class=\"chart\" viewBox=\"0 0 " << kWidth << " " << kHeight
      << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" << escape_html(title)
      << "\">";
  svg << "<text x=\"" << kLeft << "\" y=\"18\" class=\"title\">" << escape_html(title) << "</text>";
  for (const auto& [start, end] : shaded) {
    const double a = std::clamp(px(start), double(kLeft), double(kLeft + plot_w));
    const double b = std::clamp(px(end), double(kLeft), double(kLeft + plot_w));
    if (b > a) {
      svg << "<rect class=\"fault\" x=\"" << a << "\" y=\"" << kTop << "\" width=\"" << (b - a)
          << "\" height=\"" << plot_h << "\"/>";
    }
  }
  for (double y = 0; y <= y_max + y_step / 2; y += y_step) {
    svg << "<line class=\"grid\" x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\""
        << py(y) << "\" y2=\"" << py(y) << "\"/>";
    svg << "<text class=\"tick\" x=\"" << kLeft - 6 << "\" y=\"" << py(y) + 4
        << "\" text-anchor=\"end\">" << number(y) << "</text>";
  }
  const double x_step = tick_step(x_max - x_min, 8);
  for (double t = std::ceil(x_min / x_step) * x_step; t <= x_max + 1e-9; t += x_step) {
    svg << "<text class=\"tick\" x=\"" << px(t) << "\" y=\"" << kTop + plot_h + 16
        << "\" text-anchor=\"middle\">" << number(t) << "s</text>";
  }
  svg << "<text class=\"axis\" transform=\"translate(14," << kTop + plot_h / 2 << ") rotate(-90)\" "
      << "text-anchor=\"middle\">" << escape_html(y_label) << "</text>";
  int colour = 0;
  double legend_x = kLeft + 8;
  for (const auto& [name, values] : series) {
    const char* stroke = kPalette[colour++ % std::size(kPalette)];
    svg << "<polyline fill=\"none\" stroke=\"" << stroke << "\" stroke-width=\"1.6\" points=\"";
    const std::size_t n = std::min(values.size(), x.size());
    for (std::size_t i = 0; i < n; ++i) svg << px(x[i]) << "," << py(values[i]) << " ";
    svg << "\"/>";
    svg << "<rect x=\"" << legend_x << "\" y=\"" << kHeight - 14
        << "\" width=\"10\" height=\"3\" fill=\"" << stroke << "\"/><text class=\"legend\" x=\""
        << legend_x + 14 << "\" y=\"" << kHeight - 9 << "\">" << escape_html(name) << "</text>";
    legend_x += 24 + 7.0 * static_cast<double>(name.size());
  }
  svg << "</svg>";
  return svg.str();
}

std::string render_html(const json& report) {
  std::ostringstream html;
  const std::string name = text_of(report, "/scenario/name"_json_pointer, "scenario");
  const bool passed = report.value("/result/passed"_json_pointer, false);
  std::vector<std::pair<double, double>> faults;
  if (report.contains("faults") && report["faults"].is_array()) {
    for (const json& fault : report["faults"]) {
      faults.emplace_back(fault.value("start_s", 0.0),
                          fault.value("end_s", fault.value("start_s", 0.0)));
    }
  }
  html
      << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>herd · "
      << escape_html(name) << "</title><style>"
      << "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px "
         "auto;max-width:920px;"
         "color:#1d2330;background:#fafbfc}"
      << "h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px "
         "solid #dde2ea;"
         "padding-bottom:4px}"
      << ".muted{color:#5b6475}.summary{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}"
      << ".kv{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:6px "
         "10px;min-width:120px}"
      << ".kv "
         "b{display:block;font-size:11px;color:#5b6475;font-weight:600;text-transform:uppercase}"
      << ".badge{border-radius:10px;padding:2px "
         "10px;font-weight:600;font-size:12px;vertical-align:middle}"
      << ".pass{background:#d8f3e4;color:#0b6b3a}.fail{background:#fde0dc;color:#a4270f}"
      << "table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}"
      << "th,td{border:1px solid #dde2ea;padding:4px 8px;text-align:left;vertical-align:top}"
      << "th{background:#f0f3f7}td.num{text-align:right;font-variant-numeric:tabular-nums}"
      << ".chart{width:100%;height:auto;background:#fff;border:1px solid #dde2ea;border-radius:6px;"
         "margin:6px 0}"
      << ".chart .title{font-weight:600;font-size:13px}.chart .tick,.chart .legend,.chart .axis"
         "{font-size:11px;fill:#5b6475}"
      << ".chart .grid{stroke:#eef1f5}.chart .fault{fill:#d55e00;opacity:.12}"
      << "code{font-size:12px}</style></head><body>";
  html << "<h1>" << escape_html(name) << " " << badge(passed) << "</h1>";
  if (const std::string description = text_of(report, "/scenario/description"_json_pointer);
      !description.empty()) {
    html << "<div class=\"muted\">" << escape_html(description) << "</div>";
  }
  html << "<div class=\"summary\">";
  const auto kv = [&](const std::string& key, const std::string& value) {
    html << "<div class=\"kv\"><b>" << escape_html(key) << "</b>" << escape_html(value) << "</div>";
  };
  kv("seed", text_of(report, "/seed"_json_pointer, "?"));
  kv("trace hash", text_of(report, "/trace_hash"_json_pointer, "?"));
  if (report.contains("simulated_s"))
    kv("simulated", number(report["simulated_s"].get<double>()) + " s");
  if (report.contains("wall_time_s"))
    kv("wall time", number(report["wall_time_s"].get<double>()) + " s");
  if (report.contains("speed")) kv("speed", number(report["speed"].get<double>()) + "× real time");
  if (report.contains("peak_rss_bytes")) {
    kv("peak memory", number(report["peak_rss_bytes"].get<double>() / (1 << 20)) + " MiB");
  }
  html << "</div>";
  if (!faults.empty())
    html << "<div class=\"muted\">Shaded bands in the charts are fault periods.</div>";

  if (report.contains("series") && report["series"].is_object()) {
    const json& series = report["series"];
    const std::vector<double> x = numbers(series.value("time_s", json::array()));
    const auto group_chart = [&](const char* key, const std::string& title,
                                 const std::string& unit) {
      if (!series.contains(key) || !series[key].is_object()) return;
      std::vector<std::pair<std::string, std::vector<double>>> lines;
      for (const auto& [line, values] : series[key].items())
        lines.emplace_back(line, numbers(values));
      if (!lines.empty()) html << render_line_chart(title, x, lines, faults, unit);
    };
    html << "<h2>Cluster</h2>";
    group_chart("tasks_by_state", "Tasks by state", "tasks");
    group_chart("nodes_by_status", "Nodes by status", "nodes");
    if (series.contains("term")) {
      html << render_line_chart("Raft term", x, {{"term", numbers(series["term"])}}, faults,
                                "term");
    }
    group_chart("commit_index", "Raft commit index per manager", "index");
    html << "<h2>Traffic</h2>";
    group_chart("messages_per_s", "Messages per second by kind", "msg/s");
    group_chart("bytes_per_s", "Bytes per second by kind", "B/s");
    if (series.contains("cpu_by_component") && series["cpu_by_component"].is_object()) {
      html << "<h2>Simulated manager CPU</h2>";
      for (const auto& [host, components] : series["cpu_by_component"].items()) {
        std::vector<std::pair<std::string, std::vector<double>>> lines;
        for (const auto& [component, values] : components.items())
          lines.emplace_back(component, numbers(values));
        html << render_line_chart("CPU of " + host + " by component", x, lines, faults,
                                  "cores busy");
      }
    }
  }

  if (report.contains("cpu_totals") && report["cpu_totals"].is_object()) {
    html << "<h2>CPU share per component "
            "(simulated)</h2><table><tr><th>manager</th><th>component</th>"
            "<th>CPU seconds</th><th>share</th></tr>";
    for (const auto& [host, components] : report["cpu_totals"].items()) {
      double total = 0;
      for (const auto& [component, seconds] : components.items()) total += seconds.get<double>();
      for (const auto& [component, seconds] : components.items()) {
        const double s = seconds.get<double>();
        html << "<tr><td>" << escape_html(host) << "</td><td>" << escape_html(component)
             << "</td><td class=\"num\">" << number(s) << "</td><td class=\"num\">"
             << number(total > 0 ? 100.0 * s / total : 0) << "%</td></tr>";
      }
    }
    html << "</table>";
    if (report.contains("reference")) {
      html << "<p class=\"muted\">For comparison, Swarm3k (Docker 1.12): "
           << escape_html(text_of(report, "/reference/swarm3k"_json_pointer)) << "</p>";
    }
  }

  const auto results_table = [&](const char* key, const std::string& title) {
    if (!report.contains(key) || !report[key].is_array() || report[key].empty()) return;
    html << "<h2>" << escape_html(title)
         << "</h2><table><tr><th>check</th><th>result</th><th>detail</th></tr>";
    for (const json& row : report[key]) {
      html << "<tr><td><code>" << escape_html(row.value("name", row.value("that", "?")))
           << "</code>";
      if (row.contains("path"))
        html << "<br><span class=\"muted\">" << escape_html(row.value("path", "")) << "</span>";
      html << "</td><td>" << badge(row.value("passed", false)) << "</td><td>"
           << escape_html(row.value("detail", "")) << "</td></tr>";
    }
    html << "</table>";
  };
  results_table("expectations", "Expectations");
  results_table("invariants", "Invariants");

  if (report.contains("faults") && report["faults"].is_array() && !report["faults"].empty()) {
    html << "<h2>Faults</h2><table><tr><th>kind</th><th>target</th><th>from</th><th>to</th></tr>";
    for (const json& fault : report["faults"]) {
      html << "<tr><td>" << escape_html(fault.value("kind", "")) << "</td><td>"
           << escape_html(fault.value("target", "")) << "</td><td class=\"num\">"
           << number(fault.value("start_s", 0.0)) << " s</td><td class=\"num\">"
           << number(fault.value("end_s", fault.value("start_s", 0.0))) << " s</td></tr>";
    }
    html << "</table>";
  }
  if (report.contains("events") && report["events"].is_array() && !report["events"].empty()) {
    constexpr std::size_t kMaxEvents = 300;
    const json& events = report["events"];
    html << "<h2>Events</h2><table><tr><th>time</th><th>event</th><th>detail</th></tr>";
    for (std::size_t i = 0; i < events.size() && i < kMaxEvents; ++i) {
      html << "<tr><td class=\"num\">" << number(events[i].value("t_s", 0.0)) << " s</td><td>"
           << escape_html(events[i].value("kind", "")) << "</td><td>"
           << escape_html(events[i].value("text", "")) << "</td></tr>";
    }
    html << "</table>";
    if (events.size() > kMaxEvents) {
      html << "<p class=\"muted\">" << events.size() - kMaxEvents
           << " more events are in the JSON report.</p>";
    }
  }
  html << "<p class=\"muted\">Generated by herdsim from the JSON report of the same "
          "run.</p></body></html>";
  return html.str();
}

}  // namespace herd::reports
