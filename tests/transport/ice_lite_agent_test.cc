#include "transport/ice/ice_lite_agent.h"

#include <gtest/gtest.h>

#include <vector>

namespace sfu::ice {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct RecordingListener : IceLiteAgent::Listener {
  std::vector<State> states;
  std::vector<Tuple> tuples;
  void OnIceStateChange(State s) override { states.push_back(s); }
  void OnSelectedTupleChange(const Tuple& t) override { tuples.push_back(t); }
};

// What a full (controlling) agent sends.
struct Check {
  std::string username = "srvU:cliU";
  std::string pwd = "server-password-0123456789";
  bool use_candidate = false;
  bool controlled = false;
  bool integrity = true;
  bool fingerprint = true;
  bool priority = true;
  bool username_attr = true;
  uint16_t extra_required_attribute = 0;
  stun::MessageClass cls = stun::MessageClass::kRequest;
};

class IceLiteAgentTest : public ::testing::Test {
 protected:
  IceLiteAgentTest() : agent_({"srvU", "server-password-0123456789"}, listener_) {
    agent_.SetRemoteUfrag("cliU");
  }

  std::vector<uint8_t> Build(const Check& c) {
    std::vector<uint8_t> buf(512);
    stun::TransactionId tid{};
    tid[0] = static_cast<uint8_t>(++tid_counter_);
    stun::StunBuilder b(buf, stun::kBindingMethod, c.cls, tid);
    if (c.username_attr) b.AddString(stun::attr::kUsername, c.username);
    if (c.priority) b.AddU32(stun::attr::kPriority, 1845501695);
    b.AddU64(c.controlled ? stun::attr::kIceControlled : stun::attr::kIceControlling, 42);
    if (c.use_candidate) b.AddFlag(stun::attr::kUseCandidate);
    if (c.extra_required_attribute) b.AddU32(c.extra_required_attribute, 0);
    if (c.integrity) b.AddMessageIntegrity(Bytes(c.pwd));
    if (c.fingerprint) b.AddFingerprint();
    auto out = b.Finish();
    buf.resize(out->size());
    return buf;
  }

  IceLiteAgent::Result Send(const Check& c, const Tuple& from) {
    request_ = Build(c);
    auto m = stun::StunMessage::Parse(request_);
    EXPECT_TRUE(m.has_value());
    return agent_.OnStun(*m, from, now_, out_);
  }

  static Tuple Udp(std::string_view ip, uint16_t port) {
    return {*SocketAddress::FromIp(ip, port), Protocol::kUdp, 0};
  }

  RecordingListener listener_;
  IceLiteAgent agent_;
  Timestamp now_ = Timestamp::Millis(10'000);
  uint8_t out_[1024];
  std::vector<uint8_t> request_;
  int tid_counter_ = 0;
};

TEST_F(IceLiteAgentTest, AnswersAValidCheckWithTheMappedAddress) {
  Tuple from = Udp("192.0.2.10", 50000);
  auto r = Send({}, from);
  ASSERT_EQ(r.drop, Drop::kNone);
  auto resp = stun::StunMessage::Parse(r.response);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->message_class(), stun::MessageClass::kSuccess);
  EXPECT_EQ(resp->transaction_id(), stun::StunMessage::Parse(request_)->transaction_id());
  EXPECT_EQ(resp->XorMappedAddress(), from.remote);
  EXPECT_EQ(resp->CheckIntegrity(Bytes("server-password-0123456789")), stun::Integrity::kValid);
  EXPECT_TRUE(resp->FingerprintValid());
  // First valid check: connected on that tuple, before any nomination.
  EXPECT_EQ(agent_.state(), State::kConnected);
  ASSERT_TRUE(agent_.selected().has_value());
  EXPECT_EQ(*agent_.selected(), from);
  EXPECT_EQ(listener_.states, std::vector<State>{State::kConnected});
}

TEST_F(IceLiteAgentTest, NominationCompletes) {
  Tuple from = Udp("192.0.2.10", 50000);
  Send({}, from);
  Check nominate;
  nominate.use_candidate = true;
  EXPECT_EQ(Send(nominate, from).drop, Drop::kNone);
  EXPECT_EQ(agent_.state(), State::kCompleted);
  EXPECT_EQ(listener_.states, (std::vector<State>{State::kConnected, State::kCompleted}));
  EXPECT_EQ(listener_.tuples.size(), 1u);
}

TEST_F(IceLiteAgentTest, NominationOfANewTupleSwitchesPath) {
  // A client that moves from Wi-Fi to cellular keeps its session.
  Check nominate;
  nominate.use_candidate = true;
  Tuple wifi = Udp("192.0.2.10", 50000);
  Tuple cellular = Udp("198.51.100.7", 61000);
  Send(nominate, wifi);
  // A mere check from elsewhere does not move the path...
  Send({}, cellular);
  EXPECT_TRUE(agent_.IsSelected(wifi));
  // ...a nomination does.
  Send(nominate, cellular);
  EXPECT_TRUE(agent_.IsSelected(cellular));
  ASSERT_EQ(listener_.tuples.size(), 2u);
  EXPECT_EQ(listener_.tuples[1], cellular);
  EXPECT_EQ(agent_.counters().tuple_switches, 1u);
}

TEST_F(IceLiteAgentTest, TcpConnectionsAreDistinctTuples) {
  Check nominate;
  nominate.use_candidate = true;
  Tuple a{*SocketAddress::FromIp("192.0.2.10", 40000), Protocol::kTcp, 1};
  Tuple b = a;
  b.connection = 2;
  Send(nominate, a);
  Send(nominate, b);
  EXPECT_TRUE(agent_.IsSelected(b));
  EXPECT_FALSE(agent_.IsSelected(a));
}

TEST_F(IceLiteAgentTest, ConsentFreshness) {
  Tuple from = Udp("192.0.2.10", 50000);
  Check nominate;
  nominate.use_candidate = true;
  Send(nominate, from);
  now_ += TimeDelta::Seconds(20);
  agent_.OnTimer(now_);
  EXPECT_EQ(agent_.state(), State::kCompleted);
  Send({}, from);  // A consent check renews it.
  now_ += TimeDelta::Seconds(29);
  agent_.OnTimer(now_);
  EXPECT_EQ(agent_.state(), State::kCompleted);
  now_ += TimeDelta::Seconds(1);
  agent_.OnTimer(now_);
  EXPECT_EQ(agent_.state(), State::kDisconnected);
  // Checks again: back to connected, same tuple.
  Send({}, from);
  EXPECT_EQ(agent_.state(), State::kConnected);
  EXPECT_EQ(listener_.states,
            (std::vector<State>{State::kCompleted, State::kDisconnected, State::kConnected}));
}

TEST_F(IceLiteAgentTest, ChecksFromOtherTuplesDoNotRenewConsent) {
  Tuple from = Udp("192.0.2.10", 50000);
  Send({}, from);
  now_ += TimeDelta::Seconds(25);
  Send({}, Udp("192.0.2.99", 1));
  now_ += TimeDelta::Seconds(5);
  agent_.OnTimer(now_);
  EXPECT_EQ(agent_.state(), State::kDisconnected);
}

TEST_F(IceLiteAgentTest, ZeroTimeoutDisablesConsent) {
  RecordingListener l;
  IceLiteAgent agent({"u", "p"}, l, TimeDelta::Zero());
  agent.OnTimer(Timestamp::Millis(1'000'000'000));
  EXPECT_EQ(agent.state(), State::kNew);
}

TEST_F(IceLiteAgentTest, BadFingerprintIsDroppedSilently) {
  Check c;
  c.fingerprint = false;
  auto r = Send(c, Udp("192.0.2.10", 1));
  EXPECT_EQ(r.drop, Drop::kBadFingerprint);
  EXPECT_TRUE(r.response.empty());
  EXPECT_EQ(agent_.counters().bad_fingerprint, 1u);
  EXPECT_EQ(agent_.state(), State::kNew);
}

TEST_F(IceLiteAgentTest, BadIntegrityIsDroppedSilently) {
  Check c;
  c.pwd = "not-the-password-at-all!!";
  auto r = Send(c, Udp("192.0.2.10", 1));
  EXPECT_EQ(r.drop, Drop::kBadIntegrity);
  EXPECT_TRUE(r.response.empty());
  EXPECT_EQ(agent_.counters().bad_integrity, 1u);
  EXPECT_FALSE(agent_.selected().has_value());
}

int ErrorCodeOf(std::span<const uint8_t> response) {
  auto m = stun::StunMessage::Parse(response);
  if (!m || m->message_class() != stun::MessageClass::kError) return 0;
  return m->ErrorCode()->first;
}

TEST_F(IceLiteAgentTest, MissingCredentialsGet400) {
  Check no_username;
  no_username.username_attr = false;
  EXPECT_EQ(ErrorCodeOf(Send(no_username, Udp("192.0.2.10", 1)).response), 400);
  Check no_integrity;
  no_integrity.integrity = false;
  EXPECT_EQ(ErrorCodeOf(Send(no_integrity, Udp("192.0.2.10", 1)).response), 400);
  Check no_priority;
  no_priority.priority = false;
  auto r = Send(no_priority, Udp("192.0.2.10", 1));
  EXPECT_EQ(r.drop, Drop::kBadRequest);
  EXPECT_EQ(ErrorCodeOf(r.response), 400);
  EXPECT_EQ(agent_.counters().bad_request, 3u);
  EXPECT_EQ(agent_.state(), State::kNew);
}

TEST_F(IceLiteAgentTest, WrongUsernameGets401) {
  for (std::string username : {"other:cliU", "srvU:someoneElse", "srvU", "cliU:srvU"}) {
    Check c;
    c.username = username;
    auto r = Send(c, Udp("192.0.2.10", 1));
    EXPECT_EQ(r.drop, Drop::kUnknownUsername) << username;
    EXPECT_EQ(ErrorCodeOf(r.response), 401) << username;
  }
}

TEST_F(IceLiteAgentTest, RemoteUfragUnknownAcceptsAny) {
  RecordingListener l;
  IceLiteAgent agent({"srvU", "server-password-0123456789"}, l);
  request_ = Build({.username = "srvU:whatever"});
  auto r = agent.OnStun(*stun::StunMessage::Parse(request_), Udp("192.0.2.1", 2), now_, out_);
  EXPECT_EQ(r.drop, Drop::kNone);
}

TEST_F(IceLiteAgentTest, ControlledPeerGets487) {
  Check c;
  c.controlled = true;
  auto r = Send(c, Udp("192.0.2.10", 1));
  EXPECT_EQ(r.drop, Drop::kRoleConflict);
  EXPECT_EQ(ErrorCodeOf(r.response), 487);
  auto resp = stun::StunMessage::Parse(r.response);
  EXPECT_EQ(resp->CheckIntegrity(Bytes("server-password-0123456789")), stun::Integrity::kValid);
}

TEST_F(IceLiteAgentTest, UnknownComprehensionRequiredAttributeGets420) {
  Check c;
  c.extra_required_attribute = 0x0031;
  auto r = Send(c, Udp("192.0.2.10", 1));
  EXPECT_EQ(r.drop, Drop::kUnknownAttribute);
  EXPECT_EQ(ErrorCodeOf(r.response), 420);
}

TEST_F(IceLiteAgentTest, NonRequestsAreIgnored) {
  Check indication;
  indication.cls = stun::MessageClass::kIndication;
  EXPECT_EQ(Send(indication, Udp("192.0.2.10", 1)).drop, Drop::kNotRequest);
  EXPECT_EQ(agent_.counters().requests, 0u);
}

TEST_F(IceLiteAgentTest, RestartSwitchesCredentialsAndKeepsThePath) {
  Tuple from = Udp("192.0.2.10", 50000);
  Check nominate;
  nominate.use_candidate = true;
  Send(nominate, from);
  agent_.Restart({"newU", "new-server-password-0123"}, "cliU2");
  // Old credentials are refused...
  EXPECT_EQ(Send(nominate, from).drop, Drop::kUnknownUsername);
  EXPECT_TRUE(agent_.IsSelected(from));
  EXPECT_EQ(agent_.state(), State::kCompleted);
  // ...new ones work, on the same session.
  Check fresh;
  fresh.username = "newU:cliU2";
  fresh.pwd = "new-server-password-0123";
  fresh.use_candidate = true;
  EXPECT_EQ(Send(fresh, from).drop, Drop::kNone);
  EXPECT_EQ(listener_.tuples.size(), 1u);
}

TEST_F(IceLiteAgentTest, ClosedAgentAnswersNothing) {
  agent_.Close();
  EXPECT_EQ(Send({}, Udp("192.0.2.10", 1)).drop, Drop::kClosed);
  EXPECT_EQ(listener_.states.back(), State::kClosed);
}

TEST_F(IceLiteAgentTest, ResponseThatDoesNotFitIsReported) {
  request_ = Build({});
  uint8_t tiny[24];
  auto r = agent_.OnStun(*stun::StunMessage::Parse(request_), Udp("192.0.2.1", 2), now_, tiny);
  EXPECT_EQ(r.drop, Drop::kNoBuffer);
}

}  // namespace
}  // namespace sfu::ice
