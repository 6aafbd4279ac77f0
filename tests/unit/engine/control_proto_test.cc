// The control socket's request and status lines: what braidctl sends
// parses back, and everything else is refused with a reason.
#include "engine/control_proto.h"

#include <CppUTest/TestHarness.h>

using namespace braid::engine;

TEST_GROUP(ControlProto){};

TEST(ControlProto, EveryCommandAndFormatRoundTrips) {
  for (const char* cmd : {"status", "peers", "links", "paths", "routes", "table", "stats", "reload"})
    for (const char* fmt : {"text", "json", "prometheus"}) {
      ControlRequest req{*parse_command(cmd), *parse_format(fmt)};
      std::string line = encode_request(req);
      CHECK(line.ends_with("\n"));
      ControlRequest back;
      std::string error;
      CHECK_TRUE_TEXT(parse_request(line.substr(0, line.size() - 1), &back, &error), error.c_str());
      STRCMP_EQUAL(cmd, command_name(back.command));
      STRCMP_EQUAL(fmt, format_name(back.format));
    }
}

TEST(ControlProto, RequestLineIsVersionedText) {
  STRCMP_EQUAL("BRAID/1 peers json\n",
               encode_request({ControlCommand::kPeers, ControlFormat::kJson}).c_str());
}

TEST(ControlProto, RefusesWhatIsNotARequestWithAReason) {
  struct Case {
    const char* line;
    const char* reason;
  };
  for (Case c : {Case{"", "not a braid control request"},
                 Case{"GET / HTTP/1.1", "not a braid control request"},
                 Case{"BRAID/ peers text", "not a braid control request"},
                 Case{"BRAID/1peers text", "not a braid control request"},
                 Case{"BRAID/2 peers text", "version 2 not supported"},
                 Case{"BRAID/99999 peers text", "not a braid control request"},
                 Case{"BRAID/01 peers text", "not a braid control request"},
                 Case{"BRAID/1 dance text", "unknown command \"dance\""},
                 Case{"BRAID/1 peers xml", "unknown format \"xml\""},
                 Case{"BRAID/1 peers", "unknown format \"\""},
                 Case{"BRAID/1 peers json extra", "unexpected text"},
                 Case{"BRAID/1 peers json ", "unexpected text"},
                 Case{"BRAID/1 Peers json", "unknown command"},
                 Case{"BRAID/1  peers json", "unknown command \"\""}}) {
    ControlRequest req;
    std::string error;
    CHECK_FALSE_TEXT(parse_request(c.line, &req, &error), c.line);
    STRCMP_CONTAINS(c.reason, error.c_str());
  }
}

TEST(ControlProto, ErrorsNeverEchoControlBytes) {
  ControlRequest req;
  std::string error;
  CHECK_FALSE(parse_request("BRAID/1 \x1b[2J\x07 text", &req, &error));
  CHECK(error.find('\x1b') == std::string::npos);
  CHECK(error.find('\x07') == std::string::npos);
}

TEST(ControlProto, StatusLineCarriesCodeBodyLengthAndOneLineMessage) {
  std::string line = encode_status(ControlCode::kBadRequest, 0, "unknown\ncommand\r\xc3\xa6");
  STRCMP_EQUAL("BRAID/1 2 0 unknown command   \n", line.c_str());
  ControlCode code;
  size_t len = 99;
  std::string message;
  CHECK(parse_status(line.substr(0, line.size() - 1), &code, &len, &message));
  CHECK(code == ControlCode::kBadRequest);
  LONGS_EQUAL(0, len);
  STRCMP_EQUAL("unknown command   ", message.c_str());
  CHECK(parse_status("BRAID/1 0 1234 ok", &code, &len, &message));
  CHECK(code == ControlCode::kOk);
  LONGS_EQUAL(1234, len);
  for (const char* bad : {"BRAID/1 7 0 what", "BRAID/2 0 0 ok", "HTTP/1.1 200 OK", "BRAID/1 0 ok",
                          "BRAID/1 0 01 ok", "BRAID/1 0 1x ok", "BRAID/1 0 999999999 ok"})
    CHECK_FALSE_TEXT(parse_status(bad, &code, &len, &message), bad);
}
