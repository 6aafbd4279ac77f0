// The JSON writer: separators, nesting, escapes and fixed-point numbers.
#include "common/json.h"

#include <CppUTest/TestHarness.h>

using namespace braid;

TEST_GROUP(JsonWriter){};

TEST(JsonWriter, NestsObjectsAndArraysWithCommasBetweenValues) {
  std::string out;
  JsonWriter j(&out);
  j.begin_object();
  j.key("a").value(uint64_t{1});
  j.key("b").begin_array();
  j.value("x");
  j.value(true);
  j.null();
  j.begin_object();
  j.end_object();
  j.end_array();
  j.key("c").value(int64_t{-3});
  j.end_object();
  STRCMP_EQUAL("{\"a\":1,\"b\":[\"x\",true,null,{}],\"c\":-3}", out.c_str());
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  STRCMP_EQUAL("a\\\"b\\\\c\\n\\t\\u0001\\u007f", json_escape("a\"b\\c\n\t\x01\x7f").c_str());
  // UTF-8 passes through.
  STRCMP_EQUAL("n\xc3\xa6ud", json_escape("n\xc3\xa6ud").c_str());
}

TEST(JsonWriter, FixedPointKeepsEveryDigit) {
  std::string out;
  JsonWriter j(&out);
  j.begin_array();
  j.fixed(1234, 3);
  j.fixed(5, 3);
  j.fixed(7, 0);
  j.fixed(1000, 1);
  j.end_array();
  STRCMP_EQUAL("[1.234,0.005,7,100.0]", out.c_str());
}
