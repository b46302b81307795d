// Word lists for the pii module, typed in by the dpkit authors from public facts:
//   - Given names: among the most frequent US baby names 1950-2000 (US Social Security
//     Administration, "Popular Baby Names", ssa.gov/oact/babynames), plus frequent given names of
//     European countries (national statistics offices' published top-name tables).
//   - Surnames: among the most frequent surnames of the US Census 2010 surname table
//     (census.gov, "Frequently Occurring Surnames from the 2010 Census").
//   - US cities: city, state, ZIP prefix and an area code serving it (USPS and NANPA public
//     assignments); population is rounded (US Census estimates), used only as a sampling weight.
//   - IBAN lengths: SWIFT IBAN registry. Calling codes: ITU-T E.164 assignments. TLDs: IANA root
//     zone (generic TLDs in common use and ISO 3166 country codes).
// Names that occur in the evaluation data sets (pii-fakenamegenerator, pii-gretel, pii-presidio)
// were deliberately kept out of the lists unless they are in the public top tables above.
#include "pii/lexicon.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace dpkit::pii::lexicon {
namespace {

constexpr std::string_view kFemale[] = {
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily",
    "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Dorothy",
    "Rebecca", "Sharon", "Laura", "Cynthia", "Amy", "Kathleen", "Angela", "Shirley", "Brenda",
    "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine", "Christine", "Helen", "Debra",
    "Rachel", "Carolyn", "Janet", "Maria", "Catherine", "Heather", "Diane", "Olivia", "Julie",
    "Joyce", "Victoria", "Ruth", "Virginia", "Lauren", "Kelly", "Christina", "Joan", "Evelyn",
    "Judith", "Andrea", "Hannah", "Megan", "Cheryl", "Jacqueline", "Martha", "Madison", "Teresa",
    "Gloria", "Sara", "Janice", "Ann", "Kathryn", "Abigail", "Sophia", "Frances", "Jean",
    "Alice", "Judy", "Isabella", "Julia", "Grace", "Amber", "Denise", "Danielle", "Marilyn",
    "Beverly", "Charlotte", "Natalie", "Theresa", "Diana", "Brittany", "Doris", "Kayla", "Alexis",
    "Lori", "Marie", "Jane", "Rose", "Irene", "Mona", "Paula", "Kate", "Nora", "Ella", "Chloe",
    "Lily", "Zoe", "Mia", "Ava", "Harper", "Aria", "Ellie", "Leah", "Audrey", "Claire", "Lucy",
    "Eva", "Stella", "Hazel", "Violet", "Aurora", "Tiffany", "Crystal", "Erin", "Tracy",
    "Wendy", "Vanessa", "Monica", "Erica", "Holly", "Valerie", "Gina", "Carmen", "Rosa", "Sylvia",
    "Yvonne", "Anita", "Connie", "Tina", "Dana", "Kristen", "Courtney", "Whitney", "Jasmine",
};

constexpr std::string_view kMale[] = {
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul",
    "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward",
    "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen",
    "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Frank",
    "Patrick", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron", "Jose", "Adam", "Nathan",
    "Henry", "Douglas", "Zachary", "Peter", "Kyle", "Ethan", "Walter", "Noah", "Jeremy",
    "Christian", "Keith", "Roger", "Terry", "Gerald", "Harold", "Sean", "Austin", "Carl",
    "Arthur", "Lawrence", "Dylan", "Jesse", "Jordan", "Bryan", "Billy", "Joe", "Bruce", "Gabriel",
    "Logan", "Albert", "Willie", "Alan", "Juan", "Wayne", "Elijah", "Randy", "Roy", "Vincent",
    "Ralph", "Eugene", "Russell", "Bobby", "Mason", "Philip", "Louis", "Liam", "Lucas", "Oliver",
    "Leo", "Oscar", "Ray", "Bob", "Jim", "Tom", "Mike", "Dave", "Steve", "Chris", "Tony", "Sam",
    "Ben", "Dan", "Joel", "Luke", "Owen", "Caleb", "Isaac", "Hunter", "Connor", "Evan", "Ian",
    "Adrian", "Marcus", "Victor", "Martin", "Craig", "Shawn", "Travis", "Derek", "Todd", "Troy",
    "Allen", "Howard", "Fred", "Glenn", "Barry", "Dale", "Curtis", "Manuel", "Carlos", "Luis",
};

// Frequent given names in European and other national top-name tables (detection only).
constexpr std::string_view kOther[] = {
    "Hans", "Klaus", "Jürgen", "Stefan", "Wolfgang", "Andreas", "Uwe", "Dieter", "Matthias",
    "Lukas", "Felix", "Maximilian", "Jonas", "Leon", "Paul", "Ursula", "Monika", "Petra",
    "Sabine", "Renate", "Helga", "Karin", "Brigitte", "Ingrid", "Erika", "Andrea", "Gabriele",
    "Sophie", "Marie", "Lena", "Lea", "Hanna", "Jean", "Pierre", "Michel", "Philippe", "Alain",
    "Nicolas", "Christophe", "François", "Julien", "Camille", "Nathalie", "Isabelle", "Sylvie",
    "Catherine", "Françoise", "Valérie", "Céline", "Giuseppe", "Giovanni", "Antonio", "Mario",
    "Luigi", "Francesco", "Marco", "Alessandro", "Andrea", "Giulia", "Francesca", "Chiara",
    "Sara", "Alessia", "Martina", "Antonella", "José", "Manuel", "Francisco", "Javier",
    "Miguel", "Pedro", "Pablo", "Alejandro", "Carmen", "Josefa", "Isabel", "Dolores", "Pilar",
    "Lucía", "Ana", "João", "Joana", "Beatriz", "Mariana", "Rafael", "Tiago", "Jan",
    "Piotr", "Krzysztof", "Tomasz", "Paweł", "Anna", "Katarzyna", "Małgorzata", "Agnieszka",
    "Barbara", "Zofia", "Jakub", "Petr", "Jiří", "Josef", "Tereza", 
    "Lenka", "Marie", "László", "István", "Zoltán", "Gábor", "Erzsébet",
    "Katalin", "Ilona", "Mikko", "Juha", "Timo", "Matti", "Aino",
    "Eino", "Helmi", "Lars", "Anders", "Johan", "Erik", "Karl", "Nils", "Sven", "Olle",
    "Ingrid", "Astrid", "Elsa", "Maja", "Freja", "Mette", "Kirsten", "Søren", "Jens", "Niels",
    "Bjørn", "Ole", "Kari", "Sigrid", "Dmitri", "Sergei", "Ivan", "Vladimir",
    "Olga", "Tatiana", "Natalia", "Svetlana", "Irina", "Yuki", "Hiroshi", "Takashi",
    "Akira", "Kenji", "Haruto", "Sakura", "Wei", "Li", "Ming", 
    "Fatima", "Mohammed", "Ahmed", "Ali", "Omar", "Hassan", "Priya", "Rahul", "Amit", "Ravi",
    "Anjali", "Deepak", "Sanjay", "Oluwaseun", "Chinedu", "Kwame", "Amara", "Callum",
    "Fiona", "Siobhan", "Aoife", "Seamus", "Niamh", "Carl",
    "Rosa", "Sue", "Magnus", "Axel", "Emil", "Hugo", "Elias", "Noel", "Lina", "Nina", "Alma",
};

constexpr std::string_view kSurnames[] = {
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner",
    "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris", "Morales",
    "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson", "Bailey",
    "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson", "Brooks",
    "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price", "Alvarez",
    "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez", "Powell",
    "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson",
    "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson",
    "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West",
    "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar",
    "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez",
    "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman",
    "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter",
    "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks",
    "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar",
    "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson",
    "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn",
    "Kelley", "Spencer", "Hawkins", "Arnold", "Pierce", "Vazquez", "Hansen", "Peters", "Santos",
    "Hart", "Bradley", "Knight", "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson",
    "Carroll", "Lane", "Riley", "Andrews", "Alvarado", "Ray", "Delgado", "Berry", "Perkins",
    "Hoffman", "Johnston", "Matthews", "Pena", "Richards", "Contreras", "Willis", "Carpenter",
    "Lawrence", "Sandoval", "Müller", "Schneider", "Fischer", "Weber",
    "Becker", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Braun",
    "Zimmermann", "Hofmann", "Krüger", "Lange", "Werner", "Bernard", "Dubois", "Durand",
    "Lefebvre", "Leroy", "Moreau", "Simon", "Laurent", "Michel", "Rossi", "Russo", "Ferrari",
    "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", 
    "Oliveira", "Pereira", "Costa", "Ferreira", "Nowak", "Kowalski",
    "Wiśniewski", "Novák", "Svoboda", "Dvořák", "Horváth", "Nagy", "Kovács",
    "Szabó", "Tóth", "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Johansson", "Karlsson",
    "Nilsson", "Larsson", "Eriksson", "Jensen", "Nielsen", "Hansen",
    "Pedersen", "Andersen", "Olsen", "Ivanov", "Petrov", "Smirnov",
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", 
    "Wang", "Zhang", "Liu", "Yang", "Huang", "Singh", "Kumar", "Sharma", "Khan",
    
};

constexpr std::string_view kStreetNames[] = {
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
    "Walnut", "Sunset", "Lincoln", "Jackson", "Church", "River", "Highland", "Willow",
    "Jefferson", "Franklin", "Madison", "Meadow", "Forest", "Spring", "Ridge", "Center", "Adams",
    "Chestnut", "Dogwood", "Birch", "Spruce", "Hickory", "Laurel", "Magnolia", "Cherry",
    "Poplar", "Sycamore", "Aspen", "Valley", "Lakeview", "Railroad", "Mill", "Water", "Union",
    "Broad", "High", "Front", "Market", "Grant", "Harrison", "Monroe", "Wilson", "Lee",
    "Hillcrest", "Fairview", "Woodland", "Greenwood", "Cottage", "Orchard", "Prospect",
    "Riverside", "Summit", "Bridge", "Mulberry", "Beech", "Holly", "Juniper", "Sherwood",
    "Kingston", "Liberty", "Heritage", "Columbia", "Franklin", "Jones", "Canyon", "Mesa",
    "Bayview", "Ocean", "Harbor", "Mountain", "Sierra", "Vista", "Cypress", "Palm", "1st", "2nd",
    "3rd", "4th", "5th", "6th", "7th", "8th", "9th", "10th", "12th", "14th",
};

constexpr StreetType kStreetTypes[] = {
    {"Street", "St"},    {"Avenue", "Ave"},  {"Road", "Rd"},       {"Drive", "Dr"},
    {"Lane", "Ln"},      {"Boulevard", "Blvd"}, {"Court", "Ct"},   {"Place", "Pl"},
    {"Way", "Way"},      {"Circle", "Cir"},  {"Terrace", "Ter"},   {"Parkway", "Pkwy"},
    {"Trail", "Trl"},    {"Highway", "Hwy"}, {"Square", "Sq"},     {"Loop", "Loop"},
};

constexpr UsCity kCities[] = {
    {"New York", "NY", 100, 212, 8300},      {"Los Angeles", "CA", 900, 213, 3900},
    {"Chicago", "IL", 606, 312, 2700},       {"Houston", "TX", 770, 713, 2300},
    {"Phoenix", "AZ", 850, 602, 1600},       {"Philadelphia", "PA", 191, 215, 1580},
    {"San Antonio", "TX", 782, 210, 1430},   {"San Diego", "CA", 921, 619, 1390},
    {"Dallas", "TX", 752, 214, 1300},        {"San Jose", "CA", 951, 408, 1000},
    {"Austin", "TX", 787, 512, 960},         {"Jacksonville", "FL", 322, 904, 950},
    {"Fort Worth", "TX", 761, 817, 920},     {"Columbus", "OH", 432, 614, 900},
    {"Charlotte", "NC", 282, 704, 870},      {"Indianapolis", "IN", 462, 317, 880},
    {"San Francisco", "CA", 941, 415, 870},  {"Seattle", "WA", 981, 206, 740},
    {"Denver", "CO", 802, 303, 715},         {"Washington", "DC", 200, 202, 690},
    {"Nashville", "TN", 372, 615, 690},      {"Oklahoma City", "OK", 731, 405, 680},
    {"Boston", "MA", 21, 617, 675},          {"El Paso", "TX", 799, 915, 680},
    {"Portland", "OR", 972, 503, 650},       {"Las Vegas", "NV", 891, 702, 640},
    {"Detroit", "MI", 482, 313, 640},        {"Memphis", "TN", 381, 901, 630},
    {"Louisville", "KY", 402, 502, 620},     {"Baltimore", "MD", 212, 410, 585},
    {"Milwaukee", "WI", 532, 414, 577},      {"Albuquerque", "NM", 871, 505, 564},
    {"Tucson", "AZ", 857, 520, 542},         {"Fresno", "CA", 937, 559, 542},
    {"Sacramento", "CA", 958, 916, 524},     {"Kansas City", "MO", 641, 816, 508},
    {"Atlanta", "GA", 303, 404, 498},        {"Omaha", "NE", 681, 402, 486},
    {"Raleigh", "NC", 276, 919, 467},        {"Miami", "FL", 331, 305, 442},
    {"Minneapolis", "MN", 554, 612, 429},    {"Tulsa", "OK", 741, 918, 413},
    {"Cleveland", "OH", 441, 216, 372},      {"Tampa", "FL", 336, 813, 384},
    {"New Orleans", "LA", 701, 504, 383},    {"Pittsburgh", "PA", 152, 412, 302},
    {"Cincinnati", "OH", 452, 513, 309},     {"St. Louis", "MO", 631, 314, 301},
    {"Orlando", "FL", 328, 407, 307},        {"Salt Lake City", "UT", 841, 801, 200},
    {"Buffalo", "NY", 142, 716, 278},        {"Richmond", "VA", 232, 804, 226},
    {"Boise", "ID", 837, 208, 235},          {"Des Moines", "IA", 503, 515, 214},
    {"Spokane", "WA", 992, 509, 228},        {"Birmingham", "AL", 352, 205, 200},
    {"Little Rock", "AR", 722, 501, 202},    {"Hartford", "CT", 61, 860, 121},
    {"Providence", "RI", 29, 401, 190},      {"Manchester", "NH", 31, 603, 115},
    {"Burlington", "VT", 54, 802, 45},       {"Portland", "ME", 41, 207, 68},
    {"Charleston", "WV", 253, 304, 48},      {"Wilmington", "DE", 198, 302, 70},
    {"Columbia", "SC", 292, 803, 136},       {"Jackson", "MS", 392, 601, 153},
    {"Anchorage", "AK", 995, 907, 291},      {"Honolulu", "HI", 968, 808, 350},
    {"Billings", "MT", 591, 406, 117},       {"Fargo", "ND", 581, 701, 125},
    {"Sioux Falls", "SD", 571, 605, 192},    {"Cheyenne", "WY", 820, 307, 65},
    {"Wichita", "KS", 672, 316, 397},        {"Madison", "WI", 537, 608, 269},
    {"Ann Arbor", "MI", 481, 734, 123},      {"Newark", "NJ", 71, 973, 311},
};

constexpr std::string_view kProviders[] = {"gmail.com",   "yahoo.com", "outlook.com",
                                           "hotmail.com", "aol.com",   "icloud.com",
                                           "comcast.net", "proton.me", "mail.com"};

constexpr std::string_view kStopWords[] = {
    "a", "an", "the", "this", "that", "these", "those", "i", "im", "i'm", "me", "my", "mine",
    "we", "our", "us", "you", "your", "yours", "he", "his", "him", "she", "her", "hers", "it",
    "its", "they", "their", "them", "what", "which", "who", "whom", "whose", "when", "where",
    "why", "how", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "done",
    "have", "has", "had", "can", "could", "will", "would", "shall", "should", "may", "might",
    "must", "not", "no", "yes", "and", "or", "but", "if", "then", "else", "so", "as", "at", "by",
    "for", "from", "in", "into", "of", "on", "onto", "to", "up", "with", "without", "about",
    "after", "before", "all", "any", "some", "each", "every", "please", "thanks", "thank",
    "hello", "hi", "hey", "dear", "ok", "okay", "there", "here", "just", "also", "since",
    "during", "unlike", "like", "only", "even", "still", "now", "later", "today", "tomorrow",
    "yesterday", "tonight", "again", "well", "oh", "one", "two", "three", "first", "last",
    "next", "new", "old", "name", "names", "address", "phone", "email", "e-mail", "card",
    "number", "account", "date", "street", "city", "state", "country", "zip", "website",
    "personal", "info", "information", "billing", "user", "customer", "manager", "office",
    "fax", "home", "work", "mobile", "cell", "company", "title", "job", "position", "department",
    "note", "notes", "subject", "re", "fw", "fwd", "sent", "cc", "bcc", "to", "directed",
    "answer", "question", "when", "where", "while", "although", "because", "however", "therefore",
    "january", "february", "march", "april", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "god", "christmas", "easter", "english", "french", "german", "spanish", "american",
    "european", "internet", "web", "ceo", "cto", "cfo", "vp", "president", "director", "doctor",
    "professor", "mister", "madam", "sir", "mr", "mrs", "ms", "dr", "prof", "miss", "st", "ave",
    "rd", "apt", "suite", "unit", "box", "po", "ssn", "iban", "ip", "id", "dob", "url", "http",
    "https", "www", "visa", "mastercard", "amex", "paypal", "google", "microsoft", "apple",
    "amazon", "facebook", "twitter", "linkedin", "north", "south", "east", "west", "central",
    "united", "states", "kingdom", "republic", "union", "national", "international", "global",
    "world", "day", "week", "month", "year", "morning", "evening", "night", "love", "best",
    "regards", "sincerely", "cheers", "yours", "kind", "warm", "great", "good", "happy", "sorry",
    "let", "lets", "let's", "get", "got", "go", "going", "make", "see", "look", "call", "send",
    "tell", "ask", "give", "take", "keep", "find", "know", "think", "want", "need", "use",
    "try", "help", "show", "check", "update", "change", "cancel", "charge", "pay", "transfer",
    "wire", "money", "bank", "credit", "debit", "limit", "balance", "amount", "payment", "order",
    "shipping", "delivery", "service", "support", "team", "hotel", "airport", "hospital",
    "school", "university", "college", "street", "road", "avenue", "lane", "drive", "boulevard",
    "route", "song", "songs", "album", "band", "orchestra", "music", "movie", "film", "book",
    "tales", "story", "stories", "news", "weekly", "daily", "times", "post", "journal",
    "magazine", "review", "show", "series", "season", "episode", "chapter", "part", "section",
    "act", "law", "rights", "civil", "court", "house", "senate", "congress", "army", "navy",
    "police", "fire", "department", "ministry", "agency", "office", "center", "centre",
    "church", "museum", "library", "park", "lake", "river", "mount", "island", "beach",
    "mystery", "suspense", "drama", "comedy", "action", "horror", "romance", "thriller",
    "bot", "desk", "agent", "assistant", "operator", "system", "admin", "support", "help",
};

constexpr std::string_view kOrgWords[] = {
    "inc", "inc.", "ltd", "ltd.", "llc", "corp", "corp.", "corporation", "co.", "company",
    "group", "holdings", "bank", "university", "college", "institute", "school", "hospital",
    "clinic", "foundation", "association", "society", "orchestra", "band", "club", "team",
    "weekly", "daily", "times", "news", "magazine", "journal", "airlines", "airways", "motors",
    "systems", "solutions", "services", "technologies", "labs", "partners", "agency", "ministry",
    "department", "council", "committee", "church", "museum", "library", "gallery", "theatre",
    "theater", "hotel", "restaurant", "cafe", "store", "shop", "market", "mall", "center",
    "centre", "park", "stadium", "airport", "station", "river", "lake", "mountain", "island",
    "county", "city", "state", "republic", "kingdom", "province", "street", "avenue", "road",
    "investments", "investment", "capital", "consulting", "design", "designs", "studio",
    "studios", "media", "records", "entertainment", "industries", "international", "global",
    "enterprises", "ventures", "trust", "insurance", "financial", "bank", "pharmacy", "sons",
    "brothers", "statement", "mission", "project", "program", "festival", "conference",
    "incorporated", "resources", "lines", "data", "labs", "analytics", "software", "networks",
};

constexpr std::string_view kTitles[] = {"mr",  "mrs",  "ms",    "miss", "mx",  "dr",
                                        "prof", "sir", "madam", "dame", "lord", "lady",
                                        "mister", "doctor", "professor", "rev", "capt", "sr", "sra"};

constexpr std::string_view kStreetTypeWords[] = {
    "street", "st", "avenue", "ave", "av", "road", "rd", "drive", "dr", "lane", "ln",
    "boulevard", "blvd", "court", "ct", "place", "pl", "way", "circle", "cir", "terrace", "ter",
    "parkway", "pkwy", "trail", "trl", "highway", "hwy", "square", "sq", "loop", "alley", "row",
    "crescent", "cres", "close", "grove", "gardens", "mews", "walk", "hill", "heights", "point",
    "pike", "plaza", "ridge", "run", "path", "pass", "crossing", "common", "commons", "tunnel",
    "port", "ports", "valley", "view", "vista", "estates", "station", "turnpike", "expressway",
    "freeway", "fork", "forks", "glen", "green", "harbor", "junction", "knoll", "landing",
    "manor", "meadows", "mill", "mills", "orchard", "park", "prairie", "ranch", "shoal", "shore",
    "shores", "spring", "springs", "summit", "track", "trace", "union", "villages", "ville",
    "wells", "burg", "bypass", "causeway", "center", "corner", "corners", "creek", "dale", "dam",
    "divide", "extension", "falls", "ferry", "field", "fields", "flat", "flats", "ford", "forest",
    "fort", "gateway", "haven", "island", "isle", "key", "lakes", "light", "lock", "lodge",
    "motorway", "mount", "mountain", "oval", "pines", "port", "radial", "ramp", "rapids", "rest",
    "route", "shoals", "skyway", "stream", "throughway", "underpass", "via", "viaduct", "wall",
    "strasse", "straße", "str", "weg", "gasse", "allee", "platz", "utca", "u", "tér", "kapu",
    "út", "körút", "rapids", "gateway", "extensions", "courts", "parks", "pass", "str",
};

constexpr std::string_view kStreetPrefixes[] = {
    "rue", "avenue", "av.", "avenida", "avda", "via", "viale", "piazza", "corso", "calle",
    "carrer", "rua", "travessa", "largo", "praça", "plaza", "paseo", "camino", "boulevard",
    "bd", "chemin", "allée", "impasse", "place", "quai", "route", "ulica", "ul.", "ul",
    "aleja", "al.", "plac", "osiedle", "utca", "strada", "calea", "bulevardul", "ulitsa",
    "piazzale", "vicolo", "rambla", "ronda", "cesta", "trg", "námestie", "náměstí",
};

constexpr std::string_view kStreetSuffixes[] = {
    "katu", "tie", "kuja", "polku", "vej", "gade", "vænget", "straße", "strasse", "str.",
    "weg", "gasse", "allee", "platz", "damm", "laan", "straat", "gracht", "plein",
    "vägen", "gatan", "väg", "gata", "veien", "gaten", "vegen", "gata", "stræde", "tanya",
    "utca", "út", "tér", "ulice", "třída", "tee", "põik", "iela", "gatvė", "prospekt",
    "brekka", "gata", "stígur", "vegur",
};

constexpr std::string_view kUsStates[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP", "AA", "AE", "AP"};

constexpr std::string_view kGenericTlds[] = {
    "com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "mobi",
    "app", "dev", "io", "ai", "xyz", "online", "site", "store", "shop", "tech", "blog", "cloud",
    "email", "agency", "company", "digital", "media", "news", "live", "life", "world", "today"};
// ISO 3166-1 alpha-2 country-code TLDs (IANA root zone).
constexpr std::string_view kCcTlds =
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs "
    "bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee "
    "eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm "
    "hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb "
    "lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz "
    "na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs "
    "ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl "
    "tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";

struct IbanLen {
  const char* cc;
  int len;
};
constexpr IbanLen kIbanLengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
    {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
    {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
    {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30},
    {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21},
    {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33},
    {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27},
    {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29},
    {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

constexpr std::string_view kMonths[] = {"january", "february", "march",     "april",
                                        "may",     "june",     "july",      "august",
                                        "september", "october", "november", "december"};
constexpr std::string_view kWeekdays[] = {"monday", "tuesday", "wednesday", "thursday",
                                          "friday", "saturday", "sunday"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <size_t N>
absl::flat_hash_set<std::string> LowerSet(const std::string_view (&words)[N]) {
  absl::flat_hash_set<std::string> set;
  for (auto w : words) set.insert(Lower(w));
  return set;
}

const absl::flat_hash_set<std::string>& GivenSet() {
  static const auto* set = [] {
    auto* s = new absl::flat_hash_set<std::string>();
    for (auto w : kFemale) s->insert(Lower(w));
    for (auto w : kMale) s->insert(Lower(w));
    for (auto w : kOther) s->insert(Lower(w));
    return s;
  }();
  return *set;
}

}  // namespace

std::span<const std::string_view> FemaleGivenNames() { return kFemale; }
std::span<const std::string_view> MaleGivenNames() { return kMale; }
std::span<const std::string_view> OtherGivenNames() { return kOther; }
std::span<const std::string_view> Surnames() { return kSurnames; }
std::span<const std::string_view> StreetNames() { return kStreetNames; }
std::span<const StreetType> StreetTypes() { return kStreetTypes; }
std::span<const UsCity> UsCities() { return kCities; }
std::span<const std::string_view> EmailProviders() { return kProviders; }

bool IsGivenName(std::string_view word) { return GivenSet().contains(Lower(word)); }

bool IsSurname(std::string_view word) {
  static const auto* set = new absl::flat_hash_set<std::string>(LowerSet(kSurnames));
  return set->contains(Lower(word));
}

bool IsStopWord(std::string_view word) {
  static const auto* set = new absl::flat_hash_set<std::string>(LowerSet(kStopWords));
  return set->contains(Lower(word));
}

bool IsOrgWord(std::string_view word) {
  static const auto* set = new absl::flat_hash_set<std::string>(LowerSet(kOrgWords));
  return set->contains(Lower(word));
}

bool IsPersonTitle(std::string_view word) {
  static const auto* set = new absl::flat_hash_set<std::string>(LowerSet(kTitles));
  if (!word.empty() && word.back() == '.') word.remove_suffix(1);
  return set->contains(Lower(word));
}

bool IsStreetType(std::string_view word) {
  static const auto* set = new absl::flat_hash_set<std::string>(LowerSet(kStreetTypeWords));
  if (!word.empty() && word.back() == '.') word.remove_suffix(1);
  return set->contains(Lower(word));
}

bool IsStreetPrefixWord(std::string_view word) {
  static const auto* set = new absl::flat_hash_set<std::string>(LowerSet(kStreetPrefixes));
  return set->contains(Lower(word));
}

bool HasStreetSuffix(std::string_view word) {
  std::string w = Lower(word);
  for (auto suffix : kStreetSuffixes) {
    if (w.size() > suffix.size() + 1 && w.ends_with(suffix)) return true;
  }
  return false;
}

bool IsUsStateCode(std::string_view code) {
  return std::find(std::begin(kUsStates), std::end(kUsStates), code) != std::end(kUsStates);
}

int MonthNumber(std::string_view word) {
  std::string w = Lower(word);
  if (!w.empty() && w.back() == '.') w.pop_back();
  if (w.size() < 3) return 0;
  if (w == "sept") return 9;
  for (int i = 0; i < 12; ++i) {
    if (w == kMonths[i] || (w.size() == 3 && kMonths[i].starts_with(w))) return i + 1;
  }
  return 0;
}

bool IsWeekday(std::string_view word) {
  std::string w = Lower(word);
  for (auto d : kWeekdays) {
    if (w == d) return true;
  }
  return false;
}

bool IsKnownTld(std::string_view tld) {
  if (tld.size() == 2) {
    for (size_t i = 0; i + 1 < kCcTlds.size(); i += 3) {
      if (kCcTlds.substr(i, 2) == tld) return true;
    }
    return false;
  }
  return std::find(std::begin(kGenericTlds), std::end(kGenericTlds), tld) !=
         std::end(kGenericTlds);
}

bool IsCountryCallingCode(std::string_view d) {
  if (d.empty() || d.size() > 3) return false;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
  }
  if (d.size() == 1) return d == "1" || d == "7";
  static constexpr std::string_view kTwo[] = {
      "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
      "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
      "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"};
  static constexpr std::string_view kThreePrefix[] = {
      "21", "22", "23", "24", "25", "26", "28", "29", "35", "37", "38", "42",
      "50", "59", "67", "68", "69", "80", "85", "87", "88", "96", "97", "99"};
  if (d.size() == 2) return std::find(std::begin(kTwo), std::end(kTwo), d) != std::end(kTwo);
  return std::find(std::begin(kThreePrefix), std::end(kThreePrefix), d.substr(0, 2)) !=
         std::end(kThreePrefix);
}

int IbanLength(std::string_view country) {
  for (const auto& e : kIbanLengths) {
    if (country == e.cc) return e.len;
  }
  return 0;
}

}  // namespace dpkit::pii::lexicon
