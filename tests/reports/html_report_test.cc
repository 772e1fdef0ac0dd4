#include "reports/html_report.h"

#include <gtest/gtest.h>

namespace herd::reports {
namespace {

nlohmann::json sample_report() {
  return nlohmann::json::parse(R"({
    "format": "herd-report/1",
    "scenario": { "name": "leader-failover", "description": "kill the <leader> & watch" },
    "seed": 7, "trace_hash": "0x1234abcd", "simulated_s": 120, "wall_time_s": 1.5, "speed": 80,
    "peak_rss_bytes": 104857600,
    "result": { "passed": false, "exit_code": 1 },
    "series": {
      "time_s": [0, 1, 2, 3],
      "tasks_by_state": { "running": [0, 5, 10, 10], "pending": [10, 5, 0, 0] },
      "nodes_by_status": { "ready": [3, 3, 2, 3] },
      "term": [1, 1, 2, 2],
      "commit_index": { "mg0": [1, 5, 9, 12], "mg1": [1, 5, 8, 12] },
      "messages_per_s": { "raft": [10, 20, 30, 20] },
      "cpu_by_component": { "mg0": { "raft": [0.1, 0.2, 0.2, 0.1], "dispatcher": [0.3, 0.3, 0.2, 0.3] } }
    },
    "cpu_totals": { "mg0": { "raft": 0.6, "dispatcher": 1.1 } },
    "faults": [ { "kind": "crash", "target": "mg0", "start_s": 1, "end_s": 2 } ],
    "events": [ { "t_s": 1, "kind": "fault", "text": "crash mg0" } ],
    "expectations": [ { "that": "service.running", "path": "expect[0]", "passed": true, "detail": "10 of 10" } ],
    "invariants": [ { "name": "one_leader_per_term", "passed": false, "detail": "two leaders in term 2" } ]
  })");
}

TEST(HtmlReportTest, RendersEverySectionOfTheReport) {
  const std::string html = render_html(sample_report());
  EXPECT_NE(html.find("<h1>leader-failover"), std::string::npos);
  EXPECT_NE(html.find("kill the &lt;leader&gt; &amp; watch"), std::string::npos) << "escaped";
  EXPECT_NE(html.find("0x1234abcd"), std::string::npos);
  EXPECT_NE(html.find("Tasks by state"), std::string::npos);
  EXPECT_NE(html.find("Raft commit index per manager"), std::string::npos);
  EXPECT_NE(html.find("CPU of mg0 by component"), std::string::npos);
  EXPECT_NE(html.find("class=\"fault\""), std::string::npos) << "fault periods are shaded";
  EXPECT_NE(html.find("two leaders in term 2"), std::string::npos);
  EXPECT_NE(html.find("badge fail"), std::string::npos);
  EXPECT_NE(html.find("100 MiB"), std::string::npos);
}

TEST(HtmlReportTest, IsSelfContained) {
  const std::string html = render_html(sample_report());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(HtmlReportTest, ToleratesMissingSections) {
  const std::string html =
      render_html(nlohmann::json::parse(R"({ "scenario": { "name": "bare" } })"));
  EXPECT_NE(html.find("bare"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
}

TEST(HtmlReportTest, ChartScalesToTheData) {
  const std::string svg = render_line_chart("t", {0, 10}, {{"a", {0, 100}}}, {{2, 4}}, "u");
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find(">100<"), std::string::npos) << "the top tick is the maximum, rounded";
  EXPECT_NE(svg.find("class=\"fault\""), std::string::npos);
}

}  // namespace
}  // namespace herd::reports
