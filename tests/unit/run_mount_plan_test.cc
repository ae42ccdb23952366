#include <gtest/gtest.h>
#include <sys/mount.h>

#include "common/error.h"
#include "run/rootfs/init_layer.h"
#include "run/rootfs/mount_plan.h"
#include "run/volume_mounts.h"

namespace mini::run {
namespace {

TEST(MountPlan, RelativeOverlayOptions) {
  OverlayPlan p = MakeOverlayPlan("cid", {"l/TOP", "l/BOTTOM"}, 4096);
  EXPECT_EQ(p.Options(), "lowerdir=cid-init/diff:l/TOP:l/BOTTOM,upperdir=cid/diff,workdir=cid/work");
  EXPECT_EQ(p.merged, "cid/merged");
}

TEST(MountPlan, EphemeralDirs) {
  OverlayPlan p = MakeOverlayPlanAt("/run/mini/x/c/init", "/run/mini/x/c/diff", "/run/mini/x/c/work",
                                    "/run/mini/x/c/merged", {"l/TOP"}, 4096);
  EXPECT_EQ(p.Options(),
            "lowerdir=/run/mini/x/c/init:l/TOP,upperdir=/run/mini/x/c/diff,workdir=/run/mini/x/c/work");
  EXPECT_EQ(p.merged, "/run/mini/x/c/merged");
}

TEST(MountPlan, ManyLayersFitAPage) {
  std::string cid(64, 'a');
  std::vector<std::string> lowers(125, "l/" + std::string(26, 'X'));
  EXPECT_NO_THROW(MakeOverlayPlan(cid, lowers, 4096));
  lowers.resize(200, lowers[0]);
  EXPECT_THROW(MakeOverlayPlan(cid, lowers, 4096), Error);
  EXPECT_THROW(MakeOverlayPlan(cid, {}, 4096), Error);
}

TEST(MountPlan, VolumeSpecs) {
  MountRequest b = ParseVolumeSpec("/host/./dir:/ctr/x/:ro");
  EXPECT_EQ(b.kind, MountRequest::Kind::kBind);
  EXPECT_EQ(b.source, "/host/dir");
  EXPECT_EQ(b.target, "/ctr/x");
  EXPECT_TRUE(b.read_only);
  MountRequest v = ParseVolumeSpec("data:/var/lib/data");
  EXPECT_EQ(v.kind, MountRequest::Kind::kVolume);
  EXPECT_FALSE(v.read_only);
  MountRequest a = ParseVolumeSpec("/anon/./x");  // an anonymous volume
  EXPECT_EQ(a.kind, MountRequest::Kind::kVolume);
  EXPECT_EQ(a.source, "");
  EXPECT_EQ(a.target, "/anon/x");
  EXPECT_TRUE(ParseVolumeSpec("/anon:ro").read_only);
  EXPECT_EQ(ParseVolumeSpec("/anon:ro").source, "");
  for (const char* bad : {"x", "/a:rel", "/a:rx", "/a:/", "bad name:/x", "../x:/y", "/a:/b:rx", "a:b:c:d"})
    EXPECT_THROW(ParseVolumeSpec(bad), Error) << bad;
}

TEST(MountPlan, MountFlag) {
  MountRequest b = ParseMountFlag("type=bind,source=/h/./x,target=/c,readonly");
  EXPECT_EQ(b.kind, MountRequest::Kind::kBind);
  EXPECT_EQ(b.source, "/h/x");
  EXPECT_EQ(b.target, "/c");
  EXPECT_TRUE(b.read_only);
  EXPECT_FALSE(b.create_source);  // --mount never makes its source; -v does
  EXPECT_TRUE(ParseVolumeSpec("/h:/c").create_source);
  MountRequest v = ParseMountFlag("src=data,dst=/d,ro=false");
  EXPECT_EQ(v.kind, MountRequest::Kind::kVolume);
  EXPECT_FALSE(v.read_only);
  MountRequest anon = ParseMountFlag("type=volume,dst=/a");
  EXPECT_EQ(anon.kind, MountRequest::Kind::kVolume);
  EXPECT_EQ(anon.source, "");
  EXPECT_EQ(ParseMountFlag("type=bind,src=/a,dst=/b,bind-propagation=rshared").propagation, "rshared");
  EXPECT_EQ(ParseVolumeSpec("/a:/b:ro,rslave").propagation, "rslave");
  EXPECT_TRUE(ParseVolumeSpec("/a:/b:ro,rslave").read_only);
  EXPECT_EQ(ParseVolumeSpec("/a:/b").propagation, "");
  EXPECT_THROW(ParseVolumeSpec("vol:/b:shared"), Error);
  MountRequest vo = ParseMountFlag("src=v,dst=/v,volume-opt=type=tmpfs,\"volume-opt=o=size=1m,uid=0\",volume-label=a=b,volume-nocopy");
  EXPECT_EQ(vo.volume_options.at("type"), "tmpfs");
  EXPECT_EQ(vo.volume_options.at("o"), "size=1m,uid=0");
  EXPECT_EQ(vo.volume_labels.at("a"), "b");
  EXPECT_THROW(ParseMountFlag("src=v,dst=/v,\"volume-opt=o=x"), Error);
  EXPECT_TRUE(vo.no_copy);
  EXPECT_TRUE(ParseVolumeSpec("v:/v:nocopy").no_copy);
  EXPECT_TRUE(ParseMountFlag("type=bind,src=/a,dst=/b,bind-nonrecursive").non_recursive);
  EXPECT_THROW(ParseMountFlag("type=bind,src=/a,dst=/b,volume-opt=type=tmpfs"), Error);
  EXPECT_THROW(ParseMountFlag("src=v,dst=/v,volume-driver=nfs"), Error);
  unsigned long flags = 0;
  std::string data;
  ParseMountOptions("ro,nosuid,size=8m,rw,uid=1000,bind", &flags, &data);
  EXPECT_EQ(flags, static_cast<unsigned long>(MS_NOSUID | MS_BIND));
  EXPECT_EQ(data, "size=8m,uid=1000");
  MountRequest t = ParseMountFlag("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1700");
  EXPECT_EQ(t.kind, MountRequest::Kind::kTmpfs);
  EXPECT_EQ(t.options, "size=1048576,mode=1700");
  for (const char* bad : {"type=bind,dst=/c", "type=bind,src=rel,dst=/c", "src=data", "type=nfs,dst=/x", "dst=/x,bogus=1",
                          "type=tmpfs,src=x,dst=/t", "src=v,dst=/t,tmpfs-size=1m", "type=bind,src=/a,dst=/b,bind-propagation=bogus",
                          "type=volume,src=v,dst=/b,bind-propagation=rslave",
                          "src=bad name,dst=/x", "type=bind,src=/a,dst=/"})
    EXPECT_THROW(ParseMountFlag(bad), Error) << bad;
  try {
    ParseMountFlag("type=tmpfs");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid argument \"type=tmpfs\" for \"--mount\" flag: target is required");
  }
}

TEST(MountPlan, Tmpfs) {
  MountRequest t = ParseTmpfsSpec("/run:size=1m,ro");
  EXPECT_EQ(t.target, "/run");
  EXPECT_EQ(t.options, "size=1m,ro");
  EXPECT_TRUE(t.read_only);
  EXPECT_THROW(ParseTmpfsSpec("run"), Error);
}

TEST(MountPlan, Sizes) {
  EXPECT_EQ(ParseSize("32m"), 32 << 20);
  EXPECT_EQ(ParseSize("1g"), 1LL << 30);
  EXPECT_EQ(ParseSize("512K"), 512 << 10);
  EXPECT_EQ(ParseSize("100"), 100);
  EXPECT_EQ(ParseSize("1.5k"), 1536);
  EXPECT_EQ(ParseSize("2mb"), 2 << 20);
  for (const char* bad : {"", "m", "12x", "-1"}) EXPECT_THROW(ParseSize(bad), Error) << bad;
}

TEST(InitLayer, ResolvConfDropsLoopback) {
  EXPECT_EQ(FilterResolvConf("nameserver 127.0.0.53\nsearch x\nnameserver 10.0.0.1\n"),
            "search x\nnameserver 10.0.0.1\n");
  EXPECT_EQ(FilterResolvConf("nameserver ::1\n"), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

}  // namespace
}  // namespace mini::run
