// Shared helpers for the black-box tests of the leadgate command line
// (cli_test, ingest_edge_test, crash_test, property_test): a store in a temp
// dir driven through the real binary, and a test playbook owned by the tests
// (so that changes to playbooks/default.yaml do not move expected numbers).
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_util.h"

namespace leadgate::testing {

using Json = nlohmann::json;

// A compact copy of the default playbook's rules. Fit max 60; MQL at fit 25,
// engagement 40, total 75; SLA 5 minutes.
inline const char* const kTestPlaybook = R"YAML(version: 1
name: QA test playbook
fields:
  email: text
  first_name: text
  last_name: text
  company: text
  job_title: text
  industry: text
  company_size: number
  country: text
  phone: text
fit:
  - id: decision-maker
    label: Decision-making role
    when: { field: job_title, matches: '(?i)\b(vp|vice president|director|head of|chief|ceo|cfo|founder|owner)\b' }
    points: 25
  - id: target-industry
    label: Industry we sell well into
    when: { field: industry, in: [software, finance, healthcare] }
    points: 15
  - id: company-size
    label: Company size in our sweet spot
    when: { field: company_size, between: [50, 5000] }
    points: 10
  - id: target-country
    when: { field: country, in: [US, GB, DE] }
    points: 5
  - id: has-phone
    label: Gave a phone number
    when: { field: phone, exists: true }
    points: 5
  - id: student-or-press
    label: Students and journalists do not buy
    when:
      any:
        - { field: job_title, matches: '(?i)\b(student|intern|journalist)\b' }
        - { field: email, matches: '(?i)\.edu$' }
    points: -40
engagement:
  half_life: 30d
  cap: 100
  rules:
    - id: pricing-page
      label: Viewed the pricing page
      event: page_view
      when: { property: url, matches: '(?i)/pricing' }
      points: 10
      limit: { count: 1, per: 1d }
    - id: demo-request
      label: Submitted the demo request form
      event: form_submitted
      when: { property: form, equals: demo }
      points: 40
    - id: contact-form
      event: form_submitted
      when: { property: form, equals: contact }
      points: 30
    - id: email-replied
      event: email_replied
      points: 20
    - id: webinar-attended
      label: Attended a webinar
      event: webinar_attended
      points: 15
    - id: newsletter-signup
      event: form_submitted
      when: { property: form, equals: newsletter }
      points: 3
      limit: { count: 1 }
    - id: docs-page
      event: page_view
      when: { property: url, matches: '(?i)/docs(/|$)' }
      points: 1
      limit: { count: 3, per: 1d }
    - id: careers-page
      label: Job seekers visit the careers page
      event: page_view
      when: { property: url, matches: '(?i)/careers' }
      points: -10
disqualify:
  - id: unsubscribed
    event: unsubscribed
    reason: Unsubscribed from email
  - id: hard-bounce
    event: email_bounced
    when: { property: bounce, equals: hard }
    reason: Email address bounces
  - id: competitor
    when: { field: email, matches: '(?i)@(rivalcorp|othercrm)\.com$' }
    reason: Works for a competitor
mql:
  fit: 25
  engagement: 40
  total: 75
bant:
  form_event: bant_form_submitted
  authority: [decision_maker]
  max_timeline: 90d
sla:
  first_response: 5m
)YAML";

// The same playbook with MQL minimums any decision maker meets on fit alone
// (fit 25, total 40): applying it turns silent, well-fitting leads into MQLs.
inline std::string LowBarPlaybook() {
  std::string pb = kTestPlaybook;
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = pb.find(from);
    if (at != std::string::npos) pb.replace(at, from.size(), to);
  };
  replace("name: QA test playbook", "name: QA test playbook, low bar");
  replace("  engagement: 40\n  total: 75", "  engagement: 0\n  total: 40");
  return pb;
}

// A store in its own temp dir, driven through the real binary.
class Lg {
 public:
  explicit Lg(bool init = true) : db_(dir_.File("store.db")) {
    dir_.Write("playbook.yaml", kTestPlaybook);
    if (init) {
      RunResult r = Run({"init", "--playbook", "playbook.yaml"});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
  }
  const TempDir& dir() const { return dir_; }
  const std::string& db() const { return db_; }
  std::string File(const std::string& name) const { return dir_.File(name); }
  void Write(const std::string& name, const std::string& content) const {
    dir_.Write(name, content);
  }

  // `leadgate --db STORE args...` in the store's dir.
  RunResult Run(const std::vector<std::string>& args, const std::string& stdin_data = "") const {
    std::vector<std::string> full = {"--db", db_};
    full.insert(full.end(), args.begin(), args.end());
    return RunLeadgate(full, dir_.path(), stdin_data);
  }

  // Runs and expects exit 0.
  RunResult Ok(const std::vector<std::string>& args, const std::string& stdin_data = "") const {
    RunResult r = Run(args, stdin_data);
    EXPECT_EQ(r.exit_code, 0) << Describe(args) << "\nstderr: " << r.err;
    return r;
  }

  // Runs a --json command and parses its output (null JSON on failure).
  Json RunJson(const std::vector<std::string>& args) const {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(args) << "\nstderr: " << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << Describe(args) << " printed no JSON: " << r.out;
    return j.is_discarded() ? Json() : j;
  }
  Json Show(const std::string& lead, const std::string& at) const {
    return RunJson({"show", lead, "--json", "--at", at});
  }
  Json Queue(const std::string& at, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> a = {"queue", "--json", "--at", at};
    a.insert(a.end(), extra.begin(), extra.end());
    return RunJson(a);
  }
  Json Sla(const std::string& at) const { return RunJson({"sla", "--json", "--at", at}); }

  // Writes `content` to NAME and ingests it; returns the run.
  RunResult Ingest(const std::string& name, const std::string& content,
                   const std::vector<std::string>& extra = {}) const {
    Write(name, content);
    std::vector<std::string> a = {"ingest", name};
    a.insert(a.end(), extra.begin(), extra.end());
    return Run(a);
  }
  void AddUser(const std::string& name, const std::string& role) const {
    Ok({"user", "add", name, "--role", role});
  }

  static std::string Describe(const std::vector<std::string>& args) {
    std::string s = "leadgate";
    for (const auto& a : args) {
      s += ' ';
      s += a;
    }
    return s;
  }

 private:
  TempDir dir_;
  std::string db_;
};

// Joins lines with '\n' and a trailing '\n'.
inline std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// " N words", as in the ingest summary (built with += : GCC 12 at -O3 warns
// falsely on " " + std::to_string(n)).
inline std::string Counted(int64_t n, const char* words) {
  std::string s(" ");
  s += std::to_string(n);
  s += ' ';
  s += words;
  return s;
}

// Ids of a queue --json array, in order.
inline std::vector<std::string> QueueIds(const Json& q) {
  std::vector<std::string> ids;
  for (const auto& r : q) ids.push_back(r.value("id", ""));
  return ids;
}

}  // namespace leadgate::testing
