#include "transport/sdp/sdp.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "base/str_cat.h"

namespace sfu::sdp {
namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t pos = s.find(sep);
    if (pos == std::string_view::npos) {
      if (!s.empty()) out.push_back(s);
      return out;
    }
    if (pos > 0) out.push_back(s.substr(0, pos));
    s.remove_prefix(pos + 1);
  }
}

template <typename T>
bool ToInt(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Static RTP payload types WebRTC peers may list without an a=rtpmap (RFC 3551).
std::optional<Codec> StaticCodec(int pt) {
  switch (pt) {
    case 0: return Codec{0, "PCMU", 8000, 1, {}, {}};
    case 8: return Codec{8, "PCMA", 8000, 1, {}, {}};
    case 9: return Codec{9, "G722", 8000, 1, {}, {}};
    case 13: return Codec{13, "CN", 8000, 1, {}, {}};
    default: return std::nullopt;
  }
}

class Parser {
 public:
  StatusOr<Session> Run(std::string_view text);

 private:
  Status Error(std::string_view why) const {
    return InvalidParamsError("sdp", StrCat("line ", line_no_, ": ", why));
  }
  Status SessionAttribute(std::string_view name, std::string_view value, bool has_value);
  Status MediaAttribute(MediaSection& m, std::string_view name, std::string_view value,
                        bool has_value);
  Status MediaLine(std::string_view value);
  Status FinishMedia(MediaSection& m);

  size_t line_no_ = 0;
  Session session_;
  std::map<int, std::string> pending_fmtp_;
  std::vector<std::pair<std::string, std::string>> pending_fb_;  // (pt or "*", value)
};

Status ParseFingerprint(std::string_view value, Fingerprint* out) {
  size_t sp = value.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp + 1 >= value.size()) {
    return absl::InvalidArgumentError("a=fingerprint needs \"<hash> <value>\"");
  }
  std::string algorithm(value.substr(0, sp));
  std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  *out = {algorithm, std::string(value.substr(sp + 1))};
  return absl::OkStatus();
}

StatusOr<Session> Parser::Run(std::string_view text) {
  if (text.size() > kMaxSdpBytes) {
    return InvalidParamsError("sdp", StrCat("SDP of ", text.size(), " bytes exceeds ", kMaxSdpBytes));
  }
  bool saw_version = false;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      return Error("expected \"<letter>=<value>\"");
    }
    char type = line[0];
    std::string_view value = line.substr(2);
    if (!saw_version) {
      if (type != 'v' || value != "0") return Error("an SDP must start with v=0");
      saw_version = true;
      continue;
    }
    MediaSection* media = session_.media.empty() ? nullptr : &session_.media.back();
    switch (type) {
      case 'o': {
        auto parts = Split(value, ' ');
        if (parts.size() != 6) return Error("o= needs 6 fields");
        session_.origin_username = std::string(parts[0]);
        session_.session_id = std::string(parts[1]);
        session_.session_version = std::string(parts[2]);
        session_.origin_address = std::string(parts[5]);
        break;
      }
      case 's': session_.name = std::string(value); break;
      case 'm': {
        if (media) {
          if (Status st = FinishMedia(*media); !st.ok()) return st;
        }
        if (Status st = MediaLine(value); !st.ok()) return st;
        break;
      }
      case 'c':
        if (media) media->connection = std::string(value);
        break;
      case 'a': {
        size_t colon = value.find(':');
        std::string_view name = value.substr(0, colon);
        std::string_view attr_value = colon == std::string_view::npos ? "" : value.substr(colon + 1);
        Status st = media ? MediaAttribute(*media, name, attr_value, colon != std::string_view::npos)
                          : SessionAttribute(name, attr_value, colon != std::string_view::npos);
        if (!st.ok()) return st;
        break;
      }
      default: break;  // t=, b=, i=, u=, e=, p=, r=, z=, k=: not used by WebRTC.
    }
  }
  if (!saw_version) return InvalidParamsError("sdp", "empty SDP");
  if (!session_.media.empty()) {
    if (Status st = FinishMedia(session_.media.back()); !st.ok()) return st;
  }
  // Session-level ICE and DTLS values apply to media sections that lack their own.
  for (MediaSection& m : session_.media) {
    if (m.ice_ufrag.empty()) m.ice_ufrag = session_.ice_ufrag;
    if (m.ice_pwd.empty()) m.ice_pwd = session_.ice_pwd;
    if (!m.fingerprint) m.fingerprint = session_.fingerprint;
    if (m.setup.empty()) m.setup = session_.setup;
  }
  return std::move(session_);
}

Status Parser::MediaLine(std::string_view value) {
  if (session_.media.size() == kMaxMediaSections) {
    return Error(StrCat("more than ", kMaxMediaSections, " media sections"));
  }
  auto parts = Split(value, ' ');
  if (parts.size() < 3) return Error("m= needs \"<media> <port> <proto> <fmt> ...\"");
  MediaSection m;
  m.kind = std::string(parts[0]);
  std::string_view port = parts[1].substr(0, parts[1].find('/'));
  if (!ToInt(port, &m.port) || m.port < 0 || m.port > 65535) return Error("bad port in m=");
  m.protocol = std::string(parts[2]);
  for (size_t i = 3; i < parts.size(); ++i) m.formats.emplace_back(parts[i]);
  session_.media.push_back(std::move(m));
  pending_fmtp_.clear();
  pending_fb_.clear();
  return absl::OkStatus();
}

Status Parser::SessionAttribute(std::string_view name, std::string_view value, bool has_value) {
  if (name == "group") {
    auto parts = Split(value, ' ');
    if (!parts.empty() && parts[0] == "BUNDLE") {
      for (size_t i = 1; i < parts.size(); ++i) session_.bundle.emplace_back(parts[i]);
      return absl::OkStatus();
    }
  } else if (name == "ice-lite") {
    session_.ice_lite = true;
    return absl::OkStatus();
  } else if (name == "ice-ufrag") {
    session_.ice_ufrag = std::string(value);
    return absl::OkStatus();
  } else if (name == "ice-pwd") {
    session_.ice_pwd = std::string(value);
    return absl::OkStatus();
  } else if (name == "ice-options") {
    for (auto o : Split(value, ' ')) session_.ice_options.emplace_back(o);
    return absl::OkStatus();
  } else if (name == "fingerprint") {
    Fingerprint fp;
    if (Status st = ParseFingerprint(value, &fp); !st.ok()) return Error(FromAbsl(st.message()));
    session_.fingerprint = fp;
    return absl::OkStatus();
  } else if (name == "setup") {
    session_.setup = std::string(value);
    return absl::OkStatus();
  } else if (name == "msid-semantic") {
    session_.msid_semantic = std::string(value);
    return absl::OkStatus();
  }
  session_.other.emplace_back(std::string(name), has_value ? std::string(value) : std::string());
  return absl::OkStatus();
}

Status Parser::MediaAttribute(MediaSection& m, std::string_view name, std::string_view value,
                              bool has_value) {
  if (name == "mid") {
    m.mid = std::string(value);
  } else if (name == "sendrecv") {
    m.direction = Direction::kSendRecv;
  } else if (name == "sendonly") {
    m.direction = Direction::kSendOnly;
  } else if (name == "recvonly") {
    m.direction = Direction::kRecvOnly;
  } else if (name == "inactive") {
    m.direction = Direction::kInactive;
  } else if (name == "ice-ufrag") {
    m.ice_ufrag = std::string(value);
  } else if (name == "ice-pwd") {
    m.ice_pwd = std::string(value);
  } else if (name == "ice-options") {
    for (auto o : Split(value, ' ')) m.ice_options.emplace_back(o);
  } else if (name == "fingerprint") {
    Fingerprint fp;
    if (Status st = ParseFingerprint(value, &fp); !st.ok()) return Error(FromAbsl(st.message()));
    m.fingerprint = fp;
  } else if (name == "setup") {
    m.setup = std::string(value);
  } else if (name == "rtcp-mux") {
    m.rtcp_mux = true;
  } else if (name == "rtcp-rsize") {
    m.rtcp_rsize = true;
  } else if (name == "rtpmap") {
    // "<pt> <name>/<clock>[/<channels>]"
    size_t sp = value.find(' ');
    Codec c;
    if (sp == std::string_view::npos || !ToInt(value.substr(0, sp), &c.payload_type) ||
        c.payload_type < 0 || c.payload_type > 127) {
      return Error("a=rtpmap needs \"<payload type 0-127> <encoding>/<clock rate>\"");
    }
    auto enc = Split(value.substr(sp + 1), '/');
    if (enc.size() < 2 || enc.size() > 3 || !ToInt(enc[1], &c.clock_rate) || c.clock_rate <= 0 ||
        (enc.size() == 3 && (!ToInt(enc[2], &c.channels) || c.channels <= 0))) {
      return Error("a=rtpmap needs \"<payload type> <encoding>/<clock rate>[/<channels>]\"");
    }
    c.name = std::string(enc[0]);
    if (m.FindCodec(c.payload_type)) return Error(StrCat("payload type ", c.payload_type, " mapped twice"));
    m.codecs.push_back(std::move(c));
  } else if (name == "fmtp") {
    size_t sp = value.find(' ');
    int pt = 0;
    if (sp == std::string_view::npos || !ToInt(value.substr(0, sp), &pt)) {
      return Error("a=fmtp needs \"<payload type> <parameters>\"");
    }
    pending_fmtp_[pt] = std::string(value.substr(sp + 1));
  } else if (name == "rtcp-fb") {
    size_t sp = value.find(' ');
    if (sp == std::string_view::npos) return Error("a=rtcp-fb needs \"<payload type|*> <type>\"");
    pending_fb_.emplace_back(std::string(value.substr(0, sp)), std::string(value.substr(sp + 1)));
  } else if (name == "extmap") {
    // "<id>[/<direction>] <uri> [<attributes>]"
    auto parts = Split(value, ' ');
    Extmap e;
    if (parts.size() < 2) return Error("a=extmap needs \"<id> <uri>\"");
    std::string_view id = parts[0];
    if (size_t slash = id.find('/'); slash != std::string_view::npos) {
      e.direction = std::string(id.substr(slash + 1));
      id = id.substr(0, slash);
    }
    if (!ToInt(id, &e.id) || e.id < 1 || e.id > 255 || e.id == 15) {
      return Error("a=extmap id must be 1-14 or 16-255");
    }
    e.uri = std::string(parts[1]);
    m.extmaps.push_back(std::move(e));
  } else if (name == "rid") {
    auto parts = Split(value, ' ');
    if (parts.size() < 2 || (parts[1] != "send" && parts[1] != "recv")) {
      return Error("a=rid needs \"<id> send|recv [<restrictions>]\"");
    }
    m.rids.push_back({std::string(parts[0]), std::string(parts[1]),
                      parts.size() > 2 ? std::string(parts[2]) : std::string()});
  } else if (name == "simulcast") {
    // "send <alts>;<alts> [recv <alts>]" with alternatives comma-separated (RFC 8853).
    auto parts = Split(value, ' ');
    if (parts.size() != 2 && parts.size() != 4) return Error("a=simulcast needs \"send|recv <streams>\"");
    Simulcast sc;
    for (size_t i = 0; i + 1 < parts.size(); i += 2) {
      std::vector<std::vector<std::string>>* list =
          parts[i] == "send" ? &sc.send : parts[i] == "recv" ? &sc.recv : nullptr;
      if (!list) return Error("a=simulcast directions are \"send\" and \"recv\"");
      for (auto stream : Split(parts[i + 1], ';')) {
        std::vector<std::string> alternatives;
        for (auto alt : Split(stream, ',')) alternatives.emplace_back(alt);
        list->push_back(std::move(alternatives));
      }
    }
    m.simulcast = std::move(sc);
  } else if (name == "ssrc") {
    // "<ssrc> <attribute>[:<value>]"
    size_t sp = value.find(' ');
    SsrcAttribute a;
    if (sp == std::string_view::npos || !ToInt(value.substr(0, sp), &a.ssrc)) {
      return Error("a=ssrc needs \"<ssrc> <attribute>\"");
    }
    std::string_view rest = value.substr(sp + 1);
    size_t colon = rest.find(':');
    a.name = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) a.value = std::string(rest.substr(colon + 1));
    m.ssrcs.push_back(std::move(a));
  } else if (name == "ssrc-group") {
    auto parts = Split(value, ' ');
    SsrcGroup g;
    if (parts.size() < 2) return Error("a=ssrc-group needs \"<semantics> <ssrc> ...\"");
    g.semantics = std::string(parts[0]);
    for (size_t i = 1; i < parts.size(); ++i) {
      uint32_t ssrc = 0;
      if (!ToInt(parts[i], &ssrc)) return Error("a=ssrc-group has a bad SSRC");
      g.ssrcs.push_back(ssrc);
    }
    m.ssrc_groups.push_back(std::move(g));
  } else if (name == "msid") {
    m.msid = std::string(value);
  } else if (name == "candidate") {
    auto parts = Split(value, ' ');
    Candidate c;
    if (parts.size() < 8 || parts[6] != "typ" || !ToInt(parts[1], &c.component) ||
        !ToInt(parts[3], &c.priority) || !ToInt(parts[5], &c.port)) {
      return Error("a=candidate is malformed");
    }
    c.foundation = std::string(parts[0]);
    c.transport = std::string(parts[2]);
    std::transform(c.transport.begin(), c.transport.end(), c.transport.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    c.address = std::string(parts[4]);
    c.type = std::string(parts[7]);
    for (size_t i = 8; i + 1 < parts.size(); i += 2) {
      if (parts[i] == "tcptype") c.tcp_type = std::string(parts[i + 1]);
    }
    m.candidates.push_back(std::move(c));
  } else if (name == "end-of-candidates") {
    m.end_of_candidates = true;
  } else if (name == "sctp-port") {
    int port = 0;
    if (!ToInt(value, &port) || port <= 0 || port > 65535) return Error("bad a=sctp-port");
    m.sctp_port = port;
  } else if (name == "max-message-size") {
    uint64_t size = 0;
    if (!ToInt(value, &size)) return Error("bad a=max-message-size");
    m.max_message_size = size;
  } else {
    m.other.emplace_back(std::string(name), has_value ? std::string(value) : std::string());
  }
  return absl::OkStatus();
}

Status Parser::FinishMedia(MediaSection& m) {
  // Static payload types listed without a=rtpmap.
  for (const std::string& f : m.formats) {
    int pt = 0;
    if (ToInt(f, &pt) && !m.FindCodec(pt)) {
      if (auto c = StaticCodec(pt)) m.codecs.push_back(*c);
    }
  }
  for (auto& [pt, params] : pending_fmtp_) {
    for (Codec& c : m.codecs) {
      if (c.payload_type == pt) c.fmtp = params;
    }
  }
  for (auto& [pt, fb] : pending_fb_) {
    for (Codec& c : m.codecs) {
      if (pt == "*" || pt == std::to_string(c.payload_type)) c.feedback.push_back(fb);
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view DirectionName(Direction d) {
  switch (d) {
    case Direction::kSendRecv: return "sendrecv";
    case Direction::kSendOnly: return "sendonly";
    case Direction::kRecvOnly: return "recvonly";
    case Direction::kInactive: return "inactive";
  }
  return "inactive";
}

Direction Reverse(Direction d) {
  if (d == Direction::kSendOnly) return Direction::kRecvOnly;
  if (d == Direction::kRecvOnly) return Direction::kSendOnly;
  return d;
}

std::optional<std::string> Codec::FmtpParam(std::string_view key) const {
  for (auto param : Split(fmtp, ';')) {
    while (!param.empty() && param.front() == ' ') param.remove_prefix(1);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && EqualsIgnoreCase(param.substr(0, eq), key)) {
      return std::string(param.substr(eq + 1));
    }
  }
  return std::nullopt;
}

const Codec* MediaSection::FindCodec(int payload_type) const {
  for (const Codec& c : codecs) {
    if (c.payload_type == payload_type) return &c;
  }
  return nullptr;
}

std::string Candidate::ToAttributeValue() const {
  std::string out = StrCat(foundation, " ", component, " ", transport, " ", priority, " ",
                           address, " ", port, " typ ", type);
  if (!tcp_type.empty()) StrAppend(&out, " tcptype ", tcp_type);
  return out;
}

StatusOr<Session> Parse(std::string_view text) { return Parser().Run(text); }

std::string Write(const Session& s) {
  std::string out;
  auto line = [&out](auto&&... parts) { StrAppend(&out, parts..., "\r\n"); };
  line("v=0");
  line("o=", s.origin_username, " ", s.session_id, " ", s.session_version, " IN IP4 ",
       s.origin_address);
  line("s=", s.name);
  line("t=0 0");
  if (!s.bundle.empty()) {
    std::string mids;
    for (const auto& mid : s.bundle) StrAppend(&mids, " ", mid);
    line("a=group:BUNDLE", mids);
  }
  if (s.ice_lite) line("a=ice-lite");
  if (!s.msid_semantic.empty()) line("a=msid-semantic:", s.msid_semantic);
  for (const auto& [name, value] : s.other) line("a=", name, value.empty() ? "" : ":", value);
  for (const MediaSection& m : s.media) {
    std::string formats;
    for (const auto& f : m.formats) StrAppend(&formats, " ", f);
    line("m=", m.kind, " ", m.port, " ", m.protocol, formats);
    line("c=", m.connection);
    if (!m.mid.empty()) line("a=mid:", m.mid);
    if (!m.ice_ufrag.empty()) line("a=ice-ufrag:", m.ice_ufrag);
    if (!m.ice_pwd.empty()) line("a=ice-pwd:", m.ice_pwd);
    if (!m.ice_options.empty()) {
      std::string opts;
      for (const auto& o : m.ice_options) StrAppend(&opts, opts.empty() ? "" : " ", o);
      line("a=ice-options:", opts);
    }
    if (m.fingerprint) line("a=fingerprint:", m.fingerprint->algorithm, " ", m.fingerprint->value);
    if (!m.setup.empty()) line("a=setup:", m.setup);
    line("a=", DirectionName(m.direction));
    if (m.rtcp_mux) line("a=rtcp-mux");
    if (m.rtcp_rsize) line("a=rtcp-rsize");
    for (const Extmap& e : m.extmaps) {
      line("a=extmap:", e.id, e.direction.empty() ? "" : "/", e.direction, " ", e.uri);
    }
    for (const Codec& c : m.codecs) {
      if (c.channels > 0) {
        line("a=rtpmap:", c.payload_type, " ", c.name, "/", c.clock_rate, "/", c.channels);
      } else {
        line("a=rtpmap:", c.payload_type, " ", c.name, "/", c.clock_rate);
      }
      for (const auto& fb : c.feedback) line("a=rtcp-fb:", c.payload_type, " ", fb);
      if (!c.fmtp.empty()) line("a=fmtp:", c.payload_type, " ", c.fmtp);
    }
    for (const Rid& r : m.rids) {
      line("a=rid:", r.id, " ", r.direction, r.restrictions.empty() ? "" : " ", r.restrictions);
    }
    if (m.simulcast) {
      auto list = [](const std::vector<std::vector<std::string>>& streams) {
        std::string text;
        for (const auto& alts : streams) {
          if (!text.empty()) text += ';';
          std::string a;
          for (const auto& alt : alts) StrAppend(&a, a.empty() ? "" : ",", alt);
          text += a;
        }
        return text;
      };
      std::string v;
      if (!m.simulcast->send.empty()) StrAppend(&v, "send ", list(m.simulcast->send));
      if (!m.simulcast->recv.empty()) StrAppend(&v, v.empty() ? "" : " ", "recv ", list(m.simulcast->recv));
      line("a=simulcast:", v);
    }
    for (const SsrcGroup& g : m.ssrc_groups) {
      std::string ssrcs;
      for (uint32_t x : g.ssrcs) StrAppend(&ssrcs, " ", x);
      line("a=ssrc-group:", g.semantics, ssrcs);
    }
    for (const SsrcAttribute& a : m.ssrcs) {
      line("a=ssrc:", a.ssrc, " ", a.name, a.value.empty() ? "" : ":", a.value);
    }
    if (!m.msid.empty()) line("a=msid:", m.msid);
    if (m.sctp_port) line("a=sctp-port:", *m.sctp_port);
    if (m.max_message_size) line("a=max-message-size:", *m.max_message_size);
    for (const Candidate& c : m.candidates) line("a=candidate:", c.ToAttributeValue());
    if (m.end_of_candidates) line("a=end-of-candidates");
    for (const auto& [name, value] : m.other) line("a=", name, value.empty() ? "" : ":", value);
  }
  return out;
}

}  // namespace sfu::sdp
