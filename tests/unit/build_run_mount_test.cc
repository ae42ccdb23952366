/// RUN --mount specs (BuildKit's parseMount and dispatchRunMounts defaults), --secret/--ssh/
/// --allow flags, and the RUN heredoc plan: every key, and bad values with their exact messages.
#include <gtest/gtest.h>

#include "build/run_mount.h"
#include "build/run_step.h"
#include "common/error.h"

namespace mini::build {
namespace {

std::string ErrorOf(const std::string& spec) {
  try {
    ParseRunMount(spec, [](const std::string& v) { return v; });
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

RunMount Resolved(const std::string& spec, const std::string& workdir = "/", int ssh = 0) {
  RunMount m = ParseRunMount(spec, [](const std::string& v) { return v; });
  ResolveRunMount(&m, workdir, ssh);
  return m;
}

TEST(BuildRunMount, BindDefaults) {
  RunMount m = Resolved("target=/src");
  EXPECT_EQ(m.type, MountType::kBind);
  EXPECT_EQ(m.target, "/src");
  EXPECT_TRUE(m.read_only);
  EXPECT_EQ(m.from, "");
  m = Resolved("type=bind,from=build,source=/out/,dst=rel/dir,rw", "/work");
  EXPECT_EQ(m.from, "build");
  EXPECT_EQ(m.source, "/out/");
  EXPECT_EQ(m.target, "/work/rel/dir");
  EXPECT_FALSE(m.read_only);
  EXPECT_FALSE(Resolved("type=bind,target=/x,readwrite=true").read_only);
  EXPECT_TRUE(Resolved("type=bind,target=/x,rw=false").read_only);
  EXPECT_TRUE(Resolved("type=bind,target=/x,ro=1").read_only);
  EXPECT_FALSE(Resolved("type=bind,target=/x,readonly=false").read_only);
  EXPECT_TRUE(Resolved("Type=BIND,Target=/x,RO").read_only);  // keys and type are case-insensitive
  EXPECT_EQ(Resolved("src=a,destination=/d").source, "a");
}

TEST(BuildRunMount, Cache) {
  RunMount m = Resolved("type=cache,target=/root/.cache/");
  EXPECT_FALSE(m.read_only);
  EXPECT_EQ(m.id, "/root/.cache");  // the cleaned target as written
  EXPECT_EQ(m.sharing, CacheSharing::kShared);
  m = Resolved("type=cache,id=pip,target=cache,sharing=LOCKED,mode=0700,uid=1000,gid=100,ro", "/app");
  EXPECT_EQ(m.id, "pip");
  EXPECT_EQ(m.target, "/app/cache");
  EXPECT_EQ(m.sharing, CacheSharing::kLocked);
  EXPECT_EQ(*m.mode, 0700u);
  EXPECT_EQ(*m.uid, 1000u);
  EXPECT_EQ(*m.gid, 100u);
  EXPECT_TRUE(m.read_only);
  EXPECT_EQ(Resolved("type=cache,target=/c,sharing=private").sharing, CacheSharing::kPrivate);
  EXPECT_EQ(Resolved("type=cache,target=c", "/w").id, "c");
  EXPECT_EQ(RunMountKeyText(Resolved("type=cache,target=/c,id=x,sharing=locked")),
            "type=cache,target=/c,id=x,sharing=locked,from=,source=,rw");
}

TEST(BuildRunMount, TmpfsSecretSsh) {
  RunMount t = Resolved("type=tmpfs,target=/t,size=64m");
  EXPECT_EQ(t.size, 64 << 20);
  EXPECT_FALSE(t.read_only);
  RunMount s = Resolved("type=secret,id=tok");
  EXPECT_EQ(s.target, "/run/secrets/tok");
  EXPECT_EQ(*s.mode, 0400u);
  EXPECT_TRUE(s.read_only);
  EXPECT_FALSE(s.required);
  s = Resolved("type=secret,target=/etc/creds.json,required");
  EXPECT_EQ(s.id, "creds.json");
  EXPECT_TRUE(s.required);
  s = Resolved("type=secret,source=aws,required=false,mode=0440,uid=1,gid=2");
  EXPECT_EQ(s.id, "aws");
  EXPECT_EQ(s.target, "/run/secrets/aws");
  EXPECT_EQ(*s.mode, 0440u);
  s = Resolved("type=secret,id=tok,env=TOKEN");
  EXPECT_EQ(*s.env, "TOKEN");
  EXPECT_EQ(s.target, "");  // env only
  s = Resolved("type=secret,id=tok,env=TOKEN,target=/tok");
  EXPECT_EQ(s.target, "/tok");
  EXPECT_EQ(RunMountKeyText(Resolved("type=secret,id=tok,env=T")), "type=secret,id=tok,env=T,mode=256");
  RunMount h = Resolved("type=ssh", "/", 2);
  EXPECT_EQ(h.id, "default");
  EXPECT_EQ(h.target, "/run/buildkit/ssh_agent.2");
  EXPECT_TRUE(Resolved("type=ssh,id=gh,required=true").required);
}

TEST(BuildRunMount, ParseAll) {
  auto ms = ParseRunMounts({"type=ssh", "type=cache,target=c", "type=ssh,id=b"}, nullptr, "/w");
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms[0].target, "/run/buildkit/ssh_agent.0");
  EXPECT_EQ(ms[1].target, "/w/c");
  EXPECT_EQ(ms[2].target, "/run/buildkit/ssh_agent.1");
}

TEST(BuildRunMount, Expansion) {
  RunMount m = ParseRunMount("type=cache,target=$DIR,id=${ID}", [](const std::string& v) {
    return v == "$DIR" ? std::string("/cache") : v == "${ID}" ? std::string("x") : v;
  });
  EXPECT_EQ(m.target, "/cache");
  EXPECT_EQ(m.id, "x");
}

TEST(BuildRunMount, Errors) {
  struct Case {
    std::string spec, err;
  };
  std::vector<Case> cases = {
      {"type=volume,target=/x", "unsupported mount type \"volume\" (use bind, cache, tmpfs, secret or ssh)"},
      {"target=/x,bogus=1", "unexpected key 'bogus' in 'bogus=1'"},
      {"target=/x,nokey", "invalid field 'nokey' must be a key=value pair"},
      {"target=/x,ro=maybe", "invalid value for ro: maybe"},
      {"target=/x,readwrite=2", "invalid value for readwrite: 2"},
      {"target=/x,required", "unexpected key 'required' for mount type 'bind'"},
      {"type=cache,target=/x,required=true", "unexpected key 'required' for mount type 'cache'"},
      {"type=secret,id=a,required=yes", "invalid value for required: yes"},
      {"target=/x,size=1m", "unexpected key 'size' for mount type 'bind'"},
      {"type=tmpfs,target=/x,size=lots", "invalid value for size: lots"},
      {"type=cache,target=/x,sharing=wide", "unsupported sharing value \"wide\" (use shared, private or locked)"},
      {"type=cache,target=/x,mode=9", "invalid value 9 for mode"},
      {"type=cache,target=/x,uid=-1", "invalid value -1 for uid"},
      {"type=cache,target=/x,gid=x", "invalid value x for gid"},
      {"target=/x,mode=0755", "mode not allowed for \"bind\" type mounts"},
      {"type=tmpfs,target=/x,uid=1", "uid not allowed for \"tmpfs\" type mounts"},
      {"target=/x,gid=1", "gid not allowed for \"bind\" type mounts"},
      {"type=secret,id=a,from=stage", "secret mount should not have a from"},
      {"type=secret,id=a,sharing=locked", "secret mount should not define sharing"},
      {"type=secret", "invalid secret mount. one of source, target required"},
      {"type=secret,id=a,source=b", "both source and id can't be set"},
      {"target=/x,sharing=shared", "invalid cache sharing set for bind mount"},
      {"type=ssh,source=x", "ssh does not support source"},
      {"type=tmpfs,target=/x,from=a", "tmpfs mount should not have a from"},
      {"target=/x,from=$STAGE", "'from' doesn't support variable expansion, define alias stage instead"},
      {"target=/x,src=a\"b", "failed to parse csv mounts: bare \" in non-quoted-field"},
      {"\"target=/x", "failed to parse csv mounts: extraneous or missing \" in quoted-field"},
  };
  for (const auto& c : cases) EXPECT_EQ(ErrorOf(c.spec), c.err) << c.spec;
  RunMount root = ParseRunMount("type=cache,target=/", nullptr);
  try {
    ResolveRunMount(&root, "/", 0);
    ADD_FAILURE() << "target / accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid mount target \"/\"");
  }
}

TEST(BuildRunMount, Csv) {
  EXPECT_EQ(SplitCsv("a=1,\"b=x,y\",c"), (std::vector<std::string>{"a=1", "b=x,y", "c"}));
  EXPECT_EQ(SplitCsv("\"q=\"\"x\"\"\""), (std::vector<std::string>{"q=\"x\""}));
  EXPECT_EQ(RunMountFroms({"type=bind,from=a,target=/x", "type=cache,target=/c,from=1", "type=tmpfs,target=/t", "bad,"}),
            (std::vector<std::string>{"a", "1"}));
}

TEST(BuildRunMount, SecretFlag) {
  auto none = [](const std::string&) { return false; };
  auto all = [](const std::string&) { return true; };
  SecretSource s = ParseSecretFlag("id=a,src=/f", none);
  EXPECT_EQ(s.id, "a");
  EXPECT_EQ(s.file, "/f");
  s = ParseSecretFlag("id=a,source=/g", none);
  EXPECT_EQ(s.file, "/g");
  s = ParseSecretFlag("id=a,env=VAR", none);
  EXPECT_EQ(s.env, "VAR");
  s = ParseSecretFlag("type=env,id=a,src=VAR2", none);
  EXPECT_EQ(s.env, "VAR2");
  EXPECT_EQ(s.file, "");
  EXPECT_EQ(ParseSecretFlag("id=TOKEN", all).env, "TOKEN");
  EXPECT_EQ(ParseSecretFlag("id=tok.txt", none).file, "tok.txt");
  auto err = [&](const std::string& spec) {
    try {
      ParseSecretFlag(spec, none);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(err("src=/f"), "--secret src=/f: secret missing ID");
  EXPECT_EQ(err("id=a,type=socket"), "--secret id=a,type=socket: unsupported secret type \"socket\"");
  EXPECT_EQ(err("id=a,path=/f"), "--secret id=a,path=/f: unexpected key 'path' in 'path=/f'");
  EXPECT_EQ(err("id"), "--secret id: invalid field 'id' must be a key=value pair");
}

TEST(BuildRunMount, SshAndAllow) {
  SshSource s = ParseSshFlag("default");
  EXPECT_EQ(s.id, "default");
  EXPECT_TRUE(s.paths.empty());
  s = ParseSshFlag("gh=/run/agent.sock");
  EXPECT_EQ(s.id, "gh");
  EXPECT_EQ(s.paths, (std::vector<std::string>{"/run/agent.sock"}));
  Entitlements e = ParseAllow({"security.insecure", "network.host"});
  EXPECT_TRUE(e.security_insecure);
  EXPECT_TRUE(e.network_host);
  EXPECT_FALSE(ParseAllow({}).security_insecure);
  try {
    ParseAllow({"device"});
    ADD_FAILURE();
  } catch (const Error& ex) {
    EXPECT_STREQ(ex.what(), "invalid entitlement: device (use security.insecure or network.host)");
  }
}

TEST(BuildRunHeredoc, Plans) {
  std::vector<std::string> sh = {"/bin/sh", "-c"};
  Heredoc h{"EOF", "echo hi\necho there\n", true, false};
  RunPlan p = PlanRun({{"<<EOF"}, false}, {h}, sh);
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/bin/sh", "-c", "echo hi\necho there\n"}));
  EXPECT_EQ(p.inline_target, "");
  EXPECT_EQ(p.text, "/bin/sh -c <<EOF\necho hi\necho there\nEOF");
  Heredoc script{"SCRIPT", "#!/bin/sh\necho x\n", false, false};
  p = PlanRun({{"<<'SCRIPT'"}, false}, {script}, sh);
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/bin/sh", "-c", "/dev/pipes/SCRIPT"}));
  EXPECT_EQ(p.inline_target, "/dev/pipes/SCRIPT");
  EXPECT_EQ(p.inline_content, "#!/bin/sh\necho x\n");
  p = PlanRun({{"python3 <<EOF"}, false}, {h}, sh);
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/bin/sh", "-c", "python3 <<EOF\necho hi\necho there\nEOF"}));
  Heredoc a{"A", "1\n", true, false}, b{"B", "2\n", true, true};
  p = PlanRun({{"cat <<A <<-B"}, false}, {a, b}, sh);
  EXPECT_EQ(p.argv[2], "cat <<A <<-B\n1\nA\n2\nB");
  p = PlanRun({{"echo plain"}, false}, {}, sh);
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/bin/sh", "-c", "echo plain"}));
  try {
    PlanRun({{"cat"}, true}, {h}, sh);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "heredocs are not supported in the exec form of RUN");
  }
}

}  // namespace
}  // namespace mini::build
