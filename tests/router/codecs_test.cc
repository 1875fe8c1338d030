#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "router/codecs/h264_profile.h"
#include "router/codecs/keyframe.h"

namespace sfu::codecs {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool Key(VideoCodec codec, const Bytes& payload) { return IsKeyFrameStart(codec, payload); }

// Every strict prefix of `payload` must not be a keyframe start.
void ExpectPrefixesAreNotKeyFrames(VideoCodec codec, const Bytes& payload) {
  for (size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(IsKeyFrameStart(codec, std::span(payload).first(n))) << "prefix " << n;
  }
}

// VP8 frame tags (RFC 6386 section 9.1): show_frame, 640x480 key frame header.
const Bytes kVp8KeyHeader = {0x50, 0x2A, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01};
const Bytes kVp8DeltaHeader = {0x51, 0x2A, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};

TEST(CodecsTest, VideoCodecFromMime) {
  EXPECT_EQ(VideoCodecFromMime("video/VP8"), VideoCodec::kVp8);
  EXPECT_EQ(VideoCodecFromMime("VIDEO/vp8"), VideoCodec::kVp8);
  EXPECT_EQ(VideoCodecFromMime("video/vp9"), VideoCodec::kVp9);
  EXPECT_EQ(VideoCodecFromMime("video/h264"), VideoCodec::kH264);
  EXPECT_EQ(VideoCodecFromMime("Video/Av1"), VideoCodec::kAv1);
  EXPECT_EQ(VideoCodecFromMime("audio/opus"), VideoCodec::kUnknown);
  EXPECT_EQ(VideoCodecFromMime("video/rtx"), VideoCodec::kUnknown);
  EXPECT_EQ(VideoCodecFromMime("video/VP8 "), VideoCodec::kUnknown);
  EXPECT_EQ(VideoCodecFromMime("VP8"), VideoCodec::kUnknown);
  EXPECT_EQ(VideoCodecFromMime(""), VideoCodec::kUnknown);
}

TEST(CodecsTest, UnknownCodecIsNeverKeyFrame) {
  EXPECT_FALSE(Key(VideoCodec::kUnknown, Cat({0x10}, kVp8KeyHeader)));
  EXPECT_FALSE(Key(VideoCodec::kUnknown, {0x65, 0x88}));
}

TEST(Vp8Test, KeyFrameWithoutExtensions) {
  Bytes p = Cat({0x10}, kVp8KeyHeader);  // S=1, PID=0.
  auto d = ParseVp8Descriptor(p);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size, 1u);
  EXPECT_TRUE(d->start_of_partition);
  EXPECT_EQ(d->partition_id, 0);
  EXPECT_FALSE(d->picture_id.has_value());
  EXPECT_FALSE(d->tl0_pic_idx.has_value());
  EXPECT_FALSE(d->temporal_id.has_value());
  EXPECT_FALSE(d->layer_sync);
  EXPECT_TRUE(Key(VideoCodec::kVp8, p));
  EXPECT_TRUE(Key(VideoCodec::kVp8, Cat({0x30}, kVp8KeyHeader)));  // N bit does not matter.
}

TEST(Vp8Test, DeltaFrameWithoutExtensions) {
  Bytes p = Cat({0x10}, kVp8DeltaHeader);
  ASSERT_TRUE(ParseVp8Descriptor(p).has_value());
  EXPECT_FALSE(Key(VideoCodec::kVp8, p));
}

TEST(Vp8Test, KeyFrameWithAllExtensions) {
  // X=1 S=1; I L T K; M=1 picture id 0x1234; TL0PICIDX 5; TID 1, Y=1, KEYIDX 3.
  Bytes p = Cat({0x90, 0xF0, 0x92, 0x34, 0x05, 0x63}, kVp8KeyHeader);
  auto d = ParseVp8Descriptor(p);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size, 6u);
  EXPECT_EQ(d->picture_id, 0x1234);
  EXPECT_EQ(d->tl0_pic_idx, 5);
  EXPECT_EQ(d->temporal_id, 1);
  EXPECT_TRUE(d->layer_sync);
  EXPECT_TRUE(d->start_of_partition);
  EXPECT_TRUE(Key(VideoCodec::kVp8, p));
}

TEST(Vp8Test, DeltaFrameWithExtensions) {
  // 7-bit picture id 0x25, TID 2 without Y.
  Bytes p = Cat({0x90, 0xA0, 0x25, 0x80}, kVp8DeltaHeader);
  auto d = ParseVp8Descriptor(p);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size, 4u);
  EXPECT_EQ(d->picture_id, 0x25);
  EXPECT_FALSE(d->tl0_pic_idx.has_value());
  EXPECT_EQ(d->temporal_id, 2);
  EXPECT_FALSE(d->layer_sync);
  EXPECT_FALSE(Key(VideoCodec::kVp8, p));
}

TEST(Vp8Test, KeyIndexWithoutTemporalIdIgnoresTid) {
  Bytes p = Cat({0x90, 0x10, 0xFF}, kVp8KeyHeader);  // K=1, T=0: TID/Y must be ignored.
  auto d = ParseVp8Descriptor(p);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size, 3u);
  EXPECT_FALSE(d->temporal_id.has_value());
  EXPECT_FALSE(d->layer_sync);
  EXPECT_TRUE(Key(VideoCodec::kVp8, p));
}

TEST(Vp8Test, OnlyTheFirstPartitionStartCanBeKeyFrame) {
  EXPECT_FALSE(Key(VideoCodec::kVp8, Cat({0x00}, kVp8KeyHeader)));  // S=0.
  auto d = ParseVp8Descriptor(Cat({0x13}, kVp8KeyHeader));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->partition_id, 3);
  EXPECT_FALSE(Key(VideoCodec::kVp8, Cat({0x13}, kVp8KeyHeader)));  // PID=3.
  Bytes no_start_code = kVp8KeyHeader;
  no_start_code[4] = 0x02;
  EXPECT_FALSE(Key(VideoCodec::kVp8, Cat({0x10}, no_start_code)));
}

TEST(Vp8Test, DescriptorNeedsPayloadAfterIt) {
  EXPECT_FALSE(ParseVp8Descriptor(Bytes{}).has_value());
  EXPECT_FALSE(ParseVp8Descriptor(Bytes{0x10}).has_value());
  EXPECT_FALSE(ParseVp8Descriptor(Bytes{0x90, 0x80, 0x92, 0x34}).has_value());
  EXPECT_TRUE(ParseVp8Descriptor(Bytes{0x90, 0x80, 0x92, 0x34, 0x00}).has_value());
}

TEST(Vp8Test, TruncatedAtEveryLength) {
  Bytes descriptor = {0x90, 0xF0, 0x92, 0x34, 0x05, 0x63};
  Bytes p = Cat(descriptor, kVp8KeyHeader);
  for (size_t n = 0; n <= descriptor.size(); ++n) {
    EXPECT_FALSE(ParseVp8Descriptor(std::span(p).first(n)).has_value()) << n;
  }
  for (size_t n = descriptor.size() + 1; n <= p.size(); ++n) {
    EXPECT_TRUE(ParseVp8Descriptor(std::span(p).first(n)).has_value()) << n;
  }
  ExpectPrefixesAreNotKeyFrames(VideoCodec::kVp8, p);
  EXPECT_TRUE(Key(VideoCodec::kVp8, p));
}

// VP9 frame data: the start of a key frame's uncompressed header (sync code 49 83 42).
const Bytes kVp9Data = {0x82, 0x49, 0x83, 0x42, 0x00};

// Non-flexible: I L B V, picture id 0x0123 (M=1), TID 0 SID `sid`, TL0PICIDX 7, and an SS
// with 3 spatial layers, resolutions and a 2-picture group.
Bytes Vp9NonFlexible(uint8_t flags, uint8_t sid) {
  return {flags, 0x81, 0x23, static_cast<uint8_t>(sid << 1), 0x07,
          0x58,                                      // N_S=2, Y=1, G=1.
          0x01, 0x40, 0x00, 0xB4,                    // 320x180
          0x02, 0x80, 0x01, 0x68,                    // 640x360
          0x05, 0x00, 0x02, 0xD0,                    // 1280x720
          0x02,                                      // N_G=2
          0x04, 0x04,                                // TID 0, R=1, P_DIFF 4
          0x34, 0x01};                               // TID 1, U, R=1, P_DIFF 1
}

TEST(Vp9Test, NonFlexibleKeyFrameWithScalabilityStructure) {
  Bytes p = Cat(Vp9NonFlexible(0xAA, 0), kVp9Data);  // I L B V.
  EXPECT_TRUE(Key(VideoCodec::kVp9, p));
  // Exactly one data byte after the descriptor is enough; none is not.
  Bytes descriptor = Vp9NonFlexible(0xAA, 0);
  EXPECT_FALSE(Key(VideoCodec::kVp9, descriptor));
  EXPECT_TRUE(Key(VideoCodec::kVp9, Cat(descriptor, {0x82})));
}

TEST(Vp9Test, NonFlexibleNotKeyFrame) {
  EXPECT_FALSE(Key(VideoCodec::kVp9, Cat(Vp9NonFlexible(0xAA, 1), kVp9Data)));  // SID 1.
  EXPECT_FALSE(Key(VideoCodec::kVp9, Cat(Vp9NonFlexible(0xEA, 0), kVp9Data)));  // P=1.
  EXPECT_FALSE(Key(VideoCodec::kVp9, Cat(Vp9NonFlexible(0xA2, 0), kVp9Data)));  // B=0.
  // Inter frame without SS: I P L B E.
  EXPECT_FALSE(Key(VideoCodec::kVp9, Cat({0xEC, 0x81, 0x24, 0x20, 0x08}, kVp9Data)));
}

TEST(Vp9Test, ScalabilityStructureWithoutResolutionsOrGroup) {
  // I L B V; SS with N_S=0, Y=0, G=0 is a single byte.
  EXPECT_TRUE(Key(VideoCodec::kVp9, Bytes{0xAA, 0x05, 0x00, 0x00, 0x00, 0x82}));
  EXPECT_FALSE(Key(VideoCodec::kVp9, Bytes{0xAA, 0x05, 0x00, 0x00, 0x00}));
}

TEST(Vp9Test, ScalabilityStructureOverrunIsRejected) {
  Bytes p = Vp9NonFlexible(0xAA, 0);
  p[18] = 10;  // N_G=10 pictures, only 2 present and then frame data.
  EXPECT_FALSE(Key(VideoCodec::kVp9, Cat(p, kVp9Data)));
}

TEST(Vp9Test, WithoutLayerIndicesSpatialLayerIsZero) {
  EXPECT_TRUE(Key(VideoCodec::kVp9, Cat({0x88, 0x05}, kVp9Data)));  // I B, 7-bit id.
  EXPECT_TRUE(Key(VideoCodec::kVp9, Cat({0x08}, kVp9Data)));        // B only.
  EXPECT_FALSE(Key(VideoCodec::kVp9, Cat({0x48}, kVp9Data)));       // P B.
}

TEST(Vp9Test, FlexibleModeKeyFrame) {
  // I L F B, picture id 5, TID 0 SID 0 (no TL0PICIDX in flexible mode), one data byte.
  Bytes p = {0xB8, 0x05, 0x00, 0x82};
  EXPECT_TRUE(Key(VideoCodec::kVp9, p));
  ExpectPrefixesAreNotKeyFrames(VideoCodec::kVp9, p);
  EXPECT_FALSE(Key(VideoCodec::kVp9, Bytes{0xB8, 0x05, 0x02, 0x82}));  // SID 1.
  // With V: SS (N_S=1, Y) after the layer byte.
  EXPECT_TRUE(Key(VideoCodec::kVp9, Bytes{0xBA, 0x05, 0x00, 0x30, 0x01, 0x40, 0x00, 0xB4,
                                          0x02, 0x80, 0x01, 0x68, 0x82}));
  EXPECT_FALSE(Key(VideoCodec::kVp9, Bytes{0xBA, 0x05, 0x00, 0x30, 0x01, 0x40, 0x00, 0xB4,
                                           0x02, 0x80, 0x01, 0x68}));
}

TEST(Vp9Test, FlexibleModeReferenceIndices) {
  // I P L F B, two references (P_DIFF 1 with N, P_DIFF 2): a predicted frame.
  Bytes p = Cat({0xF8, 0x05, 0x20, 0x03, 0x04}, kVp9Data);
  EXPECT_FALSE(Key(VideoCodec::kVp9, p));
  for (size_t n = 0; n <= p.size(); ++n) {
    (void)IsKeyFrameStart(VideoCodec::kVp9, std::span(p).first(n));
  }
  // Four references (N set on the third) are malformed.
  EXPECT_FALSE(Key(VideoCodec::kVp9, Cat({0xF8, 0x05, 0x20, 0x03, 0x05, 0x07, 0x08}, kVp9Data)));
}

TEST(Vp9Test, TruncatedAtEveryLength) {
  ExpectPrefixesAreNotKeyFrames(VideoCodec::kVp9, Cat(Vp9NonFlexible(0xAA, 0), {0x82}));
}

TEST(H264KeyFrameTest, SingleNalUnits) {
  EXPECT_TRUE(Key(VideoCodec::kH264, {0x65, 0x88, 0x84, 0x00}));   // IDR.
  EXPECT_TRUE(Key(VideoCodec::kH264, {0x67, 0x42, 0xE0, 0x1F}));   // SPS.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x41, 0x9A, 0x02, 0x00}));  // Non-IDR slice.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x68, 0xCE, 0x3C, 0x80}));  // PPS.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x06, 0x05, 0x01}));        // SEI.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0xE5, 0x88, 0x84}));        // F bit set.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x65}));                    // Header only.
  EXPECT_FALSE(Key(VideoCodec::kH264, {}));
}

TEST(H264KeyFrameTest, StapAWithSpsPpsIdr) {
  Bytes p = {0x78,                          // STAP-A, NRI 3.
             0x00, 0x04, 0x67, 0x42, 0xE0, 0x1F,  // SPS
             0x00, 0x02, 0x68, 0xCE,              // PPS
             0x00, 0x03, 0x65, 0x88, 0x84};       // IDR
  EXPECT_TRUE(Key(VideoCodec::kH264, p));
  for (size_t n = 0; n <= p.size(); ++n) {
    (void)IsKeyFrameStart(VideoCodec::kH264, std::span(p).first(n));
  }
  // Unit sizes that run past the packet, a zero size, a dangling size byte: malformed.
  Bytes overrun = p;
  overrun[2] = 0x20;
  EXPECT_FALSE(Key(VideoCodec::kH264, overrun));
  Bytes zero = {0x78, 0x00, 0x00, 0x00, 0x03, 0x65, 0x88, 0x84};
  EXPECT_FALSE(Key(VideoCodec::kH264, zero));
  EXPECT_FALSE(Key(VideoCodec::kH264, Cat(p, {0x00})));
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x78}));  // No units.
}

TEST(H264KeyFrameTest, StapAWithoutKeyUnits) {
  Bytes p = {0x78, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x03, 0x41, 0x9A, 0x02};  // PPS, non-IDR.
  EXPECT_FALSE(Key(VideoCodec::kH264, p));
  // IDR last after a PPS: every prefix is either cut inside a unit or holds no key unit.
  Bytes idr_last = {0x78, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x03, 0x65, 0x88, 0x84};
  EXPECT_TRUE(Key(VideoCodec::kH264, idr_last));
  ExpectPrefixesAreNotKeyFrames(VideoCodec::kH264, idr_last);
}

TEST(H264KeyFrameTest, FuA) {
  EXPECT_TRUE(Key(VideoCodec::kH264, {0x7C, 0x85, 0x88, 0x84}));   // Start of IDR.
  EXPECT_TRUE(Key(VideoCodec::kH264, {0x7C, 0x87, 0x42, 0xE0}));   // Start of SPS.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x7C, 0x05, 0x11, 0x22}));  // Middle of IDR.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x7C, 0x45, 0x11, 0x22}));  // End of IDR.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x5C, 0x81, 0x9A, 0x02}));  // Start of non-IDR.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x7C, 0xC5, 0x88, 0x84}));  // S and E both set.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x7C, 0x85}));              // No fragment.
  ExpectPrefixesAreNotKeyFrames(VideoCodec::kH264, {0x7C, 0x85, 0x88});
}

TEST(H264KeyFrameTest, UnsupportedAggregationTypes) {
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x79, 0x00, 0x01, 0x00, 0x03, 0x65, 0x88, 0x84}));  // STAP-B
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x7D, 0x85, 0x00, 0x01, 0x88}));  // FU-B
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x60, 0x00}));                    // Type 0.
  EXPECT_FALSE(Key(VideoCodec::kH264, {0x7E, 0x00}));                    // Type 30.
}

TEST(Av1Test, NewCodedVideoSequenceBit) {
  // N=1, W=0: one length-prefixed OBU element (a frame OBU, type 6).
  EXPECT_TRUE(Key(VideoCodec::kAv1, {0x08, 0x02, 0x32, 0x00}));
  // N=1, W=1: the only element has no length.
  EXPECT_TRUE(Key(VideoCodec::kAv1, {0x18, 0x32, 0x00}));
  // Same without N: a frame OBU first is no sequence start.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x00, 0x02, 0x32, 0x00}));
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x10, 0x32, 0x00}));
  // N=1 with Z=1 is invalid.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x98, 0x32, 0x00}));
  // No OBU element at all.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x08}));
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x18}));
}

TEST(Av1Test, SequenceHeaderFirst) {
  // W=1: sequence header (type 1, header byte 0x0A).
  EXPECT_TRUE(Key(VideoCodec::kAv1, {0x10, 0x0A, 0x0B, 0x00, 0x00}));
  // W=2: length-prefixed sequence header, then a frame OBU.
  EXPECT_TRUE(Key(VideoCodec::kAv1, {0x20, 0x03, 0x0A, 0x0B, 0x00, 0x32, 0x10, 0x00}));
  // W=0 with two elements.
  EXPECT_TRUE(Key(VideoCodec::kAv1, {0x00, 0x03, 0x0A, 0x0B, 0x00, 0x02, 0x32, 0x10}));
  // Sequence header second is not enough.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x20, 0x02, 0x32, 0x10, 0x0A, 0x0B}));
  // Z=1: the first element continues an OBU, its first byte is no OBU header.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x90, 0x0A, 0x0B, 0x00}));
  // Forbidden bit set.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x10, 0x8A, 0x0B}));
}

TEST(Av1Test, MultiByteLeb128Length) {
  Bytes p = {0x00, 0x82, 0x01, 0x0A};  // Length 130.
  p.resize(3 + 130, 0x00);
  EXPECT_TRUE(Key(VideoCodec::kAv1, p));
  p.pop_back();
  EXPECT_FALSE(Key(VideoCodec::kAv1, p));
  // More than 8 leb128 bytes, or a value of 2^32 and more.
  Bytes long_leb = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x32};
  EXPECT_FALSE(Key(VideoCodec::kAv1, long_leb));
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x08, 0x80, 0x80, 0x80, 0x80, 0x10, 0x32}));
}

TEST(Av1Test, MalformedElementsAreRejected) {
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x08, 0x05, 0x32, 0x00}));  // Length overrun.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x08, 0x00, 0x32}));        // Empty element.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {0x28, 0x02, 0x32, 0x00}));  // W=2, one element.
  EXPECT_FALSE(Key(VideoCodec::kAv1, {}));
}

TEST(Av1Test, TruncatedAtEveryLength) {
  ExpectPrefixesAreNotKeyFrames(VideoCodec::kAv1, {0x08, 0x02, 0x32, 0x00});
  ExpectPrefixesAreNotKeyFrames(VideoCodec::kAv1, {0x20, 0x03, 0x0A, 0x0B, 0x00, 0x32});
}

TEST(CodecsTest, AllCodecsSurviveEveryPrefixOfEveryByte) {
  // Every codec over every prefix of a buffer holding all byte values.
  Bytes all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(255 - i);
  for (auto codec : {VideoCodec::kVp8, VideoCodec::kVp9, VideoCodec::kH264, VideoCodec::kAv1}) {
    for (size_t n = 0; n <= all.size(); ++n) {
      (void)IsKeyFrameStart(codec, std::span(all).first(n));
    }
  }
  for (size_t n = 0; n <= all.size(); ++n) {
    auto d = ParseVp8Descriptor(std::span(all).first(n));
    if (d) {
      EXPECT_LT(d->size, n);
    }
  }
}

TEST(H264ProfileTest, ParsesBrowserProfiles) {
  using P = H264Profile;
  EXPECT_EQ(ParseH264ProfileLevelId("42e01f"), (H264ProfileLevelId{P::kConstrainedBaseline, 31}));
  EXPECT_EQ(ParseH264ProfileLevelId("42E01F"), (H264ProfileLevelId{P::kConstrainedBaseline, 31}));
  EXPECT_EQ(ParseH264ProfileLevelId("42001f"), (H264ProfileLevelId{P::kBaseline, 31}));
  EXPECT_EQ(ParseH264ProfileLevelId("4d001f"), (H264ProfileLevelId{P::kMain, 31}));
  EXPECT_EQ(ParseH264ProfileLevelId("640c1f"), (H264ProfileLevelId{P::kConstrainedHigh, 31}));
  EXPECT_EQ(ParseH264ProfileLevelId("64001f"), (H264ProfileLevelId{P::kHigh, 31}));
  EXPECT_EQ(ParseH264ProfileLevelId("640032"), (H264ProfileLevelId{P::kHigh, 50}));
  EXPECT_EQ(ParseH264ProfileLevelId("f4001f"), (H264ProfileLevelId{P::kPredictiveHigh444, 31}));
  EXPECT_EQ(ParseH264ProfileLevelId("42000a"), (H264ProfileLevelId{P::kBaseline, 10}));
}

TEST(H264ProfileTest, ProfileIopPatterns) {
  using P = H264Profile;
  // Main with constraint_set1 is constrained baseline; Extended (0x58) with set0+set1 too.
  EXPECT_EQ(ParseH264ProfileLevelId("4d801f")->profile, P::kConstrainedBaseline);
  EXPECT_EQ(ParseH264ProfileLevelId("4d401f")->profile, P::kMain);
  EXPECT_EQ(ParseH264ProfileLevelId("58c01f")->profile, P::kConstrainedBaseline);
  EXPECT_EQ(ParseH264ProfileLevelId("58801f")->profile, P::kBaseline);
  EXPECT_FALSE(ParseH264ProfileLevelId("58401f").has_value());  // Extended without set0.
  EXPECT_FALSE(ParseH264ProfileLevelId("42e11f").has_value());  // Reserved iop bits.
  EXPECT_FALSE(ParseH264ProfileLevelId("64041f").has_value());  // High with one set bit.
  EXPECT_FALSE(ParseH264ProfileLevelId("6e001f").has_value());  // High 10: not in table.
}

TEST(H264ProfileTest, Level1bUsesConstraintSet3) {
  EXPECT_EQ(ParseH264ProfileLevelId("42f00b")->level, kH264Level1b);
  EXPECT_EQ(ParseH264ProfileLevelId("42e00b")->level, 11);
  EXPECT_EQ(ParseH264ProfileLevelId("4d100b")->level, kH264Level1b);
}

TEST(H264ProfileTest, InvalidStrings) {
  for (const char* s : {"", "42e01", "42e01f0", "42e0zz", "000000", "42e000", "42e01a",
                        "42e0ff", " 42e01f", "42e01f ", "+2e01f", "0x2e01", "ggggggg"}) {
    EXPECT_FALSE(ParseH264ProfileLevelId(s).has_value()) << s;
  }
}

TEST(H264ProfileTest, FmtpParameter) {
  const char* fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
  EXPECT_EQ(FmtpParameter(fmtp, "level-asymmetry-allowed"), "1");
  EXPECT_EQ(FmtpParameter(fmtp, "packetization-mode"), "1");
  EXPECT_EQ(FmtpParameter(fmtp, "profile-level-id"), "42e01f");
  EXPECT_EQ(FmtpParameter(fmtp, "PROFILE-LEVEL-ID"), "42e01f");
  EXPECT_FALSE(FmtpParameter(fmtp, "sprop-parameter-sets").has_value());
  EXPECT_FALSE(FmtpParameter(fmtp, "profile").has_value());
  EXPECT_EQ(FmtpParameter(" Profile-Level-Id = 42e01f ; x=y ", "profile-level-id"), "42e01f");
  EXPECT_EQ(FmtpParameter("a;b=2;;", "b"), "2");
  EXPECT_EQ(FmtpParameter("a=1;a=2", "a"), "1");
  EXPECT_EQ(FmtpParameter("key=", "key"), "");
  EXPECT_EQ(FmtpParameter("sprop=Z0IACpZTBYmI,aMljiA==", "sprop"), "Z0IACpZTBYmI,aMljiA==");
  EXPECT_FALSE(FmtpParameter("a=1", "").has_value());
  EXPECT_FALSE(FmtpParameter("=1", " ").has_value());
  EXPECT_FALSE(FmtpParameter("", "a").has_value());
}

TEST(H264ProfileTest, SameProfile) {
  EXPECT_TRUE(H264SameProfile("profile-level-id=42e01f", "profile-level-id=42e00b"));
  EXPECT_TRUE(H264SameProfile("packetization-mode=1;profile-level-id=42e01f",
                              "profile-level-id=42E034;packetization-mode=0"));
  EXPECT_FALSE(H264SameProfile("profile-level-id=42e01f", "profile-level-id=42001f"));
  EXPECT_FALSE(H264SameProfile("profile-level-id=640c1f", "profile-level-id=64001f"));
  EXPECT_FALSE(H264SameProfile("profile-level-id=4d001f", "profile-level-id=64001f"));
  // Missing means 42000a, Baseline.
  EXPECT_TRUE(H264SameProfile("", "profile-level-id=42001f"));
  EXPECT_TRUE(H264SameProfile("packetization-mode=1", ""));
  EXPECT_FALSE(H264SameProfile("", "profile-level-id=42e01f"));
  // Both must parse.
  EXPECT_FALSE(H264SameProfile("profile-level-id=zz", "profile-level-id=zz"));
  EXPECT_FALSE(H264SameProfile("profile-level-id=", ""));
}

TEST(H264ProfileTest, SamePacketizationMode) {
  EXPECT_TRUE(H264SamePacketizationMode("packetization-mode=1", "packetization-mode = 1"));
  EXPECT_TRUE(H264SamePacketizationMode("", "packetization-mode=0"));
  EXPECT_TRUE(H264SamePacketizationMode("profile-level-id=42e01f", ""));
  EXPECT_FALSE(H264SamePacketizationMode("", "packetization-mode=1"));
  EXPECT_FALSE(H264SamePacketizationMode("packetization-mode=1", "packetization-mode=2"));
  EXPECT_FALSE(H264SamePacketizationMode("packetization-mode=x", "packetization-mode=x"));
  EXPECT_FALSE(H264SamePacketizationMode("packetization-mode=", "packetization-mode="));
}

}  // namespace
}  // namespace sfu::codecs
