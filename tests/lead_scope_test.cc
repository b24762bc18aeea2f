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
  // Without routing a lead has no team: a rep sees every unowned lead.
  const LeadScope ana = ScopeOf(Who("ana", Role::kRep), plain);
  EXPECT_FALSE(ana.NeedsTeams());
  EXPECT_TRUE(ana.Sees(std::nullopt, std::nullopt));
  EXPECT_TRUE(ana.Sees(O("ana"), std::nullopt));
  EXPECT_FALSE(ana.Sees(O("bob"), std::nullopt));
  const std::string why = ana.Refusal("L-2", O("bob"), std::nullopt, "sees");
  EXPECT_NE(why.find("lead L-2 is assigned to bob; a rep sees their own leads"), std::string::npos)
      << why;
  EXPECT_EQ(why.find("no team"), std::string::npos) << why;  // without routing, no teams to name
}

TEST(LeadScope, RepSeesOwnUnassignedAndTheirTeamsQueueNotAnotherTeams) {
  const Playbook pb = Routed();
  const LeadScope ana = ScopeOf(Who("ana", Role::kRep), pb);
  ASSERT_EQ(ana.kind, LeadScope::Kind::kRep);
  EXPECT_TRUE(ana.NeedsTeams());  // the queue must look the leads' teams up
  EXPECT_TRUE(ana.Sees(O("ana"), O("a")));
  EXPECT_TRUE(ana.Sees(O("ana"), O("b")));            // their own, whatever its team
  EXPECT_TRUE(ana.Sees(std::nullopt, std::nullopt));  // unassigned
  EXPECT_TRUE(ana.Sees(std::nullopt, O("a")));        // waiting in their team's queue
  EXPECT_FALSE(ana.Sees(std::nullopt, O("b")));       // waiting in team b's queue: b's
  EXPECT_FALSE(ana.Sees(O("bob"), O("a")));
  const std::string why = ana.Refusal("L-7", std::nullopt, O("b"), "works");
  EXPECT_NE(why.find("lead L-7 waits in team b's queue"), std::string::npos) << why;
  EXPECT_NE(why.find("(ana: a)"), std::string::npos) << why;
  // A rep of team b sees b's queue, not a's; a rep in no team only unassigned leads.
  const LeadScope cy = ScopeOf(Who("cy", Role::kRep), pb);
  EXPECT_TRUE(cy.Sees(std::nullopt, O("b")));
  EXPECT_FALSE(cy.Sees(std::nullopt, O("a")));
  const LeadScope zoe = ScopeOf(Who("zoe", Role::kRep), pb);
  EXPECT_TRUE(zoe.Sees(std::nullopt, std::nullopt));
  EXPECT_FALSE(zoe.Sees(std::nullopt, O("a")));
  EXPECT_NE(zoe.Refusal("L-8", std::nullopt, O("a"), "sees").find("zoe is in no team"),
            std::string::npos);
}

}  // namespace
}  // namespace leadgate::server
