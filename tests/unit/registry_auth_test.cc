// Challenge parsing, Basic/Bearer authorization, the token cache, credentials files, and the
// redirect rule (credentials only to the registry's own origin).
#include <gtest/gtest.h>

#include "common/error.h"
#include "registry/auth.h"
#include "registry/credentials.h"
#include "registry/registry_client.h"
#include "registry_fake_http.h"

namespace mini::registry {
namespace {

using testing::FakeHttp;
using testing::Reply;

TEST(WwwAuthenticate, BearerWithQuotedParams) {
  auto cs = ParseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].scheme, "bearer");
  EXPECT_EQ(cs[0].Param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(cs[0].Param("service"), "registry.docker.io");
  EXPECT_EQ(cs[0].Param("scope"), "repository:library/busybox:pull");
}

TEST(WwwAuthenticate, SeveralChallengesAndOddSpacing) {
  auto cs = ParseWwwAuthenticate("Basic realm=\"Registry Realm\", Bearer  realm = \"https://a/t\" , service=x\nBASIC realm=y");
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].scheme, "basic");
  EXPECT_EQ(cs[0].Param("realm"), "Registry Realm");
  EXPECT_EQ(cs[1].scheme, "bearer");
  EXPECT_EQ(cs[1].Param("realm"), "https://a/t");
  EXPECT_EQ(cs[1].Param("service"), "x");
  EXPECT_EQ(cs[2].scheme, "basic");
  EXPECT_EQ(cs[2].Param("realm"), "y");
}

TEST(WwwAuthenticate, EscapesCommasInQuotesAndGarbage) {
  auto cs = ParseWwwAuthenticate(R"(Bearer realm="a\"b",scope="repository:x:pull,push")");
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].Param("realm"), "a\"b");
  EXPECT_EQ(cs[0].Param("scope"), "repository:x:pull,push");
  EXPECT_TRUE(ParseWwwAuthenticate("").empty());
  EXPECT_NO_THROW(ParseWwwAuthenticate("=,,\"\"\" Bearer realm=\""));
}

TEST(Base64, RoundTrip) {
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(*Base64Decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(*Base64Decode(Base64Encode("ab")), "ab");
  EXPECT_FALSE(Base64Decode("abc").has_value());
}

TEST(TokenCache, ExpiresWithItsLifetime) {
  auto now = std::chrono::steady_clock::time_point{};
  TokenCache cache([&] { return now; });
  cache.Put("k", "t", std::chrono::seconds(300));
  EXPECT_EQ(*cache.Get("k"), "t");
  now += std::chrono::seconds(280);
  EXPECT_TRUE(cache.Get("k").has_value());
  now += std::chrono::seconds(15);  // within the safety margin
  EXPECT_FALSE(cache.Get("k").has_value());
  EXPECT_FALSE(cache.Get("other").has_value());
}

TEST(Loopback, Hosts) {
  EXPECT_TRUE(IsLoopbackHost("localhost:5000"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3:80"));
  EXPECT_TRUE(IsLoopbackHost("[::1]:5000"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1:5000"));
  EXPECT_FALSE(IsLoopbackHost("registry.example.com"));
}

/// A registry at https://reg.example that wants Bearer tokens from https://auth.example/token.
HttpResponse BearerRegistry(const HttpRequest& req, int* token_calls) {
  if (req.url.rfind("https://auth.example/token", 0) == 0) {
    (*token_calls)++;
    return Reply(200, R"({"token":"tok-)" + std::to_string(*token_calls) + R"(","expires_in":300})");
  }
  if (FakeHttp::HeaderOf(req, "Authorization").rfind("Bearer tok-", 0) == 0)
    return Reply(200, "{}", {{"content-type", "application/vnd.oci.image.manifest.v1+json"}});
  return Reply(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
               {{"www-authenticate", R"(Bearer realm="https://auth.example/token",service="reg.example",scope="repository:x:pull")"}});
}

TEST(Authorizer, BearerFlowFetchesATokenPerScopeAndCachesIt) {
  int calls = 0;
  FakeHttp http([&](const HttpRequest& r) { return BearerRegistry(r, &calls); });
  TokenCache cache;
  RegistryClient client(http, "reg.example", "x", {}, Credential{"u", "p"}, cache);
  client.GetManifest("latest");
  client.GetManifest("other");
  EXPECT_EQ(calls, 1);
  auto log = http.log();
  ASSERT_EQ(log.size(), 4u);  // 401, token, retry, cached
  EXPECT_EQ(log[1].url, "https://auth.example/token?service=reg.example&scope=repository%3Ax%3Apull&account=u");
  EXPECT_EQ(FakeHttp::HeaderOf(log[1], "Authorization"), "Basic dTpw");
  EXPECT_EQ(FakeHttp::HeaderOf(log[2], "Authorization"), "Bearer tok-1");
  EXPECT_EQ(FakeHttp::HeaderOf(log[3], "Authorization"), "Bearer tok-1");
}

TEST(Authorizer, BasicIsSentOnlyAfterTheChallengeAndWrongPasswordFailsClearly) {
  FakeHttp http([](const HttpRequest& r) {
    if (FakeHttp::HeaderOf(r, "Authorization") == "Basic " + Base64Encode("u:good")) return Reply(200, "{}");
    return Reply(401, "", {{"www-authenticate", R"(Basic realm="r")"}});
  });
  TokenCache cache;
  RegistryClient ok(http, "reg.example", "x", {}, Credential{"u", "good"}, cache);
  EXPECT_NO_THROW(ok.Ping());
  RegistryClient bad(http, "reg.example", "x", {}, Credential{"u", "bad"}, cache);
  try {
    bad.Ping();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "login reg.example: unauthorized: incorrect username or password, or no access");
  }
  RegistryClient anon(http, "reg.example", "x", {}, std::nullopt, cache);
  try {
    anon.GetManifest("1");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "manifest x:1: unauthorized: authentication required");
  }
}

TEST(RegistryClient, CredentialsNeverFollowARedirectToAnotherHost) {
  FakeHttp http([](const HttpRequest& r) {
    if (r.url.rfind("https://storage.example/", 0) == 0) return Reply(200, "blobdata");
    if (FakeHttp::HeaderOf(r, "Authorization").empty())
      return Reply(401, "", {{"www-authenticate", R"(Basic realm="r")"}});
    return Reply(307, "", {{"location", "https://storage.example/blob?sig=1"}});
  });
  TokenCache cache;
  RegistryClient client(http, "reg.example", "x", {}, Credential{"u", "p"}, cache);
  std::string got;
  client.FetchBlob(Digest::Parse("sha256:" + std::string(64, 'a')), [&](const char* p, size_t n) {
    got.append(p, n);
    return true;
  });
  EXPECT_EQ(got, "blobdata");
  auto log = http.log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(FakeHttp::HeaderOf(log[1], "Authorization"), "Basic dTpw");
  EXPECT_EQ(log[2].url, "https://storage.example/blob?sig=1");
  EXPECT_EQ(FakeHttp::HeaderOf(log[2], "Authorization"), "");
}

TEST(RegistryClient, NoCredentialsOverPlainHttpToARemoteHost) {
  FakeHttp http([](const HttpRequest& r) {
    if (r.url.rfind("https://", 0) == 0) {
      HttpResponse no_tls;
      no_tls.error = TransportError::kTlsHandshake;
      no_tls.error_message = "wrong version number";
      return no_tls;
    }
    return Reply(401, "", {{"www-authenticate", R"(Basic realm="r")"}});
  });
  TokenCache cache;
  RegistryOptions insecure;
  insecure.tls_verify = false;
  RegistryClient client(http, "reg.example:5000", "x", insecure, Credential{"u", "p"}, cache);
  try {
    client.GetManifest("1");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "reg.example:5000 asks for credentials, which mini does not send over plain HTTP to a non-loopback host");
  }
  for (const auto& r : http.log()) EXPECT_EQ(FakeHttp::HeaderOf(r, "Authorization"), "") << r.url;
  EXPECT_EQ(client.BaseUrl(), "http://reg.example:5000");
}

TEST(Credentials, FindsDockerSpellings) {
  auto doc = nlohmann::json::parse(R"({"auths":{
    "https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="},
    "http://127.0.0.1:5000/v2/":{"auth":"dTpwOnE="},
    "broken.example":{"auth":"!!"}}})");
  auto hub = FindCredential(doc, "docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "hub");
  EXPECT_EQ(hub->password, "secret");
  auto local = FindCredential(doc, "127.0.0.1:5000");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->password, "p:q");  // only the first colon separates
  EXPECT_FALSE(FindCredential(doc, "127.0.0.1:5001"));
  EXPECT_FALSE(FindCredential(doc, "broken.example"));
  EXPECT_EQ(RegistryKey("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(RegistryKey("https://Reg.Example:443/v2/"), "reg.example:443");
}

}  // namespace
}  // namespace mini::registry
