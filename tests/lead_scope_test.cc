// Who sees which lead over the API (docs/api.md): the rule itself, case by
// case, including the ones the server test does not reach (a lead waiting
// in another team's queue, a manager who manages no team, no routing).
#include "server/lead_scope.h"

#include <gtest/gtest.h>

namespace leadgate::server {
namespace {

Playbook Routed() {
  Playbook pb;
  Routing r;
  RoutingTeam a, b;
  a.name = "a";
  a.manager = "mia";
  a.reps = {{"ana", std::nullopt}};
  b.name = "b";
  b.manager = "max";
  b.reps = {{"bob", std::nullopt}, {"cy", std::nullopt}};
  r.teams = {a, b};
  pb.routing = r;
  return pb;
}

Principal Who(const std::string& user, Role role) {
  Principal p;
  p.user = user;
  p.role = role;
  return p;
}

using O = std::optional<std::string>;

TEST(LeadScope, ManagerSeesTheirTeamsAndUnassigned) {
  const Playbook pb = Routed();
  const LeadScope mia = ScopeOf(Who("mia", Role::kManager), pb);
  ASSERT_EQ(mia.kind, LeadScope::Kind::kTeams);
  EXPECT_TRUE(mia.Sees(O("ana"), O("a")));            // their rep, their team
  EXPECT_TRUE(mia.Sees(O("ana"), std::nullopt));      // their rep, routed before teams
  EXPECT_TRUE(mia.Sees(O("root"), O("a")));           // their team, owner outside the teams
  EXPECT_TRUE(mia.Sees(std::nullopt, O("a")));        // waiting in their team's queue
  EXPECT_TRUE(mia.Sees(std::nullopt, std::nullopt));  // unassigned
  EXPECT_TRUE(mia.Sees(O("mia"), std::nullopt));      // their own
  EXPECT_FALSE(mia.Sees(O("bob"), O("b")));
  EXPECT_FALSE(mia.Sees(O("bob"), std::nullopt));
  EXPECT_FALSE(mia.Sees(std::nullopt, O("b")));  // waiting in team b's queue: b's
  EXPECT_FALSE(mia.Sees(O("root"), O("b")));
  const std::string why = mia.Refusal("L-9", std::nullopt, O("b"), "sees");
  EXPECT_NE(why.find("lead L-9 waits in team b's queue"), std::string::npos) << why;
  EXPECT_NE(why.find("(mia: a)"), std::string::npos) << why;
}

TEST(LeadScope, ManagerOfNoTeamSeesOnlyUnassignedAndOwn) {
  const LeadScope zed = ScopeOf(Who("zed", Role::kManager), Routed());
  EXPECT_TRUE(zed.Sees(std::nullopt, std::nullopt));
  EXPECT_TRUE(zed.Sees(O("zed"), O("a")));
  EXPECT_FALSE(zed.Sees(O("ana"), O("a")));
  EXPECT_NE(zed.Refusal("L-1", O("ana"), O("a"), "works").find("zed manages none"),
            std::string::npos);
}

TEST(LeadScope, WithoutRoutingManagersSeeAllRepsTheirOwn) {
  const Playbook plain;
  EXPECT_EQ(ScopeOf(Who("mia", Role::kManager), plain).kind, LeadScope::Kind::kAll);
  for (Role r : {Role::kAdmin, Role::kMarketing}) {
    EXPECT_EQ(ScopeOf(Who("x", r), Routed()).kind, LeadScope::Kind::kAll);
  }
  const LeadScope ana = ScopeOf(Who("ana", Role::kRep), Routed());
  EXPECT_TRUE(ana.Sees(O("ana"), O("a")));
  EXPECT_TRUE(ana.Sees(std::nullopt, O("b")));  // reps: unchanged, any lead with no owner
  EXPECT_FALSE(ana.Sees(O("bob"), O("a")));
}

}  // namespace
}  // namespace leadgate::server
