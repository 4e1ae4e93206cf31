package dev.baton.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.bus.Events.Absent;
import dev.baton.state.Role;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AddressTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aConsumerGetsTheSameRecordOnlyFromItsOwnNode() throws Exception {
    CompletableFuture<Events.RoleChanged> got = new CompletableFuture<>();
    List<Object> other = new ArrayList<>();
    Addresses.ROLE_CHANGED.consume(vertx.eventBus(), "b", other::add).completion().await();
    Addresses.ROLE_CHANGED.consume(vertx.eventBus(), "a", got::complete).completion().await();
    Events.RoleChanged sent = new Events.RoleChanged(Role.GENERATOR, 7);
    Addresses.ROLE_CHANGED.publish(vertx.eventBus(), "a", sent);
    assertThat(got.get(10, TimeUnit.SECONDS)).isSameAs(sent);
    assertThat(other).isEmpty();
    assertThat(Addresses.ROLE_CHANGED.of("a")).isEqualTo("baton.role.changed.a");
  }

  @Test
  void eachRecordOfASealedTypeTravelsAndTwoVertxInstancesRegisterTheirOwnCodecs() throws Exception {
    Vertx second = Vertx.vertx();
    try {
      for (Vertx v : List.of(vertx, second)) {
        List<Leadership> got = new ArrayList<>();
        CompletableFuture<Void> both = new CompletableFuture<>();
        Addresses.ELECTION
            .consume(
                v.eventBus(),
                "n",
                change -> {
                  got.add(change);
                  if (got.size() == 2) {
                    both.complete(null);
                  }
                })
            .completion()
            .await();
        Addresses.ELECTION.publish(v.eventBus(), "n", new Leadership.Granted(3));
        Addresses.ELECTION.publish(v.eventBus(), "n", new Leadership.Revoked(3, "gone"));
        both.get(10, TimeUnit.SECONDS);
        assertThat(got)
            .containsExactly(new Leadership.Granted(3), new Leadership.Revoked(3, "gone"));
      }
    } finally {
      second.close().await();
    }
  }

  @Test
  void aMessageOfAnotherTypeIsRefusedAtTheSender() {
    @SuppressWarnings({"unchecked", "rawtypes"})
    Address<Object> raw = (Address) Addresses.ABSENT;
    assertThatThrownBy(() -> raw.send(vertx.eventBus(), "n", new Events.Fenced(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("baton.presence.absent");
    assertThat(new Absent(new ArrayList<>(List.of("x"))).consumers()).containsExactly("x");
  }
}
