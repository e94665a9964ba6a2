// tests/control/call_table_test.cc — pins the CDR line (control/dialog/call_table.h): the same bytes
// nlohmann writes for the object of the call's fields (the oracle, built here the obvious way), for
// an answered call, an unanswered one, IPv6 peers, and URIs from the wire that are not valid UTF-8
// or hold characters JSON must escape.
#include "control/dialog/call_table.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <vector>

namespace sipedge::control {
namespace {

std::string oracle(const Call& call, std::string_view end_reason, const MediaManager::Stats& media) {
  nlohmann::json j;
  j["call_id"] = call.call_id;
  j["from"] = call.caller.uri();
  j["to"] = call.callee.uri();
  j["caller"] = call.caller.peer.to_string();
  j["callee"] = call.callee.peer.to_string();
  j["start_ms"] = call.start_ms;
  j["answer_ms"] = call.answer_ms;
  j["end_ms"] = call.end_ms;
  j["duration_s"] = call.answer_ms && call.end_ms >= call.answer_ms ? (call.end_ms - call.answer_ms) / 1000.0 : 0.0;
  j["answered"] = call.answer_ms != 0;
  j["final_status"] = call.final_status;
  j["end_reason"] = end_reason;
  j["packets_caller_to_callee"] = media.packets[0];
  j["packets_callee_to_caller"] = media.packets[1];
  j["bytes_caller_to_callee"] = media.bytes[0];
  j["bytes_callee_to_caller"] = media.bytes[1];
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(Cdr, AnAnsweredCallIsTheLineOfItsFields) {
  CallTable calls;
  Call& call = calls.create("1-9353@10.201.0.2");
  call.caller.set_uri("sip:1006@sipedge.test");
  call.callee.set_uri("sip:1012@sipedge.test");
  call.caller.peer = {IpAddr::v4(10, 201, 0, 2), 5061};
  call.callee.peer = {*IpAddr::parse("2001:db8::12"), 5062};
  call.start_ms = 1796333690333;
  call.answer_ms = 1796333690334;
  call.end_ms = 1796333692843;
  call.final_status = 200;
  MediaManager::Stats media;
  media.packets[0] = 84;
  media.packets[1] = 168;
  media.bytes[0] = 24696;
  media.bytes[1] = 49392;
  EXPECT_EQ(cdr_json(call, "bye from caller", media),
            R"({"answer_ms":1796333690334,"answered":true,"bytes_callee_to_caller":49392,"bytes_caller_to_callee":24696,)"
            R"("call_id":"1-9353@10.201.0.2","callee":"[2001:db8::12]:5062","caller":"10.201.0.2:5061",)"
            R"("duration_s":2.509,"end_ms":1796333692843,"end_reason":"bye from caller","final_status":200,)"
            R"("from":"sip:1006@sipedge.test","packets_callee_to_caller":168,"packets_caller_to_callee":84,)"
            R"("start_ms":1796333690333,"to":"sip:1012@sipedge.test"})");
  EXPECT_EQ(cdr_json(call, "bye from caller", media), oracle(call, "bye from caller", media));
}

TEST(Cdr, AnUnansweredCallAndUrisThatNeedEscapingGiveWhatNlohmannWrites) {
  CallTable calls;
  Call& call = calls.create("odd\"id\\with\x01control");
  call.caller.set_uri("sip:\xff\xfe@bad.utf8");
  call.callee.set_uri("sip:\"quoted\"@x\ty");
  call.start_ms = 5;
  call.end_ms = 7;
  call.final_status = 486;
  const MediaManager::Stats none;
  EXPECT_EQ(cdr_json(call, "486 Busy Here", none), oracle(call, "486 Busy Here", none));
  const nlohmann::json parsed = nlohmann::json::parse(cdr_json(call, "486 Busy Here", none));
  EXPECT_EQ(parsed["call_id"], "odd\"id\\with\x01control");
  EXPECT_EQ(parsed["duration_s"], 0.0);
  EXPECT_EQ(parsed["answered"], false);
  EXPECT_EQ(parsed["from"], "sip:\xEF\xBF\xBD\xEF\xBF\xBD@bad.utf8") << "bad bytes replaced by U+FFFD";
}

// Text is checked for bytes to escape sixteen at a time: each such byte, alone, at every place
// of a 40-byte Call-ID, escaped as nlohmann escapes it.
TEST(Cdr, EveryByteToEscapeIsFoundWhereverItStands) {
  const MediaManager::Stats none;
  for (char odd : {'"', '\\', '\x01', '\x1f', '\x7f', '\xc3'})
    for (size_t at = 0; at < 40; ++at) {
      std::string id(40, 'c');
      id[at] = odd;
      CallTable calls;
      Call& call = calls.create(id);
      call.caller.set_uri("sip:alice@example.com");
      call.callee.set_uri("sip:bob@example.com");
      ASSERT_EQ(cdr_json(call, "bye", none), oracle(call, "bye", none)) << int(odd) << " at " << at;
    }
}

TEST(Cdr, DurationsAreWrittenAsNlohmannWritesTheirSeconds) {
  CallTable calls;
  Call& call = calls.create("d@x");
  call.start_ms = 1;
  call.answer_ms = 1000;
  const MediaManager::Stats none;
  std::mt19937_64 rng(20261206);
  std::vector<uint64_t> durations;
  for (uint64_t ms = 0; ms < 20'000; ++ms) durations.push_back(ms);
  for (int i = 0; i < 20'000; ++i) durations.push_back(rng() % 100'000'000'000'000);  // to 3 000 years
  durations.push_back(999'999'999'999'999);
  durations.push_back(1'000'000'000'000'000);  // nlohmann's exponent form from here
  durations.push_back(1'234'567'890'123'456);
  for (uint64_t ms : durations) {
    call.end_ms = call.answer_ms + ms;
    ASSERT_EQ(cdr_json(call, "bye", none), oracle(call, "bye", none)) << ms << " ms";
  }
}

}  // namespace
}  // namespace sipedge::control
