package dev.baton.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RoleStateTest {
  @Test
  void countsEachGrantOfANewEpochOnce() {
    RoleState roles = new RoleState("n1");
    roles.settled(Role.HANDLER, 0);
    assertThat(roles.generatorGrants().get()).isZero();
    roles.settled(Role.GENERATOR, 3);
    roles.settled(Role.GENERATOR, 3); // the same grant settled again: no new epoch
    assertThat(roles.generatorGrants().get()).isEqualTo(1);
    roles.settled(Role.GENERATOR, 4); // re-granted with a new epoch without a handler spell
    roles.settled(Role.HANDLER, 0);
    roles.settled(Role.GENERATOR, 7);
    assertThat(roles.generatorGrants().get()).isEqualTo(3);
  }
}
