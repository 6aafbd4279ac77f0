// Byte-order serializers: exact encodings and overflow behaviour.
#include "common/bytes.h"

#include <CppUTest/TestHarness.h>

#include <array>

using namespace braid;

TEST_GROUP(Bytes) {};

TEST(Bytes, WriterEncodesBigEndian) {
  std::array<uint8_t, 15> buf{};
  ByteWriter w(buf);
  w.u8(0x01);
  w.u16(0x0203);
  w.u32(0x04050607);
  w.u64(0x08090a0b0c0d0e0full);
  CHECK(w.ok());
  LONGS_EQUAL(15, w.size());
  for (int i = 0; i < 15; ++i) LONGS_EQUAL(i + 1, buf[i]);
}

TEST(Bytes, WriterFailsInsteadOfOverflowing) {
  std::array<uint8_t, 3> buf{};
  ByteWriter w(buf);
  w.u16(1);
  w.u16(2);
  CHECK_FALSE(w.ok());
  LONGS_EQUAL(2, w.size());
}

TEST(Bytes, ReaderRoundTripsAndChecksExactLength) {
  std::array<uint8_t, 32> buf{};
  ByteWriter w(buf);
  w.u32(0xdeadbeef);
  w.str16("braid");
  w.u64(42);
  ByteReader r(std::span<const uint8_t>(buf.data(), w.size()));
  LONGS_EQUAL(0xdeadbeef, r.u32());
  CHECK(r.str16() == "braid");
  LONGS_EQUAL(42, r.u64());
  CHECK(r.done());
}

TEST(Bytes, ReaderPastEndFailsAndYieldsZero) {
  const uint8_t buf[3] = {1, 2, 3};
  ByteReader r(buf);
  LONGS_EQUAL(0, r.u32());
  CHECK_FALSE(r.ok());
  CHECK_FALSE(r.done());
  LONGS_EQUAL(0, r.remaining());
}

TEST(Bytes, ReaderWithTrailingBytesIsNotDone) {
  const uint8_t buf[3] = {1, 2, 3};
  ByteReader r(buf);
  r.u16();
  CHECK(r.ok());
  CHECK_FALSE(r.done());
}

TEST(Bytes, TruncatedStringFails) {
  const uint8_t buf[4] = {0, 5, 'a', 'b'};
  ByteReader r(buf);
  CHECK(r.str16().empty());
  CHECK_FALSE(r.ok());
}
