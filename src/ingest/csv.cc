#include "ingest/csv.h"

// Angle brackets on purpose: "csv.h" would find this directory's own csv.h.
#include <csv.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace leadgate::ingest {
namespace {

constexpr char kQuote = '"';
// libcsv is fed at most this many bytes per csv_parse call, and its field
// buffer grows by at least this much (see ReadCsv).
constexpr size_t kMaxChunk = size_t{64} << 10;

bool IsLineBreak(char c) { return c == '\r' || c == '\n'; }

// Bytes libcsv skips before a record begins (it skips them before every field
// too, which is why a line of only spaces counts as blank).
bool IsSkippedBeforeRecord(char c, char delimiter) {
  return IsLineBreak(c) || ((c == ' ' || c == '\t') && c != delimiter);
}

char DetectDelimiter(std::string_view data) {
  size_t i = 0;
  while (i < data.size() && IsSkippedBeforeRecord(data[i], '\0')) ++i;
  size_t commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (; i < data.size(); ++i) {
    const char c = data[i];
    if (c == kQuote) {
      quoted = !quoted;  // a doubled quote toggles twice
    } else if (quoted) {
      continue;
    } else if (IsLineBreak(c)) {
      break;
    } else if (c == ',') {
      ++commas;
    } else if (c == ';') {
      ++semicolons;
    } else if (c == '\t') {
      ++tabs;
    }
  }
  if (tabs > commas && tabs > semicolons) return '\t';
  return semicolons > commas ? ';' : ',';
}

// Number of line breaks (LF, CRLF or lone CR) in data[from, to).
int64_t CountLineBreaks(std::string_view data, size_t from, size_t to) {
  int64_t n = 0;
  for (size_t i = from; i < to; ++i) {
    if (data[i] == '\n' || (data[i] == '\r' && (i + 1 >= data.size() || data[i + 1] != '\n'))) {
      ++n;
    }
  }
  return n;
}

// Offset of the quote that opened the last quoted field begun in
// data[start, end) of a record starting at `start`. Only used on the error
// path, after libcsv in strict mode has accepted everything before `end`, so
// simple quote tracking suffices.
size_t FindOpenQuote(std::string_view data, size_t start, size_t end, char delimiter) {
  bool field_start = true, quoted = false;
  size_t open = start;
  for (size_t i = start; i < end; ++i) {
    const char c = data[i];
    if (quoted) {
      if (c != kQuote) continue;
      if (i + 1 < end && data[i + 1] == kQuote) {
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == delimiter) {
      field_start = true;
    } else if (field_start && c == kQuote) {
      quoted = true;
      open = i;
      field_start = false;
    } else if (!(field_start && (c == ' ' || c == '\t'))) {
      field_start = false;
    }
  }
  return open;
}

// Offset of the line break ending the line that holds data[at] (data.size()
// if none), and of the first byte of the next line.
std::pair<size_t, size_t> LineEnd(std::string_view data, size_t at) {
  size_t brk = at;
  while (brk < data.size() && !IsLineBreak(data[brk])) ++brk;
  size_t next = brk;
  if (next < data.size()) {
    next += data[next] == '\r' && next + 1 < data.size() && data[next + 1] == '\n' ? 2 : 1;
  }
  return {brk, next};
}

// What libcsv's callbacks write into (its `void* data`).
struct ParseState {
  std::vector<std::string> cells;
  bool record_ended = false;
};

void OnField(void* field, size_t len, void* data) {
  auto* state = static_cast<ParseState*>(data);
  state->cells.emplace_back(static_cast<const char*>(field), len);
}

void OnRecordEnd(int /*terminator*/, void* data) {
  static_cast<ParseState*>(data)->record_ended = true;
}

class Parser {
 public:
  Parser() { csv_init(&p_, CSV_STRICT | CSV_STRICT_FINI); }
  ~Parser() { csv_free(&p_); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  csv_parser* get() { return &p_; }

 private:
  csv_parser p_;
};

}  // namespace

Status ReadCsv(std::string_view data, char delimiter,
               const std::function<Status(CsvRecord&&)>& on_record) {
  return ReadCsv(data, delimiter, on_record, [](CsvError&& e) {
    return Status::Invalid("line " + std::to_string(e.line) + ": " + e.reason);
  });
}

Status ReadCsv(std::string_view data, char delimiter,
               const std::function<Status(CsvRecord&&)>& on_record,
               const std::function<Status(CsvError&&)>& on_error) {
  if (data.substr(0, 3) == "\xEF\xBB\xBF") data.remove_prefix(3);
  if (delimiter == 0) delimiter = DetectDelimiter(data);
  if (delimiter == kQuote || IsLineBreak(delimiter)) {
    return Status::Invalid("invalid CSV delimiter (a quote or line break)");
  }

  std::optional<Parser> parser;
  csv_parser* p = nullptr;
  ParseState state;

  // libcsv reports neither offsets nor line numbers, so it is fed one piece at
  // a time, each ending at a CR or LF (or capped at kMaxChunk bytes). A record
  // can only end at a CR/LF, so if one ended during a call it ended at that
  // call's last byte, and the record's offsets and lines are known here.
  const size_t n = data.size();
  size_t pos = 0;
  int64_t line = 1;       // line number of data[pos]
  size_t line_start = 0;  // offset of that line's first byte
  bool in_record = false;
  size_t record_start = 0;
  int64_t record_line = 0;
  // The first CR and LF at or after pos (npos if none), or earlier ones.
  size_t next_cr = data.find('\r'), next_lf = data.find('\n');
  size_t last_cells = 0;

  // (Re)starts parsing at `offset`, the first byte of line `at_line`.
  auto restart = [&](size_t offset, int64_t at_line) {
    parser.reset();
    parser.emplace();
    p = parser->get();
    csv_set_delim(p, static_cast<unsigned char>(delimiter));
    state.cells.clear();
    state.record_ended = false;
    in_record = false;
    // Rewinding: only the skipped-back bytes need a new search (a search from
    // `offset` to the end would make many errors quadratic).
    if (offset < pos) {
      auto before = [&](char c, size_t cached) {
        const size_t hit = data.substr(0, std::min(pos, n)).find(c, offset);
        return hit == std::string_view::npos ? cached : hit;
      };
      next_cr = before('\r', next_cr);
      next_lf = before('\n', next_lf);
    }
    pos = offset;
    line = at_line;
    line_start = offset;
  };

  auto emit = [&](size_t end) -> Status {
    CsvRecord record;
    record.line = record_line;
    record.cells = std::move(state.cells);
    record.raw.assign(data.substr(record_start, end - record_start));
    last_cells = record.cells.size();
    state.cells = {};
    state.cells.reserve(last_cells);
    state.record_ended = false;
    in_record = false;
    return on_record(std::move(record));
  };

  // Reports the record in progress as malformed: skipped up to the end of the
  // line holding data[upto], reading resumes on the next line.
  auto skip = [&](size_t upto, std::string reason) -> Status {
    const auto [brk, next] = LineEnd(data, upto);
    const int64_t resume = record_line + CountLineBreaks(data, record_start, next);
    CsvError e;
    e.line = record_line;
    e.resume_line = resume;
    e.reason = std::move(reason);
    e.raw.assign(data.substr(record_start, brk - record_start));
    if (Status s = on_error(std::move(e)); !s.ok()) return s;
    restart(next, resume);
    return Status::Ok();
  };

  // "line 5, column 3" (or "column 3" when on the record's first line).
  auto where = [&](size_t at) {
    const int64_t at_line = record_line + CountLineBreaks(data, record_start, at);
    size_t col_start = at;
    while (col_start > 0 && !IsLineBreak(data[col_start - 1])) --col_start;
    std::string col = "column " + std::to_string(at - col_start + 1);
    return at_line == record_line ? col : "line " + std::to_string(at_line) + ", " + col;
  };
  auto line_of = [&](size_t at) { return record_line + CountLineBreaks(data, record_start, at); };

  restart(0, 1);
  state.cells.reserve(16);
  for (;;) {
    while (pos < n) {
      if (next_cr < pos) next_cr = data.find('\r', pos);
      if (next_lf < pos) next_lf = data.find('\n', pos);
      const size_t brk = std::min(next_cr, next_lf);  // npos if none
      const size_t end = brk == std::string_view::npos || brk - pos >= kMaxChunk
                             ? std::min(n, pos + kMaxChunk)
                             : brk + 1;

      if (!in_record) {
        for (size_t i = pos; i < end; ++i) {
          if (!IsSkippedBeforeRecord(data[i], delimiter)) {
            in_record = true;
            record_start = line_start;
            record_line = line;
            break;
          }
        }
      }

      // libcsv grows its field buffer by blk_size bytes (128 by default) per
      // realloc; growing by the current size instead keeps huge cells linear.
      csv_set_blk_size(p, std::max(kMaxChunk, csv_get_buffer_size(p)));
      const size_t len = end - pos;
      const size_t done = csv_parse(p, data.data() + pos, len, OnField, OnRecordEnd, &state);
      if (done < len) {
        const int err = csv_error(p);
        const size_t at = pos + done;  // the byte libcsv refused
        if (err != CSV_EPARSE) {
          return Status::Internal("line " + std::to_string(line) +
                                  ": CSV parser failed: " + csv_strerror(err));
        }
        Status s;
        if (!p->quoted) {
          s = skip(at, "'\"' inside an unquoted field (" + where(at) + ")");
        } else {
          const size_t open = FindOpenQuote(data, record_start, at, delimiter);
          if (line_of(open) == line) {
            s = skip(at, "unexpected text after a closing quote (" + where(at) + ")");
          } else {
            // The field ran over line breaks to a quote that text follows: most
            // likely an opening quote of some later row closed a field that was
            // never closed. Take it as unterminated and read its next lines again.
            size_t close = at - 1;  // the quote, before any spaces
            while (close > open && data[close] != kQuote) --close;
            s = skip(open, "unterminated quoted field (opened at " + where(open) +
                               "; the next quote, at " + where(close) + ", is followed by text)");
          }
        }
        if (!s.ok()) return s;
        continue;
      }

      if (state.record_ended) {
        if (Status s = emit(end - 1); !s.ok()) return s;
      }

      const char last = data[end - 1];
      if (last == '\n' || (last == '\r' && (end == n || data[end] != '\n'))) {
        ++line;
        line_start = end;
      }
      pos = end;
    }

    if (csv_fini(p, OnField, OnRecordEnd, &state) != 0) {
      const size_t open = FindOpenQuote(data, record_start, n, delimiter);
      if (Status s = skip(open, "unterminated quoted field (opened at " + where(open) + ")");
          !s.ok()) {
        return s;
      }
      continue;  // read the lines after the opening quote's again
    }
    if (state.record_ended) return emit(n);
    return Status::Ok();
  }
}

std::string SnakeCase(std::string_view header) {
  auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto is_lower = [](char c) { return c >= 'a' && c <= 'z'; };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_alnum = [&](char c) { return is_upper(c) || is_lower(c) || is_digit(c); };

  std::string out;
  out.reserve(header.size() + 4);
  bool pending_sep = false;
  for (size_t i = 0; i < header.size(); ++i) {
    const char c = header[i];
    if (!is_alnum(c)) {
      pending_sep = true;
      continue;
    }
    if (is_upper(c) && i > 0) {
      const char prev = header[i - 1];
      const bool next_lower = i + 1 < header.size() && is_lower(header[i + 1]);
      if (is_lower(prev) || is_digit(prev) || (is_upper(prev) && next_lower)) pending_sep = true;
    }
    if (pending_sep && !out.empty()) out.push_back('_');
    pending_sep = false;
    out.push_back(is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

bool IsValidUtf8(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = b[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (n - i < len || b[i + 1] < lo || b[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if ((b[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace leadgate::ingest
