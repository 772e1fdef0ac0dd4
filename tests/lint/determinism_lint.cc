#include "tests/lint/determinism_lint.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

namespace herd::lint {
namespace {

struct Rule {
  const char* name;
  std::regex pattern;
  bool core_only;
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> kRules = [] {
    std::vector<Rule> r;
    const auto add = [&r](const char* name, const char* pattern, bool core_only = false) {
      r.push_back(Rule{name, std::regex(pattern, std::regex::ECMAScript | std::regex::optimize),
                       core_only});
    };
    add("wall-clock",
        R"(std::chrono::(system_clock|steady_clock|high_resolution_clock|utc_clock|file_clock))");
    add("wall-clock", R"(\b(gettimeofday|clock_gettime|localtime|gmtime)\s*\()");
    add("wall-clock", R"(\btime\s*\(\s*(NULL|nullptr|0)?\s*\))");
    add("threads", R"(std::(thread|jthread|async|mutex|shared_mutex|condition_variable)\b)");
    add("threads", R"(\bpthread_\w+\s*\()");
    add("threads", R"(#\s*include\s*<(thread|mutex|future|condition_variable)>)");
    add("randomness", R"((^|[^\w:.])s?rand\s*\()");
    add("randomness", R"(std::(random_device|mt19937(_64)?|default_random_engine|minstd_rand0?))");
    add("randomness", R"(std::\w+_distribution\b)");
    add("randomness", R"(#\s*include\s*<random>)");
    add("unordered", R"(std::unordered_(map|set|multimap|multiset)\b)");
    add("include-direction", R"(#\s*include\s*"(simnet|realnode|scenarios|reports|bench|tests)/)",
        true);
    return r;
  }();
  return kRules;
}

const std::regex& allow_marker() {
  static const std::regex kAllow(R"(herd-lint:\s*allow\(([\w-]+)\)\s*(\S.*)?)");
  return kAllow;
}

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

// Removes comments (keeping line structure) so that prose about std::thread is not flagged.
// String literals are kept: a quoted "//" is rare in this code base and only hides, never adds.
std::vector<std::string> code_lines(std::string_view contents) {
  std::vector<std::string> lines(1);
  bool in_block = false;
  for (std::size_t i = 0; i < contents.size(); ++i) {
    const char c = contents[i];
    const char next = i + 1 < contents.size() ? contents[i + 1] : '\0';
    if (c == '\n') {
      lines.emplace_back();
      continue;
    }
    if (in_block) {
      if (c == '*' && next == '/') {
        in_block = false;
        ++i;
      }
      continue;
    }
    if (c == '/' && next == '*') {
      in_block = true;
      ++i;
      continue;
    }
    if (c == '/' && next == '/') {
      while (i + 1 < contents.size() && contents[i + 1] != '\n') ++i;
      continue;
    }
    lines.back().push_back(c);
  }
  return lines;
}

std::vector<std::string> raw_lines(std::string_view contents) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(contents)};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Whether raw line `index` or the one above carries a valid allow marker for `rule`.
bool allowed(const std::vector<std::string>& raw, std::size_t index, std::string_view rule,
             std::vector<Finding>& findings, std::string_view path) {
  for (std::size_t i = index == 0 ? 0 : index - 1; i <= index && i < raw.size(); ++i) {
    std::smatch match;
    if (!std::regex_search(raw[i], match, allow_marker()) || match[1].str() != rule) continue;
    if (!match[2].matched) {
      findings.push_back(Finding{std::string(path), static_cast<int>(i + 1), "allow-without-reason",
                                 trim(raw[i])});
    }
    return true;
  }
  return false;
}

}  // namespace

std::vector<Finding> lint_source(std::string_view path, std::string_view contents) {
  const bool in_core = path.starts_with("core/");
  const std::vector<std::string> code = code_lines(contents);
  const std::vector<std::string> raw = raw_lines(contents);
  std::vector<Finding> findings;
  for (std::size_t index = 0; index < code.size(); ++index) {
    for (const Rule& rule : rules()) {
      if (rule.core_only && !in_core) continue;
      if (!std::regex_search(code[index], rule.pattern)) continue;
      if (allowed(raw, index, rule.name, findings, path)) continue;
      findings.push_back(Finding{std::string(path), static_cast<int>(index + 1), rule.name,
                                 index < raw.size() ? trim(raw[index]) : ""});
    }
  }
  return findings;
}

std::vector<Finding> lint_tree(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  for (const char* top : {"core", "simnet"}) {
    const std::filesystem::path dir = root / top;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".h" || ext == ".cc")) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<Finding> findings;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream contents;
    contents << in.rdbuf();
    const std::string relative = std::filesystem::relative(file, root).generic_string();
    for (Finding& f : lint_source(relative, contents.str())) findings.push_back(std::move(f));
  }
  return findings;
}

std::string format_finding(const Finding& finding) {
  return finding.file + ":" + std::to_string(finding.line) + ": [" + finding.rule + "] " +
         finding.text;
}

}  // namespace herd::lint
