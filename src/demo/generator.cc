#include "demo/generator.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/splitmix.h"

namespace leadgate::demo {
namespace {

// ---------------------------------------------------------------------------
// Randomness. SplitMix64 with one 8-byte state per lead keeps per-lead
// streams cheap and independent: a lead's data never depends on how many
// other leads or events there are. Only integer arithmetic is used, so the
// results are the same everywhere.
// ---------------------------------------------------------------------------

constexpr uint64_t kGolden = kSplitMixGamma;

constexpr uint64_t Mix64(uint64_t z) { return SplitMixFinish(z); }

// Seed of an independent stream for (seed, lead number, purpose).
constexpr uint64_t StreamSeed(uint64_t seed, uint64_t number, uint64_t salt) {
  return Mix64(Mix64(seed ^ salt) + number * kGolden);
}

// FNV-1a, mixed: a fixed string hash (std::hash differs between libraries).
constexpr uint64_t HashString(std::string_view s, uint64_t h) {
  h ^= 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

// __extension__: a GCC/Clang type, and no -Wpedantic warning for using it.
__extension__ typedef unsigned __int128 Uint128;

class Rng {
 public:
  explicit Rng(uint64_t state) : state_(state) {}
  uint64_t state() const { return state_; }

  uint64_t Next() {
    state_ += kGolden;
    return Mix64(state_);
  }
  // Uniform in [0, n) for n > 0 (multiply-high; the bias is negligible here).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<Uint128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool PerMille(uint64_t p) { return Below(1000) < p; }

  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(items.size())];
  }

 private:
  uint64_t state_;
};

// A discrete distribution given by integer weights, drawn by a linear scan
// of the cumulative weights.
template <std::size_t N>
class WeightTable {
 public:
  constexpr explicit WeightTable(const std::array<uint32_t, N>& weights) {
    uint32_t sum = 0;
    for (std::size_t i = 0; i < N; ++i) {
      sum += weights[i];
      cumulative_[i] = sum;
    }
  }
  std::size_t Pick(Rng& rng) const {
    const uint64_t r = rng.Below(cumulative_[N - 1]);
    std::size_t i = 0;
    while (r >= cumulative_[i]) ++i;
    return i;
  }

 private:
  std::array<uint32_t, N> cumulative_{};
};

using Names = std::span<const std::string_view>;

// ---------------------------------------------------------------------------
// People: names by locale, countries, titles by persona, employers.
// ---------------------------------------------------------------------------

enum Locale : uint8_t { kEn, kDe, kFr, kEs, kNordic, kIn, kJp, kBr, kLocaleCount };

// clang-format off
constexpr std::string_view kFirstEn[] = {
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Sarah", "William", "Emily", "Daniel", "Jessica", "Thomas", "Ashley", "Chris", "Karen",
    "Matthew", "Olivia", "Ryan", "Megan", "Kevin", "Grace", "Liam", "Sophie", "Ethan", "Chloe",
    "Noah", "Hannah", "Priya", "Wei"};
constexpr std::string_view kLastEn[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
    "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker",
    "Nguyen", "Chen", "O'Brien", "Murphy"};
constexpr std::string_view kFirstDe[] = {
    "Lukas", "Anna", "Jonas", "Lena", "Felix", "Marie", "Jürgen", "Katrin", "Stefan", "Sabine",
    "Andreas", "Claudia", "Björn", "Jörg", "Julia", "Maximilian"};
constexpr std::string_view kLastDe[] = {
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Schröder", "Krüger", "Neumann", "Zimmermann"};
constexpr std::string_view kFirstFr[] = {
    "Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès", "Antoine", "Julie",
    "Nicolas", "Céline", "Mathieu", "Amélie", "Théo", "Claire"};
constexpr std::string_view kLastFr[] = {
    "Martin", "Bernard", "Dubois", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre",
    "Michel", "Bertrand", "Roux", "Vincent", "Fournier", "Petit", "Girard"};
constexpr std::string_view kFirstEs[] = {
    "Sofía", "Lucía", "Martín", "Mateo", "Pablo", "Carmen", "Javier", "Elena", "Alejandro",
    "María", "Diego", "José", "Marta", "Álvaro", "Irene", "Raúl"};
constexpr std::string_view kLastEs[] = {
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Jiménez", "Ruiz", "Díaz", "Moreno", "Muñoz", "Romero", "Navarro"};
constexpr std::string_view kFirstNordic[] = {
    "Daan", "Emma", "Sem", "Lars", "Sanne", "Erik", "Sven", "Ingrid", "Pieter", "Femke", "Johan",
    "Astrid", "Mats", "Elin", "Bram", "Lotte"};
constexpr std::string_view kLastNordic[] = {
    "de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Lindqvist", "Hansen",
    "van Dijk"};
constexpr std::string_view kFirstIn[] = {
    "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rahul", "Divya",
    "Amit", "Pooja", "Karthik", "Neha", "Sanjay", "Meera"};
constexpr std::string_view kLastIn[] = {
    "Sharma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Iyer", "Nair", "Mehta", "Shah", "Rao",
    "Joshi", "Verma", "Menon", "Chopra", "Das"};
constexpr std::string_view kFirstJp[] = {
    "Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Kenji", "Yuki", "Takumi", "Sakura", "Daiki",
    "Mei"};
constexpr std::string_view kLastJp[] = {
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
    "Kobayashi", "Kato", "Yoshida", "Yamada"};
constexpr std::string_view kFirstBr[] = {
    "Gabriel", "Ana", "Lucas", "Beatriz", "Pedro", "Juliana", "Rafael", "Fernanda", "Thiago",
    "Camila", "Bruno", "Larissa", "João", "Mariana"};
constexpr std::string_view kLastBr[] = {
    "Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Almeida", "Ferreira",
    "Rodrigues", "Carvalho", "Gomes", "Ribeiro", "Araújo", "Barbosa"};
// clang-format on

constexpr std::array<Names, kLocaleCount> kFirstNames = {
    kFirstEn, kFirstDe, kFirstFr, kFirstEs, kFirstNordic, kFirstIn, kFirstJp, kFirstBr};
constexpr std::array<Names, kLocaleCount> kLastNames = {kLastEn,     kLastDe, kLastFr, kLastEs,
                                                        kLastNordic, kLastIn, kLastJp, kLastBr};

struct Country {
  std::string_view code;
  Locale locale;
  std::string_view phone;  // '#' is replaced by a digit
  std::string_view tld;    // of local company domains
  std::string_view legal;  // usual legal form, appended to some company names
};

// clang-format off
constexpr Country kCountries[] = {
    {"US", kEn, "+1 ### 555 01##", ".com", ", Inc."},
    {"GB", kEn, "+44 20 7946 0###", ".co.uk", " Ltd"},
    {"DE", kDe, "+49 30 #######", ".de", " GmbH"},
    {"FR", kFr, "+33 1 ## ## ## ##", ".fr", " SAS"},
    {"CA", kEn, "+1 ### 555 01##", ".ca", ", Inc."},
    {"ES", kEs, "+34 91 ### ## ##", ".es", " S.L."},
    {"NL", kNordic, "+31 20 ### ####", ".nl", " B.V."},
    {"AU", kEn, "+61 2 #### ####", ".com.au", " Pty Ltd"},
    {"IE", kEn, "+353 1 ### ####", ".ie", " Ltd"},
    {"SE", kNordic, "+46 8 ### ## ##", ".se", " AB"},
    {"IN", kIn, "+91 22 #### ####", ".in", " Pvt. Ltd."},
    {"BR", kBr, "+55 11 ####-####", ".com.br", " Ltda."},
    {"JP", kJp, "+81 3 #### ####", ".jp", " K.K."},
};
// clang-format on
constexpr WeightTable<std::size(kCountries)> kCountryTable({38, 13, 10, 7, 7, 5, 4, 4, 2, 2, 4, 2,
                                                            2});

enum class Persona : uint8_t {
  kDecisionMaker,
  kInfluencer,
  kIndividual,  // analysts, specialists, administrators, engineers
  kStudent,
  kJournalist,
  kJobSeeker,
  kCompetitor,
};
constexpr std::size_t kPersonaCount = 7;
constexpr WeightTable<kPersonaCount> kPersonaTable({200, 240, 290, 80, 35, 140, 15});

// clang-format off
constexpr std::string_view kTitlesDecisionMaker[] = {
    "VP of Sales", "VP Marketing", "Vice President, Revenue Operations", "SVP Sales",
    "Director of Sales", "Director of Marketing", "Director, Demand Generation",
    "Senior Director, Sales Operations", "Head of Growth", "Head of Sales", "Head of Marketing",
    "Head of RevOps", "Chief Revenue Officer", "Chief Marketing Officer", "CEO", "CMO", "Founder",
    "Co-Founder & CEO", "Owner", "Managing Director"};
constexpr std::string_view kTitlesInfluencer[] = {
    "Sales Manager", "Marketing Manager", "Marketing Operations Manager",
    "Revenue Operations Manager", "Demand Generation Manager", "Sales Operations Manager",
    "Product Marketing Manager", "Account Manager", "Team Lead, Inside Sales", "SDR Team Lead",
    "Growth Lead", "CRM Lead", "Sales Supervisor"};
constexpr std::string_view kTitlesIndividual[] = {
    "Sales Operations Analyst", "Marketing Analyst", "Business Analyst", "Data Analyst",
    "Account Executive", "Sales Development Representative", "Marketing Specialist",
    "Marketing Coordinator", "CRM Administrator", "Salesforce Administrator",
    "Operations Associate", "Consultant", "Software Engineer", "Customer Success Specialist"};
constexpr std::string_view kTitlesStudent[] = {
    "Student", "MBA Student", "Graduate Student", "PhD Candidate", "Marketing Intern",
    "Sales Intern", "Business Intern", "Undergraduate Student"};
constexpr std::string_view kTitlesJournalist[] = {
    "Journalist", "Technology Reporter", "Senior Reporter", "Editor", "Contributing Editor",
    "Freelance Journalist", "Business Correspondent"};
constexpr std::string_view kTitlesJobSeeker[] = {
    "Sales Development Representative", "Account Executive", "Marketing Coordinator",
    "Recent Graduate", "Customer Success Associate", "Software Engineer", "Open to Work",
    "Business Development Representative"};
constexpr std::string_view kTitlesCompetitor[] = {
    "Product Marketing Manager", "Competitive Intelligence Analyst", "Solutions Engineer",
    "Product Manager", "Sales Engineer"};
// clang-format on
constexpr std::array<Names, kPersonaCount> kTitles = {
    kTitlesDecisionMaker, kTitlesInfluencer, kTitlesIndividual, kTitlesStudent,
    kTitlesJournalist,    kTitlesJobSeeker,  kTitlesCompetitor};

// clang-format off
constexpr std::string_view kCompanyWords[] = {
    "Acorn", "Bluepeak", "Brightline", "Cedar", "Clearwater", "Cobalt", "Copper", "Crescent",
    "Evergreen", "Falcon", "Granite", "Harbor", "Horizon", "Ironwood", "Juniper", "Keystone",
    "Lighthouse", "Maple", "Meridian", "Northwind", "Nova", "Oakridge", "Orion", "Pinnacle",
    "Polaris", "Quantum", "Redwood", "Riverbend", "Sable", "Silverline", "Summit", "Sterling",
    "Tidewater", "Trident", "Vertex", "Willow", "Zenith", "Atlas", "Beacon", "Bluebird",
    "Catalyst", "Driftwood"};
constexpr std::string_view kSuffixSoftware[] = {
    "Software", "Labs", "Systems", "Cloud", "Data", "Technologies", "Digital", "Analytics"};
constexpr std::string_view kSuffixFinance[] = {
    "Capital", "Financial", "Bank", "Insurance", "Payments", "Wealth"};
constexpr std::string_view kSuffixHealthcare[] = {
    "Health", "Medical", "Clinics", "Pharma", "Biotech", "Care"};
constexpr std::string_view kSuffixRetail[] = {"Retail", "Stores", "Outfitters", "Market", "Brands"};
constexpr std::string_view kSuffixManufacturing[] = {
    "Manufacturing", "Industries", "Works", "Components", "Machinery", "Plastics"};
constexpr std::string_view kSuffixLogistics[] = {"Logistics", "Freight", "Shipping", "Transport"};
constexpr std::string_view kSuffixConsulting[] = {"Consulting", "Advisors", "Associates", "Partners"};
constexpr std::string_view kSuffixEnergy[] = {"Energy", "Power", "Solar"};
constexpr std::string_view kSuffixRealEstate[] = {"Properties", "Realty", "Estates"};
constexpr std::string_view kSuffixMedia[] = {"Media", "Studios", "Publishing"};
constexpr std::string_view kSuffixEducation[] = {"Learning", "Academy", "Education"};
// clang-format on

struct Industry {
  std::string_view name;
  Names suffixes;  // company names in this industry end with one of these
};
constexpr Industry kIndustries[] = {
    {"software", kSuffixSoftware},           {"finance", kSuffixFinance},
    {"healthcare", kSuffixHealthcare},       {"retail", kSuffixRetail},
    {"manufacturing", kSuffixManufacturing}, {"logistics", kSuffixLogistics},
    {"consulting", kSuffixConsulting},       {"energy", kSuffixEnergy},
    {"real_estate", kSuffixRealEstate},      {"media", kSuffixMedia},
    {"education", kSuffixEducation},
};
constexpr WeightTable<std::size(kIndustries)> kIndustryTable({22, 14, 12, 10, 12, 6, 8, 4, 4, 4,
                                                              4});

struct Organization {  // an employer with a fixed name, domain, industry and size
  std::string_view name;
  std::string_view domain;
  std::string_view industry;
  int64_t size;
};
// US-style universities first: students elsewhere than GB and DE use these.
constexpr Organization kUniversities[] = {
    {"Northfield University", "northfield.edu", "education", 18000},
    {"Lakeside State University", "lakesidestate.edu", "education", 12500},
    {"Riverside College", "riversidecollege.edu", "education", 2400},
    {"Westbrook Institute of Technology", "westbrook.edu", "education", 9000},
    {"University of Bramford", "bramford.ac.uk", "education", 7600},
    {"Hochschule Lindenau", "hs-lindenau.de", "education", 3100},
};
constexpr Organization kMediaOutlets[] = {
    {"The Daily Ledger", "dailyledger.com", "media", 450},
    {"TechWire", "techwire.news", "media", 120},
    {"Business Insight Weekly", "biweekly.com", "media", 300},
    {"The Revenue Report", "revenuereport.co", "media", 25},
    {"SaaS Times", "saastimes.io", "media", 60},
};
constexpr Organization kCompetitors[] = {
    {"RivalCorp", "rivalcorp.com", "software", 850},
    {"OtherCRM, Inc.", "othercrm.com", "software", 3200},
};
constexpr std::string_view kFreeMail[] = {"gmail.com",   "gmail.com",   "yahoo.com",
                                          "outlook.com", "hotmail.com", "icloud.com"};
constexpr std::string_view kLeadSources[] = {"webinar",  "organic", "paid_search",
                                             "referral", "event",   "linkedin"};

// ---------------------------------------------------------------------------
// Lead profiles.
// ---------------------------------------------------------------------------

enum class EmailStyle : uint8_t {
  kFirstDotLast,
  kInitialLast,
  kFirst,
  kFirstLast,
  kFirstUnderLast
};
constexpr WeightTable<5> kEmailStyleTable({55, 20, 10, 10, 5});

// What a later identify event changes.
enum class Update : uint8_t { kNone, kPhone, kTitle, kSize };

// Everything about a lead, derived from (options, number) alone. Holds only
// views into static tables, so making one allocates nothing.
struct Profile {
  Persona persona = Persona::kIndividual;
  uint8_t tier = 0;  // activity level: 0 (cold) to 4 (very hot)
  const Country* country = nullptr;
  std::string_view first_name, last_name, job_title, industry, lead_source;
  // Company name: company_a [+ " " + company_b] + legal. Email domain:
  // org_domain if set, else company_a + company_b + tld.
  std::string_view company_a, company_b, legal, org_domain, tld;
  int64_t company_size = 0;    // 0: unknown, not sent
  std::string_view free_mail;  // a personal address instead of a work one
  EmailStyle email_style = EmailStyle::kFirstDotLast;
  uint32_t email_digits = 0;  // jane.doe42@gmail.com; 0 for none
  bool has_phone = false;
  uint64_t phone_digits = 0;
  int64_t created_at = 0;
  Update update = Update::kNone;
  std::string_view new_title;
  int64_t new_size = 0;
};

constexpr uint64_t kSaltProfile = 0x70726f66696c65ULL;
constexpr uint64_t kSaltActivity = 0x6163746976697479ULL;
constexpr uint64_t kSaltMessage = 0x6d65737361676573ULL;

int64_t WindowSeconds(const GenOptions& opt) { return int64_t{std::max(opt.days, 1)} * 86400; }

int64_t CompanySize(Rng& rng) {
  // Most B2B leads work at small and mid-sized companies.
  static constexpr WeightTable<6> kBands({15, 20, 25, 20, 13, 7});
  static constexpr int64_t kBounds[6][2] = {{1, 10},     {11, 49},     {50, 200},
                                            {201, 1000}, {1001, 5000}, {5001, 20000}};
  const std::size_t band = kBands.Pick(rng);
  return rng.Range(kBounds[band][0], kBounds[band][1]);
}

const Organization* PickOrganization(Persona persona, const Country& country, Rng& rng) {
  switch (persona) {
    case Persona::kStudent:
      if (country.code == "GB") return &kUniversities[4];
      if (country.code == "DE") return &kUniversities[5];
      return &kUniversities[rng.Below(4)];
    case Persona::kJournalist:
      return &rng.Pick(std::span<const Organization>(kMediaOutlets));
    case Persona::kCompetitor:
      return &rng.Pick(std::span<const Organization>(kCompetitors));
    default:
      return nullptr;
  }
}

Profile MakeProfile(const GenOptions& opt, int64_t number) {
  // Per persona: tier weights, lead source weights (webinar, organic,
  // paid_search, referral, event, linkedin), and per-mille chances of a
  // personal email address and of a phone number.
  struct PersonaTraits {
    WeightTable<5> tiers;
    WeightTable<6> sources;
    uint32_t free_mail;
    uint32_t phone;
  };
  static constexpr PersonaTraits kTraits[kPersonaCount] = {
      {WeightTable<5>({300, 300, 220, 120, 60}), WeightTable<6>({20, 20, 15, 15, 15, 15}), 60,
       450},  // decision maker
      {WeightTable<5>({330, 300, 220, 100, 50}), WeightTable<6>({22, 22, 20, 8, 10, 18}), 100,
       400},  // influencer
      {WeightTable<5>({420, 320, 180, 60, 20}), WeightTable<6>({18, 30, 22, 5, 8, 17}), 120,
       300},  // individual contributor
      {WeightTable<5>({500, 300, 150, 50, 0}), WeightTable<6>({10, 60, 10, 5, 5, 10}), 300,
       100},  // student
      {WeightTable<5>({400, 350, 200, 50, 0}), WeightTable<6>({15, 40, 5, 10, 25, 5}), 150,
       300},  // journalist
      {WeightTable<5>({450, 300, 200, 50, 0}), WeightTable<6>({2, 45, 8, 5, 5, 35}), 800,
       350},  // job seeker
      {WeightTable<5>({200, 300, 300, 150, 50}), WeightTable<6>({30, 30, 20, 0, 15, 5}), 0,
       100},  // competitor
  };

  Rng rng(StreamSeed(opt.seed, static_cast<uint64_t>(number), kSaltProfile));
  Profile p;
  p.persona = static_cast<Persona>(kPersonaTable.Pick(rng));
  const std::size_t persona = static_cast<std::size_t>(p.persona);
  const PersonaTraits& traits = kTraits[persona];
  p.tier = static_cast<uint8_t>(traits.tiers.Pick(rng));
  p.country = &kCountries[kCountryTable.Pick(rng)];
  p.first_name = rng.Pick(kFirstNames[p.country->locale]);
  p.last_name = rng.Pick(kLastNames[p.country->locale]);
  p.job_title = rng.Pick(kTitles[persona]);
  p.lead_source = kLeadSources[traits.sources.Pick(rng)];

  const Organization* org = PickOrganization(p.persona, *p.country, rng);
  if (org != nullptr) {
    p.company_a = org->name;
    p.org_domain = org->domain;
    p.industry = org->industry;
    p.company_size = org->size;
  } else {
    const Industry& industry = kIndustries[kIndustryTable.Pick(rng)];
    p.company_a = rng.Pick(Names(kCompanyWords));
    p.company_b = rng.Pick(industry.suffixes);
    p.industry = industry.name;
    // The same company name always gets the same size and domain.
    Rng company_rng(HashString(p.company_b, HashString(p.company_a, opt.seed)));
    p.company_size = CompanySize(company_rng);
    p.tld = company_rng.PerMille(550) ? std::string_view(".com") : p.country->tld;
    if (p.industry == "software" && company_rng.PerMille(300)) p.tld = ".io";
    if (rng.PerMille(400)) p.legal = p.country->legal;
    if (rng.PerMille(30)) p.industry = {};     // unknown in the CRM
    if (rng.PerMille(50)) p.company_size = 0;  // unknown in the CRM
  }

  if (rng.PerMille(traits.free_mail)) {
    p.free_mail = rng.Pick(Names(kFreeMail));
    if (p.country->locale == kDe && rng.PerMille(500)) p.free_mail = "gmx.de";
    if (rng.PerMille(500)) p.email_digits = static_cast<uint32_t>(rng.Range(1, 99));
  }
  p.email_style = static_cast<EmailStyle>(kEmailStyleTable.Pick(rng));
  if (org == nullptr && p.free_mail.empty() && p.company_size > 0 && p.company_size <= 10) {
    p.email_style = EmailStyle::kFirst;  // tiny companies: anna@company.com
  }
  p.has_phone = rng.PerMille(traits.phone);
  p.phone_digits = rng.Next();

  const int64_t window = WindowSeconds(opt);
  p.created_at = opt.start_unix + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(
                                      std::max<int64_t>(window * 85 / 100, 1))));

  // A later identify that changes something, as CRM syncs and forms do.
  if (rng.PerMille(350)) {
    if (!p.has_phone && rng.PerMille(500)) {
      p.update = Update::kPhone;
    } else if (p.persona == Persona::kIndividual && rng.PerMille(400)) {
      p.update = Update::kTitle;  // promoted to manager
      p.new_title = rng.Pick(Names(kTitlesInfluencer));
    } else if (p.persona == Persona::kInfluencer && rng.PerMille(400)) {
      p.update = Update::kTitle;  // promoted to director
      p.new_title = rng.Pick(Names(kTitlesDecisionMaker));
    } else if (org == nullptr && p.company_size > 0) {
      p.update = Update::kSize;  // the company grew
      p.new_size = std::min<int64_t>(20000, p.company_size + p.company_size / 10 + rng.Range(1, 5));
    }
  }
  return p;
}

// Lower-case ASCII for email addresses: drops spaces and apostrophes and
// transliterates the accented letters of the name tables.
std::string EmailPart(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
      {"ä", "ae"}, {"ö", "oe"}, {"ü", "ue"}, {"ß", "ss"}, {"é", "e"},  {"è", "e"},
      {"ê", "e"},  {"á", "a"},  {"í", "i"},  {"ó", "o"},  {"ú", "u"},  {"ñ", "n"},
      {"ç", "c"},  {"ã", "a"},  {"Á", "a"},  {"É", "e"},  {"Ö", "oe"}, {"Ü", "ue"}};
  std::string out;
  std::size_t i = 0;
  while (i < name.size()) {
    const char c = name[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::size_t used = 1;  // an unknown non-ASCII byte is dropped
      for (const auto& [from, to] : kMap) {
        if (name.substr(i, from.size()) == from) {
          out += to;
          used = from.size();
          break;
        }
      }
      i += used;
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out += c;
    }
    ++i;
  }
  return out;
}

std::string CompanyName(const Profile& p) {
  std::string s(p.company_a);
  if (!p.company_b.empty()) {
    s += ' ';
    s += p.company_b;
  }
  s += p.legal;
  return s;
}

std::string Email(const Profile& p) {
  const std::string first = EmailPart(p.first_name);
  const std::string last = EmailPart(p.last_name);
  std::string s;
  switch (p.email_style) {
    case EmailStyle::kFirstDotLast:
      s = first + "." + last;
      break;
    case EmailStyle::kInitialLast:
      s = first.substr(0, 1) + last;
      break;
    case EmailStyle::kFirst:
      s = first;
      break;
    case EmailStyle::kFirstLast:
      s = first + last;
      break;
    case EmailStyle::kFirstUnderLast:
      s = first + "_" + last;
      break;
  }
  s += '@';
  if (!p.free_mail.empty()) {
    if (p.email_digits > 0) s.insert(s.size() - 1, std::to_string(p.email_digits));
    s += p.free_mail;
  } else if (!p.org_domain.empty()) {
    s += p.org_domain;
  } else {
    s += EmailPart(p.company_a) + EmailPart(p.company_b);
    s += p.tld;
  }
  return s;
}

std::string Phone(const Profile& p) {
  std::string s(p.country->phone);
  uint64_t digits = p.phone_digits;
  for (char& c : s) {
    if (c == '#') {
      c = static_cast<char>('0' + digits % 10);
      digits /= 10;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// Output: records are formatted straight into one large buffer that is
// written out when nearly full. No allocation per record.
// ---------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(std::ostream& out)
      : out_(out), buf_(std::make_unique<char[]>(kFlushAt + kSlack)), p_(buf_.get()) {}
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void Put(char c) { *p_++ = c; }
  void Put(std::string_view s) {
    if (s.empty()) return;
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void PutUint(uint64_t v) {
    char tmp[20];
    int n = 0;
    do {
      tmp[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) *p_++ = tmp[--n];
  }
  void PutInt(int64_t v) {
    if (v < 0) {
      Put('-');
      PutUint(0 - static_cast<uint64_t>(v));
    } else {
      PutUint(static_cast<uint64_t>(v));
    }
  }
  // Exactly `width` digits of v >= 0, zero-padded.
  void PutDigits(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      p_[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    p_ += width;
  }
  // YYYY-MM-DD (UTC) of a Unix time.
  void PutDate(int64_t unix_seconds);
  // RFC 3339 UTC, e.g. 2026-03-01T09:30:00Z.
  void PutTimestamp(int64_t unix_seconds);
  // A JSON string, escaped.
  void PutJsonString(std::string_view s);
  // "key":"value" for values from our own tables, which need no escaping.
  void PutField(std::string_view key, std::string_view value) {
    Put('"');
    Put(key);
    Put("\":\"");
    Put(value);
    Put('"');
  }
  // A CSV cell, quoted when it contains a comma, quote or line break.
  void PutCsvField(std::string_view s);
  void PutLeadId(int64_t number) {
    Put("L-");
    if (number < 1000000) {
      PutDigits(static_cast<uint64_t>(number), 6);
    } else {
      PutInt(number);
    }
  }

  // Call after each record: a record is far smaller than kSlack.
  void EndRecord() {
    if (static_cast<std::size_t>(p_ - buf_.get()) >= kFlushAt) Flush();
  }
  void Flush() {
    out_.write(buf_.get(), p_ - buf_.get());
    p_ = buf_.get();
  }

 private:
  static constexpr std::size_t kFlushAt = std::size_t{1} << 20;
  static constexpr std::size_t kSlack = std::size_t{64} << 10;

  std::ostream& out_;
  std::unique_ptr<char[]> buf_;
  char* p_;
  int64_t cached_day_ = std::numeric_limits<int64_t>::min();
  char cached_date_[10] = {};
};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void Writer::PutDate(int64_t unix_seconds) {
  const int64_t days = FloorDiv(unix_seconds, 86400);
  if (days != cached_day_) {
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const int64_t year = std::clamp<int64_t>(yoe + era * 400 + (month <= 2 ? 1 : 0), 0, 9999);
    char* const saved = p_;
    p_ = cached_date_;
    PutDigits(static_cast<uint64_t>(year), 4);
    Put('-');
    PutDigits(static_cast<uint64_t>(month), 2);
    Put('-');
    PutDigits(static_cast<uint64_t>(day), 2);
    p_ = saved;
    cached_day_ = days;
  }
  Put(std::string_view(cached_date_, sizeof(cached_date_)));
}

void Writer::PutTimestamp(int64_t unix_seconds) {
  PutDate(unix_seconds);
  const auto sod = static_cast<uint64_t>(unix_seconds - FloorDiv(unix_seconds, 86400) * 86400);
  Put('T');
  PutDigits(sod / 3600, 2);
  Put(':');
  PutDigits(sod / 60 % 60, 2);
  Put(':');
  PutDigits(sod % 60, 2);
  Put('Z');
}

void Writer::PutJsonString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  Put('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      Put('\\');
      Put(c);
    } else if (u < 0x20) {
      Put("\\u00");
      Put(kHex[u >> 4]);
      Put(kHex[u & 15]);
    } else {
      Put(c);
    }
  }
  Put('"');
}

void Writer::PutCsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    Put(s);
    return;
  }
  Put('"');
  for (const char c : s) {
    if (c == '"') Put('"');
    Put(c);
  }
  Put('"');
}

// ---------------------------------------------------------------------------
// Activities: what a lead does next, and when.
// ---------------------------------------------------------------------------

enum Kind : uint8_t {
  kIdentify,
  kIdentifyUpdate,
  kPageHome,
  kPageBlog,
  kPageProduct,
  kPageDocs,
  kPageCustomers,
  kPageIntegrations,
  kPageAbout,
  kPagePricing,
  kPageDemo,
  kPageCareers,
  kWebinar,
  kEmailClicked,
  kEmailReplied,
  kFormDemo,
  kFormContact,
  kFormNewsletter,
  kDownloadWhitepaper,
  kDownloadEbook,
  kDownloadCaseStudy,
  kSoftBounce,
  kBant,
  kUnsubscribed,
  kHardBounce,
  kSpamReported,
  kKindCount,
};

using KindTable = WeightTable<kKindCount>;

constexpr KindTable MakeKindTable(std::initializer_list<std::pair<Kind, uint32_t>> entries) {
  std::array<uint32_t, kKindCount> weights{};
  for (const auto& [kind, weight] : entries) weights[kind] = weight;
  return KindTable(weights);
}

// Buyers researching the problem.
constexpr KindTable kBrowse = MakeKindTable({
    {kPageHome, 15},
    {kPageBlog, 25},
    {kPageProduct, 12},
    {kPageDocs, 8},
    {kPageCustomers, 5},
    {kPageIntegrations, 5},
    {kPageAbout, 3},
    {kPageCareers, 1},
    {kEmailClicked, 15},
    {kDownloadWhitepaper, 5},
    {kDownloadEbook, 3},
    {kDownloadCaseStudy, 3},
    {kFormNewsletter, 2},
    {kWebinar, 3},
    {kSoftBounce, 1},
});
// Buyers evaluating a purchase.
constexpr KindTable kEvaluate = MakeKindTable({
    {kPagePricing, 25},
    {kPageDemo, 12},
    {kWebinar, 12},
    {kEmailReplied, 10},
    {kEmailClicked, 8},
    {kPageDocs, 8},
    {kPageProduct, 6},
    {kPageIntegrations, 4},
    {kDownloadCaseStudy, 4},
    {kFormDemo, 5},
    {kFormContact, 3},
    {kPageCustomers, 3},
});
constexpr KindTable kStudentMix = MakeKindTable({
    {kPageBlog, 30},
    {kPageDocs, 20},
    {kPageHome, 10},
    {kDownloadWhitepaper, 10},
    {kDownloadEbook, 8},
    {kWebinar, 8},
    {kPageCareers, 8},
    {kPagePricing, 3},
    {kEmailClicked, 5},
    {kFormNewsletter, 2},
});
// Journalists read, look at customers and pricing and answer PR emails.
constexpr KindTable kJournalistMix = MakeKindTable({
    {kPageBlog, 20},
    {kPageAbout, 15},
    {kPageCustomers, 15},
    {kPageHome, 10},
    {kPageProduct, 10},
    {kPagePricing, 8},
    {kDownloadWhitepaper, 5},
    {kDownloadCaseStudy, 5},
    {kWebinar, 6},
    {kEmailReplied, 5},
    {kEmailClicked, 5},
    {kFormContact, 1},
});
constexpr KindTable kJobSeekerMix = MakeKindTable({
    {kPageCareers, 40},
    {kPageAbout, 15},
    {kPageHome, 10},
    {kPageBlog, 10},
    {kPageCustomers, 5},
    {kPageProduct, 5},
    {kPagePricing, 3},
    {kPageDocs, 4},
    {kEmailClicked, 3},
    {kDownloadEbook, 2},
});
// Competitors study pricing and the product, and sometimes book a demo.
constexpr KindTable kCompetitorMix = MakeKindTable({
    {kPagePricing, 25},
    {kPageDocs, 15},
    {kPageProduct, 15},
    {kPageIntegrations, 10},
    {kPageCustomers, 8},
    {kDownloadWhitepaper, 4},
    {kDownloadCaseStudy, 4},
    {kWebinar, 8},
    {kPageDemo, 5},
    {kPageBlog, 5},
    {kFormDemo, 1},
});

// Per-mille chance that a buyer's next activity is evaluation rather than
// research, by tier; it grows as the buyer's journey progresses.
constexpr std::array<uint32_t, 5> kEvaluateBase = {30, 80, 200, 350, 400};
// A lead's share of the events is a weight drawn from [lo, hi] by tier.
constexpr int64_t kTierVolume[5][2] = {{1, 2}, {3, 6}, {8, 16}, {25, 50}, {70, 150}};

enum LeadFlags : uint8_t {
  kDidDemoForm = 1,
  kDidContactForm = 2,
  kDidNewsletter = 4,
  kWantsUpdate = 8,  // the profile has a second identify
};

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// Per-lead generation state, kept small because benchmarks use many leads.
struct LeadState {
  uint64_t rng = 0;
  int64_t next_ts = 0;            // time of the next item (identify or activity)
  uint32_t activities = 0;        // planned activities
  uint32_t done = 0;              // activities emitted
  uint32_t items_left = 0;        // identifies and activities still to emit
  uint32_t seq = 0;               // events emitted, for messageIds
  uint32_t update_after = kNone;  // the second identify follows this many activities
  uint32_t bant_at = kNone;       // activity number of the BANT form
  Persona persona = Persona::kIndividual;
  uint8_t tier = 0;
  uint8_t flags = 0;
  Kind first = kKindCount;     // first activity, when the lead source implies one
  Kind terminal = kKindCount;  // last activity: unsubscribe, hard bounce or spam report
};

Kind ChooseActivity(LeadState& st, Rng& rng) {
  if (st.done == 0 && st.first != kKindCount) return st.first;
  if (st.terminal != kKindCount && st.done + 1 == st.activities) return st.terminal;
  if (st.done == st.bant_at) return kBant;
  const KindTable* table = &kBrowse;
  switch (st.persona) {
    case Persona::kDecisionMaker:
    case Persona::kInfluencer:
    case Persona::kIndividual: {
      uint64_t p = kEvaluateBase[st.tier] + uint64_t{250} * st.done / st.activities;
      if (st.persona == Persona::kIndividual) p /= 2;
      if (rng.PerMille(p)) table = &kEvaluate;
      break;
    }
    case Persona::kStudent:
      table = &kStudentMix;
      break;
    case Persona::kJournalist:
      table = &kJournalistMix;
      break;
    case Persona::kJobSeeker:
      table = &kJobSeekerMix;
      break;
    case Persona::kCompetitor:
      table = &kCompetitorMix;
      break;
  }
  auto kind = static_cast<Kind>(table->Pick(rng));
  // Forms are submitted once; later picks become other visits.
  auto once = [&](Kind form, uint8_t flag, Kind instead) {
    if (kind != form) return;
    if (st.flags & flag) {
      kind = instead;
    } else {
      st.flags |= flag;
    }
  };
  once(kFormDemo, kDidDemoForm, kPagePricing);
  once(kFormContact, kDidContactForm, kPagePricing);
  once(kFormNewsletter, kDidNewsletter, kPageBlog);
  return kind;
}

// Time of the item after one at `t`: later in the same visit, or after a gap
// that spreads the remaining items over the rest of the window.
int64_t NextTime(Rng& rng, int64_t t, int64_t end, uint32_t items_left, uint8_t tier) {
  int64_t next;
  if (rng.PerMille(350 + 50 * uint64_t{tier})) {
    next = t + rng.Range(20, 1500);
  } else {
    const int64_t mean = (end - t) / (int64_t{items_left} + 1);
    next = t + rng.Range(60, std::max<int64_t>(60, 2 * mean));
  }
  return std::min(next, end - 1);
}

// Sets up a lead's plan; returns its share weight of the events.
uint32_t PlanLead(const GenOptions& opt, int64_t number, LeadState& st) {
  const Profile p = MakeProfile(opt, number);
  Rng rng(StreamSeed(opt.seed, static_cast<uint64_t>(number), kSaltActivity));
  st.persona = p.persona;
  st.tier = p.tier;
  st.next_ts = p.created_at;
  const auto weight =
      static_cast<uint32_t>(rng.Range(kTierVolume[p.tier][0], kTierVolume[p.tier][1]));
  // Unsubscribes, hard bounces and spam complaints end a lead's activity.
  const uint64_t t = rng.Below(1000);
  if (t < 30) {
    st.terminal = kUnsubscribed;
  } else if (t < 50) {
    st.terminal = kHardBounce;
  } else if (t < 55) {
    st.terminal = kSpamReported;
  }
  if (p.lead_source == "webinar" && p.persona != Persona::kJobSeeker) {
    st.first = kWebinar;
  } else if (p.lead_source == "paid_search" && rng.PerMille(500)) {
    st.first = kPagePricing;
  }
  if (p.update != Update::kNone) st.flags = kWantsUpdate;
  st.rng = rng.state();
  return weight;
}

// Once the lead's activity count is known: place the second identify and
// the BANT form.
void FinalizeLead(LeadState& st, uint32_t activities) {
  Rng rng(st.rng);
  st.activities = activities;
  const bool has_update = (st.flags & kWantsUpdate) != 0 && activities >= 1;
  st.flags = 0;
  if (has_update) st.update_after = static_cast<uint32_t>(rng.Range(1, activities));
  const bool buyer = st.persona == Persona::kDecisionMaker || st.persona == Persona::kInfluencer;
  if (buyer && st.tier >= 2 && activities >= 4) {
    const uint64_t chance = st.persona == Persona::kDecisionMaker ? 350 : 200;
    if (rng.PerMille(chance)) {
      const uint32_t at =
          activities * 6 / 10 + static_cast<uint32_t>(rng.Below(activities * 3 / 10 + 1));
      st.bant_at = std::min(at, activities - 1);
    }
  }
  if (activities == 0) st.terminal = kKindCount;
  st.items_left = 1 + activities + (has_update ? 1 : 0);
  st.rng = rng.state();
}

// ---------------------------------------------------------------------------
// Event details.
// ---------------------------------------------------------------------------

// clang-format off
constexpr std::string_view kSite = "https://acme.io";
constexpr std::string_view kBlogPaths[] = {
    "/blog/what-is-an-mql", "/blog/speed-to-lead", "/blog/bant-in-2026",
    "/blog/lead-scoring-decay", "/blog/fit-vs-intent", "/blog/revops-stack"};
constexpr std::string_view kProductPaths[] = {
    "/product", "/product/scoring", "/product/routing", "/product/analytics"};
constexpr std::string_view kDocsPaths[] = {
    "/docs/getting-started", "/docs/playbook", "/docs/api", "/docs/import-csv", "/docs/scoring"};
constexpr std::string_view kCustomerPaths[] = {
    "/customers", "/customers/northwind-logistics", "/customers/meridian-health"};
constexpr std::string_view kIntegrationPaths[] = {
    "/integrations", "/integrations/salesforce", "/integrations/hubspot", "/integrations/segment"};
constexpr std::string_view kAboutPaths[] = {"/about", "/about/team", "/about/press"};
constexpr std::string_view kPricingPaths[] = {
    "/pricing", "/pricing", "/pricing?plan=team", "/pricing?plan=enterprise"};
constexpr std::string_view kDemoPaths[] = {"/request-a-demo", "/demo"};
constexpr std::string_view kReferrers[] = {
    "https://www.google.com/", "https://www.linkedin.com/", "https://www.bing.com/",
    "https://news.ycombinator.com/", "https://www.g2.com/"};
constexpr std::string_view kWebinars[] = {
    "mql-masterclass", "speed-to-lead-101", "bant-workshop", "revops-roundtable",
    "scoring-that-sales-trusts"};
constexpr std::string_view kCampaigns[] = {
    "spring-launch", "webinar-invite-q2", "speed-to-lead-series", "product-update-april",
    "customer-stories", "nurture-week-3"};
constexpr std::string_view kEmailLinks[] = {
    "/blog/speed-to-lead", "/pricing", "/customers", "/webinars"};
constexpr std::string_view kWhitepapers[] = {
    "Whitepaper: The Cost of Slow Lead Response", "Whitepaper: Lead Scoring That Sales Trusts"};
constexpr std::string_view kEbooks[] = {
    "eBook: The RevOps Playbook", "E-book: BANT for Modern Sales Teams"};
constexpr std::string_view kCaseStudies[] = {
    "Case Study: Northwind Logistics", "Case Study: Meridian Health"};
constexpr std::string_view kBudgets[] = {
    "confirmed", "confirmed", "confirmed", "confirmed", "confirmed", "confirmed", "confirmed",
    "unconfirmed", "unconfirmed", "none"};
constexpr std::string_view kNeeds[] = {
    "Consistent MQL definition across teams", "Faster speed to lead",
    "Replace spreadsheet lead scoring", "Audit trail for stage changes",
    "Route inbound demo requests"};
constexpr std::string_view kCurrentSolutions[] = {
    "spreadsheets", "HubSpot lead scoring", "Salesforce reports", "homegrown scripts"};
// clang-format on

// One generated event, waiting in its time bucket to be ordered and written.
struct Pending {
  int64_t ts;
  uint64_t bits;  // random bits for the event's details
  uint32_t lead;  // 0-based
  uint32_t seq;   // the lead's event number
  Kind kind;
  Persona persona;
};

// Takes small random choices from one word of random bits.
class Bits {
 public:
  explicit Bits(uint64_t bits) : bits_(bits) {}
  uint64_t Take(uint64_t n) {
    const uint64_t v = bits_ % n;
    bits_ /= n;
    return v;
  }
  template <typename T, std::size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Take(N)];
  }

 private:
  uint64_t bits_;
};

class EventWriter {
 public:
  EventWriter(const GenOptions& opt, Writer& w) : opt_(opt), w_(w) {}

  void Write(const Pending& e) {
    bits_ = Bits(e.bits);
    const int64_t number = int64_t{e.lead} + 1;
    switch (e.kind) {
      case kIdentify:
      case kIdentifyUpdate:
        Open("identify", number);
        Traits(MakeProfile(opt_, number), e.kind == kIdentifyUpdate);
        break;
      case kPageHome:
        Page(number, "Home", "/");
        break;
      case kPageBlog:
        Page(number, "Blog", bits_.Pick(kBlogPaths));
        break;
      case kPageProduct:
        Page(number, "Product", bits_.Pick(kProductPaths));
        break;
      case kPageDocs:
        Page(number, "Docs", bits_.Pick(kDocsPaths));
        break;
      case kPageCustomers:
        Page(number, "Customers", bits_.Pick(kCustomerPaths));
        break;
      case kPageIntegrations:
        Page(number, "Integrations", bits_.Pick(kIntegrationPaths));
        break;
      case kPageAbout:
        Page(number, "About", bits_.Pick(kAboutPaths));
        break;
      case kPagePricing:
        Page(number, "Pricing", bits_.Pick(kPricingPaths));
        break;
      case kPageDemo:
        Page(number, "Request a Demo", bits_.Pick(kDemoPaths));
        break;
      case kPageCareers:
        Page(number, "Careers", "/careers", bits_.Take(3) == 0 ? 0 : 101 + bits_.Take(40));
        break;
      case kWebinar:
        Track(number, "webinar_attended");
        w_.PutField("webinar", bits_.Pick(kWebinars));
        w_.Put(",\"minutes\":");
        w_.PutUint(5 + bits_.Take(56));
        w_.Put('}');
        break;
      case kEmailClicked:
        Track(number, "email_clicked");
        Campaign();
        w_.Put(",\"link\":\"");
        w_.Put(kSite);
        w_.Put(bits_.Pick(kEmailLinks));
        w_.Put("\"}");
        break;
      case kEmailReplied:
        Track(number, "email_replied");
        Campaign();
        w_.Put('}');
        break;
      case kFormDemo:
      case kFormContact:
      case kFormNewsletter:
        Track(number, "form_submitted");
        w_.PutField("form", e.kind == kFormDemo      ? "demo"
                            : e.kind == kFormContact ? "contact"
                                                     : "newsletter");
        w_.Put('}');
        break;
      case kDownloadWhitepaper:
        Download(number, bits_.Pick(kWhitepapers));
        break;
      case kDownloadEbook:
        Download(number, bits_.Pick(kEbooks));
        break;
      case kDownloadCaseStudy:
        Download(number, bits_.Pick(kCaseStudies));
        break;
      case kBant:
        Track(number, "bant_form_submitted");
        Bant(e.ts, e.persona);
        break;
      case kUnsubscribed:
        Track(number, "unsubscribed");
        Campaign();
        w_.Put('}');
        break;
      case kSoftBounce:
      case kHardBounce:
        Track(number, "email_bounced");
        w_.PutField("bounce", e.kind == kHardBounce ? "hard" : "soft");
        w_.Put(',');
        Campaign();
        w_.Put('}');
        break;
      case kSpamReported:
        Track(number, "spam_reported");
        Campaign();
        w_.Put('}');
        break;
      case kKindCount:
        break;
    }
    w_.Put(",\"timestamp\":\"");
    w_.PutTimestamp(e.ts);
    w_.Put('"');
    if (opt_.with_message_ids) MessageId(number, e.seq);
    w_.Put("}\n");
    w_.EndRecord();
  }

 private:
  void Open(std::string_view type, int64_t number) {
    w_.Put("{\"type\":\"");
    w_.Put(type);
    w_.Put("\",\"userId\":\"");
    w_.PutLeadId(number);
    w_.Put("\",");
  }
  // Opens a track event and its properties object.
  void Track(int64_t number, std::string_view event) {
    Open("track", number);
    w_.PutField("event", event);
    w_.Put(",\"properties\":{");
  }
  void Page(int64_t number, std::string_view name, std::string_view path, uint64_t job = 0) {
    Open("page", number);
    w_.PutField("name", name);
    w_.Put(",\"properties\":{\"path\":\"");
    PutPath(path, job);
    w_.Put("\",\"url\":\"");
    w_.Put(kSite);
    PutPath(path, job);
    w_.Put('"');
    if (bits_.Take(2) == 0) {
      w_.Put(',');
      w_.PutField("referrer", bits_.Pick(kReferrers));
    }
    w_.Put('}');
  }
  void PutPath(std::string_view path, uint64_t job) {
    w_.Put(path);
    if (job != 0) {
      w_.Put("/jobs/");
      w_.PutUint(job);
    }
  }
  void Campaign() { w_.PutField("campaign", bits_.Pick(kCampaigns)); }
  void Download(int64_t number, std::string_view asset) {
    Track(number, "content_downloaded");
    w_.PutField("asset", asset);
    w_.Put(",\"format\":\"pdf\"}");
  }
  void Traits(const Profile& p, bool update) {
    w_.Put("\"traits\":{");
    if (update) {
      switch (p.update) {
        case Update::kPhone:
          w_.Put("\"phone\":");
          w_.PutJsonString(Phone(p));
          break;
        case Update::kTitle:
          w_.Put("\"job_title\":");
          w_.PutJsonString(p.new_title);
          break;
        case Update::kSize:
          w_.Put("\"company_size\":");
          w_.PutInt(p.new_size);
          break;
        case Update::kNone:
          break;
      }
      w_.Put('}');
      return;
    }
    w_.Put("\"email\":");
    w_.PutJsonString(Email(p));
    w_.Put(",\"first_name\":");
    w_.PutJsonString(p.first_name);
    w_.Put(",\"last_name\":");
    w_.PutJsonString(p.last_name);
    w_.Put(",\"company\":");
    w_.PutJsonString(CompanyName(p));
    w_.Put(",\"job_title\":");
    w_.PutJsonString(p.job_title);
    if (!p.industry.empty()) {
      w_.Put(',');
      w_.PutField("industry", p.industry);
    }
    if (p.company_size > 0) {
      w_.Put(",\"company_size\":");
      w_.PutInt(p.company_size);
    }
    w_.Put(',');
    w_.PutField("country", p.country->code);
    w_.Put(',');
    w_.PutField("lead_source", p.lead_source);
    if (p.has_phone) {
      w_.Put(",\"phone\":");
      w_.PutJsonString(Phone(p));
    }
    w_.Put('}');
  }
  void Bant(int64_t ts, Persona persona) {
    std::string_view authority = "decision_maker";
    const uint64_t a = bits_.Take(10);
    if (persona == Persona::kDecisionMaker) {
      if (a == 0) authority = "influencer";
    } else {
      authority = a < 2 ? "decision_maker" : (a < 9 ? "influencer" : "researcher");
    }
    w_.PutField("budget", bits_.Pick(kBudgets));
    w_.Put(',');
    w_.PutField("authority", authority);
    w_.Put(',');
    w_.PutField("need", bits_.Pick(kNeeds));
    // A decision expected in 2 to 17 weeks: mostly within the 90 days that pass.
    w_.Put(",\"timeline\":\"");
    w_.PutDate(ts + (14 + static_cast<int64_t>(bits_.Take(106))) * 86400);
    w_.Put('"');
    if (bits_.Take(3) != 0) {
      w_.Put(',');
      w_.PutField("current_solution", bits_.Pick(kCurrentSolutions));
    }
    w_.Put('}');
  }
  void MessageId(int64_t number, uint32_t seq) {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t id = Mix64(StreamSeed(opt_.seed, static_cast<uint64_t>(number), kSaltMessage) + seq);
    char hex[16];
    for (int i = 15; i >= 0; --i) {
      hex[i] = kHex[id & 15];
      id >>= 4;
    }
    w_.Put(",\"messageId\":\"m-");
    w_.Put(std::string_view(hex, sizeof(hex)));
    w_.Put('"');
  }

  const GenOptions& opt_;
  Writer& w_;
  Bits bits_{0};
};

}  // namespace

void GenerateEvents(const GenOptions& opt, std::ostream& out) {
  const int64_t leads = std::min<int64_t>(opt.leads, kNone - 1);
  if (leads <= 0) return;
  const auto events = static_cast<uint64_t>(std::max<int64_t>(opt.events, 0));
  const int64_t window = WindowSeconds(opt);
  const int64_t end = opt.start_unix + window;

  // Plan every lead, then share the events out in proportion to the leads'
  // weights, spreading the rounding remainder evenly.
  const auto n = static_cast<std::size_t>(leads);
  std::vector<LeadState> states(n);
  std::vector<uint32_t> counts(n);
  uint64_t total_weight = 0;
  for (std::size_t i = 0; i < n; ++i) {
    counts[i] = PlanLead(opt, static_cast<int64_t>(i) + 1, states[i]);
    total_weight += counts[i];
  }
  const uint64_t quotient = events / total_weight;
  const uint64_t rest = events % total_weight;
  uint64_t assigned = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const uint64_t weight = counts[i];
    counts[i] = static_cast<uint32_t>(quotient * weight + rest * weight / total_weight);
    assigned += counts[i];
  }
  const uint64_t remainder = events - assigned;
  for (uint64_t i = 0; i < n; ++i) {
    if ((i + 1) * remainder / n != i * remainder / n) ++counts[i];
    FinalizeLead(states[i], counts[i]);
  }
  counts = {};

  // Calendar queue: each lead waits in the hourly bucket of its next item.
  // A bucket's leads are visited in id order, and their events are then put
  // in timestamp order by a stable counting sort on the second, so the output
  // is ordered by (timestamp, lead, lead's event number).
  constexpr int64_t kBucketSeconds = 3600;
  const auto buckets = static_cast<std::size_t>(window / kBucketSeconds + 1);
  std::vector<std::vector<uint32_t>> waiting(buckets);
  auto wait = [&](uint32_t lead) {
    const auto b =
        static_cast<std::size_t>((states[lead].next_ts - opt.start_unix) / kBucketSeconds);
    waiting[b].push_back(lead);
  };
  for (std::size_t i = 0; i < n; ++i) wait(static_cast<uint32_t>(i));

  Writer writer(out);
  EventWriter event_writer(opt, writer);
  std::vector<uint32_t> active;
  std::vector<Pending> pending, sorted;
  std::vector<uint32_t> slots(kBucketSeconds + 1);
  for (std::size_t b = 0; b < buckets; ++b) {
    const int64_t bucket_start = opt.start_unix + static_cast<int64_t>(b) * kBucketSeconds;
    const int64_t bucket_end = bucket_start + kBucketSeconds;
    active.assign(waiting[b].begin(), waiting[b].end());
    waiting[b] = {};  // a bucket is used once: release its memory
    if (active.empty()) continue;
    std::sort(active.begin(), active.end());

    pending.clear();
    for (std::size_t k = 0; k < active.size(); ++k) {
      // The states of a bucket's leads are scattered over a large array.
      constexpr std::size_t kPrefetchAhead = 8;
      if (k + kPrefetchAhead < active.size()) {
        __builtin_prefetch(&states[active[k + kPrefetchAhead]]);
      }
      const uint32_t lead = active[k];
      LeadState& st = states[lead];
      Rng rng(st.rng);
      while (st.items_left > 0 && st.next_ts < bucket_end) {
        Kind kind;
        if (st.seq == 0) {
          kind = kIdentify;
        } else if (st.done == st.update_after) {
          kind = kIdentifyUpdate;
          st.update_after = kNone;
        } else {
          kind = ChooseActivity(st, rng);
          ++st.done;
        }
        pending.push_back(Pending{st.next_ts, rng.Next(), lead, st.seq, kind, st.persona});
        ++st.seq;
        if (--st.items_left > 0) {
          st.next_ts = NextTime(rng, st.next_ts, end, st.items_left, st.tier);
        }
      }
      st.rng = rng.state();
      if (st.items_left > 0) wait(lead);
    }

    std::fill(slots.begin(), slots.end(), 0);
    for (const Pending& e : pending) ++slots[static_cast<std::size_t>(e.ts - bucket_start) + 1];
    for (std::size_t s = 1; s < slots.size(); ++s) slots[s] += slots[s - 1];
    sorted.resize(pending.size());
    for (const Pending& e : pending) {
      sorted[slots[static_cast<std::size_t>(e.ts - bucket_start)]++] = e;
    }
    for (const Pending& e : sorted) event_writer.Write(e);
  }
  writer.Flush();
}

void GenerateLeadsCsv(const GenOptions& opt, std::ostream& out) {
  Writer w(out);
  w.Put(
      "id,First Name,Last Name,Email,Company,Job Title,Industry,Company Size,Country,Lead "
      "Source,created_at\n");
  for (int64_t number = 1; number <= opt.leads; ++number) {
    const Profile p = MakeProfile(opt, number);
    w.PutLeadId(number);
    w.Put(',');
    w.PutCsvField(p.first_name);
    w.Put(',');
    w.PutCsvField(p.last_name);
    w.Put(',');
    w.PutCsvField(Email(p));
    w.Put(',');
    w.PutCsvField(CompanyName(p));
    w.Put(',');
    w.PutCsvField(p.job_title);
    w.Put(',');
    w.PutCsvField(p.industry);
    w.Put(',');
    if (p.company_size > 0) w.PutInt(p.company_size);
    w.Put(',');
    w.Put(p.country->code);
    w.Put(',');
    w.Put(p.lead_source);
    w.Put(',');
    w.PutTimestamp(p.created_at);
    w.Put('\n');
    w.EndRecord();
  }
  w.Flush();
}

}  // namespace leadgate::demo
