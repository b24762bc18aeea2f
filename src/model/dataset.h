// A table of lead features with a binary label, read from a CSV file (or, in
// a later step, from the store's won/lost history). Columns are typed once:
// numeric when every present value is a number (or every one a date, kept
// as days since 1970), categorical otherwise. Missing cells ("", NA, N/A,
// NULL, null, NaN, Select) are NaN / code -1.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace leadgate::model {

struct Column {
  std::string name;
  bool numeric = false;
  std::vector<double> num;          // numeric: one per row, NaN when missing
  std::vector<int32_t> code;        // categorical: index into `levels`, -1 when missing
  std::vector<std::string> levels;  // categorical: distinct values in order of first sight
  int64_t missing = 0;
};

struct Dataset {
  std::vector<Column> columns;  // features only (label, dropped and time column removed)
  std::vector<uint8_t> y;       // 1 = positive
  std::vector<int64_t> line;    // the CSV line each row came from
  std::vector<int64_t> record;  // its data record's index in the file (0 = first after the header)
  std::vector<double> time;     // --time-column values (days or numbers), empty when not asked
  std::string label, positive;  // the label column and the value read as positive
  int64_t skipped_label = 0;  // rows skipped: label missing (or neither --positive nor --negative)
  std::vector<std::string> warnings;

  size_t rows() const { return y.size(); }
  int64_t positives() const;
};

struct CsvOptions {
  std::string label;
  std::string positive;           // "" = infer (1/true/yes of two values)
  std::string negative;           // "" = every other present value is negative
  std::vector<std::string> drop;  // columns not to use (header names as written)
  std::string time_column;        // "" = none
  char delimiter = 0;             // 0 = auto-detect
};

bool IsMissing(std::string_view cell);

// Reads a whole CSV file. Errors name the file and line: unreadable lines,
// rows with the wrong number of cells, an unknown label/drop/time column, a
// label with one class, a --positive that is not a value of the label.
Result<Dataset> ReadCsvDataset(const std::string& path, const CsvOptions& opt);
Result<Dataset> ParseCsvDataset(std::string_view data, const std::string& name,
                                const CsvOptions& opt);

// Checks that the table can be learned from: both classes present, at least
// one feature column that is not all missing or constant.
Status CheckLearnable(const Dataset& d, int min_per_class);

}  // namespace leadgate::model
