#include <gtest/gtest.h>

#include "common/error.h"
#include "run/userns/userns.h"
#include "store/tar_generate.h"

namespace mini::run {
namespace {

TEST(Userns, ParsesModes) {
  EXPECT_EQ(ParseUsernsMode("").kind, UsernsMode::Kind::kHost);
  EXPECT_EQ(ParseUsernsMode("host").kind, UsernsMode::Kind::kHost);
  EXPECT_EQ(ParseUsernsMode("auto").kind, UsernsMode::Kind::kAuto);
  UsernsMode m = ParseUsernsMode("remap:100000:200000:65536");
  EXPECT_EQ(m.kind, UsernsMode::Kind::kRemap);
  EXPECT_EQ(m.remap, (IdMap{100000, 200000, 65536}));
  EXPECT_EQ(m.remap.MapLine(false), "0 100000 65536\n");
  EXPECT_EQ(m.remap.MapLine(true), "0 200000 65536\n");
}

TEST(Userns, RejectsBadModes) {
  for (const char* bad : {"bogus", "remap", "remap:1:2", "remap:a:2:3", "remap:1:2:0", "remap:-1:2:3",
                          "remap:4294967295:0:2", "auto:1", "private"}) {
    try {
      ParseUsernsMode(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("invalid --userns \"" + std::string(bad) + "\""), std::string::npos)
          << e.what();
    }
  }
}

TEST(Userns, ParsesSubIdFiles) {
  auto v = ParseSubIdFile("alice:100000:65536\n# c\nbad\nmini:16777216:16777216\nx:1:y\n");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "alice");
  EXPECT_EQ(v[0].range.start, 100000u);
  EXPECT_EQ(v[1].name, "mini");
  EXPECT_EQ(v[1].range.count, 16777216u);
}

TEST(Userns, ChoosesAnAlignedBlockOverlappingNothing) {
  EXPECT_EQ(ChooseFreeBlock({}, {}, kMiniSubIdSize), kMiniSubIdSize);
  auto u = ParseSubIdFile("a:100000:65536\nb:16777300:10\n");
  auto g = ParseSubIdFile("c:33554432:1\n");
  EXPECT_EQ(ChooseFreeBlock(u, g, kMiniSubIdSize), 3u * kMiniSubIdSize);
}

TEST(Userns, AutoSlicesSkipUsedRanges) {
  SubIdRange u{1u << 24, 4 * kAutoSliceSize}, g{2u << 24, 4 * kAutoSliceSize};
  EXPECT_EQ(ChooseAutoSlice(u, g, {}), (IdMap{1u << 24, 2u << 24, kAutoSliceSize}));
  // A remap over part of the second slice makes both of the first two busy.
  std::vector<IdMap> used = {{1u << 24, 2u << 24, kAutoSliceSize}, {(1u << 24) + kAutoSliceSize + 5, 0, 10}};
  EXPECT_EQ(ChooseAutoSlice(u, g, used).uid_base, (1u << 24) + 2 * kAutoSliceSize);
  used.push_back({(1u << 24) + 2 * kAutoSliceSize, (2u << 24) + 2 * kAutoSliceSize, 2 * kAutoSliceSize});
  try {
    ChooseAutoSlice(u, g, used);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no free user namespace range: all 4 slices"), std::string::npos) << e.what();
  }
}

TEST(Userns, RemapMustBeInsideMinisRanges) {
  SubIdRange u{100000, 65536 * 2}, g{300000, 65536};
  CheckRemapInside({100000, 300000, 65536}, u, g);
  CheckRemapInside({165536, 300000, 65536}, u, g);
  EXPECT_THROW(CheckRemapInside({165537, 300000, 65536}, u, g), Error);
  try {
    CheckRemapInside({100000, 300001, 65536}, u, g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--userns remap: gids 300001-365536 are not inside mini's subordinate gids 300000-365535 (/etc/subgid)");
  }
}

TEST(Userns, ShiftsIdsBack) {
  EXPECT_EQ(UnshiftId(100000, 100000, 65536), 0u);
  EXPECT_EQ(UnshiftId(101000, 100000, 65536), 1000u);
  EXPECT_EQ(UnshiftId(0, 100000, 65536), 65534u);
  EXPECT_EQ(UnshiftId(165536, 100000, 65536), 65534u);
  IdShift s{100000, 200000, 65536};
  EXPECT_EQ(s.Uid(100005), 5u);
  EXPECT_EQ(s.Gid(200007), 7u);
  EXPECT_EQ(s.Gid(100007), 65534u);
  EXPECT_EQ(IdShift{}.Uid(123), 123u);
}

}  // namespace
}  // namespace mini::run
