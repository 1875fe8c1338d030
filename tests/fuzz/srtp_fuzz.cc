// Fuzzes SRTP/SRTCP unprotect (the bytes every peer can send) for every profile, and
// protect of whatever the input is as a plaintext packet.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "transport/srtp/srtp_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const uint8_t key[46] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                  31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44};
  std::vector<uint8_t> buf;
  for (const auto& info : sfu::kSrtpProfiles) {
    auto session = sfu::SrtpSession::Create(info.profile, {key, info.key_len + info.salt_len});
    if (!session.ok()) continue;
    for (int op = 0; op < 4; ++op) {
      buf.assign(data, data + size);
      buf.resize(size + sfu::SrtpSession::kMaxTrailer);
      size_t len = size;
      switch (op) {
        case 0: (void)(*session)->UnprotectRtp(buf, &len); break;
        case 1: (void)(*session)->UnprotectRtcp(buf, &len); break;
        case 2: (void)(*session)->ProtectRtp(buf, &len); break;
        case 3: (void)(*session)->ProtectRtcp(buf, &len); break;
      }
    }
  }
  return 0;
}
