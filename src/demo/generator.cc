#include "demo/generator.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadgate::demo {
namespace {

// ---------------------------------------------------------------------------
// Randomness: SplitMix64. One 8-byte state per lead keeps the per-lead
// streams cheap and independent, so a lead's data never depends on how many
// other leads or events there are.
// ---------------------------------------------------------------------------

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

constexpr uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Seed of an independent stream for (seed, lead number, purpose).
constexpr uint64_t StreamSeed(uint64_t seed, uint64_t number, uint64_t salt) {
  return Mix64(Mix64(seed ^ salt) + number * kGolden);
}

class Rng {
 public:
  explicit Rng(uint64_t state) : state_(state) {}
  uint64_t state() const { return state_; }

  uint64_t Next() {
    state_ += kGolden;
    return Mix64(state_);
  }
  // Uniform in [0, n) for n > 0 (modulo bias is negligible for our n).
  uint64_t Below(uint64_t n) { return Next() % n; }
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

// Index drawn with the given integer weights.
template <std::size_t N>
std::size_t PickWeighted(Rng& rng, const std::array<uint32_t, N>& weights) {
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  uint64_t r = rng.Below(total);
  for (std::size_t i = 0; i < N; ++i) {
    if (r < weights[i]) return i;
    r -= weights[i];
  }
  return N - 1;
}

using Names = std::span<const std::string_view>;

// ---------------------------------------------------------------------------
// People: names by locale, countries, phone formats.
// ---------------------------------------------------------------------------

enum Locale : uint8_t { kEn, kDe, kFr, kEs, kNordic, kIn, kJp, kBr, kLocaleCount };

constexpr std::string_view kFirstEn[] = {
    "James", "Mary",   "Robert",  "Patricia", "John",   "Jennifer", "Michael", "Linda",
    "David", "Sarah",  "William", "Emily",    "Daniel", "Jessica",  "Thomas",  "Ashley",
    "Chris", "Karen",  "Matthew", "Olivia",   "Ryan",   "Megan",    "Kevin",   "Grace",
    "Liam",  "Sophie", "Ethan",   "Chloe",    "Noah",   "Hannah",   "Priya",   "Wei"};
constexpr std::string_view kLastEn[] = {
    "Smith",    "Johnson", "Williams", "Brown", "Jones",   "Miller", "Davis",   "Wilson",
    "Anderson", "Taylor",  "Thomas",   "Moore", "Jackson", "Martin", "Lee",     "Thompson",
    "White",    "Harris",  "Clark",    "Lewis", "Walker",  "Hall",   "Young",   "King",
    "Wright",   "Scott",   "Green",    "Baker", "Nguyen",  "Chen",   "O'Brien", "Murphy"};
constexpr std::string_view kFirstDe[] = {
    "Lukas",  "Anna",   "Jonas",   "Lena",    "Felix", "Marie", "Jürgen", "Katrin",
    "Stefan", "Sabine", "Andreas", "Claudia", "Björn", "Jörg",  "Julia",  "Maximilian"};
constexpr std::string_view kLastDe[] = {
    "Müller", "Schmidt",  "Schneider", "Fischer", "Weber",    "Meyer",  "Wagner",  "Becker",
    "Schulz", "Hoffmann", "Koch",      "Richter", "Schröder", "Krüger", "Neumann", "Zimmermann"};
constexpr std::string_view kFirstFr[] = {
    "Camille", "Léa",   "Hugo",    "Chloé",  "Louis",   "Manon",  "Jules", "Inès",
    "Antoine", "Julie", "Nicolas", "Céline", "Mathieu", "Amélie", "Théo",  "Claire"};
constexpr std::string_view kLastFr[] = {
    "Martin",  "Bernard", "Dubois",   "Durand", "Leroy",   "Moreau",   "Simon", "Laurent",
    "Lefèvre", "Michel",  "Bertrand", "Roux",   "Vincent", "Fournier", "Petit", "Girard"};
constexpr std::string_view kFirstEs[] = {
    "Sofía",     "Lucía", "Martín", "Mateo", "Pablo", "Carmen", "Javier", "Elena",
    "Alejandro", "María", "Diego",  "José",  "Marta", "Álvaro", "Irene",  "Raúl"};
constexpr std::string_view kLastEs[] = {
    "García", "Fernández", "González", "Rodríguez", "López",  "Martínez", "Sánchez", "Pérez",
    "Gómez",  "Jiménez",   "Ruiz",     "Díaz",      "Moreno", "Muñoz",    "Romero",  "Navarro"};
constexpr std::string_view kFirstNordic[] = {"Daan", "Emma",   "Sem",    "Lars",  "Sanne", "Erik",
                                             "Sven", "Ingrid", "Pieter", "Femke", "Johan", "Astrid",
                                             "Mats", "Elin",   "Bram",   "Lotte"};
constexpr std::string_view kLastNordic[] = {"de Jong",   "Jansen",    "de Vries", "van den Berg",
                                            "Bakker",    "Visser",    "Smit",     "Meijer",
                                            "Andersson", "Johansson", "Karlsson", "Nilsson",
                                            "Eriksson",  "Lindqvist", "Hansen",   "van Dijk"};
constexpr std::string_view kFirstIn[] = {"Aarav",   "Priya", "Rohan",  "Ananya", "Vikram", "Sneha",
                                         "Arjun",   "Kavya", "Rahul",  "Divya",  "Amit",   "Pooja",
                                         "Karthik", "Neha",  "Sanjay", "Meera"};
constexpr std::string_view kLastIn[] = {"Sharma", "Patel", "Gupta",  "Singh", "Kumar", "Reddy",
                                        "Iyer",   "Nair",  "Mehta",  "Shah",  "Rao",   "Joshi",
                                        "Verma",  "Menon", "Chopra", "Das"};
constexpr std::string_view kFirstJp[] = {"Haruto", "Yui",  "Sota",   "Hina",   "Ren",   "Aoi",
                                         "Kenji",  "Yuki", "Takumi", "Sakura", "Daiki", "Mei"};
constexpr std::string_view kLastJp[] = {"Sato",      "Suzuki", "Takahashi", "Tanaka",
                                        "Watanabe",  "Ito",    "Yamamoto",  "Nakamura",
                                        "Kobayashi", "Kato",   "Yoshida",   "Yamada"};
constexpr std::string_view kFirstBr[] = {"Gabriel", "Ana",     "Lucas",    "Beatriz", "Pedro",
                                         "Juliana", "Rafael",  "Fernanda", "Thiago",  "Camila",
                                         "Bruno",   "Larissa", "João",     "Mariana"};
constexpr std::string_view kLastBr[] = {"Silva",   "Santos",  "Oliveira", "Souza",     "Costa",
                                        "Pereira", "Almeida", "Ferreira", "Rodrigues", "Carvalho",
                                        "Gomes",   "Ribeiro", "Araújo",   "Barbosa"};

constexpr std::array<Names, kLocaleCount> kFirstNames = {
    kFirstEn, kFirstDe, kFirstFr, kFirstEs, kFirstNordic, kFirstIn, kFirstJp, kFirstBr};
constexpr std::array<Names, kLocaleCount> kLastNames = {kLastEn,     kLastDe, kLastFr, kLastEs,
                                                        kLastNordic, kLastIn, kLastJp, kLastBr};

struct Country {
  std::string_view code;
  Locale locale;
  std::string_view phone;  // '#' is replaced by a digit
  std::string_view tld;    // for local company domains
  std::string_view legal;  // usual legal form, "" for none
};

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
constexpr std::array<uint32_t, std::size(kCountries)> kCountryWeights = {38, 13, 10, 7, 7, 5, 4,
                                                                         4,  2,  2,  4, 2, 2};

// ---------------------------------------------------------------------------
// Personas, titles and employers.
// ---------------------------------------------------------------------------

enum class Persona : uint8_t {
  kDecisionMaker,
  kInfluencer,
  kIndividual,
  kStudent,
  kJournalist,
  kJobSeeker,
  kCompetitor,
};
constexpr std::size_t kPersonaCount = 7;
constexpr std::array<uint32_t, kPersonaCount> kPersonaWeights = {200, 240, 290, 80, 35, 140, 15};

constexpr std::string_view kTitlesDecisionMaker[] = {"VP of Sales",
                                                     "VP Marketing",
                                                     "Vice President, Revenue Operations",
                                                     "SVP Sales",
                                                     "Director of Sales",
                                                     "Director of Marketing",
                                                     "Director, Demand Generation",
                                                     "Senior Director, Sales Operations",
                                                     "Head of Growth",
                                                     "Head of Sales",
                                                     "Head of Marketing",
                                                     "Head of RevOps",
                                                     "Chief Revenue Officer",
                                                     "Chief Marketing Officer",
                                                     "CEO",
                                                     "CMO",
                                                     "Founder",
                                                     "Co-Founder & CEO",
                                                     "Owner",
                                                     "Managing Director"};
constexpr std::string_view kTitlesInfluencer[] = {"Sales Manager",
                                                  "Marketing Manager",
                                                  "Marketing Operations Manager",
                                                  "Revenue Operations Manager",
                                                  "Demand Generation Manager",
                                                  "Sales Operations Manager",
                                                  "Product Marketing Manager",
                                                  "Account Manager",
                                                  "Team Lead, Inside Sales",
                                                  "SDR Team Lead",
                                                  "Growth Lead",
                                                  "CRM Lead",
                                                  "Sales Supervisor"};
constexpr std::string_view kTitlesIndividual[] = {
    "Sales Operations Analyst", "Marketing Analyst",
    "Business Analyst",         "Data Analyst",
    "Account Executive",        "Sales Development Representative",
    "Marketing Specialist",     "Marketing Coordinator",
    "CRM Administrator",        "Salesforce Administrator",
    "Operations Associate",     "Consultant",
    "Software Engineer",        "Customer Success Specialist"};
constexpr std::string_view kTitlesStudent[] = {
    "Student",          "MBA Student",  "Graduate Student", "PhD Candidate",
    "Marketing Intern", "Sales Intern", "Business Intern",  "Undergraduate Student"};
constexpr std::string_view kTitlesJournalist[] = {
    "Journalist",          "Technology Reporter",  "Senior Reporter",       "Editor",
    "Contributing Editor", "Freelance Journalist", "Business Correspondent"};
constexpr std::string_view kTitlesJobSeeker[] = {"Sales Development Representative",
                                                 "Account Executive",
                                                 "Marketing Coordinator",
                                                 "Recent Graduate",
                                                 "Customer Success Associate",
                                                 "Software Engineer",
                                                 "Open to Work",
                                                 "Business Development Representative"};
constexpr std::string_view kTitlesCompetitor[] = {
    "Product Marketing Manager", "Competitive Intelligence Analyst", "Solutions Engineer",
    "Product Manager", "Sales Engineer"};
constexpr std::array<Names, kPersonaCount> kTitles = {
    kTitlesDecisionMaker, kTitlesInfluencer, kTitlesIndividual, kTitlesStudent,
    kTitlesJournalist,    kTitlesJobSeeker,  kTitlesCompetitor};

constexpr std::string_view kCompanyWords[] = {
    "Acorn",    "Bluepeak",   "Brightline", "Cedar",    "Clearwater", "Cobalt",    "Copper",
    "Crescent", "Evergreen",  "Falcon",     "Granite",  "Harbor",     "Horizon",   "Ironwood",
    "Juniper",  "Keystone",   "Lighthouse", "Maple",    "Meridian",   "Northwind", "Nova",
    "Oakridge", "Orion",      "Pinnacle",   "Polaris",  "Quantum",    "Redwood",   "Riverbend",
    "Sable",    "Silverline", "Summit",     "Sterling", "Tidewater",  "Trident",   "Vertex",
    "Willow",   "Zenith",     "Atlas",      "Beacon",   "Bluebird",   "Catalyst",  "Driftwood"};

struct Industry {
  std::string_view name;
  Names suffixes;
};
constexpr std::string_view kSuffixSoftware[] = {"Software", "Labs",         "Systems", "Cloud",
                                                "Data",     "Technologies", "Digital", "Analytics"};
constexpr std::string_view kSuffixFinance[] = {"Capital",   "Financial", "Bank",
                                               "Insurance", "Payments",  "Wealth"};
constexpr std::string_view kSuffixHealthcare[] = {"Health", "Medical", "Clinics",
                                                  "Pharma", "Biotech", "Care"};
constexpr std::string_view kSuffixRetail[] = {"Retail", "Stores", "Outfitters", "Market", "Brands"};
constexpr std::string_view kSuffixManufacturing[] = {"Manufacturing", "Industries", "Works",
                                                     "Components",    "Machinery",  "Plastics"};
constexpr std::string_view kSuffixLogistics[] = {"Logistics", "Freight", "Shipping", "Transport"};
constexpr std::string_view kSuffixConsulting[] = {"Consulting", "Advisors", "Associates",
                                                  "Partners"};
constexpr std::string_view kSuffixEnergy[] = {"Energy", "Power", "Solar"};
constexpr std::string_view kSuffixRealEstate[] = {"Properties", "Realty", "Estates"};
constexpr std::string_view kSuffixMedia[] = {"Media", "Studios", "Publishing"};
constexpr std::string_view kSuffixEducation[] = {"Learning", "Academy", "Education"};

constexpr Industry kIndustries[] = {
    {"software", kSuffixSoftware},           {"finance", kSuffixFinance},
    {"healthcare", kSuffixHealthcare},       {"retail", kSuffixRetail},
    {"manufacturing", kSuffixManufacturing}, {"logistics", kSuffixLogistics},
    {"consulting", kSuffixConsulting},       {"energy", kSuffixEnergy},
    {"real_estate", kSuffixRealEstate},      {"media", kSuffixMedia},
    {"education", kSuffixEducation},
};
constexpr std::array<uint32_t, std::size(kIndustries)> kIndustryWeights = {22, 14, 12, 10, 12, 6,
                                                                           8,  4,  4,  4,  4};

struct Organization {  // an employer with a fixed name and domain
  std::string_view name;
  std::string_view domain;
  std::string_view industry;
  int64_t size;
};
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

enum class EmailStyle : uint8_t {
  kFirstDotLast,
  kInitialLast,
  kFirst,
  kFirstLast,
  kFirstUnderLast
};

enum class Update : uint8_t { kNone, kPhone, kTitle, kSize };

// Everything about a lead, derived from (seed, number) alone. Holds only
// views into static tables so that making one allocates nothing.
struct Profile {
  int64_t number = 0;
  Persona persona = Persona::kIndividual;
  uint8_t tier = 0;  // activity level 0 (cold) .. 4 (very hot)
  const Country* country = nullptr;
  std::string_view first_name, last_name, job_title, industry, lead_source;
  // Company name = company_a + " " + company_b + legal; domain = org_domain
  // when set, else built from company_a + company_b.
  std::string_view company_a, company_b, legal, org_domain, tld;
  int64_t company_size = 0;    // 0: unknown (trait omitted)
  std::string_view free_mail;  // personal address instead of a work one
  EmailStyle email_style = EmailStyle::kFirstDotLast;
  uint32_t email_digits = 0;  // for free-mail addresses, 0 for none
  bool has_phone = false;
  uint64_t phone_bits = 0;
  int64_t created_at = 0;
  Update update = Update::kNone;
  std::string_view new_title;
  int64_t new_size = 0;
};

constexpr uint64_t kSaltProfile = 0x70726f66696c65ULL;
constexpr uint64_t kSaltActivity = 0x6163746976697479ULL;
constexpr uint64_t kSaltMessage = 0x6d65737361676573ULL;

// FNV-1a: a fixed hash (std::hash differs between standard libraries).
constexpr uint64_t Fnv1a(std::string_view s, uint64_t h) {
  h ^= 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

int64_t WindowSeconds(const GenOptions& opt) { return int64_t{std::max(opt.days, 1)} * 86400; }

int64_t CompanySize(Rng& rng) {
  // Most B2B leads work at small and mid-sized companies.
  static constexpr std::array<uint32_t, 6> kBandWeights = {15, 20, 25, 20, 13, 7};
  static constexpr int64_t kBands[6][2] = {{1, 10},     {11, 49},     {50, 200},
                                           {201, 1000}, {1001, 5000}, {5001, 20000}};
  const std::size_t band = PickWeighted(rng, kBandWeights);
  return rng.Range(kBands[band][0], kBands[band][1]);
}

Profile MakeProfile(const GenOptions& opt, int64_t number) {
  Rng rng(StreamSeed(opt.seed, static_cast<uint64_t>(number), kSaltProfile));
  Profile p;
  p.number = number;
  p.persona = static_cast<Persona>(PickWeighted(rng, kPersonaWeights));
  const auto persona = static_cast<std::size_t>(p.persona);
  static constexpr std::array<std::array<uint32_t, 5>, kPersonaCount> kTierWeights = {{
      {300, 300, 220, 120, 60},  // decision maker
      {330, 300, 220, 100, 50},  // influencer
      {420, 320, 180, 60, 20},   // individual contributor
      {500, 300, 150, 50, 0},    // student
      {400, 350, 200, 50, 0},    // journalist
      {450, 300, 200, 50, 0},    // job seeker
      {200, 300, 300, 150, 50},  // competitor
  }};
  p.tier = static_cast<uint8_t>(PickWeighted(rng, kTierWeights[persona]));
  p.country = &kCountries[PickWeighted(rng, kCountryWeights)];
  p.first_name = rng.Pick(kFirstNames[p.country->locale]);
  p.last_name = rng.Pick(kLastNames[p.country->locale]);
  p.job_title = rng.Pick(kTitles[persona]);

  static constexpr std::array<std::array<uint32_t, 6>, kPersonaCount> kSourceWeights = {{
      // webinar, organic, paid_search, referral, event, linkedin
      {20, 20, 15, 15, 15, 15},
      {22, 22, 20, 8, 10, 18},
      {18, 30, 22, 5, 8, 17},
      {10, 60, 10, 5, 5, 10},
      {15, 40, 5, 10, 25, 5},
      {2, 45, 8, 5, 5, 35},
      {30, 30, 20, 0, 15, 5},
  }};
  p.lead_source = kLeadSources[PickWeighted(rng, kSourceWeights[persona])];

  // Employer.
  const Organization* org = nullptr;
  if (p.persona == Persona::kStudent) {
    org = &rng.Pick(std::span<const Organization>(kUniversities));
  } else if (p.persona == Persona::kJournalist) {
    org = &rng.Pick(std::span<const Organization>(kMediaOutlets));
  } else if (p.persona == Persona::kCompetitor) {
    org = &rng.Pick(std::span<const Organization>(kCompetitors));
  }
  if (org != nullptr) {
    p.company_a = org->name;
    p.org_domain = org->domain;
    p.industry = org->industry;
    p.company_size = org->size;
  } else {
    const Industry& ind = kIndustries[PickWeighted(rng, kIndustryWeights)];
    p.company_a = rng.Pick(Names(kCompanyWords));
    p.company_b = rng.Pick(ind.suffixes);
    p.industry = ind.name;
    // The same company name always gets the same size and domain.
    Rng company_rng(Fnv1a(p.company_b, Fnv1a(p.company_a, opt.seed)));
    p.company_size = CompanySize(company_rng);
    p.tld = company_rng.PerMille(550) ? std::string_view(".com") : p.country->tld;
    if (p.industry == "software" && company_rng.PerMille(300)) p.tld = ".io";
    if (rng.PerMille(400)) p.legal = p.country->legal;
    if (rng.PerMille(30)) p.industry = {};     // unknown in the CRM
    if (rng.PerMille(50)) p.company_size = 0;  // unknown in the CRM
  }

  // Email address: work address, or a personal one for some personas.
  static constexpr std::array<uint32_t, kPersonaCount> kFreeMailPerMille = {60,  100, 120, 300,
                                                                            150, 800, 0};
  if (rng.PerMille(kFreeMailPerMille[persona])) {
    p.free_mail = rng.Pick(Names(kFreeMail));
    if (p.country->locale == kDe && rng.PerMille(500)) p.free_mail = "gmx.de";
    if (rng.PerMille(500)) p.email_digits = static_cast<uint32_t>(rng.Range(1, 99));
  }
  static constexpr std::array<uint32_t, 5> kStyleWeights = {55, 20, 10, 10, 5};
  p.email_style = static_cast<EmailStyle>(PickWeighted(rng, kStyleWeights));
  if (p.company_size > 0 && p.company_size <= 10 && p.free_mail.empty() && org == nullptr) {
    p.email_style = EmailStyle::kFirst;  // founders of tiny companies: anna@company
  }

  static constexpr std::array<uint32_t, kPersonaCount> kPhonePerMille = {450, 400, 300, 100,
                                                                         300, 350, 100};
  p.has_phone = rng.PerMille(kPhonePerMille[persona]);
  p.phone_bits = rng.Next();

  const int64_t window = WindowSeconds(opt);
  p.created_at = opt.start_unix + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(
                                      std::max<int64_t>(window * 85 / 100, 1))));

  // A later identify that changes something, as CRMs and forms do.
  if (rng.PerMille(350)) {
    if (!p.has_phone && rng.PerMille(500)) {
      p.update = Update::kPhone;
    } else if (p.persona == Persona::kIndividual && rng.PerMille(400)) {
      p.update = Update::kTitle;  // promoted to manager
      p.new_title = rng.Pick(Names(kTitlesInfluencer));
    } else if (p.persona == Persona::kInfluencer && rng.PerMille(400)) {
      p.update = Update::kTitle;  // promoted to director
      p.new_title = rng.Pick(Names(kTitlesDecisionMaker));
    } else if (p.company_size > 0 && org == nullptr) {
      p.update = Update::kSize;
      p.new_size = std::max<int64_t>(1, p.company_size + p.company_size / 10 + rng.Range(0, 5));
    }
  }
  return p;
}

// Lower-case ASCII for email addresses: drops spaces and apostrophes and
// transliterates the accented letters used in the name tables.
std::string EmailPart(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
      {"ä", "ae"}, {"ö", "oe"}, {"ü", "ue"}, {"ß", "ss"}, {"é", "e"},  {"è", "e"},
      {"ê", "e"},  {"á", "a"},  {"í", "i"},  {"ó", "o"},  {"ú", "u"},  {"ñ", "n"},
      {"ç", "c"},  {"ã", "a"},  {"Á", "a"},  {"É", "e"},  {"Ö", "oe"}, {"Ü", "ue"}};
  std::string out;
  for (std::size_t i = 0; i < name.size();) {
    const char c = name[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      bool mapped = false;
      for (const auto& [from, to] : kMap) {
        if (name.substr(i, from.size()) == from) {
          out += to;
          i += from.size();
          mapped = true;
          break;
        }
      }
      if (!mapped) ++i;  // unknown non-ASCII byte: drop it
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
  std::string local;
  switch (p.email_style) {
    case EmailStyle::kFirstDotLast:
      local = first + "." + last;
      break;
    case EmailStyle::kInitialLast:
      local = first.substr(0, 1) + last;
      break;
    case EmailStyle::kFirst:
      local = first;
      break;
    case EmailStyle::kFirstLast:
      local = first + last;
      break;
    case EmailStyle::kFirstUnderLast:
      local = first + "_" + last;
      break;
  }
  if (!p.free_mail.empty()) {
    if (p.email_digits > 0) local += std::to_string(p.email_digits);
    return local + "@" + std::string(p.free_mail);
  }
  if (!p.org_domain.empty()) return local + "@" + std::string(p.org_domain);
  return local + "@" + EmailPart(p.company_a) + EmailPart(p.company_b) + std::string(p.tld);
}

std::string Phone(const Profile& p) {
  std::string s(p.country->phone);
  uint64_t bits = p.phone_bits;
  for (char& c : s) {
    if (c == '#') {
      c = static_cast<char>('0' + bits % 10);
      bits /= 10;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------
// Formatting helpers: manual appends into one reused buffer.
// ---------------------------------------------------------------------------

void AppendUint(std::string& buf, uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) buf += tmp[--n];
}

void AppendInt(std::string& buf, int64_t v) {
  if (v < 0) {
    buf += '-';
    AppendUint(buf, 0 - static_cast<uint64_t>(v));
  } else {
    AppendUint(buf, static_cast<uint64_t>(v));
  }
}

void AppendDigits(std::string& buf, int64_t v, int width) {
  char tmp[8];
  for (int i = width - 1; i >= 0; --i) {
    tmp[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  buf.append(tmp, static_cast<std::size_t>(width));
}

struct CivilDate {
  int64_t year;
  int month, day;
};

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendDate(std::string& buf, int64_t unix_seconds) {
  const CivilDate d = CivilFromDays(FloorDiv(unix_seconds, 86400));
  AppendDigits(buf, d.year, 4);
  buf += '-';
  AppendDigits(buf, d.month, 2);
  buf += '-';
  AppendDigits(buf, d.day, 2);
}

// RFC 3339 UTC, e.g. 2026-03-01T09:30:00Z.
void AppendTimestamp(std::string& buf, int64_t unix_seconds) {
  AppendDate(buf, unix_seconds);
  const int64_t sod = unix_seconds - FloorDiv(unix_seconds, 86400) * 86400;
  buf += 'T';
  AppendDigits(buf, sod / 3600, 2);
  buf += ':';
  AppendDigits(buf, sod / 60 % 60, 2);
  buf += ':';
  AppendDigits(buf, sod % 60, 2);
  buf += 'Z';
}

void AppendJsonString(std::string& buf, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  buf += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      buf += '\\';
      buf += c;
    } else if (u < 0x20) {
      buf += "\\u00";
      buf += kHex[u >> 4];
      buf += kHex[u & 15];
    } else {
      buf += c;
    }
  }
  buf += '"';
}

// "key":"value" for values known to need no escaping (our own tables).
void AppendField(std::string& buf, std::string_view key, std::string_view value) {
  buf += '"';
  buf += key;
  buf += "\":\"";
  buf += value;
  buf += '"';
}

void AppendLeadId(std::string& buf, int64_t number) {
  buf += "L-";
  if (number < 1000000) {
    AppendDigits(buf, number, 6);
  } else {
    AppendInt(buf, number);
  }
}

void AppendCsvField(std::string& buf, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    buf += s;
    return;
  }
  buf += '"';
  for (const char c : s) {
    if (c == '"') buf += '"';
    buf += c;
  }
  buf += '"';
}

constexpr std::size_t kFlushBytes = 1 << 20;

void FlushIfFull(std::string& buf, std::ostream& out) {
  if (buf.size() >= kFlushBytes) {
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.clear();
  }
}

// ---------------------------------------------------------------------------
// Activities.
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

// Weights of the activities a persona picks from (identify and the special
// one-off kinds at the end have weight 0 here).
using KindWeights = std::array<uint32_t, kKindCount>;

constexpr KindWeights MakeWeights(std::initializer_list<std::pair<Kind, uint32_t>> entries) {
  KindWeights w{};
  for (const auto& [kind, weight] : entries) w[kind] = weight;
  return w;
}

// Buyers researching the problem.
constexpr KindWeights kBrowse = MakeWeights({{kPageHome, 15},
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
                                             {kSoftBounce, 1}});
// Buyers evaluating a purchase.
constexpr KindWeights kEvaluate = MakeWeights({{kPagePricing, 25},
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
                                               {kPageCustomers, 3}});
constexpr KindWeights kStudentMix = MakeWeights({{kPageBlog, 30},
                                                 {kPageDocs, 20},
                                                 {kPageHome, 10},
                                                 {kDownloadWhitepaper, 10},
                                                 {kDownloadEbook, 8},
                                                 {kWebinar, 8},
                                                 {kPageCareers, 8},
                                                 {kPagePricing, 3},
                                                 {kEmailClicked, 5},
                                                 {kFormNewsletter, 2}});
constexpr KindWeights kJournalistMix = MakeWeights({{kPageBlog, 20},
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
                                                    {kFormContact, 1}});
constexpr KindWeights kJobSeekerMix = MakeWeights({{kPageCareers, 40},
                                                   {kPageAbout, 15},
                                                   {kPageHome, 10},
                                                   {kPageBlog, 10},
                                                   {kPageCustomers, 5},
                                                   {kPageProduct, 5},
                                                   {kPagePricing, 3},
                                                   {kPageDocs, 4},
                                                   {kEmailClicked, 3},
                                                   {kDownloadEbook, 2}});
constexpr KindWeights kCompetitorMix = MakeWeights({{kPagePricing, 25},
                                                    {kPageDocs, 15},
                                                    {kPageProduct, 15},
                                                    {kPageIntegrations, 10},
                                                    {kPageCustomers, 8},
                                                    {kDownloadWhitepaper, 4},
                                                    {kDownloadCaseStudy, 4},
                                                    {kWebinar, 8},
                                                    {kPageDemo, 5},
                                                    {kPageBlog, 5},
                                                    {kFormDemo, 1}});

// Chance (per mille) that a buyer's next activity is evaluation rather than
// research, by tier; it grows as the buyer's journey progresses.
constexpr std::array<uint32_t, 5> kEvaluateBase = {30, 80, 200, 350, 400};
// Activity volume of a lead, by tier: a weight in [lo, hi].
constexpr int64_t kTierVolume[5][2] = {{1, 2}, {3, 6}, {8, 16}, {25, 50}, {70, 150}};

enum LeadFlags : uint8_t {
  kDidDemoForm = 1,
  kDidContactForm = 2,
  kDidNewsletter = 4,
};

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// Per-lead generation state: kept small because benchmarks use many leads.
struct LeadState {
  uint64_t rng = 0;
  int64_t next_ts = 0;            // time of the next item
  uint32_t activities = 0;        // planned activities
  uint32_t done = 0;              // activities emitted
  uint32_t items_left = 0;        // identifies and activities still to emit
  uint32_t seq = 0;               // events emitted, for messageIds
  uint32_t update_after = kNone;  // the update identify follows this many activities
  uint32_t bant_at = kNone;       // the BANT form is activity number bant_at
  uint32_t link = kNone;          // next lead in the same time bucket
  Persona persona = Persona::kIndividual;
  uint8_t tier = 0;
  uint8_t flags = 0;
  Kind terminal = kKindCount;  // the last activity, if any (unsubscribe, bounce, spam)
  Kind first = kKindCount;     // the first activity, if fixed by the lead source
};

// One generated event waiting in its time bucket to be sorted and written.
struct Pending {
  int64_t ts;
  uint32_t lead;  // 0-based
  uint32_t seq;
  uint64_t bits;  // random bits for the event's details
  Kind kind;
};

Kind ChooseActivity(LeadState& st, Rng& rng) {
  if (st.done == 0 && st.first != kKindCount) return st.first;
  if (st.terminal != kKindCount && st.done + 1 == st.activities) return st.terminal;
  if (st.done == st.bant_at) return kBant;
  const KindWeights* mix = &kBrowse;
  switch (st.persona) {
    case Persona::kDecisionMaker:
    case Persona::kInfluencer:
    case Persona::kIndividual: {
      uint64_t p = kEvaluateBase[st.tier] + uint64_t{250} * st.done / std::max(st.activities, 1u);
      if (st.persona == Persona::kIndividual) p /= 2;
      if (rng.PerMille(p)) mix = &kEvaluate;
      break;
    }
    case Persona::kStudent:
      mix = &kStudentMix;
      break;
    case Persona::kJournalist:
      mix = &kJournalistMix;
      break;
    case Persona::kJobSeeker:
      mix = &kJobSeekerMix;
      break;
    case Persona::kCompetitor:
      mix = &kCompetitorMix;
      break;
  }
  Kind kind = static_cast<Kind>(PickWeighted(rng, *mix));
  // Forms are submitted once; a second visit is a look at pricing instead.
  auto once = [&](Kind k, uint8_t flag) {
    if (kind != k) return;
    if (st.flags & flag) {
      kind = kPagePricing;
    } else {
      st.flags |= flag;
    }
  };
  once(kFormDemo, kDidDemoForm);
  once(kFormContact, kDidContactForm);
  if (kind == kFormNewsletter && (st.flags & kDidNewsletter)) kind = kPageBlog;
  st.flags |= (kind == kFormNewsletter ? kDidNewsletter : 0);
  return kind;
}

// Time of the next item after `t`: either later in the same visit, or a gap
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

// ---------------------------------------------------------------------------
// Event details.
// ---------------------------------------------------------------------------

constexpr std::string_view kSite = "https://acme.io";
constexpr std::string_view kBlogPaths[] = {"/blog/what-is-an-mql", "/blog/speed-to-lead",
                                           "/blog/bant-in-2026",   "/blog/lead-scoring-decay",
                                           "/blog/fit-vs-intent",  "/blog/revops-stack"};
constexpr std::string_view kProductPaths[] = {"/product", "/product/scoring", "/product/routing",
                                              "/product/analytics"};
constexpr std::string_view kDocsPaths[] = {"/docs/getting-started", "/docs/playbook", "/docs/api",
                                           "/docs/import-csv", "/docs/scoring"};
constexpr std::string_view kCustomerPaths[] = {"/customers", "/customers/northwind-logistics",
                                               "/customers/meridian-health"};
constexpr std::string_view kIntegrationPaths[] = {"/integrations", "/integrations/salesforce",
                                                  "/integrations/hubspot", "/integrations/segment"};
constexpr std::string_view kAboutPaths[] = {"/about", "/about/team", "/about/press"};
constexpr std::string_view kPricingPaths[] = {"/pricing", "/pricing", "/pricing?plan=team",
                                              "/pricing?plan=enterprise"};
constexpr std::string_view kDemoPaths[] = {"/request-a-demo", "/demo"};
constexpr std::string_view kReferrers[] = {"https://www.google.com/", "https://www.linkedin.com/",
                                           "https://www.bing.com/", "https://news.ycombinator.com/",
                                           "https://www.g2.com/"};
constexpr std::string_view kWebinars[] = {"mql-masterclass", "speed-to-lead-101", "bant-workshop",
                                          "revops-roundtable", "scoring-that-sales-trusts"};
constexpr std::string_view kCampaigns[] = {"spring-launch",        "webinar-invite-q2",
                                           "speed-to-lead-series", "product-update-april",
                                           "customer-stories",     "nurture-week-3"};
constexpr std::string_view kWhitepapers[] = {"Whitepaper: The Cost of Slow Lead Response",
                                             "Whitepaper: Lead Scoring That Sales Trusts"};
constexpr std::string_view kEbooks[] = {"eBook: The RevOps Playbook",
                                        "E-book: BANT for Modern Sales Teams"};
constexpr std::string_view kCaseStudies[] = {"Case Study: Northwind Logistics",
                                             "Case Study: Meridian Health"};
constexpr std::string_view kNeeds[] = {"Consistent MQL definition across teams",
                                       "Faster speed to lead", "Replace spreadsheet lead scoring",
                                       "Audit trail for stage changes",
                                       "Route inbound demo requests"};
constexpr std::string_view kCurrentSolutions[] = {"spreadsheets", "HubSpot lead scoring",
                                                  "Salesforce reports", "homegrown scripts"};

// Takes n-way choices from a word of random bits.
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

struct Page {
  std::string_view name;
  std::string_view path;
};

void AppendPage(std::string& buf, const Page& page, Bits& bits, uint64_t careers_job) {
  buf += "\"name\":\"";
  buf += page.name;
  buf += "\",\"properties\":{\"path\":\"";
  buf += page.path;
  if (careers_job != 0) {
    buf += "/jobs/";
    AppendUint(buf, careers_job);
  }
  buf += "\",\"url\":\"";
  buf += kSite;
  buf += page.path;
  if (careers_job != 0) {
    buf += "/jobs/";
    AppendUint(buf, careers_job);
  }
  buf += '"';
  if (bits.Take(2) == 0) {
    buf += ',';
    AppendField(buf, "referrer", bits.Pick(kReferrers));
  }
  buf += '}';
}

void AppendTraits(std::string& buf, const Profile& p) {
  buf += "\"traits\":{";
  buf += "\"email\":";
  AppendJsonString(buf, Email(p));
  buf += ",\"first_name\":";
  AppendJsonString(buf, p.first_name);
  buf += ",\"last_name\":";
  AppendJsonString(buf, p.last_name);
  buf += ",\"company\":";
  AppendJsonString(buf, CompanyName(p));
  buf += ",\"job_title\":";
  AppendJsonString(buf, p.job_title);
  if (!p.industry.empty()) {
    buf += ',';
    AppendField(buf, "industry", p.industry);
  }
  if (p.company_size > 0) {
    buf += ",\"company_size\":";
    AppendInt(buf, p.company_size);
  }
  buf += ',';
  AppendField(buf, "country", p.country->code);
  buf += ',';
  AppendField(buf, "lead_source", p.lead_source);
  if (p.has_phone) {
    buf += ",\"phone\":";
    AppendJsonString(buf, Phone(p));
  }
  buf += '}';
}

void AppendUpdateTraits(std::string& buf, const Profile& p) {
  buf += "\"traits\":{";
  switch (p.update) {
    case Update::kPhone:
      buf += "\"phone\":";
      AppendJsonString(buf, Phone(p));
      break;
    case Update::kTitle:
      buf += "\"job_title\":";
      AppendJsonString(buf, p.new_title);
      break;
    case Update::kSize:
      buf += "\"company_size\":";
      AppendInt(buf, p.new_size);
      break;
    case Update::kNone:
      break;
  }
  buf += '}';
}

void AppendBant(std::string& buf, const Pending& e, Persona persona, Bits& bits) {
  static constexpr std::string_view kBudgets[] = {
      "confirmed", "confirmed", "confirmed",   "confirmed",   "confirmed",
      "confirmed", "confirmed", "unconfirmed", "unconfirmed", "none"};
  std::string_view authority = "decision_maker";
  const uint64_t a = bits.Take(10);
  if (persona == Persona::kDecisionMaker) {
    if (a == 0) authority = "influencer";
  } else {
    authority = a < 2 ? "decision_maker" : (a < 9 ? "influencer" : "researcher");
  }
  // Decision expected in 2 to 17 weeks: most within the 90 days that pass.
  const int64_t timeline = e.ts + (14 + static_cast<int64_t>(bits.Take(106))) * 86400;
  buf += "\"properties\":{";
  AppendField(buf, "budget", bits.Pick(kBudgets));
  buf += ',';
  AppendField(buf, "authority", authority);
  buf += ',';
  AppendField(buf, "need", bits.Pick(kNeeds));
  buf += ",\"timeline\":\"";
  AppendDate(buf, timeline);
  buf += '"';
  if (bits.Take(3) != 0) {
    buf += ',';
    AppendField(buf, "current_solution", bits.Pick(kCurrentSolutions));
  }
  buf += '}';
}

void AppendEvent(std::string& buf, const GenOptions& opt, const Pending& e, Persona persona) {
  const int64_t number = int64_t{e.lead} + 1;
  Bits bits(e.bits);
  auto open = [&](std::string_view type) {
    buf += "{\"type\":\"";
    buf += type;
    buf += "\",\"userId\":\"";
    AppendLeadId(buf, number);
    buf += "\",";
  };
  auto track = [&](std::string_view event) {
    open("track");
    AppendField(buf, "event", event);
    buf += ",\"properties\":{";
  };
  auto page = [&](std::string_view name, std::string_view path, uint64_t careers_job = 0) {
    open("page");
    AppendPage(buf, Page{name, path}, bits, careers_job);
  };
  auto campaign = [&] { AppendField(buf, "campaign", bits.Pick(kCampaigns)); };

  switch (e.kind) {
    case kIdentify:
    case kIdentifyUpdate: {
      const Profile p = MakeProfile(opt, number);
      open("identify");
      if (e.kind == kIdentify) {
        AppendTraits(buf, p);
      } else {
        AppendUpdateTraits(buf, p);
      }
      break;
    }
    case kPageHome:
      page("Home", "/");
      break;
    case kPageBlog:
      page("Blog", bits.Pick(kBlogPaths));
      break;
    case kPageProduct:
      page("Product", bits.Pick(kProductPaths));
      break;
    case kPageDocs:
      page("Docs", bits.Pick(kDocsPaths));
      break;
    case kPageCustomers:
      page("Customers", bits.Pick(kCustomerPaths));
      break;
    case kPageIntegrations:
      page("Integrations", bits.Pick(kIntegrationPaths));
      break;
    case kPageAbout:
      page("About", bits.Pick(kAboutPaths));
      break;
    case kPagePricing:
      page("Pricing", bits.Pick(kPricingPaths));
      break;
    case kPageDemo:
      page("Request a Demo", bits.Pick(kDemoPaths));
      break;
    case kPageCareers: {
      const uint64_t job = bits.Take(3) == 0 ? 0 : 101 + bits.Take(40);
      page("Careers", "/careers", job);
      break;
    }
    case kWebinar:
      track("webinar_attended");
      AppendField(buf, "webinar", bits.Pick(kWebinars));
      buf += ",\"minutes\":";
      AppendUint(buf, 5 + bits.Take(56));
      buf += '}';
      break;
    case kEmailClicked: {
      track("email_clicked");
      campaign();
      static constexpr std::string_view kLinks[] = {"/blog/speed-to-lead", "/pricing", "/customers",
                                                    "/webinars"};
      buf += ",\"link\":\"";
      buf += kSite;
      buf += bits.Pick(kLinks);
      buf += "\"}";
      break;
    }
    case kEmailReplied:
      track("email_replied");
      campaign();
      buf += '}';
      break;
    case kFormDemo:
    case kFormContact:
    case kFormNewsletter:
      track("form_submitted");
      AppendField(
          buf, "form",
          e.kind == kFormDemo ? "demo" : (e.kind == kFormContact ? "contact" : "newsletter"));
      buf += '}';
      break;
    case kDownloadWhitepaper:
    case kDownloadEbook:
    case kDownloadCaseStudy:
      track("content_downloaded");
      AppendField(buf, "asset",
                  e.kind == kDownloadWhitepaper
                      ? bits.Pick(kWhitepapers)
                      : (e.kind == kDownloadEbook ? bits.Pick(kEbooks) : bits.Pick(kCaseStudies)));
      buf += ",\"format\":\"pdf\"}";
      break;
    case kBant:
      open("track");
      AppendField(buf, "event", "bant_form_submitted");
      buf += ',';
      AppendBant(buf, e, persona, bits);
      break;
    case kUnsubscribed:
      track("unsubscribed");
      campaign();
      buf += '}';
      break;
    case kSoftBounce:
    case kHardBounce:
      track("email_bounced");
      AppendField(buf, "bounce", e.kind == kHardBounce ? "hard" : "soft");
      buf += ',';
      campaign();
      buf += '}';
      break;
    case kSpamReported:
      track("spam_reported");
      campaign();
      buf += '}';
      break;
    case kKindCount:
      break;
  }
  buf += ",\"timestamp\":\"";
  AppendTimestamp(buf, e.ts);
  buf += '"';
  if (opt.with_message_ids) {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t id = Mix64(StreamSeed(opt.seed, static_cast<uint64_t>(number), kSaltMessage) + e.seq);
    char hex[16];
    for (int i = 15; i >= 0; --i) {
      hex[i] = kHex[id & 15];
      id >>= 4;
    }
    buf += ",\"messageId\":\"m-";
    buf.append(hex, 16);
    buf += '"';
  }
  buf += "}\n";
}

// Sets up a lead's activity plan; returns its volume weight.
uint32_t PlanLead(const GenOptions& opt, int64_t number, LeadState& st) {
  const Profile p = MakeProfile(opt, number);
  Rng rng(StreamSeed(opt.seed, static_cast<uint64_t>(number), kSaltActivity));
  st.persona = p.persona;
  st.tier = p.tier;
  st.next_ts = p.created_at;
  const uint32_t weight =
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
  st.flags = static_cast<uint8_t>(p.update != Update::kNone ? 0x80 : 0);  // resolved in Finalize
  st.rng = rng.state();
  return weight;
}

// Once the activity count is known: place the update identify and the BANT form.
void FinalizeLead(LeadState& st, uint32_t activities) {
  Rng rng(st.rng);
  st.activities = activities;
  const bool has_update = (st.flags & 0x80) != 0 && activities >= 1;
  st.flags = 0;
  if (has_update) st.update_after = static_cast<uint32_t>(rng.Range(1, activities));
  const bool buyer = st.persona == Persona::kDecisionMaker || st.persona == Persona::kInfluencer;
  if (buyer && st.tier >= 2 && activities >= 4) {
    const uint64_t chance = st.persona == Persona::kDecisionMaker ? 350 : 200;
    if (rng.PerMille(chance)) {
      st.bant_at = static_cast<uint32_t>(activities * 6 / 10 + rng.Below(activities * 3 / 10 + 1));
      if (st.bant_at >= activities) st.bant_at = activities - 1;
    }
  }
  if (activities == 0) st.terminal = kKindCount;
  st.items_left = 1 + activities + (has_update ? 1 : 0);
  st.rng = rng.state();
}

}  // namespace

void GenerateEvents(const GenOptions& opt, std::ostream& out) {
  const int64_t leads = std::clamp<int64_t>(opt.leads, 0, std::numeric_limits<uint32_t>::max() - 1);
  const uint64_t events = static_cast<uint64_t>(std::max<int64_t>(opt.events, 0));
  if (leads == 0) return;
  const int64_t window = WindowSeconds(opt);
  const int64_t end = opt.start_unix + window;

  // Plan every lead and share the events out by volume weight.
  std::vector<LeadState> states(static_cast<std::size_t>(leads));
  std::vector<uint32_t> weights(states.size());
  uint64_t total_weight = 0;
  for (std::size_t i = 0; i < states.size(); ++i) {
    weights[i] = PlanLead(opt, static_cast<int64_t>(i) + 1, states[i]);
    total_weight += weights[i];
  }
  uint64_t assigned = 0;
  std::vector<uint32_t> counts(states.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    // events * weight can overflow only for absurd inputs; split the product.
    const uint64_t q = events / total_weight;
    const uint64_t r = events % total_weight;
    counts[i] = static_cast<uint32_t>(q * weights[i] + r * weights[i] / total_weight);
    assigned += counts[i];
  }
  // Spread the rounding remainder evenly over the leads.
  const uint64_t remainder = events - assigned;
  const uint64_t n = states.size();
  for (uint64_t i = 0; i < n; ++i) {
    if ((i + 1) * remainder / n != i * remainder / n) ++counts[i];
  }
  for (std::size_t i = 0; i < states.size(); ++i) FinalizeLead(states[i], counts[i]);
  weights = {};
  counts = {};

  // Calendar queue: each lead waits in the hourly bucket of its next item;
  // a bucket's events are generated, sorted and written in one go.
  constexpr int64_t kBucketSeconds = 3600;
  const std::size_t buckets = static_cast<std::size_t>(window / kBucketSeconds + 1);
  std::vector<uint32_t> heads(buckets, kNone);
  auto bucket_of = [&](int64_t ts) {
    return static_cast<std::size_t>((ts - opt.start_unix) / kBucketSeconds);
  };
  for (std::size_t i = 0; i < states.size(); ++i) {
    const std::size_t b = bucket_of(states[i].next_ts);
    states[i].link = heads[b];
    heads[b] = static_cast<uint32_t>(i);
  }

  std::string buf;
  buf.reserve(kFlushBytes + 4096);
  std::vector<Pending> pending;
  for (std::size_t b = 0; b < buckets; ++b) {
    const int64_t bucket_end = opt.start_unix + static_cast<int64_t>(b + 1) * kBucketSeconds;
    pending.clear();
    uint32_t lead = heads[b];
    heads[b] = kNone;
    while (lead != kNone) {
      LeadState& st = states[lead];
      const uint32_t next_lead = st.link;
      Rng rng(st.rng);
      while (st.items_left > 0 && st.next_ts < bucket_end) {
        Kind kind;
        if (st.seq == 0) {
          kind = kIdentify;
        } else if (st.update_after != kNone && st.done == st.update_after) {
          kind = kIdentifyUpdate;
          st.update_after = kNone;
        } else {
          kind = ChooseActivity(st, rng);
          ++st.done;
        }
        pending.push_back(Pending{st.next_ts, lead, st.seq, rng.Next(), kind});
        ++st.seq;
        --st.items_left;
        if (st.items_left > 0) st.next_ts = NextTime(rng, st.next_ts, end, st.items_left, st.tier);
      }
      st.rng = rng.state();
      if (st.items_left > 0) {
        const std::size_t nb = bucket_of(st.next_ts);
        st.link = heads[nb];
        heads[nb] = lead;
      }
      lead = next_lead;
    }
    std::sort(pending.begin(), pending.end(), [](const Pending& x, const Pending& y) {
      if (x.ts != y.ts) return x.ts < y.ts;
      if (x.lead != y.lead) return x.lead < y.lead;
      return x.seq < y.seq;
    });
    for (const Pending& e : pending) {
      AppendEvent(buf, opt, e, states[e.lead].persona);
      FlushIfFull(buf, out);
    }
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

void GenerateLeadsCsv(const GenOptions& opt, std::ostream& out) {
  std::string buf;
  buf.reserve(kFlushBytes + 4096);
  buf +=
      "id,First Name,Last Name,Email,Company,Job Title,Industry,Company Size,Country,Lead "
      "Source,created_at\n";
  for (int64_t number = 1; number <= opt.leads; ++number) {
    const Profile p = MakeProfile(opt, number);
    AppendLeadId(buf, number);
    buf += ',';
    AppendCsvField(buf, p.first_name);
    buf += ',';
    AppendCsvField(buf, p.last_name);
    buf += ',';
    AppendCsvField(buf, Email(p));
    buf += ',';
    AppendCsvField(buf, CompanyName(p));
    buf += ',';
    AppendCsvField(buf, p.job_title);
    buf += ',';
    AppendCsvField(buf, p.industry);
    buf += ',';
    if (p.company_size > 0) AppendInt(buf, p.company_size);
    buf += ',';
    buf += p.country->code;
    buf += ',';
    buf += p.lead_source;
    buf += ',';
    AppendTimestamp(buf, p.created_at);
    buf += '\n';
    FlushIfFull(buf, out);
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

}  // namespace leadgate::demo
