#include "cli/go_template.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mini::cli {
namespace {

using nlohmann::json;

std::string R(const std::string& t, const json& d) { return GoTemplate(t).Render(d); }

TEST(GoTemplate, FieldsAndText) {
  json d = {{"Client", {{"Version", "1.2"}, {"N", 3}, {"On", true}}}, {"Names", "web"}};
  EXPECT_EQ(R("v={{.Client.Version}} n={{.Client.N}} {{.Client.On}}", d), "v=1.2 n=3 true");
  EXPECT_EQ(R("{{.Missing}}", d), "<no value>");
  EXPECT_EQ(R("{{.Client.Missing.Deeper}}", d), "<no value>");
  EXPECT_EQ(R("plain", d), "plain");
}

TEST(GoTemplate, Functions) {
  json d = {{"A", {{"k", "v"}}}, {"L", {"x", "y"}}, {"S", "Web"}, {"Labels", {{"com.x", "1"}}}};
  EXPECT_EQ(R("{{json .A}}", d), "{\"k\":\"v\"}");
  EXPECT_EQ(R("{{json .}}", json{{"a", 1}}), "{\"a\":1}");
  EXPECT_EQ(R("{{index .Labels \"com.x\"}}", d), "1");
  EXPECT_EQ(R("{{index .L 1}}", d), "y");
  EXPECT_EQ(R("{{upper .S}} {{lower .S}} {{len .L}}", d), "WEB web 2");
  EXPECT_EQ(R("{{join .L \", \"}}", d), "x, y");
  EXPECT_EQ(R("{{.L}} {{.A}}", d), "[x y] map[k:v]");
  EXPECT_EQ(R("{{println .S}}", d), "Web\n");
}

TEST(GoTemplate, RangeIfAndTrim) {
  json d = {{"Nets", {{"a", {{"IP", "10.0.0.2"}}}, {"b", {{"IP", "10.0.1.2"}}}}}, {"E", json::array()}, {"T", true}};
  EXPECT_EQ(R("{{range .Nets}}{{.IP}} {{end}}", d), "10.0.0.2 10.0.1.2 ");
  EXPECT_EQ(R("{{range .E}}x{{else}}none{{end}}", d), "none");
  EXPECT_EQ(R("{{if .T}}yes{{else}}no{{end}}/{{if .E}}yes{{else}}no{{end}}", d), "yes/no");
  EXPECT_EQ(R("{{if .Empty}}yes{{else}}no{{end}}", json{{"Empty", ""}}), "no");  // Go: "" is false
  EXPECT_EQ(R("a  {{- .T -}}  b", d), "atrueb");
}

TEST(GoTemplate, WithSetsDot) {
  json d = {{"A", {{"signal", "9"}}}, {"E", ""}, {"S", "x"}};
  EXPECT_EQ(R("{{with .A.signal}}sig={{.}}{{end}}", d), "sig=9");
  EXPECT_EQ(R("{{with .E}}set{{else}}empty {{.S}}{{end}}", d), "empty x");
  EXPECT_EQ(R("{{with .A.missing}}set{{end}}.", d), ".");
  EXPECT_THROW(R("{{with .A}}x", d), Error);
}

TEST(GoTemplate, Errors) {
  EXPECT_THROW(GoTemplate("{{.A"), Error);
  EXPECT_THROW(GoTemplate("{{nosuchfunc .A}}"), Error);
  EXPECT_THROW(GoTemplate("{{range .A}}x"), Error);
  EXPECT_THROW(GoTemplate("{{end}}"), Error);
  EXPECT_THROW(R("{{.A.B}}", json{{"A", "str"}}), Error);
  try {
    GoTemplate("{{bogus .X}}");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "template: function \"bogus\" not defined");
  }
}

TEST(GoTemplate, Table) {
  std::string rest;
  EXPECT_TRUE(IsTable("table {{.A}}\t{{.B}}", &rest));
  EXPECT_EQ(rest, "{{.A}}\t{{.B}}");
  EXPECT_FALSE(IsTable("{{.A}}", &rest));
  EXPECT_EQ(R("{{.A}}\\t{{.B}}\\n", json{{"A", 1}, {"B", 2}}), "1\t2\n");  // Docker's escapes
  EXPECT_EQ(AlignTabs("NAME\tID\nlonger-name\t1\n"), "NAME          ID\nlonger-name   1\n");
}

}  // namespace
}  // namespace mini::cli
