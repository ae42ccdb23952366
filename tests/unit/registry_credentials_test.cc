// Credential lookup: the precedence of mini's, containers' and Docker's files, credHelpers and
// credsStore (with a fake helper runner), the helper's answer, identity tokens at the token
// endpoint, and certs.d (CAs, client certificate pairs, the error for a lone .cert).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "common/fs.h"
#include "error_of.h"
#include "registry/certs_d.h"
#include "registry/credential_helper.h"
#include "registry/credentials.h"
#include "registry/registry_client.h"
#include "registry_fake_http.h"

namespace mini::registry {
namespace {

using nlohmann::json;
using testing::FakeHttp;
using testing::Reply;

std::string Auth(const std::string& user_pass) { return Base64Encode(user_pass); }

/// Points every credential location into a temp dir for one test, restoring the environment.
class CredEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kVars) {
      if (const char* old = std::getenv(v)) saved_[v] = old;
      unsetenv(v);
    }
    setenv("HOME", (dir_.path() + "/home").c_str(), 1);
    setenv("XDG_RUNTIME_DIR", (dir_.path() + "/run").c_str(), 1);
  }
  void TearDown() override {
    for (const char* v : kVars) {
      unsetenv(v);
      if (saved_.count(v)) setenv(v, saved_[v].c_str(), 1);
    }
  }
  void Write(const std::string& rel, const json& doc) {
    std::string p = dir_.path() + "/" + rel;
    MakeDirs(p.substr(0, p.rfind('/')));
    WriteFileAtomic(p, doc.dump());
  }
  std::string UserOf(const std::string& domain) {
    auto c = LookupCredential(domain, [&](const std::string& h, const std::string& url) -> std::optional<Credential> {
      asked_.push_back(h + " " + url);
      if (h == "empty") return std::nullopt;
      return Credential{"from-" + h, "x"};
    });
    return c ? c->username : "(none)";
  }

  static constexpr const char* kVars[] = {"HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE"};
  TempDir dir_{"/tmp", "mini-cred-test-"};
  std::map<std::string, std::string> saved_;
  std::vector<std::string> asked_;
};

TEST_F(CredEnv, FilesInPodmansOrderAfterMinisOwn) {
  std::string h = dir_.path() + "/home";
  EXPECT_EQ(CredentialFiles(), (std::vector<std::string>{h + "/.config/mini/auth.json", dir_.path() + "/run/containers/auth.json",
                                                          h + "/.config/containers/auth.json", h + "/.docker/config.json"}));
  setenv("REGISTRY_AUTH_FILE", "/x/auth.json", 1);
  EXPECT_EQ(CredentialFiles(), (std::vector<std::string>{h + "/.config/mini/auth.json", "/x/auth.json"}));
}

TEST_F(CredEnv, FirstFileWithTheRegistryWins) {
  Write("home/.docker/config.json", {{"auths", {{"reg.io", {{"auth", Auth("docker:p")}}}, {"only.io", {{"auth", Auth("d2:p")}}}}}});
  EXPECT_EQ(UserOf("reg.io"), "docker");
  Write("home/.config/containers/auth.json", {{"auths", {{"reg.io", {{"auth", Auth("xdg:p")}}}}}});
  EXPECT_EQ(UserOf("reg.io"), "xdg");
  Write("run/containers/auth.json", {{"auths", {{"reg.io", {{"auth", Auth("runtime:p")}}}}}});
  EXPECT_EQ(UserOf("reg.io"), "runtime");
  Write("home/.config/mini/auth.json", {{"auths", {{"reg.io", {{"auth", Auth("mini:p")}}}}}});
  EXPECT_EQ(UserOf("reg.io"), "mini");
  EXPECT_EQ(UserOf("only.io"), "d2");
  Write("authfile.json", {{"auths", {{"only.io", {{"auth", Auth("authfile:p")}}}}}});
  setenv("REGISTRY_AUTH_FILE", (dir_.path() + "/authfile.json").c_str(), 1);
  EXPECT_EQ(UserOf("only.io"), "authfile");
  EXPECT_EQ(UserOf("reg.io"), "mini");
  EXPECT_EQ(UserOf("nowhere.io"), "(none)");
}

TEST_F(CredEnv, HelpersBeforeAuthsAsDocker) {
  Write("home/.docker/config.json", {{"credsStore", "store"},
                                     {"credHelpers", {{"helped.io", "per-reg"}, {"none.io", "empty"}}},
                                     {"auths", {{"helped.io", {{"auth", Auth("inline:p")}}}, {"inline.io", {{"auth", Auth("inline:p")}}}}}});
  EXPECT_EQ(UserOf("helped.io"), "from-per-reg");
  EXPECT_EQ(UserOf("inline.io"), "from-store");
  EXPECT_EQ(UserOf("docker.io"), "from-store");
  EXPECT_EQ(UserOf("none.io"), "(none)");
  EXPECT_EQ(asked_, (std::vector<std::string>{"per-reg helped.io", "store inline.io", "store https://index.docker.io/v1/", "empty none.io"}));
}

TEST(CredentialHelper, AnswerAndIdentityToken) {
  Credential c = ParseHelperAnswer("h", R"({"ServerURL":"r","Username":"u","Secret":"s"})");
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "s");
  c = ParseHelperAnswer("h", R"({"Username":"<token>","Secret":"refresh"})");
  EXPECT_EQ(c.identity_token, "refresh");
  EXPECT_TRUE(c.username.empty());
  EXPECT_EQ(ErrorOf([] { ParseHelperAnswer("docker-credential-x", "nope"); }), "credential helper docker-credential-x: invalid JSON answer");
  EXPECT_EQ(ErrorOf([] { CredentialFromHelper("../x", "r"); }), "invalid credential helper name \"../x\"");
  EXPECT_EQ(ErrorOf([] { CredentialFromHelper("mini-test-absent", "r"); }),
            "credential helper docker-credential-mini-test-absent: No such file or directory");
}

TEST(CredentialHelper, IdentityTokenIsExchangedWithAPost) {
  FakeHttp http([](const HttpRequest& r) {
    if (r.url == "https://auth.example/token") {
      if (r.method == "POST" && r.body.find("refresh_token=refresh") != std::string::npos) return Reply(200, R"({"access_token":"acc"})");
      return Reply(400);
    }
    if (FakeHttp::HeaderOf(r, "Authorization") == "Bearer acc")
      return Reply(200, "{}", {{"content-type", "application/vnd.oci.image.manifest.v1+json"}});
    return Reply(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/token",service="reg.example")"}});
  });
  TokenCache cache;
  Credential cred;
  cred.identity_token = "refresh";
  RegistryClient client(http, "reg.example", "x", {}, cred, cache);
  client.GetManifest("1");
  auto log = http.log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].body, "grant_type=refresh_token&client_id=mini&refresh_token=refresh&service=reg.example&scope=repository%3Ax%3Apull");
  EXPECT_EQ(FakeHttp::HeaderOf(log[1], "Authorization"), "");
}

TEST(CertsD, EveryCrtAndCertKeyPairsFromTheFirstDirWithTheHost) {
  TempDir d("/tmp", "mini-certs-test-");
  std::string a = d.path() + "/a", b = d.path() + "/b";
  MakeDirs(b + "/reg.io:5000");
  for (const char* f : {"ca.crt", "extra.crt", "client.cert", "client.key"}) WriteFileAtomic(b + "/reg.io:5000/" + f, "x");
  MakeDirs(a + "/other.io");
  TlsOptions t = CertsFor({a, b}, "reg.io:5000");
  EXPECT_EQ(t.ca_files, (std::vector<std::string>{b + "/reg.io:5000/ca.crt", b + "/reg.io:5000/extra.crt"}));
  EXPECT_EQ(t.cert_file, b + "/reg.io:5000/client.cert");
  EXPECT_EQ(t.key_file, b + "/reg.io:5000/client.key");
  MakeDirs(a + "/reg.io");
  WriteFileAtomic(a + "/reg.io/ca.crt", "x");
  EXPECT_EQ(CertsFor({a, b}, "reg.io:443").ca_files, std::vector<std::string>{a + "/reg.io/ca.crt"});
  WriteFileAtomic(a + "/reg.io/lone.cert", "x");
  EXPECT_EQ(ErrorOf([&] { CertsFor({a, b}, "reg.io:443"); }),
            "missing key " + a + "/reg.io/lone.key for client certificate " + a + "/reg.io/lone.cert");
  EXPECT_TRUE(CertsFor({a, b}, "none.io:443").ca_files.empty());
}

}  // namespace
}  // namespace mini::registry
