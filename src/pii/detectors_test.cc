#include "dpkit/pii/detectors.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::pii {
namespace {

// The spans of `type` found in `text`, as substrings.
std::vector<std::string> Find(const std::string& text, EntityType type) {
  std::vector<std::string> out;
  for (const Span& s : DetectEntities(text)) {
    if (s.type == type) out.push_back(text.substr(s.begin, s.size()));
  }
  return out;
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(LuhnTest, KnownNumbers) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("4111-1111-1111-1111"));
  EXPECT_TRUE(LuhnValid("79927398713"));  // the classic Luhn example
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("79927398710"));
  EXPECT_FALSE(LuhnValid(""));
}

TEST(CreditCardTest, BrandsAndChecksums) {
  EXPECT_TRUE(IsCreditCard("4111 1111 1111 1111"));
  EXPECT_TRUE(IsCreditCard("5555555555554444"));  // Mastercard test number
  EXPECT_TRUE(IsCreditCard("2223003122003222"));  // Mastercard 2-series
  EXPECT_TRUE(IsCreditCard("378282246310005"));   // Amex
  EXPECT_TRUE(IsCreditCard("6011111111111117"));  // Discover
  EXPECT_TRUE(IsCreditCard("3530111333300000"));  // JCB
  EXPECT_TRUE(IsCreditCard("30569309025904"));    // Diners
  EXPECT_EQ(CardBrand("378282246310005"), "Amex");
  EXPECT_EQ(CardBrand("5555555555554444"), "Mastercard");
  // Luhn-invalid.
  EXPECT_FALSE(IsCreditCard("4111111111111112"));
  // Luhn-valid but no issuer range (starts with 9) or wrong length for the brand.
  EXPECT_FALSE(IsCreditCard("9111111111111115"));
  EXPECT_FALSE(IsCreditCard("411111111111116"));  // Visa with 15 digits
  // Mixed separators are not a card layout.
  EXPECT_FALSE(IsCreditCard("4111-1111 1111-1111"));
}

TEST(SsnTest, AreaGroupSerialRules) {
  EXPECT_TRUE(IsUsSsn("123-45-6789"));
  EXPECT_TRUE(IsUsSsn("536 22 1234"));
  EXPECT_TRUE(IsUsSsn("536221234"));
  EXPECT_FALSE(IsUsSsn("000-12-3456"));  // area 000
  EXPECT_FALSE(IsUsSsn("666-12-3456"));  // area 666
  EXPECT_FALSE(IsUsSsn("912-12-3456"));  // area 900-999 never issued
  EXPECT_FALSE(IsUsSsn("123-00-4567"));  // group 00
  EXPECT_FALSE(IsUsSsn("123-45-0000"));  // serial 0000
  EXPECT_FALSE(IsUsSsn("078-05-1120"));  // Woolworth wallet card
  EXPECT_FALSE(IsUsSsn("123-45-678"));
  EXPECT_FALSE(IsUsSsn("123-45 6789"));
}

TEST(IbanTest, ChecksumAndLength) {
  EXPECT_TRUE(IsIban("GB82 WEST 1234 5698 7654 32"));  // the ECBS example
  EXPECT_TRUE(IsIban("GB82WEST12345698765432"));
  EXPECT_TRUE(IsIban("DE89370400440532013000"));
  EXPECT_TRUE(IsIban("gb82west12345698765432"));
  EXPECT_FALSE(IsIban("GB83WEST12345698765432"));   // bad check digits
  EXPECT_FALSE(IsIban("GB82WEST1234569876543"));    // one short for GB (22)
  EXPECT_FALSE(IsIban("XX82WEST12345698765432"));   // unknown country
  EXPECT_FALSE(IsIban("Gb82WEST12345698765432"));   // mixed case
}

TEST(IpTest, V4AndV6) {
  EXPECT_TRUE(IsIpv4("192.168.0.1"));
  EXPECT_TRUE(IsIpv4("8.8.8.8"));
  EXPECT_FALSE(IsIpv4("256.1.1.1"));
  EXPECT_FALSE(IsIpv4("01.2.3.4"));
  EXPECT_FALSE(IsIpv4("1.2.3"));
  EXPECT_FALSE(IsIpv4("1.2.3.4.5"));
  EXPECT_TRUE(IsIpv6("2001:db8::1"));
  EXPECT_TRUE(IsIpv6("::1"));
  EXPECT_TRUE(IsIpv6("fe80::1:2:3:4"));
  EXPECT_TRUE(IsIpv6("6e40:4041:c617:e898:c11:40d2:c669:2eb4"));
  EXPECT_TRUE(IsIpv6("::ffff:192.0.2.1"));
  EXPECT_FALSE(IsIpv6("12:30:45"));  // a time
  EXPECT_FALSE(IsIpv6("1::2::3"));
  EXPECT_FALSE(IsIpv6("12345::1"));
}

TEST(EmailUrlTest, Validators) {
  EXPECT_TRUE(IsEmail("john.doe@example.com"));
  EXPECT_TRUE(IsEmail("a+tag@mail.example.co.uk"));
  EXPECT_FALSE(IsEmail("john@localhost"));
  EXPECT_FALSE(IsEmail("@example.com"));
  EXPECT_FALSE(IsEmail("john..@example.com."));
  EXPECT_TRUE(IsUrlOrDomain("https://www.example.com/path?q=1"));
  EXPECT_TRUE(IsUrlOrDomain("MarathonDancing.gl"));
  EXPECT_TRUE(IsUrlOrDomain("www.something.xyz"));
  EXPECT_FALSE(IsUrlOrDomain("report.pdf"));
  EXPECT_FALSE(IsUrlOrDomain("3.14"));
}

TEST(DetectTest, EmailsInText) {
  EXPECT_THAT(Find("Mail me at jane.roe@example.org, thanks.", EntityType::kEmail),
              ElementsAre("jane.roe@example.org"));
}

TEST(DetectTest, CardsNeedLuhnInText) {
  EXPECT_THAT(Find("my card 4111-1111-1111-1111 expires", EntityType::kCreditCard),
              ElementsAre("4111-1111-1111-1111"));
  EXPECT_THAT(Find("order 4111-1111-1111-1112 shipped", EntityType::kCreditCard), IsEmpty());
}

TEST(DetectTest, SsnInTextAndInvalidAreas) {
  EXPECT_THAT(Find("Here's my SSN: 460-89-9847", EntityType::kUsSsn), ElementsAre("460-89-9847"));
  EXPECT_THAT(Find("SSN 666-77-8888 on file", EntityType::kUsSsn), IsEmpty());
  EXPECT_THAT(Find("SSN 000-11-2222 on file", EntityType::kUsSsn), IsEmpty());
  // Nine plain digits only with context.
  EXPECT_THAT(Find("social security number 536221234", EntityType::kUsSsn),
              ElementsAre("536221234"));
  EXPECT_THAT(Find("tracking 536221234", EntityType::kUsSsn), IsEmpty());
}

TEST(DetectTest, IbanInText) {
  EXPECT_THAT(Find("My IBAN is GB82 WEST 1234 5698 7654 32.", EntityType::kIban),
              ElementsAre("GB82 WEST 1234 5698 7654 32"));
  EXPECT_THAT(Find("My IBAN is GB83WEST12345698765432", EntityType::kIban), IsEmpty());
}

TEST(DetectTest, IpAddressesButNotVersions) {
  EXPECT_THAT(Find("keep getting address 41.173.96.26 blocked", EntityType::kIpAddress),
              ElementsAre("41.173.96.26"));
  EXPECT_THAT(Find("upgrade to version 1.2.3.4 now", EntityType::kIpAddress), IsEmpty());
  EXPECT_THAT(Find("release v10.0.0.1", EntityType::kIpAddress), IsEmpty());
  EXPECT_THAT(Find("section 1.2.3.4.5 of the spec", EntityType::kIpAddress), IsEmpty());
  EXPECT_THAT(Find("host 2001:db8:85a3::8a2e:370:7334 is down", EntityType::kIpAddress),
              ElementsAre("2001:db8:85a3::8a2e:370:7334"));
  EXPECT_THAT(Find("meet at 12:30:45 today", EntityType::kIpAddress), IsEmpty());
}

TEST(DetectTest, Phones) {
  EXPECT_THAT(Find("call me at (212) 555-0147 tonight", EntityType::kPhone),
              ElementsAre("(212) 555-0147"));
  EXPECT_THAT(Find("call 212-555-0147", EntityType::kPhone), ElementsAre("212-555-0147"));
  EXPECT_THAT(Find("office: +44 20 7946 0958", EntityType::kPhone), ElementsAre("+44 20 7946 0958"));
  EXPECT_THAT(Find("E.164 form +14155552671 works", EntityType::kPhone), ElementsAre("+14155552671"));
  EXPECT_THAT(Find("Phone: 0494 92 82 32", EntityType::kPhone), ElementsAre("0494 92 82 32"));
  EXPECT_THAT(Find("+46 (0)8 928 571 38 fax", EntityType::kPhone), ElementsAre("+46 (0)8 928 571 38"));
  // Not phones: a date, a price, a year range, an invalid NANP area code without context.
  EXPECT_THAT(Find("on 12/05/2021 we paid 1,234.50", EntityType::kPhone), IsEmpty());
  EXPECT_THAT(Find("from 1999 to 2004", EntityType::kPhone), IsEmpty());
  EXPECT_THAT(Find("ref 123-456-7890", EntityType::kPhone), IsEmpty());
}

TEST(DetectTest, Dates) {
  EXPECT_THAT(Find("She was born on 2/8/1935 in Oslo", EntityType::kDateOfBirth),
              ElementsAre("2/8/1935"));
  EXPECT_THAT(Find("When: 2000-04-16 11:34:35", EntityType::kDate),
              ElementsAre("2000-04-16 11:34:35"));
  EXPECT_THAT(Find("founded in 1977 by", EntityType::kDate), ElementsAre("1977"));
  EXPECT_THAT(Find("on March 5, 1982 and 5 June 1990", EntityType::kDate),
              ElementsAre("March 5, 1982", "5 June 1990"));
  EXPECT_THAT(Find("2019-02-30 is not a date", EntityType::kDate), IsEmpty());
  EXPECT_THAT(Find("May I help you", EntityType::kDate), IsEmpty());
}

TEST(DetectTest, Addresses) {
  EXPECT_THAT(Find("I live at 123 Main St, Springfield, IL 62704 now", EntityType::kStreetAddress),
              ElementsAre("123 Main St, Springfield, IL 62704"));
  EXPECT_THAT(Find("ship to 6750 Koskikatu 25 Apt. 864", EntityType::kStreetAddress),
              ElementsAre("6750 Koskikatu 25 Apt. 864"));
  EXPECT_THAT(Find("Rua do Arenque 1634", EntityType::kStreetAddress),
              ElementsAre("Rua do Arenque 1634"));
  EXPECT_THAT(Find("P.O. Box 255", EntityType::kStreetAddress), ElementsAre("P.O. Box 255"));
  EXPECT_THAT(Find("we sold 300 Apples today", EntityType::kStreetAddress), IsEmpty());
}

TEST(DetectTest, ZipNeedsContext) {
  EXPECT_THAT(Find("my zip code is 35350", EntityType::kZipCode), ElementsAre("35350"));
  EXPECT_THAT(Find("we counted 35350 birds", EntityType::kZipCode), IsEmpty());
}

TEST(DetectTest, PersonNames) {
  EXPECT_THAT(Find("Please contact Dr. Maria Rossi tomorrow.", EntityType::kPerson),
              ElementsAre("Maria Rossi"));
  EXPECT_THAT(Find("My name is Rubija", EntityType::kPerson), ElementsAre("Rubija"));
  EXPECT_THAT(Find("the verses from Faina D. Yefremova's tales", EntityType::kPerson),
              ElementsAre("Faina D. Yefremova"));
  EXPECT_THAT(Find("James Smith wrote back.", EntityType::kPerson), ElementsAre("James Smith"));
  // Organisations and sentence-initial words are not names.
  EXPECT_THAT(Find("The Exversion Orchestra was founded in 1977.", EntityType::kPerson), IsEmpty());
  EXPECT_THAT(Find("What are my options?", EntityType::kPerson), IsEmpty());
}

TEST(DetectTest, UrlsAndDomains) {
  EXPECT_THAT(Find("My website is http://www.ScrapbookInsider.com.pt/ ok", EntityType::kUrl),
              ElementsAre("http://www.ScrapbookInsider.com.pt/"));
  EXPECT_THAT(Find("see MarathonDancing.gl today", EntityType::kUrl),
              ElementsAre("MarathonDancing.gl"));
  // Not a domain: sentence punctuation without a space, file names.
  EXPECT_THAT(Find("It was done.It was fine. Open report.pdf", EntityType::kUrl), IsEmpty());
}

TEST(DetectTest, SpansAreSortedAndDisjoint) {
  std::string text =
      "John Smith (john.smith@example.com, 212-555-0147) paid with 4111 1111 1111 1111 from "
      "10.0.0.7 on 2021-03-04.";
  std::vector<Span> spans = DetectEntities(text);
  ASSERT_GE(spans.size(), 5u);
  for (size_t i = 1; i < spans.size(); ++i) EXPECT_LE(spans[i - 1].end, spans[i].begin);
}

TEST(ClassifyCellTest, WholeValues) {
  EXPECT_EQ(ClassifyCell("jane@example.com").type, EntityType::kEmail);
  EXPECT_EQ(ClassifyCell("4111111111111111").type, EntityType::kCreditCard);
  EXPECT_EQ(ClassifyCell("123-45-6789").type, EntityType::kUsSsn);
  EXPECT_EQ(ClassifyCell("123456789", "SSN").type, EntityType::kUsSsn);
  EXPECT_EQ(ClassifyCell("123456789", "order").type, EntityType::kNone);
  EXPECT_EQ(ClassifyCell("02127", "zip").type, EntityType::kZipCode);
  EXPECT_EQ(ClassifyCell("3/29/1982", "Birthday").type, EntityType::kDateOfBirth);
  EXPECT_EQ(ClassifyCell("Hamanová", "Surname").type, EntityType::kPerson);
  EXPECT_EQ(ClassifyCell("84 23 30", "TelephoneNumber").type, EntityType::kPhone);
  EXPECT_EQ(ClassifyCell("P.O. Box 255", "StreetAddress").type, EntityType::kStreetAddress);
  EXPECT_EQ(ClassifyCell("42").type, EntityType::kNone);
  EXPECT_EQ(ClassifyCell("").type, EntityType::kNone);
}

TEST(EntityTypeTest, NamesRoundTrip) {
  for (int i = 0; i < kNumEntityTypes; ++i) {
    auto t = static_cast<EntityType>(i);
    ASSERT_TRUE(ParseEntityType(EntityTypeName(t)).ok());
    EXPECT_EQ(*ParseEntityType(EntityTypeName(t)), t);
  }
  EXPECT_EQ(*ParseEntityType("email_address"), EntityType::kEmail);
  EXPECT_FALSE(ParseEntityType("PASSPORT").ok());
}

}  // namespace
}  // namespace dpkit::pii
