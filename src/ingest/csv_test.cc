#include "ingest/csv.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace leadgate::ingest {
namespace {

using Cells = std::vector<std::string>;

struct Parsed {
  Status status;
  std::vector<CsvRecord> records;
};

Parsed Read(std::string_view data, char delimiter = 0) {
  Parsed out;
  out.status = ReadCsv(data, delimiter, [&](CsvRecord&& r) {
    out.records.push_back(std::move(r));
    return Status::Ok();
  });
  return out;
}

TEST(ReadCsvTest, SimpleFile) {
  Parsed p = Read("email,name\na@x.com,Ann\nb@y.org,Bob\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].cells, (Cells{"email", "name"}));
  EXPECT_EQ(p.records[0].line, 1);
  EXPECT_EQ(p.records[0].raw, "email,name");
  EXPECT_EQ(p.records[1].cells, (Cells{"a@x.com", "Ann"}));
  EXPECT_EQ(p.records[1].line, 2);
  EXPECT_EQ(p.records[2].cells, (Cells{"b@y.org", "Bob"}));
  EXPECT_EQ(p.records[2].line, 3);
  EXPECT_EQ(p.records[2].raw, "b@y.org,Bob");
}

TEST(ReadCsvTest, EmptyInput) {
  EXPECT_TRUE(Read("").records.empty());
  EXPECT_TRUE(Read("\xEF\xBB\xBF").records.empty());
  EXPECT_TRUE(Read("\n\r\n  \n").records.empty());
}

TEST(ReadCsvTest, StripsBom) {
  Parsed p = Read(
      "\xEF\xBB\xBF"
      "email,name\na,b\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0].cells, (Cells{"email", "name"}));
  EXPECT_EQ(p.records[0].raw, "email,name");
  EXPECT_EQ(p.records[1].line, 2);
}

TEST(ReadCsvTest, Crlf) {
  Parsed p = Read("a,b\r\n1,2\r\n3,4\r\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "2"}));
  EXPECT_EQ(p.records[1].raw, "1,2");
  EXPECT_EQ(p.records[2].cells, (Cells{"3", "4"}));
  EXPECT_EQ(p.records[2].line, 3);
}

TEST(ReadCsvTest, LoneCrIsALineBreak) {
  Parsed p = Read("a,b\r1,2\r3,4");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "2"}));
  EXPECT_EQ(p.records[2].line, 3);
}

TEST(ReadCsvTest, QuotedDelimiters) {
  Parsed p = Read("name,company\n\"Doe, Jane\",\"Acme, Inc.\"\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[1].cells, (Cells{"Doe, Jane", "Acme, Inc."}));
  EXPECT_EQ(p.records[1].raw, "\"Doe, Jane\",\"Acme, Inc.\"");
}

TEST(ReadCsvTest, DoubledQuotes) {
  Parsed p = Read("note\n\"She said \"\"hi\"\"\"\n\"\"\"\"\n\"\"\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 4u);
  EXPECT_EQ(p.records[1].cells, (Cells{"She said \"hi\""}));
  EXPECT_EQ(p.records[2].cells, (Cells{"\""}));
  EXPECT_EQ(p.records[3].cells, (Cells{""}));
}

TEST(ReadCsvTest, EmbeddedNewlines) {
  Parsed p = Read("id,note\n1,\"line one\nline two\r\n\nline four\"\n2,after\n3,\"x\ny\"");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 4u);
  EXPECT_EQ(p.records[1].line, 2);
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "line one\nline two\r\n\nline four"}));
  EXPECT_EQ(p.records[1].raw, "1,\"line one\nline two\r\n\nline four\"");
  EXPECT_EQ(p.records[2].line, 6);
  EXPECT_EQ(p.records[2].cells, (Cells{"2", "after"}));
  EXPECT_EQ(p.records[3].line, 7);
  EXPECT_EQ(p.records[3].cells, (Cells{"3", "x\ny"}));
}

TEST(ReadCsvTest, AutoDetectsSemicolon) {
  Parsed p = Read("Name;Company;Revenue\n\"Doe; Jane\";Acme, Inc.;1,5\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0].cells, (Cells{"Name", "Company", "Revenue"}));
  EXPECT_EQ(p.records[1].cells, (Cells{"Doe; Jane", "Acme, Inc.", "1,5"}));
}

TEST(ReadCsvTest, AutoDetectIgnoresQuotedSeparators) {
  // More ';' than ',' overall, but all the ';' are inside quotes.
  Parsed p = Read("\"a;b;c\",d\n1,2\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.records[0].cells, (Cells{"a;b;c", "d"}));
}

TEST(ReadCsvTest, AutoDetectsTab) {
  Parsed p = Read("a\tb\tc\n1\t\t3\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "", "3"}));
}

TEST(ReadCsvTest, ExplicitDelimiter) {
  Parsed p = Read("a;b,c\n", ',');
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.records[0].cells, (Cells{"a;b", "c"}));
  EXPECT_EQ(Read("a\n", '"').status.code(), StatusCode::kInvalidInput);
}

TEST(ReadCsvTest, BlankLinesSkipped) {
  Parsed p = Read("\n\na,b\n\n   \n1,2\r\n\r\n3,4\n\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[0].line, 3);
  EXPECT_EQ(p.records[1].line, 6);
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "2"}));
  EXPECT_EQ(p.records[2].line, 8);
}

TEST(ReadCsvTest, UnterminatedQuoteAtEof) {
  std::string data = "a,b\n";
  for (int i = 2; i < 17; ++i) data += std::to_string(i) + ",x\n";
  data += "17,\"never closed\n18,y\n";
  Parsed p = Read(data);
  EXPECT_EQ(p.status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(p.status.message(), "line 17: unterminated quoted field (opened at column 4)");
  EXPECT_EQ(p.records.size(), 16u);
}

TEST(ReadCsvTest, UnterminatedQuoteOpenedLaterInRecord) {
  Parsed p = Read("a,b,c\n1,\"two\nlines\",\"open\n");
  EXPECT_EQ(p.status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(p.status.message(), "line 2: unterminated quoted field (opened at line 3, column 8)");
  // Without a final newline too.
  p = Read("a,b\n1,\"open");
  EXPECT_EQ(p.status.message(), "line 2: unterminated quoted field (opened at column 3)");
}

TEST(ReadCsvTest, StrayQuotesAreErrors) {
  Parsed p = Read("a,b\n1,2\n3,5\" screen\n");
  EXPECT_EQ(p.status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(p.status.message(), "line 3: '\"' inside an unquoted field (column 4)");
  EXPECT_EQ(p.records.size(), 2u);

  p = Read("a,b\n\"x\"y,2\n");
  EXPECT_EQ(p.status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(p.status.message(), "line 2: unexpected text after a closing quote (column 4)");
}

struct Recovered {
  Status status;
  std::vector<CsvRecord> records;
  std::vector<CsvError> errors;
};

Recovered ReadAll(std::string_view data, char delimiter = 0) {
  Recovered out;
  out.status = ReadCsv(
      data, delimiter,
      [&](CsvRecord&& r) {
        out.records.push_back(std::move(r));
        return Status::Ok();
      },
      [&](CsvError&& e) {
        out.errors.push_back(std::move(e));
        return Status::Ok();
      });
  return out;
}

TEST(ReadCsvRecoveryTest, StrayQuoteSkipsOnlyItsLine) {
  Recovered p = ReadAll("a,b\n1,2\n3,5\" screen\n4,x\r\n5,\"y\"z\n6,w");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0].line, 3);
  EXPECT_EQ(p.errors[0].resume_line, 4);
  EXPECT_EQ(p.errors[0].reason, "'\"' inside an unquoted field (column 4)");
  EXPECT_EQ(p.errors[0].raw, "3,5\" screen");
  EXPECT_EQ(p.errors[1].line, 5);
  EXPECT_EQ(p.errors[1].reason, "unexpected text after a closing quote (column 6)");
  EXPECT_EQ(p.errors[1].raw, "5,\"y\"z");
  ASSERT_EQ(p.records.size(), 4u);
  EXPECT_EQ(p.records[2].cells, (Cells{"4", "x"}));
  EXPECT_EQ(p.records[2].line, 4);
  EXPECT_EQ(p.records[3].cells, (Cells{"6", "w"}));
  EXPECT_EQ(p.records[3].line, 6);
}

TEST(ReadCsvRecoveryTest, StrayQuoteAfterAMultiLineField) {
  // The quoted field closes properly; the stray quote is on the record's 3rd line.
  Recovered p = ReadAll("a,b,c\n1,\"x\ny\nz\",w\"v\n2,ok,ok\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].resume_line, 5);
  EXPECT_EQ(p.errors[0].reason, "'\"' inside an unquoted field (line 4, column 5)");
  EXPECT_EQ(p.errors[0].raw, "1,\"x\ny\nz\",w\"v");
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[1].line, 5);
  EXPECT_EQ(p.records[1].cells, (Cells{"2", "ok", "ok"}));
}

TEST(ReadCsvRecoveryTest, UnterminatedQuoteResumesOnTheNextLine) {
  Recovered p = ReadAll("a,b\n1,\"never closed\n2,x\n\n3,y");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].resume_line, 3);
  EXPECT_EQ(p.errors[0].reason, "unterminated quoted field (opened at column 3)");
  EXPECT_EQ(p.errors[0].raw, "1,\"never closed");
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1].line, 3);
  EXPECT_EQ(p.records[1].cells, (Cells{"2", "x"}));
  EXPECT_EQ(p.records[2].line, 5);
  EXPECT_EQ(p.records[2].cells, (Cells{"3", "y"}));

  // Opened on the record's second line, after a multi-line field; CRLF breaks.
  p = ReadAll("a,b,c\r\n1,\"two\r\nlines\",\"open\r\n2,x,y\r\n");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].resume_line, 4);
  EXPECT_EQ(p.errors[0].reason, "unterminated quoted field (opened at line 3, column 8)");
  EXPECT_EQ(p.errors[0].raw, "1,\"two\r\nlines\",\"open");
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[1].line, 4);
  EXPECT_EQ(p.records[1].cells, (Cells{"2", "x", "y"}));

  // At the very end, without a line break.
  p = ReadAll("a\n\"x");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].raw, "\"x");
  EXPECT_EQ(p.records.size(), 1u);
}

TEST(ReadCsvRecoveryTest, QuoteClosedOnALaterLineByTextIsUnterminated) {
  // Line 2's quote is never closed; line 4's opening quote "closes" it.
  Recovered p = ReadAll("a,b\n1,\"open\n2,x\n3,\"q\"\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].line, 2);
  EXPECT_EQ(p.errors[0].resume_line, 3);
  EXPECT_EQ(p.errors[0].reason,
            "unterminated quoted field (opened at column 3; the next quote, at line 4, column 3, "
            "is followed by text)");
  EXPECT_EQ(p.errors[0].raw, "1,\"open");
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1].cells, (Cells{"2", "x"}));
  EXPECT_EQ(p.records[2].cells, (Cells{"3", "q"}));
  EXPECT_EQ(p.records[2].line, 4);
}

TEST(ReadCsvRecoveryTest, OnErrorCanStop) {
  int errors = 0;
  Status s = ReadCsv(
      "a\n\"x\"y\nb\n", ',', [](CsvRecord&&) { return Status::Ok(); },
      [&](CsvError&& e) {
        ++errors;
        return Status::Refused("stop at line " + std::to_string(e.line));
      });
  EXPECT_EQ(s.code(), StatusCode::kRefused);
  EXPECT_EQ(s.message(), "stop at line 2");
  EXPECT_EQ(errors, 1);
}

TEST(ReadCsvRecoveryTest, ManyBadLinesStayLinear) {
  // Every line opens a quote that the next line's quote "closes": each error
  // re-reads one line, never the rest of the file.
  std::string data = "a,b\n";
  for (int i = 0; i < 200000; ++i) {
    data += std::to_string(i);
    data += ",\"v\n";
  }
  data += "end,\"open at the end\n";
  for (int i = 0; i < 200000; ++i) {
    data += 'x';
    data += std::to_string(i);
    data += ",y\n";
  }
  const auto start = std::chrono::steady_clock::now();
  Recovered p = ReadAll(data);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.errors.size(), 200001u);
  EXPECT_EQ(p.records.size(), 200001u);
  EXPECT_EQ(p.records.back().line, 400002);
#ifdef __SANITIZE_ADDRESS__
  constexpr double kBound = 40;  // ~8 s under ASan+UBSan
#else
  constexpr double kBound = 5;  // ~0.2 s; a quadratic rewind took ~23 s
#endif
  EXPECT_LT(secs, kBound);
}

TEST(ReadCsvTest, TrailingLineWithoutNewline) {
  Parsed p = Read("a,b\n1,2");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "2"}));
  EXPECT_EQ(p.records[1].raw, "1,2");
  EXPECT_EQ(p.records[1].line, 2);

  p = Read("a,b\n1,\"x\"");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.records[1].cells, (Cells{"1", "x"}));

  p = Read("a,b\n1,");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  EXPECT_EQ(p.records[1].cells, (Cells{"1", ""}));
}

TEST(ReadCsvTest, EmptyCells) {
  Parsed p = Read("a,b,c\n,,\n1,,3\n\"\",x,\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 4u);
  EXPECT_EQ(p.records[1].cells, (Cells{"", "", ""}));
  EXPECT_EQ(p.records[2].cells, (Cells{"1", "", "3"}));
  EXPECT_EQ(p.records[3].cells, (Cells{"", "x", ""}));
}

TEST(ReadCsvTest, SpacesAroundFields) {
  Parsed p = Read("  a , b\n \" x \" ,y\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0].cells, (Cells{"a", "b"}));
  EXPECT_EQ(p.records[0].raw, "  a , b");
  EXPECT_EQ(p.records[1].cells, (Cells{" x ", "y"}));
}

TEST(ReadCsvTest, CallbackErrorStops) {
  int calls = 0;
  Status s = ReadCsv("a\nb\nc\n", ',', [&](CsvRecord&& r) {
    ++calls;
    if (r.line == 2) return Status::Refused("stop at " + r.cells[0]);
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kRefused);
  EXPECT_EQ(s.message(), "stop at b");
  EXPECT_EQ(calls, 2);
}

TEST(ReadCsvTest, InvalidUtf8PassesThrough) {
  Parsed p = Read("name\nJos\xE9\n\xFF\xFE\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.records[1].cells[0], "Jos\xE9");
  EXPECT_FALSE(IsValidUtf8(p.records[1].cells[0]));
  EXPECT_EQ(p.records[2].cells[0], "\xFF\xFE");
}

TEST(ReadCsvTest, HugeCell) {
  const std::string big(3 << 20, 'x');  // 3 MiB, several parser chunks
  std::string with_breaks = big;
  with_breaks[1000] = '\n';
  with_breaks[(2 << 20) + 7] = '\n';
  Parsed p = Read("a,b\n1,\"" + big + "\"\n2," + big + "\n3,\"" + with_breaks + "\"\n4,end\n");
  ASSERT_TRUE(p.status.ok()) << p.status.message();
  ASSERT_EQ(p.records.size(), 5u);
  EXPECT_EQ(p.records[1].cells[1], big);
  EXPECT_EQ(p.records[2].cells[1], big);
  EXPECT_EQ(p.records[2].raw.size(), big.size() + 2);
  EXPECT_EQ(p.records[3].cells[1], with_breaks);
  EXPECT_EQ(p.records[3].line, 4);
  EXPECT_EQ(p.records[4].line, 7);
  EXPECT_EQ(p.records[4].cells, (Cells{"4", "end"}));
}

TEST(ReadCsvTest, ManyRecords) {
  std::string data = "id,email\n";
  for (int i = 1; i <= 10000; ++i)
    data += std::to_string(i) + ",u" + std::to_string(i) + "@x.com\n";
  int64_t count = 0;
  Status s = ReadCsv(data, 0, [&](CsvRecord&& r) {
    if (count > 0 && (r.line != count + 1 || r.cells[0] != std::to_string(count))) {
      return Status::Internal("bad record at line " + std::to_string(r.line));
    }
    ++count;
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(count, 10001);
}

TEST(SnakeCaseTest, SpecExamples) {
  EXPECT_EQ(SnakeCase("Job Title"), "job_title");
  EXPECT_EQ(SnakeCase("Annual Revenue ($)"), "annual_revenue");
  EXPECT_EQ(SnakeCase("  Lead   Source "), "lead_source");
  EXPECT_EQ(SnakeCase("companySize"), "company_size");
  EXPECT_EQ(SnakeCase("E-mail"), "e_mail");
  EXPECT_EQ(SnakeCase("Converted"), "converted");
  EXPECT_EQ(SnakeCase("TotalVisits"), "total_visits");
  EXPECT_EQ(SnakeCase("What is your current occupation"), "what_is_your_current_occupation");
  EXPECT_EQ(SnakeCase("ABCDef"), "abc_def");
}

TEST(SnakeCaseTest, EdgeCases) {
  EXPECT_EQ(SnakeCase(""), "");
  EXPECT_EQ(SnakeCase("($)"), "");
  EXPECT_EQ(SnakeCase("already_snake"), "already_snake");
  EXPECT_EQ(SnakeCase("__x__"), "x");
  EXPECT_EQ(SnakeCase("LeadID"), "lead_id");
  EXPECT_EQ(SnakeCase("Page Views Per Visit"), "page_views_per_visit");
  EXPECT_EQ(SnakeCase("address2Line"), "address2_line");
  EXPECT_EQ(SnakeCase("Lead Score (0-100)"), "lead_score_0_100");
}

TEST(IsValidUtf8Test, Good) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Jos\xC3\xA9"));       // é
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));
}

TEST(IsValidUtf8Test, Bad) {
  EXPECT_FALSE(IsValidUtf8("Jos\xE9"));           // Latin-1
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x28\xA1"));  // bad continuation
}

}  // namespace
}  // namespace leadgate::ingest
