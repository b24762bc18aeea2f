// Edge cases of the two input formats (shared/spec/inputs.md), through the
// real binary: JSONL events (ingest) and CSV lead files (import leads). Every
// rejected line must be reported as FILE:LINE with the reason; every valid
// line is stored.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "qa_support.h"

namespace leadgate::testing {
namespace {

const char* const kLater = "2026-04-01T00:00:00Z";

std::string Identify(const std::string& lead, const std::string& traits, const std::string& ts,
                     const std::string& mid) {
  return R"({"type":"identify","userId":")" + lead + R"(","traits":)" + traits +
         R"(,"timestamp":")" + ts + R"(","messageId":")" + mid + R"("})";
}

std::string Track(const std::string& lead, const std::string& event, const std::string& props,
                  const std::string& ts, const std::string& mid) {
  return R"({"type":"track","userId":")" + lead + R"(","event":")" + event + R"(","properties":)" +
         props + R"(,"timestamp":")" + ts + R"(","messageId":")" + mid + R"("})";
}

// Expects `err` to report FILE:LINE with a reason containing `reason`.
void ExpectRejected(const std::string& err, const std::string& file, int line,
                    const std::string& reason) {
  std::string where = file + ":" + std::to_string(line) + ":";
  size_t at = err.find(where);
  ASSERT_NE(at, std::string::npos) << where << " not reported in:\n" << err;
  size_t eol = err.find('\n', at);
  std::string msg = err.substr(at, eol == std::string::npos ? std::string::npos : eol - at);
  EXPECT_NE(msg.find(reason), std::string::npos)
      << "the message for " << where << " should say '" << reason << "': " << msg;
}

// ---------------------------------------------------------------- JSONL framing

TEST(IngestEdge, CrlfLineEndings) {
  Lg lg;
  std::string in = Identify("L-1", R"({"job_title":"VP"})", "2026-03-01T10:00:00Z", "m1") + "\r\n" +
                   Track("L-1", "webinar_attended", "{}", "2026-03-01T11:00:00Z", "m2") + "\r\n" +
                   "{\"type\":\"identify\"}\r\n" +
                   Identify("L-1", R"({"company":"Acme"})", "2026-03-01T12:00:00Z", "m3") + "\r\n";
  RunResult r = lg.Ingest("crlf.jsonl", in, {"--rejects", "rej.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "crlf.jsonl", 3, "userId");
  EXPECT_NE(r.err.find("3 stored"), std::string::npos) << r.err;
  Json s = lg.Show("L-1", kLater);
  EXPECT_EQ(s["traits"]["company"], "Acme") << "no \\r left in values";
  EXPECT_EQ(s["traits"]["job_title"], "VP");
  EXPECT_EQ(s["events"], 3);
  // The rejected line is written without its line break.
  EXPECT_EQ(ReadFile(lg.File("rej.jsonl")), "{\"type\":\"identify\"}\n");
}

TEST(IngestEdge, BlankLinesAreSkippedAndStillCounted) {
  Lg lg;
  std::string in = "\n";                                                         // 1
  in += Identify("L-1", R"({"job_title":"VP"})", "2026-03-01T10:00:00Z", "m1");  // 2
  in += "\n   \n\t\n\r\n";                                                       // 3-5
  in += "{broken\n";                                                             // 6
  in += "\n";                                                                    // 7
  RunResult r = lg.Ingest("blank.jsonl", in);
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "blank.jsonl", 6, "JSON");
  EXPECT_NE(r.err.find("1 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 rejected"), std::string::npos)
      << "blank lines are not rejections: " << r.err;
  // A file of blank lines only: nothing to do, nothing wrong.
  r = lg.Ingest("empty.jsonl", "\n\n  \n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = lg.Ingest("zero.jsonl", "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // No final line break.
  r = lg.Ingest("noeol.jsonl", Identify("L-2", "{}", "2026-03-01T10:00:00Z", "m2"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lg.Run({"show", "L-2", "--json"}).exit_code, 0);
}

TEST(IngestEdge, ByteOrderMarkAtFileStart) {
  // Files saved by Windows tools often start with a UTF-8 BOM; inputs.md
  // tolerates it for CSV, and a user expects the same of JSONL.
  Lg lg;
  std::string in = "\xEF\xBB\xBF" +
                   Identify("L-1", R"({"job_title":"VP"})", "2026-03-01T10:00:00Z", "m1") + "\n" +
                   Identify("L-2", R"({"job_title":"VP"})", "2026-03-01T10:00:00Z", "m2") + "\n";
  RunResult r = lg.Ingest("bom.jsonl", in);
  EXPECT_EQ(lg.Run({"show", "L-2", "--json"}).exit_code, 0) << "line 2 is stored regardless";
  EXPECT_EQ(r.exit_code, 0) << "a UTF-8 BOM before the first JSONL line is tolerated: " << r.err;
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"]["job_title"], "VP");
  // Only at the start of the file: a BOM before a later line is a bad line.
  r = lg.Ingest("bom2.jsonl", Identify("L-3", "{}", "2026-03-01T10:00:00Z", "m3") +
                                  "\n\xEF\xBB\xBF" +
                                  Identify("L-4", "{}", "2026-03-01T10:00:00Z", "m4") + "\n");
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "bom2.jsonl", 2, "JSON");
}

TEST(IngestEdge, BadUtf8IsRejectedWithItsLine) {
  Lg lg;
  std::string in =
      Identify("L-1", R"({"job_title":"VP"})", "2026-03-01T10:00:00Z", "m1") + "\n" +
      Identify("L-1", "{\"company\":\"Bad \xC3\x28 byte\"}", "2026-03-01T11:00:00Z", "m2") + "\n" +
      Identify("L-1", "{\"city\":\"M\xC3\xBCnchen\"}", "2026-03-01T12:00:00Z", "m3") + "\n" +
      Identify("L-1", "{\"x\":\"\xED\xA0\x80\"}", "2026-03-01T13:00:00Z", "m4") + "\n";
  RunResult r = lg.Ingest("utf.jsonl", in, {"--rejects", "rej.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "utf.jsonl", 2, "UTF-8");
  ExpectRejected(r.err, "utf.jsonl", 4, "UTF-8");  // an encoded surrogate
  Json s = lg.Show("L-1", kLater);
  EXPECT_EQ(s["traits"]["city"],
            "M\xC3\xBC"
            "nchen");
  EXPECT_FALSE(s["traits"].contains("company"));
  // The rejects file holds the raw bytes as they came.
  std::string rej = ReadFile(lg.File("rej.jsonl"));
  EXPECT_NE(rej.find("Bad \xC3\x28 byte"), std::string::npos);
}

TEST(IngestEdge, HugeLinesAreAccepted) {
  Lg lg;
  // 5 MB in one property, and a wide event of 2000 properties.
  std::string blob(5 << 20, 'x');
  std::string wide = "{";
  for (int i = 0; i < 2000; ++i) {
    if (i) wide += ',';
    wide += "\"k";
    wide += std::to_string(i);
    wide += "\":";
    wide += std::to_string(i);
  }
  wide += ",\"url\":\"/pricing\"}";
  std::string in = Track("L-1", "content_downloaded", R"({"blob":")" + blob + "\"}",
                         "2026-03-01T10:00:00Z", "big1") +
                   "\n" + R"({"type":"page","userId":"L-1","properties":)" + wide +
                   R"(,"timestamp":"2026-03-01T11:00:00Z","messageId":"big2"})" + "\n" +
                   Identify("L-1", R"({"job_title":"VP"})", "2026-03-01T12:00:00Z", "m1") + "\n";
  RunResult r = lg.Ingest("huge.jsonl", in);
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 500);
  EXPECT_NE(r.err.find("3 stored"), std::string::npos) << r.err.substr(0, 500);
  Json s = lg.Show("L-1", "2026-03-01T12:00:00Z");
  EXPECT_EQ(s["events"], 3);
  ASSERT_FALSE(s["explanation"].empty());
  EXPECT_EQ(s["explanation"].back()["rule"], "pricing-page") << "the wide page view counts";
  EXPECT_EQ(lg.Ingest("huge.jsonl", in).err.find("3 stored"), std::string::npos) << "idempotent";
}

TEST(IngestEdge, ManyPropertyKeysInOneEvent) {
  // 100k keys (4.8 MB) in one event: a quadratic duplicate-key check in
  // ReadObject (src/ingest/jsonl.cc) made this ~15 s per ingest and per refold.
  // (No timing assertion: tests assert behaviour; bench/ measures speed.)
  Lg lg;
  std::string props = "{";
  for (int i = 0; i < 100000; ++i) {
    if (i) props += ',';
    props += "\"key_";
    props += std::to_string(i);
    props += "\":\"";
    props += std::string(30, 'v');
    props += '"';
  }
  props += "}";
  // The last of duplicate keys wins.
  props.back() = ',';
  props += R"("key_7":"last","key_100001":1})";
  RunResult r =
      lg.Ingest("wide.jsonl", Track("L-1", "x", props, "2026-03-01T10:00:00Z", "w1") + "\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(lg.Show("L-1", kLater)["events"], 1);
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--refold"}).exit_code, 0);
}

TEST(IngestEdge, DuplicateKeysLastOneWins) {
  Lg lg;
  std::string wide = "{";
  for (int i = 0; i < 40; ++i) wide += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  std::string in = Lines({
      Identify("L-1", R"({"job_title":"Intern","job_title":"VP"})", "2026-03-01T10:00:00Z", "m1"),
      Identify("L-2", wide + R"("job_title":"Intern","k3":"x","job_title":"VP"})",
               "2026-03-01T10:00:00Z", "m2"),
  });
  ASSERT_EQ(lg.Ingest("dup.jsonl", in).exit_code, 0);
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"]["job_title"], "VP");
  Json t = lg.Show("L-2", kLater)["traits"];
  EXPECT_EQ(t["job_title"], "VP") << "a large object (hash index) behaves the same";
  EXPECT_EQ(t["k3"], "x");
  EXPECT_EQ(t["k39"], 39);
}

// ---------------------------------------------------------------- JSONL validation

TEST(IngestEdge, WrongTypesAndMissingKeysAreRejectedWithLineAndReason) {
  Lg lg;
  struct Bad {
    std::string line, reason;
  };
  const std::vector<Bad> bad = {
      {R"({"type":"identify","userId":17,"timestamp":"2026-03-01T10:00:00Z"})", "userId"},
      {R"({"type":"identify","userId":"L-1","timestamp":1772359200})", "timestamp"},
      {R"({"type":"identify","userId":"L-1","traits":["a"],"timestamp":"2026-03-01T10:00:00Z"})",
       "traits"},
      {R"({"type":"identify","userId":"L-1","traits":"job_title=VP","timestamp":"2026-03-01T10:00:00Z"})",
       "traits"},
      {R"({"type":"track","userId":"L-1","event":"","timestamp":"2026-03-01T10:00:00Z"})", "event"},
      {R"({"type":"track","userId":"L-1","event":42,"timestamp":"2026-03-01T10:00:00Z"})", "event"},
      {R"({"type":"track","userId":"L-1","event":"x","properties":"url","timestamp":"2026-03-01T10:00:00Z"})",
       "properties"},
      {R"({"type":true,"userId":"L-1","timestamp":"2026-03-01T10:00:00Z"})", "type"},
      {R"({"userId":"L-1","timestamp":"2026-03-01T10:00:00Z"})", "type"},
      {R"({"type":"identify","timestamp":"2026-03-01T10:00:00Z"})", "userId"},
      {R"({"type":"identify","userId":"","timestamp":"2026-03-01T10:00:00Z"})", "userId"},
      {R"({"type":"identify","userId":"L-1"})", "timestamp"},
      {R"({"type":"track","userId":"L-1","timestamp":"2026-03-01T10:00:00Z"})", "event"},
      {R"({"type":"purchase","userId":"L-1","timestamp":"2026-03-01T10:00:00Z"})", "purchase"},
      {R"({"type":"identify","userId":"L-1","timestamp":"2026-03-01T10:00:00"})", "timestamp"},
      {R"({"type":"identify","userId":"L-1","timestamp":"2026-03-01"})", "timestamp"},
      {R"({"type":"identify","userId":"L-1","timestamp":"2026-02-30T10:00:00Z"})", "timestamp"},
      {R"({"type":"identify","userId":"L-1","timestamp":"yesterday"})", "timestamp"},
      {R"(["type","identify"])", "object"},
      {R"({"type":"identify","userId":"L-1","timestamp":"2026-03-01T10:00:00Z")", "JSON"},
      {R"({"type":"identify","userId":"L-1","timestamp":"2026-03-01T10:00:00Z"} trailing)", "JSON"},
  };
  std::vector<std::string> lines = {
      Identify("L-1", R"({"job_title":"VP"})", "2026-03-01T09:00:00Z", "ok1")};
  for (const auto& b : bad) lines.push_back(b.line);
  lines.push_back(Identify("L-2", R"({"job_title":"CEO"})", "2026-03-01T09:00:00Z", "ok2"));
  RunResult r = lg.Ingest("bad.jsonl", Lines(lines), {"--rejects", "rej.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(bad[i].line);
    ExpectRejected(r.err, "bad.jsonl", static_cast<int>(i) + 2, bad[i].reason);
  }
  EXPECT_NE(r.err.find(std::to_string(bad.size()) + " rejected"), std::string::npos) << r.err;
  std::vector<std::string> raw;
  for (const auto& b : bad) raw.push_back(b.line);
  EXPECT_EQ(ReadFile(lg.File("rej.jsonl")), Lines(raw));
  // The valid lines on either side were stored.
  Json s1 = lg.Show("L-1", kLater);
  EXPECT_EQ(s1["events"], 1);
  EXPECT_EQ(lg.Show("L-2", kLater)["traits"]["job_title"], "CEO");
}

TEST(IngestEdge, PageNameMustBeAString) {
  // inputs.md: "`name` (for `page`), when given, a string".
  Lg lg;
  std::string bad = R"({"type":"page","userId":"L-1","name":7,"timestamp":"2026-03-01T10:00:00Z"})";
  std::string good =
      R"({"type":"page","userId":"L-2","name":"Pricing","properties":{"url":"/pricing"},"timestamp":"2026-03-01T10:00:00Z"})";
  std::string obj =
      R"({"type":"page","userId":"L-1","name":{"t":"Pricing"},"timestamp":"2026-03-01T10:00:00Z"})";
  std::string boolean =
      R"({"type":"page","userId":"L-1","name":true,"timestamp":"2026-03-01T10:00:00Z"})";
  std::string null_name =
      R"({"type":"page","userId":"L-3","name":null,"timestamp":"2026-03-01T10:00:00Z"})";
  RunResult r = lg.Ingest("page.jsonl", Lines({good, bad, obj, boolean, null_name}));
  EXPECT_EQ(lg.Show("L-2", kLater)["explanation"][0]["rule"], "pricing-page");
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "page.jsonl", 2, "'name' (of a page event) must be a string, not a number");
  ExpectRejected(r.err, "page.jsonl", 3,
                 "'name' (of a page event) must be a string, not an object");
  ExpectRejected(r.err, "page.jsonl", 4,
                 "'name' (of a page event) must be a string, not a boolean");
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << "a null name is no name: " << r.err;
  EXPECT_EQ(lg.Run({"show", "L-1", "--json"}).exit_code, 1);
  EXPECT_EQ(lg.Run({"show", "L-3", "--json"}).exit_code, 0);
}

TEST(IngestEdge, OtherSegmentTypesAreStoredButNotScored) {
  Lg lg;
  std::string in = Lines({
      Identify("L-1", R"({"job_title":"Engineer"})", "2026-03-01T10:00:00Z", "m1"),
      R"({"type":"group","userId":"L-1","groupId":"g1","traits":{"industry":"software","job_title":"VP"},"timestamp":"2026-03-01T11:00:00Z","messageId":"m2"})",
      R"({"type":"alias","userId":"L-1","previousId":"anon-9","timestamp":"2026-03-01T11:00:00Z","messageId":"m3"})",
      R"({"type":"screen","userId":"L-1","name":"Pricing","properties":{"url":"/pricing"},"timestamp":"2026-03-01T11:00:00Z","messageId":"m4"})",
  });
  RunResult r = lg.Ingest("other.jsonl", in);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("4 stored"), std::string::npos) << r.err;
  Json s = lg.Show("L-1", kLater);
  EXPECT_EQ(s["events"], 4);
  EXPECT_EQ(s["score"]["total"], 0) << s.dump(2);
  EXPECT_EQ(s["traits"]["job_title"], "Engineer") << "group traits are not the lead's traits";
  EXPECT_EQ(lg.Ingest("other.jsonl", in).err.find("4 stored"), std::string::npos);
}

TEST(IngestEdge, NumbersOutOfRangeNameTheirKey) {
  // Valid JSON that no double or 64-bit integer holds: rejected, with the key.
  Lg lg;
  auto ident = [](const std::string& lead, const std::string& traits) {
    return Identify(lead, traits, "2026-03-01T10:00:00Z", "m-" + lead);
  };
  std::string in = Lines({
      ident("N-1", R"({"big":123456789012345678901234567890})"),
      ident("N-2", R"({"note":"x:1e999","inf":-1e400})"),
      ident("N-3", R"({"lead":01})"),
      ident("N-4", R"({"tiny":1e-400,"u":18446744073709551615,"i":-9223372036854775808})"),
      ident("N-5", R"({"i":-9223372036854775809})"),
  });
  RunResult r = lg.Ingest("num.jsonl", in);
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "num.jsonl", 1,
                 "'big': the integer 123456789012345678901234567890 does not fit in 64 bits");
  ExpectRejected(r.err, "num.jsonl", 2, "'inf': the number -1e400 is too large");
  ExpectRejected(r.err, "num.jsonl", 3, "'lead': malformed number '01'");
  ExpectRejected(r.err, "num.jsonl", 5, "'i': the integer -9223372036854775809");
  EXPECT_NE(r.err.find("1 stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("N-4", kLater)["traits"]["tiny"], 0) << "an underflow is 0";
}

TEST(IngestEdge, DeepNestingAndBadUtf8InKeys) {
  Lg lg;
  auto nest = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  std::string in = Lines({
      Track("L-1", "x", R"({"d":)" + nest(5000) + "}", "2026-03-01T10:00:00Z", "d1"),
      Track("L-1", "x", R"({"d":)" + nest(500) + "}", "2026-03-01T10:00:00Z", "d2"),
      Identify("L-1", "{\"k\xFF\":1}", "2026-03-01T10:00:00Z", "u1"),
      Identify("L-1", R"({"\ud800":1})", "2026-03-01T10:00:00Z", "u2"),
  });
  RunResult r = lg.Ingest("deep.jsonl", in);
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "deep.jsonl", 1, "too deep");
  ExpectRejected(r.err, "deep.jsonl", 3, "UTF-8");
  ExpectRejected(r.err, "deep.jsonl", 4, "JSON");  // a lone surrogate escape
  EXPECT_NE(r.err.find("1 stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("L-1", kLater)["events"], 1);
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--refold"}).exit_code, 0);
}

TEST(IngestEdge, TimestampsOutOfRangeAreRejected) {
  // Before the Unix epoch the engagement decay overflows and the lead could not
  // be folded any more (every later ingest failed with a storage error).
  Lg lg;
  std::string in = Lines({
      Identify("L-1", "{}", "1000-01-01T00:00:00Z", "t1"),
      Identify("L-1", "{}", "1969-12-31T23:59:59.999999Z", "t2"),
      Identify("L-1", "{}", "0000-01-01T00:00:00+23:59", "t3"),
      Identify("L-1", "{}", "9999-12-31T23:59:59-00:01", "t4"),
      Track("L-1", "webinar_attended", "{}", "1970-01-01T00:00:00Z", "t5"),
      Identify("L-1", R"({"job_title":"VP"})", "9999-12-31T23:59:59Z", "t6"),
  });
  RunResult r = lg.Ingest("old.jsonl", in);
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "old.jsonl", 1, "'timestamp' \"1000-01-01T00:00:00Z\" is out of range");
  ExpectRejected(r.err, "old.jsonl", 2, "before 1970-01-01T00:00:00Z");
  ExpectRejected(r.err, "old.jsonl", 3, "before 1970");
  ExpectRejected(r.err, "old.jsonl", 4, "after 9999-12-31T23:59:59Z");
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("L-1", "9999-12-31T23:59:59Z")["traits"]["job_title"], "VP");
  EXPECT_EQ(
      lg.Ingest("next.jsonl", Identify("L-1", "{}", "2026-03-01T00:00:00Z", "n1") + "\n").exit_code,
      0);
}

// ---------------------------------------------------------------- JSONL values

TEST(IngestEdge, NullTraitRemovesIt) {
  Lg lg;
  std::string in = Lines({
      Identify("L-1", R"({"job_title":"VP","phone":"+1 555 0100"})", "2026-03-01T10:00:00Z", "m1"),
      Identify("L-1", R"({"phone":null})", "2026-03-02T10:00:00Z", "m2"),
  });
  ASSERT_EQ(lg.Ingest("null.jsonl", in).exit_code, 0);
  Json before = lg.Show("L-1", "2026-03-01T12:00:00Z");
  EXPECT_EQ(before["traits"]["phone"], "+1 555 0100");
  EXPECT_EQ(before["score"]["fit"], 30);  // decision maker + phone
  Json after = lg.Show("L-1", kLater);
  EXPECT_FALSE(after["traits"].contains("phone")) << after["traits"].dump();
  EXPECT_EQ(after["score"]["fit"], 25);
  EXPECT_EQ(after["traits"]["job_title"], "VP") << "other traits stay";
}

TEST(IngestEdge, NestedTraitsAreStoredButNotUsable) {
  Lg lg;
  std::string in = Lines({
      Identify("L-1", R"({"job_title":{"title":"VP"},"phone":["+1 555 0100"],"tags":{"a":[1,2]}})",
               "2026-03-01T10:00:00Z", "m1"),
  });
  ASSERT_EQ(lg.Ingest("nested.jsonl", in).exit_code, 0);
  Json s = lg.Show("L-1", kLater);
  EXPECT_EQ(s["traits"]["job_title"], Json::parse(R"({"title":"VP"})"));
  EXPECT_EQ(s["traits"]["tags"], Json::parse(R"({"a":[1,2]})"));
  EXPECT_EQ(s["score"]["fit"], 0) << "neither the title nor exists:true on phone may use them";
  EXPECT_GE(s["warnings"].size(), 2u) << s["warnings"].dump();
}

TEST(IngestEdge, NestedPropertiesAreStoredButNotUsable) {
  Lg lg(/*init=*/false);
  lg.Write("nested.yaml", R"(version: 1
name: nested properties
fields:
  job_title: text
engagement:
  rules:
    - id: has-ref
      event: visit
      when: { property: ref, exists: true }
      points: 10
    - id: ref-not-x
      event: visit
      when: { property: ref, not_equals: x }
      points: 1
    - id: ref-matches
      event: visit
      when: { property: ref, matches: 'a' }
      points: 100
)");
  ASSERT_EQ(lg.Run({"init", "--playbook", "nested.yaml"}).exit_code, 0);
  std::string in = Lines({
      Track("FLAT", "visit", R"({"ref":"y"})", "2026-03-01T10:00:00Z", "f1"),
      Track("OBJ", "visit", R"({"ref":{"a":1}})", "2026-03-01T10:00:00Z", "o1"),
      Track("ARR", "visit", R"({"ref":["a"]})", "2026-03-01T10:00:00Z", "a1"),
  });
  ASSERT_EQ(lg.Ingest("v.jsonl", in).exit_code, 0);
  EXPECT_EQ(lg.Show("FLAT", kLater)["score"]["engagement"], 11) << "the rules work on flat values";
  Json obj = lg.Show("OBJ", kLater);
  Json arr = lg.Show("ARR", kLater);
  EXPECT_EQ(obj["events"], 1);
  EXPECT_EQ(obj["score"]["engagement"], 0)
      << "nested property values are stored but not usable in conditions (inputs.md): "
         "exists:true, not_equals and matches must not hold on {\"ref\":{\"a\":1}}";
  EXPECT_EQ(arr["score"]["engagement"], 0) << "nor on {\"ref\":[\"a\"]}";
}

TEST(IngestEdge, OffsetsAndFractionsAreStoredAsUtc) {
  Lg lg;
  std::string in = Lines({
      // 10:00:00.25+05:30 is 04:30:00.25Z
      Identify("L-1",
               R"({"job_title":"VP","industry":"software","company_size":100,"country":"US"})",
               "2026-03-01T10:00:00.25+05:30", "m1"),
      // 10:00:00.75-02:00 is 12:00:00.75Z: the MQL
      Track("L-1", "form_submitted", R"({"form":"demo"})", "2026-03-01T10:00:00.750-02:00", "m2"),
      // lower case t/z
      Track(
          "L-1", "bant_form_submitted",
          R"({"budget":"confirmed","authority":"decision_maker","need":"x","timeline":"2026-04-01"})",
          "2026-03-02t09:00:00.5z", "m3"),
  });
  RunResult r = lg.Ingest("tz.jsonl", in);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json s = lg.Show("L-1", kLater);
  ASSERT_EQ(s["history"].size(), 2u) << s.dump(2);
  EXPECT_EQ(s["history"][0]["to"], "mql");
  EXPECT_EQ(s["history"][0]["at"], "2026-03-01T12:00:00.75Z");
  EXPECT_EQ(s["history"][1]["to"], "sql");
  EXPECT_EQ(s["history"][1]["at"], "2026-03-02T09:00:00.5Z");
  EXPECT_EQ(s["history"][1]["exception"], true);
  EXPECT_EQ(s["bant"]["at"], "2026-03-02T09:00:00.5Z");
  EXPECT_EQ(s["bant"]["by"], "L-1");
  for (const auto& h : s["history"]) {
    std::string at = h["at"];
    EXPECT_EQ(at.back(), 'Z') << at;
  }
  // The lead exists from 04:30:00.25Z on, not from 10:00.
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--at", "2026-03-01T04:30:00.24Z"}).exit_code, 1);
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--at", "2026-03-01T04:30:00.25Z"}).exit_code, 0);
  EXPECT_EQ(lg.Show("L-1", "2026-03-01T12:00:00.74Z")["stage"], "lead");
  EXPECT_EQ(lg.Show("L-1", "2026-03-01T12:00:00.75Z")["stage"], "mql");
  // The SLA clock runs from the UTC instant.
  Json sla = lg.Sla("2026-03-01T12:01:00.75Z");
  ASSERT_EQ(sla["open"].size(), 1u);
  EXPECT_EQ(sla["open"][0]["mql_at"], "2026-03-01T12:00:00.75Z");
  EXPECT_EQ(sla["open"][0]["overdue_seconds"], -240);
  // The same instant written in two ways is the same time: the same message.
  std::string same_instant = Lines({
      Identify("L-9", R"({"job_title":"VP"})", "2026-03-01T10:00:00+02:00", "z1"),
      Identify("L-9", R"({"job_title":"CEO"})", "2026-03-01T08:00:00Z", "z2"),
  });
  ASSERT_EQ(lg.Ingest("same.jsonl", same_instant).exit_code, 0);
  // Same timestamp: the later messageId in byte order (z2) wins.
  EXPECT_EQ(lg.Show("L-9", kLater)["traits"]["job_title"], "CEO");
}

TEST(IngestEdge, LatestTraitWinsRegardlessOfArrival) {
  Lg lg;
  // Lines arrive newest first; a late, older identify must not win.
  std::string in = Lines({
      Identify("L-1", R"({"job_title":"CEO"})", "2026-03-03T10:00:00Z", "m3"),
      Identify("L-1", R"({"job_title":"Intern"})", "2026-03-01T10:00:00Z", "m1"),
  });
  ASSERT_EQ(lg.Ingest("a.jsonl", in).exit_code, 0);
  ASSERT_EQ(
      lg.Ingest("b.jsonl",
                Identify("L-1", R"({"job_title":"Student"})", "2026-03-02T10:00:00Z", "m2") + "\n")
          .exit_code,
      0);
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"]["job_title"], "CEO");
  EXPECT_EQ(lg.Show("L-1", "2026-03-02T12:00:00Z")["traits"]["job_title"], "Student");
  EXPECT_EQ(lg.Show("L-1", "2026-03-02T12:00:00Z")["score"]["fit"], -40);
}

// ---------------------------------------------------------------- CSV

TEST(ImportEdge, QuotesDoubledQuotesAndEmbeddedNewlinesKeepLineNumbers) {
  Lg lg;
  lg.Write("leads.csv",
           "id,Company,Notes\n"                             // 1
           "L-1,\"Acme, Inc.\",\"said \"\"hi\"\"\"\n"       // 2
           "L-2,Beta,\"line one\nline two\nline three\"\n"  // 3-5
           ",NoId,x\n"                                      // 6
           "L-3,\"Gamma\",\"\"\n"                           // 7 (empty quoted: no trait)
           "L-4,Delta,a,b\n"                                // 8
           "L-5,\"Multi\nline company\",\"z\"\n"            // 9-10
           "L-6,Epsilon,\"\"\"quoted\"\" start\"\n");       // 11
  RunResult r = lg.Run({"import", "leads", "leads.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "leads.csv", 6, "id");
  ExpectRejected(r.err, "leads.csv", 8, "cells");
  EXPECT_NE(r.err.find("5 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 rejected"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"]["company"], "Acme, Inc.");
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"]["notes"], "said \"hi\"");
  EXPECT_EQ(lg.Show("L-2", kLater)["traits"]["notes"], "line one\nline two\nline three");
  EXPECT_FALSE(lg.Show("L-3", kLater)["traits"].contains("notes"));
  EXPECT_EQ(lg.Show("L-5", kLater)["traits"]["company"], "Multi\nline company");
  EXPECT_EQ(lg.Show("L-6", kLater)["traits"]["notes"], "\"quoted\" start");
}

TEST(ImportEdge, SemicolonAndTabDelimiters) {
  Lg lg;
  lg.Write("semi.csv", "id;Job Title;Company Size\nL-1;\"VP; Sales\";300\nL-2;CEO;1,5\n");
  RunResult r = lg.Run({"import", "leads", "semi.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Json l1 = lg.Show("L-1", kLater);
  EXPECT_EQ(l1["traits"]["job_title"], "VP; Sales");
  EXPECT_EQ(l1["score"]["fit"], 35);
  EXPECT_EQ(lg.Show("L-2", kLater)["traits"]["company_size"], "1,5");

  lg.Write("tab.csv", "id\tJob Title\tCountry\nT-1\tDirector\tUS\n");
  r = lg.Run({"import", "leads", "tab.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lg.Show("T-1", kLater)["score"]["fit"], 30);
}

TEST(ImportEdge, BadUtf8RowIsRejectedWithItsLine) {
  Lg lg;
  lg.Write("utf.csv",
           "id,Company,City\n"
           "L-1,Acme,M\xC3\xBCnchen\n"
           "L-2,Bad\xFF,Paris\n"
           "L-3,\"Quoted \xC0\xAF overlong\",Rome\n"
           "L-4,Fine,Oslo\n");
  RunResult r =
      lg.Run({"import", "leads", "utf.csv", "--at", "2026-03-01T00:00:00Z", "--rejects", "r.csv"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "utf.csv", 3, "UTF-8");
  ExpectRejected(r.err, "utf.csv", 4, "UTF-8");
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"]["city"], "M\xC3\xBCnchen");
  EXPECT_EQ(lg.Run({"show", "L-2", "--json"}).exit_code, 1);
  EXPECT_EQ(lg.Show("L-4", kLater)["traits"]["city"], "Oslo");
  EXPECT_EQ(ReadFile(lg.File("r.csv")),
            "L-2,Bad\xFF,Paris\nL-3,\"Quoted \xC0\xAF overlong\",Rome\n");
}

TEST(ImportEdge, HeadersAndShortRows) {
  Lg lg;
  lg.Write("h.csv",
           "ID,First Name,lastName,E-mail,Annual Revenue ($),companySize\n"
           "L-1,Ana,Lopez,ana@acme.io,5M\n"  // one cell short: fine
           "\n"                              // a blank line is skipped
           "L-2,Bo,,,,20\n");
  RunResult r = lg.Run({"import", "leads", "h.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Json t = lg.Show("L-1", kLater)["traits"];
  EXPECT_EQ(t["first_name"], "Ana");
  EXPECT_EQ(t["last_name"], "Lopez");
  EXPECT_EQ(t["e_mail"], "ana@acme.io");
  EXPECT_EQ(t["annual_revenue"], "5M");
  EXPECT_FALSE(t.contains("company_size"));
  Json t2 = lg.Show("L-2", kLater)["traits"];
  EXPECT_EQ(t2["company_size"], "20");
  EXPECT_FALSE(t2.contains("last_name")) << "empty cells are no traits: " << t2.dump();

  // A header alone imports nothing, and is no error.
  lg.Write("only.csv", "id,name\n");
  r = lg.Run({"import", "leads", "only.csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("0 stored"), std::string::npos) << r.err;
}

TEST(ImportEdge, CreatedAtColumn) {
  Lg lg;
  lg.Write("c.csv",
           "id,Job Title,Created At\n"
           "L-1,VP,2026-03-01T10:00:00+01:00\n"
           "L-2,CEO,2026-03-02\n"
           "L-3,CTO,last week\n");
  RunResult r = lg.Run({"import", "leads", "c.csv"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "c.csv", 4, "created_at");
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--at", "2026-03-01T08:59:59Z"}).exit_code, 1);
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--at", "2026-03-01T09:00:00Z"}).exit_code, 0);
  EXPECT_EQ(lg.Run({"show", "L-2", "--json", "--at", "2026-03-01T23:59:59Z"}).exit_code, 1);
  EXPECT_EQ(lg.Run({"show", "L-2", "--json", "--at", "2026-03-02T00:00:00Z"}).exit_code, 0);
}

TEST(ImportEdge, CreatedAtAndAtOutOfRange) {
  Lg lg;
  lg.Write("c.csv", "id,created_at\nL-1,1000-01-01\nL-2,1969-12-31T23:59:59Z\nL-3,1970-01-01\n");
  RunResult r = lg.Run({"import", "leads", "c.csv"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "c.csv", 2, "created_at '1000-01-01' is out of range: before 1970");
  ExpectRejected(r.err, "c.csv", 3, "out of range");
  EXPECT_NE(r.err.find("1 stored"), std::string::npos) << r.err;
  r = lg.Run({"import", "leads", "c.csv", "--at", "1969-01-01"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--at 1969-01-01T00:00:00Z is out of range"), std::string::npos) << r.err;
}

TEST(ImportEdge, HeaderNamesMustBeDistinctAndCellsNeedAColumnName) {
  Lg lg;
  lg.Write("dup.csv", "id,Email,E-mail,e mail\nL-1,a,b,c\n");
  RunResult r = lg.Run({"import", "leads", "dup.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dup.csv:1: columns 3 ('E-mail') and 4 ('e mail') are both named 'e_mail'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(lg.Run({"show", "L-1", "--json"}).exit_code, 1);

  // A trailing empty header cell is common; a value under it has no trait name.
  lg.Write("un.csv", "id,Email,($),\nL-1,a,,\nL-2,b,x,\nL-3,c,,y\n");
  r = lg.Run({"import", "leads", "un.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "un.csv", 3,
                 "a value in column 3, which has no name ('($)' in the header)");
  ExpectRejected(r.err, "un.csv", 4, "a value in column 4, which has no name");
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"], Json::parse(R"({"email":"a"})"));
}

TEST(ImportEdge, UnterminatedQuoteNamesItsLine) {
  Lg lg;
  lg.Write("u.csv", "id,Notes\nL-1,ok\nL-2,\"never closed\nL-3,x\n");
  RunResult r = lg.Run({"import", "leads", "u.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  // The quote would swallow the rest of the file (RFC 4180): line 3 is rejected
  // and reading resumes at line 4.
  ExpectRejected(r.err, "u.csv", 3, "unterminated quoted field (opened at column 5)");
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 rejected"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Run({"show", "L-1", "--json"}).exit_code, 0) << "line 2 is stored";
  EXPECT_EQ(lg.Run({"show", "L-2", "--json"}).exit_code, 1);
  EXPECT_EQ(lg.Show("L-3", kLater)["traits"]["notes"], "x") << "line 4 is stored";
}

TEST(ImportEdge, QuoteClosedByALaterRowIsUnterminated) {
  // The quote opened at line 3 is "closed" by the opening quote of line 5's
  // "Gamma": line 3 is taken as unterminated, lines 4 and 5 are read again.
  Lg lg;
  lg.Write("u.csv",
           "id,Company,Notes\n"              // 1
           "L-1,Acme,ok\n"                   // 2
           "L-2,\"Beta,never closed\n"       // 3
           "L-3,Gamma,x\n"                   // 4
           "L-4,\"Delta\",\"two\nlines\"\n"  // 5-6
           "L-5,\"Eps\"ilon,y\n"             // 7: text after a closing quote
           "L-6,\"Multi\nline\" x,z\n"       // 8-9: the same, a line later
           "L-7,Zeta,\"open\n");             // 10: never closed, at the end
  RunResult r =
      lg.Run({"import", "leads", "u.csv", "--at", "2026-03-01T00:00:00Z", "--rejects", "rej.csv"});
  EXPECT_EQ(r.exit_code, 1);
  ExpectRejected(r.err, "u.csv", 3,
                 "unterminated quoted field (opened at column 5; the next quote, at line 5, column "
                 "5, is followed by text)");
  ExpectRejected(r.err, "u.csv", 7, "unexpected text after a closing quote (column 10)");
  ExpectRejected(r.err, "u.csv", 8,
                 "unterminated quoted field (opened at column 5; the next quote, at line 9, column "
                 "5, is followed by text)");
  ExpectRejected(r.err, "u.csv", 9, "'\"' inside an unquoted field (column 5)");
  ExpectRejected(r.err, "u.csv", 10, "unterminated quoted field (opened at column 10)");
  EXPECT_NE(r.err.find("3 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("5 rejected"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("L-1", kLater)["traits"]["notes"], "ok");
  EXPECT_EQ(lg.Show("L-3", kLater)["traits"]["notes"], "x");
  EXPECT_EQ(lg.Show("L-4", kLater)["traits"]["notes"], "two\nlines");
  for (const char* id : {"L-2", "L-5", "L-6", "L-7"}) {
    EXPECT_EQ(lg.Run({"show", id, "--json"}).exit_code, 1) << id;
  }
  EXPECT_EQ(ReadFile(lg.File("rej.csv")),
            "L-2,\"Beta,never closed\n"
            "L-5,\"Eps\"ilon,y\n"
            "L-6,\"Multi\n"
            "line\" x,z\n"
            "L-7,Zeta,\"open\n");
}

TEST(ImportEdge, LeadsAndEventsMeet) {
  // A CSV row and events for the same id are one lead.
  Lg lg;
  lg.Write("l.csv",
           "id,Job Title,Industry,Company Size,created_at\n"
           "L-1,VP Finance,software,300,2026-03-01T09:00:00Z\n");
  ASSERT_EQ(lg.Run({"import", "leads", "l.csv"}).exit_code, 0);
  ASSERT_EQ(lg.Ingest("e.jsonl", Track("L-1", "form_submitted", R"({"form":"demo"})",
                                       "2026-03-01T10:00:00Z", "m1") +
                                     "\n")
                .exit_code,
            0);
  Json s = lg.Show("L-1", "2026-03-01T10:00:00Z");
  EXPECT_EQ(s["stage"], "mql");
  EXPECT_EQ(s["score"]["fit"], 50);
  EXPECT_EQ(s["events"], 2);
}

}  // namespace
}  // namespace leadgate::testing
