// ADD of URLs against a scripted HTTP client: redirects, Last-Modified, mode, errors, --checksum,
// and the conditional re-check of a URL downloaded before.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "build/copy_sources.h"
#include "build/remote_source.h"
#include "common/error.h"
#include "common/fs.h"
#include "registry_fake_http.h"
#include "error_of.h"

namespace mini::build {
namespace {

using registry::HttpRequest;
using registry::testing::FakeHttp;
using registry::testing::Reply;


TEST(DownloadHttp, FollowsRedirectsAndKeepsLastModified) {
  TempDir dir("/tmp", "mini-dl-");
  FakeHttp http([](const HttpRequest& r) {
    if (r.url == "http://a/x/file.txt") return Reply(302, "", {{"location", "/y/other"}});
    return Reply(200, "content", {{"last-modified", "Sat, 03 Feb 2001 04:05:06 GMT"}});
  });
  HttpDownload d = DownloadHttp(http, "http://a/x/file.txt", dir.path(), std::nullopt);
  EXPECT_EQ(d.name, "file.txt");  // named after the URL asked for, not the redirect
  EXPECT_EQ(ReadFile(d.path), "content");
  EXPECT_EQ(d.digest, Sha256Of("content"));
  struct stat st;
  ASSERT_EQ(stat(d.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_mtime, 981173106);
  ASSERT_EQ(http.log().size(), 2u);
  EXPECT_EQ(http.log()[1].url, "http://a/y/other");
}

TEST(DownloadHttp, Errors) {
  TempDir dir("/tmp", "mini-dl-");
  FakeHttp http([](const HttpRequest& r) {
    if (r.url == "http://a/loop") return Reply(302, "", {{"location", "/loop"}});
    if (r.url == "http://a/ftp") return Reply(302, "", {{"location", "ftp://a/x"}});
    if (r.url == "http://a/missing") return Reply(404);
    return Reply(200, "abc");
  });
  EXPECT_EQ(ErrorOf([&] { DownloadHttp(http, "http://a/missing", dir.path(), std::nullopt); }),
            "ADD http://a/missing: 404 Not Found");
  EXPECT_EQ(ErrorOf([&] { DownloadHttp(http, "http://a/loop", dir.path(), std::nullopt); }),
            "ADD http://a/loop: stopped after 10 redirects");
  EXPECT_EQ(ErrorOf([&] { DownloadHttp(http, "http://a/ftp", dir.path(), std::nullopt); }),
            "ADD http://a/ftp: redirected to a URL that is not http(s): ftp://a/x");
  Digest want = Sha256Of("other");
  EXPECT_EQ(ErrorOf([&] { DownloadHttp(http, "http://a/f", dir.path(), want); }),
            "digest mismatch for http://a/f: " + Sha256Of("abc").str() + " (expected: " + want.str() + ")");
  EXPECT_EQ(ErrorOf([&] { DownloadHttp(http, "http://a/f", dir.path(), Sha256Of("abc")); }), "(no error)");
}

TEST(ExtraSources, ReChecksAUrlAndDownloadsOnlyWhenBuilt) {
  TempDir dir("/tmp", "mini-dl-");
  std::string body = "v1";
  FakeHttp http([&](const HttpRequest& r) {
    if (FakeHttp::HeaderOf(r, "If-None-Match") == "\"e1\"" && body == "v1") return Reply(304);
    return Reply(200, body, {{"etag", body == "v1" ? "\"e1\"" : "\"e2\""}});
  });
  std::string key1;
  {
    ExtraSources x(dir.path(), dir.path() + "/urls", &http);
    key1 = x.AddHttp("http://a/f", std::nullopt).key;
  }
  ExtraSources x(dir.path(), dir.path() + "/urls", &http);
  std::vector<ExpandedSource> s = {x.AddHttp("http://a/f", std::nullopt)};
  EXPECT_EQ(s[0].key, key1);  // a 304 keeps the key
  EXPECT_EQ(http.log().size(), 2u);
  EXPECT_FALSE(s[0].tree->Lstat(s[0].path));  // not downloaded yet
  x.Materialize(s);
  EXPECT_EQ(http.log().size(), 3u);
  ASSERT_TRUE(s[0].tree->Lstat(s[0].path));
  EXPECT_EQ(*s[0].tree->ReadFile("f"), "v1");
  body = "v2";
  EXPECT_NE(x.AddHttp("http://a/f", std::nullopt).key, key1);
}

}  // namespace
}  // namespace mini::build
