// RFC 4180 CSV reading for CRM lead exports, built on libcsv (Debian's
// libcsv-dev; link with -lcsv). Adds what libcsv lacks: line numbers, the raw
// text of each record (for a rejects file), BOM stripping, delimiter
// auto-detection and error messages that say where the problem is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace leadgate::ingest {

struct CsvRecord {
  int64_t line = 0;                // 1-based physical line number where the record starts
  std::vector<std::string> cells;  // unquoted cell values
  std::string raw;                 // the record's original text (without the trailing line break)
};

// Parses `data` (a whole file's bytes) and calls `on_record` for each record in
// order, the header included as the first record. If `on_record` returns a
// non-OK status, ReadCsv stops and returns it.
//
// - A leading UTF-8 BOM is stripped. Line breaks may be LF, CRLF or a lone CR.
// - Quoted fields may contain doubled quotes, delimiters and line breaks (kept
//   as they are in the cell); line numbers of later records stay right.
// - Blank lines, including lines of only spaces/tabs, are skipped.
// - Spaces and tabs around a field are dropped (libcsv's behaviour); inside
//   quotes they are kept.
// - `delimiter` 0 auto-detects from the first line: tab if it has more tabs
//   than ',' and ';' (outside quotes), else ';' if it has more ';' than ',',
//   else ','. The delimiter may not be '"', CR or LF.
// - The first structural error stops the reading: ReadCsv returns
//   Status::Invalid naming the line, e.g. "line 17: unterminated quoted field
//   (opened at line 17, column 4)" or "line 4: '\"' inside an unquoted field
//   (column 9)". The overload with `on_error` below skips the bad record and
//   goes on instead.
// - Cell bytes are passed through untouched; use IsValidUtf8 to reject rows.
Status ReadCsv(std::string_view data, char delimiter,
               const std::function<Status(CsvRecord&&)>& on_record);

// A malformed record that ReadCsv skipped (see the overload with on_error).
struct CsvError {
  int64_t line = 0;         // 1-based line where the skipped text starts (its record's first line)
  int64_t resume_line = 0;  // the line where reading resumed
  std::string reason;       // e.g. "'\"' inside an unquoted field (column 9)"
  std::string raw;          // the skipped text (without the trailing line break)
};

// As above, but a structural error does not stop the reading: the malformed
// record is passed to `on_error` and reading resumes on the next physical line,
// so that one bad row does not lose the rows after it:
// - a stray quote in an unquoted field, or text after a closing quote in a
//   field opened on the same line: the record up to the end of that line is
//   skipped;
// - a quoted field that is never closed (it would swallow the rest of the
//   file), or whose closing quote is on a later line and followed by text (a
//   quote of some later row "closed" it): the field is taken as unterminated;
//   the record up to the end of the line where the quote opened is skipped and
//   the lines after it are read again as new records.
// If `on_record` or `on_error` returns a non-OK status, ReadCsv stops and
// returns it.
Status ReadCsv(std::string_view data, char delimiter,
               const std::function<Status(CsvRecord&&)>& on_record,
               const std::function<Status(CsvError&&)>& on_error);

// Header normalisation: "Job Title" -> "job_title", "Annual Revenue ($)" ->
// "annual_revenue", "companySize" -> "company_size", "ABCDef" -> "abc_def",
// "E-mail" -> "e_mail". Runs of characters other than ASCII letters and digits
// become one '_' (so non-ASCII letters act as separators), leading/trailing '_'
// are trimmed, camelCase is split at lower/digit -> Upper boundaries and before
// the last capital of an acronym followed by a lower-case letter, and the
// result is lower-cased. May return "" (e.g. for "($)").
std::string SnakeCase(std::string_view header);

// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace leadgate::ingest
