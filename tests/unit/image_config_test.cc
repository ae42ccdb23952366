// ImageConfig: typed fields under Docker's/OCI's names; FromJson then ToJson is the identity.
#include <gtest/gtest.h>

#include "store/image_config.h"

namespace mini {
namespace {

using nlohmann::json;

// The "config" of an image as `docker build` writes it (docker image inspect nginx-style, with
// the legacy container-config fields and nulls Docker leaves in).
const char* kDockerConfig = R"({
  "Hostname": "", "Domainname": "", "User": "101:101",
  "AttachStdin": false, "AttachStdout": false, "AttachStderr": false,
  "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
  "Tty": false, "OpenStdin": false, "StdinOnce": false,
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.25.3"],
  "Cmd": ["nginx", "-g", "daemon off;"],
  "Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "Interval": 30000000000, "Retries": 3},
  "ArgsEscaped": true, "Image": "", "Volumes": {"/var/cache/nginx": {}},
  "WorkingDir": "/usr/share/nginx/html", "Entrypoint": ["/docker-entrypoint.sh"],
  "OnBuild": null, "Labels": {"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"},
  "StopSignal": "SIGQUIT", "Shell": ["/bin/bash", "-c"]
})";

TEST(ImageConfig, DockerConfigRoundTrips) {
  json in = json::parse(kDockerConfig);
  ImageConfig c = ImageConfigFromJson(in);
  EXPECT_EQ(c.user, "101:101");
  EXPECT_EQ(c.exposed_ports, (std::set<std::string>{"53/udp", "80/tcp"}));
  ASSERT_TRUE(c.env);
  EXPECT_EQ(c.env->at(1), "NGINX_VERSION=1.25.3");
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/docker-entrypoint.sh"}));
  EXPECT_EQ(c.volumes, (std::set<std::string>{"/var/cache/nginx"}));
  EXPECT_EQ(c.working_dir, "/usr/share/nginx/html");
  EXPECT_EQ(c.labels->at("maintainer"), "NGINX Docker Maintainers <docker-maint@nginx.com>");
  EXPECT_EQ(c.stop_signal, "SIGQUIT");
  EXPECT_EQ((*c.healthcheck)["Retries"], 3);
  EXPECT_EQ(c.shell, (std::vector<std::string>{"/bin/bash", "-c"}));
  EXPECT_FALSE(c.on_build);                     // null: not a list, kept as it was
  EXPECT_TRUE(c.extra.contains("OnBuild"));
  EXPECT_EQ(c.extra["ArgsEscaped"], true);      // not modelled, kept
  EXPECT_EQ(ToJson(c), in);
}

TEST(ImageConfig, OciFieldNames) {
  // image-spec config.md, "config" object: the names mini models, as ToJson spells them.
  ImageConfig c;
  c.user = "u";
  c.exposed_ports = std::set<std::string>{"8080/tcp"};
  c.env = std::vector<std::string>{"A=1"};
  c.entrypoint = std::vector<std::string>{"/e"};
  c.cmd = std::vector<std::string>{"c"};
  c.volumes = std::set<std::string>{"/v"};
  c.working_dir = "/w";
  c.labels = std::map<std::string, std::string>{{"k", "v"}};
  c.stop_signal = "SIGTERM";
  json j = ToJson(c);
  for (const char* k : {"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j.size(), 9u);
  EXPECT_EQ(j["ExposedPorts"], json::parse(R"({"8080/tcp": {}})"));
  EXPECT_EQ(ImageConfigFromJson(j).volumes, c.volumes);
}

TEST(ImageConfig, UnsetIsAbsent) {
  EXPECT_EQ(ToJson(ImageConfig{}), json::object());
  EXPECT_EQ(ToJson(ImageConfigFromJson(json(nullptr))), json::object());
  ImageConfig c = ImageConfigFromJson(json::parse(R"({"Env": ["A=1", 2], "Cmd": null})"));
  EXPECT_FALSE(c.env);  // a wrong shape is not read, but kept
  EXPECT_FALSE(c.cmd);
  EXPECT_EQ(ToJson(c), json::parse(R"({"Env": ["A=1", 2], "Cmd": null})"));
}

}  // namespace
}  // namespace mini
