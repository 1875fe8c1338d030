#include "transport/ice/ice_lite_agent.h"

namespace sfu::ice {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Attributes an ICE Binding request may carry that the agent must understand.
constexpr uint16_t kKnownAttributes[] = {
    stun::attr::kUsername, stun::attr::kMessageIntegrity, stun::attr::kPriority,
    stun::attr::kUseCandidate, stun::attr::kXorMappedAddress, stun::attr::kErrorCode};

}  // namespace

std::string_view StateName(State s) {
  switch (s) {
    case State::kNew: return "new";
    case State::kConnected: return "connected";
    case State::kCompleted: return "completed";
    case State::kDisconnected: return "disconnected";
    case State::kClosed: return "closed";
  }
  return "?";
}

std::string_view DropName(Drop d) {
  switch (d) {
    case Drop::kNone: return "none";
    case Drop::kNotRequest: return "not a binding request";
    case Drop::kBadFingerprint: return "bad fingerprint";
    case Drop::kBadIntegrity: return "bad message integrity";
    case Drop::kBadRequest: return "bad request";
    case Drop::kUnknownUsername: return "unknown username";
    case Drop::kRoleConflict: return "role conflict";
    case Drop::kUnknownAttribute: return "unknown attribute";
    case Drop::kClosed: return "closed";
    case Drop::kNoBuffer: return "response buffer too small";
  }
  return "?";
}

IceLiteAgent::IceLiteAgent(Credentials local, Listener& listener, TimeDelta consent_timeout)
    : local_(std::move(local)), listener_(listener), consent_timeout_(consent_timeout) {}

bool IceLiteAgent::UsernameMatches(std::string_view username) const {
  // "LFRAG:RFRAG", LFRAG being the receiver's (RFC 8445 section 7.2.2).
  size_t colon = username.find(':');
  if (colon == std::string_view::npos) return false;
  if (username.substr(0, colon) != local_.ufrag) return false;
  return remote_ufrag_.empty() || username.substr(colon + 1) == remote_ufrag_;
}

IceLiteAgent::Result IceLiteAgent::Error(const stun::StunMessage& m, int code,
                                         std::string_view reason, Drop drop,
                                         std::span<uint8_t> out, bool with_integrity) {
  stun::StunBuilder b(out, stun::kBindingMethod, stun::MessageClass::kError, m.transaction_id());
  b.AddErrorCode(code, reason);
  if (with_integrity) b.AddMessageIntegrity(Bytes(local_.pwd));
  b.AddFingerprint();
  auto bytes = b.Finish();
  if (!bytes) return {Drop::kNoBuffer, {}};
  return {drop, *bytes};
}

IceLiteAgent::Result IceLiteAgent::OnStun(const stun::StunMessage& m, const Tuple& tuple,
                                          Timestamp now, std::span<uint8_t> out) {
  if (state_ == State::kClosed) return {Drop::kClosed, {}};
  if (!m.IsBindingRequest()) return {Drop::kNotRequest, {}};
  ++counters_.requests;
  // ICE requires FINGERPRINT on every check (RFC 8445 section 7.3).
  if (!m.FingerprintValid()) {
    ++counters_.bad_fingerprint;
    return {Drop::kBadFingerprint, {}};
  }
  auto username = m.Username();
  // RFC 8489 section 9.1.3: missing credentials get 400, unknown ones 401 (without
  // MESSAGE-INTEGRITY, which the agent cannot compute for a stranger).
  if (!username || m.CheckIntegrity(Bytes(local_.pwd)) == stun::Integrity::kAbsent) {
    ++counters_.bad_request;
    return Error(m, 400, "Bad Request", Drop::kBadRequest, out, false);
  }
  if (!UsernameMatches(*username)) {
    ++counters_.unknown_username;
    return Error(m, 401, "Unauthorized", Drop::kUnknownUsername, out, false);
  }
  if (m.CheckIntegrity(Bytes(local_.pwd)) != stun::Integrity::kValid) {
    ++counters_.bad_integrity;  // Dropped, not answered: nothing reflects forged packets.
    return {Drop::kBadIntegrity, {}};
  }
  if (auto unknown = m.UnknownRequiredAttribute(kKnownAttributes)) {
    ++counters_.unknown_attribute;
    stun::StunBuilder b(out, stun::kBindingMethod, stun::MessageClass::kError, m.transaction_id());
    b.AddErrorCode(420, "Unknown Attribute");
    b.AddU32(stun::attr::kUnknownAttributes, static_cast<uint32_t>(*unknown) << 16);
    b.AddMessageIntegrity(Bytes(local_.pwd));
    b.AddFingerprint();
    auto bytes = b.Finish();
    return bytes ? Result{Drop::kUnknownAttribute, *bytes} : Result{Drop::kNoBuffer, {}};
  }
  if (!m.Priority()) {
    ++counters_.bad_request;
    return Error(m, 400, "Bad Request", Drop::kBadRequest, out, true);
  }
  // A lite agent is always controlled (RFC 8445 section 6.1.1); a peer that claims the
  // controlled role too is told to switch (section 7.3.1.1).
  if (m.IceControlled()) {
    ++counters_.role_conflicts;
    return Error(m, 487, "Role Conflict", Drop::kRoleConflict, out, true);
  }

  stun::StunBuilder b(out, stun::kBindingMethod, stun::MessageClass::kSuccess, m.transaction_id());
  b.AddXorMappedAddress(tuple.remote);
  b.AddMessageIntegrity(Bytes(local_.pwd));
  b.AddFingerprint();
  auto bytes = b.Finish();
  if (!bytes) return {Drop::kNoBuffer, {}};
  ++counters_.responses;

  // A valid check from the selected tuple renews consent (RFC 7675 section 5.1).
  // Nomination (USE-CANDIDATE) selects the tuple and completes; before any nomination,
  // the first valid tuple is used so media can flow at once. Any address that passes
  // the checks is acceptable: peer-reflexive candidates need no signaling.
  bool nominated = m.UseCandidate();
  if (!selected_ || (nominated && *selected_ != tuple)) {
    if (selected_) ++counters_.tuple_switches;
    selected_ = tuple;
    last_consent_ = now;
    listener_.OnSelectedTupleChange(tuple);
  }
  if (*selected_ == tuple) last_consent_ = now;
  if (nominated) {
    SetState(State::kCompleted);
  } else if (state_ == State::kNew || state_ == State::kDisconnected) {
    SetState(State::kConnected);
  }
  return {Drop::kNone, *bytes};
}

void IceLiteAgent::OnTimer(Timestamp now) {
  if (consent_timeout_.IsZero() || !selected_) return;
  if (state_ != State::kConnected && state_ != State::kCompleted) return;
  if (now - last_consent_ >= consent_timeout_) SetState(State::kDisconnected);
}

void IceLiteAgent::Restart(Credentials local, std::string remote_ufrag) {
  local_ = std::move(local);
  remote_ufrag_ = std::move(remote_ufrag);
}

void IceLiteAgent::Close() { SetState(State::kClosed); }

void IceLiteAgent::SetState(State s) {
  if (state_ == s) return;
  state_ = s;
  listener_.OnIceStateChange(s);
}

}  // namespace sfu::ice
