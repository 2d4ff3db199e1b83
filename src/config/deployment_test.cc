#include "config/deployment.h"

#include <gtest/gtest.h>

namespace tandem::config {
namespace {

TEST(DeploymentTest, ReadsClusterAndNodesWithRelativePaths) {
  auto d = ParseDeployment(R"(
[cluster]
secret_file = "secret"

[[node]]
region = "us-east-1"
listen = "127.0.0.1:8000"
data_dir = "data/us"

[[node]]
region = "eu-west-1"
listen = "127.0.0.2:8000"
url = "https://eu.example:8443"
data_dir = "/var/lib/tandem"
tls_cert = "eu.pem"
tls_key = "eu.key"
)",
                           "/etc/tandem/tandem.toml");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->cluster.secret_file, "/etc/tandem/secret");
  ASSERT_EQ(d->nodes.size(), 2u);
  EXPECT_EQ(d->nodes[0].url, "http://127.0.0.1:8000");
  EXPECT_EQ(d->nodes[0].data_dir, "/etc/tandem/data/us");
  EXPECT_EQ(d->nodes[1].url, "https://eu.example:8443");
  EXPECT_EQ(d->nodes[1].tls_key, "/etc/tandem/eu.key");
  EXPECT_EQ(d->FindNode("eu-west-1"), &d->nodes[1]);
  EXPECT_EQ(d->FindNode("ap-south-1"), nullptr);
}

TEST(DeploymentTest, ErrorsNameFileAndLine) {
  auto bad_syntax = ParseDeployment("[cluster]\nsecret_file = \n", "t.toml");
  ASSERT_FALSE(bad_syntax.ok());
  EXPECT_EQ(bad_syntax.status().message().rfind("t.toml:2: ", 0), 0u)
      << bad_syntax.status().message();

  auto missing = ParseDeployment("[[node]]\nregion = \"a\"\nlisten = \"h:1\"\n", "t.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("t.toml:1: missing required key 'data_dir'"),
            std::string::npos)
      << missing.status().message();

  auto unknown = ParseDeployment(
      "[[node]]\nregion = \"a\"\nlisten = \"h:1\"\ndata_dir = \"d\"\nlisten_port = 3\n", "t.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("t.toml:5: unknown key 'listen_port'"),
            std::string::npos);

  auto dup = ParseDeployment(
      "[[node]]\nregion = \"a\"\nlisten = \"h:1\"\ndata_dir = \"d\"\n"
      "[[node]]\nregion = \"a\"\nlisten = \"h:2\"\ndata_dir = \"e\"\n",
      "t.toml");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("t.toml:6: region 'a' appears twice"), std::string::npos);

  auto port = ParseDeployment("[[node]]\nregion = \"a\"\nlisten = \"h:99999\"\ndata_dir = \"d\"\n",
                              "t.toml");
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find("t.toml:3: listen must be HOST:PORT"), std::string::npos);
}

TEST(DeploymentTest, ReadyLagIsAPositiveIntegerPerNode) {
  auto d = ParseDeployment(
      "[[node]]\nregion = \"a\"\nlisten = \"h:1\"\ndata_dir = \"d\"\nready_lag = 5000\n"
      "[[node]]\nregion = \"b\"\nlisten = \"h:2\"\ndata_dir = \"e\"\n",
      "t.toml");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->nodes[0].ready_lag, std::optional<uint64_t>(5000));
  EXPECT_FALSE(d->nodes[1].ready_lag.has_value());

  for (const char* bad : {"0", "-3", "\"100\"", "1.5", "true"}) {
    auto r = ParseDeployment(std::string("[[node]]\nregion = \"a\"\nlisten = \"h:1\"\n"
                                         "data_dir = \"d\"\nready_lag = ") +
                                 bad + "\n",
                             "t.toml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("t.toml:5: 'ready_lag' must be a positive integer"),
              std::string::npos)
        << r.status().message();
  }
}

TEST(DeploymentTest, TlsKeysGoTogetherAndMakeTheDefaultUrlHttps) {
  auto d = ParseDeployment(
      "[cluster]\nca_file = \"tls/ca.pem\"\n"
      "[[node]]\nregion = \"a\"\nlisten = \"127.0.0.1:8443\"\ndata_dir = \"d\"\n"
      "tls_cert = \"tls/a.pem\"\ntls_key = \"/keys/a.key\"\n",
      "/etc/tandem/t.toml");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->cluster.ca_file, "/etc/tandem/tls/ca.pem");
  EXPECT_EQ(d->nodes[0].url, "https://127.0.0.1:8443");
  EXPECT_EQ(d->nodes[0].tls_cert, "/etc/tandem/tls/a.pem");
  EXPECT_EQ(d->nodes[0].tls_key, "/keys/a.key");

  auto half = ParseDeployment(
      "[[node]]\nregion = \"a\"\nlisten = \"h:1\"\ndata_dir = \"d\"\n"
      "tls_cert = \"a.pem\"\n",
      "t.toml");
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("tls_cert and tls_key go together"), std::string::npos)
      << half.status().message();
}

}  // namespace
}  // namespace tandem::config
