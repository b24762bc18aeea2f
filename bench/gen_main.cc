// leadgate-gen: writes demo-generator data for the shell benchmarks
// (bench/cli_bench.sh, bench/pg_compare.sh).
//
//   leadgate-gen --leads M --events N [--seed S] [--days D] [--id-prefix P]
//                [--max-lines K] [--jsonl FILE] [--csv FILE] [--events-csv FILE]
//
// --jsonl: Segment JSONL events (GenerateEvents); --csv: the CRM export of the
// same leads (GenerateLeadsCsv); --events-csv: the same events as flat CSV
// for PostgreSQL COPY (message_id,lead_id,type,name,ts,props), ts as RFC 3339
// and props as JSON. --id-prefix renames lead ids "L-000001" to "P-000001"
// so a second data set can go into the same store as separate leads. "-" as
// a file writes to standard output. --max-lines keeps the first K events (the
// generator's N counts activities; identify events come on top), e.g. for an
// input of exactly 1,000,000 lines.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <streambuf>
#include <string>

#include "demo/generator.h"
#include "ingest/jsonl.h"

namespace {

// A streambuf that hands each complete line (without '\n') to a callback.
class LineBuf : public std::streambuf {
 public:
  explicit LineBuf(std::function<void(std::string_view)> fn) : fn_(std::move(fn)) {}
  void Finish() { Drain(true); }

 protected:
  int overflow(int c) override {
    if (c != EOF) buf_.push_back(static_cast<char>(c));
    if (buf_.size() >= (1 << 20)) Drain(false);
    return c == EOF ? 0 : c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    buf_.append(s, static_cast<size_t>(n));
    if (buf_.size() >= (1 << 20)) Drain(false);
    return n;
  }

 private:
  void Drain(bool all) {
    size_t pos = 0;
    while (true) {
      size_t nl = buf_.find('\n', pos);
      if (nl == std::string::npos) break;
      fn_(std::string_view(buf_.data() + pos, nl - pos));
      pos = nl + 1;
    }
    if (all && pos < buf_.size()) {
      fn_(std::string_view(buf_.data() + pos, buf_.size() - pos));
      pos = buf_.size();
    }
    buf_.erase(0, pos);
  }
  std::function<void(std::string_view)> fn_;
  std::string buf_;
};

std::string CsvField(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

const char* TypeName(leadgate::EventType t) {
  switch (t) {
    case leadgate::EventType::kIdentify:
      return "identify";
    case leadgate::EventType::kTrack:
      return "track";
    case leadgate::EventType::kPage:
      return "page";
    default:
      return "other";
  }
}

std::ostream* OpenOut(const std::string& path, std::ofstream* f) {
  if (path == "-") return &std::cout;
  f->open(path, std::ios::binary);
  if (!*f) {
    std::fprintf(stderr, "leadgate-gen: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  return f;
}

[[noreturn]] void Usage() {
  std::fprintf(
      stderr,
      "usage: leadgate-gen --leads M --events N [--seed S] [--days D] [--id-prefix P]\n"
      "                    [--max-lines K] [--jsonl FILE] [--csv FILE] [--events-csv FILE]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  leadgate::demo::GenOptions opt;
  std::string jsonl, csv, events_csv, prefix;
  int64_t max_lines = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage();
    std::string v = argv[++i];
    if (a == "--leads") {
      opt.leads = std::atoll(v.c_str());
    } else if (a == "--events") {
      opt.events = std::atoll(v.c_str());
    } else if (a == "--seed") {
      opt.seed = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--days") {
      opt.days = std::atoi(v.c_str());
    } else if (a == "--id-prefix") {
      prefix = v;
    } else if (a == "--max-lines") {
      max_lines = std::atoll(v.c_str());
    } else if (a == "--jsonl") {
      jsonl = v;
    } else if (a == "--csv") {
      csv = v;
    } else if (a == "--events-csv") {
      events_csv = v;
    } else {
      Usage();
    }
  }
  if (opt.leads <= 0 || (jsonl.empty() && csv.empty() && events_csv.empty())) Usage();

  auto rename = [&](std::string* line) {
    if (prefix.empty()) return;
    const std::string key = "\"userId\":\"L-";
    size_t p = line->find(key);
    if (p != std::string::npos) line->replace(p + key.size() - 2, 1, prefix);
  };

  if (!jsonl.empty() || !events_csv.empty()) {
    std::ofstream jf, cf;
    std::ostream* jout = jsonl.empty() ? nullptr : OpenOut(jsonl, &jf);
    std::ostream* ecsv = events_csv.empty() ? nullptr : OpenOut(events_csv, &cf);
    if (ecsv) *ecsv << "message_id,lead_id,type,name,ts,props\n";
    int64_t n = 0;
    std::string line;
    LineBuf buf([&](std::string_view text) {
      if (text.empty() || (max_lines >= 0 && n >= max_lines)) return;
      line.assign(text);
      rename(&line);
      if (jout) {
        jout->write(line.data(), static_cast<std::streamsize>(line.size()));
        jout->put('\n');
      }
      if (ecsv) {
        leadgate::Event e;
        leadgate::Status s = leadgate::ParseEvent(line, &e);
        if (!s.ok()) {
          std::fprintf(stderr, "leadgate-gen: generated line %lld: %s\n",
                       static_cast<long long>(n + 1), s.message().c_str());
          std::exit(1);
        }
        *ecsv << e.message_id << ',' << e.lead_id << ',' << TypeName(e.type) << ','
              << CsvField(e.name) << ',' << leadgate::FormatRfc3339(e.ts) << ','
              << CsvField(leadgate::PropsToJson(e.props)) << '\n';
      }
      ++n;
    });
    std::ostream out(&buf);
    leadgate::demo::GenerateEvents(opt, out);
    out.flush();
    buf.Finish();
    if (jout) jout->flush();
    if (ecsv) ecsv->flush();
    std::fprintf(stderr, "leadgate-gen: %lld events\n", static_cast<long long>(n));
  }
  if (!csv.empty()) {
    std::ofstream f;
    std::ostream* out = OpenOut(csv, &f);
    if (prefix.empty()) {
      leadgate::demo::GenerateLeadsCsv(opt, *out);
    } else {
      std::string line;
      LineBuf buf([&](std::string_view text) {
        line.assign(text);
        if (line.rfind("L-", 0) == 0) line.replace(0, 1, prefix);
        *out << line << '\n';
      });
      std::ostream tmp(&buf);
      leadgate::demo::GenerateLeadsCsv(opt, tmp);
      tmp.flush();
      buf.Finish();
    }
    out->flush();
  }
  return 0;
}
